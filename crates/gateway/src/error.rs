use std::net::SocketAddr;

use llm_conform_core::api::ProviderError;
use llm_conform_core::secrets::SecretError;

use crate::ServeConfigError;

/// Why the gateway could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Config(#[from] ServeConfigError),
    #[error("failed to resolve client key {reference}")]
    ClientKey {
        reference: String,
        #[source]
        source: SecretError,
    },
    #[error("client key {reference} is not set")]
    ClientKeyMissing { reference: String },
    #[error("invalid listen address {addr:?}: expected HOST:PORT")]
    Address { addr: String },
    #[error(
        "refusing to listen on {addr} without client keys: anyone who can reach it could spend the provider keys; set [serve] keys or listen on a loopback address"
    )]
    Unauthenticated { addr: SocketAddr },
    #[error("failed to listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to build the upstream http client")]
    Transport(#[source] ProviderError),
    #[error("failed to serve")]
    Serve(#[source] std::io::Error),
}
