//! Adapters: one per wire family, the only code that knows a native API.

mod adapter;
mod anthropic;
mod catalog;
pub mod classify;
mod cohere;
mod gemini;
mod gemini_partial_args;
mod native_request;
mod openai;
pub mod parse;
mod provider_spec;
pub mod sse;
mod wire_family;

pub use adapter::{Adapter, EncodeError, StreamDecoder};
pub use anthropic::AnthropicAdapter;
pub use catalog::{Catalog, CatalogError};
pub use cohere::CohereAdapter;
pub use gemini::{GeminiAdapter, reduce_schema};
pub use native_request::{NativeRequest, ResponseHints};
pub use openai::OpenAiAdapter;
pub use provider_spec::{AuthStyle, Price, ProviderSpec, Quirks, Tiers};
pub use sse::{DEFAULT_MAX_EVENT_BYTES, SseError, SseEvent, SseParser};
pub use wire_family::WireFamily;
