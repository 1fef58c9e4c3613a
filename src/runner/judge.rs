//! What a case's final response says, before any verdict: its fingerprint, the expectations it
//! misses, and how it compares with its stored snapshot.

use llm_conform_core::api::{ChatCompletion, ChatRequest, ProviderError};

use super::exec_context::ExecContext;
use crate::fingerprint::{Fingerprint, FingerprintInput, Outcome};
use crate::results::SnapshotState;
use crate::suite::{CaseId, Scenario};

/// The evidence of one mode that reached the provider.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub fingerprint: Fingerprint,
    /// Expectations the response misses, as sentences; empty when it conforms.
    pub failures: Vec<String>,
    /// What the provider said, when the outcome was an unexpected error.
    pub provider_said: Option<String>,
    /// The comparison with the stored snapshot, when snapshots are compared.
    pub snapshot: Option<(SnapshotState, Option<String>)>,
}

impl Judgement {
    /// Whether this mode deviates on its own: from its expectations or from its snapshot.
    pub fn deviation(&self) -> Option<&'static str> {
        if !self.failures.is_empty() {
            Some("its expectations")
        } else if matches!(self.snapshot, Some((SnapshotState::Drift, _))) {
            Some("its snapshot")
        } else {
            None
        }
    }
}

pub fn judge(
    ctx: &ExecContext,
    scenario: &Scenario,
    id: &CaseId,
    req: &ChatRequest,
    result: &Result<ChatCompletion, ProviderError>,
    stream_chunks: Option<usize>,
    route: Vec<String>,
) -> Judgement {
    let want_json = scenario.expect.wants_json() || req.response_format.as_ref().is_some_and(|f| f.wants_json());
    let request_schema = req.response_format.as_ref().and_then(|f| f.schema());
    let schema = scenario.expect.json_schema.as_ref().or(request_schema);
    let mut fingerprint = Fingerprint::compute(&FingerprintInput { result, stream_chunks, want_json, schema });
    fingerprint.route = route;
    let failures = scenario.expect.check(&fingerprint);
    let provider_said = match result {
        Err(e) if !failures.is_empty() && fingerprint.outcome == Outcome::Error => Some(truncate(&e.message, 300)),
        _ => None,
    };
    let snapshot = ctx.snapshots.as_ref().map(|store| store.compare(id, &fingerprint));
    Judgement { fingerprint, failures, provider_said, snapshot }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}
