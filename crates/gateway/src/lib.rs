//! llm-conform-gateway: the router of `llm-conform-core` served as an OpenAI-compatible HTTP
//! endpoint, so applications change a base URL, not their code, and the suites test exactly
//! what runs in production.
//!
//! `POST /v1/chat/completions` (whole or streamed, whatever the provider's wire family),
//! `GET /v1/models`, `GET /health` and `GET /metrics`, behind client keys compared in constant
//! time, with a body cap, a per-request deadline and a graceful drain on shutdown.

mod access_log;
mod api_error;
mod app;
mod auth;
mod body;
mod chat;
mod completion_chunks;
mod config;
mod error;
mod health;
mod in_flight;
mod metrics;
mod models;
mod prepare_error;
mod response_headers;
mod server;
mod shutdown;
mod sse_frame;
mod streaming;
mod targets;
mod upstream;

pub use access_log::LogSink;
pub use api_error::{ApiError, status_for_kind};
pub use auth::ClientKeys;
pub use config::{ServeConfig, ServeConfigError};
pub use error::GatewayError;
pub use prepare_error::PrepareError;
pub use response_headers::{ATTEMPTS_HEADER, COST_HEADER, MODEL_HEADER, PROVIDER_HEADER};
pub use server::{Gateway, GatewaySetup, ServeSummary};
pub use shutdown::shutdown_signal;
pub use targets::Targets;
