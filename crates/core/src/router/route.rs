//! The router: which provider and model serve a request, and what to do when one fails, is
//! throttled, or answers badly. The harness runs the same code a team deploys.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use super::health::Health;
use super::limits::{LimitState, ProviderLimits};
use super::validator::failed_validation;
use super::{Attempt, Candidate, OnLimit, Profile, RealClock, RouterClock, RouterPolicy, cost_usd};
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
    health: Mutex<HashMap<String, Health<C::Instant>>>,
    limits: HashMap<String, ProviderLimits<C>>,
    jitter_state: Mutex<u64>,
}

impl Router<RealClock> {
    pub fn new(policy: RouterPolicy, catalog: Catalog) -> Self {
        Router::with_clock(policy, catalog, RealClock::default())
    }
}

impl<C: RouterClock> Router<C>
where
    C::Instant: Send + Sync,
{
    /// A router on a given clock; tests pass a [`super::FakeClock`].
    pub fn with_clock(policy: RouterPolicy, catalog: Catalog, clock: C) -> Self {
        let limits = policy.limits.iter().map(|(p, l)| (p.clone(), ProviderLimits::new(l, clock.clone()))).collect();
        Router {
            policy,
            catalog,
            clock,
            health: Mutex::new(HashMap::new()),
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

    /// The candidates of `target` in the order they would be tried now, with their state.
    pub fn plan(&self, target: &Target) -> Result<Vec<PlannedCandidate>, RouteError> {
        let (tier, listed) = match target {
            Target::Model(c) => ("(model)".to_string(), vec![c.clone()]),
            Target::Tier(t) => {
                let tier = self.policy.tiers.get(t).ok_or_else(|| RouteError::UnknownTier {
                    tier: t.clone(),
                    known: self.policy.tiers.keys().cloned().collect::<Vec<_>>().join(", "),
                })?;
                (t.clone(), tier.candidates.iter().filter_map(|c| Candidate::parse(c).ok()).collect())
            }
        };
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let mut planned: Vec<PlannedCandidate> = listed
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let h = health.get(&c.provider);
                let price =
                    self.catalog.get(&c.provider).ok().and_then(|s| s.price(&c.model)).map(|p| (p.input, p.output));
                let state = match h.and_then(|h| h.cooldown_left(&self.clock)) {
                    Some(left) => format!(
                        "cooling down ({:.0}s left after {} consecutive failures)",
                        left.as_secs_f64().ceil(),
                        h.map_or(0, |h| h.consecutive_failures)
                    ),
                    None => match self.limits.get(&c.provider).map(|l| l.peek(1)) {
                        Some(LimitState::Busy) => "busy (all concurrent slots taken)".to_string(),
                        _ => "ready".to_string(),
                    },
                };
                let why = match self.policy.profile {
                    Profile::Ordered => format!("listed {} in tier {tier}", ordinal(i + 1)),
                    Profile::Batch => "batch profile: cheapest first".to_string(),
                    Profile::Realtime => "realtime profile: lowest recent time to first token first".to_string(),
                };
                PlannedCandidate {
                    candidate: c,
                    tier: tier.clone(),
                    state,
                    price,
                    latency_ewma_ms: h.and_then(|h| h.latency_ewma_ms),
                    why,
                }
            })
            .collect();
        match self.policy.profile {
            Profile::Ordered => {}
            Profile::Batch => planned.sort_by(|a, b| {
                let cost = |p: &PlannedCandidate| p.price.map_or(f64::INFINITY, |(i, o)| i + o);
                cost(a).total_cmp(&cost(b))
            }),
            Profile::Realtime => planned.sort_by(|a, b| {
                a.latency_ewma_ms.unwrap_or(f64::INFINITY).total_cmp(&b.latency_ewma_ms.unwrap_or(f64::INFINITY))
            }),
        }
        Ok(planned)
    }

    /// Routes one request. `send` performs one attempt: it gets the candidate, the request with
    /// that candidate's model, the attempt's deadline, and how many calls this route has made to
    /// that provider so far (1 for the first).
    pub async fn route<F, Fut>(&self, req: &ChatRequest, target: &Target, mut send: F) -> RouteOutcome
    where
        F: FnMut(Candidate, ChatRequest, Duration, u32) -> Fut,
        Fut: Future<Output = SendOutcome>,
    {
        let start = self.clock.now();
        let budget = self.policy.latency_budget_ms.map(Duration::from_millis);
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut calls: HashMap<String, u32> = HashMap::new();
        let mut tier = match target {
            Target::Tier(t) => Some(t.clone()),
            Target::Model(_) => None,
        };
        let mut last_err: Option<ProviderError> = None;
        let mut visited_tiers: Vec<String> = Vec::new();
        loop {
            let planned = match self.plan(&match &tier {
                Some(t) => Target::Tier(t.clone()),
                None => target.clone(),
            }) {
                Ok(p) => p,
                Err(e) => return fail(ProviderError::new(ErrorKind::InvalidRequest, e.to_string()), attempts),
            };
            if let Some(t) = &tier {
                visited_tiers.push(t.clone());
            }
            let tier_label = tier.clone();
            let mut limited: Vec<(Candidate, Duration)> = Vec::new();
            let mut escalate: Option<String> = None;
            let mut queue: Vec<(Candidate, bool)> = planned.into_iter().map(|p| (p.candidate, false)).collect();
            let mut qi = 0;
            while qi < queue.len() {
                let (cand, waited_already) = queue[qi].clone();
                qi += 1;
                let skip = |attempts: &mut Vec<Attempt>, why: String| {
                    attempts.push(Attempt {
                        provider: cand.provider.clone(),
                        model: cand.model.clone(),
                        outcome: "skipped".into(),
                        status: None,
                        latency_ms: 0.0,
                        cost_usd: None,
                        why,
                        tier: tier_label.clone(),
                    })
                };
                let cooldown = self.health_of(&cand.provider, |h| h.cooldown_left(&self.clock));
                if let Some(left) = cooldown {
                    skip(
                        &mut attempts,
                        format!("cooling down after repeated failures ({:.1}s left)", left.as_secs_f64()),
                    );
                    continue;
                }
                let est = estimate_tokens(req);
                let _admission = match self.admit(&cand, est, waited_already).await {
                    Ok(a) => a,
                    Err((what, wait)) => {
                        skip(
                            &mut attempts,
                            format!("{what}: shifting to the next candidate (refills in {:.1}s)", wait.as_secs_f64()),
                        );
                        limited.push((cand.clone(), wait));
                        continue;
                    }
                };
                let mut retry = 0u32;
                loop {
                    let remaining = budget.map(|b| b.saturating_sub(self.clock.since(start)));
                    if remaining.is_some_and(|r| r.is_zero()) {
                        let e = ProviderError::new(
                            ErrorKind::Timeout,
                            format!("latency budget of {} ms spent", budget.map_or(0, |b| b.as_millis())),
                        );
                        return fail(e, attempts);
                    }
                    let mut deadline =
                        self.policy.attempt_timeout_ms.map(Duration::from_millis).unwrap_or(Duration::from_secs(600));
                    if let Some(r) = remaining {
                        deadline = deadline.min(r);
                    }
                    let n = {
                        let c = calls.entry(cand.provider.clone()).or_insert(0);
                        *c += 1;
                        *c
                    };
                    let mut attempt_req = req.clone();
                    attempt_req.model = cand.model.clone();
                    let outcome = send(cand.clone(), attempt_req, deadline, n).await;
                    let call = match outcome {
                        SendOutcome::Skip(why) => {
                            skip(&mut attempts, why);
                            break;
                        }
                        SendOutcome::Called(c) => c,
                    };
                    let cost = call.result.as_ref().ok().and_then(|r| {
                        let price = self.catalog.get(&cand.provider).ok()?.price(&cand.model)?;
                        Some(cost_usd(r.usage.as_ref()?, &price))
                    });
                    let mut attempt = Attempt {
                        provider: cand.provider.clone(),
                        model: cand.model.clone(),
                        outcome: String::new(),
                        status: call.status,
                        latency_ms: call.latency_ms,
                        cost_usd: cost,
                        why: if !attempts.is_empty() || retry > 0 {
                            "next candidate".into()
                        } else {
                            "first candidate".into()
                        },
                        tier: tier_label.clone(),
                    };
                    if retry > 0 {
                        attempt.why = format!("retry {retry} of {}", self.policy.retry.max_retries);
                    }
                    match call.result {
                        Ok(resp) => {
                            self.with_health(&cand.provider, |h| {
                                h.record_success(call.ttft_ms.unwrap_or(call.latency_ms))
                            });
                            if let (Some(u), Some(l)) = (&resp.usage, self.limits.get(&cand.provider)) {
                                let used = u.total_tokens.min(u32::MAX as u64) as u32;
                                l.charge_extra(used.saturating_sub(est));
                            }
                            let next_tier = tier
                                .as_ref()
                                .and_then(|t| self.policy.tiers.get(t))
                                .and_then(|t| t.escalate_to.clone());
                            if let Some(why) = failed_validation(&self.policy.escalation, req, &resp)
                                && let Some(next) = next_tier.filter(|n| !visited_tiers.contains(n))
                            {
                                attempt.outcome = "escalated".into();
                                attempt.why = format!("{why}: escalating to tier {next}");
                                attempts.push(attempt);
                                escalate = Some(next);
                                break;
                            }
                            attempt.outcome = "success".into();
                            attempts.push(attempt);
                            return RouteOutcome { result: Ok(resp), attempts, served_by: Some(cand) };
                        }
                        Err(e) => {
                            attempt.outcome = e.kind.as_str().into();
                            let cd = &self.policy.cooldown;
                            let entered = self.with_health(&cand.provider, |h| {
                                h.record_failure(
                                    &self.clock,
                                    &e.message,
                                    cd.failures,
                                    Duration::try_from_secs_f64(cd.period_s).unwrap_or(Duration::from_secs(60)),
                                )
                            });
                            if !self.policy.fallback_on.contains(&e.kind) {
                                attempt.why =
                                    format!("{} is not a fallback error: the request itself is at fault", e.kind);
                                attempts.push(attempt);
                                return fail(e, attempts);
                            }
                            let cap = Duration::from_millis(self.policy.retry.retry_after_cap_ms);
                            let can_retry = retry < self.policy.retry.max_retries && !entered;
                            let wait = e.retry_after.unwrap_or_else(|| self.backoff(retry));
                            if entered {
                                attempt.why =
                                    format!("{}; {} consecutive failures: cooling down", attempt.why, cd.failures);
                            }
                            if can_retry && e.retry_after.is_some_and(|r| r > cap) {
                                attempt.why = format!(
                                    "Retry-After {:.0}s exceeds the {:.0}s cap: shifting to the next candidate",
                                    wait.as_secs_f64(),
                                    cap.as_secs_f64()
                                );
                                attempts.push(attempt);
                                last_err = Some(e);
                                break;
                            }
                            attempts.push(attempt);
                            last_err = Some(e);
                            if can_retry {
                                self.clock.sleep(wait.min(cap)).await;
                                retry += 1;
                                continue;
                            }
                            break;
                        }
                    }
                }
                if escalate.is_some() {
                    break;
                }
                // Every candidate so far was only limited: wait for the one that refills first
                // rather than fail while a candidate is merely busy.
                if qi == queue.len()
                    && self.policy.on_limit == OnLimit::Shift
                    && last_err.is_none()
                    && let Some((c, _)) = limited.iter().min_by(|a, b| a.1.cmp(&b.1)).cloned()
                    && !queue.iter().any(|(_, waited)| *waited)
                {
                    queue.push((c, true));
                }
            }
            match escalate {
                Some(next) => tier = Some(next),
                None => {
                    let e = last_err
                        .unwrap_or_else(|| ProviderError::new(ErrorKind::RateLimited, "every candidate was skipped"));
                    return fail(e, attempts);
                }
            }
        }
    }

    /// Admission through the provider's buckets: now, or (waiting allowed) when they refill.
    async fn admit(
        &self,
        cand: &Candidate,
        tokens: u32,
        may_wait: bool,
    ) -> Result<Option<super::limits::Admission>, (String, Duration)> {
        let Some(limits) = self.limits.get(&cand.provider) else { return Ok(None) };
        let wait_allowed = may_wait || self.policy.on_limit == OnLimit::Wait;
        // Bounded: a bucket that never refills (a request larger than it) is reported, not awaited.
        for _ in 0..10_000 {
            match limits.try_acquire(tokens) {
                Ok(a) => return Ok(Some(a)),
                Err(LimitState::Empty { what, wait }) if wait_allowed => {
                    self.clock.sleep(wait.max(Duration::from_millis(1))).await;
                    let _ = what;
                }
                Err(LimitState::Busy) if wait_allowed => self.clock.sleep(Duration::from_millis(5)).await,
                Err(LimitState::Empty { what, wait }) => return Err((format!("bucket empty: {what}"), wait)),
                Err(LimitState::Busy) => return Err(("all concurrent slots taken".into(), Duration::from_millis(5))),
                Err(LimitState::Ready) => return Ok(None),
            }
        }
        Err(("bucket did not refill".into(), Duration::from_secs(60)))
    }

    fn backoff(&self, retry: u32) -> Duration {
        let r = &self.policy.retry;
        let exp = r.base_ms.saturating_mul(1u64 << retry.min(20)).min(r.max_ms);
        let ms = if r.jitter {
            let mut s = self.jitter_state.lock().unwrap_or_else(|p| p.into_inner());
            *s ^= *s << 13;
            *s ^= *s >> 7;
            *s ^= *s << 17;
            exp / 2 + (*s % (exp / 2 + 1))
        } else {
            exp
        };
        Duration::from_millis(ms)
    }

    fn health_of<T>(&self, provider: &str, f: impl FnOnce(&Health<C::Instant>) -> Option<T>) -> Option<T> {
        let h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        h.get(provider).and_then(f)
    }

    fn with_health<T>(&self, provider: &str, f: impl FnOnce(&mut Health<C::Instant>) -> T) -> T {
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        f(h.entry(provider.to_string()).or_default())
    }
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
