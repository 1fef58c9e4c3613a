//! OpenAI chat completions, and every provider that speaks it with differences (Mistral,
//! DeepSeek, Qwen, Groq, xAI, OpenRouter, Together, Azure OpenAI, Ollama, vLLM, aggregators).
//!
//! The canonical format *is* this wire format, so encoding is the request itself plus the
//! provider's quirks, and decoding is mostly tolerance: fields that compatible servers omit,
//! send as null, or spell differently.

use std::collections::HashMap;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::classify::{ErrorFields, build_error, non_json_error};
use super::parse::{arguments_string, parse_event, parse_json};
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEvent, StreamDecoder, WireFamily};
use crate::api::{
    ChatCompletion, ChatCompletionChunk, ChatRequest, Delta, FinishReason, ProviderError, ResponseMessage, Role,
    ToolCall, ToolCallDelta, Usage, normalize_response,
};

pub struct OpenAiAdapter;

impl Adapter for OpenAiAdapter {
    fn family(&self) -> WireFamily {
        WireFamily::Openai
    }

    fn encode(&self, req: &ChatRequest, spec: &ProviderSpec, key: Option<&str>) -> Result<NativeRequest, EncodeError> {
        let mut req = req.clone();
        let q = &spec.quirks;
        if !q.developer_role {
            for m in &mut req.messages {
                if m.role == Role::Developer {
                    m.role = Role::System;
                }
            }
        }
        for m in &mut req.messages {
            // OpenAI rejects `tool_calls: []`; an empty list means no calls.
            if m.tool_calls.as_ref().is_some_and(Vec::is_empty) {
                m.tool_calls = None;
            }
        }
        if q.tool_call_id.as_deref() == Some("alnum9") {
            let mut ids = HashMap::new();
            for m in &mut req.messages {
                for c in m.tool_calls.iter_mut().flatten() {
                    c.id = alnum9(&c.id, &mut ids);
                }
                if let Some(id) = &mut m.tool_call_id {
                    *id = alnum9(id, &mut ids);
                }
            }
        }
        match q.max_tokens_param.as_deref() {
            Some("max_completion_tokens") => {
                if let Some(n) = req.max_tokens.take() {
                    req.max_completion_tokens.get_or_insert(n);
                }
            }
            _ => {
                if let Some(n) = req.max_completion_tokens.take() {
                    req.max_tokens.get_or_insert(n);
                }
            }
        }
        let stream = req.is_stream();
        if stream && q.stream_usage && req.stream_options.is_none() {
            req.stream_options = Some(crate::api::StreamOptions { include_usage: Some(true), extra: Map::new() });
        }
        let mut body = serde_json::to_value(&req).map_err(|e| EncodeError::new(spec, e.to_string()))?;
        if let (Some(spelling), Some(Value::String(choice))) = (&q.tool_choice_required, body.get_mut("tool_choice"))
            && choice == "required"
        {
            *choice = spelling.clone();
        }
        let template = if stream { spec.stream_path.as_deref().or(spec.path.as_deref()) } else { spec.path.as_deref() };
        let url = spec.url(template.unwrap_or("/chat/completions"), &req.model);
        let mut native = NativeRequest::for_provider(spec, url, body, key)?;
        native.hints.stream = stream;
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
        message.content = m.content.as_ref().and_then(content_text);
        message.refusal = m.refusal;
        message.reasoning_content = m.reasoning_content.or(m.reasoning);
        let calls: Vec<ToolCall> = m
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let f = c.function.unwrap_or_default();
                ToolCall::new(
                    c.id.unwrap_or_default(),
                    f.name.unwrap_or_default(),
                    arguments_string(f.arguments.as_ref()),
                )
            })
            .collect();
        message.tool_calls = (!calls.is_empty()).then_some(calls);
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

/// Content as text: a string, or text parts joined (some compatible servers answer in parts).
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: String = parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect();
            Some(text)
        }
        _ => None,
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

/// Maps an id to a stable 9-character alphanumeric one, the same input always giving the same
/// output within a request so calls and their results still pair up.
fn alnum9(id: &str, seen: &mut HashMap<String, String>) -> String {
    if id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return id.to_string();
    }
    if let Some(v) = seen.get(id) {
        return v.clone();
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::with_capacity(9);
    for _ in 0..9 {
        out.push(ALPHABET[(h % 62) as usize] as char);
        h /= 62;
        h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1);
    }
    seen.insert(id.to_string(), out.clone());
    out
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
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
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
    /// DeepSeek's name for cached prompt tokens.
    #[serde(default)]
    prompt_cache_hit_tokens: Option<u64>,
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
        let cached =
            self.prompt_tokens_details.and_then(|d| d.cached_tokens).or(self.prompt_cache_hit_tokens).unwrap_or(0);
        let reasoning = self.completion_tokens_details.and_then(|d| d.reasoning_tokens).unwrap_or(0);
        Usage::new(self.prompt_tokens, self.completion_tokens, cached, reasoning)
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
                    }
                })
                .collect();
            let delta = Delta {
                role: d.role,
                content: d.content.as_ref().and_then(content_text),
                reasoning_content: d.reasoning_content.or(d.reasoning),
                refusal: d.refusal,
                tool_calls,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum9_is_stable_and_valid() {
        let mut seen = HashMap::new();
        let a = alnum9("call_00_9V0vrf86Pc9aelHCJMZqnJBo", &mut seen);
        assert_eq!(a.len(), 9);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(alnum9("call_00_9V0vrf86Pc9aelHCJMZqnJBo", &mut seen), a);
        assert_ne!(alnum9("call_2", &mut seen), a);
        assert_eq!(alnum9("gSIMJiOkT", &mut seen), "gSIMJiOkT");
    }
}
