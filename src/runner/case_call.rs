//! A case's calls, direct or routed, all through a router: a direct case is a route to exactly
//! its provider and model (retried and paced by the run's policy when live), a routed scenario
//! a route through its tier. Either way the row's attempts are the router's.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use llm_conform_core::api::{ChatCompletion, ChatRequest, ProviderError};
use llm_conform_core::providers::ProviderSpec;
use llm_conform_core::router::{AttemptOutcome, CallResult, Candidate, RouteOutcome, Router, SendOutcome, Target};

use super::exec_context::{ExecContext, Source};
use super::provider_call::{CaseStop, call_provider};
use super::verdict::{Evidence, OUTAGE_KINDS};
use crate::results::{Attempt, CaseResult, JsonText};
use crate::suite::{CaseId, Mode, ROUTER_PROVIDER, RouteSpec, Scenario};

/// What a mode's calls came to, ready for judging.
pub struct CaseCalls {
    pub result: Result<ChatCompletion, ProviderError>,
    /// Canonical chunks of the last call, for a streamed case.
    pub chunks: Option<usize>,
    /// The route's path as a fingerprint keeps it (routed scenarios only).
    pub path: Vec<String>,
}

/// The scenario's request for one mode, with the tier's model where it names none.
pub fn case_request(scenario: &Scenario, spec: Option<&ProviderSpec>, mode: Mode) -> ChatRequest {
    let mut req: ChatRequest = scenario.request.clone();
    if req.model.is_empty()
        && let Some(s) = spec
    {
        req.model = s.model_for(&scenario.tier).unwrap_or_default().to_string();
    }
    req.stream = mode.is_stream().then_some(true);
    req
}

/// The last call's details, kept by the send closure for the row.
#[derive(Default)]
struct LastCall {
    ttft_ms: Option<f64>,
    chunks: usize,
    stops: Vec<(String, CaseStop)>,
}

/// Runs the route and fills the row's timings, usage, cost and attempts. `Err` when the case
/// stopped before the provider had its say, or was unavailable.
pub async fn run_calls(
    ctx: &ExecContext,
    scenario: &Scenario,
    id: &CaseId,
    req: &ChatRequest,
    row: &mut CaseResult,
) -> Result<CaseCalls, Evidence> {
    let (router, target, requests, owned);
    if let Some(route) = &scenario.route {
        (owned, target) = routed_router(ctx, route).map_err(|e| Evidence::Stopped(CaseStop::HarnessError(e)))?;
        router = &owned;
        requests = route.requests.max(1);
    } else {
        let source = ctx.source(id).map_err(|e| Evidence::Stopped(CaseStop::HarnessError(e.to_string())))?;
        router =
            if matches!(source, Source::Replay(_)) || ctx.local_upstream { &ctx.direct_once } else { &ctx.direct_live };
        target = Target::Model(Candidate { provider: id.provider.clone(), model: req.model.clone() });
        requests = 1;
    }
    let case_deadline =
        scenario.timeout_s.and_then(|s| Duration::try_from_secs_f64(s).ok()).unwrap_or(ctx.options.timeout);
    let last = Mutex::new(LastCall::default());
    let mut outcome = None;
    for _ in 0..requests {
        let o = route_once(ctx, scenario, id, req, router, &target, case_deadline, &last).await;
        row.attempts.extend(o.attempts.iter().cloned());
        outcome = Some(o);
    }
    let last = last.into_inner().unwrap_or_else(|p| p.into_inner());
    let outcome =
        outcome.ok_or_else(|| Evidence::Stopped(CaseStop::HarnessError("the route made no request".into())))?;
    if let Some((at, stop)) = last.stops.iter().find(|(_, s)| matches!(s, CaseStop::HarnessError(_))) {
        let CaseStop::HarnessError(why) = stop else { unreachable!() };
        return Err(Evidence::Stopped(CaseStop::HarnessError(format!("{at}: {why}"))));
    }
    fill_row(row, &outcome, last.ttft_ms, scenario.route.is_some());
    if !row.attempts.iter().any(|a| a.outcome.called()) {
        if let Some((_, stop)) = last.stops.into_iter().next() {
            return Err(Evidence::Stopped(stop));
        }
        if row.attempts.iter().any(|a| a.why.starts_with("cooling down")) {
            return Err(Evidence::Unavailable(format!(
                "{} unavailable: cooling down after repeated failures",
                id.provider
            )));
        }
    }
    if let Some(why) = outage(scenario, &outcome, &row.attempts) {
        return Err(Evidence::Unavailable(why));
    }
    let path =
        if scenario.route.is_some() { row.attempts.iter().map(Attempt::path_step).collect() } else { Vec::new() };
    let chunks = (scenario.route.is_none() && req.stream.unwrap_or(false)).then_some(last.chunks);
    Ok(CaseCalls { result: outcome.result, chunks, path })
}

/// One routed request: every attempt is a [`call_provider`] with its own fixture number.
#[allow(clippy::too_many_arguments)]
async fn route_once(
    ctx: &ExecContext,
    scenario: &Scenario,
    id: &CaseId,
    req: &ChatRequest,
    router: &Router,
    target: &Target,
    case_deadline: Duration,
    last: &Mutex<LastCall>,
) -> RouteOutcome {
    let calls: Mutex<HashMap<String, u32>> = Mutex::new(HashMap::new());
    let routed = scenario.route.is_some();
    router
        .route(req, target, |cand, attempt_req, deadline, _| {
            let call_id = {
                let mut calls = calls.lock().unwrap_or_else(|p| p.into_inner());
                let n = calls.entry(cand.provider.clone()).or_insert(0);
                *n += 1;
                // A direct case's retries replace its one fixture; a routed scenario numbers them.
                CaseId { provider: cand.provider.clone(), attempt: if routed { *n } else { 1 }, ..id.clone() }
            };
            let deadline = deadline.min(case_deadline);
            async move {
                match call_provider(ctx, &call_id, scenario, &attempt_req, deadline).await {
                    Ok(call) => {
                        let o = call.outcome;
                        let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
                        l.ttft_ms = o.timings.ttft_ms;
                        l.chunks = o.chunks.len();
                        SendOutcome::Called(CallResult {
                            result: o.result,
                            latency_ms: o.timings.total_ms,
                            ttft_ms: o.timings.ttft_ms,
                            status: o.raw.status,
                            notes: call.notes,
                        })
                    }
                    Err(stop) => {
                        let why = match &stop {
                            CaseStop::Skipped(w) | CaseStop::HarnessError(w) => w.clone(),
                        };
                        last.lock().unwrap_or_else(|p| p.into_inner()).stops.push((call_id.to_string(), stop));
                        SendOutcome::Skip(why)
                    }
                }
            }
        })
        .await
}

/// The router of a routed scenario: its own policy (or the run's), the run's shared limits.
fn routed_router(ctx: &ExecContext, route: &RouteSpec) -> Result<(Router, Target), String> {
    let policy = route
        .policy
        .clone()
        .unwrap_or_else(|| ctx.router_policy.clone())
        .with_catalog_tiers(&ctx.live, &ctx.live.names());
    let target = match &route.model {
        Some(m) => Target::Model(Candidate::parse(m).map_err(|e| e.to_string())?),
        None => Target::Tier(route.tier.clone().unwrap_or_else(|| policy.default_tier())),
    };
    let clock = llm_conform_core::router::RealClock::default();
    Ok((Router::with_limiters(policy, ctx.live.clone(), clock, ctx.limiters.clone()), target))
}

fn fill_row(row: &mut CaseResult, outcome: &RouteOutcome, ttft_ms: Option<f64>, routed: bool) {
    row.total_ms = row.attempts.iter().map(|a| a.latency_ms).sum();
    row.ttft_ms = ttft_ms;
    let costs: Vec<f64> = row.attempts.iter().filter_map(|a| a.cost_usd).collect();
    row.cost_usd = (!costs.is_empty()).then(|| costs.iter().sum());
    if routed {
        row.provider = ROUTER_PROVIDER.into();
        if let Some(c) = &outcome.served_by {
            row.model = c.to_string();
        }
    } else if let Ok(resp) = &outcome.result
        && !resp.model.is_empty()
    {
        row.model = resp.model.clone();
    }
    if let Ok(resp) = &outcome.result {
        row.usage = resp.usage.clone();
    }
    if let Err(e) = &outcome.result {
        row.error = JsonText::from_value(&e.to_json()["error"]).ok();
    }
}

/// Why the case is an outage rather than a result: it ended in a transient kind the scenario
/// does not ask for, after whatever retries the policy allowed.
fn outage(scenario: &Scenario, outcome: &RouteOutcome, attempts: &[Attempt]) -> Option<String> {
    let e = outcome.result.as_ref().err()?;
    let expected = scenario.expect.error_kind.as_ref().is_some_and(|k| k.contains(&e.kind))
        || (scenario.expect.error_kind.is_none()
            && scenario.expect.expected_outcome() == crate::fingerprint::Outcome::Error);
    if expected || !OUTAGE_KINDS.contains(&e.kind) {
        return None;
    }
    let called: Vec<&Attempt> = attempts.iter().filter(|a| a.outcome.called()).collect();
    let provider = called.last().map_or("the provider", |a| a.provider.as_str());
    Some(format!("{provider} unavailable: {} after {} attempt(s)", e.kind, called.len()))
}

/// Whether the answer came only after a retry that went differently (a 429, then the answer):
/// what makes a passing direct case flaky. Retries that all ended alike are not.
pub fn retried(attempts: &[Attempt]) -> bool {
    let called: Vec<AttemptOutcome> = attempts.iter().filter(|a| a.outcome.called()).map(|a| a.outcome).collect();
    match called.split_last() {
        Some((last, earlier)) => earlier.iter().any(|o| o != last && matches!(o, AttemptOutcome::Error(_))),
        None => false,
    }
}
