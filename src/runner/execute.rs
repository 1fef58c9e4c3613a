//! One group of cases: a scenario on one provider, in each of its modes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::{RunMode, RunOptions};
use crate::fingerprint::{Fingerprint, FingerprintInput, Outcome};
use crate::replay::{Provenance, REPLAY_ERROR_HEADER, fixture_from_exchange, write_fixture};
use crate::results::{Attempt, CaseResult, CaseStatus, SnapshotState};
use crate::snapshot::SnapshotStore;
use crate::suite::{CaseId, Mode, ROUTER_PROVIDER, Scenario};
use llm_conform_core::api::{ChatCompletion, ChatRequest, ProviderError};
use llm_conform_core::providers::{Catalog, ProviderSpec};
use llm_conform_core::router::{CallResult, Candidate, Router, RouterPolicy, SendOutcome, Target, cost_usd};
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::{CallOutcome, HttpTransport};
use llm_conform_mock::{CASE_HEADER, INVALID_KEY};

/// Stands in for a key in replay, where none is needed; it never reaches a provider.
pub const REPLAY_KEY: &str = "replay-placeholder-key";

/// What every case of a run shares.
pub struct ExecContext {
    pub live: Catalog,
    /// The catalog with every base URL pointing at the replay server.
    pub replay: Option<Catalog>,
    pub transport: HttpTransport,
    pub keys: Arc<KeyStore>,
    pub options: RunOptions,
    pub snapshots: Option<SnapshotStore>,
    /// Include faults that only fakes can produce (fixture synthesis).
    pub synthesize: bool,
    /// The policy routed scenarios use when they bring none.
    pub router_policy: RouterPolicy,
}

/// Where one case's response comes from.
enum Source<'a> {
    Replay(&'a ProviderSpec),
    Live { spec: &'a ProviderSpec, record: bool },
}

struct ModeOutcome {
    result: CaseResult,
    fingerprint: Option<Fingerprint>,
}

pub async fn run_group(
    ctx: &ExecContext,
    suite: &str,
    scenario: &Scenario,
    provider: &str,
    modes: &[Mode],
) -> Vec<CaseResult> {
    // A seam for the regression test of "a panicking case vanishes": no input can make a case
    // panic any more, so debug builds can be told to.
    #[cfg(debug_assertions)]
    if let Ok(target) = std::env::var("LLM_CONFORM_DEBUG_PANIC_CASE")
        && modes.iter().any(|&m| CaseId::new(suite, &scenario.id, provider, m).to_string() == target)
    {
        panic!("injected panic in {target}");
    }
    // The modes of a group are independent calls: run them side by side, then compare.
    let outs: Vec<ModeOutcome> = futures::future::join_all(modes.iter().map(|&mode| async move {
        match scenario.route {
            Some(_) => run_routed(ctx, suite, scenario, mode).await,
            None => run_case(ctx, suite, scenario, provider, mode).await,
        }
    }))
    .await;
    // A stream must reassemble to what the non-stream call gives.
    let cross_check = scenario.expect.stream_matches_non_stream.unwrap_or(true);
    let non_stream = outs.iter().find(|o| !o.result.stream).and_then(|o| o.fingerprint.clone());
    let mut results = Vec::new();
    for mut o in outs {
        if cross_check
            && o.result.stream
            && let (Some(ns), Some(s)) = (&non_stream, &o.fingerprint)
            && ns.without_stream() != s.without_stream()
            && matches!(o.result.status, CaseStatus::Pass | CaseStatus::Fail)
        {
            let a = serde_json::to_value(ns.without_stream()).unwrap_or_default();
            let b = serde_json::to_value(s.without_stream()).unwrap_or_default();
            let msg = format!(
                "stream and non-stream calls disagree (a stream must reassemble to the non-stream response; diff non_stream → stream):\n{}",
                crate::diff::json_diff(&a, &b)
            );
            o.result.reason = Some(match o.result.reason.take() {
                Some(r) => format!("{r}; {msg}"),
                None => msg,
            });
            o.result.status = CaseStatus::Fail;
        }
        apply_xfail(&mut o.result, scenario, provider);
        results.push(o.result);
    }
    results
}

fn apply_xfail(r: &mut CaseResult, scenario: &Scenario, provider: &str) {
    let mode = if r.stream { Mode::Stream } else { Mode::NonStream };
    let Some(x) = scenario.xfail_for(provider, mode) else { return };
    r.xfail_link = x.link.clone();
    match r.status {
        CaseStatus::Fail => {
            r.status = CaseStatus::Xfail;
            r.reason = Some(format!("{} (known: {})", r.reason.take().unwrap_or_default(), x.reason));
        }
        CaseStatus::Pass => {
            r.status = CaseStatus::Xpass;
            r.reason = Some(format!("expected to fail ({}) but passed: remove the xfail", x.reason));
        }
        _ => {}
    }
}

pub(super) fn base_result(suite: &str, scenario: &Scenario, provider: &str, mode: Mode, model: &str) -> CaseResult {
    CaseResult {
        suite: suite.to_string(),
        scenario: scenario.id.clone(),
        provider: provider.to_string(),
        model: model.to_string(),
        stream: mode.is_stream(),
        tags: scenario.tags.clone(),
        status: CaseStatus::Skipped,
        reason: None,
        fingerprint: None,
        ttft_ms: None,
        total_ms: 0.0,
        usage: None,
        cost_usd: None,
        attempts: Vec::new(),
        description: Some(scenario.description.clone()).filter(|d| !d.is_empty()),
        request: None,
        error: None,
        snapshot: None,
        snapshot_diff: None,
        xfail_link: None,
    }
}

/// The case stopped before a verdict on the provider: skipped or a harness error.
type Stop = (CaseStatus, String);

/// One call to one provider for a case: pick the source (replay, live, record), the key, encode,
/// send with `deadline`, and record the fixture when recording. Shared by plain and routed cases.
async fn call_provider<'a>(
    ctx: &'a ExecContext,
    id: &CaseId,
    scenario: &Scenario,
    req: &ChatRequest,
    deadline: Duration,
) -> Result<(CallOutcome, &'a ProviderSpec), Stop> {
    let provider = id.provider.as_str();
    let live_spec = ctx.live.get(provider).map_err(|e| (CaseStatus::Error, e.to_string()))?;
    let replay_spec = || ctx.replay.as_ref().and_then(|c| c.get(provider).ok()).unwrap_or(live_spec);
    let fixture_path = ctx.options.fixtures.join(id.fixture_path());
    let source = match ctx.options.mode {
        RunMode::Replay => Source::Replay(replay_spec()),
        RunMode::RecordMissing if fixture_path.exists() => Source::Replay(replay_spec()),
        RunMode::Record | RunMode::RecordMissing => Source::Live { spec: live_spec, record: true },
        RunMode::Live => Source::Live { spec: live_spec, record: false },
    };
    if let Source::Live { .. } = source
        && scenario.replay_only
        && !ctx.synthesize
    {
        return Err((CaseStatus::Skipped, "replay only: a fault that cannot be provoked on a live provider".into()));
    }
    let spec = match &source {
        Source::Replay(s) => *s,
        Source::Live { spec, .. } => *spec,
    };
    let key_owned;
    let key: Option<&str> = if scenario.key.as_deref() == Some("invalid") {
        Some(INVALID_KEY)
    } else if !spec.needs_key() {
        None
    } else if let Source::Replay(_) = source {
        Some(REPLAY_KEY)
    } else {
        let key_ref = spec.key_reference().map_err(|e| (CaseStatus::Error, format!("provider `{provider}`: {e}")))?;
        match ctx.keys.get(&key_ref) {
            Ok(Some(k)) => {
                key_owned = k;
                Some(key_owned.expose())
            }
            Ok(None) => return Err((CaseStatus::Skipped, format!("no key: {} is not set", key_ref.describe()))),
            Err(e) => return Err((CaseStatus::Error, e.to_string())),
        }
    };
    let adapter = spec.family.adapter();
    let mut native = adapter.encode(req, spec, key).map_err(|e| (CaseStatus::Error, e.to_string()))?;
    native.header(CASE_HEADER, id.to_string());
    let call: CallOutcome = ctx.transport.call_with_deadline(adapter, &native, deadline).await;
    if call.raw.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(REPLAY_ERROR_HEADER)) {
        return Err((CaseStatus::Error, String::from_utf8_lossy(&call.raw.body).to_string()));
    }
    if let Source::Live { record: true, .. } = source {
        let model = call.result.as_ref().ok().map(|r| r.model.clone()).filter(|m| !m.is_empty());
        let provenance = Provenance {
            source: ctx.options.provenance_source.clone(),
            date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            model,
            note: (ctx.options.provenance_source == "synthesized").then(|| {
                "synthesized by llm-conform's fake provider from the documented wire format; not a live recording"
                    .to_string()
            }),
        };
        let timed_out = matches!(&call.result, Err(e) if e.kind == llm_conform_core::api::ErrorKind::Timeout)
            .then_some(deadline.as_secs_f64() * 1000.0);
        let redactor = ctx.keys.redactor();
        let fixture =
            fixture_from_exchange(&id.to_string(), &native.redacted(), &call.raw, timed_out, provenance, &redactor);
        write_fixture(&fixture_path, &fixture, &redactor).map_err(|e| (CaseStatus::Error, e.to_string()))?;
    }
    Ok((call, spec))
}

/// The scenario's request for one mode, with the tier's model where it names none.
fn case_request(scenario: &Scenario, spec: Option<&ProviderSpec>, mode: Mode) -> ChatRequest {
    let mut req: ChatRequest = scenario.request.clone();
    if req.model.is_empty()
        && let Some(s) = spec
    {
        req.model = s.model_for(&scenario.tier).unwrap_or_default().to_string();
    }
    req.stream = mode.is_stream().then_some(true);
    req
}

async fn run_case(ctx: &ExecContext, suite: &str, scenario: &Scenario, provider: &str, mode: Mode) -> ModeOutcome {
    let id = CaseId::new(suite, &scenario.id, provider, mode);
    let req = case_request(scenario, ctx.live.get(provider).ok(), mode);
    let mut result = base_result(suite, scenario, provider, mode, &req.model);
    result.request = serde_json::to_value(&req).ok();
    let deadline = scenario.timeout_s.map(Duration::from_secs_f64).unwrap_or(ctx.options.timeout);
    let (call, spec) = match call_provider(ctx, &id, scenario, &req, deadline).await {
        Ok(c) => c,
        Err((status, reason)) => {
            result.status = status;
            result.reason = Some(reason);
            return ModeOutcome { result, fingerprint: None };
        }
    };
    result.ttft_ms = call.timings.ttft_ms;
    result.total_ms = call.timings.total_ms;
    if let Ok(resp) = &call.result {
        if !resp.model.is_empty() {
            result.model = resp.model.clone();
        }
        result.usage = resp.usage.clone();
        let price = spec.price(&req.model).or_else(|| spec.price(&resp.model));
        result.cost_usd = match (&resp.usage, price) {
            (Some(u), Some(p)) => Some(cost_usd(u, &p)),
            _ => None,
        };
    }
    result.attempts.push(Attempt {
        provider: provider.to_string(),
        model: req.model.clone(),
        outcome: match &call.result {
            Ok(_) => "success".into(),
            Err(e) => e.kind.as_str().into(),
        },
        status: call.raw.status,
        latency_ms: call.timings.total_ms,
        cost_usd: result.cost_usd,
        why: "scenario target".into(),
        tier: None,
    });
    let chunks = mode.is_stream().then_some(call.chunks.len());
    judge(ctx, scenario, &id, &req, &call.result, chunks, Vec::new(), result)
}

/// A scenario routed through the router: one case per mode, as provider `router`, whose
/// attempts show the path taken.
async fn run_routed(ctx: &ExecContext, suite: &str, scenario: &Scenario, mode: Mode) -> ModeOutcome {
    let route = scenario.route.clone().unwrap_or(crate::suite::RouteSpec {
        tier: None,
        model: None,
        requests: 1,
        policy: None,
    });
    let policy = route
        .policy
        .clone()
        .unwrap_or_else(|| ctx.router_policy.clone())
        .with_catalog_tiers(&ctx.live, &ctx.live.names());
    let target = match &route.model {
        Some(m) => match Candidate::parse(m) {
            Ok(c) => Target::Model(c),
            Err(e) => {
                let mut r = base_result(suite, scenario, ROUTER_PROVIDER, mode, "");
                r.status = CaseStatus::Error;
                r.reason = Some(e);
                return ModeOutcome { result: r, fingerprint: None };
            }
        },
        None => Target::Tier(route.tier.clone().unwrap_or_else(|| policy.default_tier())),
    };
    let router = Router::new(policy, ctx.live.clone());
    let req = case_request(scenario, None, mode);
    let mut result = base_result(suite, scenario, ROUTER_PROVIDER, mode, "");
    result.request = serde_json::to_value(&req).ok();
    let id = CaseId::new(suite, &scenario.id, ROUTER_PROVIDER, mode);
    let mut calls: HashMap<String, u32> = HashMap::new();
    let stops: Mutex<Vec<Stop>> = Mutex::new(Vec::new());
    let mut last = None;
    for _ in 0..route.requests.max(1) {
        let outcome = router
            .route(&req, &target, |cand, attempt_req, deadline, _| {
                let n = {
                    let c = calls.entry(cand.provider.clone()).or_insert(0);
                    *c += 1;
                    *c
                };
                let call_id = CaseId { provider: cand.provider.clone(), attempt: n, ..id.clone() };
                let stops = &stops;
                async move {
                    match call_provider(ctx, &call_id, scenario, &attempt_req, deadline).await {
                        Ok((call, _)) => SendOutcome::Called(CallResult {
                            result: call.result,
                            latency_ms: call.timings.total_ms,
                            ttft_ms: call.timings.ttft_ms,
                            status: call.raw.status,
                        }),
                        Err((status, reason)) => {
                            let msg = format!("{}: {reason}", call_id);
                            stops.lock().unwrap_or_else(|p| p.into_inner()).push((status, msg.clone()));
                            SendOutcome::Skip(reason)
                        }
                    }
                }
            })
            .await;
        result.attempts.extend(outcome.attempts.iter().cloned());
        last = Some(outcome);
    }
    let harness_error =
        stops.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().find(|(s, _)| *s == CaseStatus::Error);
    if let Some((_, reason)) = harness_error {
        result.status = CaseStatus::Error;
        result.reason = Some(reason);
        return ModeOutcome { result, fingerprint: None };
    }
    let Some(outcome) = last else {
        result.status = CaseStatus::Error;
        result.reason = Some("the route made no request".into());
        return ModeOutcome { result, fingerprint: None };
    };
    result.total_ms = result.attempts.iter().map(|a| a.latency_ms).sum();
    let costs: Vec<f64> = result.attempts.iter().filter_map(|a| a.cost_usd).collect();
    result.cost_usd = (!costs.is_empty()).then(|| costs.iter().sum());
    if let Some(c) = &outcome.served_by {
        result.model = c.to_string();
    }
    if let Ok(resp) = &outcome.result {
        result.usage = resp.usage.clone();
    }
    let path: Vec<String> = result.attempts.iter().map(Attempt::path_step).collect();
    judge(ctx, scenario, &id, &req, &outcome.result, None, path, result)
}

/// Fingerprint, expectations and snapshot: the verdict on a case's final response.
#[allow(clippy::too_many_arguments)]
fn judge(
    ctx: &ExecContext,
    scenario: &Scenario,
    id: &CaseId,
    req: &ChatRequest,
    outcome: &Result<ChatCompletion, ProviderError>,
    stream_chunks: Option<usize>,
    route: Vec<String>,
    mut result: CaseResult,
) -> ModeOutcome {
    let want_json = scenario.expect.wants_json() || req.response_format.as_ref().is_some_and(|f| f.wants_json());
    let request_schema = req.response_format.as_ref().and_then(|f| f.schema());
    let schema = scenario.expect.json_schema.as_ref().or(request_schema);
    let mut fp = Fingerprint::compute(&FingerprintInput { result: outcome, stream_chunks, want_json, schema });
    fp.route = route;
    if let Err(e) = outcome {
        result.error = Some(error_json(e));
    }
    let failures = scenario.expect.check(&fp);
    if failures.is_empty() {
        result.status = CaseStatus::Pass;
    } else {
        result.status = CaseStatus::Fail;
        let mut reason = failures.join("; ");
        if fp.outcome == Outcome::Error
            && let Err(e) = outcome
        {
            reason.push_str(&format!(" — provider said: {}", truncate(&e.message, 300)));
        }
        result.reason = Some(reason);
    }
    if let Some(store) = &ctx.snapshots {
        let (state, diff) = store.compare(id, &fp);
        result.snapshot = Some(state);
        if state == SnapshotState::Drift {
            result.snapshot_diff = diff;
            if ctx.options.write_pending_snapshots {
                let _ = store.write_pending(id, &fp);
            }
        }
    }
    result.fingerprint = Some(fp.clone());
    ModeOutcome { result, fingerprint: Some(fp) }
}

fn error_json(e: &ProviderError) -> Value {
    e.to_json()["error"].clone()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}
