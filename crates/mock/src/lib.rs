//! The contract between the harness and the local servers that stand in for providers.
//!
//! Suites describe, per scenario, what a provider should answer (`[scenario.mock]`): that is
//! [`MockAnswer`], in provider-neutral terms. The fake providers (`llm-conform-fakes`) render it
//! in each family's wire format; the replay server finds fixtures by the same case header. The
//! harness parses suites with these types alone, so its release binary needs no fake provider.

mod answer_book;
mod mock_answer;

pub use answer_book::{AnswerBook, CASE_HEADER, INVALID_KEY};
pub use mock_answer::{Fault, MockAnswer, MockCitation, MockError, MockToolCall, MockUsage};
