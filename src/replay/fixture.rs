//! The recorded exchange of one case: what was sent, what came back, and where it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `fixtures/<provider>/<suite>/<scenario>[.stream].json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub provenance: Provenance,
    /// The case id, `suite/scenario/provider/mode`.
    pub case: String,
    pub request: FixtureRequest,
    pub response: FixtureResponse,
}

/// Where a fixture came from. Synthesized fixtures were produced by a fake provider, not by the
/// real one: they show the adapter handles the documented wire format, not what the provider
/// does today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// `synthesized` or `recorded`.
    pub source: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The model the provider reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureRequest {
    pub method: String,
    /// Path and query, without scheme and host.
    pub path: String,
    /// Allow-listed headers; credentials appear only as `<redacted>`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureResponse {
    /// 0 when no response arrived (`no_response_ms` says how long the client waited).
    #[serde(default)]
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body that is not JSON (an HTML error page), as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// A streamed body: the events in order, with their offsets from the request start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<FixtureEvent>,
    /// The client gave up after this many milliseconds without a response (a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_response_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureEvent {
    pub t_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub data: String,
}

/// Request headers worth keeping: what shapes the request, never what identifies the caller.
pub const REQUEST_HEADER_ALLOW: &[&str] =
    &["content-type", "accept", "anthropic-version", "anthropic-beta", "x-llm-conform-case"];

/// Credential headers: kept by name with the value replaced, so the auth style stays visible.
pub const CREDENTIAL_HEADERS: &[&str] = &["authorization", "x-api-key", "api-key", "x-goog-api-key"];

/// Response headers worth keeping: what a router acts on.
pub fn response_header_allowed(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "content-type" | "retry-after" | "retry-after-ms")
        || n.starts_with("x-ratelimit-")
        || n.starts_with("anthropic-ratelimit-")
}

/// A fixture larger than this is refused (the response size cap of a live call is 32 MiB).
pub const MAX_FIXTURE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("failed to read fixture")]
    Read(#[source] crate::regular_file::ReadError),
    #[error("invalid fixture {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("failed to write fixture {path}: {message}")]
    Write { path: PathBuf, message: String },
}

impl Fixture {
    pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
        let bytes = crate::regular_file::read(path, MAX_FIXTURE_BYTES).map_err(FixtureError::Read)?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            FixtureError::Invalid {
                path: path.to_path_buf(),
                message: if at == "." { inner.to_string() } else { format!("at `{at}`: {inner}") },
            }
        })
    }

    /// The response body as the provider sent it on the wire.
    pub fn wire_body(&self) -> (Vec<u8>, String) {
        let r = &self.response;
        if !r.events.is_empty() {
            let mut out = String::new();
            for e in &r.events {
                llm_conform_core::providers::sse::encode_event(e.event.as_deref(), &e.data, &mut out);
            }
            return (out.into_bytes(), "text/event-stream".into());
        }
        let ct = r.headers.get("content-type").cloned();
        if let Some(t) = &r.body_text {
            return (t.clone().into_bytes(), ct.unwrap_or_else(|| "text/html".into()));
        }
        let body = r.body.as_ref().map(|b| serde_json::to_vec(b).unwrap_or_default()).unwrap_or_default();
        (body, ct.unwrap_or_else(|| "application/json".into()))
    }

    /// Pretty JSON with a trailing newline: the on-disk form, stable for review in diffs.
    pub fn to_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
