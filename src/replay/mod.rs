//! Fixtures and the servers that replay them: record (a live exchange, scrubbed, written as a
//! fixture), the wiremock replay server of offline runs, and the timed replay server that
//! serves stream events at their recorded offsets for benchmarks.

mod fixture;
mod fixture_match;
mod record;
mod replay_pool;
mod replay_server;
mod timed_replay;

pub use fixture::{Fixture, FixtureError, FixtureEvent, FixtureRequest, FixtureResponse, Provenance};
pub use record::{fixture_from_exchange, write_fixture};
pub use replay_pool::{ReplayLease, ReplayPool};
pub use replay_server::{REPLAY_ERROR_HEADER, ReplayServer};
pub use timed_replay::{Reply, ReplyBody, TimedReplayOptions, TimedReplayServer};
