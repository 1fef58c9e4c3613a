use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use super::args::{GlobalArgs, RunArgs};
use super::selection::{missing_named_key, providers_with_fixtures, select};
use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::report::{
    CompareOptions, JsonlWriter, OutputDir, Progress, compare, load_results, terminal_summary, updated_baseline,
    write_baseline, write_reports,
};
use crate::results::{RunEvent, RunResults};
use crate::runner::{Plan, RunMode, RunOptions, Runner, Shard};
use llm_conform_core::secrets::KeyStore;

pub fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let sel = select(global, &args.filter)?;
    let mode = match args.mode.as_str() {
        "record" => RunMode::Record,
        "record-missing" => RunMode::RecordMissing,
        "live" => RunMode::Live,
        _ => RunMode::Replay,
    };
    let shard: Option<Shard> = args.shard.as_deref().map(str::parse).transpose().map_err(anyhow::Error::msg)?;
    let keys = Arc::new(KeyStore::new(Duration::from_secs_f64(sel.config.run.key_timeout_s.clamp(0.1, 600.0))));
    let providers = if !args.filter.providers.is_empty() {
        args.filter.providers.iter().filter(|p| *p != crate::suite::ROUTER_PROVIDER).cloned().collect()
    } else if mode == RunMode::Replay {
        providers_with_fixtures(&sel.fixtures, &sel.catalog)?
    } else {
        sel.config.run.providers.clone().unwrap_or_else(|| {
            // Keyless local servers (Ollama) run only when named or configured: one that is not
            // running would otherwise fail every weekly run.
            sel.catalog.iter().filter(|p| p.needs_key()).map(|p| p.name.clone()).collect()
        })
    };
    if providers.is_empty() && args.filter.providers.is_empty() {
        bail!("no providers to run: {} has no provider directories (name one with --provider)", sel.fixtures.display());
    }
    if mode.is_live() {
        if let Some(msg) = missing_named_key(&args.filter.providers, &sel.catalog, &keys)? {
            eprintln!("error: {msg}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    let plan = Plan::build(&sel.suites, &providers, &sel.filters, shard)?;
    let run_id = args.run_id.clone().unwrap_or_else(|| {
        let base = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        match shard {
            Some(s) => format!("{base}-shard{}of{}", s.index, s.total),
            None => base,
        }
    });
    let options = RunOptions {
        mode,
        concurrency: args.jobs.unwrap_or(sel.config.run.concurrency),
        per_provider: args.per_provider.unwrap_or(sel.config.run.per_provider),
        timeout: Duration::from_secs_f64(args.timeout.unwrap_or(sel.config.run.timeout_s)),
        fixtures: sel.fixtures.clone(),
        snapshots: (!args.no_snapshots).then(|| sel.config.run.snapshots.clone()),
        write_pending_snapshots: args.pending_snapshots || mode.is_live(),
        provenance_source: "recorded".into(),
    };
    let out = OutputDir::new(&args.out.clone().unwrap_or_else(|| sel.config.run.reports.clone()), &run_id);
    // A run that selected part of the matrix is compared (and folded into the baseline) only
    // over what it selected; otherwise every unselected case would look removed.
    let f = &args.filter;
    let filtered = shard.is_some()
        || !f.providers.is_empty()
        || !f.suites.is_empty()
        || !f.scenarios.is_empty()
        || !f.tags.is_empty()
        || f.only.is_some();
    let scope: Option<HashSet<String>> = filtered.then(|| {
        plan.groups
            .iter()
            .flat_map(|g| {
                g.modes.iter().map(move |m| format!("{}/{}/{}/{}", g.suite, g.scenario.id, g.provider, m.as_str()))
            })
            .collect()
    });
    // The previous run, kept as the default baseline; a broken one is replaced, not fatal.
    let default_baseline = out.baseline();
    let previous: Option<RunResults> = if default_baseline.is_file() {
        match load_results(&default_baseline) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("warning: ignoring the baseline: {e}");
                None
            }
        }
    } else {
        None
    };
    // An explicit --baseline must be readable: fail before spending a run on it.
    let baseline: Option<(String, RunResults)> = match &args.baseline.baseline {
        Some(p) => Some((p.display().to_string(), load_results(p)?)),
        None => previous.clone().map(|r| (default_baseline.display().to_string(), r)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("failed to start the runtime")?;
    let results = rt.block_on(async {
        let runner = Runner::new(sel.catalog.clone(), options, keys.clone(), false)
            .await?
            .with_router_policy(sel.config.router.clone());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let jsonl_path = out.run_dir.join("results.jsonl");
        let mut jsonl =
            JsonlWriter::create(&jsonl_path).with_context(|| format!("failed to create {}", jsonl_path.display()))?;
        let total = plan.case_count();
        let reporter = tokio::spawn(async move {
            let progress = Progress::new(total);
            while let Some(ev) = rx.recv().await {
                match ev {
                    RunEvent::CaseFinished(c) => {
                        progress.case_finished(&c);
                        if let Err(e) = jsonl.append(&c) {
                            eprintln!("error: failed to append to results.jsonl: {e}");
                        }
                    }
                    RunEvent::Finished(_) => progress.finish(),
                    RunEvent::Started { .. } | RunEvent::CaseStarted { .. } => {}
                }
            }
        });
        let results = runner.run(&plan, &run_id, tx).await;
        let _ = reporter.await;
        anyhow::Ok(results)
    })?;
    let options = CompareOptions { scope: scope.clone(), ..args.baseline.latency.options() };
    let comparison = baseline.as_ref().map(|(source, base)| compare(&results, base, source, &options));
    write_reports(&out, &results, comparison.as_ref())?;
    eprintln!("{}", totals_line(&results));
    let drifted = results.cases.iter().filter(|c| c.snapshot == Some(crate::results::SnapshotState::Drift)).count();
    if drifted > 0 {
        eprintln!("{drifted} fingerprint(s) drifted from the stored snapshots; review with `cargo insta review`");
    }
    eprintln!("{}", terminal_summary(comparison.as_ref()));
    if !args.baseline.no_update_baseline {
        let next = updated_baseline(previous.as_ref(), &results, scope.as_ref());
        write_baseline(&default_baseline, &next)?;
        eprintln!("baseline for the next run: {}", default_baseline.display());
    }
    eprintln!("report: {}", out.latest().join("index.html").display());
    let regressed = comparison.as_ref().is_some_and(|c| c.has_regressions());
    Ok(if results.is_clean() && !regressed { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILURE) })
}

/// `N cases in T s: …` with every status count, for the terminal.
pub fn totals_line(results: &RunResults) -> String {
    use crate::results::CaseStatus::*;
    let count = |s| results.count(s);
    format!(
        "{} cases in {:.2}s: {} pass, {} fail, {} xfail, {} xpass, {} error, {} skipped",
        results.cases.len(),
        results.duration_ms / 1000.0,
        count(Pass),
        count(Fail),
        count(Xfail),
        count(Xpass),
        count(Error),
        count(Skipped)
    )
}
