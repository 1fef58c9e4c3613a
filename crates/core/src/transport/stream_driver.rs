use crate::api::{ChatCompletion, ChatCompletionChunk, ErrorKind, ProviderError, StreamAccumulator};
use crate::providers::{Adapter, ResponseHints, SseEvent, SseParser, StreamDecoder};

/// A stream being decoded: raw bytes in, canonical chunks and a reassembled response out.
/// The one path every family's stream takes, live or replayed.
pub struct StreamSession {
    parser: SseParser,
    decoder: Box<dyn StreamDecoder>,
    acc: StreamAccumulator,
    pub chunks: Vec<ChatCompletionChunk>,
    events: Vec<SseEvent>,
    failed: Option<ProviderError>,
}

/// What a whole stream decoded to.
#[derive(Debug, Clone)]
pub struct StreamResult {
    pub chunks: Vec<ChatCompletionChunk>,
    pub result: Result<ChatCompletion, ProviderError>,
}

impl StreamSession {
    pub fn new(adapter: &dyn Adapter, hints: &ResponseHints) -> Self {
        StreamSession {
            parser: SseParser::new(),
            decoder: adapter.stream_decoder(hints),
            acc: StreamAccumulator::new(),
            chunks: Vec::new(),
            events: Vec::new(),
            failed: None,
        }
    }

    /// Feeds bytes; returns the events they completed (for recording), after decoding them.
    /// Returns whether any completed chunk carried output (for time to first token).
    pub fn feed(&mut self, bytes: &[u8], seen: &mut Vec<SseEvent>) -> bool {
        self.events.clear();
        self.parser.feed(bytes, &mut self.events);
        self.decode_pending(seen)
    }

    fn decode_pending(&mut self, seen: &mut Vec<SseEvent>) -> bool {
        let mut output = false;
        let events = std::mem::take(&mut self.events);
        for ev in &events {
            if self.failed.is_some() {
                break;
            }
            let start = self.chunks.len();
            if let Err(e) = self.decoder.event(ev, &mut self.chunks) {
                self.failed = Some(e);
            }
            for c in &self.chunks[start..] {
                output |= c.has_output();
                self.acc.push(c);
            }
        }
        seen.extend(events);
        output
    }

    /// Ends the stream. An error event wins; a stream that stopped before its end marker is a
    /// `connection` error, never a truncated success.
    pub fn finish(mut self, seen: &mut Vec<SseEvent>) -> StreamResult {
        self.events.clear();
        self.parser.finish(&mut self.events);
        self.decode_pending(seen);
        let result = match self.failed {
            Some(e) => Err(e),
            None if !self.decoder.is_done() => Err(ProviderError::new(
                ErrorKind::Connection,
                format!(
                    "stream ended before its end marker after {} chunk(s); the response was cut off",
                    self.acc.chunk_count()
                ),
            )),
            None => Ok(self.acc.finish()),
        };
        StreamResult { chunks: self.chunks, result }
    }
}

/// Decodes a whole raw SSE body at once (the `decode --stream` command, fixtures, benches).
pub fn decode_stream_bytes(adapter: &dyn Adapter, hints: &ResponseHints, bytes: &[u8]) -> StreamResult {
    let mut s = StreamSession::new(adapter, hints);
    let mut seen = Vec::new();
    s.feed(bytes, &mut seen);
    s.finish(&mut seen)
}
