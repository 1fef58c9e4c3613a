use crate::MockAnswer;

/// The header that names the case a request belongs to. Only local servers (fakes, replay) ever
/// see it: the harness never sends it to a real provider.
pub const CASE_HEADER: &str = "x-llm-conform-case";

/// The key the bad-key scenario sends; every fake answers it with its native 401.
pub const INVALID_KEY: &str = "llm-conform-invalid-key-000000";

/// Where a fake finds what to answer: the mock for the case a request names in [`CASE_HEADER`].
///
/// The harness owns suites and case ids; fakes only know the header's value, so they never
/// depend on how suites are laid out.
pub trait AnswerBook: Send + Sync {
    fn answer(&self, case: &str) -> Option<&MockAnswer>;
}
