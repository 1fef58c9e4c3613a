use serde::{Deserialize, Serialize};

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
