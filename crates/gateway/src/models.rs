//! `GET /v1/models`: every name a request may put in `model`, as OpenAI's model list — the
//! tiers (owned by `llm-conform`) and every listed candidate as `provider/model`.
//! Reference: <https://platform.openai.com/docs/api-reference/models/list>.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::App;

pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let start = Instant::now();
    if let Err(e) = app.auth.check(&headers) {
        app.metrics.record_simple("models", e.status, start.elapsed().as_secs_f64());
        return e.into_response();
    }
    let mut data: Vec<serde_json::Value> = app
        .targets
        .tiers()
        .iter()
        .map(|t| json!({"id": t, "object": "model", "created": 0, "owned_by": "llm-conform"}))
        .collect();
    data.extend(app.targets.candidates().map(|c| {
        let owner = c.split_once('/').map_or(c, |(p, _)| p);
        json!({"id": c, "object": "model", "created": 0, "owned_by": owner})
    }));
    let body = serde_json::to_vec(&json!({"object": "list", "data": data})).unwrap_or_default();
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    app.metrics.record_simple("models", 200, start.elapsed().as_secs_f64());
    resp
}
