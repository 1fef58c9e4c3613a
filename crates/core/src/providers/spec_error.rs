/// A catalog entry value that does not mean anything: caught when the catalog and config load,
/// so a misspelt quirk or auth style is an error naming it, not a surprise on the first request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("auth must be \"bearer\", \"none\" or \"header:NAME\", got {0:?}")]
    Auth(String),
    #[error("api version must be YYYY-MM-DD with an optional suffix, got {0:?}")]
    ApiVersion(String),
    #[error("model pattern {pattern:?} {problem}")]
    ModelPattern { pattern: String, problem: &'static str },
    /// A key whose value does not fit, with the key's path (`model_quirks."x*".json_schema`).
    #[error("{at}: {message}")]
    Field { at: String, message: String },
}
