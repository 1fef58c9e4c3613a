//! Replay: a server on 127.0.0.1 that serves recorded fixtures, so offline runs take the same
//! HTTP path as live ones. Nothing else is reachable: every provider's base URL points here, and
//! a request without a fixture is answered with an error naming the missing file and the command
//! that records it.
//!
//! It is the timed replay server with timing off (every stream event at once) and nothing kept
//! between requests: each fixture is read when asked for. wiremock served this before, and kept
//! every request it matched (headers and body, and through the headers hyper's whole read
//! buffer) for the server's lifetime, about 8 KB a case whatever recording options it was
//! given — most of the memory of a large run.

use std::io;
use std::path::Path;
use std::time::Duration;

use super::{TimedReplayOptions, TimedReplayServer};
use crate::suite::CaseId;

/// Marks a response that the replay server made up because it could not serve a fixture; the
/// runner reports it as a harness error, never as provider behaviour.
pub const REPLAY_ERROR_HEADER: &str = "x-llm-conform-replay-error";

/// A running replay server; stops when dropped.
pub struct ReplayServer {
    server: TimedReplayServer,
}

impl ReplayServer {
    pub async fn start(fixtures_root: &Path) -> io::Result<ReplayServer> {
        let options = TimedReplayOptions {
            timing: false,
            cache: false,
            // A run may go a long time without replaying anything (record-missing records the
            // rest live): the server must not stop by itself before the run ends.
            idle_timeout: Duration::from_secs(24 * 3600),
            ..TimedReplayOptions::default()
        };
        Ok(ReplayServer { server: TimedReplayServer::start(fixtures_root, options).await? })
    }

    pub fn uri(&self) -> String {
        self.server.uri()
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
    use crate::replay::{TimedReplayOptions, TimedReplayServer};

    /// One request on a new connection; the whole answer.
    async fn ask(uri: &str, case: &str, body: &str) -> String {
        let addr = uri.trim_start_matches("http://").to_string();
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let req = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\nx-llm-conform-case: {case}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(req.as_bytes()).await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        answer
    }

    fn fixture(answer: &str) -> String {
        serde_json::json!({
            "provenance": {"source": "synthesized", "date": "2026-12-01"},
            "case": "s/a/openai/non_stream",
            "request": {"method": "POST", "path": "/v1/chat/completions", "body": {"model": "m"}},
            "response": {"status": 200, "headers": {"content-type": "application/json"}, "body": {"answer": answer}}
        })
        .to_string()
    }

    #[tokio::test]
    async fn fixtures_are_read_when_asked_for_and_nothing_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openai/s/a.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, fixture("first")).unwrap();
        let server = ReplayServer::start(dir.path()).await.unwrap();
        let answer = ask(&server.uri(), "s/a/openai/non_stream", r#"{"model":"m"}"#).await;
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with(r#"{"answer":"first"}"#), "{answer}");
        // A server that kept what it served would answer "first" again.
        std::fs::write(&path, fixture("second")).unwrap();
        let answer = ask(&server.uri(), "s/a/openai/non_stream", r#"{"model":"m"}"#).await;
        assert!(answer.ends_with(r#"{"answer":"second"}"#), "{answer}");
        // What it cannot serve is a replay error naming the file and how to record it.
        let answer = ask(&server.uri(), "s/b/openai/non_stream", r#"{"model":"m"}"#).await;
        assert!(answer.starts_with("HTTP/1.1 599") && answer.contains(REPLAY_ERROR_HEADER), "{answer}");
        assert!(answer.contains("record-missing --provider openai --suite s --scenario b"), "{answer}");
        let answer = ask(&server.uri(), "s/a/openai/non_stream", r#"{"model":"other"}"#).await;
        assert!(answer.contains("request body differs from fixture"), "{answer}");
    }

    #[tokio::test]
    async fn a_recorded_timeout_frees_its_connection_when_the_client_hangs_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openai/s/t.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let hang = serde_json::json!({
            "provenance": {"source": "synthesized", "date": "2026-12-01"},
            "case": "s/t/openai/non_stream",
            "request": {"method": "POST", "path": "/v1/chat/completions", "body": {"model": "m"}},
            "response": {"no_response_ms": 300.0}
        });
        std::fs::write(&path, hang.to_string()).unwrap();
        std::fs::write(dir.path().join("openai/s/a.json"), fixture("after")).unwrap();
        // One connection at a time: a held timeout would keep the next request waiting for the
        // whole hold (at least 10 s).
        let options = TimedReplayOptions { timing: false, cache: false, max_connections: 1, ..Default::default() };
        let server = TimedReplayServer::start(dir.path(), options).await.unwrap();
        let addr = server.uri().trim_start_matches("http://").to_string();
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let body = r#"{"model":"m"}"#;
        let req = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\nx-llm-conform-case: s/t/openai/non_stream\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(req.as_bytes()).await.unwrap();
        while server.requests() == 0 {
            tokio::task::yield_now().await;
        }
        drop(conn);
        let next =
            tokio::time::timeout(Duration::from_secs(5), ask(&server.uri(), "s/a/openai/non_stream", body)).await;
        assert!(next.is_ok_and(|a| a.ends_with(r#"{"answer":"after"}"#)), "the held connection was not let go");
    }
}
