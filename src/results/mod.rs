//! The vocabulary the runner, the reporters and the benchmark share: what one case ended as,
//! what a run produced, and the events that carry them. Every reporter reads these and nothing
//! of the runner.

mod bench_report;
mod case_id;
mod case_request;
mod case_result;
mod case_status;
mod json_text;
mod mode;
mod run_event;
mod run_results;
mod snapshot_state;

pub use bench_report::{BenchCounts, BenchReport, BenchSettings, BenchStats, Bucket, Summary};
pub use case_id::CaseId;
pub use case_request::CaseRequest;
pub use case_result::CaseResult;
pub use case_status::CaseStatus;
pub use json_text::JsonText;
pub use llm_conform_core::router::{Attempt, AttemptOutcome};
pub use mode::Mode;
pub use run_event::{FinishedCase, RunEvent};
pub use run_results::{Interruption, RunResults};
pub use snapshot_state::SnapshotState;
