use serde::{Deserialize, Serialize};

use crate::api::Usage;
use crate::fingerprint::Fingerprint;

/// The verdict on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Every expectation held.
    Pass,
    /// An expectation did not hold.
    Fail,
    /// Failed, as a documented divergence said it would.
    Xfail,
    /// A documented divergence did not happen: the xfail is stale.
    Xpass,
    /// The harness could not run the case (missing fixture, bad encode, replay mismatch).
    Error,
    /// Not run (no key in live mode, a replay-only fault in live mode).
    Skipped,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Pass => "pass",
            CaseStatus::Fail => "fail",
            CaseStatus::Xfail => "xfail",
            CaseStatus::Xpass => "xpass",
            CaseStatus::Error => "error",
            CaseStatus::Skipped => "skipped",
        }
    }

    /// Whether the case counts against the run (exit code 1).
    pub fn is_problem(self) -> bool {
        matches!(self, CaseStatus::Fail | CaseStatus::Xpass | CaseStatus::Error)
    }
}

/// How the fingerprint compares with the stored snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotState {
    Match,
    Drift,
    New,
}

/// One call the case made (the router may make several).
pub use crate::router::Attempt;

/// One row of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub suite: String,
    pub scenario: String,
    pub provider: String,
    pub model: String,
    pub stream: bool,
    pub tags: Vec<String>,
    pub status: CaseStatus,
    pub reason: Option<String>,
    pub fingerprint: Option<Fingerprint>,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The canonical request sent, for the report's per-case details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// The normalized error, when the call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
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
    /// `suite/scenario/provider/mode`.
    pub fn case_id(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.suite,
            self.scenario,
            self.provider,
            if self.stream { "stream" } else { "non_stream" }
        )
    }
}

/// `results.json`: the run's verdicts, read by the report and by other tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    pub schema: u32,
    pub run_id: String,
    pub mode: String,
    pub started_at: String,
    pub duration_ms: f64,
    pub cases: Vec<CaseResult>,
    /// Latency figures of a `bench` run; absent from conformance runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<crate::bench::BenchReport>,
}

impl RunResults {
    pub fn count(&self, status: CaseStatus) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }

    /// Whether every case is pass, xfail or skipped.
    pub fn is_clean(&self) -> bool {
        !self.cases.iter().any(|c| c.status.is_problem())
    }
}
