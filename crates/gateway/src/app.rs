//! What every request handler shares: one router for the server's lifetime (so limits,
//! cooldowns and latency averages are shared by all requests), the providers, the client keys.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;

use crate::ClientKeys;
use crate::access_log::LogSink;
use crate::in_flight::InFlight;
use crate::metrics::Metrics;
use crate::targets::Targets;
use crate::upstream::Upstream;
use llm_conform_core::router::{PlannedCandidate, Router, Target};

pub struct App {
    pub router: Router,
    pub targets: Targets,
    pub upstream: Upstream,
    pub auth: ClientKeys,
    pub metrics: Metrics,
    pub in_flight: InFlight,
    pub deadline: Duration,
    pub max_body_bytes: usize,
    pub forward_headers: Vec<String>,
    pub access_log: bool,
    pub log: LogSink,
    pub draining: AtomicBool,
}

impl App {
    /// The configured request headers present on this request, to pass on to providers.
    pub fn forwarded(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        self.forward_headers
            .iter()
            .filter_map(|name| {
                let v = headers.get(name.as_str())?.to_str().ok()?;
                Some((name.clone(), v.to_string()))
            })
            .collect()
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Every candidate of every tier, once, as the router would see it now.
    pub fn candidate_states(&self) -> Vec<PlannedCandidate> {
        let mut out: Vec<PlannedCandidate> = Vec::new();
        for tier in self.targets.tiers() {
            for p in self.router.plan(&Target::Tier(tier.clone())).unwrap_or_default() {
                if !out.iter().any(|o| o.candidate == p.candidate) {
                    out.push(p);
                }
            }
        }
        out
    }
}
