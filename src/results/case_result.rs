use std::sync::Arc;

use serde::{Deserialize, Serialize};

use llm_conform_core::api::Usage;
use llm_conform_core::router::Attempt;

use super::{CaseId, CaseRequest, CaseStatus, JsonText, Mode, SnapshotState};
use crate::fingerprint::Fingerprint;

/// One row of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Suite, scenario, provider, tags and description are shared by every case of a scenario
    /// (a 16× matrix holds 17,000 rows until its reports are written).
    pub suite: Arc<str>,
    pub scenario: Arc<str>,
    pub provider: Arc<str>,
    pub model: String,
    pub stream: bool,
    pub tags: Arc<[String]>,
    pub status: CaseStatus,
    pub reason: Option<String>,
    pub fingerprint: Option<Fingerprint>,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Arc<str>>,
    /// The canonical request sent, for the report's per-case details (compact: a run holds
    /// one per case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<CaseRequest>,
    /// The normalized error, when the call failed (as text, like `request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotState>,
    /// The difference from the stored snapshot, when it drifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_diff: Option<String>,
    /// Link of the xfail that applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xfail_link: Option<String>,
}

impl CaseResult {
    /// Gives back the spare room of its lists: a list grown from empty has room for four (a row
    /// read from JSON, the attempts a case collects) and most rows have one attempt, while a
    /// run and its baseline hold thousands of rows until the end.
    pub fn shrink_to_fit(&mut self) {
        self.attempts.shrink_to_fit();
        for a in &mut self.attempts {
            a.notes.shrink_to_fit();
        }
    }

    pub fn mode(&self) -> Mode {
        if self.stream { Mode::Stream } else { Mode::NonStream }
    }

    pub fn id(&self) -> CaseId {
        CaseId::new(&self.suite, &self.scenario, &self.provider, self.mode())
    }

    /// `suite/scenario/provider/mode`: how reports, the baseline and JUnit name the case.
    pub fn case_id(&self) -> String {
        self.id().to_string()
    }
}
