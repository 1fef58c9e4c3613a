//! The integration tests of llm-conform-core: one binary, a module per concern.

#[path = "../../../../tests/support/samples.rs"]
mod common;

mod adapter_anthropic;
mod adapter_cohere;
mod adapter_gemini;
mod adapter_openai;
mod adapter_openai_quirks;
mod decoder_robustness;
mod gemini_partial_args;
mod grounding;
mod prompt_caching;
mod reasoning;
mod response_limits;
mod retry_hints;
mod router;
mod stream_call;
mod stream_finish;
mod tool_arguments;
mod vision;
