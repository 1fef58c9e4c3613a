//! `POST /v1/chat/completions`: authenticate, read and parse the body under its cap, resolve
//! `model` to a router target, route; whole responses here, streams in `streaming`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::access_log::{self, AccessLine};
use crate::api_error::ApiError;
use crate::app::App;
use crate::body::{parse_chat_request, read_capped};
use crate::metrics::RequestRecord;
use crate::response_headers::Served;
use llm_conform_core::api::{ChatRequest, ErrorKind, ProviderError};
use llm_conform_core::router::{CallResult, RouteOutcome, SendOutcome, Target};

/// A request ready to route.
pub struct Prepared {
    pub req: ChatRequest,
    pub target: Target,
    pub forward: Vec<(String, String)>,
    /// Whether the client asked for the final usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
    /// When the whole request must be done.
    pub until: tokio::time::Instant,
}

pub async fn completions(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let guard = app.in_flight.enter();
    // The deadline covers reading the body too: a client trickling it holds no slot for long.
    let prepared = tokio::time::timeout(app.deadline, prepare(&app, &headers, body))
        .await
        .unwrap_or_else(|_| Err(Rejected::new(ApiError::body_timeout(app.deadline.as_secs_f64()))));
    let p = match prepared {
        Ok(p) => p,
        Err(r) => {
            let summary = Summary::rejected(&r.error);
            finish(&app, &summary, started, r.stream, &r.model);
            return r.error.into_response();
        }
    };
    if p.req.is_stream() {
        return crate::streaming::respond(app, p, guard, started).await;
    }
    whole(&app, p, started).await
}

/// A request refused before routing, with what the metrics and the log need.
struct Rejected {
    error: ApiError,
    stream: bool,
    model: String,
}

impl Rejected {
    fn new(error: ApiError) -> Box<Rejected> {
        Box::new(Rejected { error, stream: false, model: String::new() })
    }
}

async fn prepare(app: &App, headers: &HeaderMap, body: Body) -> Result<Prepared, Box<Rejected>> {
    app.auth.check(headers).map_err(Rejected::new)?;
    let bytes = read_capped(headers, body, app.max_body_bytes).await.map_err(Rejected::new)?;
    let mut req = parse_chat_request(&bytes).map_err(Rejected::new)?;
    let target = app
        .targets
        .resolve(&req.model, app.upstream.catalog())
        .map_err(|error| Box::new(Rejected { error, stream: req.is_stream(), model: req.model.clone() }))?;
    // What to ask each provider for is the catalog's business (its `stream_usage` quirk); what
    // the client gets is decided here.
    let include_usage = req.stream_options.take().and_then(|o| o.include_usage).unwrap_or(false);
    Ok(Prepared {
        req,
        target,
        forward: app.forwarded(headers),
        include_usage,
        until: tokio::time::Instant::now() + app.deadline,
    })
}

/// The attempt's deadline: the router's, never past the request's.
pub fn attempt_deadline(until: tokio::time::Instant, router_deadline: Duration) -> Option<Duration> {
    let left = until.saturating_duration_since(tokio::time::Instant::now());
    (!left.is_zero()).then(|| left.min(router_deadline))
}

/// The outcome of an attempt that was not made because the request's deadline had passed.
pub fn deadline_passed() -> SendOutcome {
    SendOutcome::Called(CallResult {
        result: Err(ProviderError::new(ErrorKind::Timeout, "the request's deadline passed before this attempt")),
        latency_ms: 0.0,
        ttft_ms: None,
        status: None,
        notes: Vec::new(),
    })
}

async fn whole(app: &Arc<App>, p: Prepared, started: Instant) -> Response {
    let app_ref: &App = app;
    let forward = &p.forward;
    let until = p.until;
    let route = app.router.route(&p.req, &p.target, |cand, r, deadline, _| async move {
        match attempt_deadline(until, deadline) {
            Some(d) => app_ref.upstream.call(&cand, &r, d, forward).await,
            None => deadline_passed(),
        }
    });
    // The attempts keep to the deadline themselves; this only guards against a router wait
    // (a backoff, a bucket refill) that would outlast it.
    let outcome = match tokio::time::timeout_at(until + Duration::from_millis(50), route).await {
        Ok(o) => o,
        Err(_) => {
            let e = ApiError::deadline(app.deadline.as_secs_f64());
            finish(app, &Summary::rejected(&e), started, false, &p.req.model);
            return e.into_response();
        }
    };
    let summary = Summary::of(app, &outcome);
    let resp = match &outcome.result {
        Ok(completion) => {
            let body = scrub(app.upstream.redactor(), serde_json::to_vec(completion).unwrap_or_default());
            let mut resp = (StatusCode::OK, body).into_response();
            resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
            summary.served.as_ref().inspect(|s| s.apply(resp.headers_mut()));
            resp
        }
        Err(_) => summary.error.clone().unwrap_or_else(|| ApiError::internal("route failed")).into_response(),
    };
    finish(app, &summary, started, false, &p.req.model);
    resp
}

/// A response body bound for the client, with any key a provider echoed into it replaced. The
/// check is one SIMD scan per key; rewriting happens only on a hit.
pub fn scrub(redactor: &llm_conform_core::secrets::Redactor, body: Vec<u8>) -> Vec<u8> {
    if redactor.leaks(&body) {
        redactor.redact(&String::from_utf8_lossy(&body)).into_owned().into_bytes()
    } else {
        body
    }
}

/// What a routed request came to, for headers, metrics and the access log.
pub struct Summary {
    pub status: u16,
    pub served: Option<Served>,
    pub error: Option<ApiError>,
    /// `(provider, outcome, seconds when called)` per attempt.
    pub attempts: Vec<(String, String, Option<f64>)>,
    pub tokens: Option<(u64, u64)>,
    pub ttft_seconds: Option<f64>,
    /// The provider tried last, for error metrics.
    pub last_provider: Option<String>,
}

impl Summary {
    pub fn rejected(e: &ApiError) -> Summary {
        Summary {
            status: e.status,
            served: None,
            error: Some(e.clone()),
            attempts: Vec::new(),
            tokens: None,
            ttft_seconds: None,
            last_provider: None,
        }
    }

    pub fn of(app: &App, outcome: &RouteOutcome) -> Summary {
        let calls = outcome.attempts.iter().filter(|a| a.outcome != "skipped").count();
        let cost: Vec<f64> = outcome.attempts.iter().filter_map(|a| a.cost_usd).collect();
        let attempts = outcome
            .attempts
            .iter()
            .map(|a| {
                (a.provider.clone(), a.outcome.to_string(), (a.outcome != "skipped").then_some(a.latency_ms / 1000.0))
            })
            .collect();
        let last_provider = outcome.attempts.iter().rev().find(|a| a.outcome != "skipped").map(|a| a.provider.clone());
        let served = outcome.served_by.as_ref().map(|c| Served {
            provider: c.provider.clone(),
            model: c.model.clone(),
            calls,
            cost_usd: (!cost.is_empty()).then(|| cost.iter().sum()),
        });
        let (status, error) = match &outcome.result {
            Ok(_) => (200, None),
            Err(e) => {
                let api = if calls == 0 {
                    let why: Vec<String> =
                        outcome.attempts.iter().map(|a| format!("{}/{}: {}", a.provider, a.model, a.why)).collect();
                    let msg = if why.is_empty() { e.message.clone() } else { why.join("; ") };
                    ApiError::unavailable(
                        app.upstream.redactor().redact(&format!("no provider could be called: {msg}")).into_owned(),
                        e.retry_after,
                    )
                } else {
                    ApiError::from_provider(e, app.upstream.redactor())
                };
                (api.status, Some(api))
            }
        };
        let tokens =
            outcome.result.as_ref().ok().and_then(|r| r.usage.as_ref()).map(|u| (u.prompt_tokens, u.completion_tokens));
        Summary { status, served, error, attempts, tokens, ttft_seconds: None, last_provider }
    }
}

/// Metrics and the access-log line for a finished chat request.
pub fn finish(app: &App, s: &Summary, started: Instant, stream: bool, model: &str) {
    let seconds = started.elapsed().as_secs_f64();
    let kind = s.error.as_ref().map(|e| e.kind.map_or("internal", ErrorKind::as_str));
    let rec = RequestRecord {
        status: s.status,
        stream,
        seconds,
        attempts: s.attempts.iter().map(|(p, o, t)| (p.as_str(), o.as_str(), *t)).collect(),
        error: kind.map(|k| (s.last_provider.as_deref().unwrap_or("gateway"), k)),
        served_by: s.served.as_ref().map(|x| x.provider.as_str()),
        ttft_seconds: s.ttft_seconds,
        tokens: s.tokens,
        cost_usd: s.served.as_ref().and_then(|x| x.cost_usd),
    };
    app.metrics.record_chat(&rec);
    if app.access_log {
        let path: Vec<String> = s.attempts.iter().map(|(p, o, _)| format!("{p}:{o}")).collect();
        let served = s.served.as_ref().map(|x| format!("{}/{}", x.provider, x.model));
        access_log::write(
            &app.log,
            app.upstream.redactor(),
            &AccessLine {
                status: s.status,
                stream,
                model,
                served_by: served.as_deref(),
                path: &path.join(","),
                millis: seconds * 1000.0,
                error: s.error.as_ref().map(|e| e.message.as_str()),
            },
        );
    }
}
