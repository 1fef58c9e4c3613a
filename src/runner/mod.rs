//! The matrix of scenario × provider × mode, run concurrently; results flow out as events that
//! reporters consume.

mod case_result;
mod execute;
mod plan;
mod run;
mod run_event;
mod run_options;

pub use case_result::{Attempt, CaseResult, CaseStatus, RunResults, SnapshotState};
pub use plan::{Filters, Plan, PlanError, Shard};
pub use run::{RunError, Runner};
pub use run_event::RunEvent;
pub use run_options::{RunMode, RunOptions};
