//! The integration tests of llm-conform-gateway: one binary, a module per concern. Upstreams are
//! fake providers on 127.0.0.1 (`llm-conform-fakes`, in each family's wire format) or a
//! scripted server whose stream the test paces.

mod support;

mod auth;
mod endpoints;
mod errors;
mod limits;
mod python_sdk;
mod routing;
mod secrets;
mod shutdown;
mod streaming;
