//! llm-conform: a conformance and regression harness for applications that speak the OpenAI
//! chat-completions format and route across many LLM providers.

pub mod api;
pub mod bench;
pub mod cli;
pub mod config;
pub mod fake;
pub mod fingerprint;
pub mod providers;
pub mod report;
pub mod router;
pub mod runner;
pub mod secrets;
pub mod snapshot;
pub mod suite;
pub mod transport;
