//! The integration tests of llm-conform-fakes: one binary, a module per concern.

#[path = "../../../../tests/support/samples.rs"]
mod common;

mod book;
mod catalog_agreement;
mod fake_anthropic;
mod fake_cohere;
mod fake_fidelity;
mod fake_gemini;
mod fake_openai;
mod fake_premium;
mod http_path;
