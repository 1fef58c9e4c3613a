//! The OpenAI chat-completions wire format as the decoder reads it: the response and chunk
//! structs, borrowing from the payload, and how they are read.
//!
//! A payload is read member by member with the strict cursor (`json_cursor.rs`) into the same
//! struct serde would fill, and parsed by serde only when the cursor gives up: a member of a
//! shape it does not read (`x_groq`, an `error`), one given twice, a number it does not take
//! for a count, nesting past [`DEPTH`]. Either way the struct holds what serde makes of the
//! bytes; the tests below hold the cursor to that.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::json_cursor::{JsonCursor, Seen};
use super::wire_de::{FirstOf, WireJson, opt_str};
use crate::api::Usage;

/// Deepest nesting the cursor reads inside a member it skips or keeps as a `Value`.
const DEPTH: usize = 16;

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireResponse<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) created: Option<i64>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) model: Option<Cow<'a, str>>,
    /// Adapters produce one choice: only the first is kept.
    #[serde(default, borrow)]
    pub(super) choices: FirstOf<WireChoice<'a>>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
    #[serde(default)]
    pub(super) x_groq: Option<XGroq>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) system_fingerprint: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) error: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireChoice<'a> {
    #[serde(default, borrow)]
    pub(super) message: Option<WireMessage<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireMessage<'a> {
    #[serde(default, borrow)]
    pub(super) content: Option<WireJson<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) reasoning_content: Option<Cow<'a, str>>,
    /// OpenRouter and some vLLM builds name it `reasoning`.
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) tool_calls: Option<Vec<WireToolCall<'a>>>,
    #[serde(default)]
    pub(super) annotations: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireToolCall<'a> {
    #[serde(default)]
    pub(super) index: Option<u32>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) function: Option<WireFunction<'a>>,
    /// Provider data that must travel with the call (Gemini's thought signature).
    #[serde(default)]
    pub(super) extra_content: Option<Value>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireFunction<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) arguments: Option<WireJson<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct XGroq {
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireUsage {
    #[serde(default)]
    pub(super) prompt_tokens: u64,
    #[serde(default)]
    pub(super) completion_tokens: u64,
    #[serde(default)]
    pub(super) prompt_tokens_details: Option<WirePromptDetails>,
    #[serde(default)]
    pub(super) completion_tokens_details: Option<WireCompletionDetails>,
    #[serde(default)]
    pub(super) total_tokens: Option<u64>,
    /// DeepSeek's name for cached prompt tokens.
    #[serde(default)]
    pub(super) prompt_cache_hit_tokens: Option<u64>,
    /// Mistral's name for cached prompt tokens, in most of its responses.
    #[serde(default)]
    pub(super) num_cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WirePromptDetails {
    #[serde(default)]
    pub(super) cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireCompletionDetails {
    #[serde(default)]
    pub(super) reasoning_tokens: Option<u64>,
}

impl WireUsage {
    pub(super) fn into_usage(self) -> Usage {
        let cached = self
            .prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .or(self.num_cached_tokens)
            .unwrap_or(0);
        let reasoning = self.completion_tokens_details.and_then(|d| d.reasoning_tokens).unwrap_or(0);
        Usage::new(self.prompt_tokens, self.completion_tokens, cached, reasoning).with_reported_total(self.total_tokens)
    }
}

/// One chunk. The fields only some chunks carry are boxed: the struct is built and moved for
/// every chunk, most of them small deltas.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireChunk<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) created: Option<i64>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) model: Option<Cow<'a, str>>,
    /// Only the first choice is decoded (adapters produce one).
    #[serde(default, borrow)]
    pub(super) choices: FirstOf<WireChunkChoice<'a>>,
    #[serde(default)]
    pub(super) usage: Option<Box<WireUsage>>,
    #[serde(default)]
    pub(super) x_groq: Option<Box<XGroq>>,
    #[serde(default)]
    pub(super) error: Option<Box<Value>>,
}

impl<'a> WireChunk<'a> {
    /// The usual content chunk as OpenAI writes it (`id`, `object`, `created`, `model`, then
    /// optionally `service_tier` and `system_fingerprint`, one choice whose delta is only
    /// `content`, then optionally `usage: null` and `obfuscation`), read without a general
    /// parse: what a JSON parser would make of the same bytes, or `None` when they are not of
    /// that shape (see `json_cursor.rs`). The fields the decoder does not read are checked,
    /// not kept.
    pub(super) fn content_delta(data: &'a str) -> Option<Self> {
        let mut c = JsonCursor::new(data);
        c.lit(r#"{"id":""#)?;
        let id = c.string()?;
        c.lit(r#","object":"chat.completion.chunk","created":"#)?;
        let created = i64::try_from(c.uint()?).ok()?;
        c.lit(r#","model":""#)?;
        let model = c.string()?;
        if c.lit(r#","service_tier":""#).is_some() {
            c.string()?;
        }
        if c.lit(r#","system_fingerprint":""#).is_some() {
            c.string()?;
        }
        c.lit(r#","choices":[{"index":"#)?;
        let index = u32::try_from(c.uint()?).ok()?;
        c.lit(r#","delta":{"content":""#)?;
        let content = c.string()?;
        c.lit(r#"},"logprobs":null,"finish_reason":null}]"#)?;
        let _ = c.lit(r#","usage":null"#);
        if c.lit(r#","obfuscation":""#).is_some() {
            c.string()?;
        }
        c.lit("}")?;
        c.end()?;
        let delta = WireDelta { content: Some(WireJson::Str(content)), ..Default::default() };
        Some(WireChunk {
            id: Some(id),
            created: Some(created),
            model: Some(model),
            choices: FirstOf(Some(WireChunkChoice { index: Some(index), delta: Some(delta), finish_reason: None })),
            usage: None,
            x_groq: None,
            error: None,
        })
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireChunkChoice<'a> {
    #[serde(default)]
    pub(super) index: Option<u32>,
    #[serde(default, borrow)]
    pub(super) delta: Option<WireDelta<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireDelta<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) role: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) content: Option<WireJson<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) tool_calls: Option<Vec<WireToolCall<'a>>>,
    #[serde(default)]
    pub(super) annotations: Option<Box<Value>>,
}

impl<'a> WireResponse<'a> {
    /// A whole response read with the cursor; `None` where serde must read it.
    pub(super) fn read(data: &'a str) -> Option<Self> {
        let mut r = WireResponse {
            id: None,
            created: None,
            model: None,
            choices: FirstOf(None),
            usage: None,
            x_groq: None,
            system_fingerprint: None,
            error: None,
        };
        let mut seen = Seen::default();
        let mut c = JsonCursor::new(data);
        c.ws();
        c.object(|c, key| match key {
            "id" => seen.set(0, &mut r.id, c.opt(JsonCursor::string_value)),
            "created" => seen.set(1, &mut r.created, c.opt(read_i64)),
            "model" => seen.set(2, &mut r.model, c.opt(JsonCursor::string_value)),
            "choices" => seen.set(3, &mut r.choices, first_of(c, WireChoice::read)),
            "usage" => seen.set(4, &mut r.usage, c.opt(WireUsage::read)),
            "system_fingerprint" => seen.set(5, &mut r.system_fingerprint, c.opt(JsonCursor::string_value)),
            "x_groq" | "error" => None,
            _ => c.skip_value(DEPTH),
        })?;
        c.end()?;
        Some(r)
    }
}

impl<'a> WireChoice<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireChoice { message: None, finish_reason: None };
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "message" => seen.set(0, &mut r.message, c.opt(WireMessage::read)),
            "finish_reason" => seen.set(1, &mut r.finish_reason, c.opt(JsonCursor::string_value)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireMessage<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireMessage::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "content" => seen.set(0, &mut r.content, c.opt(read_json)),
            "refusal" => seen.set(1, &mut r.refusal, c.opt(JsonCursor::string_value)),
            "reasoning_content" => seen.set(2, &mut r.reasoning_content, c.opt(JsonCursor::string_value)),
            "reasoning" => seen.set(3, &mut r.reasoning, c.opt(JsonCursor::string_value)),
            "tool_calls" => seen.set(4, &mut r.tool_calls, c.opt(read_tool_calls)),
            "annotations" => seen.set(5, &mut r.annotations, c.opt(read_value)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireToolCall<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireToolCall { index: None, id: None, function: None, extra_content: None };
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "index" => seen.set(0, &mut r.index, c.opt(read_u32)),
            "id" => seen.set(1, &mut r.id, c.opt(JsonCursor::string_value)),
            "function" => seen.set(2, &mut r.function, c.opt(WireFunction::read)),
            "extra_content" => seen.set(3, &mut r.extra_content, c.opt(read_value)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireFunction<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireFunction::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "name" => seen.set(0, &mut r.name, c.opt(JsonCursor::string_value)),
            "arguments" => seen.set(1, &mut r.arguments, c.opt(read_json)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl WireUsage {
    fn read(c: &mut JsonCursor<'_>) -> Option<Self> {
        let mut r = WireUsage {
            prompt_tokens: 0,
            completion_tokens: 0,
            prompt_tokens_details: None,
            completion_tokens_details: None,
            total_tokens: None,
            prompt_cache_hit_tokens: None,
            num_cached_tokens: None,
        };
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            // Counts are `u64` here, not `Option`: `null` is for serde to refuse.
            "prompt_tokens" => seen.set(0, &mut r.prompt_tokens, c.uint()),
            "completion_tokens" => seen.set(1, &mut r.completion_tokens, c.uint()),
            "total_tokens" => seen.set(2, &mut r.total_tokens, c.opt(JsonCursor::uint)),
            "prompt_cache_hit_tokens" => seen.set(3, &mut r.prompt_cache_hit_tokens, c.opt(JsonCursor::uint)),
            "num_cached_tokens" => seen.set(4, &mut r.num_cached_tokens, c.opt(JsonCursor::uint)),
            "prompt_tokens_details" => {
                let read = |c: &mut JsonCursor<'_>| {
                    read_count(c, "cached_tokens").map(|cached_tokens| WirePromptDetails { cached_tokens })
                };
                seen.set(5, &mut r.prompt_tokens_details, c.opt(read))
            }
            "completion_tokens_details" => {
                let read = |c: &mut JsonCursor<'_>| {
                    read_count(c, "reasoning_tokens").map(|reasoning_tokens| WireCompletionDetails { reasoning_tokens })
                };
                seen.set(6, &mut r.completion_tokens_details, c.opt(read))
            }
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireChunk<'a> {
    /// A chunk read with the cursor, whatever the order of its members; `None` where serde
    /// must read it.
    pub(super) fn read(data: &'a str) -> Option<Self> {
        let mut r = WireChunk {
            id: None,
            created: None,
            model: None,
            choices: FirstOf(None),
            usage: None,
            x_groq: None,
            error: None,
        };
        let mut seen = Seen::default();
        let mut c = JsonCursor::new(data);
        c.object(|c, key| match key {
            "id" => seen.set(0, &mut r.id, c.opt(JsonCursor::string_value)),
            "created" => seen.set(1, &mut r.created, c.opt(read_i64)),
            "model" => seen.set(2, &mut r.model, c.opt(JsonCursor::string_value)),
            "choices" => seen.set(3, &mut r.choices, first_of(c, WireChunkChoice::read)),
            "usage" => seen.set(4, &mut r.usage, c.opt(WireUsage::read).map(|u| u.map(Box::new))),
            "x_groq" | "error" => None,
            _ => c.skip_value(DEPTH),
        })?;
        c.end()?;
        Some(r)
    }
}

impl<'a> WireChunkChoice<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireChunkChoice { index: None, delta: None, finish_reason: None };
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "index" => seen.set(0, &mut r.index, c.opt(read_u32)),
            "delta" => seen.set(1, &mut r.delta, c.opt(WireDelta::read)),
            "finish_reason" => seen.set(2, &mut r.finish_reason, c.opt(JsonCursor::string_value)),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

impl<'a> WireDelta<'a> {
    fn read(c: &mut JsonCursor<'a>) -> Option<Self> {
        let mut r = WireDelta::default();
        let mut seen = Seen::default();
        c.object(|c, key| match key {
            "role" => seen.set(0, &mut r.role, c.opt(JsonCursor::string_value)),
            "content" => seen.set(1, &mut r.content, c.opt(read_json)),
            "refusal" => seen.set(2, &mut r.refusal, c.opt(JsonCursor::string_value)),
            "reasoning_content" => seen.set(3, &mut r.reasoning_content, c.opt(JsonCursor::string_value)),
            "reasoning" => seen.set(4, &mut r.reasoning, c.opt(JsonCursor::string_value)),
            "tool_calls" => seen.set(5, &mut r.tool_calls, c.opt(read_tool_calls)),
            "annotations" => seen.set(6, &mut r.annotations, c.opt(read_value).map(|v| v.map(Box::new))),
            _ => c.skip_value(DEPTH),
        })?;
        Some(r)
    }
}

/// Every element read (as `FirstOf` reads them), the first kept.
fn first_of<'a, T>(c: &mut JsonCursor<'a>, read: impl Fn(&mut JsonCursor<'a>) -> Option<T>) -> Option<FirstOf<T>> {
    let mut first = None;
    c.array(|c| {
        let item = read(c)?;
        first.get_or_insert(item);
        Some(())
    })?;
    Some(FirstOf(first))
}

fn read_tool_calls<'a>(c: &mut JsonCursor<'a>) -> Option<Vec<WireToolCall<'a>>> {
    let mut calls = Vec::new();
    c.array(|c| {
        calls.push(WireToolCall::read(c)?);
        Some(())
    })?;
    Some(calls)
}

/// A member kept as a `Value`.
fn read_value(c: &mut JsonCursor<'_>) -> Option<Value> {
    c.value(DEPTH)
}

/// Content or arguments: a string kept borrowed, anything else the `Value` it is.
fn read_json<'a>(c: &mut JsonCursor<'a>) -> Option<WireJson<'a>> {
    if c.at(b'"') { c.string_value().map(WireJson::Str) } else { read_value(c).map(WireJson::Other) }
}

fn read_u32(c: &mut JsonCursor<'_>) -> Option<u32> {
    u32::try_from(c.uint()?).ok()
}

fn read_i64(c: &mut JsonCursor<'_>) -> Option<i64> {
    i64::try_from(c.uint()?).ok()
}

/// A details object of which one count is kept.
fn read_count(c: &mut JsonCursor<'_>, name: &str) -> Option<Option<u64>> {
    let mut count = None;
    let mut seen = Seen::default();
    c.object(|c, key| {
        if key == name {
            seen.once(0)?;
            count = c.opt(JsonCursor::uint)?;
            Some(())
        } else {
            c.skip_value(DEPTH)
        }
    })?;
    Some(count)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const SHAPES: &[&str] = &[
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"§"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"Qup1"}"#,
        r#"{"id":"c§","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":3,"delta":{"content":"§"},"logprobs":null,"finish_reason":null}]}"#,
    ];

    const CHUNK_SHAPES: &[&str] = &[
        r#"{"choices":[{"delta":{"role":"assistant","content":"§","refusal":null},"index":0,"finish_reason":null}],"model":"m","id":"c","created":7}"#,
        r#"{ "id" : "c" , "choices" : [ { "index" : 0 , "delta" : { "tool_calls" : [ { "index" : 0 , "id" : "call_1" , "type" : "function" , "function" : { "name" : "f" , "arguments" : "§" } } ] } } ] }"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"§","content":[{"type":"thinking","thinking":[{"type":"text","text":"§"}]}]},"finish_reason":"stop"},{"index":1,"delta":{}}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":1,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2}}}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"a","annotations":[{"type":"url_citation","url_citation":{"url":"§","title":"t","start_index":0,"end_index":1}}]}}],"x_groq":{"id":"§"}}"#,
        r#"{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"prompt_cache_hit_tokens":5,"num_cached_tokens":null},"system_fingerprint":null,"created":-1,"extra":[1.5e3,-2,true]}"#,
        r#"{"id":"c","id":"§","choices":[{"delta":{"content":"x","content":"y"}}]}"#,
    ];

    const RESPONSE_SHAPES: &[&str] = &[
        r#"{"id":"chatcmpl-1","object":"chat.completion","created":1770933883,"model":"gpt-4.1-nano","choices":[{"index":0,"message":{"role":"assistant","content":"§","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":16,"completion_tokens":363,"total_tokens":379,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}},"service_tier":"default","system_fingerprint":"fp_§"}"#,
        r#"{"id":"x","choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_§","type":"function","function":{"name":"f","arguments":{"city":"§"}},"extra_content":{"google":{"thought_signature":"§"}}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#,
        r#"{"id":"x","choices":[{"message":{"content":"a","reasoning":"§"},"finish_reason":"length"}],"error":null}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// The fast read of a content chunk says what serde_json says of the same bytes, or
        /// nothing.
        #[test]
        fn fast_content_chunks_read_what_serde_reads(data in near::payloads(SHAPES)) {
            near::agrees_with_serde::<WireChunk>(&data, WireChunk::content_delta(&data))?;
        }

        /// Chunks read member by member say what serde_json says of the same bytes, or nothing.
        #[test]
        fn chunks_read_by_member_read_what_serde_reads(data in near::payloads(CHUNK_SHAPES)) {
            near::agrees_with_serde::<WireChunk>(&data, WireChunk::read(&data))?;
        }

        /// Whole responses read member by member say what serde_json says, or nothing.
        #[test]
        fn responses_read_by_member_read_what_serde_reads(data in near::payloads(RESPONSE_SHAPES)) {
            near::agrees_with_serde::<WireResponse>(&data, WireResponse::read(&data))?;
        }
    }

    #[test]
    fn the_recorded_content_chunks_take_the_fast_read() {
        let sample = include_str!("../../../../tests/provider-samples/openai/openai-text.chunks.txt");
        let deltas: Vec<&str> = sample.lines().filter(|l| l.contains(r#""delta":{"content":"#)).collect();
        assert!(deltas.len() > 100);
        for line in deltas {
            assert_eq!(WireChunk::content_delta(line), serde_json::from_str(line).ok(), "{line}");
        }
    }

    /// Every genuine OpenAI-format recording (OpenAI, DeepSeek, Mistral, Groq, Qwen) is read by
    /// the cursor as serde reads it, and the cursor reads nearly all of them itself.
    #[test]
    fn the_recorded_payloads_read_by_member_as_serde_reads_them() {
        let streams = [
            include_str!("../../../../tests/provider-samples/openai/openai-text.chunks.txt"),
            include_str!("../../../../tests/provider-samples/deepseek/deepseek-text.chunks.txt"),
            include_str!("../../../../tests/provider-samples/deepseek/deepseek-tool-call.chunks.txt"),
            include_str!("../../../../tests/provider-samples/mistral/mistral-reasoning.chunks.txt"),
            include_str!("../../../../tests/provider-samples/mistral/mistral-text.chunks.txt"),
            include_str!("../../../../tests/provider-samples/mistral/mistral-tool-call.chunks.txt"),
            include_str!("../../../../tests/provider-samples/groq/groq-tool-call.chunks.txt"),
            include_str!("../../../../tests/provider-samples/alibaba/alibaba-text.chunks.txt"),
        ];
        let (mut read, mut total) = (0, 0);
        for line in streams.iter().flat_map(|s| s.lines()).filter(|l| l.starts_with('{')) {
            total += 1;
            if let Some(fast) = WireChunk::read(line) {
                read += 1;
                assert_eq!(Some(fast), serde_json::from_str(line).ok(), "{line}");
            }
        }
        assert!(read * 10 >= total * 9, "the cursor read {read} of {total} chunks");
        let bodies = [
            include_str!("../../../../tests/provider-samples/openai/openai-text.json"),
            include_str!("../../../../tests/provider-samples/deepseek/deepseek-text.json"),
            include_str!("../../../../tests/provider-samples/deepseek/deepseek-tool-call.json"),
            include_str!("../../../../tests/provider-samples/mistral/mistral-reasoning.json"),
            include_str!("../../../../tests/provider-samples/mistral/mistral-text.json"),
            include_str!("../../../../tests/provider-samples/mistral/mistral-tool-call.json"),
            include_str!("../../../../tests/provider-samples/groq/groq-tool-call.json"),
            include_str!("../../../../tests/provider-samples/alibaba/alibaba-text.json"),
        ];
        for body in bodies {
            let slow = serde_json::from_str::<WireResponse>(body).ok();
            match WireResponse::read(body) {
                Some(fast) => assert_eq!(Some(fast), slow, "{body}"),
                None => assert!(body.contains("x_groq"), "the cursor gave up on {body}"),
            }
        }
    }
}
