//! Adapters: one per wire family, the only code that knows a native API.

mod adapter;
mod anthropic;
mod anthropic_cache;
mod anthropic_citations;
mod anthropic_read;
mod anthropic_thinking;
mod auth_style;
mod capabilities;
mod catalog;
pub mod classify;
mod cohere;
mod cohere_event;
mod cohere_response;
mod gemini;
mod gemini_grounding;
mod gemini_partial_args;
mod gemini_read;
mod json_build;
mod json_cursor;
mod model_quirks;
mod native_request;
mod openai;
mod openai_request;
mod openai_wire;
pub mod parse;
mod provider_spec;
mod quirks;
mod request_body;
mod spec_error;
pub mod sse;
mod tiers;
mod wire_de;
mod wire_family;

pub use adapter::{Adapter, EncodeError, StreamDecoder};
pub use anthropic::AnthropicAdapter;
pub use auth_style::AuthStyle;
pub use catalog::{Catalog, CatalogError};
pub use cohere::CohereAdapter;
pub use gemini::{GeminiAdapter, reduce_schema};
pub use model_quirks::{ModelPattern, ResolvedModelQuirks};
pub use native_request::{NativeRequest, ResponseHints};
pub use openai::OpenAiAdapter;
pub use provider_spec::{Price, ProviderSpec};
pub use quirks::{
    ApiVersion, FinalAssistant, JsonSchemaSupport, LateSystem, MaxTokensParam, Quirks, Reasoning, RequiredChoice,
    ToolCallIdFormat,
};
pub use request_body::RequestBody;
pub use spec_error::SpecError;
pub use sse::{DEFAULT_MAX_EVENT_BYTES, SseError, SseEvent, SseEventRef, SseParser};
pub use tiers::{Tier, Tiers};
pub use wire_family::WireFamily;
