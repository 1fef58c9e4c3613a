//! The limits of every provider for a whole process: one set shared by every router, routed or
//! direct request, and benchmark, so that what a provider sees is what was configured however
//! the work is split.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{LimitPolicy, ProviderLimits, RouterClock};

/// Per-provider buckets and concurrency caps, shared (`Arc`) by everything that calls providers.
pub struct Limiters<C: RouterClock> {
    by_provider: BTreeMap<String, ProviderLimits<C>>,
}

impl<C: RouterClock> Limiters<C> {
    /// Limits from `[router.limits]`, with every provider in `providers` capped at
    /// `max_in_flight` requests at once (the tighter of that and its own `concurrent`).
    pub fn new(
        limits: &BTreeMap<String, LimitPolicy>,
        providers: &[String],
        max_in_flight: Option<u32>,
        clock: C,
    ) -> Arc<Self> {
        let mut by_provider = BTreeMap::new();
        let names = limits.keys().cloned().chain(providers.iter().cloned());
        for name in names {
            if by_provider.contains_key(&name) {
                continue;
            }
            let mut policy = limits.get(&name).cloned().unwrap_or_default();
            policy.concurrent = match (policy.concurrent, max_in_flight) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let l = ProviderLimits::new(&policy, clock.clone());
            if l.has_limits() {
                by_provider.insert(name, l);
            }
        }
        Arc::new(Limiters { by_provider })
    }

    /// No limits at all (replay: fixtures answer at once, and pacing them would only slow a run).
    pub fn none() -> Arc<Self> {
        Arc::new(Limiters { by_provider: BTreeMap::new() })
    }

    pub fn get(&self, provider: &str) -> Option<&ProviderLimits<C>> {
        self.by_provider.get(provider)
    }
}
