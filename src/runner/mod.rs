//! The matrix of scenario × provider × mode, run concurrently; results flow out as events that
//! reporters consume.

mod execute;
mod plan;
mod run;
mod run_options;
mod shutdown;

pub use plan::{CaseGroup, Filters, Plan, PlanError, Shard};
pub use run::{RunError, Runner};
pub use run_options::{RunMode, RunOptions};
pub use shutdown::{Shutdown, ShutdownHandle, StopLevel};
