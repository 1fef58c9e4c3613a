use crate::api::{DEFAULT_MAX_TOOL_CALLS, ErrorKind, ProviderError};

/// Default cap on one response body, whole or streamed: generous for any chat completion
/// (inline images included), small enough that a runaway or hostile server cannot exhaust
/// memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// What one response may cost, because everything in it comes from a server we do not control.
///
/// Exceeding a limit is a `malformed_response` error naming the limit, in both modes: a
/// response that large is not one a caller can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// Bytes of the body: the whole body, or every byte of a stream together.
    pub max_bytes: usize,
    /// Distinct tool calls one streamed response may carry.
    pub max_tool_calls: usize,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        ResponseLimits { max_bytes: DEFAULT_MAX_RESPONSE_BYTES, max_tool_calls: DEFAULT_MAX_TOOL_CALLS }
    }
}

impl ResponseLimits {
    /// The error for a body past `max_bytes`.
    pub fn too_large(&self) -> ProviderError {
        ProviderError::new(
            ErrorKind::MalformedResponse,
            format!("failed to read response: it exceeds the response size cap of {} bytes", self.max_bytes),
        )
    }
}
