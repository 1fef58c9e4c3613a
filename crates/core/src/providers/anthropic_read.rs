//! An Anthropic message read member by member with the strict cursor (`json_cursor.rs`), into
//! the struct serde would fill; serde parses it only where the cursor gives up (an `error`
//! member, a member given twice, a number it does not take for a count, deep nesting). Either
//! way the struct holds what serde makes of the bytes; the tests below hold the cursor to that.

use serde_json::Value;

use super::anthropic::{WireBlock, WireMessage, WireUsage};
use super::json_cursor::{JsonCursor, Seen};

/// Deepest nesting read inside a member skipped or kept as a `Value`.
const DEPTH: usize = 16;

impl<'a> WireMessage<'a> {
    /// A whole message; `None` where serde must read it.
    pub(super) fn read(data: &'a str) -> Option<Self> {
        let mut r = WireMessage {
            kind: None,
            id: None,
            model: None,
            content: None,
            stop_reason: None,
            usage: None,
            error: None,
        };
        let mut seen = Seen::default();
        let mut c = JsonCursor::new(data);
        c.ws();
        c.object(|c, key| match key {
            "type" => seen.set(0, &mut r.kind, c.opt(JsonCursor::string_value)),
            "id" => seen.set(1, &mut r.id, c.opt(JsonCursor::string_value)),
            "model" => seen.set(2, &mut r.model, c.opt(JsonCursor::string_value)),
            "content" => seen.set(3, &mut r.content, c.opt(read_blocks)),
            "stop_reason" => seen.set(4, &mut r.stop_reason, c.opt(JsonCursor::string_value)),
            "usage" => seen.set(5, &mut r.usage, c.opt(WireUsage::read)),
            "error" => None,
            _ => c.skip_value(DEPTH),
        })?;
        c.end()?;
        Some(r)
    }
}

fn read_blocks<'a>(c: &mut JsonCursor<'a>) -> Option<Vec<WireBlock<'a>>> {
    let mut blocks = Vec::new();
    c.array(|c| {
        blocks.push(WireBlock::read(c)?);
        Some(())
    })?;
    Some(blocks)
}

impl<'a> WireBlock<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireBlock::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "type" => seen.set(0, &mut r.kind, c.opt(JsonCursor::string_value)),
            "text" => seen.set(1, &mut r.text, c.opt(JsonCursor::string_value)),
            "thinking" => seen.set(2, &mut r.thinking, c.opt(JsonCursor::string_value)),
            "id" => seen.set(3, &mut r.id, c.opt(JsonCursor::string_value)),
            "name" => seen.set(4, &mut r.name, c.opt(JsonCursor::string_value)),
            "input" => seen.set(5, &mut r.input, c.opt(|c| c.value::<Value>(DEPTH))),
            "signature" => seen.set(6, &mut r.signature, c.opt(JsonCursor::string_value)),
            "data" => seen.set(7, &mut r.data, c.opt(JsonCursor::string_value)),
            "citations" => seen.set(8, &mut r.citations, c.opt(|c| c.value::<Vec<Value>>(DEPTH))),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl WireUsage {
    fn read(c: &mut JsonCursor<'_>) -> Option<Self> {
        let mut r = WireUsage::default();
        let mut seen = Seen::default();
        c.object(|c, key| {
            let (bit, slot) = match key {
                "input_tokens" => (0, &mut r.input_tokens),
                "output_tokens" => (1, &mut r.output_tokens),
                "cache_read_input_tokens" => (2, &mut r.cache_read_input_tokens),
                "cache_creation_input_tokens" => (3, &mut r.cache_creation_input_tokens),
                _ => return c.skip_value(DEPTH),
            };
            seen.once(bit)?;
            *slot = c.opt(JsonCursor::uint)?;
            Some(())
        })?;
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const SHAPES: &[&str] = &[
        r#"{"model":"claude-sonnet-4-5","id":"msg_§","type":"message","role":"assistant","content":[{"type":"text","text":"§"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0},"output_tokens":30,"service_tier":"standard"}}"#,
        r#"{ "id" : "m" , "content" : [ { "type" : "thinking" , "thinking" : "§" , "signature" : "§" } , { "type" : "tool_use" , "id" : "toolu_1" , "name" : "f" , "input" : { "q" : [ 1 , 2.5 , "§" ] } } , { "type" : "redacted_thinking" , "data" : "§" } ] }"#,
        r#"{"id":"m","content":[{"type":"text","text":"a","citations":[{"type":"web_search_result_location","url":"§","title":"t","cited_text":"c"}]}],"usage":{"input_tokens":null}}"#,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"§"}}"#,
        r#"{"id":"m","id":"§","content":[]}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// A message read member by member says what serde_json says of the same bytes, or
        /// nothing.
        #[test]
        fn messages_read_by_member_read_what_serde_reads(data in near::payloads(SHAPES)) {
            near::agrees_with_serde::<WireMessage>(&data, WireMessage::read(&data))?;
        }
    }

    #[test]
    fn the_recorded_messages_are_read_by_member_as_serde_reads_them() {
        for body in [
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-text.json"),
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-json-tool.1.json"),
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-json-output-format.1.json"),
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-mcp.1.json"),
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-tool-no-args.json"),
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-refusal.json"),
        ] {
            let fast = WireMessage::read(body);
            assert!(fast.is_some(), "{body}");
            assert_eq!(fast, serde_json::from_str(body).ok(), "{body}");
        }
    }
}
