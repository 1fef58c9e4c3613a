use serde::{Deserialize, Serialize};

use super::{BenchReport, CaseResult, CaseStatus};

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
    pub bench: Option<BenchReport>,
    /// Set when the run was stopped before every case ran: the cases are what finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Interruption>,
}

/// Why a run stopped early and what it left undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    /// What stopped it (`SIGINT`, `SIGTERM`).
    pub signal: String,
    /// Cases selected but not finished.
    pub not_run: usize,
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
