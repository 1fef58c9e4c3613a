//! `GET /health`: 200 while serving, 503 while draining, so a load balancer stops sending new
//! requests before the process exits.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::App;

pub async fn health(State(app): State<Arc<App>>) -> Response {
    let start = Instant::now();
    let (status, text) = if app.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"draining"}"#)
    } else {
        (StatusCode::OK, r#"{"status":"ok"}"#)
    };
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    app.metrics.record_simple("health", status.as_u16(), start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics`. Open like `/health` (scrapers rarely carry keys); it holds no key, no prompt
/// and no client-chosen label value, and is checked against the redactor before it leaves.
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let start = Instant::now();
    let text = app.metrics.render(app.in_flight.count(), app.is_draining(), &app.candidate_states());
    let text = if app.upstream.redactor().leaks(text.as_bytes()) {
        app.upstream.redactor().redact(&text).into_owned()
    } else {
        text
    };
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert("content-type", HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    app.metrics.record_simple("metrics", 200, start.elapsed().as_secs_f64());
    resp
}
