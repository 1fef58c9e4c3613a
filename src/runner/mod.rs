//! The matrix of scenario × provider × mode, run concurrently; results flow out as events that
//! reporters consume.

mod execute;
mod plan;
mod run;
mod run_options;

pub use plan::{Filters, Plan, PlanError, Shard};
pub use run::{RunError, Runner};
pub use run_options::{RunMode, RunOptions};
