//! Scenario suites: the files users write (`suites/*.toml`), their loader, and expectations.

mod case;
mod expectation;
mod loader;
mod mock_book;
mod route_spec;
mod scenario;

pub use crate::results::{CaseId, Mode};
pub use case::Case;
pub use expectation::{Expect, Presence, ToolCallsExpect};
pub use llm_conform_mock::{Fault, MockAnswer, MockError, MockToolCall, MockUsage};
pub use loader::{Problem, SuiteError, load_dir, load_file, load_str};
pub use mock_book::MockBook;
pub use route_spec::{ROUTER_PROVIDER, RouteSpec};
pub use scenario::{ProviderOverride, Scenario, Suite, Xfail};
