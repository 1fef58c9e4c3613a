use super::SessionOutcome;

/// How a run ended, as the process exit code says it: 0 every case as expected, 1 conformance
/// failures or regressions, 130/143 stopped by SIGINT/SIGTERM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Clean,
    Failures,
    Interrupted(u8),
}

impl ExitStatus {
    pub fn of(outcome: &SessionOutcome) -> ExitStatus {
        if let Some(i) = &outcome.results.interrupted {
            return ExitStatus::Interrupted(super::signals::exit_code(&i.signal));
        }
        let regressed = outcome.comparison.as_ref().is_some_and(|c| c.has_regressions());
        if outcome.results.is_clean() && !regressed && outcome.jsonl_errors.is_empty() {
            ExitStatus::Clean
        } else {
            ExitStatus::Failures
        }
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Failures => 1,
            ExitStatus::Interrupted(c) => c,
        }
    }
}
