//! OpenAI chat completions, and every provider that speaks it with differences (Mistral,
//! DeepSeek, Qwen, Groq, xAI, OpenRouter, Together, Azure OpenAI, Ollama, vLLM, aggregators).
//!
//! The canonical format *is* this wire format, so encoding is the request itself plus the
//! provider's catalog quirks for the model (see `openai_request.rs`: role order, fields the API
//! refuses or renames, response-format degradation, how the model reasons, cache markers, images
//! the model cannot see), and decoding is mostly tolerance (`url_citation` annotations kept): fields
//! that compatible servers omit, send as null, or spell differently (reasoning as a field or as
//! Mistral's `thinking` content chunks, cached tokens under three names, provider totals kept).

use std::borrow::Cow;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::classify::{ErrorFields, build_error, non_json_error};
use super::json_cursor::JsonCursor;
use super::openai_request::openai_body;
use super::parse::{parse_event, parse_json};
use super::wire_de::{FirstOf, WireJson, opt_str, share};
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEventRef, StreamDecoder, WireFamily};
use crate::api::{
    Annotation, ChatCompletion, ChatCompletionChunk, ChatRequest, Delta, FinishReason, ProviderError, ResponseMessage,
    ToolCall, ToolCallDelta, Usage, normalize_response,
};

pub struct OpenAiAdapter;

impl Adapter for OpenAiAdapter {
    fn family(&self) -> WireFamily {
        WireFamily::Openai
    }

    fn encode(&self, req: &ChatRequest, spec: &ProviderSpec, key: Option<&str>) -> Result<NativeRequest, EncodeError> {
        let (body, notes) = openai_body(req, spec)?;
        let stream = req.is_stream();
        let template = if stream { spec.stream_path.as_deref().or(spec.path.as_deref()) } else { spec.path.as_deref() };
        let url = spec.url(template.unwrap_or("/chat/completions"), &req.model);
        let mut native = NativeRequest::for_provider(spec, url, body, key)?;
        native.hints.stream = stream;
        native.notes = notes;
        if stream {
            native.header("accept", "text/event-stream");
        }
        Ok(native)
    }

    fn decode(&self, body: &[u8], _hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
        let raw: WireResponse<'_> = parse_json(body, "openai chat.completion")?;
        if let Some(err) = raw.error {
            return Err(error_from_value(None, &HeaderMap::new(), &err));
        }
        let choice = raw
            .choices
            .0
            .ok_or_else(|| ProviderError::malformed("failed to decode openai chat.completion: `choices` is empty"))?;
        let m = choice.message.unwrap_or_default();
        let mut message = ResponseMessage::assistant();
        let (content, thinking) = m.content.as_ref().map(content_parts).unwrap_or_default();
        message.content = content;
        message.refusal = m.refusal.map(Cow::into_owned);
        message.reasoning_content = join_reasoning(m.reasoning_content.or(m.reasoning).map(Cow::into_owned), thinking);
        let calls: Vec<ToolCall> = m
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let f = c.function.unwrap_or_default();
                let mut call = ToolCall::new(
                    c.id.unwrap_or_default(),
                    f.name.unwrap_or_default(),
                    f.arguments.as_ref().map(WireJson::arguments).unwrap_or_default(),
                );
                call.extra_content = c.extra_content.filter(Value::is_object);
                call
            })
            .collect();
        message.tool_calls = (!calls.is_empty()).then_some(calls);
        message.annotations = m.annotations.as_ref().map(url_citations).filter(|a| !a.is_empty());
        let usage = raw.usage.or(raw.x_groq.and_then(|x| x.usage)).map(WireUsage::into_usage);
        let mut resp = ChatCompletion::single(
            raw.id.unwrap_or_default(),
            raw.model.unwrap_or_default(),
            raw.created.unwrap_or(0),
            message,
            finish_reason(choice.finish_reason.as_deref()),
            usage,
        );
        resp.system_fingerprint = raw.system_fingerprint.map(Cow::into_owned);
        normalize_response(&mut resp);
        Ok(resp)
    }

    fn stream_decoder(&self, _hints: &ResponseHints) -> Box<dyn StreamDecoder> {
        Box::new(OpenAiStream::default())
    }

    fn classify_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => error_from_value(Some(status), headers, &v),
            Err(_) => non_json_error(status, headers, body),
        }
    }
}

/// Maps the finish reasons OpenAI and compatible servers send.
pub(crate) fn finish_reason(raw: Option<&str>) -> FinishReason {
    match raw.unwrap_or("stop") {
        "length" | "max_tokens" | "model_length" => FinishReason::Length,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "content_filter" | "safety" => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

/// Content as text and thinking: a string is text; a list of parts (Mistral's reasoning models,
/// some compatible servers) has `text` parts, joined, and `thinking` parts, whose `thinking` is
/// a list of text chunks (or a string), joined into the reasoning. Other part types (Mistral's
/// `reference`) carry nothing to keep.
/// See <https://docs.mistral.ai/capabilities/reasoning/>.
fn content_parts(v: &WireJson<'_>) -> (Option<String>, Option<String>) {
    let v = match v {
        WireJson::Str(s) => return (Some(s.to_string()), None),
        WireJson::Other(v) => v,
    };
    match v {
        Value::String(s) => (Some(s.clone()), None),
        Value::Array(parts) => {
            let mut text = String::new();
            let mut thinking = String::new();
            for p in parts {
                match p.get("type").and_then(Value::as_str) {
                    Some("thinking") => match p.get("thinking") {
                        Some(Value::String(t)) => thinking.push_str(t),
                        Some(Value::Array(chunks)) => {
                            thinking.extend(chunks.iter().filter_map(|c| c.get("text").and_then(Value::as_str)))
                        }
                        _ => {}
                    },
                    Some("text") | None => text.extend(p.get("text").and_then(Value::as_str)),
                    Some(_) => {}
                }
            }
            (Some(text), Some(thinking).filter(|t| !t.is_empty()))
        }
        _ => (None, None),
    }
}

/// Most annotations kept from one message or chunk; more is not citation but abuse.
const MAX_ANNOTATIONS: usize = 256;

/// The `url_citation` annotations of OpenAI's web-search answers; other kinds and malformed
/// entries carry nothing canonical and are skipped.
fn url_citations(v: &Value) -> Vec<Annotation> {
    let Value::Array(items) = v else { return Vec::new() };
    items
        .iter()
        .filter(|a| a.get("type").and_then(Value::as_str) == Some("url_citation"))
        .filter_map(|a| serde_json::from_value::<Annotation>(a.clone()).ok())
        .take(MAX_ANNOTATIONS)
        .collect()
}

/// Reasoning from the reasoning field and from thinking parts; a server sends one or the other.
fn join_reasoning(field: Option<String>, parts: Option<String>) -> Option<String> {
    match (field, parts) {
        (Some(f), Some(p)) => Some(f + &p),
        (f, p) => f.or(p),
    }
}

/// Extracts error fields from the shapes OpenAI-compatible servers use:
/// `{"error": {...}}`, `{"error": "text"}`, `{"message": ...}`, `{"detail": ...}`, or a list.
pub(crate) fn error_from_value(status: Option<u16>, headers: &HeaderMap, v: &Value) -> ProviderError {
    let v = match v {
        Value::Array(items) => items.first().unwrap_or(v),
        _ => v,
    };
    let obj = v.get("error").unwrap_or(v);
    let mut fields = ErrorFields::default();
    match obj {
        Value::String(s) => fields.message = Some(s.clone()),
        Value::Object(o) => {
            for key in ["code", "type", "status"] {
                match o.get(key) {
                    Some(Value::String(s)) if !s.is_empty() => fields.codes.push(s.clone()),
                    Some(Value::Number(n)) if key == "code" && status.is_none() => fields.codes.push(n.to_string()),
                    _ => {}
                }
            }
            fields.message = o
                .get("message")
                .or_else(|| o.get("detail"))
                .or_else(|| o.get("msg"))
                .and_then(|m| m.as_str().map(str::to_string).or_else(|| Some(m.to_string())));
        }
        _ => {}
    }
    let status = status.or_else(|| obj.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()));
    build_error(status, headers, fields)
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireResponse<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    model: Option<Cow<'a, str>>,
    /// Adapters produce one choice: only the first is kept.
    #[serde(default, borrow)]
    choices: FirstOf<WireChoice<'a>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    x_groq: Option<XGroq>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    system_fingerprint: Option<Cow<'a, str>>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireChoice<'a> {
    #[serde(default, borrow)]
    message: Option<WireMessage<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireMessage<'a> {
    #[serde(default, borrow)]
    content: Option<WireJson<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    reasoning_content: Option<Cow<'a, str>>,
    /// OpenRouter and some vLLM builds name it `reasoning`.
    #[serde(default, borrow, deserialize_with = "opt_str")]
    reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<WireToolCall<'a>>>,
    #[serde(default)]
    annotations: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireToolCall<'a> {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    function: Option<WireFunction<'a>>,
    /// Provider data that must travel with the call (Gemini's thought signature).
    #[serde(default)]
    extra_content: Option<Value>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireFunction<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<WireJson<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct XGroq {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<WirePromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<WireCompletionDetails>,
    #[serde(default)]
    total_tokens: Option<u64>,
    /// DeepSeek's name for cached prompt tokens.
    #[serde(default)]
    prompt_cache_hit_tokens: Option<u64>,
    /// Mistral's name for cached prompt tokens, in most of its responses.
    #[serde(default)]
    num_cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WirePromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireCompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl WireUsage {
    fn into_usage(self) -> Usage {
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
struct WireChunk<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    model: Option<Cow<'a, str>>,
    /// Only the first choice is decoded (adapters produce one).
    #[serde(default, borrow)]
    choices: FirstOf<WireChunkChoice<'a>>,
    #[serde(default)]
    usage: Option<Box<WireUsage>>,
    #[serde(default)]
    x_groq: Option<Box<XGroq>>,
    #[serde(default)]
    error: Option<Box<Value>>,
}

impl<'a> WireChunk<'a> {
    /// The usual content chunk as OpenAI writes it (`id`, `object`, `created`, `model`, then
    /// optionally `service_tier` and `system_fingerprint`, one choice whose delta is only
    /// `content`, then optionally `usage: null` and `obfuscation`), read without a general
    /// parse: what a JSON parser would make of the same bytes, or `None` when they are not of
    /// that shape (see `json_cursor.rs`). The fields the decoder does not read are checked,
    /// not kept.
    fn content_delta(data: &'a str) -> Option<Self> {
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
struct WireChunkChoice<'a> {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default, borrow)]
    delta: Option<WireDelta<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireDelta<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    role: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    content: Option<WireJson<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<WireToolCall<'a>>>,
    #[serde(default)]
    annotations: Option<Box<Value>>,
}

/// Stream decoder: `data:` JSON chunks until `data: [DONE]`.
#[derive(Default)]
struct OpenAiStream {
    id: Arc<str>,
    model: Arc<str>,
    created: i64,
    done: bool,
    finished: bool,
}

impl StreamDecoder for OpenAiStream {
    fn event(&mut self, ev: &SseEventRef<'_>, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let raw = match WireChunk::content_delta(data) {
            Some(raw) => raw,
            None => parse_event(data, "openai chat.completion.chunk")?,
        };
        if let Some(err) = raw.error {
            return Err(error_from_value(None, &HeaderMap::new(), &err));
        }
        if let Some(id) = raw.id.filter(|s| !s.is_empty()) {
            share(&mut self.id, &id);
        }
        if let Some(m) = raw.model.filter(|s| !s.is_empty()) {
            share(&mut self.model, &m);
        }
        if let Some(c) = raw.created {
            self.created = c;
        }
        // Azure's first chunk has no choices (only prompt filter results): nothing to emit.
        if let Some(choice) = raw.choices.0 {
            let d = choice.delta.unwrap_or_default();
            let tool_calls: Vec<ToolCallDelta> = d
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(pos, c)| {
                    let f = c.function.unwrap_or_default();
                    ToolCallDelta {
                        index: c.index.unwrap_or(pos as u32),
                        id: c.id.map(Cow::into_owned),
                        kind: Some("function".into()),
                        function: Some(crate::api::FunctionCallDelta {
                            name: f.name.map(Cow::into_owned),
                            arguments: f.arguments.as_ref().map(WireJson::arguments),
                        }),
                        extra_content: c.extra_content.filter(Value::is_object),
                    }
                })
                .collect();
            let (content, thinking) = d.content.as_ref().map(content_parts).unwrap_or_default();
            let delta = Delta {
                role: d.role.map(Cow::into_owned),
                content,
                reasoning_content: join_reasoning(d.reasoning_content.or(d.reasoning).map(Cow::into_owned), thinking),
                refusal: d.refusal.map(Cow::into_owned),
                tool_calls,
                annotations: d.annotations.as_deref().map(url_citations).unwrap_or_default(),
            };
            let finish = choice.finish_reason.as_deref().map(|r| finish_reason(Some(r)));
            if finish.is_some() {
                self.finished = true;
            }
            let _ = choice.index;
            out.push(ChatCompletionChunk::delta(self.id.clone(), self.model.clone(), self.created, delta, finish));
        }
        if let Some(u) = raw.usage.map(|u| *u).or(raw.x_groq.and_then(|x| x.usage)) {
            out.push(ChatCompletionChunk::usage(self.id.clone(), self.model.clone(), self.created, u.into_usage()));
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done || self.finished
    }
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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// The fast read of a content chunk says what serde_json says of the same bytes, or
        /// nothing.
        #[test]
        fn fast_content_chunks_read_what_serde_reads(data in near::payloads(SHAPES)) {
            if let Some(fast) = WireChunk::content_delta(&data) {
                let slow = serde_json::from_str::<WireChunk>(&data);
                prop_assert!(slow.is_ok(), "serde_json refuses what the fast read accepted: {}", data);
                prop_assert_eq!(fast, slow.unwrap());
            }
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
}
