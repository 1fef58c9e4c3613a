//! The matrix of scenario × provider × mode, run concurrently; results flow out as events that
//! reporters consume.

mod case_call;
mod case_row;
mod dispatch;
mod exec_context;
mod group;
mod judge;
mod plan;
mod provider_call;
mod run;
mod run_options;
mod shutdown;
mod verdict;

pub use plan::{CaseGroup, Filters, Plan, PlanError, Shard, ShardError};
pub use run::{RunError, Runner};
pub use run_options::{RunMode, RunOptions};
pub use shutdown::{Shutdown, ShutdownHandle, StopLevel};
pub use verdict::OUTAGE_KINDS;
