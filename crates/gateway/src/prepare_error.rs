//! Why a candidate could not be called at all. The router counts such a candidate as skipped,
//! not failed, and shows the reason in `x-llm-conform-attempts` and the access log.

/// One reason per cause, so the message reads the same wherever it surfaces.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PrepareError {
    #[error("{0}")]
    UnknownProvider(String),
    /// The key could not be had at start-up; `why` names the reference, never a value.
    #[error("{why}")]
    KeyUnavailable { why: String },
    #[error("no key for `{provider}`")]
    NoKeyEntry { provider: String },
    /// The adapter refused the request (a feature the provider lacks); already scrubbed.
    #[error("{0}")]
    Encode(String),
}
