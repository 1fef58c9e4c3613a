use std::time::Duration;

use super::RouterClock;

/// What the router remembers about one provider: its failure streak, cooldown, and recent
/// latency.
#[derive(Debug, Clone)]
pub struct Health<I> {
    pub consecutive_failures: u32,
    /// Skipped until then; after it, one request probes the provider.
    pub cooldown_until: Option<I>,
    /// Exponentially weighted time to first token (or total time for whole responses), ms.
    pub latency_ewma_ms: Option<f64>,
    pub last_error: Option<String>,
}

impl<I> Default for Health<I> {
    fn default() -> Self {
        Health { consecutive_failures: 0, cooldown_until: None, latency_ewma_ms: None, last_error: None }
    }
}

/// How much a new latency sample moves the average.
const EWMA_WEIGHT: f64 = 0.3;

impl<I: governor::clock::Reference> Health<I> {
    pub fn in_cooldown<C: RouterClock<Instant = I>>(&self, clock: &C) -> bool {
        self.cooldown_until.is_some_and(|until| clock.now() < until)
    }

    /// Time left in cooldown.
    pub fn cooldown_left<C: RouterClock<Instant = I>>(&self, clock: &C) -> Option<Duration> {
        let until = self.cooldown_until?;
        let now = clock.now();
        (now < until).then(|| Duration::from(governor::clock::Reference::duration_since(&until, now)))
    }

    pub fn record_success(&mut self, latency_ms: f64) {
        self.consecutive_failures = 0;
        self.cooldown_until = None;
        self.latency_ewma_ms = Some(match self.latency_ewma_ms {
            Some(prev) => prev * (1.0 - EWMA_WEIGHT) + latency_ms * EWMA_WEIGHT,
            None => latency_ms,
        });
    }

    /// Counts a failure; returns whether the provider just entered cooldown.
    pub fn record_failure<C: RouterClock<Instant = I>>(
        &mut self,
        clock: &C,
        message: &str,
        threshold: u32,
        period: Duration,
    ) -> bool {
        self.consecutive_failures += 1;
        self.last_error = Some(message.to_string());
        if threshold > 0 && self.consecutive_failures >= threshold && !self.in_cooldown(clock) {
            self.cooldown_until = Some(clock.after(period));
            return true;
        }
        false
    }
}
