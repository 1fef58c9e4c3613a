//! A streamed call whose chunks are handed on as soon as they are decoded: what a gateway needs
//! to forward a stream instead of returning it whole (time to first token through the gateway
//! is the provider's, not the whole stream's).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::header::HeaderMap;

use super::Timings;
use super::http::{HttpTransport, ms, transport_error};
use super::stream_driver::{StreamSession, decode_stream_bytes};
use crate::api::{ChatCompletion, ChatCompletionChunk, ErrorKind, ProviderError};
use crate::providers::{Adapter, NativeRequest};

/// The most a provider may send for one call, whole body or stream: far above any real answer,
/// low enough that a misbehaving upstream cannot exhaust the gateway's memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How a streamed call began. Made once per call and moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum StreamStart {
    /// The provider answered without a stream (an error status, or a whole body): the call is
    /// over, and `chunks` holds what a non-streamed SSE body decoded to.
    Whole {
        result: Result<ChatCompletion, ProviderError>,
        chunks: Vec<ChatCompletionChunk>,
        status: Option<u16>,
        timings: Timings,
    },
    /// The provider is streaming: chunks follow through [`ChunkStream::next_chunks`].
    Streaming(ChunkStream),
}

/// An open stream from a provider, decoded chunk by chunk.
pub struct ChunkStream {
    session: StreamSession,
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    start: Instant,
    deadline: tokio::time::Instant,
    budget: Duration,
    status: u16,
    timings: Timings,
    received: usize,
}

impl HttpTransport {
    /// Sends a streaming request and returns as soon as the response headers are in. The
    /// deadline covers the whole call, stream included.
    pub async fn open_stream(&self, adapter: &dyn Adapter, req: &NativeRequest, deadline: Duration) -> StreamStart {
        let start = Instant::now();
        let until = tokio::time::Instant::now() + deadline;
        let mut timings = Timings::default();
        let sent = tokio::time::timeout_at(until, self.send(req)).await;
        let resp = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return whole(Err(e), None, start, timings),
            Err(_) => return whole(Err(timed_out(deadline)), None, start, timings),
        };
        timings.ttfb_ms = Some(ms(start.elapsed()));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let is_sse = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if status >= 400 || !is_sse {
            let bytes = match tokio::time::timeout_at(until, read_capped(resp)).await {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => return whole(Err(e), Some(status), start, timings),
                Err(_) => return whole(Err(timed_out(deadline)), Some(status), start, timings),
            };
            return whole_body(adapter, req, status, &headers, &bytes, start, timings);
        }
        StreamStart::Streaming(ChunkStream {
            session: StreamSession::new(adapter, &req.hints),
            body: resp.bytes_stream().boxed(),
            start,
            deadline: until,
            budget: deadline,
            status,
            timings,
            received: 0,
        })
    }
}

impl ChunkStream {
    /// The HTTP status the stream came with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Waits for the next decoded chunks and appends them to `out`. `Ok(true)` while the stream
    /// goes on, `Ok(false)` once the provider closed it (then [`ChunkStream::finish`] says how
    /// it ended); an error when the connection broke or the deadline passed.
    pub async fn next_chunks(&mut self, out: &mut Vec<ChatCompletionChunk>) -> Result<bool, ProviderError> {
        loop {
            let next = match tokio::time::timeout_at(self.deadline, self.body.next()).await {
                Ok(n) => n,
                Err(_) => return Err(timed_out(self.budget)),
            };
            let bytes = match next {
                None => return Ok(false),
                Some(Ok(b)) => b,
                Some(Err(e)) => {
                    let mut err = transport_error(e);
                    err.message = format!("stream interrupted: {}", err.message);
                    return Err(err);
                }
            };
            self.received += bytes.len();
            if self.received > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            let output = self.session.feed(&bytes, None);
            if output && self.timings.ttft_ms.is_none() {
                self.timings.ttft_ms = Some(ms(self.start.elapsed()));
            }
            if !self.session.chunks.is_empty() {
                out.append(&mut self.session.chunks);
                return Ok(true);
            }
        }
    }

    /// Ends the stream: the reassembled response, or the error that ended it (an error event,
    /// or a stream cut before its end marker). Chunks decoded at the very end go to `out`.
    pub fn finish(mut self, out: &mut Vec<ChatCompletionChunk>) -> (Result<ChatCompletion, ProviderError>, Timings) {
        let r = self.session.finish(None);
        out.extend(r.chunks);
        self.timings.total_ms = ms(self.start.elapsed());
        (r.result, self.timings)
    }

    /// Time since the request was sent.
    pub fn elapsed_ms(&self) -> f64 {
        ms(self.start.elapsed())
    }
}

fn too_large() -> ProviderError {
    ProviderError::malformed(format!("the response exceeds {MAX_RESPONSE_BYTES} bytes"))
}

/// A whole body, refused past [`MAX_RESPONSE_BYTES`].
async fn read_capped(resp: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    if resp.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = resp.bytes_stream();
    let mut out = Vec::new();
    while let Some(b) = body.next().await {
        let b = b.map_err(transport_error)?;
        if out.len() + b.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        out.extend_from_slice(&b);
    }
    Ok(out)
}

fn timed_out(deadline: Duration) -> ProviderError {
    ProviderError::new(ErrorKind::Timeout, format!("no complete response within {:.1}s", deadline.as_secs_f64()))
}

fn whole(
    result: Result<ChatCompletion, ProviderError>,
    status: Option<u16>,
    start: Instant,
    mut timings: Timings,
) -> StreamStart {
    timings.total_ms = ms(start.elapsed());
    StreamStart::Whole { result, chunks: Vec::new(), status, timings }
}

/// A response that came back whole although a stream was asked for: an error, a JSON body, or
/// SSE text without the event-stream content type.
fn whole_body(
    adapter: &dyn Adapter,
    req: &NativeRequest,
    status: u16,
    headers: &HeaderMap,
    bytes: &[u8],
    start: Instant,
    timings: Timings,
) -> StreamStart {
    if status >= 400 {
        return whole(Err(adapter.classify_error(status, headers, bytes)), Some(status), start, timings);
    }
    if bytes.starts_with(b"data:") || bytes.starts_with(b"event:") {
        let r = decode_stream_bytes(adapter, &req.hints, bytes);
        let mut t = timings;
        t.total_ms = ms(start.elapsed());
        return StreamStart::Whole { result: r.result, chunks: r.chunks, status: Some(status), timings: t };
    }
    whole(adapter.decode(bytes, &req.hints), Some(status), start, timings)
}
