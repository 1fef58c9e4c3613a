//! The one Server-Sent Events reader every stream decoder sits behind.
//!
//! Follows the WHATWG event-stream rules that matter for LLM APIs: lines end in `\n`, `\r\n` or
//! `\r`; `data:` lines of one event join with `\n`; lines starting with `:` are comments; one
//! leading space after the colon is dropped; a blank line dispatches. Bytes arrive in arbitrary
//! network reads, so a frame (or a UTF-8 sequence) split across reads is buffered, never lost.

use std::sync::Arc;

/// Largest event (or single line) a parser accepts by default: far above any LLM event (an
/// inline image included), far below what would exhaust memory.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name; `None` means the default `message`.
    pub event: Option<String>,
    pub data: String,
    /// The last event id seen (ids persist across events, as the spec says). Shared, so that
    /// one long `id:` line is not copied into every event that follows it.
    pub id: Option<Arc<str>>,
}

/// Why a stream could not be read as events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("failed to read event stream: a line is longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error("failed to read event stream: an event's data exceeds {max} bytes")]
    EventTooLarge { max: usize },
}

/// Incremental parser: feed bytes as they arrive, take events as they complete.
///
/// Memory is bounded by the largest accepted event: a line that never ends or an event with
/// endless `data:` lines is an [`SseError`], after which the parser refuses further input.
#[derive(Debug)]
pub struct SseParser {
    buf: Vec<u8>,
    /// How far `buf` is known to hold no line ending, so a long line arriving in small reads
    /// is scanned once, not once per read.
    scanned: usize,
    /// A `\r` ended the last buffer, so a leading `\n` of the next read belongs to it.
    pending_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<Arc<str>>,
    max_event_bytes: usize,
    failed: Option<SseError>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser refusing lines and events larger than `max` bytes.
    pub fn with_max_event_bytes(max: usize) -> Self {
        SseParser {
            buf: Vec::new(),
            scanned: 0,
            pending_cr: false,
            event: None,
            data: String::new(),
            has_data: false,
            id: None,
            max_event_bytes: max,
            failed: None,
        }
    }

    /// Parses `bytes`, appending every event completed by them to `out`. After an error, every
    /// later call returns it again and nothing more is buffered.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.feed_inner(bytes, out);
        if let Err(e) = &r {
            self.fail(e.clone());
        }
        r
    }

    fn feed_inner(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut bytes = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if bytes.first() == Some(&b'\n') {
                bytes = &bytes[1..];
            }
        }
        self.buf.extend_from_slice(bytes);
        let mut pos = 0;
        let buf = std::mem::take(&mut self.buf);
        let result = loop {
            let from = pos.max(self.scanned);
            let Some(nl) = memchr::memchr2(b'\n', b'\r', &buf[from..]) else {
                self.scanned = buf.len();
                break Ok(());
            };
            let line_end = from + nl;
            let mut next = line_end + 1;
            if buf[line_end] == b'\r' {
                match buf.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            if let Err(e) = self.process_line(&buf[pos..line_end], out) {
                break Err(e);
            }
            pos = next;
        };
        self.buf = buf;
        if pos > 0 {
            self.buf.drain(..pos);
            self.scanned = self.scanned.saturating_sub(pos);
        }
        result?;
        if self.buf.len() > self.max_event_bytes {
            return Err(SseError::LineTooLong { max: self.max_event_bytes });
        }
        Ok(())
    }

    /// Ends the stream: a final event without its blank line is still dispatched, as servers
    /// that close right after the last `data:` line expect.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            self.scanned = 0;
            if let Err(e) = self.process_line(&line, out) {
                self.fail(e.clone());
                return Err(e);
            }
        }
        self.dispatch(out);
        Ok(())
    }

    /// Drops everything buffered and remembers why.
    fn fail(&mut self, e: SseError) {
        self.failed = Some(e);
        self.buf = Vec::new();
        self.data = String::new();
        self.scanned = 0;
        self.has_data = false;
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        // Refused whether it arrived whole or in pieces, so the outcome never depends on how
        // the network cut the bytes.
        if line.len() > self.max_event_bytes {
            return Err(SseError::LineTooLong { max: self.max_event_bytes });
        }
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" => {
                if self.data.len() + value.len() + 1 > self.max_event_bytes {
                    return Err(SseError::EventTooLarge { max: self.max_event_bytes });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.event = Some(value.into_owned()),
            // The spec ignores an id containing NUL.
            b"id" if !value.contains('\0') => self.id = Some(Arc::from(value.as_ref())),
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            out.push(SseEvent { event: self.event.take(), data: std::mem::take(&mut self.data), id: self.id.clone() });
        }
        self.event = None;
        self.has_data = false;
        self.data.clear();
    }
}

/// Parses a whole SSE text at once, with the default limits.
pub fn parse_all(bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    p.feed(bytes, &mut out)?;
    p.finish(&mut out)?;
    Ok(out)
}

/// Writes events in wire framing: `event:` line when named, one `data:` line per data line.
pub fn encode_event(event: Option<&str>, data: &str, out: &mut String) {
    if let Some(e) = event {
        out.push_str("event: ");
        out.push_str(e);
        out.push('\n');
    }
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(s: &str) -> Vec<(Option<String>, String)> {
        parse_all(s.as_bytes()).unwrap().into_iter().map(|e| (e.event, e.data)).collect()
    }

    #[test]
    fn lf_and_crlf_and_cr_line_endings() {
        let want = vec![(None, "a".to_string()), (None, "b".to_string())];
        assert_eq!(events("data: a\n\ndata: b\n\n"), want);
        assert_eq!(events("data: a\r\n\r\ndata: b\r\n\r\n"), want);
        assert_eq!(events("data: a\r\rdata: b\r\r"), want);
    }

    #[test]
    fn multi_line_data_joins_with_newline() {
        assert_eq!(events("data: one\ndata: two\n\n"), vec![(None, "one\ntwo".into())]);
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        assert_eq!(events(": keep-alive\nretry: 10\ndata: x\n\n: bye\n\n"), vec![(None, "x".into())]);
    }

    #[test]
    fn event_names_are_kept_and_reset_per_event() {
        let got = events("event: ping\ndata: {}\n\ndata: plain\n\n");
        assert_eq!(got, vec![(Some("ping".into()), "{}".into()), (None, "plain".into())]);
    }

    #[test]
    fn only_one_leading_space_is_stripped() {
        assert_eq!(events("data:  two\n\ndata:none\n\n"), vec![(None, " two".into()), (None, "none".into())]);
    }

    #[test]
    fn frames_split_at_every_byte_boundary() {
        let text = "event: content_block_delta\r\ndata: {\"t\":\"h\u{e9}llo\"}\r\n\r\ndata: [DONE]\r\n\r\n";
        let whole = parse_all(text.as_bytes()).unwrap();
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let mut p = SseParser::new();
            let mut out = Vec::new();
            p.feed(&bytes[..cut], &mut out).unwrap();
            p.feed(&bytes[cut..], &mut out).unwrap();
            p.finish(&mut out).unwrap();
            assert_eq!(out, whole, "split at byte {cut}");
        }
    }

    #[test]
    fn last_event_without_blank_line_is_dispatched_at_finish() {
        assert_eq!(events("data: tail"), vec![(None, "tail".into())]);
    }

    #[test]
    fn encode_round_trips() {
        let mut s = String::new();
        encode_event(Some("message_start"), "{\"a\":1}", &mut s);
        encode_event(None, "x\ny", &mut s);
        assert_eq!(events(&s), vec![(Some("message_start".into()), "{\"a\":1}".into()), (None, "x\ny".into())]);
    }
}
