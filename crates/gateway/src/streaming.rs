//! Streamed chat completions: OpenAI chunk SSE whatever the provider's family, each chunk sent
//! as soon as it is decoded.
//!
//! A stream is committed at its first chunk. Before that, a failure is the router's to handle
//! (retry, fall back) and the client gets a plain error with the right status; after it, the
//! status line has left, so a failure ends the stream with an error event (`data: {"error":
//! ...}`, which the OpenAI SDKs raise as `APIError`), never a silent truncation, and later
//! candidates are skipped.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::api_error::ApiError;
use crate::app::App;
use crate::chat::{Prepared, Summary, attempt_deadline, deadline_passed, finish, scrub};
use crate::completion_chunks::chunks_of;
use crate::in_flight::InFlightGuard;
use crate::response_headers::Served;
use crate::sse_frame::{DONE, data_frame};
use llm_conform_core::api::{ChatCompletionChunk, ChatRequest};
use llm_conform_core::router::{CallResult, Candidate, SendOutcome};
use llm_conform_core::secrets::Redactor;
use llm_conform_core::transport::{ChunkStream, StreamStart};

/// Frames queued between the provider and a slow client: enough to absorb jitter, small enough
/// that a stalled client stalls the provider read instead of buffering the whole stream.
const FRAME_BUFFER: usize = 32;

/// The client's side of a stream.
struct Sink {
    head: Option<oneshot::Sender<Result<Served, ApiError>>>,
    frames: Option<mpsc::Sender<Bytes>>,
    guard: Option<InFlightGuard>,
    include_usage: bool,
    calls: usize,
    started: Instant,
    first_output: Option<Instant>,
    client_gone: bool,
    redactor: Redactor,
}

impl Sink {
    fn committed(&self) -> bool {
        self.head.is_none()
    }

    /// Sends the status line and headers; false when the client has gone.
    fn commit(&mut self, cand: &Candidate) -> bool {
        let Some(head) = self.head.take() else { return true };
        let served =
            Served { provider: cand.provider.clone(), model: cand.model.clone(), calls: self.calls, cost_usd: None };
        if head.send(Ok(served)).is_err() {
            self.client_gone = true;
            self.end_now();
            return false;
        }
        true
    }

    /// Sends chunks as OpenAI chunk events; false when the client has gone.
    async fn send_chunks(&mut self, chunks: &mut Vec<ChatCompletionChunk>) -> bool {
        let Some(tx) = &self.frames else { return false };
        for mut c in chunks.drain(..) {
            if !self.include_usage {
                if c.choices.is_empty() {
                    continue;
                }
                c.usage = None;
            }
            if self.first_output.is_none() && c.has_output() {
                self.first_output = Some(Instant::now());
            }
            let mut frame = data_frame(&c);
            if self.redactor.leaks(&frame) {
                frame = Bytes::from(scrub(&self.redactor, frame.to_vec()));
            }
            if tx.send(frame).await.is_err() {
                self.client_gone = true;
                self.end_now();
                return false;
            }
        }
        true
    }

    /// Sends the last frame (`[DONE]` or an error event) and closes the body.
    async fn end(&mut self, last: Bytes) {
        if let Some(tx) = self.frames.take() {
            let _ = tx.send(last).await;
        }
        self.end_now();
    }

    /// Resolves when the client has gone: its connection closed before or during the stream.
    async fn gone(&mut self) {
        match (&mut self.head, &self.frames) {
            (Some(head), _) => head.closed().await,
            (None, Some(tx)) => tx.closed().await,
            (None, None) => {}
        }
    }

    fn end_now(&mut self) {
        self.frames = None;
        self.guard = None;
    }
}

pub async fn respond(app: Arc<App>, p: Prepared, guard: InFlightGuard, started: Instant) -> Response {
    let (head_tx, head_rx) = oneshot::channel();
    let (frames_tx, mut frames_rx) = mpsc::channel::<Bytes>(FRAME_BUFFER);
    let sink = Sink {
        head: Some(head_tx),
        frames: Some(frames_tx),
        guard: Some(guard),
        include_usage: p.include_usage,
        calls: 0,
        started,
        first_output: None,
        client_gone: false,
        redactor: app.upstream.redactor().clone(),
    };
    tokio::spawn(run(app, p, sink));
    match head_rx.await {
        Ok(Ok(served)) => {
            let body = futures::stream::poll_fn(move |cx| frames_rx.poll_recv(cx).map(|f| f.map(Ok::<_, Infallible>)));
            let mut resp = (StatusCode::OK, Body::from_stream(body)).into_response();
            let h = resp.headers_mut();
            h.insert("content-type", HeaderValue::from_static("text/event-stream"));
            h.insert("cache-control", HeaderValue::from_static("no-cache"));
            served.apply(h);
            resp
        }
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::internal("the stream ended before it started").into_response(),
    }
}

async fn run(app: Arc<App>, p: Prepared, sink: Sink) {
    let sink = Mutex::new(sink);
    let (app_ref, sink_ref, forward, until) = (&*app, &sink, &p.forward, p.until);
    let route = app.router.route(&p.req, &p.target, |cand, r, deadline, _| async move {
        match attempt_deadline(until, deadline) {
            Some(d) => attempt(app_ref, sink_ref, cand, r, d, forward).await,
            None => deadline_passed(),
        }
    });
    let outcome = tokio::time::timeout_at(until + Duration::from_millis(50), route).await;
    let mut s = sink.lock().await;
    let mut summary = match &outcome {
        Ok(o) => Summary::of(&app, o),
        Err(_) => Summary::rejected(&ApiError::deadline(app.deadline.as_secs_f64())),
    };
    if !s.committed() {
        let e = summary.error.clone().unwrap_or_else(|| ApiError::internal("the route ended without a response"));
        summary.status = e.status;
        if let Some(head) = s.head.take() {
            let _ = head.send(Err(e));
        }
    } else {
        if s.frames.is_some() {
            // The route ended (its deadline) while the stream was open.
            let e = summary.error.clone().unwrap_or_else(|| ApiError::deadline(app.deadline.as_secs_f64()));
            s.end(e.to_sse_frame()).await;
        }
        summary.status = if s.client_gone { 499 } else { 200 };
    }
    summary.ttft_seconds = s.first_output.map(|t| t.duration_since(s.started).as_secs_f64());
    s.end_now();
    finish(&app, &summary, s.started, true, &p.req.model);
}

/// One streamed attempt at `cand`.
async fn attempt(
    app: &App,
    sink: &Mutex<Sink>,
    cand: Candidate,
    req: ChatRequest,
    deadline: Duration,
    forward: &[(String, String)],
) -> SendOutcome {
    let mut s = sink.lock().await;
    if s.committed() {
        return SendOutcome::Skip("the response is already streaming from an earlier candidate".into());
    }
    let (adapter, native) = match app.upstream.prepare(&cand, &req, forward) {
        Ok(p) => p,
        Err(why) => return SendOutcome::Skip(why.to_string()),
    };
    s.calls += 1;
    match app.upstream.open_stream(adapter, &native, deadline).await {
        StreamStart::Whole { result, chunks, status, timings } => {
            if let Ok(resp) = &result {
                let mut chunks = if chunks.is_empty() { chunks_of(resp) } else { chunks };
                if !s.commit(&cand) || !s.send_chunks(&mut chunks).await {
                    return SendOutcome::Skip("the client went away".into());
                }
                s.end(Bytes::from_static(DONE)).await;
            }
            SendOutcome::Called(CallResult {
                result,
                latency_ms: timings.total_ms,
                ttft_ms: timings.ttft_ms,
                status,
                notes: Vec::new(),
            })
        }
        StreamStart::Streaming(stream) => forward_stream(app, &mut s, &cand, stream).await,
    }
}

/// Passes chunks on as they are decoded; ends the client's stream with `[DONE]` or an error
/// event once committed.
async fn forward_stream(app: &App, s: &mut Sink, cand: &Candidate, mut stream: ChunkStream) -> SendOutcome {
    let status = Some(stream.status());
    let mut buf = Vec::new();
    loop {
        let next = tokio::select! {
            r = stream.next_chunks(&mut buf) => r,
            // A client that leaves while the provider is quiet frees the upstream at once.
            _ = s.gone() => {
                s.client_gone = true;
                s.end_now();
                return SendOutcome::Skip("the client went away".into());
            }
        };
        match next {
            Ok(true) => {
                if !s.commit(cand) || !s.send_chunks(&mut buf).await {
                    return SendOutcome::Skip("the client went away".into());
                }
            }
            Ok(false) => break,
            Err(e) => {
                if s.committed() {
                    s.end(ApiError::from_provider(&e, app.upstream.redactor()).to_sse_frame()).await;
                }
                let latency_ms = stream.elapsed_ms();
                return SendOutcome::Called(CallResult {
                    result: Err(e),
                    latency_ms,
                    ttft_ms: None,
                    status,
                    notes: Vec::new(),
                });
            }
        }
    }
    let (result, timings) = stream.finish(&mut buf);
    match &result {
        Ok(_) => {
            if !s.commit(cand) || !s.send_chunks(&mut buf).await {
                return SendOutcome::Skip("the client went away".into());
            }
            s.end(Bytes::from_static(DONE)).await;
        }
        Err(e) if s.committed() => {
            if s.send_chunks(&mut buf).await {
                s.end(ApiError::from_provider(e, app.upstream.redactor()).to_sse_frame()).await;
            }
        }
        Err(_) => {}
    }
    SendOutcome::Called(CallResult {
        result,
        latency_ms: timings.total_ms,
        ttft_ms: timings.ttft_ms,
        status,
        notes: Vec::new(),
    })
}
