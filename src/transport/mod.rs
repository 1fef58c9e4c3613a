//! Sending native requests: live HTTP, record (live + scrubbed fixture) and replay (wiremock
//! serving fixtures).

mod exchange;
mod fixture;
mod http;
mod record;
mod replay;
mod stream_driver;
mod timed_replay;

pub use exchange::{CallOutcome, RawResponse, Timings};
pub use fixture::{Fixture, FixtureError, FixtureEvent, FixtureRequest, FixtureResponse, Provenance};
pub use http::{HttpTransport, TransportConfig};
pub use record::{fixture_from_exchange, write_fixture};
pub use replay::{REPLAY_ERROR_HEADER, ReplayServer, json_diff};
pub use stream_driver::{StreamResult, StreamSession, decode_stream_bytes};
pub use timed_replay::{Reply, ReplyBody, TimedReplayOptions, TimedReplayServer};
