//! A run as a whole: inputs resolved by the CLI, the runner and its reporters, the reports and the
//! baseline, and how the outcome maps to an exit code.

mod exit_status;
mod run_session;
pub mod signals;

pub use exit_status::{ExitPolicy, ExitStatus};
pub use run_session::{RunSession, SessionError, SessionOutcome};
