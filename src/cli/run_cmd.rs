//! `llm-conform run`: gather the inputs of a run, hand them to the session, print the outcome.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use llm_conform_core::secrets::KeyStore;

use super::EXIT_USAGE;
use super::args::{GlobalArgs, RunArgs};
use super::console::{errln, noteln};
use super::selection::{Selection, missing_keys, providers_with_fixtures, select};
use crate::report::{CompareOptions, OutputDir, terminal_summary};
use crate::results::{CaseStatus, RunResults, SnapshotState};
use crate::runner::{Plan, RunMode, RunOptions, Shard, Shutdown};
use crate::session::{ExitPolicy, ExitStatus, RunSession, SessionOutcome, signals};
use crate::snapshot_update::SnapshotUpdate;

pub fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut sel = select(global, &args.filter)?;
    let mode = match args.mode.as_str() {
        "record" => RunMode::Record,
        "record-missing" => RunMode::RecordMissing,
        "live" => RunMode::Live,
        _ => RunMode::Replay,
    };
    let shard: Option<Shard> = args.shard.as_deref().map(str::parse).transpose()?;
    let keys = Arc::new(KeyStore::new(Duration::from_secs_f64(sel.config.run.key_timeout_s)));
    let providers = providers_for(&args, &sel, mode)?;
    if mode.is_live() {
        let missing = missing_keys(&providers, &sel.catalog, &keys)?;
        if !missing.is_empty() && !args.allow_missing_keys {
            errln!(
                "error: {} selected provider(s) have no key: {}; set them, or pass --allow-missing-keys to skip those providers",
                missing.len(),
                missing.join(", ")
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    let reports = args.out.clone().unwrap_or_else(|| sel.config.run.reports.clone());
    let plan = plan_for(&args, &sel, &providers, shard, &reports)?;
    // The plan holds what the run needs of the suites; the parsed files are not kept for it.
    drop(std::mem::take(&mut sel.suites));
    if plan.case_count() == 0 && !args.allow_empty {
        errln!(
            "error: no case matches the filters (`llm-conform list` shows suites, scenarios and providers); pass --allow-empty if that is intended"
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let run_id = args.run_id.clone().unwrap_or_else(|| {
        let base = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        match shard {
            Some(s) => format!("{base}-shard{}of{}", s.index, s.total),
            None => base,
        }
    });
    let session = RunSession {
        catalog: sel.catalog.clone(),
        scope: scope_of(&args, shard, &plan).or_else(|| args.rerun_failed.then(|| plan_ids(&plan))),
        plan,
        options: options_for(&args, &sel, mode),
        router_policy: sel.config.router.clone(),
        keys,
        out: OutputDir::create(&reports, &run_id)?,
        explicit_baseline: args.baseline.baseline.clone(),
        update_baseline: !args.baseline.no_update_baseline,
        compare: CompareOptions { scope: None, ..args.baseline.latency.options() },
    };
    let (handle, shutdown) = Shutdown::new(Duration::from_secs_f64(args.grace));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("failed to start the runtime")?;
    let outcome = rt.block_on(async {
        signals::listen(handle);
        session.execute(shutdown).await
    })?;
    print_outcome(&outcome, &args);
    let policy = ExitPolicy {
        allow_empty: args.allow_empty,
        fail_on: args.fail_on.iter().filter_map(|s| CaseStatus::parse(s)).collect(),
    };
    let status = ExitStatus::of(&outcome, &policy);
    if let ExitStatus::NothingRan(why) = &status {
        errln!("error: {why}");
    }
    Ok(ExitCode::from(status.code()))
}

/// The providers a run covers: those named; else in replay those with fixtures; else the
/// configured ones, or every catalog provider that needs a key (a keyless local server such as
/// Ollama runs only when named or configured: one that is not running would fail every weekly
/// run). In replay every one of them must have fixtures.
fn providers_for(args: &RunArgs, sel: &Selection, mode: RunMode) -> anyhow::Result<Vec<String>> {
    let with_fixtures = || providers_with_fixtures(&sel.fixtures, &sel.catalog);
    let providers: Vec<String> = if !args.filter.providers.is_empty() {
        args.filter.providers.iter().filter(|p| *p != crate::suite::ROUTER_PROVIDER).cloned().collect()
    } else if mode == RunMode::Replay {
        with_fixtures()?
    } else {
        let needing_keys = || sel.catalog.iter().filter(|p| p.needs_key()).map(|p| p.name.clone()).collect();
        sel.config.run.providers.clone().unwrap_or_else(needing_keys)
    };
    if providers.is_empty() && args.filter.providers.is_empty() {
        bail!("no providers to run: {} has no provider directories (name one with --provider)", sel.fixtures.display());
    }
    if mode == RunMode::Replay {
        let have = with_fixtures()?;
        let missing: Vec<&str> = providers.iter().filter(|p| !have.contains(p)).map(String::as_str).collect();
        if !missing.is_empty() {
            bail!(
                "no fixtures for {} in {}: record them with `llm-conform run --mode record --provider {}`",
                missing.join(", "),
                sel.fixtures.display(),
                missing.join(",")
            );
        }
    }
    Ok(providers)
}

/// The matrix, cut to what failed last time with `--rerun-failed`.
fn plan_for(
    args: &RunArgs,
    sel: &Selection,
    providers: &[String],
    shard: Option<Shard>,
    reports: &std::path::Path,
) -> anyhow::Result<Plan> {
    let mut plan = Plan::build(&sel.suites, providers, &sel.filters, shard)?;
    if args.rerun_failed {
        let previous = args.baseline.baseline.clone().unwrap_or_else(|| crate::report::default_baseline(reports));
        let again = |s: CaseStatus| {
            matches!(s, CaseStatus::Fail | CaseStatus::Error | CaseStatus::Xpass | CaseStatus::Unavailable)
        };
        let failed: HashSet<String> =
            crate::report::BaselineIndex::load(&previous)?.ids_where(again).map(str::to_string).collect();
        plan.retain_cases(&failed);
        noteln!(
            "--rerun-failed: {} case(s) failed, errored or were unavailable in {}",
            plan.case_count(),
            previous.display()
        );
    }
    Ok(plan)
}

fn options_for(args: &RunArgs, sel: &Selection, mode: RunMode) -> RunOptions {
    RunOptions {
        mode,
        concurrency: args.jobs.map_or(sel.config.run.concurrency, |j| j as usize),
        per_provider: args.per_provider.map_or(sel.config.run.per_provider, |p| p as usize),
        timeout: Duration::from_secs_f64(args.timeout.unwrap_or(sel.config.run.timeout_s)),
        fixtures: sel.fixtures.clone(),
        snapshots: (!args.no_snapshots).then(|| sel.config.run.snapshots.clone()),
        snapshot_update: if args.pending_snapshots { SnapshotUpdate::New } else { SnapshotUpdate::from_env() },
        provenance_source: "recorded".into(),
    }
}

/// What the terminal says after a run: totals, outages, snapshots, regressions, where things are.
fn print_outcome(outcome: &SessionOutcome, args: &RunArgs) {
    if let Some(e) = &outcome.ignored_baseline {
        errln!("warning: ignoring the previous baseline: {e}");
    }
    if let Some(e) = &outcome.unreadable_baseline {
        errln!("warning: {e}; the reports have no comparison and the baseline was left as it was");
    }
    for e in &outcome.jsonl_errors {
        errln!("error: results.jsonl: {e}");
    }
    errln!("{}", totals_line(&outcome.results));
    for line in crate::report::unavailability(&outcome.results) {
        errln!("{line}");
    }
    if let Some(i) = &outcome.results.interrupted {
        errln!("interrupted by {}: {} case(s) did not run; the baseline was left as it was", i.signal, i.not_run);
    }
    print_snapshots(outcome);
    errln!("{}", terminal_summary(outcome.comparison.as_ref()));
    if let Some(b) = &outcome.baseline_written {
        noteln!("baseline for the next run: {}", b.display());
    }
    noteln!("report: {}", outcome.out.latest().join("index.html").display());
    match outcome.out.prune(args.keep as usize) {
        Ok(0) => {}
        Ok(n) => noteln!("removed {n} old run director{} (keeping {})", if n == 1 { "y" } else { "ies" }, args.keep),
        Err(e) => errln!("warning: failed to prune old runs: {e}"),
    }
}

/// Drift, and where it was written: review is suggested only when something is pending.
fn print_snapshots(outcome: &SessionOutcome) {
    let drifted = outcome.results.cases.iter().filter(|c| c.snapshot == Some(SnapshotState::Drift)).count();
    let (pending, accepted) = outcome.snapshots;
    if drifted > 0 {
        errln!("{drifted} fingerprint(s) drifted from the stored snapshots");
    }
    if accepted > 0 {
        errln!("{accepted} snapshot(s) updated in place (INSTA_UPDATE=always)");
    }
    if pending > 0 {
        errln!("{pending} pending snapshot(s) written; review with `cargo insta review`");
    } else if drifted > 0 && accepted == 0 {
        errln!(
            "no pending snapshot was written (INSTA_UPDATE, or CI); pass --pending-snapshots to write them for review"
        );
    }
}

fn plan_ids(plan: &Plan) -> HashSet<String> {
    plan.groups.iter().flat_map(|g| g.modes.iter().map(move |m| g.case_id(*m))).collect()
}

/// The cases a filtered run covers; `None` when it covers the whole matrix.
fn scope_of(args: &RunArgs, shard: Option<Shard>, plan: &Plan) -> Option<HashSet<String>> {
    let f = &args.filter;
    let filtered = shard.is_some()
        || !f.providers.is_empty()
        || !f.suites.is_empty()
        || !f.scenarios.is_empty()
        || !f.tags.is_empty()
        || f.only.is_some();
    filtered.then(|| plan_ids(plan))
}

/// `N cases in T s: …` with the count of every status that occurred (pass, fail, xfail, xpass,
/// error and skipped always), for the terminal.
pub fn totals_line(results: &RunResults) -> String {
    let counts: Vec<String> = CaseStatus::ALL
        .iter()
        .map(|&s| (s, results.count(s)))
        .filter(|&(s, n)| n > 0 || !matches!(s, CaseStatus::Flaky | CaseStatus::Unavailable))
        .map(|(s, n)| {
            let text = format!("{n} {}", s.as_str());
            if n > 0 { crate::report::paint(s, &text) } else { text }
        })
        .collect();
    format!("{} cases in {:.2}s: {}", results.cases.len(), results.duration_ms / 1000.0, counts.join(", "))
}
