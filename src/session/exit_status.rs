use super::SessionOutcome;
use crate::results::{CaseStatus, SnapshotState};

/// What, besides failures and regressions, makes a run fail.
#[derive(Debug, Clone, Default)]
pub struct ExitPolicy {
    /// A run that executed no case succeeds (`--allow-empty`).
    pub allow_empty: bool,
    /// Statuses that fail the run although they are not conformance failures
    /// (`--fail-on unavailable,flaky`).
    pub fail_on: Vec<CaseStatus>,
}

/// How a run ended, as the process exit code says it: 0 every case as expected, 1 conformance
/// failures, regressions, a replayed fingerprint that drifted from its snapshot, or a status
/// `--fail-on` names, 2 nothing ran, 130/143 stopped by SIGINT/SIGTERM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitStatus {
    Clean,
    Failures,
    /// Nothing was executed: every selected case was skipped (or none was selected).
    NothingRan(String),
    Interrupted(u8),
}

impl ExitStatus {
    pub fn of(outcome: &SessionOutcome, policy: &ExitPolicy) -> ExitStatus {
        let results = &outcome.results;
        if let Some(i) = &results.interrupted {
            return ExitStatus::Interrupted(super::signals::exit_code(&i.signal));
        }
        let executed = results.cases.iter().filter(|c| c.status != CaseStatus::Skipped).count();
        if executed == 0 && !policy.allow_empty {
            let why =
                results.cases.iter().find_map(|c| c.reason.clone()).unwrap_or_else(|| "no case was selected".into());
            return ExitStatus::NothingRan(format!(
                "nothing ran: {} case(s) selected, all skipped (first reason: {why}); pass --allow-empty if that is intended",
                results.cases.len()
            ));
        }
        let regressed = outcome.comparison.as_ref().is_some_and(|c| c.has_regressions());
        let named = results.cases.iter().any(|c| policy.fail_on.contains(&c.status));
        // Replayed fixtures cannot change: a fingerprint that moved is the code's doing, and
        // fails the run as it fails `cargo test`. Live, drift is the news the run brings.
        let replay_drift = results.mode == "replay"
            && results.cases.iter().any(|c| matches!(c.snapshot, Some(SnapshotState::Drift | SnapshotState::New)));
        if results.is_clean() && !regressed && !named && !replay_drift && outcome.jsonl_errors.is_empty() {
            ExitStatus::Clean
        } else {
            ExitStatus::Failures
        }
    }

    pub fn code(&self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Failures => 1,
            ExitStatus::NothingRan(_) => 2,
            ExitStatus::Interrupted(c) => *c,
        }
    }
}
