//! The one Server-Sent Events reader every stream decoder sits behind.
//!
//! Follows the WHATWG event-stream rules that matter for LLM APIs: lines end in `\n`, `\r\n` or
//! `\r`; `data:` lines of one event join with `\n`; lines starting with `:` are comments; one
//! leading space after the colon is dropped; a blank line dispatches. Bytes arrive in arbitrary
//! network reads, so a frame (or a UTF-8 sequence) split across reads is buffered, never lost.
//!
//! Reading is the first cost of every streamed byte, so events borrow the bytes they were read
//! from wherever they can: only a line cut by a read boundary, an event spread over two reads or
//! one with several `data:` lines is copied. Everything else is one scan for line endings and
//! one UTF-8 check per read.

use std::borrow::Cow;
use std::sync::Arc;

/// Largest event (or single line) a parser accepts by default: far above any LLM event (an
/// inline image included), far below what would exhaust memory.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event, owned: what recordings and fixtures keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name; `None` means the default `message`.
    pub event: Option<String>,
    pub data: String,
    /// The last event id seen (ids persist across events, as the spec says). Shared, so that
    /// one long `id:` line is not copied into every event that follows it.
    pub id: Option<Arc<str>>,
}

/// One dispatched event as the stream decoders take it: borrowing the bytes it was read from
/// where it can (see the module documentation), owned where it had to be put together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    /// The `event:` name; `None` means the default `message`.
    pub event: Option<Cow<'a, str>>,
    pub data: Cow<'a, str>,
    /// The last event id seen, shared as in [`SseEvent`].
    pub id: Option<Arc<str>>,
}

impl SseEventRef<'_> {
    pub fn into_owned(self) -> SseEvent {
        SseEvent { event: self.event.map(Cow::into_owned), data: self.data.into_owned(), id: self.id }
    }
}

impl SseEvent {
    /// The event as a decoder takes it, borrowing this one.
    pub fn as_event_ref(&self) -> SseEventRef<'_> {
        SseEventRef {
            event: self.event.as_deref().map(Cow::Borrowed),
            data: Cow::Borrowed(&self.data),
            id: self.id.clone(),
        }
    }
}

/// Why a stream could not be read as events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("failed to read event stream: a line is longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error("failed to read event stream: an event's data exceeds {max} bytes")]
    EventTooLarge { max: usize },
}

/// The event being read: what came in the current read is borrowed, what came before is owned.
#[derive(Debug, Default)]
struct Pending<'a> {
    event: Option<Cow<'a, str>>,
    data: Cow<'a, str>,
    has_data: bool,
}

impl Pending<'_> {
    /// What must outlive the read: copies only what is still borrowed.
    fn into_owned(self) -> Pending<'static> {
        Pending {
            event: self.event.map(|e| Cow::Owned(e.into_owned())),
            data: Cow::Owned(self.data.into_owned()),
            has_data: self.has_data,
        }
    }
}

/// Incremental parser: feed bytes as they arrive, take events as they complete.
///
/// Memory is bounded by the largest accepted event: a line that never ends or an event with
/// endless `data:` lines is an [`SseError`], after which the parser refuses further input.
#[derive(Debug)]
pub struct SseParser {
    /// The start of a line whose end has not arrived yet; never holds a line ending.
    buf: Vec<u8>,
    /// A `\r` ended the last read, so a leading `\n` of the next read belongs to it.
    pending_cr: bool,
    pending: Pending<'static>,
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
            pending_cr: false,
            pending: Pending::default(),
            id: None,
            max_event_bytes: max,
            failed: None,
        }
    }

    /// Parses `bytes`, appending every event completed by them to `out`, owned. After an error,
    /// every later call returns it again and nothing more is buffered.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut events = Vec::new();
        let r = self.parse(bytes, &mut events);
        out.extend(events.into_iter().map(SseEventRef::into_owned));
        r
    }

    /// Parses `bytes` as [`SseParser::feed`] does, the events borrowing from `bytes`.
    pub fn parse<'a>(&mut self, bytes: &'a [u8], out: &mut Vec<SseEventRef<'a>>) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let mut pending: Pending<'a> = std::mem::take(&mut self.pending);
        let r = self.parse_lines(bytes, &mut pending, out);
        match &r {
            Ok(()) => self.pending = pending.into_owned(),
            Err(e) => self.fail(e.clone()),
        }
        r
    }

    fn parse_lines<'a>(
        &mut self,
        bytes: &'a [u8],
        pending: &mut Pending<'a>,
        out: &mut Vec<SseEventRef<'a>>,
    ) -> Result<(), SseError> {
        let mut bytes = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if bytes.first() == Some(&b'\n') {
                bytes = &bytes[1..];
            }
        }
        let text = valid_prefix(bytes);
        let mut pos = 0;
        if !self.buf.is_empty() {
            // The end of a line that began in an earlier read.
            let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) else {
                self.buf.extend_from_slice(bytes);
                return self.check_buffered();
            };
            self.buf.extend_from_slice(&bytes[..end]);
            pos = self.after_line_end(bytes, end);
            let mut line = std::mem::take(&mut self.buf);
            let r = self.line(&line, |v| Cow::Owned(String::from_utf8_lossy(&line[v..]).into_owned()), pending, out);
            line.clear();
            self.buf = line;
            r?;
        }
        while let Some(i) = memchr::memchr2(b'\n', b'\r', &bytes[pos..]) {
            let end = pos + i;
            let next = self.after_line_end(bytes, end);
            let line = &bytes[pos..end];
            let value = |v: usize| match text.get(pos + v..end) {
                Some(s) => Cow::Borrowed(s),
                None => String::from_utf8_lossy(&line[v..]),
            };
            self.line(line, value, pending, out)?;
            pos = next;
        }
        self.buf.extend_from_slice(&bytes[pos..]);
        self.check_buffered()
    }

    /// Where the line ending at `end` is followed by the next line; a `\r` that ends the read
    /// may be the first half of `\r\n`.
    fn after_line_end(&mut self, bytes: &[u8], end: usize) -> usize {
        if bytes[end] != b'\r' {
            return end + 1;
        }
        match bytes.get(end + 1) {
            Some(b'\n') => end + 2,
            Some(_) => end + 1,
            None => {
                self.pending_cr = true;
                end + 1
            }
        }
    }

    /// Refuses an unfinished line past the limit, whether it arrived whole or in pieces, so the
    /// outcome never depends on how the network cut the bytes.
    fn check_buffered(&self) -> Result<(), SseError> {
        if self.buf.len() > self.max_event_bytes {
            return Err(SseError::LineTooLong { max: self.max_event_bytes });
        }
        Ok(())
    }

    /// Ends the stream: a final event without its blank line is still dispatched, as servers
    /// that close right after the last `data:` line expect.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut events = Vec::new();
        let r = self.finish_events(&mut events);
        out.extend(events.into_iter().map(SseEventRef::into_owned));
        r
    }

    /// Ends the stream as [`SseParser::finish`] does, for a reader of [`SseEventRef`]s.
    pub fn finish_events<'a>(&mut self, out: &mut Vec<SseEventRef<'a>>) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let mut pending: Pending<'a> = std::mem::take(&mut self.pending);
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            let value = |v: usize| Cow::Owned(String::from_utf8_lossy(&line[v..]).into_owned());
            if let Err(e) = self.line(&line, value, &mut pending, out) {
                self.fail(e.clone());
                return Err(e);
            }
        }
        self.dispatch(&mut pending, out);
        self.pending = pending.into_owned();
        Ok(())
    }

    /// Drops everything buffered and remembers why.
    fn fail(&mut self, e: SseError) {
        self.failed = Some(e);
        self.buf = Vec::new();
        self.pending = Pending::default();
    }

    /// One line; `value` gives the text from a byte offset of the line to its end.
    fn line<'a>(
        &mut self,
        line: &[u8],
        value: impl FnOnce(usize) -> Cow<'a, str>,
        pending: &mut Pending<'a>,
        out: &mut Vec<SseEventRef<'a>>,
    ) -> Result<(), SseError> {
        if line.len() > self.max_event_bytes {
            return Err(SseError::LineTooLong { max: self.max_event_bytes });
        }
        if line.is_empty() {
            self.dispatch(pending, out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, at) = match memchr::memchr(b':', line) {
            Some(i) if line.get(i + 1) == Some(&b' ') => (&line[..i], i + 2),
            Some(i) => (&line[..i], i + 1),
            None => (line, line.len()),
        };
        match field {
            b"data" => {
                let value = value(at);
                if pending.data.len() + value.len() + 1 > self.max_event_bytes {
                    return Err(SseError::EventTooLarge { max: self.max_event_bytes });
                }
                if pending.has_data {
                    let data = pending.data.to_mut();
                    data.push('\n');
                    data.push_str(&value);
                } else {
                    pending.data = value;
                }
                pending.has_data = true;
            }
            b"event" => pending.event = Some(value(at)),
            b"id" => {
                let value = value(at);
                // The spec ignores an id containing NUL.
                if !value.contains('\0') {
                    self.id = Some(Arc::from(value.as_ref()));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch<'a>(&mut self, pending: &mut Pending<'a>, out: &mut Vec<SseEventRef<'a>>) {
        if pending.has_data {
            let data = std::mem::take(&mut pending.data);
            out.push(SseEventRef { event: pending.event.take(), data, id: self.id.clone() });
        }
        pending.event = None;
        pending.has_data = false;
        pending.data = Cow::Borrowed("");
    }
}

/// The longest prefix of `bytes` that is valid UTF-8, as text: lines inside it are borrowed
/// without another check (a line starts and ends next to an ASCII byte, so at a character
/// boundary), lines past it are converted one by one.
fn valid_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
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
