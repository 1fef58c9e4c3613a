use super::{CaseResult, RunResults};

/// What the runner tells reporters. Reporters never see shared state, only these.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Started { run_id: String, mode: String, total: usize },
    CaseStarted { case: String },
    CaseFinished(Box<CaseResult>),
    Finished(Box<RunResults>),
}
