//! A whole Cohere chat response, read the way its stream events are (see `cohere_event.rs`).
//!
//! Responses were read into a `serde_json::Value` first (to look for an error payload) and then
//! into the wire struct; the `Value` alone cost more than the rest of decoding. A response of
//! the documented shape is now read member by member with the strict cursor
//! (`json_cursor.rs`): an object whose members are all ones the response schema names (`id`,
//! `message` with `role`, `content` parts, `tool_plan` and `tool_calls`, `finish_reason`,
//! `usage`), each of the JSON type it must be, none given twice, the counts and arguments
//! parsed by serde as in place. Anything else (an error payload, a member this reader does not
//! know, a repeated member) is read as before. What the cursor accepts the old way accepts too,
//! with the same values, so decoding gives what it gave.
//! See <https://docs.cohere.com/reference/chat>.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::cohere::{
    Counts, WireFunction, WireMessage, WirePart, WireResponse, WireToolCall, WireUsage, error_payload,
};
use super::json_cursor::{JsonCursor, Seen};
use super::parse::parse_json;
use crate::api::ProviderError;

/// Deepest nesting read inside a member kept as serde reads it.
const DEPTH: usize = 16;

/// The response in `body`, as the decoder reads it; an error payload is the error it carries.
pub(super) fn read(body: &[u8]) -> Result<WireResponse, ProviderError> {
    if let Some(r) = std::str::from_utf8(body).ok().and_then(read_strict) {
        return Ok(r);
    }
    read_any(body)
}

fn owned(s: Option<Cow<'_, str>>) -> Option<String> {
    s.map(Cow::into_owned)
}

/// The documented shape, member by member; `None` for anything else.
fn read_strict(data: &str) -> Option<WireResponse> {
    let mut r = WireResponse { id: None, message: None, finish_reason: None, usage: None };
    let (mut seen, mut answered) = (Seen::default(), false);
    let mut c = JsonCursor::new(data);
    c.ws();
    c.object(|c, key| match key {
        "id" => seen.set(0, &mut r.id, c.opt(JsonCursor::string_value).map(owned)),
        "message" => {
            answered = true;
            seen.set(1, &mut r.message, c.opt(read_message))
        }
        "finish_reason" => {
            answered = true;
            seen.set(2, &mut r.finish_reason, c.opt(JsonCursor::string_value).map(owned))
        }
        "usage" => seen.set(3, &mut r.usage, c.opt(read_usage)),
        _ => None,
    })?;
    c.end()?;
    // Neither member is the old way's error to report.
    answered.then_some(r)
}

fn read_message(c: &mut JsonCursor<'_>) -> Option<WireMessage> {
    let mut m = WireMessage::default();
    let mut seen = Seen::default();
    c.object(|c, key| match key {
        "role" => seen.once(0).and_then(|()| c.opt(JsonCursor::string_value).map(drop)),
        "content" => seen.set(1, &mut m.content, c.opt(|c| list(c, read_part))),
        "tool_plan" => seen.set(2, &mut m.tool_plan, c.opt(JsonCursor::string_value).map(owned)),
        "tool_calls" => seen.set(3, &mut m.tool_calls, c.opt(|c| list(c, read_call))),
        _ => None,
    })?;
    Some(m)
}

fn list<'a, T>(c: &mut JsonCursor<'a>, read: impl Fn(&mut JsonCursor<'a>) -> Option<T>) -> Option<Vec<T>> {
    let mut items = Vec::new();
    c.array(|c| {
        items.push(read(c)?);
        Some(())
    })?;
    Some(items)
}

fn read_part(c: &mut JsonCursor<'_>) -> Option<WirePart> {
    let mut p = WirePart::default();
    let mut seen = Seen::default();
    c.object(|c, key| match key {
        "type" => seen.set(0, &mut p.kind, c.opt(JsonCursor::string_value).map(owned)),
        "text" => seen.set(1, &mut p.text, c.opt(JsonCursor::string_value).map(owned)),
        "thinking" => seen.set(2, &mut p.thinking, c.opt(JsonCursor::string_value).map(owned)),
        _ => None,
    })?;
    Some(p)
}

fn read_call(c: &mut JsonCursor<'_>) -> Option<WireToolCall> {
    let mut call = WireToolCall::default();
    let mut seen = Seen::default();
    c.object(|c, key| match key {
        "id" => seen.set(0, &mut call.id, c.opt(JsonCursor::string_value).map(owned)),
        "type" => seen.once(1).and_then(|()| c.opt(JsonCursor::string_value).map(drop)),
        "function" => seen.set(2, &mut call.function, c.opt(read_function)),
        _ => None,
    })?;
    Some(call)
}

fn read_function(c: &mut JsonCursor<'_>) -> Option<WireFunction> {
    let mut f = WireFunction::default();
    let mut seen = Seen::default();
    c.object(|c, key| match key {
        "name" => seen.set(0, &mut f.name, c.opt(JsonCursor::string_value).map(owned)),
        "arguments" => seen.set(1, &mut f.arguments, c.opt(|c| c.value::<Value>(DEPTH))),
        _ => None,
    })?;
    Some(f)
}

fn read_usage(c: &mut JsonCursor<'_>) -> Option<WireUsage> {
    let mut u = WireUsage { billed_units: None, tokens: None, cached_tokens: None };
    let mut seen = Seen::default();
    c.object(|c, key| match key {
        "billed_units" => seen.set(0, &mut u.billed_units, c.opt(|c| c.value::<Counts>(DEPTH))),
        "tokens" => seen.set(1, &mut u.tokens, c.opt(|c| c.value::<Counts>(DEPTH))),
        "cached_tokens" => seen.set(2, &mut u.cached_tokens, c.opt(|c| c.value::<Value>(DEPTH))),
        _ => None,
    })?;
    Some(u)
}

/// Any body, as every response was read before the strict pass existed.
fn read_any(body: &[u8]) -> Result<WireResponse, ProviderError> {
    let v: Value = parse_json(body, "cohere chat response")?;
    if let Some(err) = error_payload(&v) {
        return Err(err);
    }
    if v.get("message").is_none() && v.get("finish_reason").is_none() {
        return Err(ProviderError::malformed(
            "failed to decode cohere chat response: expected a `message` object and a `finish_reason`",
        ));
    }
    // Reuse the parsed value; parse the bytes again (with field paths) only to explain a failure.
    match WireResponse::deserialize(&v) {
        Ok(r) => Ok(r),
        Err(_) => parse_json::<WireResponse>(body, "cohere chat response"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const SHAPES: &[&str] = &[
        r#"{"id":"§","message":{"role":"assistant","content":[{"type":"text","text":"§"}]},"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":12,"output_tokens":7},"tokens":{"input_tokens":507,"output_tokens":10},"cached_tokens":448}}"#,
        r#"{"id":"x","message":{"role":"assistant","tool_plan":"§","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"TOOL_CALL"}"#,
        r#"{"id":"x","message":{"content":[{"type":"thinking","thinking":"§"},{"type":"text","text":"b"}]},"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":1.5}}}"#,
        r#"{"message":"§"}"#,
        r#"{"id":"x","finish_reason":"COMPLETE","meta":{"api_version":{"version":"2"}}}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Whichever way a body is read, the outcome is what reading it into a `Value` first
        /// gives.
        #[test]
        fn every_body_reads_as_it_did_through_a_value(data in near::payloads(SHAPES)) {
            prop_assert_eq!(read(data.as_bytes()), read_any(data.as_bytes()), "{}", data);
        }
    }

    #[test]
    fn the_recorded_responses_take_the_strict_pass() {
        for body in [
            include_str!("../../../../tests/provider-samples/cohere/cohere-text.json"),
            include_str!("../../../../tests/provider-samples/cohere/cohere-tool-call.json"),
        ] {
            assert!(read_strict(body).is_some(), "{body}");
            assert_eq!(read(body.as_bytes()), read_any(body.as_bytes()));
        }
    }
}
