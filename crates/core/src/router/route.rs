//! The router: which provider and model serve a request, and what to do when one fails, is
//! throttled, or answers badly. The harness runs the same code a team deploys.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use std::sync::Arc;

use super::decision::{self, OnError, OnSuccess};
use super::health::Health;
use super::limits::LimitState;
use super::tier_plan::{HealthTable, PlanEntry, PlanTable, TierPlan};
use super::{
    Attempt, AttemptOutcome, Candidate, Limiters, OnLimit, Profile, RealClock, RouterClock, RouterPolicy, cost_usd,
};
use crate::api::{ChatCompletion, ChatRequest, ErrorKind, ProviderError};
use crate::providers::Catalog;

/// Where a request should go: a tier (escalating from there) or one concrete model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tier(String),
    Model(Candidate),
}

/// What the caller's transport did with one attempt.
#[derive(Debug, Clone)]
// One per attempt, moved once: boxing the call would cost an allocation on the hot path to save
// copying a few hundred bytes.
#[allow(clippy::large_enum_variant)]
pub enum SendOutcome {
    Called(CallResult),
    /// The candidate could not be called at all (no key, say): skipped, not a failure.
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct CallResult {
    pub result: Result<ChatCompletion, ProviderError>,
    pub latency_ms: f64,
    /// Time to first token, when streamed: what the realtime profile ranks on.
    pub ttft_ms: Option<f64>,
    pub status: Option<u16>,
    /// The adapter's notes on what it changed to fit the API (`NativeRequest::notes`).
    pub notes: Vec<String>,
}

/// A routed request's result and every attempt on the way.
#[derive(Debug, Clone)]
pub struct RouteOutcome {
    pub result: Result<ChatCompletion, ProviderError>,
    pub attempts: Vec<Attempt>,
    pub served_by: Option<Candidate>,
}

/// A candidate in the order the router would try it, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlannedCandidate {
    pub candidate: Candidate,
    pub tier: String,
    /// `ready`, or why it would be skipped now.
    pub state: String,
    pub price: Option<(f64, f64)>,
    pub latency_ewma_ms: Option<f64>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("unknown tier `{tier}`; tiers: {known}")]
    UnknownTier { tier: String, known: String },
}

pub struct Router<C: RouterClock = RealClock> {
    policy: RouterPolicy,
    catalog: Catalog,
    clock: C,
    /// The tiers parsed and priced at construction (the policy never changes after it).
    table: PlanTable,
    health: Mutex<HealthTable<C::Instant>>,
    limits: Arc<Limiters<C>>,
    jitter_state: Mutex<u64>,
}

impl Router<RealClock> {
    pub fn new(policy: RouterPolicy, catalog: Catalog) -> Self {
        Router::with_clock(policy, catalog, RealClock::default())
    }
}

/// What trying one candidate came to.
enum CandidateEnd {
    /// The request is answered (or failed for good): return this.
    Done(RouteOutcome),
    /// Escalate to this tier.
    Escalate(String),
    /// Move on; the error, if the candidate was called and failed.
    MovedOn(Option<ProviderError>),
}

/// A route's running record: attempts so far and calls per provider.
struct Trail {
    attempts: Vec<Attempt>,
    calls: HashMap<String, u32>,
    tier: Option<String>,
}

impl Trail {
    fn skip(&mut self, cand: &Candidate, why: String) {
        self.attempts.push(Attempt {
            provider: cand.provider.clone(),
            model: cand.model.clone(),
            outcome: AttemptOutcome::Skipped,
            status: None,
            latency_ms: 0.0,
            cost_usd: None,
            why,
            tier: self.tier.clone(),
            notes: Vec::new(),
        });
    }

    fn next_call(&mut self, provider: &str) -> u32 {
        let c = self.calls.entry(provider.to_string()).or_insert(0);
        *c += 1;
        *c
    }
}

impl<C: RouterClock> Router<C>
where
    C::Instant: Send + Sync,
{
    /// A router on a given clock with the limits of its own policy; tests pass a
    /// [`super::FakeClock`].
    pub fn with_clock(policy: RouterPolicy, catalog: Catalog, clock: C) -> Self {
        let limits = Limiters::new(&policy.limits, &[], None, clock.clone());
        Router::with_limiters(policy, catalog, clock, limits)
    }

    /// A router whose providers' limits are `limits`, shared with every other router of the run:
    /// what a provider sees is then held however many routers call it.
    pub fn with_limiters(policy: RouterPolicy, catalog: Catalog, clock: C, limits: Arc<Limiters<C>>) -> Self {
        let mut health = HealthTable::default();
        let table = PlanTable::new(&policy, &catalog, &mut health);
        Router {
            policy,
            catalog,
            clock,
            table,
            health: Mutex::new(health),
            limits,
            jitter_state: Mutex::new(0x9e37_79b9_7f4a_7c15),
        }
    }

    pub fn policy(&self) -> &RouterPolicy {
        &self.policy
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The candidates of `target` in the order they would be tried now: what a route plans on
    /// every call, so it reads the precomputed tier and, for the realtime profile, the latency
    /// history, and formats nothing.
    pub fn candidates<'a>(&'a self, target: &'a Target) -> Result<Vec<&'a Candidate>, RouteError> {
        match target {
            Target::Model(c) => Ok(vec![c]),
            Target::Tier(t) => {
                let tier = self.tier(t)?;
                let entry = |i: usize| &tier.entries[i].candidate;
                Ok(match self.policy.profile {
                    // Fixed orders need no lock.
                    Profile::Ordered => tier.entries.iter().map(|e| &e.candidate).collect(),
                    Profile::Batch => tier.by_price.iter().map(|&i| entry(i)).collect(),
                    Profile::Realtime => {
                        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
                        self.order(tier, &health).into_iter().map(entry).collect()
                    }
                })
            }
        }
    }

    /// The candidates of `target` in the order they would be tried now, with their state and
    /// why they are where they are: for `route --explain` and the gateway's metrics, not the
    /// routing path.
    pub fn plan(&self, target: &Target) -> Result<Vec<PlannedCandidate>, RouteError> {
        let single;
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let (tier_name, entries, order) = match target {
            Target::Model(c) => {
                let price =
                    self.catalog.get(&c.provider).ok().and_then(|s| s.price(&c.model)).map(|p| (p.input, p.output));
                single = [PlanEntry { candidate: c.clone(), price, slot: usize::MAX, listed: 0 }];
                ("(model)", &single[..], vec![0])
            }
            Target::Tier(t) => {
                let tier = self.tier(t)?;
                (t.as_str(), &tier.entries[..], self.order(tier, &health))
            }
        };
        Ok(order
            .into_iter()
            .map(|i| {
                let e = &entries[i];
                let h = health.get(&e.candidate.provider);
                PlannedCandidate {
                    candidate: e.candidate.clone(),
                    tier: tier_name.to_string(),
                    state: self.state(&e.candidate, h),
                    price: e.price,
                    latency_ewma_ms: h.and_then(|h| h.latency_ewma_ms),
                    why: match self.policy.profile {
                        Profile::Ordered => format!("listed {} in tier {tier_name}", ordinal(e.listed + 1)),
                        Profile::Batch => "batch profile: cheapest first".to_string(),
                        Profile::Realtime => "realtime profile: lowest recent time to first token first".to_string(),
                    },
                }
            })
            .collect())
    }

    fn tier(&self, name: &str) -> Result<&TierPlan, RouteError> {
        self.table
            .tier(name)
            .ok_or_else(|| RouteError::UnknownTier { tier: name.to_string(), known: self.table.known() })
    }

    /// Indices into `tier.entries` in the profile's order. Sorts are stable: ties keep the
    /// configured order.
    fn order(&self, tier: &TierPlan, health: &HealthTable<C::Instant>) -> Vec<usize> {
        match self.policy.profile {
            Profile::Ordered => (0..tier.entries.len()).collect(),
            Profile::Batch => tier.by_price.clone(),
            Profile::Realtime => {
                let mut keyed: Vec<(f64, usize)> = tier
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let ewma = health.at(e.slot).and_then(|h| h.latency_ewma_ms);
                        (ewma.unwrap_or(f64::INFINITY), i)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                keyed.into_iter().map(|(_, i)| i).collect()
            }
        }
    }

    /// `ready`, or why the candidate would be skipped now, in words.
    fn state(&self, c: &Candidate, h: Option<&Health<C::Instant>>) -> String {
        match h.and_then(|h| h.cooldown_left(&self.clock)) {
            Some(left) => format!(
                "cooling down ({:.0}s left after {} consecutive failures)",
                left.as_secs_f64().ceil(),
                h.map_or(0, |h| h.consecutive_failures)
            ),
            None => match self.limits.get(&c.provider).map(|l| l.peek(1)) {
                Some(LimitState::Busy) => "busy (all concurrent slots taken)".to_string(),
                _ => "ready".to_string(),
            },
        }
    }

    /// Routes one request. `send` performs one attempt: it gets the candidate, the request with
    /// that candidate's model, the attempt's deadline, and how many calls this route has made to
    /// that provider so far (1 for the first).
    ///
    /// The loop over tiers and candidates lives here; what to do after each attempt is decided
    /// in [`decision`].
    pub async fn route<F, Fut>(&self, req: &ChatRequest, target: &Target, mut send: F) -> RouteOutcome
    where
        F: FnMut(Candidate, ChatRequest, Duration, u32) -> Fut,
        Fut: Future<Output = SendOutcome>,
    {
        let start = self.clock.now();
        let mut trail = Trail {
            attempts: Vec::new(),
            calls: HashMap::new(),
            tier: match target {
                Target::Tier(t) => Some(t.clone()),
                Target::Model(_) => None,
            },
        };
        let mut last_err: Option<ProviderError> = None;
        let mut visited: Vec<String> = Vec::new();
        loop {
            let tier_target;
            let current = match &trail.tier {
                Some(t) => {
                    tier_target = Target::Tier(t.clone());
                    &tier_target
                }
                None => target,
            };
            let planned = match self.candidates(current) {
                Ok(p) => p,
                Err(e) => return fail(ProviderError::new(ErrorKind::InvalidRequest, e.to_string()), trail.attempts),
            };
            visited.extend(trail.tier.clone());
            let mut limited: Vec<(&Candidate, Duration)> = Vec::new();
            let mut queue: Vec<(&Candidate, bool)> = planned.into_iter().map(|c| (c, false)).collect();
            let mut escalate = None;
            let mut qi = 0;
            while qi < queue.len() {
                let (cand, waited) = queue[qi];
                qi += 1;
                match self.try_candidate(req, cand, waited, start, &visited, &mut trail, &mut limited, &mut send).await
                {
                    CandidateEnd::Done(outcome) => return outcome,
                    CandidateEnd::Escalate(next) => {
                        escalate = Some(next);
                        break;
                    }
                    CandidateEnd::MovedOn(e) => last_err = e.or(last_err),
                }
                // Candidates passed over only because they were busy or out of budget get their
                // turn, soonest refill first, waiting for it: a request never fails while a
                // candidate is merely busy.
                if qi == queue.len() && self.policy.on_limit == OnLimit::Shift && !limited.is_empty() {
                    let mut later = std::mem::take(&mut limited);
                    later.sort_by_key(|(_, wait)| *wait);
                    queue.extend(later.into_iter().map(|(c, _)| (c, true)));
                }
            }
            match escalate {
                Some(next) => trail.tier = Some(next),
                None => return fail(last_err.unwrap_or_else(|| nothing_called(&trail.attempts)), trail.attempts),
            }
        }
    }

    /// Tries one candidate: cooldown and limits first, then calls with retries as decided.
    #[allow(clippy::too_many_arguments)]
    async fn try_candidate<'c, F, Fut>(
        &self,
        req: &ChatRequest,
        cand: &'c Candidate,
        waited: bool,
        start: C::Instant,
        visited: &[String],
        trail: &mut Trail,
        limited: &mut Vec<(&'c Candidate, Duration)>,
        send: &mut F,
    ) -> CandidateEnd
    where
        F: FnMut(Candidate, ChatRequest, Duration, u32) -> Fut,
        Fut: Future<Output = SendOutcome>,
    {
        if let Some(left) = self.health_of(&cand.provider, |h| h.cooldown_left(&self.clock)) {
            trail.skip(cand, format!("cooling down after repeated failures ({:.1}s left)", left.as_secs_f64()));
            return CandidateEnd::MovedOn(None);
        }
        let est = estimate_tokens(req);
        let _admission = match self.admit(cand, est, waited).await {
            Ok(a) => a,
            Err((what, wait)) => {
                trail.skip(
                    cand,
                    format!("{what}: shifting to the next candidate (refills in {:.1}s)", wait.as_secs_f64()),
                );
                limited.push((cand, wait));
                return CandidateEnd::MovedOn(None);
            }
        };
        let mut retry = 0u32;
        loop {
            let deadline = match self.attempt_deadline(start) {
                Ok(d) => d,
                Err(e) => return CandidateEnd::Done(fail(e, std::mem::take(&mut trail.attempts))),
            };
            let n = trail.next_call(&cand.provider);
            let mut attempt_req = req.clone();
            attempt_req.model = cand.model.clone();
            let call = match send(cand.clone(), attempt_req, deadline, n).await {
                SendOutcome::Skip(why) => {
                    trail.skip(cand, why);
                    return CandidateEnd::MovedOn(None);
                }
                SendOutcome::Called(c) => c,
            };
            let mut attempt = self.attempt_record(cand, &call, trail, retry);
            let meta = call_meta(&call);
            let e = match call.result {
                Ok(resp) => return self.answered(req, cand, resp, &meta, attempt, est, visited, trail),
                Err(e) => e,
            };
            attempt.outcome = AttemptOutcome::Error(e.kind);
            let entered = self.record_failure(&cand.provider, &e);
            match decision::on_error(&self.policy, &e, retry, entered, self.backoff(retry)) {
                OnError::Return { why } => {
                    attempt.why = why;
                    trail.attempts.push(attempt);
                    return CandidateEnd::Done(fail(e, std::mem::take(&mut trail.attempts)));
                }
                OnError::Retry { wait } => {
                    trail.attempts.push(attempt);
                    self.clock.sleep(wait).await;
                    // The provider sees every retry: each one pays the buckets again.
                    if let Some(l) = self.limits.get(&cand.provider) {
                        l.wait_for_buckets(est).await;
                    }
                    retry += 1;
                }
                OnError::NextCandidate { why } => {
                    if let Some(why) = why {
                        attempt.why =
                            if why.starts_with("Retry-After") { why } else { format!("{}; {why}", attempt.why) };
                    }
                    trail.attempts.push(attempt);
                    return CandidateEnd::MovedOn(Some(e));
                }
            }
        }
    }

    /// The next attempt's deadline: the attempt timeout, cut to what the route's latency budget
    /// has left; a timeout error once the budget is spent.
    fn attempt_deadline(&self, start: C::Instant) -> Result<Duration, ProviderError> {
        let deadline = self.policy.attempt_timeout_ms.map(Duration::from_millis).unwrap_or(Duration::from_secs(600));
        let Some(budget) = self.policy.latency_budget_ms.map(Duration::from_millis) else {
            return Ok(deadline);
        };
        let remaining = budget.saturating_sub(self.clock.since(start));
        if remaining.is_zero() {
            return Err(ProviderError::new(
                ErrorKind::Timeout,
                format!("latency budget of {} ms spent", budget.as_millis()),
            ));
        }
        Ok(deadline.min(remaining))
    }

    /// A response arrived: health and token accounting, then return it or escalate.
    #[allow(clippy::too_many_arguments)]
    fn answered(
        &self,
        req: &ChatRequest,
        cand: &Candidate,
        resp: ChatCompletion,
        meta: &(f64, Option<f64>),
        mut attempt: Attempt,
        est: u32,
        visited: &[String],
        trail: &mut Trail,
    ) -> CandidateEnd {
        let (latency_ms, ttft_ms) = *meta;
        self.with_health(&cand.provider, |h| h.record_success(ttft_ms.unwrap_or(latency_ms)));
        if let (Some(u), Some(l)) = (&resp.usage, self.limits.get(&cand.provider)) {
            let used = u.total_tokens.min(u32::MAX as u64) as u32;
            l.charge_extra(used.saturating_sub(est));
        }
        match decision::on_success(&self.policy, req, &resp, trail.tier.as_deref(), visited) {
            OnSuccess::Escalate { tier, why } => {
                attempt.outcome = AttemptOutcome::Escalated;
                attempt.why = why;
                trail.attempts.push(attempt);
                CandidateEnd::Escalate(tier)
            }
            OnSuccess::Return => {
                attempt.outcome = AttemptOutcome::Success;
                trail.attempts.push(attempt);
                let attempts = std::mem::take(&mut trail.attempts);
                CandidateEnd::Done(RouteOutcome { result: Ok(resp), attempts, served_by: Some(cand.clone()) })
            }
        }
    }

    /// The attempt's record before its outcome is known.
    fn attempt_record(&self, cand: &Candidate, call: &CallResult, trail: &Trail, retry: u32) -> Attempt {
        let cost = call.result.as_ref().ok().and_then(|r| {
            let price = self.catalog.get(&cand.provider).ok()?.price(&cand.model)?;
            Some(cost_usd(r.usage.as_ref()?, &price))
        });
        let why = if retry > 0 {
            format!("retry {retry} of {}", self.policy.retry.max_retries)
        } else if trail.attempts.is_empty() {
            "first candidate".into()
        } else {
            "next candidate".into()
        };
        Attempt {
            provider: cand.provider.clone(),
            model: cand.model.clone(),
            outcome: AttemptOutcome::Success,
            status: call.status,
            latency_ms: call.latency_ms,
            cost_usd: cost,
            why,
            tier: trail.tier.clone(),
            notes: call.notes.clone(),
        }
    }

    /// Counts a failure against the provider's health, but only one that says something about
    /// the provider (a kind the policy falls back on): a request the provider rightly rejected
    /// never puts it in cooldown. Returns whether it just entered cooldown.
    fn record_failure(&self, provider: &str, e: &ProviderError) -> bool {
        if !self.policy.fallback_on.contains(&e.kind) {
            return false;
        }
        let cd = &self.policy.cooldown;
        let period = Duration::try_from_secs_f64(cd.period_s).unwrap_or(Duration::from_secs(60));
        self.with_health(provider, |h| h.record_failure(&self.clock, &e.message, cd.failures, period))
    }

    /// Admission through the provider's buckets: now, or (waiting allowed) when they refill.
    async fn admit(
        &self,
        cand: &Candidate,
        tokens: u32,
        may_wait: bool,
    ) -> Result<Option<super::limits::Admission>, (String, Duration)> {
        let Some(limits) = self.limits.get(&cand.provider) else { return Ok(None) };
        if may_wait || self.policy.on_limit == OnLimit::Wait {
            return Ok(Some(limits.acquire(tokens).await));
        }
        match limits.try_acquire(tokens) {
            Ok(a) => Ok(Some(a)),
            Err(LimitState::Empty { what, wait }) => Err((format!("bucket empty: {what}"), wait)),
            Err(LimitState::Busy) => Err(("all concurrent slots taken".into(), Duration::from_millis(5))),
            Err(LimitState::Ready) => Ok(None),
        }
    }

    fn backoff(&self, retry: u32) -> Duration {
        let mut s = self.jitter_state.lock().unwrap_or_else(|p| p.into_inner());
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        decision::backoff(&self.policy, retry, *s)
    }

    fn health_of<T>(&self, provider: &str, f: impl FnOnce(&Health<C::Instant>) -> Option<T>) -> Option<T> {
        let h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        h.get(provider).and_then(f)
    }

    fn with_health<T>(&self, provider: &str, f: impl FnOnce(&mut Health<C::Instant>) -> T) -> T {
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        f(h.entry(provider))
    }
}

/// A call's latency and time to first token, kept before its result is taken apart.
fn call_meta(call: &CallResult) -> (f64, Option<f64>) {
    (call.latency_ms, call.ttft_ms)
}

/// The error of a route that called nobody: everyone limited is "rate limited" (try later);
/// otherwise the reasons the candidates could not be called (no key, cooling down).
fn nothing_called(attempts: &[Attempt]) -> ProviderError {
    let reasons: Vec<String> = attempts.iter().map(|a| format!("{}/{}: {}", a.provider, a.model, a.why)).collect();
    let all_limited = !attempts.is_empty() && attempts.iter().all(|a| a.why.contains("shifting to the next candidate"));
    let kind = if all_limited { ErrorKind::RateLimited } else { ErrorKind::Unsupported };
    ProviderError::new(kind, format!("no candidate could be called: {}", reasons.join("; ")))
}

fn fail(e: ProviderError, attempts: Vec<Attempt>) -> RouteOutcome {
    RouteOutcome { result: Err(e), attempts, served_by: None }
}

/// Tokens a request will use, estimated before the call: four characters a token for the
/// prompt, plus the output cap (or 256 when none is set).
pub fn estimate_tokens(req: &ChatRequest) -> u32 {
    let chars: usize = req.messages.iter().map(|m| m.text().len()).sum();
    let prompt = chars.div_ceil(4) as u32;
    prompt.saturating_add(req.output_cap().unwrap_or(256))
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        n => format!("{n}th"),
    }
}
