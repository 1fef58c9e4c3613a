//! Placeholder: replaced by the real adapter.

use reqwest::header::HeaderMap;

use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEvent, StreamDecoder, WireFamily};
use crate::api::{ChatCompletion, ChatCompletionChunk, ChatRequest, ErrorKind, ProviderError};

pub struct CohereAdapter;

impl Adapter for CohereAdapter {
    fn family(&self) -> WireFamily {
        WireFamily::Cohere
    }
    fn encode(&self, _req: &ChatRequest, spec: &ProviderSpec, _key: Option<&str>) -> Result<NativeRequest, EncodeError> {
        Err(EncodeError::new(spec, "not implemented"))
    }
    fn decode(&self, _body: &[u8], _hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
        Err(ProviderError::new(ErrorKind::Unsupported, "not implemented"))
    }
    fn stream_decoder(&self, _hints: &ResponseHints) -> Box<dyn StreamDecoder> {
        Box::new(Pending)
    }
    fn classify_error(&self, _status: u16, _headers: &HeaderMap, _body: &[u8]) -> ProviderError {
        ProviderError::new(ErrorKind::Unsupported, "not implemented")
    }
}

struct Pending;

impl StreamDecoder for Pending {
    fn event(&mut self, _ev: &SseEvent, _out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        Err(ProviderError::new(ErrorKind::Unsupported, "not implemented"))
    }
    fn is_done(&self) -> bool {
        false
    }
}
