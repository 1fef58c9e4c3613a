//! Record: turns a live exchange into a fixture, scrubbed. Headers are kept by allow-list,
//! credentials replaced by a placeholder, and before anything is written the whole file is
//! checked for every known key value; a hit refuses the write.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::fixture::{CREDENTIAL_HEADERS, REQUEST_HEADER_ALLOW, response_header_allowed};
use super::{Fixture, FixtureError, FixtureEvent, FixtureRequest, FixtureResponse, Provenance};
use llm_conform_core::providers::NativeRequest;
use llm_conform_core::secrets::REDACTED;
use llm_conform_core::secrets::Redactor;
use llm_conform_core::transport::RawResponse;

/// Builds the fixture of one exchange.
pub fn fixture_from_exchange(
    case: &str,
    req: &NativeRequest,
    raw: &RawResponse,
    timed_out_after_ms: Option<f64>,
    provenance: Provenance,
    redactor: &Redactor,
) -> Fixture {
    let mut headers = BTreeMap::new();
    for (k, v) in &req.headers {
        let k = k.to_ascii_lowercase();
        if CREDENTIAL_HEADERS.contains(&k.as_str()) {
            let scheme = v.split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("bearer")).map(|(s, _)| s);
            headers.insert(k, scheme.map_or(REDACTED.to_string(), |s| format!("{s} {REDACTED}")));
        } else if REQUEST_HEADER_ALLOW.contains(&k.as_str()) {
            headers.insert(k, redactor.redact(v).into_owned());
        }
    }
    let request = FixtureRequest {
        method: req.method.clone(),
        path: redactor.redact(req.path_and_query()).into_owned(),
        headers,
        body: scrub_value(&req.body, redactor),
    };
    let mut response = FixtureResponse { status: raw.status.unwrap_or(0), ..Default::default() };
    for (k, v) in &raw.headers {
        if response_header_allowed(k) {
            response.headers.insert(k.to_ascii_lowercase(), redactor.redact(v).into_owned());
        }
    }
    if raw.status.is_none() {
        response.no_response_ms = timed_out_after_ms.or(Some(0.0));
    } else if raw.streamed && !raw.events.is_empty() {
        // Scrubbed as one stream, so a key split across events is found too.
        let mut data: Vec<String> = raw.events.iter().map(|(_, e)| e.data.clone()).collect();
        redactor.redact_stream(&mut data);
        response.events = raw
            .events
            .iter()
            .zip(data)
            .map(|((t, e), data)| FixtureEvent {
                t_ms: (t * 10.0).round() / 10.0,
                event: e.event.as_deref().map(|n| redactor.redact(n).into_owned()),
                data,
            })
            .collect();
    } else {
        match serde_json::from_slice::<Value>(&raw.body) {
            Ok(v) => response.body = Some(scrub_value(&v, redactor)),
            Err(_) => response.body_text = Some(redactor.redact(&String::from_utf8_lossy(&raw.body)).into_owned()),
        }
    }
    Fixture { provenance, case: case.to_string(), request, response }
}

/// Writes a fixture whole, refusing if any form of any key survived scrubbing (checked against
/// the keys of this run and every key the process knows).
pub fn write_fixture(path: &Path, fixture: &Fixture, redactor: &Redactor) -> Result<(), FixtureError> {
    let text = fixture.to_pretty();
    if redactor.leaks(text.as_bytes()) {
        return Err(FixtureError::Write {
            path: path.to_path_buf(),
            message: "refusing to write: it would contain a key value".into(),
        });
    }
    crate::write_guard::write_file(path, text.as_bytes())
        .map_err(|e| FixtureError::Write { path: path.to_path_buf(), message: e.to_string() })
}

/// A JSON document scrubbed as one text per place, so a key split across array items (Gemini's
/// text parts) is found too.
fn scrub_value(v: &Value, redactor: &Redactor) -> Value {
    let mut text = vec![v.to_string()];
    redactor.redact_stream(&mut text);
    serde_json::from_str(&text[0]).unwrap_or_else(|_| Value::String(redactor.redact(&text[0]).into_owned()))
}
