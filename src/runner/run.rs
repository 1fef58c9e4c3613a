use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::case_row::base_result;
use super::dispatch::Dispatch;
use super::exec_context::ExecContext;
use super::plan::CaseGroup;
use super::{Plan, RunMode, RunOptions, Shutdown, StopLevel};
use crate::replay::ReplayPool;
use crate::results::{CaseResult, CaseStatus, Interruption, RunEvent, RunResults};
use crate::snapshot::SnapshotStore;
use llm_conform_core::providers::Catalog;
use llm_conform_core::router::RouterPolicy;
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::{HttpTransport, TransportConfig};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("failed to start the http client")]
    Client(#[source] llm_conform_core::api::ProviderError),
    #[error("fixture directory {0} does not exist; record fixtures first or pass --fixtures")]
    NoFixtures(String),
    #[error("failed to start the replay server")]
    ReplayServer(#[source] std::io::Error),
}

/// Runs plans: owns the transport, the replay servers (when replaying) and the shared context.
pub struct Runner {
    ctx: Arc<ExecContext>,
}

impl Runner {
    /// A runner for `options`; `local_upstream` says live calls go to local stand-ins (fake
    /// providers, the timed replay server), which may be sent the case header.
    pub async fn new(
        catalog: Catalog,
        options: RunOptions,
        keys: Arc<KeyStore>,
        local_upstream: bool,
    ) -> Result<Runner, RunError> {
        let replay_needed = matches!(options.mode, RunMode::Replay | RunMode::RecordMissing);
        if options.mode == RunMode::Replay && !options.fixtures.is_dir() {
            return Err(RunError::NoFixtures(options.fixtures.display().to_string()));
        }
        let (replay, replay_catalog) = if replay_needed {
            let pool = ReplayPool::start(&options.fixtures).await.map_err(RunError::ReplayServer)?;
            let rewritten = point_at(&catalog, pool.uri());
            (Some(pool), Some(rewritten))
        } else {
            (None, None)
        };
        let mut transport_config = TransportConfig { timeout: options.timeout, ..Default::default() };
        if replay.is_some() {
            // Replay servers are taken in turn: connections to one that has stopped are dropped
            // from the pool soon, not kept for a minute and a half each.
            transport_config.pool_idle_timeout = Duration::from_millis(250);
        }
        let transport = HttpTransport::new(transport_config).map_err(RunError::Client)?;
        let snapshots = options.snapshots.clone().map(|dir| SnapshotStore::new(dir, options.snapshot_update));
        let router_policy = RouterPolicy::default();
        let (limiters, direct_live, direct_once) = ExecContext::routers(&catalog, &options, &router_policy);
        let (catalog_for_slots, options_per_provider) = (catalog.clone(), options.per_provider);
        let ctx = ExecContext {
            live: catalog,
            replay: replay_catalog,
            replay_pool: replay,
            transport,
            keys,
            options,
            snapshots,
            local_upstream,
            in_flight: ExecContext::in_flight(&catalog_for_slots, options_per_provider),
            router_policy,
            limiters,
            direct_live,
            direct_once,
        };
        Ok(Runner { ctx: Arc::new(ctx) })
    }

    /// The run's routing policy (the config's `[router]`): its retries and limits apply to every
    /// live call, and routed scenarios that bring no policy of their own use it.
    pub fn with_router_policy(mut self, policy: RouterPolicy) -> Self {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            let (limiters, direct_live, direct_once) = ExecContext::routers(&ctx.live, &ctx.options, &policy);
            ctx.limiters = limiters;
            ctx.direct_live = direct_live;
            ctx.direct_once = direct_once;
            ctx.router_policy = policy;
        }
        self
    }

    /// `(pending, accepted)`: snapshot files written for review, and overwritten in place.
    pub fn snapshots_written(&self) -> (usize, usize) {
        self.ctx.snapshots.as_ref().map_or((0, 0), |s| (s.pending_written(), s.accepted()))
    }

    /// Runs every case of `plan`, sending events as cases finish; returns the whole run.
    pub async fn run(&self, plan: &Plan, run_id: &str, events: mpsc::UnboundedSender<RunEvent>) -> RunResults {
        self.run_until(plan, run_id, events, Shutdown::never()).await
    }

    /// As [`Runner::run`], stopping early when `shutdown` says so: no new case starts after a
    /// drain, and cases in flight are abandoned at an abort or when the grace period ends. A case
    /// that panics becomes an `error` case with the panic's message; none vanishes.
    pub async fn run_until(
        &self,
        plan: &Plan,
        run_id: &str,
        events: mpsc::UnboundedSender<RunEvent>,
        shutdown: Shutdown,
    ) -> RunResults {
        let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let start = Instant::now();
        let _ = events.send(RunEvent::Started {
            run_id: run_id.to_string(),
            mode: self.ctx.options.mode.as_str().to_string(),
            total: plan.case_count(),
        });
        let mut dispatch = Dispatch::start(self.ctx.clone(), &plan.groups, events.clone(), shutdown.clone());
        let (mut cases, not_run) = gather(&mut dispatch, &shutdown, plan.case_count()).await;
        cases.sort_by_cached_key(|c| c.case_id());
        let interrupted = shutdown
            .reason()
            .map(|signal| Interruption { signal: signal.to_string(), not_run: plan.case_count() - cases.len() });
        debug_assert!(interrupted.is_some() || not_run == 0);
        let results = RunResults {
            schema: 1,
            run_id: run_id.to_string(),
            mode: self.ctx.options.mode.as_str().to_string(),
            started_at,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            cases,
            bench: None,
            interrupted,
        };
        let _ =
            events.send(RunEvent::Finished { cases: results.cases.len(), interrupted: results.interrupted.is_some() });
        results
    }
}

/// Collects the groups' rows as their tasks end, until all have: at a drain no new case starts
/// and the grace period runs; at an abort, or when the grace period ends, the rest are
/// abandoned. Returns the rows and how many cases did not run.
async fn gather(dispatch: &mut Dispatch, shutdown: &Shutdown, capacity: usize) -> (Vec<CaseResult>, usize) {
    let mut cases = Vec::with_capacity(capacity);
    let mut not_run = 0usize;
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = tokio::select! {
            biased;
            joined = dispatch.set.join_next_with_id() => joined,
            _ = shutdown.reached(StopLevel::Drain), if deadline.is_none() => {
                deadline = Some(tokio::time::Instant::now() + shutdown.grace);
                continue;
            }
            _ = shutdown.reached(StopLevel::Abort) => {
                dispatch.set.abort_all();
                dispatch.set.join_next_with_id().await
            }
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {
                dispatch.set.abort_all();
                dispatch.set.join_next_with_id().await
            }
        };
        let Some(joined) = next else { break };
        let id = match &joined {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        let Some(group) = dispatch.joined(id) else { continue };
        match joined {
            Ok((_, Some(results))) => cases.extend(results),
            Ok((_, None)) => not_run += group.modes.len(),
            Err(e) if e.is_cancelled() => not_run += group.modes.len(),
            // catch_unwind holds panics inside the task; anything else still gets a row.
            Err(e) => cases.extend(panicked(&group, &format!("the case task failed: {e}"))),
        }
    }
    (cases, not_run + dispatch.never_started())
}

/// One `error` row per mode of a group whose task panicked, with the panic's message scrubbed of
/// keys: a panic is a harness defect to fix, never a case that silently disappears.
pub(super) fn panicked(group: &CaseGroup, payload: &(dyn std::any::Any + Send)) -> Vec<CaseResult> {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    let message = llm_conform_core::secrets::scrub(message);
    group
        .modes
        .iter()
        .map(|&m| {
            let mut r = base_result(group, m, "");
            r.status = CaseStatus::Error;
            r.reason = Some(format!("the harness panicked while running this case: {message}"));
            r
        })
        .collect()
}

/// A copy of `catalog` whose base URLs keep their paths but point at `uri`.
pub fn point_at(catalog: &Catalog, uri: &str) -> Catalog {
    let mut c = catalog.clone();
    for name in catalog.names() {
        if let Some(spec) = c.get_mut(&name) {
            spec.rebase(uri);
        }
    }
    c
}
