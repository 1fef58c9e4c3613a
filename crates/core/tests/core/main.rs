//! The integration tests of llm-conform-core: one binary, a module per concern.

#[path = "../../../../tests/support/samples.rs"]
mod common;

mod adapter_anthropic;
mod adapter_cohere;
mod adapter_gemini;
mod adapter_openai;
mod adapter_openai_quirks;
mod decoder_robustness;
mod grounding;
mod prompt_caching;
mod reasoning;
mod router;
mod vision;
