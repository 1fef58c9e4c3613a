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
use serde_json::Value;

use super::classify::{ErrorFields, build_error, non_json_error};
use super::openai_request::openai_body;
use super::openai_wire::{WireChunk, WireResponse, WireUsage};
use super::parse::{parse_event, parse_json};
use super::wire_de::{WireJson, share};
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEventRef, StreamDecoder, WireFamily};
use crate::api::{
    Annotation, ChatCompletion, ChatCompletionChunk, ChatRequest, Delta, FinishReason, ProviderError, ResponseMessage,
    ToolCall, ToolCallDelta, normalize_response,
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
        let raw = match std::str::from_utf8(body).ok().and_then(WireResponse::read) {
            Some(raw) => raw,
            None => parse_json(body, "openai chat.completion")?,
        };
        if let Some(err) = raw.error {
            return Err(error_from_value(None, &HeaderMap::new(), &err));
        }
        let choice = raw
            .choices
            .0
            .ok_or_else(|| ProviderError::malformed("failed to decode openai chat.completion: `choices` is empty"))?;
        let m = choice.message.unwrap_or_default();
        let mut message = ResponseMessage::assistant();
        let (content, thinking) = m.content.map(content_parts).unwrap_or_default();
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
fn content_parts(v: WireJson<'_>) -> (Option<String>, Option<String>) {
    let v = match v {
        WireJson::Str(s) => return (Some(s.into_owned()), None),
        WireJson::Other(v) => v,
    };
    match v {
        Value::String(s) => (Some(s), None),
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
        let raw = match WireChunk::content_delta(data).or_else(|| WireChunk::read(data)) {
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
            let (content, thinking) = d.content.map(content_parts).unwrap_or_default();
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
