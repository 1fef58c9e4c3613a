//! What every fuzz target checks: a decoder given any bytes returns a response or a classified
//! error (never a panic, an abort or unbounded memory), and the results keep the promises the
//! README makes, whatever the bytes.

use llm_conform_core::api::{ChatCompletion, ProviderError};
use llm_conform_core::providers::classify::{MAX_RETRY_AFTER, parse_google_duration, parse_retry_after};
use llm_conform_core::providers::{ResponseHints, SseParser, WireFamily};
use llm_conform_core::transport::{ResponseLimits, StreamResult, StreamSession, decode_stream_bytes};
use reqwest::header::{HeaderMap, HeaderValue};

fn hints(stream: bool) -> [ResponseHints; 2] {
    [
        ResponseHints { json_tool: None, stream, ..Default::default() },
        ResponseHints { json_tool: Some("json".into()), stream, ..Default::default() },
    ]
}

/// The normalisation promises of a decoded response.
fn check_response(resp: &ChatCompletion) {
    assert!(resp.finish_reason().is_some(), "a response always has a finish reason");
    for call in resp.message().map(|m| m.calls()).unwrap_or_default() {
        assert!(!call.id.trim().is_empty(), "every tool call has an id");
        let args = call.function.arguments.trim();
        assert!(!args.is_empty() && args != "null", "empty and null arguments are normalised to {{}}");
    }
}

fn check_error(e: &ProviderError) {
    assert!(e.retry_after.is_none_or(|d| d <= MAX_RETRY_AFTER), "retry hints are capped");
}

/// A whole (non-streamed) body: decoded as a success and classified as an error; its first line
/// also serves as the retry headers.
pub fn body(family: WireFamily, data: &[u8]) {
    let adapter = family.adapter();
    for h in hints(false) {
        match adapter.decode(data, &h) {
            Ok(resp) => check_response(&resp),
            Err(e) => check_error(&e),
        }
    }
    let line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(line) {
        headers.insert("retry-after", v.clone());
        headers.insert("retry-after-ms", v);
    }
    let status = 400 + data.first().map_or(0, |b| u16::from(*b) % 200);
    check_error(&adapter.classify_error(status, &headers, data));
    if let Ok(s) = std::str::from_utf8(line) {
        let now = std::time::SystemTime::now();
        assert!(parse_retry_after(s, now).is_none_or(|d| d <= MAX_RETRY_AFTER));
        assert!(parse_google_duration(s).is_none_or(|d| d <= MAX_RETRY_AFTER));
    }
}

/// Feeds `data` in pieces whose sizes come from its first byte.
fn stream_in_pieces(family: WireFamily, hints: &ResponseHints, data: &[u8], limits: ResponseLimits) -> StreamResult {
    let piece = 1 + usize::from(data.first().copied().unwrap_or(0) % 61);
    let mut s = StreamSession::with_limits(family.adapter(), hints, limits);
    let mut seen = Vec::new();
    for p in data.chunks(piece) {
        s.feed(p, Some(&mut seen));
    }
    s.finish(Some(&mut seen))
}

/// A stream body: decoded whole and in pieces (the outcome must not depend on how the network
/// cut the bytes), with default and with tight limits.
pub fn stream(family: WireFamily, data: &[u8]) {
    let tight = ResponseLimits { max_bytes: 1 + data.len() / 2, max_tool_calls: 2 };
    for h in hints(true) {
        let whole = decode_stream_bytes(family.adapter(), &h, data);
        if let Ok(resp) = &whole.result {
            check_response(resp);
            let finishes = whole.chunks.iter().flat_map(|c| &c.choices).filter(|c| c.finish_reason.is_some());
            assert!(finishes.count() > 0, "a successful stream's chunks carry its finish reason");
        }
        if let Err(e) = &whole.result {
            check_error(e);
        }
        let cut = stream_in_pieces(family, &h, data, ResponseLimits::default());
        assert_eq!(whole.chunks, cut.chunks, "chunks do not depend on read boundaries");
        assert_eq!(whole.result, cut.result, "the result does not depend on read boundaries");
        let _ = stream_in_pieces(family, &h, data, tight);
    }
}

/// The SSE reader: the same events whether the bytes come whole or in pieces, with or without
/// a tight event limit.
pub fn sse(data: &[u8]) {
    let max = 1 + usize::from(data.first().copied().unwrap_or(0));
    for limit in [None, Some(max)] {
        let parser = || limit.map_or_else(SseParser::new, SseParser::with_max_event_bytes);
        let mut whole = parser();
        let mut a = Vec::new();
        let ra = whole.feed(data, &mut a).and_then(|()| whole.finish(&mut a));
        let piece = 1 + usize::from(data.get(1).copied().unwrap_or(0) % 17);
        let mut cut = parser();
        let mut b = Vec::new();
        let rb = data.chunks(piece).try_for_each(|p| cut.feed(p, &mut b)).and_then(|()| cut.finish(&mut b));
        assert_eq!(ra.is_ok(), rb.is_ok(), "limit errors do not depend on read boundaries");
        assert_eq!(a, b, "events do not depend on read boundaries");
        if let Some(max) = limit {
            assert!(a.iter().all(|e| e.data.len() <= max), "no event's data exceeds the limit");
        }
    }
}
