use std::sync::Arc;

use super::CaseResult;

/// What the runner tells reporters. Reporters never see shared state, only these.
///
/// A finished case is shared with the run's results, not copied, and the end of the run carries
/// counts only: reporters that need the whole run get the [`super::RunResults`] the runner
/// returns, so a run is never held twice.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Started {
        run_id: String,
        mode: String,
        total: usize,
    },
    CaseStarted {
        case: String,
    },
    CaseFinished(Arc<CaseResult>),
    /// Every case has finished, or the run was stopped: `cases` rows came back.
    Finished {
        cases: usize,
        interrupted: bool,
    },
}
