use super::{CaseResult, CaseStatus};

/// What the runner tells reporters. Reporters never see shared state, only these.
///
/// A finished case comes as what reporters do with it (its verdict, and its row as the line
/// `results.jsonl` holds), not as a second copy of the row; the end of the run carries counts
/// only. Reporters that need the whole run get the [`super::RunResults`] the runner returns, so a
/// run is never held twice.
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
    CaseFinished(FinishedCase),
    /// Every case has finished, or the run was stopped: `cases` rows came back.
    Finished {
        cases: usize,
        interrupted: bool,
    },
}

/// One finished case, for reporters.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedCase {
    /// `suite/scenario/provider/mode`.
    pub id: String,
    pub status: CaseStatus,
    pub reason: Option<String>,
    /// The row as one line of compact JSON (no newline), as `results.json` holds it; the error
    /// if it could not be written (a defect: rows are plain data).
    pub row_json: Result<String, String>,
}

impl FinishedCase {
    pub fn of(row: &CaseResult) -> FinishedCase {
        FinishedCase {
            id: row.case_id(),
            status: row.status,
            reason: row.reason.clone(),
            row_json: serde_json::to_string(row).map_err(|e| format!("failed to serialize the row: {e}")),
        }
    }
}
