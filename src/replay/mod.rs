//! Fixtures and the servers that replay them: record (a live exchange, scrubbed, written as a
//! fixture), the replay server of offline runs, and the timed replay server under it that can
//! also serve stream events at their recorded offsets, for benchmarks.

mod fixture;
mod record;
mod replay_server;
mod timed_replay;

pub use fixture::{Fixture, FixtureError, FixtureEvent, FixtureRequest, FixtureResponse, Provenance};
pub use record::{fixture_from_exchange, write_fixture};
pub use replay_server::{REPLAY_ERROR_HEADER, ReplayServer};
pub use timed_replay::{Reply, ReplyBody, TimedReplayOptions, TimedReplayServer};
