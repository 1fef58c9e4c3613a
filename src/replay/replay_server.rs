//! Replay: a wiremock server on 127.0.0.1 that serves recorded fixtures, so offline runs take
//! the same HTTP path as live ones. Nothing else is reachable: every provider's base URL points
//! here, and a request without a fixture is answered with an error naming the missing file and
//! the command that records it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use llm_conform_mock::CASE_HEADER;

use super::Fixture;
use crate::diff::json_diff;
use crate::suite::CaseId;

/// Marks a response that the replay server made up because it could not serve a fixture; the
/// runner reports it as a harness error, never as provider behaviour.
pub const REPLAY_ERROR_HEADER: &str = "x-llm-conform-replay-error";

/// A running replay server.
pub struct ReplayServer {
    server: MockServer,
}

impl ReplayServer {
    /// Starts the server. Request recording is off: wiremock would otherwise keep every request
    /// (headers and body) for the server's lifetime, about 9 KB a case, for nothing to read them.
    pub async fn start(fixtures_root: &Path) -> ReplayServer {
        let server = MockServer::builder().disable_request_recording().start().await;
        Mock::given(any()).respond_with(ReplayResponder { root: fixtures_root.to_path_buf() }).mount(&server).await;
        ReplayServer { server }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

struct ReplayResponder {
    root: PathBuf,
}

impl Respond for ReplayResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        match self.serve(req) {
            Ok(t) => t,
            Err(message) => ResponseTemplate::new(599)
                .insert_header(REPLAY_ERROR_HEADER, "1")
                .set_body_raw(message.into_bytes(), "text/plain"),
        }
    }
}

impl ReplayResponder {
    fn serve(&self, req: &Request) -> Result<ResponseTemplate, String> {
        let case_header = req.headers.get(CASE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        let case = CaseId::parse(case_header)
            .ok_or_else(|| format!("replay: request to {} has no valid {CASE_HEADER} header", req.url.path()))?;
        let path = self.root.join(case.fixture_path());
        if !path.exists() {
            return Err(missing_fixture(&path, &case));
        }
        let fixture = Fixture::load(&path).map_err(|e| e.to_string())?;
        let got_path = match req.url.query() {
            Some(q) => format!("{}?{q}", req.url.path()),
            None => req.url.path().to_string(),
        };
        if fixture.request.method != req.method.as_str() || fixture.request.path != got_path {
            return Err(format!(
                "replay: {} {} does not match fixture {} ({} {}); re-record it",
                req.method,
                got_path,
                path.display(),
                fixture.request.method,
                fixture.request.path
            ));
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        if body != fixture.request.body {
            return Err(format!(
                "replay: request body differs from fixture {} (the encoder changed, or the scenario did):\n{}",
                path.display(),
                json_diff(("fixture", &fixture.request.body), ("request", &body))
            ));
        }
        let r = &fixture.response;
        let (bytes, content_type) = fixture.wire_body();
        if let Some(waited) = r.no_response_ms {
            // The recorded call timed out: answer far later than the client will wait.
            let delay = Duration::from_millis((waited * 20.0).max(10_000.0) as u64);
            return Ok(ResponseTemplate::new(504).set_delay(delay));
        }
        let mut t = ResponseTemplate::new(r.status).set_body_raw(bytes, &content_type);
        for (k, v) in &r.headers {
            if !k.eq_ignore_ascii_case("content-type") {
                t = t.insert_header(k.as_str(), v.as_str());
            }
        }
        Ok(t)
    }
}

/// The error for a request that has no fixture: which file, and the command that records it.
pub(crate) fn missing_fixture(path: &Path, case: &CaseId) -> String {
    format!(
        "replay: no fixture {} for case {case}; record it with `llm-conform run --mode record-missing --provider {} --suite {} --scenario {}`",
        path.display(),
        case.provider,
        case.suite,
        case.scenario
    )
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn requests_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let server = ReplayServer::start(dir.path()).await;
        let addr = server.uri().trim_start_matches("http://").to_string();
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let req = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
        );
        conn.write_all(req.as_bytes()).await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        // No case header: the replay server answers with its own error, but it answered.
        assert!(answer.starts_with("HTTP/1.1 599"), "{answer}");
        assert!(server.server.received_requests().await.is_none(), "wiremock kept the request");
    }
}
