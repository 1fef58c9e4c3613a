//! The one Server-Sent Events reader every stream decoder sits behind.
//!
//! Follows the WHATWG event-stream rules that matter for LLM APIs: lines end in `\n`, `\r\n` or
//! `\r`; `data:` lines of one event join with `\n`; lines starting with `:` are comments; one
//! leading space after the colon is dropped; a blank line dispatches. Bytes arrive in arbitrary
//! network reads, so a frame (or a UTF-8 sequence) split across reads is buffered, never lost.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name; `None` means the default `message`.
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
}

/// Incremental parser: feed bytes as they arrive, take events as they complete.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    /// Where scanning for the next line resumes in `buf`.
    pos: usize,
    /// A `\r` ended the last buffer, so a leading `\n` of the next read belongs to it.
    pending_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes`, appending every event completed by them to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        let mut bytes = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if bytes.first() == Some(&b'\n') {
                bytes = &bytes[1..];
            }
        }
        self.buf.extend_from_slice(bytes);
        loop {
            let rest = &self.buf[self.pos..];
            let Some(nl) = memchr::memchr2(b'\n', b'\r', rest) else { break };
            let line_end = self.pos + nl;
            let mut next = line_end + 1;
            if self.buf[line_end] == b'\r' {
                match self.buf.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            let line = std::mem::take(&mut self.buf);
            self.process_line(&line[self.pos..line_end], out);
            self.buf = line;
            self.pos = next;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Ends the stream: a final event without its blank line is still dispatched, as servers
    /// that close right after the last `data:` line expect.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            self.process_line(&line, out);
        }
        self.dispatch(out);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
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
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.event = Some(value.into_owned()),
            b"id" => self.id = Some(value.into_owned()),
            _ => {}
        }
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

/// Parses a whole SSE text at once.
pub fn parse_all(bytes: &[u8]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    p.feed(bytes, &mut out);
    p.finish(&mut out);
    out
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
        parse_all(s.as_bytes()).into_iter().map(|e| (e.event, e.data)).collect()
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
        let whole = parse_all(text.as_bytes());
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let mut p = SseParser::new();
            let mut out = Vec::new();
            p.feed(&bytes[..cut], &mut out);
            p.feed(&bytes[cut..], &mut out);
            p.finish(&mut out);
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
