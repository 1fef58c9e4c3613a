//! Errors as OpenAI sends them (`{"error": {"message", "type", "param", "code"}}`), so every
//! OpenAI SDK raises its usual exception class, and any classifier that knows OpenAI's codes
//! (this project's included) recovers the same [`ErrorKind`] on the other side.
//!
//! Reference: <https://platform.openai.com/docs/guides/error-codes>.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use llm_conform_core::api::{ErrorKind, ProviderError};
use llm_conform_core::secrets::Redactor;

/// An error response to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    /// OpenAI's error class (`invalid_request_error`, `rate_limit_error`...).
    pub kind_type: &'static str,
    pub param: Option<&'static str>,
    pub code: Option<&'static str>,
    /// Passed on as `retry-after` (seconds) and `retry-after-ms`, which the OpenAI SDKs honour.
    pub retry_after: Option<Duration>,
    /// The error kind behind it, for metrics.
    pub kind: Option<ErrorKind>,
}

/// Status, OpenAI error type and code for an upstream error of `kind`. The code is OpenAI's own
/// where it has one (`context_length_exceeded`, `insufficient_quota`, `model_not_found`...), so
/// the kind survives a second gateway. Upstream credential failures are the operator's to fix,
/// not the client's: they are 502, never 401, which would tell the client its own key is wrong.
pub fn status_for_kind(kind: ErrorKind) -> (u16, &'static str, &'static str) {
    match kind {
        ErrorKind::InvalidRequest => (400, "invalid_request_error", "invalid_request_error"),
        ErrorKind::ContextLengthExceeded => (400, "invalid_request_error", "context_length_exceeded"),
        ErrorKind::ContentFiltered => (400, "invalid_request_error", "content_filter"),
        ErrorKind::Unsupported => (400, "invalid_request_error", "unsupported_parameter"),
        ErrorKind::NotFound => (404, "invalid_request_error", "model_not_found"),
        ErrorKind::Authentication => (502, "upstream_error", "authentication_error"),
        ErrorKind::PermissionDenied => (502, "upstream_error", "permission_denied"),
        ErrorKind::RateLimited => (429, "rate_limit_error", "rate_limit_exceeded"),
        ErrorKind::QuotaExhausted => (429, "insufficient_quota", "insufficient_quota"),
        ErrorKind::Overloaded => (503, "service_unavailable_error", "server_is_overloaded"),
        ErrorKind::ServerError => (502, "upstream_error", "server_error"),
        ErrorKind::Timeout => (504, "timeout_error", "deadline_exceeded"),
        ErrorKind::Connection => (502, "upstream_error", "upstream_connection_failed"),
        ErrorKind::MalformedResponse => (502, "upstream_error", "upstream_malformed_response"),
    }
}

impl ApiError {
    fn new(status: u16, kind_type: &'static str, code: Option<&'static str>, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), kind_type, param: None, code, retry_after: None, kind: None }
    }

    /// A provider's error, its message scrubbed of every provider key.
    pub fn from_provider(e: &ProviderError, redactor: &Redactor) -> Self {
        let (status, kind_type, code) = status_for_kind(e.kind);
        let mut out = ApiError::new(status, kind_type, Some(code), redactor.redact(&e.message).into_owned());
        out.retry_after = e.retry_after;
        out.kind = Some(e.kind);
        out
    }

    pub fn bad_request(message: impl Into<String>, param: Option<&'static str>) -> Self {
        let mut e = ApiError::new(400, "invalid_request_error", None, message);
        e.param = param;
        e.kind = Some(ErrorKind::InvalidRequest);
        e
    }

    /// The client presented no key, or a wrong one.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        let mut e = ApiError::new(401, "invalid_request_error", Some("invalid_api_key"), message);
        e.kind = Some(ErrorKind::Authentication);
        e
    }

    pub fn model_not_found(message: impl Into<String>) -> Self {
        let mut e = ApiError::new(404, "invalid_request_error", Some("model_not_found"), message);
        e.param = Some("model");
        e.kind = Some(ErrorKind::NotFound);
        e
    }

    pub fn no_route(path: &str) -> Self {
        ApiError::new(404, "invalid_request_error", Some("unknown_url"), format!("no endpoint at {path}"))
    }

    pub fn too_large(limit: usize) -> Self {
        let mut e = ApiError::new(
            413,
            "invalid_request_error",
            Some("request_too_large"),
            format!("request body exceeds the {limit}-byte limit of this gateway"),
        );
        e.kind = Some(ErrorKind::InvalidRequest);
        e
    }

    pub fn deadline(seconds: f64) -> Self {
        let mut e = ApiError::new(
            504,
            "timeout_error",
            Some("deadline_exceeded"),
            format!("no complete response within the gateway's {seconds}s deadline"),
        );
        e.kind = Some(ErrorKind::Timeout);
        e
    }

    /// The client did not send its whole body within the deadline.
    pub fn body_timeout(seconds: f64) -> Self {
        let mut e = ApiError::new(
            408,
            "invalid_request_error",
            Some("request_timeout"),
            format!("the request body did not arrive within the gateway's {seconds}s deadline"),
        );
        e.kind = Some(ErrorKind::InvalidRequest);
        e
    }

    /// Nothing could be called: every candidate was skipped (no key, cooling down, limited).
    pub fn unavailable(message: impl Into<String>, retry_after: Option<Duration>) -> Self {
        let mut e = ApiError::new(503, "service_unavailable_error", Some("no_candidate_available"), message);
        e.retry_after = retry_after;
        e.kind = Some(ErrorKind::Overloaded);
        e
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "server_error", Some("internal_error"), message)
    }

    /// The `{"error": {...}}` object.
    pub fn to_json(&self) -> serde_json::Value {
        json!({"error": {"message": self.message, "type": self.kind_type, "param": self.param, "code": self.code}})
    }

    /// The error as the last event of a stream that had already started.
    pub fn to_sse_frame(&self) -> bytes::Bytes {
        crate::sse_frame::data_frame(&self.to_json())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        let mut resp = (status, body).into_response();
        let h = resp.headers_mut();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                h.insert("retry-after", v);
            }
            if let Ok(v) = HeaderValue::from_str(&wait.as_millis().to_string()) {
                h.insert("retry-after-ms", v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm_conform_core::providers::{Adapter, OpenAiAdapter};

    /// A gateway behind a gateway (or the harness testing one) must see the kind the first one
    /// saw: every kind's status and code classify back to it through the OpenAI-family adapter.
    #[test]
    fn every_kind_round_trips_through_an_openai_classifier() {
        for kind in ErrorKind::ALL {
            let e = ApiError::from_provider(&ProviderError::new(kind, "x"), &Redactor::default());
            let body = serde_json::to_vec(&e.to_json()).unwrap();
            let back = OpenAiAdapter.classify_error(e.status, &Default::default(), &body);
            assert_eq!(back.kind, kind, "{kind} sent as {} {:?}", e.status, e.code);
        }
    }
}
