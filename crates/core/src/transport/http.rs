use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::exchange::RawResponse;
use super::stream_driver::{StreamResult, StreamSession};
use super::{CallOutcome, ResponseLimits, Timings};
use crate::api::{ChatCompletion, ChatCompletionChunk, ErrorKind, ProviderError};
use crate::providers::{Adapter, NativeRequest, ResponseHints};

#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Whole-call deadline, body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// What one response may cost: body size (whole or streamed) and streamed tool calls.
    pub limits: ResponseLimits,
    /// An idle pooled connection is closed after this long. A connection to a server that has
    /// gone is only noticed when it is reaped, so a client that moves from server to server
    /// (replay does) wants this short; against providers, reqwest's default of 90 s.
    pub pool_idle_timeout: Duration,
}

/// The whole-call deadline when nobody sets one: the harness's `run.timeout_s` defaults to it,
/// so an embedding application, `run`, `route` and `serve` agree.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            timeout: DEFAULT_CALL_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            limits: ResponseLimits::default(),
            pool_idle_timeout: Duration::from_secs(90),
        }
    }
}

/// Sends native requests over HTTP and decodes what comes back through the adapter.
#[derive(Clone)]
pub struct HttpTransport {
    pub(super) client: reqwest::Client,
    config: TransportConfig,
}

/// Installs the TLS crypto provider once; reqwest is built without a default one so that the
/// build does not need a C toolchain for aws-lc.
fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl HttpTransport {
    pub fn new(config: TransportConfig) -> Result<Self, ProviderError> {
        ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(config.pool_idle_timeout)
            .build()
            .map_err(|e| ProviderError::new(ErrorKind::Connection, format!("failed to build http client: {e}")))?;
        Ok(HttpTransport { client, config })
    }

    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Performs one call with the configured deadline.
    pub async fn call(&self, adapter: &dyn Adapter, req: &NativeRequest) -> CallOutcome {
        self.call_with_deadline(adapter, req, self.config.timeout).await
    }

    pub async fn call_with_deadline(
        &self,
        adapter: &dyn Adapter,
        req: &NativeRequest,
        deadline: Duration,
    ) -> CallOutcome {
        let start = Instant::now();
        let mut timings = Timings::default();
        let mut raw = RawResponse { streamed: req.hints.stream, ..Default::default() };
        let mut chunks = Vec::new();
        let fut = self.call_inner(adapter, req, start, &mut timings, &mut raw, &mut chunks);
        let result = match tokio::time::timeout(deadline, fut).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::new(
                ErrorKind::Timeout,
                format!("no complete response within {:.1}s", deadline.as_secs_f64()),
            )),
        };
        timings.total_ms = ms(start.elapsed());
        let mut outcome = CallOutcome { result, chunks, timings, raw };
        outcome.scrub();
        outcome
    }

    async fn call_inner(
        &self,
        adapter: &dyn Adapter,
        req: &NativeRequest,
        start: Instant,
        timings: &mut Timings,
        raw: &mut RawResponse,
        chunks: &mut Vec<ChatCompletionChunk>,
    ) -> Result<ChatCompletion, ProviderError> {
        let resp = self.send(req).await?;
        timings.ttfb_ms = Some(ms(start.elapsed()));
        let status = resp.status().as_u16();
        raw.status = Some(status);
        raw.headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
            .collect();
        let resp_headers = resp.headers().clone();
        let is_sse = resp_headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if status >= 400 || !req.hints.stream || !is_sse {
            raw.streamed = false;
            let limits = self.config.limits;
            if status < 400 && resp.content_length().is_some_and(|n| n > limits.max_bytes as u64) {
                return Err(limits.too_large());
            }
            let (bytes, complete) = read_capped(resp, limits.max_bytes).await?;
            raw.body = bytes;
            if status >= 400 {
                // The status decides an error whatever its size; an oversized body is
                // classified from its first `max_bytes`.
                return Err(adapter.classify_error(status, &resp_headers, &raw.body));
            }
            if !complete {
                return Err(limits.too_large());
            }
            if req.hints.stream && (raw.body.starts_with(b"data:") || raw.body.starts_with(b"event:")) {
                // A stream was asked for and a plain body came back that looks like SSE.
                let mut s = StreamSession::with_limits(adapter, &req.hints, limits);
                let mut seen = Vec::new();
                s.feed(&raw.body, Some(&mut seen));
                let r = s.finish(Some(&mut seen));
                raw.streamed = true;
                raw.events = seen.into_iter().map(|e| (timings.ttfb_ms.unwrap_or(0.0), e)).collect();
                *chunks = r.chunks;
                return r.result;
            }
            return adapter.decode(&raw.body, &req.hints);
        }
        let r = self.read_stream(adapter, &req.hints, resp, start, timings, raw).await;
        *chunks = r.chunks;
        r.result
    }

    /// Sends `req` as it was encoded: method, headers and body bytes.
    pub(super) async fn send(&self, req: &NativeRequest) -> Result<reqwest::Response, ProviderError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| ProviderError::new(ErrorKind::InvalidRequest, format!("bad http method {}", req.method)))?;
        let mut headers = HeaderMap::new();
        for (k, v) in &req.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| ProviderError::new(ErrorKind::InvalidRequest, format!("bad header name {k:?}")))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| ProviderError::new(ErrorKind::InvalidRequest, format!("bad value for header {k}")))?;
            headers.insert(name, value);
        }
        let body = req
            .body
            .to_bytes()
            .map_err(|e| ProviderError::new(ErrorKind::InvalidRequest, format!("failed to serialise body: {e}")))?
            .into_owned();
        self.client.request(method, &req.url).headers(headers).body(body).send().await.map_err(transport_error)
    }

    /// Decodes an SSE body as it arrives; stops reading as soon as the stream has failed (an
    /// error event or a limit), so an oversized stream is never read to its end.
    async fn read_stream(
        &self,
        adapter: &dyn Adapter,
        hints: &ResponseHints,
        resp: reqwest::Response,
        start: Instant,
        timings: &mut Timings,
        raw: &mut RawResponse,
    ) -> StreamResult {
        let mut session = StreamSession::with_limits(adapter, hints, self.config.limits);
        let mut body = resp.bytes_stream();
        let mut seen = Vec::new();
        while let Some(next) = body.next().await {
            match next {
                Ok(bytes) => {
                    let before = seen.len();
                    let output = session.feed(&bytes, Some(&mut seen));
                    let at = ms(start.elapsed());
                    for ev in seen.drain(before..) {
                        raw.events.push((at, ev));
                    }
                    if output && timings.ttft_ms.is_none() {
                        timings.ttft_ms = Some(at);
                    }
                    if session.has_failed() {
                        break;
                    }
                }
                Err(e) => {
                    // The connection broke mid-stream: what was decoded so far is kept in the
                    // chunks, but the call is a failure.
                    let partial = session.finish(None);
                    let mut err = body_broken(e);
                    err.message = format!("stream interrupted: {}", err.message);
                    return StreamResult { chunks: partial.chunks, result: Err(err) };
                }
            }
        }
        let at = ms(start.elapsed());
        let mut tail = Vec::new();
        let r = session.finish(Some(&mut tail));
        raw.events.extend(tail.into_iter().map(|e| (at, e)));
        r
    }
}

/// Reads a whole body, at most `max` bytes of it: returns them and whether that was all.
async fn read_capped(resp: reqwest::Response, max: usize) -> Result<(Vec<u8>, bool), ProviderError> {
    let mut out = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(next) = body.next().await {
        let bytes = next.map_err(body_broken)?;
        let room = max - out.len();
        if bytes.len() > room {
            out.extend_from_slice(&bytes[..room]);
            return Ok((out, false));
        }
        out.extend_from_slice(&bytes);
    }
    Ok((out, true))
}

/// An error while the body was arriving (a reset, a body shorter than its `content-length`, a
/// broken chunked encoding): the connection failed, whatever reqwest calls it, in both modes.
fn body_broken(e: reqwest::Error) -> ProviderError {
    let mut err = transport_error(e);
    if err.kind != ErrorKind::Timeout {
        err.kind = ErrorKind::Connection;
    }
    err
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// reqwest errors to the taxonomy; the URL is left out of the message because it may carry a
/// key as a query parameter on some providers.
pub(super) fn transport_error(e: reqwest::Error) -> ProviderError {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() || e.is_request() || e.is_body() {
        ErrorKind::Connection
    } else if e.is_decode() {
        ErrorKind::MalformedResponse
    } else {
        ErrorKind::Connection
    };
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    ProviderError::new(kind, msg)
}
