//! Replay: a wiremock server on 127.0.0.1 that serves recorded fixtures, so offline runs take
//! the same HTTP path as live ones. Nothing else is reachable: every provider's base URL points
//! here, and a request without a fixture is answered with an error naming the missing file and
//! the command that records it.
//!
//! Memory: the server records no requests of its own (`disable_request_recording`), but
//! wiremock 0.6 keeps a copy of every request a mock matches, whatever the builder says, and
//! through its headers hyper's read buffer: about 9 KB per replayed call, for the server's
//! lifetime. It is the largest share of a large replay's memory (docs/performance.md); the only
//! release wiremock offers, `reset`, would leave a window in which a request finds no mock.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use llm_conform_mock::CASE_HEADER;

use super::fixture_match;

/// Marks a response that the replay server made up because it could not serve a fixture; the
/// runner reports it as a harness error, never as provider behaviour.
pub const REPLAY_ERROR_HEADER: &str = "x-llm-conform-replay-error";

/// A running replay server.
pub struct ReplayServer {
    server: MockServer,
}

impl ReplayServer {
    /// Binds 127.0.0.1 itself, so a failure to listen is an error and not wiremock's panic.
    pub async fn start(fixtures_root: &Path) -> io::Result<ReplayServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let server = MockServer::builder().listener(listener).disable_request_recording().start().await;
        Mock::given(any()).respond_with(ReplayResponder { root: fixtures_root.to_path_buf() }).mount(&server).await;
        Ok(ReplayServer { server })
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
            Err(refusal) => ResponseTemplate::new(599)
                .insert_header(REPLAY_ERROR_HEADER, "1")
                .set_body_raw(fixture_match::describe(&refusal).into_bytes(), "text/plain"),
        }
    }
}

impl ReplayResponder {
    fn serve(&self, req: &Request) -> Result<ResponseTemplate, fixture_match::ReplayRefusal> {
        let target = match req.url.query() {
            Some(q) => format!("{}?{q}", req.url.path()),
            None => req.url.path().to_string(),
        };
        let case = fixture_match::case_of(req.headers.get(CASE_HEADER).and_then(|v| v.to_str().ok()), &target)?;
        let path = fixture_match::fixture_path(&self.root, &case)?;
        let fixture = fixture_match::load(&path)?;
        fixture_match::check_request(&fixture.request, &path, req.method.as_str(), &target, &req.body)?;
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
