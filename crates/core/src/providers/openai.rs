//! OpenAI chat completions, and every provider that speaks it with differences (Mistral,
//! DeepSeek, Qwen, Groq, xAI, OpenRouter, Together, Azure OpenAI, Ollama, vLLM, aggregators).
//!
//! The canonical format *is* this wire format, so encoding is the request itself plus the
//! provider's catalog quirks for the model (see `openai_request.rs`: role order, fields the API
//! refuses or renames, response-format degradation, how the model reasons, cache markers, images
//! the model cannot see), and decoding is mostly tolerance (`url_citation` annotations kept): fields
//! that compatible servers omit, send as null, or spell differently (reasoning as a field or as
//! Mistral's `thinking` content chunks, cached tokens under three names, provider totals kept).

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::classify::{ErrorFields, build_error, non_json_error};
use super::openai_request::openai_body;
use super::parse::{arguments_string, parse_event, parse_json};
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEvent, StreamDecoder, WireFamily};
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
        let raw: WireResponse = parse_json(body, "openai chat.completion")?;
        if let Some(err) = raw.error {
            return Err(error_from_value(None, &HeaderMap::new(), &err));
        }
        let choice =
            raw.choices.into_iter().next().ok_or_else(|| {
                ProviderError::malformed("failed to decode openai chat.completion: `choices` is empty")
            })?;
        let m = choice.message.unwrap_or_default();
        let mut message = ResponseMessage::assistant();
        let (content, thinking) = m.content.as_ref().map(content_parts).unwrap_or_default();
        message.content = content;
        message.refusal = m.refusal;
        message.reasoning_content = join_reasoning(m.reasoning_content.or(m.reasoning), thinking);
        let calls: Vec<ToolCall> = m
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let f = c.function.unwrap_or_default();
                let mut call = ToolCall::new(
                    c.id.unwrap_or_default(),
                    f.name.unwrap_or_default(),
                    arguments_string(f.arguments.as_ref()),
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
        resp.system_fingerprint = raw.system_fingerprint;
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
fn content_parts(v: &Value) -> (Option<String>, Option<String>) {
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
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    x_groq: Option<XGroq>,
    #[serde(default)]
    system_fingerprint: Option<String>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    /// OpenRouter and some vLLM builds name it `reasoning`.
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    annotations: Option<Value>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
    /// Provider data that must travel with the call (Gemini's thought signature).
    #[serde(default)]
    extra_content: Option<Value>,
}

#[derive(Deserialize, Default)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize)]
struct XGroq {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
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
struct WirePromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
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

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<WireChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    x_groq: Option<XGroq>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChunkChoice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    delta: Option<WireDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireDelta {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    annotations: Option<Value>,
}

/// Stream decoder: `data:` JSON chunks until `data: [DONE]`.
#[derive(Default)]
struct OpenAiStream {
    id: String,
    model: String,
    created: i64,
    done: bool,
    finished: bool,
}

impl StreamDecoder for OpenAiStream {
    fn event(&mut self, ev: &SseEvent, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let raw: WireChunk = parse_event(data, "openai chat.completion.chunk")?;
        if let Some(err) = raw.error {
            return Err(error_from_value(None, &HeaderMap::new(), &err));
        }
        if let Some(id) = raw.id.filter(|s| !s.is_empty()) {
            self.id = id;
        }
        if let Some(m) = raw.model.filter(|s| !s.is_empty()) {
            self.model = m;
        }
        if let Some(c) = raw.created {
            self.created = c;
        }
        // Azure's first chunk has no choices (only prompt filter results): nothing to emit.
        for choice in raw.choices.into_iter().take(1) {
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
                        id: c.id,
                        kind: Some("function".into()),
                        function: Some(crate::api::FunctionCallDelta {
                            name: f.name,
                            arguments: f.arguments.as_ref().map(|a| arguments_string(Some(a))),
                        }),
                        extra_content: c.extra_content.filter(Value::is_object),
                    }
                })
                .collect();
            let (content, thinking) = d.content.as_ref().map(content_parts).unwrap_or_default();
            let delta = Delta {
                role: d.role,
                content,
                reasoning_content: join_reasoning(d.reasoning_content.or(d.reasoning), thinking),
                refusal: d.refusal,
                tool_calls,
                annotations: d.annotations.as_ref().map(url_citations).unwrap_or_default(),
            };
            let finish = choice.finish_reason.as_deref().map(|r| finish_reason(Some(r)));
            if finish.is_some() {
                self.finished = true;
            }
            let _ = choice.index;
            out.push(ChatCompletionChunk::delta(&self.id, &self.model, self.created, delta, finish));
        }
        if let Some(u) = raw.usage.or(raw.x_groq.and_then(|x| x.usage)) {
            out.push(ChatCompletionChunk::usage(&self.id, &self.model, self.created, u.into_usage()));
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done || self.finished
    }
}
