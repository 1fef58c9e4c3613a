//! llm-conform: a conformance and regression harness for applications that speak the OpenAI
//! chat-completions format and route across many LLM providers.
//!
//! The adapters, router and transport it tests live in `llm-conform-core`; this crate holds
//! what only a harness needs: suites, the runner, fingerprints and snapshots, fixtures and their
//! replay, reports, benchmarks and the command line.

pub mod bench;
pub mod cli;
pub mod config;
pub mod diff;
pub mod fingerprint;
pub mod fingerprint_digest;
pub mod regular_file;
pub mod replay;
pub mod report;
pub mod results;
pub mod runner;
pub mod session;
pub mod snapshot;
pub mod snapshot_update;
pub mod suite;
pub mod toml_location;
pub mod write_guard;
