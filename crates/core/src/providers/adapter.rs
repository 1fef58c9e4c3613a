use reqwest::header::HeaderMap;

use super::{NativeRequest, ProviderSpec, ResponseHints, SseEventRef, WireFamily};
use crate::api::{ChatCompletion, ChatCompletionChunk, ChatRequest, ErrorKind, ProviderError};

/// Translation between the canonical format and one wire family.
///
/// Adapters are pure: no I/O, no clocks, so every rule is testable on bytes alone and the
/// transport (live, record, replay) stays the same for every provider.
pub trait Adapter: Send + Sync {
    fn family(&self) -> WireFamily;

    /// Canonical request to native HTTP request. `key` is the credential, if any.
    fn encode(&self, req: &ChatRequest, spec: &ProviderSpec, key: Option<&str>) -> Result<NativeRequest, EncodeError>;

    /// A successful native response body to the canonical response, normalised.
    fn decode(&self, body: &[u8], hints: &ResponseHints) -> Result<ChatCompletion, ProviderError>;

    /// A fresh decoder for one streamed response.
    fn stream_decoder(&self, hints: &ResponseHints) -> Box<dyn StreamDecoder>;

    /// A failed response (status >= 400) to the error taxonomy.
    fn classify_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError;
}

/// Turns one stream's SSE events into canonical chunks.
pub trait StreamDecoder: Send {
    /// Handles one event; chunks it completes go to `out`. An error event is an `Err`. The
    /// event borrows the bytes it was read from (an owned [`super::SseEvent`] lends itself with
    /// `as_event_ref`).
    fn event(&mut self, ev: &SseEventRef<'_>, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError>;

    /// Whether the family's end marker (or a finish reason) has been seen.
    fn is_done(&self) -> bool;
}

/// A canonical request that cannot be expressed for the target.
///
/// `kind` tells a router what to do with it: an `invalid_request` would be refused by any
/// provider (another candidate will not help), an `unsupported` one only by this provider or
/// model (another may take it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to encode request for {provider}: {message}")]
pub struct EncodeError {
    pub provider: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl EncodeError {
    /// A request no provider could take as it is.
    pub fn new(spec: &ProviderSpec, message: impl Into<String>) -> Self {
        EncodeError { provider: spec.name.clone(), kind: ErrorKind::InvalidRequest, message: message.into() }
    }

    /// A request this provider or model cannot take, though another might.
    pub fn unsupported(spec: &ProviderSpec, message: impl Into<String>) -> Self {
        EncodeError { provider: spec.name.clone(), kind: ErrorKind::Unsupported, message: message.into() }
    }

    /// The error as the taxonomy a router decides on, for an attempt that never left.
    pub fn to_provider_error(&self) -> ProviderError {
        ProviderError::new(self.kind, self.to_string())
    }
}
