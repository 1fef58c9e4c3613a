//! Cohere v2 chat (`POST /v2/chat`), streaming or not.
//!
//! Encoding decisions a caller should know:
//! - `system` and `developer` messages become `system` messages *in place*: Cohere v2 accepts
//!   them anywhere in the conversation. Empty or whitespace-only instructions are dropped.
//! - User and assistant messages with no text (and nothing else) are dropped; Cohere rejects
//!   empty turns. A user message with images is sent as parts (`text` / `image_url`).
//!   Audio and file parts have no Cohere equivalent and fail to encode.
//! - An assistant message with tool calls *and* text sends the text as `tool_plan` (Cohere's
//!   place for what the model meant to do before calling) and no `content`.
//!   `tool_calls: []` means no calls. Previous reasoning (`reasoning_content`) is not sent back.
//! - `tool_choice`: `none` -> `NONE`, `required` -> `REQUIRED`, `auto` -> omitted. Cohere has no
//!   named choice, so a named function is sent as `REQUIRED` with the tool list filtered to that
//!   one function. `tool_choice` "is only compatible with Command-r7b and newer models": on
//!   models whose quirks say `tool_choice = false`, `none` is sent as no tools at all and a
//!   required or named choice fails to encode as `unsupported`. `parallel_tool_calls` has no
//!   equivalent and is ignored.
//! - Any tool with `strict: true` turns on `strict_tools` for the whole request.
//! - `response_format`: `json_object` -> `{"type":"json_object"}`; `json_schema` ->
//!   `{"type":"json_object","json_schema": <schema>}` (name and `strict` have no place).
//! - `top_p` -> `p`; `stop` -> `stop_sequences`; `max_tokens` / `max_completion_tokens` ->
//!   `max_tokens`; `frequency_penalty` and `presence_penalty` pass through. Other unknown
//!   OpenAI fields are not forwarded (Cohere rejects unknown fields); `user` is dropped.
//!
//! Decoding decisions:
//! - `message.tool_plan` and `thinking` content parts go to `reasoning_content`: they are the
//!   model's plan or thoughts, not its answer.
//! - Cohere does not echo the model, so `model` is empty.
//! - `finish_reason`: `COMPLETE` / `STOP_SEQUENCE` -> stop, `MAX_TOKENS` / `ERROR_LIMIT` ->
//!   length, `TOOL_CALL` -> tool_calls, `ERROR_TOXIC` / `CONTENT_BLOCKED` -> content_filter,
//!   `ERROR` -> an error (`server_error`, with the event's `error` text), `TIMEOUT` -> an error
//!   (`timeout`).
//! - Stream events, per Cohere's streaming reference: `message-start` (id), `content-start` /
//!   `content-delta` (text or thinking), `tool-plan-delta` (reasoning), `tool-call-start` /
//!   `-delta` / `-end`, `message-end` (finish reason and usage, the end of the stream); an error
//!   payload (`{"message": "..."}`) or an `error` event mid-stream is an error. `content-end`,
//!   `citation-start` / `citation-end` and `debug` carry nothing canonical and are skipped.
//! - Usage counts come from `usage.tokens` (what the model saw, cache reads included), falling
//!   back to `usage.billed_units`; `usage.cached_tokens` is the cached part.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::classify::{ErrorFields, build_error, non_json_error};
use super::cohere_event::CohereEvent;
use super::cohere_response;
use super::json_build::object;
use super::parse::arguments_string;
use super::wire_de::share;
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEventRef, StreamDecoder, WireFamily};
use crate::api::{
    ChatCompletion, ChatCompletionChunk, ChatRequest, Content, ContentPart, Delta, ErrorKind, FinishReason, Message,
    ProviderError, ResponseFormat, ResponseMessage, Role, ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode, Usage,
    normalize_arguments, normalize_response,
};

pub struct CohereAdapter;

impl Adapter for CohereAdapter {
    fn family(&self) -> WireFamily {
        WireFamily::Cohere
    }

    fn encode(&self, req: &ChatRequest, spec: &ProviderSpec, key: Option<&str>) -> Result<NativeRequest, EncodeError> {
        super::capabilities::check_vision(req, spec)?;
        super::capabilities::check_text_only_tool_results(req, spec)?;
        let stream = req.is_stream();
        let mut body = Map::new();
        body.insert("model".into(), json!(req.model));
        let mut messages = Vec::with_capacity(req.messages.len());
        for m in &req.messages {
            if let Some(v) = encode_message(m).map_err(|e| EncodeError::new(spec, e))? {
                messages.push(v);
            }
        }
        body.insert("messages".into(), Value::Array(messages));
        let notes = encode_tools(req, spec, &mut body)?;
        match &req.response_format {
            None | Some(ResponseFormat::Text) => {}
            Some(ResponseFormat::JsonObject) => {
                body.insert("response_format".into(), json!({"type": "json_object"}));
            }
            Some(f @ ResponseFormat::JsonSchema { .. }) => {
                let mut rf = json!({"type": "json_object"});
                if let Some(schema) = f.schema() {
                    rf["json_schema"] = schema.clone();
                }
                body.insert("response_format".into(), rf);
            }
        }
        if let Some(n) = req.output_cap().or(spec.quirks.default_max_tokens) {
            body.insert("max_tokens".into(), json!(n));
        }
        let stops = req.stop_sequences();
        if !stops.is_empty() {
            body.insert("stop_sequences".into(), json!(stops));
        }
        if let Some(t) = req.temperature {
            body.insert("temperature".into(), json!(t));
        }
        if let Some(p) = req.top_p {
            body.insert("p".into(), json!(p));
        }
        if let Some(s) = req.seed {
            body.insert("seed".into(), json!(s));
        }
        for name in ["frequency_penalty", "presence_penalty"] {
            if let Some(v @ Value::Number(_)) = req.extra.get(name) {
                body.insert(name.into(), v.clone());
            }
        }
        body.insert("stream".into(), json!(stream));

        let template = if stream { spec.stream_path.as_deref().or(spec.path.as_deref()) } else { spec.path.as_deref() };
        let url = spec.url(template.unwrap_or("/chat"), &req.model);
        let mut native = NativeRequest::for_provider(spec, url, Value::Object(body), key)?;
        native.hints.stream = stream;
        native.notes = notes;
        if stream {
            native.header("accept", "text/event-stream");
        }
        Ok(native)
    }

    fn decode(&self, body: &[u8], _hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
        let raw = cohere_response::read(body)?;
        let m = raw.message.unwrap_or_default();
        let mut message = ResponseMessage::assistant();
        let mut text = String::new();
        let mut thinking = String::new();
        for part in m.content.unwrap_or_default() {
            match part.kind.as_deref() {
                Some("thinking") => thinking.push_str(part.thinking.as_deref().unwrap_or_default()),
                _ => text.push_str(part.text.as_deref().unwrap_or_default()),
            }
        }
        message.content = Some(text);
        let plan = m.tool_plan.unwrap_or_default();
        message.reasoning_content = Some(match (thinking.is_empty(), plan.is_empty()) {
            (false, false) => format!("{thinking}\n{plan}"),
            (true, _) => plan,
            (false, true) => thinking,
        });
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
        let finish = finish_reason(raw.finish_reason.as_deref(), None)?;
        let mut resp = ChatCompletion::single(
            raw.id.unwrap_or_default(),
            "",
            0,
            message,
            finish,
            raw.usage.map(WireUsage::into_usage),
        );
        normalize_response(&mut resp);
        Ok(resp)
    }

    fn stream_decoder(&self, _hints: &ResponseHints) -> Box<dyn StreamDecoder> {
        Box::new(CohereStream::default())
    }

    fn classify_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => build_error(Some(status), headers, error_fields(&v)),
            Err(_) => non_json_error(status, headers, body),
        }
    }
}

/// One canonical message to Cohere's shape; `None` when it carries nothing Cohere would accept.
fn encode_message(m: &Message) -> Result<Option<Value>, String> {
    match m.role {
        Role::System | Role::Developer => {
            let text = m.text();
            Ok((!text.trim().is_empty()).then(|| object([("role", "system".into()), ("content", text.into())])))
        }
        Role::User => {
            Ok(encode_user_content(m.content.as_ref())?.map(|c| object([("role", "user".into()), ("content", c)])))
        }
        Role::Assistant => {
            let text = m.text();
            let has_text = !text.trim().is_empty();
            let calls = m.calls();
            if calls.is_empty() {
                return Ok(has_text.then(|| object([("role", "assistant".into()), ("content", text.into())])));
            }
            let tool_calls: Vec<Value> = calls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.function.name, "arguments": normalize_arguments(&c.function.arguments)},
                    })
                })
                .collect();
            let mut out = object([("role", "assistant".into()), ("tool_calls", Value::Array(tool_calls))]);
            if has_text {
                out["tool_plan"] = text.into();
            }
            Ok(Some(out))
        }
        Role::Tool => Ok(Some(json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.text(),
        }))),
    }
}

/// A user message's content: a string, or parts when it has images; `None` when empty.
fn encode_user_content(content: Option<&Content>) -> Result<Option<Value>, String> {
    let parts = match content {
        None => return Ok(None),
        Some(Content::Text(s)) => return Ok((!s.trim().is_empty()).then(|| json!(s))),
        Some(Content::Parts(parts)) => parts,
    };
    let mut out = Vec::new();
    let mut has_image = false;
    for p in parts {
        match p {
            ContentPart::Text { text, .. } => {
                if !text.trim().is_empty() {
                    out.push(json!({"type": "text", "text": text}));
                }
            }
            ContentPart::ImageUrl { image_url, .. } => {
                has_image = true;
                let mut img = json!({"url": image_url.url});
                if let Some(d) = &image_url.detail {
                    img["detail"] = json!(d);
                }
                out.push(json!({"type": "image_url", "image_url": img}));
            }
            ContentPart::InputAudio { .. } => return Err("cohere chat does not accept audio input".into()),
            ContentPart::File { .. } => return Err("cohere chat does not accept file parts".into()),
            ContentPart::Refusal { refusal } => {
                if !refusal.trim().is_empty() {
                    out.push(json!({"type": "text", "text": refusal}));
                }
            }
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    if has_image {
        return Ok(Some(Value::Array(out)));
    }
    let texts: Vec<&str> = out.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect();
    Ok(Some(json!(texts.join("\n"))))
}

/// `tools`, `strict_tools` and `tool_choice`. Cohere has no named choice: the named function
/// is the only tool offered and a call is required. On models without `tool_choice` (quirk
/// `tool_choice = false`), `none` is honoured by offering no tools (with a note), and a required
/// or named choice, which cannot be honoured, is refused as `unsupported`.
fn encode_tools(
    req: &ChatRequest,
    spec: &ProviderSpec,
    body: &mut Map<String, Value>,
) -> Result<Vec<String>, EncodeError> {
    let tools = req.tools.as_deref().unwrap_or_default();
    let named = req.tool_choice.as_ref().and_then(ToolChoice::named);
    let selected: Vec<_> = tools.iter().filter(|t| named.is_none_or(|n| t.function.name == n)).collect();
    if let Some(n) = named
        && selected.is_empty()
    {
        return Err(EncodeError::new(
            spec,
            format!("tool_choice names function `{n}`, which is not among the request's tools"),
        ));
    }
    if selected.is_empty() {
        return Ok(Vec::new());
    }
    let choice = match &req.tool_choice {
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => Some("NONE"),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) | Some(ToolChoice::Named(_)) => Some("REQUIRED"),
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) | None => None,
    };
    let mut notes = Vec::new();
    if choice.is_some() && !spec.quirks_for(&req.model).tool_choice {
        if choice == Some("NONE") {
            notes.push(format!(
                "tools left out for tool_choice none: {} does not accept tool_choice (Command R7B and newer do)",
                req.model
            ));
            return Ok(notes);
        }
        return Err(EncodeError::unsupported(
            spec,
            format!(
                "{} does not accept tool_choice, so a tool call cannot be required (Command R7B and newer models can)",
                req.model
            ),
        ));
    }
    let wire: Vec<Value> = selected
        .iter()
        .map(|t| {
            let mut f =
                object([("name", t.function.name.as_str().into()), ("parameters", t.function.parameters_or_empty())]);
            if let Some(d) = &t.function.description {
                f["description"] = json!(d);
            }
            object([("type", "function".into()), ("function", f)])
        })
        .collect();
    body.insert("tools".into(), Value::Array(wire));
    if selected.iter().any(|t| t.function.strict == Some(true)) {
        body.insert("strict_tools".into(), json!(true));
    }
    if let Some(c) = choice {
        body.insert("tool_choice".into(), json!(c));
    }
    Ok(notes)
}

/// Maps Cohere's finish reasons (<https://docs.cohere.com/reference/chat>); `ERROR` means the
/// generation failed and `TIMEOUT` that it ran out of time, both errors. `detail` is the error
/// text an event may carry with them.
fn finish_reason(raw: Option<&str>, detail: Option<&str>) -> Result<FinishReason, ProviderError> {
    let failed = |kind: ErrorKind, reason: &str| {
        let mut message = format!("cohere stopped the generation with finish_reason {reason}");
        if let Some(d) = detail.filter(|d| !d.is_empty()) {
            message.push_str(": ");
            message.extend(d.chars().take(300));
        }
        let mut e = ProviderError::new(kind, message);
        e.provider_code = Some(reason.to_string());
        e
    };
    Ok(match raw.unwrap_or("COMPLETE").to_ascii_uppercase().as_str() {
        "MAX_TOKENS" | "ERROR_LIMIT" => FinishReason::Length,
        "TOOL_CALL" => FinishReason::ToolCalls,
        "ERROR_TOXIC" | "CONTENT_BLOCKED" => FinishReason::ContentFilter,
        "ERROR" => return Err(failed(ErrorKind::ServerError, "ERROR")),
        "TIMEOUT" => return Err(failed(ErrorKind::Timeout, "TIMEOUT")),
        _ => FinishReason::Stop,
    })
}

/// Cohere errors carry only a message (sometimes next to a request id); the status decides.
pub(super) fn error_fields(v: &Value) -> ErrorFields {
    let message = match v.get("message").or_else(|| v.get("error")) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("message").and_then(Value::as_str).map(str::to_string),
        Some(Value::Null) | None => match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        },
        Some(other) => Some(other.to_string()),
    };
    ErrorFields { message, ..Default::default() }
}

/// An error sent where a response or stream event was expected: `{"message": "..."}` (a
/// string, where a response has a `message` object) or an `error` event.
pub(super) fn error_payload(v: &Value) -> Option<ProviderError> {
    let is_error = v.get("message").is_some_and(Value::is_string)
        || v.get("type").and_then(Value::as_str) == Some("error")
        || v.get("error").is_some_and(|e| !e.is_null());
    is_error.then(|| build_error(None, &HeaderMap::new(), error_fields(v)))
}

/// A token count; Cohere's schema declares them as numbers, so floats are accepted too.
fn count(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64().or_else(|| v.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f.round() as u64))
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireResponse {
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) message: Option<WireMessage>,
    #[serde(default)]
    pub(super) finish_reason: Option<String>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireMessage {
    #[serde(default)]
    pub(super) content: Option<Vec<WirePart>>,
    #[serde(default)]
    pub(super) tool_plan: Option<String>,
    #[serde(default)]
    pub(super) tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WirePart {
    #[serde(rename = "type", default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) thinking: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireToolCall {
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) function: Option<WireFunction>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireFunction {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) arguments: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireUsage {
    #[serde(default)]
    pub(super) billed_units: Option<Counts>,
    #[serde(default)]
    pub(super) tokens: Option<Counts>,
    #[serde(default)]
    pub(super) cached_tokens: Option<Value>,
}

/// The two counts read from `billed_units` or `tokens`. Read as a `Map<String, Value>` reads
/// the object (any object, every member parsed, the last of a repeated key kept, the same
/// complaint for anything else), without keeping the members no count comes from.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct Counts {
    pub(super) input_tokens: Option<Value>,
    pub(super) output_tokens: Option<Value>,
}

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CountsVisitor;
        impl<'de> serde::de::Visitor<'de> for CountsVisitor {
            type Value = Counts;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                // As `Map` says it.
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Counts, A::Error> {
                let mut counts = Counts::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value = map.next_value::<Value>()?;
                    match key.as_ref() {
                        "input_tokens" => counts.input_tokens = Some(value),
                        "output_tokens" => counts.output_tokens = Some(value),
                        _ => {}
                    }
                }
                Ok(counts)
            }
        }
        d.deserialize_map(CountsVisitor)
    }
}

impl Counts {
    fn get(&self, key: &str) -> Option<&Value> {
        match key {
            "input_tokens" => self.input_tokens.as_ref(),
            "output_tokens" => self.output_tokens.as_ref(),
            _ => None,
        }
    }
}

impl WireUsage {
    pub(super) fn into_usage(self) -> Usage {
        let pick = |key: &str| {
            count(self.tokens.as_ref().and_then(|t| t.get(key)))
                .or_else(|| count(self.billed_units.as_ref().and_then(|b| b.get(key))))
                .unwrap_or(0)
        };
        Usage::new(pick("input_tokens"), pick("output_tokens"), count(self.cached_tokens.as_ref()).unwrap_or(0), 0)
    }
}

/// Stream decoder: named events whose payload `type` is authoritative, ending at `message-end`.
#[derive(Default)]
struct CohereStream {
    id: Arc<str>,
    /// Always empty (Cohere does not echo the model), shared by every chunk.
    model: Arc<str>,
    done: bool,
    /// Cohere's tool-call index to ours (calls numbered in order of arrival).
    calls: HashMap<u32, u32>,
    next_call: u32,
    current_call: Option<u32>,
    saw_thinking: bool,
    saw_plan: bool,
}

impl CohereStream {
    fn chunk(&self, delta: Delta, finish: Option<FinishReason>) -> ChatCompletionChunk {
        ChatCompletionChunk::delta(self.id.clone(), self.model.clone(), 0, delta, finish)
    }

    /// Our index for a call Cohere numbers `index`; a new one when it is not known yet.
    fn call_index(&mut self, index: Option<u32>, start: bool) -> u32 {
        if let Some(i) = index
            && let Some(ours) = self.calls.get(&i)
            && !start
        {
            return *ours;
        }
        if !start
            && index.is_none()
            && let Some(c) = self.current_call
        {
            return c;
        }
        let ours = self.next_call;
        self.next_call = self.next_call.saturating_add(1);
        if let Some(i) = index {
            self.calls.insert(i, ours);
        }
        self.current_call = Some(ours);
        ours
    }
}

impl StreamDecoder for CohereStream {
    fn event(&mut self, ev: &SseEventRef<'_>, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let e = CohereEvent::parse(data, ev.event.as_deref())?;
        match e.kind.as_ref() {
            "message-start" => {
                if let Some(id) = e.id {
                    share(&mut self.id, &id);
                }
                out.push(self.chunk(Delta { role: Some("assistant".into()), ..Default::default() }, None));
            }
            "content-start" | "content-delta" => {
                let text = e.text.filter(|s| !s.is_empty());
                let thinking = e.thinking.filter(|s| !s.is_empty());
                self.saw_thinking |= thinking.is_some();
                if text.is_some() || thinking.is_some() {
                    let d = Delta {
                        content: text.map(Cow::into_owned),
                        reasoning_content: thinking.map(Cow::into_owned),
                        ..Default::default()
                    };
                    out.push(self.chunk(d, None));
                }
            }
            "tool-plan-delta" => {
                if let Some(plan) = e.tool_plan.filter(|s| !s.is_empty()) {
                    let mut plan = plan.into_owned();
                    // As in `decode`: thinking, then the plan on its own line.
                    if self.saw_thinking && !self.saw_plan {
                        plan.insert(0, '\n');
                    }
                    self.saw_plan = true;
                    out.push(self.chunk(Delta { reasoning_content: Some(plan), ..Default::default() }, None));
                }
            }
            "tool-call-start" => {
                let call = e.tool_calls.unwrap_or(Value::Null);
                let call = match &call {
                    Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                };
                let f = call.get("function");
                let id = call.get("id").and_then(Value::as_str).unwrap_or_default();
                let name = f.and_then(|f| f.get("name")).and_then(Value::as_str).unwrap_or_default();
                let args = arguments_string(f.and_then(|f| f.get("arguments")));
                let index = self.call_index(e.index, true);
                let d = Delta { tool_calls: vec![ToolCallDelta::start(index, id, name, args)], ..Default::default() };
                out.push(self.chunk(d, None));
            }
            "tool-call-delta" => {
                let args = e
                    .tool_calls
                    .as_ref()
                    .and_then(|c| c.get("function"))
                    .map(|f| arguments_string(f.get("arguments")))
                    .unwrap_or_default();
                if !args.is_empty() {
                    let index = self.call_index(e.index, false);
                    let d = Delta { tool_calls: vec![ToolCallDelta::arguments(index, args)], ..Default::default() };
                    out.push(self.chunk(d, None));
                }
            }
            "tool-call-end" => self.current_call = None,
            "message-end" => {
                let finish = finish_reason(e.finish_reason.as_deref(), e.error.as_deref())?;
                out.push(self.chunk(Delta::default(), Some(finish)));
                if let Some(u) = e.usage {
                    out.push(ChatCompletionChunk::usage(self.id.clone(), self.model.clone(), 0, u.into_usage()));
                }
                self.done = true;
            }
            // content-end, citation-start/end (citations are not part of the canonical message),
            // debug (the rendered prompt, with `prompt`) and future event types carry nothing we
            // report.
            _ => {}
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons() {
        let f = |r: &str| finish_reason(Some(r), None);
        assert_eq!(f("COMPLETE").unwrap(), FinishReason::Stop);
        assert_eq!(f("STOP_SEQUENCE").unwrap(), FinishReason::Stop);
        assert_eq!(f("MAX_TOKENS").unwrap(), FinishReason::Length);
        assert_eq!(f("ERROR_LIMIT").unwrap(), FinishReason::Length);
        assert_eq!(f("TOOL_CALL").unwrap(), FinishReason::ToolCalls);
        assert_eq!(f("ERROR_TOXIC").unwrap(), FinishReason::ContentFilter);
        assert_eq!(f("content_blocked").unwrap(), FinishReason::ContentFilter);
        assert_eq!(f("ERROR").unwrap_err().kind, ErrorKind::ServerError);
        assert_eq!(f("TIMEOUT").unwrap_err().kind, ErrorKind::Timeout);
        let e = finish_reason(Some("ERROR"), Some("internal failure")).unwrap_err();
        assert!(e.message.contains("internal failure"), "{e}");
    }

    #[test]
    fn counts_read_what_a_map_reads() {
        for text in [
            r#"{"input_tokens": 3, "output_tokens": 4.5}"#,
            r#"{"output_tokens": 1, "search_units": {"a": [1, null]}, "output_tokens": 2}"#,
            "{}",
            "[1, 2]",
            "null",
            r#""x""#,
            r#"{"input_tokens": 1e999}"#,
        ] {
            let map = serde_json::from_str::<Map<String, Value>>(text);
            let counts = serde_json::from_str::<Counts>(text);
            match (map, counts) {
                (Ok(m), Ok(c)) => {
                    for key in ["input_tokens", "output_tokens", "other"] {
                        assert_eq!(m.get(key).filter(|_| key != "other"), c.get(key), "{text} {key}");
                    }
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                (a, b) => panic!("{text}: {a:?} vs {b:?}"),
            }
        }
    }

    #[test]
    fn counts_accept_floats() {
        assert_eq!(count(Some(&json!(12))), Some(12));
        assert_eq!(count(Some(&json!(12.0))), Some(12));
        assert_eq!(count(Some(&json!(-1.0))), None);
        assert_eq!(count(Some(&json!("x"))), None);
    }
}
