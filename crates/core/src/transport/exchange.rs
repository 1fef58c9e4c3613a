use serde::{Deserialize, Serialize};

use crate::api::{ChatCompletion, ChatCompletionChunk, ProviderError};
use crate::providers::SseEvent;

/// Latency of one call, measured at the transport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Time until response headers arrived.
    pub ttfb_ms: Option<f64>,
    /// Time until the first chunk with output (streams only).
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
}

/// Everything one HTTP call produced: the canonical result, the canonical chunks of a stream,
/// timings, and the raw exchange for recording.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub result: Result<ChatCompletion, ProviderError>,
    pub chunks: Vec<ChatCompletionChunk>,
    pub timings: Timings,
    pub raw: RawResponse,
}

impl CallOutcome {
    /// A call the adapter refused before anything was sent (a request the model cannot take):
    /// the refusal is the result, and there is no exchange to record.
    pub fn refused(error: ProviderError) -> Self {
        CallOutcome { result: Err(error), chunks: Vec::new(), timings: Timings::default(), raw: RawResponse::default() }
    }
}

/// The native response as received: what a fixture stores.
#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Stream events with their offsets from the request start, in milliseconds.
    pub events: Vec<(f64, SseEvent)>,
    pub streamed: bool,
}
