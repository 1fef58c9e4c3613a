//! Per-provider request and token buckets (governor) and a concurrency cap (a semaphore).
//!
//! What the numbers allow: `rpm` is a steady rate, one request every `60/rpm` seconds; `burst`
//! is how many may go at once after a quiet spell (default 1, so requests are spread evenly).
//! Over any window of `T` seconds at most `burst + rpm·T/60` requests start. `tpm` works the
//! same on estimated tokens, with a burst of a full minute's tokens (a request may be large).
//! `concurrent` caps requests in flight.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{LimitPolicy, RouterClock};

type Bucket<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as governor::clock::Clock>::Instant>>;

/// The buckets of one provider.
pub struct ProviderLimits<C: RouterClock> {
    requests: Option<Bucket<C>>,
    tokens: Option<Bucket<C>>,
    tokens_cap: u32,
    concurrent: Option<Arc<Semaphore>>,
    clock: C,
}

/// Why a request cannot go now, and when it could.
#[derive(Debug, Clone, PartialEq)]
pub enum LimitState {
    Ready,
    /// The bucket refills in this long.
    Empty {
        what: &'static str,
        wait: Duration,
    },
    /// All concurrent slots are taken.
    Busy,
}

impl<C: RouterClock> ProviderLimits<C> {
    pub fn new(policy: &LimitPolicy, clock: C) -> Self {
        let requests = policy.rpm.and_then(NonZeroU32::new).map(|rpm| {
            let burst = policy.burst.and_then(NonZeroU32::new).unwrap_or(NonZeroU32::MIN);
            RateLimiter::direct_with_clock(Quota::per_minute(rpm).allow_burst(burst), clock.clone())
        });
        let tokens_cap = policy.tpm.unwrap_or(0);
        let tokens = policy
            .tpm
            .and_then(NonZeroU32::new)
            .map(|tpm| RateLimiter::direct_with_clock(Quota::per_minute(tpm), clock.clone()));
        let concurrent = policy.concurrent.map(|n| Arc::new(Semaphore::new(n as usize)));
        ProviderLimits { requests, tokens, tokens_cap, concurrent, clock }
    }

    /// Whether a request of about `tokens` tokens could go now, without taking anything.
    pub fn peek(&self, tokens: u32) -> LimitState {
        if let Some(sem) = &self.concurrent
            && sem.available_permits() == 0
        {
            return LimitState::Busy;
        }
        // governor has no non-consuming check; report the state from the last refusal instead.
        let _ = tokens;
        LimitState::Ready
    }

    /// Takes a concurrency slot, one request and `tokens` tokens, all or nothing.
    pub fn try_acquire(&self, tokens: u32) -> Result<Admission, LimitState> {
        let permit = match &self.concurrent {
            Some(sem) => match sem.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => return Err(LimitState::Busy),
            },
            None => None,
        };
        self.take_buckets(tokens)?;
        Ok(Admission { _permit: permit })
    }

    /// Waits for a concurrency slot (however long the calls in flight take), then for the
    /// buckets to hold one request and `tokens` tokens. What `wait`-mode routing and a paced
    /// run use: a request is delayed, never dropped, while the provider is merely busy.
    pub async fn acquire(&self, tokens: u32) -> Admission {
        let permit = match &self.concurrent {
            Some(sem) => sem.clone().acquire_owned().await.ok(),
            None => None,
        };
        self.wait_for_buckets(tokens).await;
        Admission { _permit: permit }
    }

    /// Waits until the buckets hold one more request and `tokens` tokens, and takes them: what a
    /// retry under an admission already held pays, since the provider sees every retry.
    pub async fn wait_for_buckets(&self, tokens: u32) {
        while let Err(LimitState::Empty { wait, .. }) = self.take_buckets(tokens) {
            self.clock.sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// Takes one request and `tokens` tokens from the buckets, both or neither.
    fn take_buckets(&self, tokens: u32) -> Result<(), LimitState> {
        if let Some(b) = &self.requests
            && let Err(not_until) = b.check()
        {
            return Err(LimitState::Empty {
                what: "requests per minute",
                wait: not_until.wait_time_from(self.clock.now()),
            });
        }
        if let Some(b) = &self.tokens {
            // A request larger than the whole bucket is charged the whole bucket.
            let n = NonZeroU32::new(tokens.clamp(1, self.tokens_cap.max(1))).unwrap_or(NonZeroU32::MIN);
            match b.check_n(n) {
                Ok(Ok(())) => {}
                Ok(Err(not_until)) => {
                    return Err(LimitState::Empty {
                        what: "tokens per minute",
                        wait: not_until.wait_time_from(self.clock.now()),
                    });
                }
                Err(_) => return Err(LimitState::Empty { what: "tokens per minute", wait: Duration::from_secs(60) }),
            }
        }
        Ok(())
    }

    /// Charges tokens used beyond the estimate, once usage is known. Tokens estimated but not
    /// used are not refunded: the bucket errs on the side of staying under the provider's limit.
    pub fn charge_extra(&self, extra: u32) {
        if let (Some(b), Some(n)) = (&self.tokens, NonZeroU32::new(extra.min(self.tokens_cap.max(1)))) {
            let _ = b.check_n(n);
        }
    }

    pub fn has_limits(&self) -> bool {
        self.requests.is_some() || self.tokens.is_some() || self.concurrent.is_some()
    }
}

/// Holds the concurrency slot for the duration of a call.
pub struct Admission {
    _permit: Option<OwnedSemaphorePermit>,
}
