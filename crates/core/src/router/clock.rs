//! Time for the router: governor's clocks plus a way to wait, so that tests run the same code
//! on a fake clock that "sleeps" by advancing, deterministically and instantly.

use std::time::Duration;

use futures::future::BoxFuture;
use governor::clock::{Clock, FakeRelativeClock, MonotonicClock, Reference};
use governor::nanos::Nanos;

/// A clock the router can read and wait on.
pub trait RouterClock: Clock + Clone + Send + Sync + 'static {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;

    /// Time elapsed since `earlier`.
    fn since(&self, earlier: Self::Instant) -> Duration {
        Duration::from(self.now().duration_since(earlier))
    }

    /// `d` after now.
    fn after(&self, d: Duration) -> Self::Instant {
        self.now() + Nanos::from(d)
    }
}

/// Wall-clock time (the monotonic `Instant`); waiting is a tokio sleep.
///
/// Not governor's default quanta clock: building the first one calibrates the TSC against the
/// monotonic clock, spinning until 500 rounds agree within 10 ns or 200 ms pass — 0.6 ms on a
/// quiet machine, tens of milliseconds on a busy one (measured on the 2-core VM: the whole
/// variance of a short run's start-up), to save a few nanoseconds per reading on a path that
/// reads the clock a handful of times per request.
#[derive(Debug, Clone, Default)]
pub struct RealClock(MonotonicClock);

impl Clock for RealClock {
    type Instant = <MonotonicClock as Clock>::Instant;
    fn now(&self) -> Self::Instant {
        self.0.now()
    }
}

impl RouterClock for RealClock {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Test time: starts at zero, moves only when advanced or slept on.
#[derive(Debug, Clone, Default)]
pub struct FakeClock(FakeRelativeClock);

/// The longest single step a fake sleep takes, so absurd waits cannot overflow the clock.
const MAX_FAKE_STEP: Duration = Duration::from_secs(24 * 3600);

impl FakeClock {
    pub fn advance(&self, d: Duration) {
        self.0.advance(d.min(MAX_FAKE_STEP));
    }
}

impl Clock for FakeClock {
    type Instant = <FakeRelativeClock as Clock>::Instant;
    fn now(&self) -> Self::Instant {
        self.0.now()
    }
}

impl RouterClock for FakeClock {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.advance(d);
        Box::pin(std::future::ready(()))
    }
}
