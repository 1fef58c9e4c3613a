use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::execute::{ExecContext, run_group};
use super::{Plan, RunMode, RunOptions};
use crate::replay::ReplayServer;
use crate::results::{RunEvent, RunResults};
use crate::snapshot::SnapshotStore;
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::{HttpTransport, TransportConfig};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("failed to start the http client: {0}")]
    Client(String),
    #[error("fixture directory {0} does not exist; record fixtures first or pass --fixtures")]
    NoFixtures(String),
}

/// Runs plans: owns the transport, the replay server (when replaying) and the shared context.
pub struct Runner {
    ctx: Arc<ExecContext>,
    // Kept alive for the runner's lifetime: dropping it stops the server.
    _replay: Option<ReplayServer>,
}

impl Runner {
    pub async fn new(
        catalog: Catalog,
        options: RunOptions,
        keys: Arc<KeyStore>,
        synthesize: bool,
    ) -> Result<Runner, RunError> {
        let replay_needed = matches!(options.mode, RunMode::Replay | RunMode::RecordMissing);
        if options.mode == RunMode::Replay && !options.fixtures.is_dir() {
            return Err(RunError::NoFixtures(options.fixtures.display().to_string()));
        }
        let (replay, replay_catalog) = if replay_needed {
            let server = ReplayServer::start(&options.fixtures).await;
            let rewritten = point_at(&catalog, &server.uri());
            (Some(server), Some(rewritten))
        } else {
            (None, None)
        };
        let transport = HttpTransport::new(TransportConfig { timeout: options.timeout, ..Default::default() })
            .map_err(|e| RunError::Client(e.message))?;
        let snapshots = options.snapshots.clone().map(SnapshotStore::new);
        let ctx = ExecContext {
            live: catalog,
            replay: replay_catalog,
            transport,
            keys,
            options,
            snapshots,
            synthesize,
            router_policy: llm_conform_core::router::RouterPolicy::default(),
        };
        Ok(Runner { ctx: Arc::new(ctx), _replay: replay })
    }

    /// The policy routed scenarios use when they bring none (the config's `[router]`).
    pub fn with_router_policy(mut self, policy: llm_conform_core::router::RouterPolicy) -> Self {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            ctx.router_policy = policy;
        }
        self
    }

    /// Runs every case of `plan`, sending events as cases finish; returns the whole run.
    pub async fn run(&self, plan: &Plan, run_id: &str, events: mpsc::UnboundedSender<RunEvent>) -> RunResults {
        let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let start = Instant::now();
        let _ = events.send(RunEvent::Started {
            run_id: run_id.to_string(),
            mode: self.ctx.options.mode.as_str().to_string(),
            total: plan.case_count(),
        });
        let global = Arc::new(Semaphore::new(self.ctx.options.concurrency.max(1)));
        let mut per_provider: HashMap<Arc<str>, Arc<Semaphore>> = HashMap::new();
        let mut set = JoinSet::new();
        for group in plan.groups.iter().cloned() {
            let provider_sem = per_provider
                .entry(group.provider.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.ctx.options.per_provider.max(1))))
                .clone();
            let global = global.clone();
            let ctx = self.ctx.clone();
            let events = events.clone();
            set.spawn(async move {
                // Provider first, then global: a provider at its limit never holds a global slot.
                let _p = provider_sem.acquire_owned().await.ok();
                let _g = global.acquire_owned().await.ok();
                for m in &group.modes {
                    let _ = events.send(RunEvent::CaseStarted {
                        case: format!("{}/{}/{}/{}", group.suite, group.scenario.id, group.provider, m.as_str()),
                    });
                }
                let results = run_group(&ctx, &group.suite, &group.scenario, &group.provider, &group.modes).await;
                for r in &results {
                    let _ = events.send(RunEvent::CaseFinished(Box::new(r.clone())));
                }
                results
            });
        }
        let mut cases = Vec::with_capacity(plan.case_count());
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(results) => cases.extend(results),
                Err(e) => {
                    // A panicking case must not take the run down with it; it is reported.
                    eprintln!("error: a case task failed: {e}");
                }
            }
        }
        cases.sort_by_key(|c| c.case_id());
        let results = RunResults {
            schema: 1,
            run_id: run_id.to_string(),
            mode: self.ctx.options.mode.as_str().to_string(),
            started_at,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            cases,
            bench: None,
        };
        let _ = events.send(RunEvent::Finished(Box::new(results.clone())));
        results
    }
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
