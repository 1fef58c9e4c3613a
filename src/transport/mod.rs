//! Sending native requests: live HTTP, record and replay.

mod exchange;
mod http;
mod stream_driver;

pub use exchange::{CallOutcome, Timings};
pub use http::{HttpTransport, TransportConfig};
pub use stream_driver::{StreamResult, decode_stream_bytes};
