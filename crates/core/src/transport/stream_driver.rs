use super::ResponseLimits;
use crate::api::{ChatCompletion, ChatCompletionChunk, Delta, ErrorKind, ProviderError, StreamAccumulator};
use crate::providers::{Adapter, ResponseHints, SseEvent, SseEventRef, SseParser, StreamDecoder};

/// How much chunk text a stream may decode to per byte received, plus a fixed allowance. Chunks
/// share the response id and model, but they are counted as if each held its own copy (what
/// the chunks come to once serialised, as a gateway sends them); without this bound a long
/// model name followed by many tiny events would cost far more than the stream's size.
const RETAINED_PER_BYTE: usize = 4;
const RETAINED_ALLOWANCE: usize = 64 * 1024;

/// A stream being decoded: raw bytes in, canonical chunks and a reassembled response out.
/// The one path every family's stream takes, live or replayed.
///
/// Everything here is bounded by the [`ResponseLimits`]: total bytes, distinct tool calls, the
/// size of one SSE event, and the chunks kept, which stay proportional to the bytes received.
///
/// Each read is parsed whole before any of its events is decoded, so a read the SSE reader
/// refuses decodes to nothing, however far into it the refusal came. Events borrow the read's
/// bytes; they are copied only for a caller that records them.
pub struct StreamSession {
    parser: SseParser,
    decoder: Box<dyn StreamDecoder>,
    acc: StreamAccumulator,
    pub chunks: Vec<ChatCompletionChunk>,
    failed: Option<ProviderError>,
    limits: ResponseLimits,
    received: usize,
    /// Estimated text bytes held by `chunks`.
    retained: usize,
    /// SSE events parsed so far.
    events_seen: usize,
}

/// What a whole stream decoded to.
#[derive(Debug, Clone)]
pub struct StreamResult {
    pub chunks: Vec<ChatCompletionChunk>,
    pub result: Result<ChatCompletion, ProviderError>,
}

impl StreamSession {
    /// A session with the default limits.
    pub fn new(adapter: &dyn Adapter, hints: &ResponseHints) -> Self {
        Self::with_limits(adapter, hints, ResponseLimits::default())
    }

    pub fn with_limits(adapter: &dyn Adapter, hints: &ResponseHints, limits: ResponseLimits) -> Self {
        StreamSession {
            parser: SseParser::with_max_event_bytes(limits.max_bytes),
            decoder: adapter.stream_decoder(hints),
            acc: StreamAccumulator::with_max_tool_calls(limits.max_tool_calls),
            chunks: Vec::new(),
            failed: None,
            limits,
            received: 0,
            retained: 0,
            events_seen: 0,
        }
    }

    /// Whether the stream already failed (an error event, or a limit): the caller may stop
    /// reading, nothing more will be decoded.
    pub fn has_failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Feeds bytes and decodes the events they completed; with `seen`, appends those events to
    /// it (for recording). Returns whether any completed chunk carried output (for time to
    /// first token).
    pub fn feed(&mut self, bytes: &[u8], seen: Option<&mut Vec<SseEvent>>) -> bool {
        if self.failed.is_some() {
            return false;
        }
        // Past the cap, what fits is still decoded (the chunks show how far the stream got).
        let room = self.limits.max_bytes.saturating_sub(self.received);
        let over = bytes.len() > room;
        let bytes = &bytes[..bytes.len().min(room)];
        self.received += bytes.len();
        let mut events = Vec::new();
        if let Err(e) = self.parser.parse(bytes, &mut events) {
            self.failed = Some(ProviderError::malformed(e.to_string()));
        }
        let output = self.decode(&events);
        record(events, seen);
        if over {
            self.failed.get_or_insert_with(|| self.limits.too_large());
        }
        output
    }

    fn decode(&mut self, events: &[SseEventRef<'_>]) -> bool {
        let mut output = false;
        self.events_seen += events.len();
        // Most events decode to one chunk: one allocation per read instead of a regrowth per
        // doubling.
        self.chunks.reserve(events.len());
        for ev in events {
            if self.failed.is_some() {
                break;
            }
            let start = self.chunks.len();
            if let Err(e) = self.decoder.event(ev, &mut self.chunks) {
                self.failed = Some(e);
            }
            for c in &self.chunks[start..] {
                output |= c.has_output();
                self.retained = self.retained.saturating_add(text_bytes(c));
                if let Err(e) = self.acc.push(c) {
                    self.failed.get_or_insert(e);
                    break;
                }
            }
            if self.failed.is_none() && self.retained > self.retained_cap() {
                self.failed = Some(ProviderError::new(
                    ErrorKind::MalformedResponse,
                    format!(
                        "failed to decode stream: {} bytes received decode to over {} bytes of chunks",
                        self.received, self.retained
                    ),
                ));
            }
        }
        output
    }

    fn retained_cap(&self) -> usize {
        self.received.saturating_mul(RETAINED_PER_BYTE).saturating_add(RETAINED_ALLOWANCE)
    }

    /// Ends the stream (with `seen`, recording the last events as [`StreamSession::feed`]
    /// does). An error event (or a limit) wins; a body with no event in it is a
    /// `malformed_response`; a stream that stopped before its end marker is a `connection`
    /// error, never a truncated success. A stream that ended properly
    /// without a finish reason (`[DONE]` alone, as some OpenAI-compatible hosts do) gets a last
    /// chunk carrying the finish reason the reassembled response reports, so the two agree.
    pub fn finish(mut self, seen: Option<&mut Vec<SseEvent>>) -> StreamResult {
        let mut events = Vec::new();
        if self.failed.is_none()
            && let Err(e) = self.parser.finish_events(&mut events)
        {
            self.failed = Some(ProviderError::malformed(e.to_string()));
        }
        self.decode(&events);
        record(events, seen);
        let result = match self.failed {
            Some(e) => Err(e),
            // Nothing that parses as an event at all (an empty body, HTML, gzip bytes): what came
            // is not a stream, whichever mode asked for it — the same kind a whole body gets.
            None if self.events_seen == 0 => Err(ProviderError::new(
                ErrorKind::MalformedResponse,
                format!("failed to decode stream: {} byte(s) and no event in them", self.received),
            )),
            None if !self.decoder.is_done() => Err(ProviderError::new(
                ErrorKind::Connection,
                format!(
                    "stream ended before its end marker after {} chunk(s); the response was cut off",
                    self.acc.chunk_count()
                ),
            )),
            None => {
                let finished = self.acc.is_finished();
                let resp = self.acc.finish();
                if !finished {
                    insert_finish_chunk(&mut self.chunks, &resp);
                }
                Ok(resp)
            }
        };
        StreamResult { chunks: self.chunks, result }
    }
}

/// Keeps owned copies of the events for a caller that records them.
fn record(events: Vec<SseEventRef<'_>>, seen: Option<&mut Vec<SseEvent>>) {
    if let Some(seen) = seen {
        seen.extend(events.into_iter().map(SseEventRef::into_owned));
    }
}

/// Adds the finish chunk a stream lacked, before its trailing usage-only chunks (where a
/// provider that sends one puts it).
fn insert_finish_chunk(chunks: &mut Vec<ChatCompletionChunk>, resp: &ChatCompletion) {
    let Some(reason) = resp.finish_reason() else { return };
    let at = chunks.iter().rposition(|c| !c.choices.is_empty()).map_or(0, |i| i + 1);
    let chunk =
        ChatCompletionChunk::delta(resp.id.as_str(), resp.model.as_str(), resp.created, Delta::default(), Some(reason));
    chunks.insert(at, chunk);
}

/// Text bytes a chunk holds: what a decoder may copy from one event into many chunks.
fn text_bytes(c: &ChatCompletionChunk) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let mut n = c.id.len() + c.model.len() + c.object.len();
    for choice in &c.choices {
        let d = &choice.delta;
        n += opt(&d.role) + opt(&d.content) + opt(&d.reasoning_content) + opt(&d.refusal);
        for tc in &d.tool_calls {
            n += opt(&tc.id) + opt(&tc.kind);
            if let Some(f) = &tc.function {
                n += opt(&f.name) + opt(&f.arguments);
            }
        }
    }
    n
}

/// Decodes a whole raw SSE body at once (the `decode --stream` command, fixtures, benches),
/// with the default limits.
pub fn decode_stream_bytes(adapter: &dyn Adapter, hints: &ResponseHints, bytes: &[u8]) -> StreamResult {
    let mut s = StreamSession::new(adapter, hints);
    s.feed(bytes, None);
    s.finish(None)
}
