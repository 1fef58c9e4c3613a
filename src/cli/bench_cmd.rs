//! `llm-conform bench`: latency figures per provider from repeated runs of chosen scenarios.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::args::{FilterArgs, GlobalArgs};
use super::console::{errln, out};
use super::selection::{providers_with_fixtures, select};
use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::bench::{BenchMode, BenchOptions, run_bench};
use crate::report::render_table;
use crate::report::{OutputDir, write_reports};
use crate::runner::Plan;
use crate::suite::ROUTER_PROVIDER;
use llm_conform_core::secrets::KeyStore;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Measured repetitions of every chosen case.
    #[arg(short = 'n', long = "repetitions", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub repetitions: u32,
    /// Case groups (a scenario on one provider, its modes in turn) in flight at once, overall
    /// and per provider.
    #[arg(short = 'c', long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Unrecorded repetitions first (connection pools, caches).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub warmup: u32,
    /// replay (fixtures on 127.0.0.1, the default) or live.
    #[arg(long, default_value = "replay", value_parser = ["replay", "live"])]
    pub mode: String,
    /// In replay, serve stream events at their recorded time offsets, so time to first token is
    /// what it was when the fixture was recorded.
    #[arg(long)]
    pub replay_timing: bool,
    /// Whole-call deadline in seconds.
    #[arg(long, value_parser = super::args::seconds)]
    pub timeout: Option<f64>,
    /// Report directory (default: <config run.reports>/bench); the run writes <out>/<run-id>/
    /// and updates <out>/latest/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_parser = super::args::run_id)]
    pub run_id: Option<String>,
}

pub fn run(global: &GlobalArgs, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mode = if args.mode == "live" { BenchMode::Live } else { BenchMode::Replay };
    if args.replay_timing && mode == BenchMode::Live {
        bail!("--replay-timing replays recorded timing and needs --mode replay");
    }
    let sel = select(global, &args.filter)?;
    let keys = Arc::new(KeyStore::new(Duration::from_secs_f64(sel.config.run.key_timeout_s)));
    let named: Vec<String> = args.filter.providers.iter().filter(|p| *p != ROUTER_PROVIDER).cloned().collect();
    let providers = if !args.filter.providers.is_empty() {
        named.clone()
    } else if mode == BenchMode::Replay {
        providers_with_fixtures(&sel.fixtures, &sel.catalog)?
    } else {
        sel.config.run.providers.clone().unwrap_or_else(|| sel.catalog.names())
    };
    if providers.is_empty() && args.filter.providers.is_empty() {
        bail!(
            "no providers to bench: {} has no provider directories (name one with --provider)",
            sel.fixtures.display()
        );
    }
    if mode == BenchMode::Live {
        let missing = super::selection::missing_keys(&providers, &sel.catalog, &keys)?;
        if !missing.is_empty() {
            errln!("error: {} selected provider(s) have no key: {}", missing.len(), missing.join(", "));
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    let plan = Plan::build(&sel.suites, &providers, &sel.filters, None)?;
    if plan.case_count() == 0 {
        bail!("no cases match the filters; `llm-conform list` shows suites, scenarios and providers");
    }
    let run_id = args.run_id.clone().unwrap_or_else(|| chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
    let out_root = args.out.clone().unwrap_or_else(|| sel.config.run.reports.join("bench"));
    let out = OutputDir::create(&out_root, &run_id)?;
    let options = BenchOptions {
        mode,
        replay_timing: args.replay_timing,
        repetitions: args.repetitions,
        warmup: args.warmup,
        concurrency: args.concurrency,
        timeout: Duration::from_secs_f64(args.timeout.unwrap_or(sel.config.run.timeout_s)),
        fixtures: sel.fixtures.clone(),
    };
    errln!(
        "bench: {} case(s) × {} repetition(s) (+{} warm-up), {} mode{}, concurrency {}",
        plan.case_count(),
        args.repetitions,
        args.warmup,
        mode.as_str(),
        if args.replay_timing { " with recorded timing" } else { "" },
        args.concurrency
    );
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("failed to start the runtime")?;
    let progress = indicatif::ProgressBar::new(u64::from(args.warmup) + u64::from(args.repetitions));
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} passes {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let catalog = sel.catalog.clone();
    let policy = sel.config.router.clone();
    let bench =
        rt.block_on(run_bench(catalog, &plan, &options, keys, policy, |done, _| progress.set_position(done.into())));
    progress.finish_and_clear();
    let bench = bench?;
    let mut results = bench.last;
    results.run_id = out.run_id.clone();
    results.bench = Some(bench.report.clone());
    write_reports(&out, &results, None)?;
    out!("{}", render_table(&bench.report));
    if bench.report.totals.unexpected > 0 {
        errln!(
            "{} call(s) did not behave as their scenario expects (fail, xpass or harness error); the last repetition's cases are in the report",
            bench.report.totals.unexpected
        );
    }
    errln!("report: {}", out.latest().join("index.html").display());
    Ok(if bench.report.totals.unexpected == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILURE) })
}
