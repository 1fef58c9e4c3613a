//! The canonical format: OpenAI chat completions, field for field.
//!
//! Everything inside llm-conform speaks these types; adapters are the only code that knows a
//! provider's native wire format.

mod accumulator;
mod chunk;
mod error_kind;
mod finish_reason;
mod json_output;
mod message;
mod normalize;
mod request;
mod response;
mod response_format;
mod tool;
mod usage;

pub use accumulator::{DEFAULT_MAX_TOOL_CALLS, StreamAccumulator};
pub use chunk::{ChatCompletionChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use error_kind::{ErrorKind, ProviderError};
pub use finish_reason::FinishReason;
pub use json_output::{schema_accepts, unfence};
pub use message::{CacheBreakpoint, Content, ContentPart, ImageUrl, Message, Role};
pub use normalize::{normalize_arguments, normalize_response};
pub use request::{ChatRequest, Stop, StreamOptions};
pub use response::{Annotation, ChatCompletion, Choice, ResponseMessage, UrlCitation};
pub use response_format::{JsonSchemaFormat, ResponseFormat};
pub use tool::{
    FunctionCall, FunctionDef, NamedFunction, Tool, ToolCall, ToolChoice, ToolChoiceMode, anthropic_thinking,
    anthropic_thinking_in, google_signature, thought_signature_in,
};
pub use usage::{CompletionTokensDetails, PromptTokensDetails, Usage};
