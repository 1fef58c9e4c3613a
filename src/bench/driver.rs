//! Runs a benchmark: the chosen matrix, repeated, through the same runner as `run`.
//!
//! Each repetition is one pass of the plan with up to `concurrency` case groups in flight; a
//! pass ends before the next starts, so every repetition sees the same load. Warm-up passes
//! (connection pool, fixture cache, allocator) run first and are not recorded.
//!
//! In replay mode the runner talks to a [`TimedReplayServer`] of its own rather than the run's
//! replay server: it serves the same fixtures from memory (parsed once), optionally at their
//! recorded event offsets, so a long benchmark does not re-read fixtures.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::BenchCollector;
use crate::replay::{TimedReplayOptions, TimedReplayServer};
use crate::results::RunResults;
use crate::results::{BenchReport, BenchSettings};
use crate::runner::{Plan, RunError, RunMode, RunOptions, Runner};
use llm_conform_core::providers::Catalog;
use llm_conform_core::router::RouterPolicy;
use llm_conform_core::secrets::{KeyStore, Secret};

/// Stands in for every provider's key in replay; it only reaches the local replay server.
const REPLAY_KEY: &str = "bench-replay-placeholder-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchMode {
    /// Fixtures served on 127.0.0.1.
    Replay,
    /// Live providers.
    Live,
}

impl BenchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BenchMode::Replay => "replay",
            BenchMode::Live => "live",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub mode: BenchMode,
    /// Serve stream events at their recorded offsets (replay only).
    pub replay_timing: bool,
    pub repetitions: u32,
    pub warmup: u32,
    pub concurrency: u32,
    /// Whole-call deadline.
    pub timeout: Duration,
    pub fixtures: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("fixture directory {0} does not exist; record fixtures first or pass --fixtures")]
    NoFixtures(String),
    #[error("failed to start the replay server: {0}")]
    Server(std::io::Error),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// A finished benchmark: the figures, and the last repetition's case results (for the report's
/// conformance tables and the exit code).
#[derive(Debug, Clone)]
pub struct BenchRun {
    pub report: BenchReport,
    pub last: RunResults,
}

/// Runs `plan` `warmup + repetitions` times and returns the figures of the measured passes.
/// `keys` is used in live mode; `on_pass(done, total)` is called after every pass.
pub async fn run_bench(
    catalog: Catalog,
    plan: &Plan,
    opts: &BenchOptions,
    keys: Arc<KeyStore>,
    router_policy: RouterPolicy,
    mut on_pass: impl FnMut(u32, u32),
) -> Result<BenchRun, BenchError> {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let concurrency = opts.concurrency.max(1) as usize;
    let run_options = RunOptions {
        // Replay goes through the live path against the local server: the runner's own replay
        // mode would start a replay server that reads every fixture afresh.
        mode: RunMode::Live,
        concurrency,
        per_provider: concurrency,
        timeout: opts.timeout,
        fixtures: opts.fixtures.clone(),
        snapshots: None,
        snapshot_update: crate::snapshot_update::SnapshotUpdate::No,
        provenance_source: "recorded".into(),
    };
    let (_server, runner) = bench_runner(catalog, run_options, opts, keys).await?;
    let runner = runner.with_router_policy(router_policy);
    let total = opts.warmup + opts.repetitions;
    let mut collector = BenchCollector::new();
    let mut measured = Duration::ZERO;
    let mut last = None;
    for pass in 0..total {
        // Nobody listens to the events: the figures come from the results.
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        drop(rx);
        let start = Instant::now();
        let results = runner.run(plan, &format!("bench-pass-{pass}"), tx).await;
        if pass >= opts.warmup {
            measured += start.elapsed();
            for c in &results.cases {
                collector.record(c);
            }
        }
        on_pass(pass + 1, total);
        last = Some(results);
    }
    let mut last = last.unwrap_or_else(|| RunResults {
        schema: 1,
        run_id: String::new(),
        mode: String::new(),
        started_at: started_at.clone(),
        duration_ms: 0.0,
        cases: Vec::new(),
        bench: None,
        interrupted: None,
    });
    last.mode = opts.mode.as_str().to_string();
    let settings = BenchSettings {
        mode: opts.mode.as_str().to_string(),
        replay_timing: opts.replay_timing,
        repetitions: opts.repetitions,
        warmup: opts.warmup,
        concurrency: opts.concurrency,
        cases_per_repetition: plan.case_count(),
    };
    let report = collector.finish(settings, started_at, measured.as_secs_f64() * 1000.0);
    Ok(BenchRun { report, last })
}

/// The runner a bench drives, and in replay the server it is pointed at (kept alive by the
/// caller for the whole bench).
async fn bench_runner(
    catalog: Catalog,
    run_options: RunOptions,
    opts: &BenchOptions,
    keys: Arc<KeyStore>,
) -> Result<(Option<TimedReplayServer>, Runner), BenchError> {
    let concurrency = run_options.concurrency;
    Ok(match opts.mode {
        BenchMode::Live => (None, Runner::new(catalog, run_options, keys, false).await?),
        BenchMode::Replay => {
            if !opts.fixtures.is_dir() {
                return Err(BenchError::NoFixtures(opts.fixtures.display().to_string()));
            }
            let server_options = TimedReplayOptions {
                timing: opts.replay_timing,
                max_connections: (concurrency * 2).max(64),
                ..Default::default()
            };
            let server = TimedReplayServer::start(&opts.fixtures, server_options).await.map_err(BenchError::Server)?;
            let local = point_at(&catalog, &server.uri());
            let replay_keys = Arc::new(KeyStore::new(Duration::from_secs(1)));
            for spec in local.iter().filter(|s| s.needs_key()) {
                if let Ok(r) = spec.key_reference() {
                    replay_keys.insert(r, Secret::new(REPLAY_KEY));
                }
            }
            // `synthesize` lets replay-only faults (a cut stream, a 529) run: they are served
            // from fixtures, never provoked on a live provider.
            let runner = Runner::new(local, run_options, replay_keys, true).await?;
            (Some(server), runner)
        }
    })
}

/// A copy of `catalog` whose base URLs keep their paths but point at `uri`.
fn point_at(catalog: &Catalog, uri: &str) -> Catalog {
    let mut c = catalog.clone();
    for name in catalog.names() {
        if let Some(spec) = c.get_mut(&name) {
            let after_scheme = spec.base_url.split_once("://").map_or(spec.base_url.as_str(), |(_, r)| r);
            let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
            spec.base_url = format!("{}{}", uri.trim_end_matches('/'), path);
        }
    }
    c
}
