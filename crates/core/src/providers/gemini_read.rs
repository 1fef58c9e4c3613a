//! A Gemini `GenerateContentResponse` read member by member with the strict cursor
//! (`json_cursor.rs`), into the struct serde would fill; serde parses it only where the cursor
//! gives up (an `error` member, a member given twice, a number it does not take for a count,
//! deep nesting). Either way the struct holds what serde makes of the bytes; the tests below
//! hold the cursor to that.

use serde_json::{Map, Value};

use super::gemini::{
    WireCandidate, WireContent, WireFunctionCall, WirePart, WirePromptFeedback, WireResponse, WireUsage,
};
use super::gemini_grounding::WireGrounding;
use super::json_cursor::{JsonCursor, Seen};
use super::wire_de::FirstOf;

/// Deepest nesting read inside a member skipped or kept as serde reads it.
const DEPTH: usize = 16;

impl<'a> WireResponse<'a> {
    /// A whole response; `None` where serde must read it.
    pub(super) fn read(data: &'a str) -> Option<Self> {
        let mut r = WireResponse::default();
        let mut seen = Seen::default();
        let mut c = JsonCursor::new(data);
        c.ws();
        c.object(|c, key| match key {
            "candidates" => seen.set(0, &mut r.candidates, read_candidates(c)),
            "promptFeedback" => seen.set(1, &mut r.prompt_feedback, c.opt(|c| c.value::<WirePromptFeedback>(DEPTH))),
            "usageMetadata" => seen.set(2, &mut r.usage_metadata, c.opt(WireUsage::read)),
            "modelVersion" => seen.set(3, &mut r.model_version, c.opt(JsonCursor::string_value)),
            "responseId" => seen.set(4, &mut r.response_id, c.opt(JsonCursor::string_value)),
            "createTime" => seen.set(5, &mut r.create_time, c.opt(JsonCursor::string_value)),
            "error" => None,
            _ => c.skip_value(DEPTH),
        })?;
        c.end()?;
        Some(r)
    }
}

/// `candidates`, `null` being none (as `null_default` reads it); every one read, the first kept.
fn read_candidates<'a>(c: &mut JsonCursor<'a>) -> Option<FirstOf<WireCandidate<'a>>> {
    let mut first = None;
    if c.lit("null").is_none() {
        c.array(|c| {
            let candidate = WireCandidate::read(c)?;
            first.get_or_insert(candidate);
            Some(())
        })?;
    }
    Some(FirstOf(first))
}

impl<'a> WireCandidate<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireCandidate::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "content" => seen.set(0, &mut r.content, c.opt(WireContent::read)),
            "finishReason" => seen.set(1, &mut r.finish_reason, c.opt(JsonCursor::string_value)),
            "finishMessage" => seen.set(2, &mut r.finish_message, c.opt(JsonCursor::string_value)),
            "groundingMetadata" => seen.set(3, &mut r.grounding_metadata, c.opt(|c| c.value::<WireGrounding>(DEPTH))),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireContent<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut parts = Vec::new();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "parts" => seen.once(0).and_then(|()| {
                // `null` is no parts, as `null_default` reads it.
                if c.lit("null").is_some() {
                    return Some(());
                }
                c.array(|c| {
                    parts.push(WirePart::read(c)?);
                    Some(())
                })
            }),
            _ => c.skip_value(DEPTH),
        })?;
        Some(WireContent { parts })
    }
}

impl<'a> WirePart<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WirePart::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "text" => seen.set(0, &mut r.text, c.opt(JsonCursor::string_value)),
            "thought" => seen.set(1, &mut r.thought, c.opt(JsonCursor::boolean)),
            "functionCall" => seen.set(2, &mut r.function_call, c.opt(WireFunctionCall::read)),
            "thoughtSignature" => seen.set(3, &mut r.thought_signature, c.opt(JsonCursor::string_value)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireFunctionCall<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireFunctionCall::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "id" => seen.set(0, &mut r.id, c.opt(JsonCursor::string_value)),
            "name" => seen.set(1, &mut r.name, c.opt(JsonCursor::string_value)),
            "args" => seen.set(2, &mut r.args, c.opt(|c| c.value::<Value>(DEPTH))),
            "partialArgs" => {
                // `null` is no pieces, as `null_default` reads it.
                let pieces = c.opt(|c| c.value::<Vec<Map<String, Value>>>(DEPTH));
                seen.set(3, &mut r.partial_args, pieces.map(Option::unwrap_or_default))
            }
            "willContinue" => seen.set(4, &mut r.will_continue, c.opt(JsonCursor::boolean)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl WireUsage {
    /// `usageMetadata`: the counts this struct keeps, each at most once; other members checked
    /// and skipped.
    pub(super) fn read(c: &mut JsonCursor<'_>) -> Option<WireUsage> {
        let mut u = WireUsage::default();
        let mut seen = Seen::default();
        c.object(|c, key| {
            let (bit, slot) = match key {
                "promptTokenCount" => (0, &mut u.prompt_token_count),
                "candidatesTokenCount" => (1, &mut u.candidates_token_count),
                "thoughtsTokenCount" => (2, &mut u.thoughts_token_count),
                "cachedContentTokenCount" => (3, &mut u.cached_content_token_count),
                "toolUsePromptTokenCount" => (4, &mut u.tool_use_prompt_token_count),
                "totalTokenCount" => (5, &mut u.total_token_count),
                _ => return c.skip_value(DEPTH),
            };
            seen.once(bit)?;
            *slot = c.opt(JsonCursor::uint)?;
            Some(())
        })?;
        Some(u)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const SHAPES: &[&str] = &[
        r#"{"candidates":[{"content":{"parts":[{"text":"§","thoughtSignature":"§"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":28,"totalTokenCount":281,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}],"thoughtsTokenCount":244},"modelVersion":"gemini-3-pro-preview","responseId":"Un6L"}"#,
        r#"{ "candidates" : [ { "content" : { "parts" : [ { "functionCall" : { "name" : "f" , "args" : { "q" : "§" } , "willContinue" : false } , "thought" : true } ] , "role" : "model" } , "finishMessage" : "§" } , { "content" : null } ] , "createTime" : "2026-01-01T00:00:00Z" }"#,
        r#"{"candidates":null,"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":null}}"#,
        r#"{"candidates":[{"content":{"parts":null},"groundingMetadata":{"groundingChunks":[{"web":{"uri":"§","title":"t"}}],"groundingSupports":[{"segment":{"startIndex":0,"endIndex":3},"groundingChunkIndices":[0]}]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"id":"c","name":"g","partialArgs":[{"jsonPath":"$.a","stringValue":"§"}],"willContinue":true}}]}}],"error":null}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// A response read member by member says what serde_json says of the same bytes, or
        /// nothing.
        #[test]
        fn responses_read_by_member_read_what_serde_reads(data in near::payloads(SHAPES)) {
            near::agrees_with_serde::<WireResponse>(&data, WireResponse::read(&data))?;
        }
    }

    #[test]
    fn the_recorded_responses_are_read_by_member_as_serde_reads_them() {
        for body in [
            include_str!("../../../../tests/provider-samples/google/google-text.json"),
            include_str!("../../../../tests/provider-samples/google/google-tool-call.json"),
        ] {
            let fast = WireResponse::read(body);
            assert!(fast.is_some(), "{body}");
            assert_eq!(fast, serde_json::from_str(body).ok(), "{body}");
        }
    }
}
