use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The normalized error taxonomy. A router decides retry, fallback or failure on this alone, so
/// every provider's errors must land in the same kind for the same cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Authentication,
    PermissionDenied,
    NotFound,
    InvalidRequest,
    ContextLengthExceeded,
    ContentFiltered,
    RateLimited,
    QuotaExhausted,
    Overloaded,
    ServerError,
    Timeout,
    Connection,
    MalformedResponse,
    Unsupported,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::InvalidRequest,
        ErrorKind::ContextLengthExceeded,
        ErrorKind::ContentFiltered,
        ErrorKind::RateLimited,
        ErrorKind::QuotaExhausted,
        ErrorKind::Overloaded,
        ErrorKind::ServerError,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::MalformedResponse,
        ErrorKind::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::ContextLengthExceeded => "context_length_exceeded",
            ErrorKind::ContentFiltered => "content_filtered",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::QuotaExhausted => "quota_exhausted",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::Unsupported => "unsupported",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether another attempt (same or another provider) may succeed where this one failed.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Overloaded
                | ErrorKind::ServerError
                | ErrorKind::Timeout
                | ErrorKind::Connection
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call, classified. `message` is the provider's own words (or ours for transport
/// failures), trimmed to a snippet when the body was not JSON.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub message: String,
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    pub provider_code: Option<String>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError { kind, message: message.into(), status: None, retry_after: None, provider_code: None }
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        ProviderError::new(ErrorKind::MalformedResponse, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The `{"error": {...}}` object the CLI prints and reports store.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.kind.as_str(),
                "message": self.message,
                "status": self.status,
                "retry_after_s": self.retry_after.map(|d| d.as_secs_f64()),
                "provider_code": self.provider_code,
            }
        })
    }
}
