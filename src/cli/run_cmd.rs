use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use super::args::{GlobalArgs, RunArgs};
use super::selection::{providers_with_fixtures, select};
use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::report::{JsonlWriter, OutputDir, Progress, write_reports};
use crate::runner::{Plan, RunEvent, RunMode, RunOptions, Runner, Shard};
use crate::secrets::{KeyRef, KeyStore};

pub fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let sel = select(global, &args.filter)?;
    let mode = match args.mode.as_str() {
        "record" => RunMode::Record,
        "record-missing" => RunMode::RecordMissing,
        "live" => RunMode::Live,
        _ => RunMode::Replay,
    };
    let shard: Option<Shard> = args.shard.as_deref().map(str::parse).transpose().map_err(anyhow::Error::msg)?;
    let keys = Arc::new(KeyStore::new(Duration::from_secs(10)));
    let providers = if !args.filter.providers.is_empty() {
        args.filter.providers.clone()
    } else if mode == RunMode::Replay {
        providers_with_fixtures(&sel.fixtures, &sel.catalog)?
    } else {
        sel.config.run.providers.clone().unwrap_or_else(|| sel.catalog.names())
    };
    if providers.is_empty() {
        bail!("no providers to run: {} has no provider directories (name one with --provider)", sel.fixtures.display());
    }
    if mode.is_live() {
        // A provider asked for by name must have its key; others without one are skipped.
        for name in &args.filter.providers {
            let spec = sel.catalog.get(name)?;
            if !spec.needs_key() {
                continue;
            }
            let r = KeyRef::parse(&spec.key_ref()).with_context(|| format!("provider `{name}`"))?;
            if keys.get(&r).with_context(|| format!("provider `{name}`"))?.is_none() {
                eprintln!("error: provider `{name}` was asked for but its key is missing: set {}", r.describe());
                return Ok(ExitCode::from(EXIT_USAGE));
            }
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
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("failed to start the runtime")?;
    let results = rt.block_on(async {
        let runner = Runner::new(sel.catalog.clone(), options, keys.clone(), false).await?;
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
    write_reports(&out, &results)?;
    let count = |s| results.count(s);
    use crate::runner::CaseStatus::*;
    eprintln!(
        "{} cases in {:.2}s: {} pass, {} fail, {} xfail, {} xpass, {} error, {} skipped",
        results.cases.len(),
        results.duration_ms / 1000.0,
        count(Pass),
        count(Fail),
        count(Xfail),
        count(Xpass),
        count(Error),
        count(Skipped)
    );
    let drifted = results.cases.iter().filter(|c| c.snapshot == Some(crate::runner::SnapshotState::Drift)).count();
    if drifted > 0 {
        eprintln!("{drifted} fingerprint(s) drifted from the stored snapshots; review with `cargo insta review`");
    }
    eprintln!("report: {}", out.latest().join("index.html").display());
    Ok(if results.is_clean() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILURE) })
}
