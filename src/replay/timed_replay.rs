//! Timed replay: a server on 127.0.0.1 (hyper) that serves fixtures with their recorded timing,
//! so time to first token behaves offline as it did when the fixture was recorded.
//!
//! The wiremock replay server answers with whole bodies; a stream's events all arrive at once,
//! so a replayed TTFT says nothing. Here each stream event is sent as its own body frame (chunked
//! on the wire) at its `t_ms` offset from the moment the request arrived; events recorded at the
//! same offset go out together. Non-stream bodies carry no timing and are sent at once.
//!
//! It matches requests to fixtures with the same check, and answers with the same harness errors
//! (a 599 marked with [`REPLAY_ERROR_HEADER`]), as the wiremock replay server
//! (`fixture_match`). Fixtures are parsed once and kept in memory: a benchmark repeats the same
//! cases, and re-reading them would be what it measures.
//!
//! It is bounded — at most [`TimedReplayOptions::max_connections`] connections, request bodies
//! up to 16 MiB, a connection idle for the idle timeout closed — and self-stopping: it stops
//! when dropped, or by itself once no request has arrived for the idle timeout and no
//! connection is open, so a forgotten server never outlives the work it served.
//!
//! The same server, built with [`TimedReplayServer::fixed`], answers every request with one
//! canned response: the local upstream of the overhead benchmarks.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use llm_conform_mock::CASE_HEADER;

use super::{Fixture, FixtureRequest, REPLAY_ERROR_HEADER, fixture_match};

/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Longest recorded offset honoured: a fixture claiming more is treated as this, so a corrupt
/// offset cannot park a connection for hours.
const MAX_OFFSET: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct TimedReplayOptions {
    /// Serve stream events at their recorded offsets; when false everything is sent at once,
    /// which measures the harness rather than the recording.
    pub timing: bool,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// A keep-alive connection with no request for this long is closed, and the server stops
    /// once no connection has been opened for this long and none is open.
    pub idle_timeout: Duration,
}

impl Default for TimedReplayOptions {
    fn default() -> Self {
        TimedReplayOptions { timing: true, max_connections: 256, idle_timeout: Duration::from_secs(300) }
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
            // As the wiremock replay: answer far later than the client will wait.
            let hold = offset(waited * 20.0).max(Duration::from_secs(10)).min(MAX_OFFSET);
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

/// A recorded offset as a delay: never negative, never past [`MAX_OFFSET`], whatever the file says.
fn offset(t_ms: f64) -> Duration {
    Duration::try_from_secs_f64(t_ms / 1000.0)
        .map_or(if t_ms > 0.0 { MAX_OFFSET } else { Duration::ZERO }, |d| d.min(MAX_OFFSET))
}

/// A fixture ready to serve: what it must be asked, and what it answers.
struct Prepared {
    path: PathBuf,
    request: FixtureRequest,
    reply: Arc<Reply>,
}

/// What the server answers with.
enum Responder {
    Fixtures { root: PathBuf, timing: bool, cache: Mutex<HashMap<String, Arc<Prepared>>> },
    Fixed(Arc<Reply>),
}

impl Responder {
    fn reply(&self, case: Option<&str>, method: &str, target: &str, body: &[u8]) -> Arc<Reply> {
        match self {
            Responder::Fixed(r) => r.clone(),
            Responder::Fixtures { root, timing, cache } => {
                match serve_fixture(root, *timing, cache, case, method, target, body) {
                    Ok(r) => r,
                    Err(refusal) => Arc::new(Reply::replay_error(fixture_match::describe(&refusal))),
                }
            }
        }
    }
}

fn serve_fixture(
    root: &Path,
    timing: bool,
    cache: &Mutex<HashMap<String, Arc<Prepared>>>,
    case: Option<&str>,
    method: &str,
    target: &str,
    body: &[u8],
) -> Result<Arc<Reply>, fixture_match::ReplayRefusal> {
    let case = fixture_match::case_of(case, target)?;
    let key = case.to_string();
    let cached = cache.lock().ok().and_then(|c| c.get(&key).cloned());
    let prepared = match cached {
        Some(p) => p,
        None => {
            let path = fixture_match::fixture_path(root, &case)?;
            let fixture = fixture_match::load(&path)?;
            let reply = Arc::new(Reply::from_fixture(&fixture, timing));
            let p = Arc::new(Prepared { path, request: fixture.request, reply });
            if let Ok(mut c) = cache.lock() {
                c.insert(key, p.clone());
            }
            p
        }
    };
    fixture_match::check_request(&prepared.request, &prepared.path, method, target, body)?;
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
            cache: Mutex::new(HashMap::new()),
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
        let idle = shared.idle;
        conns.spawn(async move {
            let _permit = permit;
            let _ = stream.set_nodelay(true);
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                // A keep-alive connection waiting this long for its next request is closed.
                .header_read_timeout(idle)
                .serve_connection(TokioIo::new(stream), service);
            let _ = conn.await;
        });
    }
}

type Body = BoxBody<Bytes, Infallible>;

/// Reads the request (bounded), finds the reply and sends it, each timed part when it is due.
async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let arrived = Instant::now();
    let method = req.method().as_str().to_string();
    let target = req.uri().path_and_query().map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let case = req.headers().get(CASE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    if hyper::body::Body::size_hint(req.body()).lower() > MAX_BODY as u64 {
        return respond(&Reply::plain(413, "request body too large"), arrived);
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return respond(&Reply::plain(413, "request body too large"), arrived),
    };
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let reply = shared.responder.reply(case.as_deref(), &method, &target, &body);
    if let ReplyBody::Hang(hold) = &reply.body {
        tokio::time::sleep_until(arrived + *hold).await;
    }
    respond(&reply, arrived)
}

fn respond(reply: &Reply, arrived: Instant) -> Response<Body> {
    let mut builder = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        // A header that cannot be sent is dropped rather than fail the response.
        if let (Ok(name), Ok(value)) =
            (hyper::header::HeaderName::from_bytes(k.as_bytes()), hyper::header::HeaderValue::from_str(v))
        {
            builder = builder.header(name, value);
        }
    }
    let body: Body = match &reply.body {
        ReplyBody::Whole(bytes) => Full::new(bytes.clone()).boxed(),
        ReplyBody::Hang(_) => Full::new(Bytes::new()).boxed(),
        ReplyBody::Timed(parts) => {
            let parts = parts.clone();
            let frames = futures::stream::unfold(parts.into_iter(), move |mut rest| async move {
                let (at, bytes) = rest.next()?;
                tokio::time::sleep_until(arrived + at).await;
                Some((Ok::<_, Infallible>(Frame::data(bytes)), rest))
            });
            BodyExt::boxed(StreamBody::new(frames))
        }
    };
    builder.body(body).unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_from_a_corrupt_fixture_are_bounded_not_a_panic() {
        assert_eq!(offset(1e300), MAX_OFFSET);
        assert_eq!(offset(f64::INFINITY), MAX_OFFSET);
        assert_eq!(offset(f64::NAN), Duration::ZERO);
        assert_eq!(offset(-5.0), Duration::ZERO);
        assert_eq!(offset(250.0), Duration::from_millis(250));
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
