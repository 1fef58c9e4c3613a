//! Starting case groups as there is room for them, provider by provider.
//!
//! Every group used to be spawned at the start, each task then waiting for its provider's and the
//! run's permits: a 16× matrix held 8,500 waiting tasks (about 4 MB) for most of the run. Now each
//! provider has a window of started groups, twice its concurrency, and a group that ends makes
//! room for the next of the same provider. Providers stay independent (a slow or rate-limited one
//! never holds back the others, as one shared window would), and the permits decide the order
//! within the window exactly as before.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{Id, JoinSet};

use super::exec_context::ExecContext;
use super::group::run_group;
use super::plan::CaseGroup;
use super::run::panicked;
use super::{Shutdown, StopLevel};
use crate::results::{CaseResult, FinishedCase, RunEvent};

/// What a group's task gives back: its rows, or `None` when it stopped before starting.
pub type GroupRows = Option<Vec<CaseResult>>;

pub struct Dispatch {
    ctx: Arc<ExecContext>,
    events: mpsc::UnboundedSender<RunEvent>,
    shutdown: Shutdown,
    global: Arc<Semaphore>,
    /// Per provider: its permits and the groups not started yet, in plan order.
    providers: HashMap<Arc<str>, (Arc<Semaphore>, VecDeque<CaseGroup>)>,
    /// The groups started and not yet joined, by task.
    started: HashMap<Id, CaseGroup>,
    pub set: JoinSet<GroupRows>,
}

impl Dispatch {
    /// Starts the first window of every provider's groups.
    pub fn start(
        ctx: Arc<ExecContext>,
        groups: &[CaseGroup],
        events: mpsc::UnboundedSender<RunEvent>,
        shutdown: Shutdown,
    ) -> Dispatch {
        let per_provider = ctx.options.per_provider.max(1);
        let mut order: Vec<Arc<str>> = Vec::new();
        let mut providers: HashMap<Arc<str>, (Arc<Semaphore>, VecDeque<CaseGroup>)> = HashMap::new();
        for g in groups {
            let entry = providers.entry(g.provider.clone()).or_insert_with(|| {
                order.push(g.provider.clone());
                (Arc::new(Semaphore::new(per_provider)), VecDeque::new())
            });
            entry.1.push_back(g.clone());
        }
        let mut d = Dispatch {
            global: Arc::new(Semaphore::new(ctx.options.concurrency.max(1))),
            ctx,
            events,
            shutdown,
            providers,
            started: HashMap::new(),
            set: JoinSet::new(),
        };
        for provider in order {
            for _ in 0..2 * per_provider {
                d.start_next(&provider);
            }
        }
        d
    }

    /// The group a task ran, once it has been joined; the provider's next group starts in its
    /// place unless the run is stopping.
    pub fn joined(&mut self, id: Id) -> Option<CaseGroup> {
        let group = self.started.remove(&id)?;
        if self.shutdown.level() == StopLevel::Running {
            self.start_next(&group.provider);
        }
        Some(group)
    }

    /// Cases in groups never started (the run stopped first).
    pub fn never_started(&self) -> usize {
        self.providers.values().flat_map(|(_, q)| q).map(|g| g.modes.len()).sum()
    }

    fn start_next(&mut self, provider: &str) {
        let Some((provider_sem, queue)) = self.providers.get_mut(provider) else { return };
        let Some(g) = queue.pop_front() else { return };
        let (provider_sem, global) = (provider_sem.clone(), self.global.clone());
        let (ctx, events, stop, group) = (self.ctx.clone(), self.events.clone(), self.shutdown.clone(), g.clone());
        let handle = self.set.spawn(async move {
            // Provider first, then global: a provider at its limit never holds a global slot.
            let _p = provider_sem.acquire_owned().await.ok();
            let _g = global.acquire_owned().await.ok();
            if stop.level() > StopLevel::Running {
                return None;
            }
            for m in &group.modes {
                let _ = events.send(RunEvent::CaseStarted { case: group.case_id(*m) });
            }
            let results = match AssertUnwindSafe(run_group(&ctx, &group)).catch_unwind().await {
                Ok(results) => results,
                Err(payload) => panicked(&group, &*payload),
            };
            for r in &results {
                let _ = events.send(RunEvent::CaseFinished(FinishedCase::of(r)));
            }
            Some(results)
        });
        self.started.insert(handle.id(), g);
    }
}
