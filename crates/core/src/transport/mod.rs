//! Sending native requests over HTTP and decoding what comes back, streamed or whole.

mod exchange;
mod http;
mod response_limits;
mod scrub;
mod stream_call;
mod stream_driver;

pub use exchange::{CallOutcome, RawResponse, Timings};
pub use http::{DEFAULT_CALL_TIMEOUT, HttpTransport, TransportConfig};
pub use response_limits::{DEFAULT_MAX_RESPONSE_BYTES, ResponseLimits};
pub use scrub::scrub_error;
pub use stream_call::{ChunkStream, MAX_RESPONSE_BYTES, StreamStart};
pub use stream_driver::{StreamResult, StreamSession, decode_stream_bytes};
