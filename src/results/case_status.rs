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
    /// Passed, but only after a retry: the attempts say what failed first.
    Flaky,
    /// The provider kept failing with a transient kind (rate limited, overloaded, server error,
    /// timeout, connection) after retries: an outage, not a conformance result. It has no
    /// fingerprint and never counts as a regression.
    Unavailable,
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
            CaseStatus::Flaky => "flaky",
            CaseStatus::Unavailable => "unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the case counts against the run (exit code 1).
    pub fn is_problem(self) -> bool {
        matches!(self, CaseStatus::Fail | CaseStatus::Xpass | CaseStatus::Error)
    }

    /// Whether the case ran to a verdict on the provider's behaviour: what a baseline may take
    /// from this run. Skipped and unavailable cases keep whatever the baseline had.
    pub fn is_conformance_result(self) -> bool {
        !matches!(self, CaseStatus::Skipped | CaseStatus::Unavailable)
    }

    /// Every status, in the order reports list them.
    pub const ALL: [CaseStatus; 8] = [
        CaseStatus::Pass,
        CaseStatus::Fail,
        CaseStatus::Xfail,
        CaseStatus::Xpass,
        CaseStatus::Error,
        CaseStatus::Flaky,
        CaseStatus::Unavailable,
        CaseStatus::Skipped,
    ];
}
