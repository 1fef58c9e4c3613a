//! Timed replay: a small HTTP/1.1 server on 127.0.0.1 that serves fixtures with their recorded
//! timing, so time to first token behaves offline as it did when the fixture was recorded.
//!
//! With timing off every stream event goes out at once: that is the replay server of offline
//! runs ([`super::ReplayServer`]), where a replayed TTFT says nothing. With timing on each
//! stream event is written as its own chunk
//! (`transfer-encoding: chunked`) at its `t_ms` offset from the moment the request arrived;
//! events recorded at the same offset go out in one write. Non-stream bodies carry no timing
//! and are sent at once with a `content-length`.
//!
//! Where it cannot serve a fixture it answers a 599 marked with [`REPLAY_ERROR_HEADER`], naming
//! the missing file or the request diff, which the runner reports as a harness error. Fixtures
//! are parsed once and kept in memory when [`TimedReplayOptions::cache`] says so: a benchmark
//! repeats the same cases, and re-reading them would be what it measures.
//!
//! It is bounded — at most [`TimedReplayOptions::max_connections`] connections, request heads
//! up to 64 KiB and bodies up to 16 MiB, keep-alive connections closed after the idle timeout —
//! and self-stopping: it stops when dropped, or by itself once no request has arrived for the
//! idle timeout, so a forgotten server never outlives the work it served.
//!
//! The same server, built with [`TimedReplayServer::fixed`], answers every request with one
//! canned response: the local upstream of the overhead benchmarks.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use llm_conform_mock::CASE_HEADER;

use super::{Fixture, REPLAY_ERROR_HEADER};
use crate::diff::json_diff;
use crate::suite::CaseId;

/// Largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Longest recorded offset honoured: a fixture claiming more is treated as this, so a corrupt
/// offset cannot park a connection for hours.
const MAX_OFFSET: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct TimedReplayOptions {
    /// Serve stream events at their recorded offsets; when false everything is sent at once
    /// (still chunked), which measures the harness rather than the recording.
    pub timing: bool,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// A keep-alive connection with no request for this long is closed, and the server stops
    /// once no connection has been opened for this long and none is open.
    pub idle_timeout: Duration,
    /// Keep every fixture served, parsed: a benchmark asks for the same cases again and again.
    /// A replay run asks for each once, and would only hold them all until it ends.
    pub cache: bool,
}

impl Default for TimedReplayOptions {
    fn default() -> Self {
        TimedReplayOptions { timing: true, max_connections: 256, idle_timeout: Duration::from_secs(300), cache: true }
    }
}

/// A response the server sends: a status, headers, and a body sent whole or in timed parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// Sent as given; `content-length`/`transfer-encoding` are set by the server.
    pub headers: Vec<(String, String)>,
    pub body: ReplyBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBody {
    /// Sent at once with a `content-length`.
    Whole(Bytes),
    /// Sent chunked, each part when its offset from the request's arrival has passed.
    Timed(Vec<(Duration, Bytes)>),
    /// No response: the connection is held this long, then answered 504 (a recorded timeout;
    /// the client gives up first).
    Hang(Duration),
}

impl Reply {
    /// A JSON body with status 200.
    pub fn json(body: &Value) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: ReplyBody::Whole(Bytes::from(serde_json::to_vec(body).unwrap_or_default())),
        }
    }

    /// An SSE body with status 200, every part at once.
    pub fn sse(body: impl Into<Bytes>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body: ReplyBody::Timed(vec![(Duration::ZERO, body.into())]),
        }
    }

    fn replay_error(message: String) -> Reply {
        Reply {
            status: 599,
            headers: vec![(REPLAY_ERROR_HEADER.into(), "1".into()), ("content-type".into(), "text/plain".into())],
            body: ReplyBody::Whole(Bytes::from(message)),
        }
    }

    fn plain(status: u16, message: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: ReplyBody::Whole(Bytes::from(message.to_string())),
        }
    }

    /// The response a fixture recorded, with or without its event timing.
    pub fn from_fixture(fixture: &Fixture, timing: bool) -> Reply {
        let r = &fixture.response;
        if let Some(waited) = r.no_response_ms {
            // Answer far later than the client will wait.
            let hold = Duration::from_millis((waited * 20.0).max(10_000.0) as u64).min(MAX_OFFSET);
            return Reply { status: 504, headers: Vec::new(), body: ReplyBody::Hang(hold) };
        }
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if r.events.is_empty() {
            let (bytes, content_type) = fixture.wire_body();
            headers.push(("content-type".into(), content_type));
            return Reply { status: r.status, headers, body: ReplyBody::Whole(Bytes::from(bytes)) };
        }
        headers.push(("content-type".into(), "text/event-stream".into()));
        let mut parts: Vec<(Duration, String)> = Vec::new();
        for e in &r.events {
            let at = if timing { offset(e.t_ms) } else { Duration::ZERO };
            // Offsets never go backwards on the wire: a later event recorded earlier waits
            // for the one before it.
            let at = parts.last().map_or(at, |(prev, _)| at.max(*prev));
            match parts.last_mut() {
                Some((prev, text)) if *prev == at => {
                    llm_conform_core::providers::sse::encode_event(e.event.as_deref(), &e.data, text);
                }
                _ => {
                    let mut text = String::new();
                    llm_conform_core::providers::sse::encode_event(e.event.as_deref(), &e.data, &mut text);
                    parts.push((at, text));
                }
            }
        }
        let parts = parts.into_iter().map(|(at, text)| (at, Bytes::from(text))).collect();
        Reply { status: r.status, headers, body: ReplyBody::Timed(parts) }
    }
}

fn offset(t_ms: f64) -> Duration {
    if t_ms.is_finite() && t_ms > 0.0 { Duration::from_secs_f64(t_ms / 1000.0).min(MAX_OFFSET) } else { Duration::ZERO }
}

/// A fixture ready to serve: what it must be asked, and what it answers.
struct Prepared {
    method: String,
    path: String,
    body: Value,
    reply: Arc<Reply>,
}

/// What the server answers with.
enum Responder {
    /// `cache` is `None` when fixtures are read for every request.
    Fixtures {
        root: PathBuf,
        timing: bool,
        cache: Option<Mutex<HashMap<String, Arc<Prepared>>>>,
    },
    Fixed(Arc<Reply>),
}

/// The parts of a request the server acts on.
#[derive(Debug, Default)]
struct RequestHead {
    method: String,
    target: String,
    case: Option<String>,
    content_length: usize,
    chunked: bool,
    close: bool,
}

impl Responder {
    fn reply(&self, head: &RequestHead, body: &[u8]) -> Arc<Reply> {
        match self {
            Responder::Fixed(r) => r.clone(),
            Responder::Fixtures { root, timing, cache } => {
                match serve_fixture(root, *timing, cache.as_ref(), head, body) {
                    Ok(r) => r,
                    Err(message) => Arc::new(Reply::replay_error(message)),
                }
            }
        }
    }
}

fn serve_fixture(
    root: &Path,
    timing: bool,
    cache: Option<&Mutex<HashMap<String, Arc<Prepared>>>>,
    head: &RequestHead,
    body: &[u8],
) -> Result<Arc<Reply>, String> {
    let case_header = head.case.as_deref().unwrap_or("");
    let case = CaseId::parse(case_header)
        .ok_or_else(|| format!("replay: request to {} has no valid {CASE_HEADER} header", head.target))?;
    let key = case.to_string();
    let cached = cache.and_then(|c| c.lock().ok()).and_then(|c| c.get(&key).cloned());
    let prepared = match cached {
        Some(p) => p,
        None => {
            let path = root.join(case.fixture_path());
            if !path.exists() {
                return Err(super::replay_server::missing_fixture(&path, &case));
            }
            let fixture = Fixture::load(&path).map_err(|e| e.to_string())?;
            let p = Arc::new(Prepared {
                method: fixture.request.method.clone(),
                path: fixture.request.path.clone(),
                body: fixture.request.body.clone(),
                reply: Arc::new(Reply::from_fixture(&fixture, timing)),
            });
            if let Some(mut c) = cache.and_then(|c| c.lock().ok()) {
                c.insert(key, p.clone());
            }
            p
        }
    };
    let fixture_path = || root.join(case.fixture_path()).display().to_string();
    if prepared.method != head.method || prepared.path != head.target {
        return Err(format!(
            "replay: {} {} does not match fixture {} ({} {}); re-record it",
            head.method,
            head.target,
            fixture_path(),
            prepared.method,
            prepared.path
        ));
    }
    let got: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if got != prepared.body {
        return Err(format!(
            "replay: request body differs from fixture {} (the encoder changed, or the scenario did):\n{}",
            fixture_path(),
            json_diff(("fixture", &prepared.body), ("request", &got))
        ));
    }
    Ok(prepared.reply.clone())
}

/// A running server on 127.0.0.1; stops when dropped.
pub struct TimedReplayServer {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl TimedReplayServer {
    /// Serves the fixtures under `fixtures_root`, matched by the case header as in replay.
    pub async fn start(fixtures_root: &Path, options: TimedReplayOptions) -> io::Result<TimedReplayServer> {
        let responder = Responder::Fixtures {
            root: fixtures_root.to_path_buf(),
            timing: options.timing,
            cache: options.cache.then(|| Mutex::new(HashMap::new())),
        };
        Self::spawn(responder, options).await
    }

    /// Answers every request with `reply`, whatever it asks.
    pub async fn fixed(reply: Reply, options: TimedReplayOptions) -> io::Result<TimedReplayServer> {
        Self::spawn(Responder::Fixed(Arc::new(reply)), options).await
    }

    async fn spawn(responder: Responder, options: TimedReplayOptions) -> io::Result<TimedReplayServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared { responder, requests: requests.clone(), idle: options.idle_timeout });
        let task = tokio::spawn(accept_loop(listener, shared, options.max_connections.max(1)));
        Ok(TimedReplayServer { addr, requests, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests answered (or being answered) so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Whether the server stopped by itself after its idle timeout.
    pub fn is_stopped(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for TimedReplayServer {
    fn drop(&mut self) {
        // The accept task owns every connection task (a JoinSet): aborting it stops them all.
        self.task.abort();
    }
}

struct Shared {
    responder: Responder,
    requests: Arc<AtomicU64>,
    idle: Duration,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, max_connections: usize) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let accepted = match tokio::time::timeout(shared.idle, listener.accept()).await {
            Ok(a) => a,
            Err(_) if conns.is_empty() => return,
            Err(_) => continue,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of descriptors or a connection reset before accept: back off briefly
                // rather than spin.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let shared = shared.clone();
        conns.spawn(async move {
            let _permit = permit;
            let _ = serve_connection(stream, &shared).await;
        });
    }
}

async fn serve_connection(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(8 * 1024);
    loop {
        let head_end = loop {
            if let Some(i) = memchr::memmem::find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > MAX_HEAD {
                return send_and_close(&mut stream, 431, "request head too large").await;
            }
            match tokio::time::timeout(shared.idle, stream.read_buf(&mut buf)).await {
                Ok(Ok(0)) | Err(_) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
            }
        };
        let arrived = Instant::now();
        let Some(head) = parse_head(&buf[..head_end]) else {
            return send_and_close(&mut stream, 400, "malformed request head").await;
        };
        if head.chunked {
            return send_and_close(&mut stream, 411, "chunked request bodies are not supported").await;
        }
        if head.content_length > MAX_BODY {
            return send_and_close(&mut stream, 413, "request body too large").await;
        }
        let end = head_end + head.content_length;
        while buf.len() < end {
            match tokio::time::timeout(shared.idle, stream.read_buf(&mut buf)).await {
                Ok(Ok(0)) | Err(_) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
            }
        }
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let reply = shared.responder.reply(&head, &buf[head_end..end]);
        write_reply(&mut stream, &reply, arrived, head.close, &mut out).await?;
        buf.drain(..end);
        if head.close {
            return Ok(());
        }
    }
}

/// Parses the request line and the headers the server needs; `None` when it is not HTTP/1.x.
fn parse_head(head: &[u8]) -> Option<RequestHead> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target, version) = (first.next()?, first.next()?, first.next()?);
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return None;
    }
    let mut h = RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        close: version == "HTTP/1.0",
        ..Default::default()
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            h.content_length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            h.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                h.close = true;
            } else if v.contains("keep-alive") {
                h.close = false;
            }
        } else if name.eq_ignore_ascii_case(CASE_HEADER) {
            h.case = Some(value.to_string());
        }
    }
    Some(h)
}

async fn send_and_close(stream: &mut TcpStream, status: u16, message: &str) -> io::Result<()> {
    let mut out = Vec::new();
    write_reply(stream, &Reply::plain(status, message), Instant::now(), true, &mut out).await?;
    stream.shutdown().await
}

fn status_line(out: &mut Vec<u8>, status: u16) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Status",
    };
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
}

fn headers(out: &mut Vec<u8>, reply: &Reply, close: bool) {
    for (k, v) in &reply.headers {
        // A header that cannot be written safely is dropped rather than split the response.
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            continue;
        }
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
}

fn chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Writes `reply`, sleeping until each timed part's offset from `arrived`. The head and every
/// part due at the same moment go out in one write.
async fn write_reply(
    stream: &mut TcpStream,
    reply: &Reply,
    arrived: Instant,
    close: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    out.clear();
    match &reply.body {
        ReplyBody::Whole(body) => {
            status_line(out, reply.status);
            headers(out, reply, close);
            out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
            stream.write_all(out).await
        }
        ReplyBody::Hang(hold) => {
            // The client gives up first (it is a recorded timeout): stop holding once it hangs
            // up, or a run of many such cases keeps a connection slot each for the whole hold.
            let mut probe = [0u8; 1];
            tokio::select! {
                _ = tokio::time::sleep_until(arrived + *hold) => {}
                _ = stream.read(&mut probe) => return Ok(()),
            }
            status_line(out, reply.status);
            headers(out, reply, true);
            out.extend_from_slice(b"content-length: 0\r\n\r\n");
            stream.write_all(out).await
        }
        ReplyBody::Timed(parts) => {
            status_line(out, reply.status);
            headers(out, reply, close);
            out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
            for (at, bytes) in parts {
                let due = arrived + *at;
                if Instant::now() < due {
                    if !out.is_empty() {
                        stream.write_all(out).await?;
                        out.clear();
                    }
                    tokio::time::sleep_until(due).await;
                }
                chunk(out, bytes);
            }
            out.extend_from_slice(b"0\r\n\r\n");
            stream.write_all(out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_head_fields_it_needs() {
        let h = parse_head(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nx-llm-conform-case: a/b/openai/stream\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.method, "POST");
        assert_eq!(h.target, "/v1/chat/completions");
        assert_eq!(h.content_length, 12);
        assert_eq!(h.case.as_deref(), Some("a/b/openai/stream"));
        assert!(!h.close);
        let h = parse_head(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(h.close);
        assert!(parse_head(b"garbage\r\n\r\n").is_none());
        assert!(parse_head(b"GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n").is_none());
        assert!(parse_head(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap().chunked);
    }

    #[test]
    fn events_at_one_offset_share_a_part_and_offsets_never_go_back() {
        let fixture: Fixture = serde_json::from_value(serde_json::json!({
            "provenance": {"source": "synthesized", "date": "2026-01-01"},
            "case": "s/x/openai/stream",
            "request": {"method": "POST", "path": "/v1/chat/completions", "body": {}},
            "response": {"status": 200, "events": [
                {"t_ms": 5.0, "data": "a"}, {"t_ms": 5.0, "data": "b"},
                {"t_ms": 9.0, "data": "c"}, {"t_ms": 7.0, "data": "[DONE]"}
            ]}
        }))
        .unwrap();
        let ReplyBody::Timed(parts) = Reply::from_fixture(&fixture, true).body else { panic!("not timed") };
        let got: Vec<(u128, String)> =
            parts.iter().map(|(at, b)| (at.as_millis(), String::from_utf8_lossy(b).to_string())).collect();
        assert_eq!(
            got,
            vec![(5, "data: a\n\ndata: b\n\n".to_string()), (9, "data: c\n\ndata: [DONE]\n\n".to_string()),]
        );
        let ReplyBody::Timed(untimed) = Reply::from_fixture(&fixture, false).body else { panic!("not timed") };
        assert_eq!(untimed.len(), 1);
    }
}
