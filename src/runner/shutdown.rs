//! Stopping a run early: the first Ctrl-C (or SIGTERM) stops dispatching and lets cases in flight
//! finish within a grace period; a second one, or the end of the grace period, aborts them. What
//! finished is reported, marked interrupted.

use std::time::Duration;

use tokio::sync::watch;

/// How far a run has been asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopLevel {
    Running,
    /// Start no new case; let those in flight finish.
    Drain,
    /// Abandon the cases in flight too.
    Abort,
}

/// The sending side, held by whoever listens for signals.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    tx: watch::Sender<(StopLevel, &'static str)>,
}

/// The receiving side, handed to the runner.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<(StopLevel, &'static str)>,
    /// How long cases in flight may take after a drain before they are aborted.
    pub grace: Duration,
}

impl Shutdown {
    /// A pair that never fires unless the handle is used.
    pub fn new(grace: Duration) -> (ShutdownHandle, Shutdown) {
        let (tx, rx) = watch::channel((StopLevel::Running, ""));
        (ShutdownHandle { tx }, Shutdown { rx, grace })
    }

    /// A shutdown that never fires, for runs nobody can interrupt (tests, benches).
    pub fn never() -> Shutdown {
        Shutdown::new(Duration::from_secs(10)).1
    }

    pub fn level(&self) -> StopLevel {
        self.rx.borrow().0
    }

    /// What asked the run to stop (`SIGINT`, `SIGTERM`), once something did.
    pub fn reason(&self) -> Option<&'static str> {
        let (level, why) = *self.rx.borrow();
        (level > StopLevel::Running).then_some(why)
    }

    /// Resolves once the level is at least `level`.
    pub async fn reached(&self, level: StopLevel) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|(l, _)| *l >= level).await.is_err() {
            // Nobody can ask any more: never.
            std::future::pending::<()>().await;
        }
    }
}

impl ShutdownHandle {
    /// Moves one step further: running → drain → abort.
    pub fn escalate(&self, why: &'static str) {
        self.tx.send_modify(|(level, reason)| {
            *level = match level {
                StopLevel::Running => StopLevel::Drain,
                _ => StopLevel::Abort,
            };
            if reason.is_empty() {
                *reason = why;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_signals_abort() {
        let (h, s) = Shutdown::new(Duration::from_secs(1));
        assert_eq!(s.level(), StopLevel::Running);
        assert_eq!(s.reason(), None);
        h.escalate("SIGINT");
        s.reached(StopLevel::Drain).await;
        assert_eq!(s.reason(), Some("SIGINT"));
        h.escalate("SIGTERM");
        s.reached(StopLevel::Abort).await;
        assert_eq!(s.reason(), Some("SIGINT"), "the first signal names the interruption");
    }
}
