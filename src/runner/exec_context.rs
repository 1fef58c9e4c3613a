//! What every case of a run shares: the catalogs (live, and pointed at the replay server), the
//! transport, keys, snapshots, and the routers with the run's one set of provider limits.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

use llm_conform_core::providers::{Catalog, CatalogError, ProviderSpec};
use llm_conform_core::router::{Limiters, RealClock, Router, RouterPolicy};
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::HttpTransport;

use super::{RunMode, RunOptions};
use crate::replay::ReplayPool;
use crate::snapshot::SnapshotStore;
use crate::suite::CaseId;

/// Stands in for a key in replay, where none is needed; it never reaches a provider.
pub const REPLAY_KEY: &str = "replay-placeholder-key";

pub struct ExecContext {
    pub live: Catalog,
    /// The catalog with every base URL pointing at the replay server.
    pub replay: Option<Catalog>,
    /// The replay servers behind that catalog, leased call by call.
    pub replay_pool: Option<ReplayPool>,
    pub transport: HttpTransport,
    pub keys: Arc<KeyStore>,
    pub options: RunOptions,
    pub snapshots: Option<SnapshotStore>,
    /// Live calls go to local stand-ins (fake providers, the timed replay server): they may be
    /// sent the case header, and faults only a stand-in can produce run too.
    pub local_upstream: bool,
    /// The policy routed scenarios use when they bring none.
    pub router_policy: RouterPolicy,
    /// Every provider's limits for the whole run, shared by every router below and routed cases.
    pub limiters: Arc<Limiters<RealClock>>,
    /// The run's own cap on requests in flight per provider (`--per-provider`): a request waits
    /// for a slot. Unlike a provider's `concurrent` limit it never makes the router shift, so a
    /// routed case takes the same path however busy the run is.
    pub in_flight: HashMap<String, Arc<Semaphore>>,
    /// Direct cases against a live provider: retried, cooled down and paced by the run's policy.
    pub direct_live: Router,
    /// Direct cases answered by a fixture or a local stand-in: one exchange each, never retried,
    /// and a provider never cools down (its errors are what the scenarios ask for).
    pub direct_once: Router,
}

/// Where one call's response comes from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Replay(&'a ProviderSpec),
    Live { spec: &'a ProviderSpec, record: bool },
}

impl<'a> Source<'a> {
    pub fn spec(self) -> &'a ProviderSpec {
        match self {
            Source::Replay(s) | Source::Live { spec: s, .. } => s,
        }
    }
}

impl ExecContext {
    /// The routers and limiters for `policy`. In replay only concurrency is limited: pacing
    /// fixtures would only slow an offline run.
    pub fn routers(
        live: &Catalog,
        options: &RunOptions,
        policy: &RouterPolicy,
    ) -> (Arc<Limiters<RealClock>>, Router, Router) {
        let limits = if options.mode == RunMode::Replay { Default::default() } else { policy.limits.clone() };
        let limiters = Limiters::new(&limits, &live.names(), None, RealClock::default());
        let live_policy = policy.clone();
        let mut once_policy = policy.clone();
        once_policy.retry.max_retries = 0;
        once_policy.cooldown.failures = u32::MAX;
        let make = |p: RouterPolicy| Router::with_limiters(p, live.clone(), RealClock::default(), limiters.clone());
        (limiters.clone(), make(live_policy), make(once_policy))
    }

    /// One semaphore per provider of `catalog`, `per_provider` permits each.
    pub fn in_flight(catalog: &Catalog, per_provider: usize) -> HashMap<String, Arc<Semaphore>> {
        catalog.names().into_iter().map(|n| (n, Arc::new(Semaphore::new(per_provider.max(1))))).collect()
    }

    /// Where the call for `id` goes in this run's mode.
    pub fn source(&self, id: &CaseId) -> Result<Source<'_>, CatalogError> {
        let live = self.live.get(&id.provider)?;
        let replay = || self.replay.as_ref().and_then(|c| c.get(&id.provider).ok()).unwrap_or(live);
        Ok(match self.options.mode {
            RunMode::Replay => Source::Replay(replay()),
            RunMode::RecordMissing if self.options.fixtures.join(id.fixture_path()).exists() => {
                Source::Replay(replay())
            }
            RunMode::Record | RunMode::RecordMissing => Source::Live { spec: live, record: true },
            RunMode::Live => Source::Live { spec: live, record: false },
        })
    }
}
