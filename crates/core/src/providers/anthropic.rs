//! Anthropic Messages (`POST /v1/messages`), streaming or not.
//!
//! Encoding decisions a caller should know:
//! - Leading instruction messages (every `system` and `developer` message before the first
//!   other message) become the top-level `system`, one text block per message (text parts of a
//!   message are joined by newlines). Instructions with no text contribute nothing, and `system`
//!   is omitted when nothing is left.
//! - Instruction messages *later* in the conversation are deliberately not hoisted into `system`:
//!   that would make them apply from the first turn instead of from where they were said. They
//!   are sent in place as a user-turn text block `<system>\n...\n</system>`, merged with any
//!   adjacent user content.
//! - Empty and whitespace-only text (string content or text parts) is dropped, since the API
//!   rejects empty text blocks; a message left with no blocks is dropped. Consecutive messages of
//!   one role are merged into one (blocks concatenated), since the API wants turns to alternate.
//!   A request left with no message at all fails to encode.
//! - Assistant `tool_calls` become `tool_use` blocks with the parsed arguments as `input`
//!   (`""` and `null` are `{}`; anything that is not a JSON object fails to encode, naming the
//!   message). `tool_calls: []` means no calls. Tool-call ids keep `[A-Za-z0-9_-]` and have any
//!   other character replaced by `_` (the API's id pattern), identically on the call and on its
//!   result, so the pair still matches.
//! - `tool` messages become `tool_result` blocks in a user turn; the results of parallel calls
//!   share one turn, and tool results always come before any text in their turn (the API
//!   requires it). An empty result is sent without `content`.
//! - Images: `data:` URLs are sent as base64 sources, other URLs as URL sources (the API fetches
//!   them), in user turns and inside tool results. A `data:` URL file part with
//!   `application/pdf` becomes a `document` block. Audio, other files, and images in assistant or
//!   system messages fail to encode; images for a model whose quirks say no `vision` are refused
//!   as `unsupported`.
//! - Prompt caching: a content part's `prompt_cache_breakpoint` puts `cache_control` on the block
//!   it became (see `anthropic_cache.rs`).
//! - Thinking: an assistant turn's tool calls may carry the turn's signed thinking blocks
//!   (`extra_content.anthropic.thinking_blocks`, as decoded); they open the turn, before its
//!   text and `tool_use` blocks (see `anthropic_thinking.rs`).
//! - `tool_choice` (only sent when there are tools): `auto` -> `auto`, `required` -> `any`,
//!   a named function -> `tool`, `none` -> `none`. `parallel_tool_calls: false` adds
//!   `disable_parallel_tool_use: true` (with `auto` when no choice was given).
//! - `response_format` `json_schema`, on a model whose catalog quirks say `output_format`, is
//!   sent as structured output (`output_config.format`, every object closed with
//!   `additionalProperties: false`) and the answer is the text, unless the schema uses what
//!   structured outputs cannot enforce (open objects, numeric and length constraints, `$ref`).
//!   Otherwise `json_schema` / `json_object` adds a tool named `json` (the schema as its
//!   input schema, `{"type":"object"}` for `json_object`) and forces it, overriding the caller's
//!   `tool_choice`. Decoding turns that call back into the message content with finish reason
//!   `stop` (see [`ResponseHints::json_tool`]); any text around it is dropped, as it would make
//!   the content unparsable. A caller tool already named `json` conflicts and fails to encode.
//!   In such a stream, text is held back until the finish and sent only if the `json` tool was
//!   never called, so the stream reassembles to what the non-streaming call gives.
//! - `max_tokens` is required by the API: the caller's cap, else the provider's
//!   `default_max_tokens`, else 4096.
//! - `stop` -> `stop_sequences` (whitespace-only sequences dropped: the API rejects them);
//!   `temperature` and `top_p` pass as given (Anthropic's temperature range is 0..1; a larger
//!   value is the API's to reject, not ours to clamp), except that on models whose quirks say
//!   `exclusive_sampling` only `temperature` is sent when both are given, with a note on the
//!   request; `user` -> `metadata.user_id`.
//! - Dropped for want of an equivalent: `seed`, message `name`, assistant `reasoning_content`
//!   without signed thinking blocks (they cannot be replayed without their signature) and
//!   `refusal`. Of the request
//!   fields outside the canonical set, only Anthropic's own `top_k`, `thinking` and
//!   `service_tier` pass through (the API rejects unknown fields); `n` above 1 fails to encode.
//! - A final assistant message (a prefill) has trailing whitespace trimmed: the API rejects it.
//!
//! Decoding decisions:
//! - `text` blocks concatenate into `content`, `thinking` blocks into `reasoning_content`,
//!   `tool_use` blocks are tool calls. Tools Anthropic runs itself (`server_tool_use` for web
//!   search, web fetch, code execution and tool search; `mcp_tool_use`) and their results
//!   (`web_search_tool_result`, `mcp_tool_result`, ...) are not calls for the caller: they are
//!   left out in both modes (their streamed input included), and the text around them is the
//!   content. Thinking and `redacted_thinking` blocks, signed, go on the turn's first tool call
//!   for the next request (whole and streamed alike). A text block's web-search citations become
//!   `annotations` over that block's span of the content (see `anthropic_citations.rs`; not in
//!   JSON-tool mode, where the text is dropped). Block types this adapter does not know are
//!   ignored.
//! - `stop_reason`: `end_turn` / `stop_sequence` / `pause_turn` -> stop, `max_tokens` and
//!   `model_context_window_exceeded` -> length,
//!   `tool_use` -> tool_calls, `refusal` -> content_filter.
//! - Usage: prompt tokens are `input_tokens` plus cache reads and cache writes (Anthropic counts
//!   them apart); cache reads are the cached part, cache writes are reported as
//!   `cache_write_tokens`. Streams report cumulative counts in `message_delta`, combined with
//!   what `message_start` said.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::classify::{ErrorFields, build_error, non_json_error};
use super::json_build::object;
use super::json_cursor::JsonCursor;
use super::parse::{parse_event, parse_json};
use super::wire_de::{opt_str, share};
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEventRef, StreamDecoder, WireFamily};
use super::{anthropic_cache, anthropic_citations, anthropic_thinking};
use crate::api::{
    ChatCompletion, ChatCompletionChunk, ChatRequest, Content, ContentPart, Delta, FinishReason, ImageUrl, Message,
    ProviderError, ResponseFormat, ResponseMessage, Role, ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode, Usage,
    anthropic_thinking, normalize_response,
};

/// The tool added to obtain JSON output.
const JSON_TOOL: &str = "json";

/// Output cap when neither the caller nor the catalog gives one: the API requires a value.
const FALLBACK_MAX_TOKENS: u32 = 4096;

/// Anthropic-native request fields accepted from the canonical request's extra fields.
const NATIVE_PASSTHROUGH: &[&str] = &["top_k", "thinking", "service_tier"];

pub struct AnthropicAdapter;

impl Adapter for AnthropicAdapter {
    fn family(&self) -> WireFamily {
        WireFamily::Anthropic
    }

    fn encode(&self, req: &ChatRequest, spec: &ProviderSpec, key: Option<&str>) -> Result<NativeRequest, EncodeError> {
        let err = |m: String| EncodeError::new(spec, m);
        if let Some(n) = req.extra.get("n").and_then(Value::as_u64)
            && n > 1
        {
            return Err(err(format!("n = {n} is not supported: the messages api returns one choice")));
        }
        let q = spec.quirks_for(&req.model);
        super::capabilities::check_vision(req, spec)?;

        let (system, turns) = encode_messages(&req.messages).map_err(err)?;
        if turns.is_empty() {
            return Err(err("no message with content is left; the messages api needs at least one".into()));
        }

        let mut body = Map::new();
        body.insert("model".into(), json!(req.model));
        if !system.is_empty() {
            body.insert("system".into(), Value::Array(system));
        }
        body.insert(
            "messages".into(),
            Value::Array(
                turns
                    .into_iter()
                    .map(|t| object([("role", t.role.into()), ("content", Value::Array(t.blocks))]))
                    .collect(),
            ),
        );
        let max_tokens = req.output_cap().or(q.default_max_tokens).unwrap_or(FALLBACK_MAX_TOKENS);
        body.insert("max_tokens".into(), json!(max_tokens));

        let output = JsonOutput::choose(req, q);
        encode_tools(req, &output, &mut body).map_err(err)?;
        if let JsonOutput::Native(schema) = &output {
            let format = object([("type", "json_schema".into()), ("schema", schema.clone())]);
            body.insert("output_config".into(), object([("format", format)]));
        }
        let stops: Vec<String> = req.stop_sequences().into_iter().filter(|s| !s.trim().is_empty()).collect();
        if !stops.is_empty() {
            body.insert("stop_sequences".into(), json!(stops));
        }
        let mut notes = encode_sampling(req, q, &mut body);
        if let Some(u) = &req.user {
            body.insert("metadata".into(), json!({"user_id": u}));
        }
        for k in NATIVE_PASSTHROUGH {
            if let Some(v) = req.extra.get(*k) {
                body.insert((*k).into(), v.clone());
            }
        }
        notes.extend(anthropic_cache::settle(&mut body, q.cache_system_prompt));
        let stream = req.is_stream();
        if stream {
            body.insert("stream".into(), json!(true));
        }

        let template = if stream { spec.stream_path.as_deref().or(spec.path.as_deref()) } else { spec.path.as_deref() };
        let url = spec.url(template.unwrap_or("/messages"), &req.model);
        let mut native = NativeRequest::for_provider(spec, url, Value::Object(body), key)?;
        native.hints.stream = stream;
        native.notes = notes;
        if matches!(output, JsonOutput::Tool) {
            native.hints.json_tool = Some(JSON_TOOL.into());
        }
        if stream {
            native.header("accept", "text/event-stream");
        }
        Ok(native)
    }

    fn decode(&self, body: &[u8], hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
        let raw = match std::str::from_utf8(body).ok().and_then(WireMessage::read) {
            Some(raw) => raw,
            None => parse_json(body, "anthropic message")?,
        };
        if raw.kind.as_deref() == Some("error") || raw.error.is_some() {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            return Err(error_from_value(None, &HeaderMap::new(), &v));
        }
        let blocks = raw
            .content
            .ok_or_else(|| ProviderError::malformed("failed to decode anthropic message: `content` is missing"))?;
        let json_tool = hints.json_tool.as_deref();
        let mut text = String::new();
        let mut text_chars = 0u64;
        let mut reasoning = String::new();
        let mut thinking = Vec::new();
        let mut annotations = Vec::new();
        let mut calls = Vec::new();
        let mut json_content: Option<String> = None;
        for b in blocks {
            match b.kind.as_deref() {
                Some("text") => {
                    let t = b.text.as_deref().unwrap_or_default();
                    let start = text_chars;
                    text_chars += t.chars().count() as u64;
                    text.push_str(t);
                    let cited = b.citations.as_deref().unwrap_or_default();
                    let room = anthropic_citations::MAX_PER_MESSAGE.saturating_sub(annotations.len());
                    annotations
                        .extend(anthropic_citations::url_citations(cited, start, text_chars).into_iter().take(room));
                }
                Some("thinking") => {
                    let t = b.thinking.as_deref().unwrap_or_default();
                    reasoning.push_str(t);
                    thinking.push(anthropic_thinking::thinking_block(t, b.signature.as_deref().unwrap_or_default()));
                }
                Some("redacted_thinking") => {
                    thinking.push(anthropic_thinking::redacted_block(b.data.as_deref().unwrap_or_default()));
                }
                Some("tool_use") => {
                    let name = b.name.map(Cow::into_owned).unwrap_or_default();
                    let input = input_string(b.input.as_ref());
                    if json_tool == Some(name.as_str()) && json_content.is_none() {
                        json_content = Some(if input.is_empty() { "{}".into() } else { input });
                    } else {
                        calls.push(ToolCall::new(b.id.unwrap_or_default(), name, input));
                    }
                }
                _ => {}
            }
        }
        let mut message = ResponseMessage::assistant();
        let mut finish = stop_reason(raw.stop_reason.as_deref());
        if let Some(j) = json_content {
            message.content = Some(j);
            if finish == FinishReason::ToolCalls {
                finish = FinishReason::Stop;
            }
        } else {
            message.content = Some(text);
            message.annotations = (!annotations.is_empty()).then_some(annotations);
        }
        message.reasoning_content = Some(reasoning);
        anthropic_thinking::attach(&mut calls, thinking);
        message.tool_calls = (!calls.is_empty()).then_some(calls);
        let usage = raw.usage.map(|u| u.into_usage());
        let mut resp = ChatCompletion::single(
            raw.id.unwrap_or_default(),
            raw.model.unwrap_or_default(),
            0,
            message,
            finish,
            usage,
        );
        normalize_response(&mut resp);
        Ok(resp)
    }

    fn stream_decoder(&self, hints: &ResponseHints) -> Box<dyn StreamDecoder> {
        Box::new(AnthropicStream { json_tool: hints.json_tool.clone(), ..Default::default() })
    }

    fn classify_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => error_from_value(Some(status), headers, &v),
            Err(_) => non_json_error(status, headers, body),
        }
    }
}

/// How JSON output is obtained, when the caller asked for it.
enum JsonOutput {
    None,
    /// A forced tool named [`JSON_TOOL`] whose input is the answer.
    Tool,
    /// Structured outputs (`output_config.format`) with this schema: the answer is the text.
    Native(Value),
}

impl JsonOutput {
    /// Native structured output where the model has it and the schema is one it can enforce;
    /// the forced tool otherwise (JSON mode without a schema, older models, schemas with
    /// features structured outputs refuse), so no request is refused for its schema.
    fn choose(req: &ChatRequest, q: &super::Quirks) -> JsonOutput {
        match &req.response_format {
            Some(ResponseFormat::JsonSchema { json_schema }) if q.output_format => {
                match json_schema.schema.as_ref().and_then(structured_output_schema) {
                    Some(schema) => JsonOutput::Native(schema),
                    None => JsonOutput::Tool,
                }
            }
            Some(ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. }) => JsonOutput::Tool,
            Some(ResponseFormat::Text) | None => JsonOutput::None,
        }
    }
}

/// Keywords structured outputs reject: numeric, length and count constraints and references
/// (which may be recursive). See
/// <https://docs.claude.com/en/docs/build-with-claude/structured-outputs#json-schema-limitations>.
const UNSUPPORTED_SCHEMA_KEYWORDS: &[&str] = &[
    "$ref",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "minProperties",
    "maxProperties",
    "patternProperties",
    "if",
    "then",
    "else",
    "not",
];

/// Deepest schema nesting checked; anything deeper goes the forced-tool way.
const MAX_SCHEMA_DEPTH: usize = 32;

/// The schema as structured outputs take it (every object closed with `additionalProperties:
/// false`), or `None` when it says something they cannot enforce: an object that allows other
/// properties, or an unsupported keyword.
fn structured_output_schema(schema: &Value) -> Option<Value> {
    let mut out = schema.clone();
    close_objects(&mut out, 0).then_some(out)
}

fn close_objects(node: &mut Value, depth: usize) -> bool {
    if depth > MAX_SCHEMA_DEPTH {
        return false;
    }
    let Value::Object(m) = node else { return true };
    if UNSUPPORTED_SCHEMA_KEYWORDS.iter().any(|k| m.contains_key(*k))
        || m.get("minItems").and_then(Value::as_u64).is_some_and(|n| n > 1)
    {
        return false;
    }
    let is_object = m.get("type").and_then(Value::as_str) == Some("object") || m.contains_key("properties");
    if is_object {
        match m.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            Some(_) => return false,
        }
    }
    m.iter_mut().all(|(k, v)| match (k.as_str(), v) {
        ("properties" | "$defs" | "definitions", Value::Object(props)) => {
            props.values_mut().all(|p| close_objects(p, depth + 1))
        }
        ("items", item) => close_objects(item, depth + 1),
        ("anyOf" | "allOf" | "oneOf" | "prefixItems", Value::Array(vs)) => {
            vs.iter_mut().all(|v| close_objects(v, depth + 1))
        }
        _ => true,
    })
}

/// `tools` and `tool_choice`, with the JSON-output tool added and forced when that is how JSON
/// output is obtained.
fn encode_tools(req: &ChatRequest, output: &JsonOutput, body: &mut Map<String, Value>) -> Result<(), String> {
    let mut tools: Vec<Value> = req
        .tools
        .iter()
        .flatten()
        .map(|t| {
            let mut tool = Map::new();
            tool.insert("name".into(), json!(t.function.name));
            if let Some(d) = &t.function.description {
                tool.insert("description".into(), json!(d));
            }
            tool.insert("input_schema".into(), t.function.parameters_or_empty());
            Value::Object(tool)
        })
        .collect();
    let json_tool = matches!(output, JsonOutput::Tool);
    if json_tool {
        if req.tools.iter().flatten().any(|t| t.function.name == JSON_TOOL) {
            return Err(format!(
                "a caller tool is named `{JSON_TOOL}`, the name reserved for response_format json output"
            ));
        }
        let rf = req.response_format.as_ref();
        let description = match rf {
            Some(ResponseFormat::JsonSchema { json_schema }) => json_schema.description.clone(),
            _ => None,
        }
        .unwrap_or_else(|| "Respond with a JSON object.".into());
        let schema = rf.and_then(ResponseFormat::schema).cloned().unwrap_or_else(|| json!({"type": "object"}));
        tools.push(object([("name", JSON_TOOL.into()), ("description", description.into()), ("input_schema", schema)]));
    }
    if tools.is_empty() {
        return Ok(());
    }
    body.insert("tools".into(), Value::Array(tools));
    let mut choice = if json_tool {
        Some(json!({"type": "tool", "name": JSON_TOOL}))
    } else {
        match &req.tool_choice {
            None => None,
            Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => Some(json!({"type": "auto"})),
            Some(ToolChoice::Mode(ToolChoiceMode::Required)) => Some(json!({"type": "any"})),
            Some(ToolChoice::Mode(ToolChoiceMode::None)) => Some(json!({"type": "none"})),
            Some(ToolChoice::Named(n)) => Some(json!({"type": "tool", "name": n.function.name})),
        }
    };
    if req.parallel_tool_calls == Some(false) {
        let c = choice.get_or_insert_with(|| json!({"type": "auto"}));
        // `none` takes no options: no calls means no parallel calls either.
        if c.get("type").and_then(Value::as_str) != Some("none")
            && let Value::Object(m) = c
        {
            m.insert("disable_parallel_tool_use".into(), json!(true));
        }
    }
    if let Some(c) = choice {
        body.insert("tool_choice".into(), c);
    }
    Ok(())
}

/// `temperature` and `top_p`; where the model takes only one, temperature (the more widely
/// understood of the two), and a note that `top_p` was dropped.
fn encode_sampling(req: &ChatRequest, q: &super::Quirks, body: &mut Map<String, Value>) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        if q.exclusive_sampling && req.temperature.is_some() {
            notes.push(format!(
                "left out `top_p` ({p}): {} takes `temperature` or `top_p`, not both; `temperature` was sent",
                req.model
            ));
        } else {
            body.insert("top_p".into(), json!(p));
        }
    }
    notes
}

/// One native turn being built.
struct Turn {
    role: &'static str,
    blocks: Vec<Value>,
}

/// Appends blocks as `role`, merging into the previous turn when it has the same role.
fn push_blocks(turns: &mut Vec<Turn>, role: &'static str, blocks: Vec<Value>) {
    if blocks.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some(t) if t.role == role => t.blocks.extend(blocks),
        _ => turns.push(Turn { role, blocks }),
    }
}

/// The top-level system blocks and the alternating turns.
fn encode_messages(messages: &[Message]) -> Result<(Vec<Value>, Vec<Turn>), String> {
    let leading = messages.iter().take_while(|m| m.role.is_instruction()).count();
    let mut system = Vec::new();
    for (i, m) in messages.iter().enumerate().take(leading) {
        system.extend(instruction_block(m, i, false)?);
    }
    let mut turns: Vec<Turn> = Vec::new();
    for (i, m) in messages.iter().enumerate().skip(leading) {
        match m.role {
            Role::System | Role::Developer => {
                push_blocks(&mut turns, "user", instruction_block(m, i, true)?.into_iter().collect());
            }
            Role::User => push_blocks(&mut turns, "user", user_blocks(m.content.as_ref(), i)?),
            Role::Assistant => push_blocks(&mut turns, "assistant", assistant_blocks(m, i)?),
            Role::Tool => push_blocks(&mut turns, "user", vec![tool_result_block(m, i)?]),
        }
    }
    for t in &mut turns {
        if t.role == "user" {
            // Stable: results keep their order, and so does the text after them.
            t.blocks.sort_by_key(|b| b.get("type").and_then(Value::as_str) != Some("tool_result"));
        }
    }
    if let Some(last) = turns.last_mut()
        && last.role == "assistant"
    {
        trim_prefill(last);
        if last.blocks.is_empty() {
            turns.pop();
        }
    }
    Ok((system, turns))
}

/// An instruction as one text block, `None` when it has no text; `in_place` wraps it in
/// `<system>` tags for a user turn. A cache breakpoint on any of its parts marks the block.
fn instruction_block(m: &Message, i: usize, in_place: bool) -> Result<Option<Value>, String> {
    let Some(text) = instruction_text(m, i)? else { return Ok(None) };
    let mut block = if in_place { text_block(&format!("<system>\n{text}\n</system>")) } else { text_block(&text) };
    if m.content.as_ref().is_some_and(Content::has_cache_breakpoint) {
        anthropic_cache::mark(&mut block);
    }
    Ok(Some(block))
}

/// A tool message as a `tool_result` block: text joined into a string, anything else (images)
/// as blocks. A cache breakpoint on any part marks the result block as a whole.
fn tool_result_block(m: &Message, i: usize) -> Result<Value, String> {
    let id = m
        .tool_call_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("message {i}: tool message has no tool_call_id"))?;
    let mut result = Map::new();
    result.insert("type".into(), json!("tool_result"));
    result.insert("tool_use_id".into(), json!(wire_id(id)));
    let mut content = user_blocks(m.content.as_ref(), i)?;
    if content.iter().all(|b| b.get("type").and_then(Value::as_str) == Some("text")) {
        let text: Vec<&str> = content.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect();
        if !text.is_empty() {
            result.insert("content".into(), json!(text.join("\n")));
        }
    } else {
        for b in content.iter_mut().filter_map(Value::as_object_mut) {
            b.remove("cache_control");
        }
        result.insert("content".into(), Value::Array(content));
    }
    let mut block = Value::Object(result);
    if m.content.as_ref().is_some_and(Content::has_cache_breakpoint) {
        anthropic_cache::mark(&mut block);
    }
    Ok(block)
}

/// Trims trailing whitespace off a final assistant turn's last text block.
fn trim_prefill(turn: &mut Turn) {
    if let Some(Value::Object(b)) = turn.blocks.last_mut()
        && b.get("type").and_then(Value::as_str) == Some("text")
        && let Some(Value::String(s)) = b.get_mut("text")
    {
        let trimmed = s.trim_end().to_string();
        if trimmed.is_empty() {
            turn.blocks.pop();
        } else {
            *s = trimmed;
        }
    }
}

fn text_block(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

/// Adds a text block unless the text is blank: the API rejects empty text blocks.
fn push_text(out: &mut Vec<Value>, text: &str) {
    if !text.trim().is_empty() {
        out.push(text_block(text));
    }
}

/// The text of a system or developer message, `None` when it has none.
fn instruction_text(m: &Message, i: usize) -> Result<Option<String>, String> {
    let texts: Vec<&str> = match &m.content {
        None => Vec::new(),
        Some(Content::Text(s)) => vec![s.as_str()],
        Some(Content::Parts(parts)) => {
            let mut texts = Vec::new();
            for p in parts {
                match p {
                    ContentPart::Text { text, .. } => texts.push(text.as_str()),
                    other => {
                        return Err(format!(
                            "message {i}: {} messages can only contain text, got {}",
                            m.role.as_str(),
                            part_kind(other)
                        ));
                    }
                }
            }
            texts
        }
    };
    let texts: Vec<&str> = texts.into_iter().filter(|t| !t.trim().is_empty()).collect();
    Ok((!texts.is_empty()).then(|| texts.join("\n")))
}

fn part_kind(p: &ContentPart) -> &'static str {
    match p {
        ContentPart::Text { .. } => "a text part",
        ContentPart::ImageUrl { .. } => "an image part",
        ContentPart::InputAudio { .. } => "an audio part",
        ContentPart::File { .. } => "a file part",
        ContentPart::Refusal { .. } => "a refusal part",
    }
}

/// Blocks of user (or tool result) content: text, images and PDF documents.
fn user_blocks(content: Option<&Content>, i: usize) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    match content {
        None => {}
        Some(Content::Text(s)) => push_text(&mut out, s),
        Some(Content::Parts(parts)) => {
            for p in parts {
                let before = out.len();
                match p {
                    ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text } => {
                        push_text(&mut out, text)
                    }
                    ContentPart::ImageUrl { image_url, .. } => out.push(image_block(image_url, i)?),
                    ContentPart::File { file } => out.push(document_block(file, i)?),
                    ContentPart::InputAudio { .. } => {
                        return Err(format!("message {i}: audio input is not supported by the messages api"));
                    }
                }
                if p.is_cache_breakpoint()
                    && out.len() > before
                    && let Some(block) = out.last_mut()
                {
                    anthropic_cache::mark(block);
                }
            }
        }
    }
    Ok(out)
}

fn image_block(image: &ImageUrl, i: usize) -> Result<Value, String> {
    if let Some((media_type, data)) = image.as_data() {
        return Ok(json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}));
    }
    let lower = image.url.get(..8).unwrap_or(&image.url).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(json!({"type": "image", "source": {"type": "url", "url": image.url}}));
    }
    Err(format!("message {i}: image url must be an http(s) url or a base64 data url"))
}

/// A PDF given as a `data:` URL in `file.file_data`; the only file form the API takes inline.
fn document_block(file: &Value, i: usize) -> Result<Value, String> {
    let data_url = file.get("file_data").and_then(Value::as_str).unwrap_or_default();
    let as_url = ImageUrl { url: data_url.to_string(), detail: None };
    match as_url.as_data() {
        Some((media_type @ "application/pdf", data)) => {
            Ok(json!({"type": "document", "source": {"type": "base64", "media_type": media_type, "data": data}}))
        }
        _ => Err(format!("message {i}: only pdf files given as a base64 data url in file_data are supported")),
    }
}

/// An assistant turn: its thinking blocks first (as the API wants them back before the
/// `tool_use` they led to), then text, then the tool calls.
fn assistant_blocks(m: &Message, i: usize) -> Result<Vec<Value>, String> {
    let mut out = anthropic_thinking::blocks_of(m);
    match &m.content {
        None => {}
        Some(Content::Text(s)) => push_text(&mut out, s),
        Some(Content::Parts(parts)) => {
            for p in parts {
                match p {
                    ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text } => {
                        push_text(&mut out, text)
                    }
                    other => {
                        return Err(format!(
                            "message {i}: assistant messages can only contain text, got {}",
                            part_kind(other)
                        ));
                    }
                }
            }
        }
    }
    for call in m.calls() {
        let name = &call.function.name;
        if call.id.is_empty() {
            return Err(format!("message {i}: tool call `{name}` has an empty id"));
        }
        let input = tool_input(&call.function.arguments)
            .map_err(|e| format!("message {i}: arguments of tool call `{name}` {e}"))?;
        out.push(object([
            ("type", "tool_use".into()),
            ("id", wire_id(&call.id).into()),
            ("name", name.as_str().into()),
            ("input", input),
        ]));
    }
    Ok(out)
}

/// Arguments string to the `input` object; empty and `null` are no arguments.
fn tool_input(args: &str) -> Result<Value, String> {
    let t = args.trim();
    if t.is_empty() || t == "null" {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(t) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(format!("are not a json object: {other}")),
        Err(e) => Err(format!("are not valid json: {e}")),
    }
}

/// A tool-call id in the API's alphabet: other characters become `_`.
fn wire_id(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

/// Whether a content block is a tool use that Anthropic runs itself (`server_tool_use`,
/// `mcp_tool_use`, and whatever `*_tool_use` comes next); only `tool_use` is the caller's.
/// See <https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool#streaming>.
fn is_server_tool(kind: &str) -> bool {
    kind != "tool_use" && kind.ends_with("tool_use")
}

/// Tool input as the arguments string; null and absent are empty (normalised to `{}` later).
fn input_string(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    }
}

fn stop_reason(raw: Option<&str>) -> FinishReason {
    match raw.unwrap_or("end_turn") {
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

/// Extracts `{"type":"error","error":{"type":...,"message":...}}` (and bare `{"error":...}` or
/// a string from proxies in front of the API).
fn error_from_value(status: Option<u16>, headers: &HeaderMap, v: &Value) -> ProviderError {
    let obj = v.get("error").unwrap_or(v);
    let mut fields = ErrorFields::default();
    match obj {
        Value::String(s) => fields.message = Some(s.clone()),
        Value::Object(o) => {
            for key in ["type", "code"] {
                if let Some(Value::String(s)) = o.get(key)
                    && !s.is_empty()
                    && s != "error"
                {
                    fields.codes.push(s.clone());
                }
            }
            fields.message =
                o.get("message").and_then(|m| m.as_str().map(str::to_string).or_else(|| Some(m.to_string())));
        }
        _ => {}
    }
    build_error(status, headers, fields)
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireMessage<'a> {
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    pub(super) kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) model: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) content: Option<Vec<WireBlock<'a>>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) stop_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
    #[serde(default)]
    pub(super) error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireBlock<'a> {
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    pub(super) kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) text: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) thinking: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) name: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) input: Option<Value>,
    /// A thinking block's signature, which must go back with it.
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) signature: Option<Cow<'a, str>>,
    /// A redacted thinking block's opaque content.
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) data: Option<Cow<'a, str>>,
    /// The sources a text block cites (web search results, documents).
    #[serde(default)]
    pub(super) citations: Option<Vec<Value>>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WireUsage {
    #[serde(default)]
    pub(super) input_tokens: Option<u64>,
    #[serde(default)]
    pub(super) output_tokens: Option<u64>,
    #[serde(default)]
    pub(super) cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub(super) cache_creation_input_tokens: Option<u64>,
}

impl WireUsage {
    fn into_usage(self) -> Usage {
        usage(
            self.input_tokens.unwrap_or(0),
            self.output_tokens.unwrap_or(0),
            self.cache_read_input_tokens.unwrap_or(0),
            self.cache_creation_input_tokens.unwrap_or(0),
        )
    }
}

/// Canonical usage from Anthropic's counts, where input excludes cache reads and writes.
fn usage(input: u64, output: u64, cache_read: u64, cache_write: u64) -> Usage {
    // Counts come from the wire: `Usage::new` caps them; the sum must not overflow first.
    let prompt = input.saturating_add(cache_read).saturating_add(cache_write);
    let mut u = Usage::new(prompt, output, cache_read, 0);
    if cache_write > 0 {
        u.prompt_tokens_details.get_or_insert_with(Default::default).cache_write_tokens = Some(Usage::cap(cache_write));
    }
    u
}

/// One stream event. The fields only some event types carry are boxed: the struct is built and
/// moved for every event, most of them small deltas.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireEvent<'a> {
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    message: Option<Box<WireMessage<'a>>>,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, borrow)]
    content_block: Option<Box<WireBlock<'a>>>,
    #[serde(default, borrow)]
    delta: Option<WireDelta<'a>>,
    #[serde(default)]
    usage: Option<Box<WireUsage>>,
    #[serde(default)]
    error: Option<Box<Value>>,
}

impl<'a> WireEvent<'a> {
    /// The usual delta, `{"type":"content_block_delta","index":N,"delta":{"type":T,K:"…"}}`
    /// with `K` one of the delta's text fields, read without a general parse; what a JSON
    /// parser would make of the same bytes, or `None` when they are not of that shape (see
    /// `json_cursor.rs`).
    fn content_delta(data: &'a str) -> Option<Self> {
        let mut c = JsonCursor::new(data);
        c.lit(r#"{"type":"content_block_delta","index":"#)?;
        let index = c.uint()?;
        c.lit(r#","delta":{"type":""#)?;
        let kind = c.string()?;
        c.lit(r#",""#)?;
        let key = c.string()?;
        c.lit(r#":""#)?;
        let value = Some(c.string()?);
        c.lit("}}")?;
        c.end()?;
        let mut delta = WireDelta { kind: Some(kind), ..Default::default() };
        match key.as_ref() {
            "text" => delta.text = value,
            "partial_json" => delta.partial_json = value,
            "thinking" => delta.thinking = value,
            "signature" => delta.signature = value,
            _ => return None,
        }
        Some(WireEvent {
            kind: Some(Cow::Borrowed("content_block_delta")),
            message: None,
            index: Some(index),
            content_block: None,
            delta: Some(delta),
            usage: None,
            error: None,
        })
    }
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireDelta<'a> {
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    partial_json: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    thinking: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    signature: Option<Cow<'a, str>>,
    /// One more source for the current text block (`citations_delta`).
    #[serde(default)]
    citation: Option<Box<Value>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    stop_reason: Option<Cow<'a, str>>,
}

/// Most citations kept per streamed text block, as for a whole message.
const MAX_STREAMED_CITATIONS: usize = 64;

/// What a started content block is, for the deltas that follow it.
enum Block {
    /// A tool call: its canonical index, whether argument text arrived, and the input the start
    /// event carried (sent if no delta follows).
    Tool {
        call: u32,
        got_args: bool,
        start_input: String,
    },
    /// The JSON-output tool: its input is the message content.
    Json {
        got_args: bool,
        start_input: String,
    },
    /// A tool Anthropic runs itself (`server_tool_use`: web search, web fetch, code execution,
    /// tool search; `mcp_tool_use`): its input streams like a tool call's, but it is not a call
    /// for the caller to make, so its pieces are dropped, as `decode` drops the block.
    Server,
    /// A text block: where its text starts in the content, and the sources it cites so far.
    Text {
        start: u64,
        citations: Vec<Value>,
    },
    /// A thinking block being streamed: its text and signature, kept to send back with a call.
    Thinking {
        text: String,
        signature: String,
    },
    Other,
}

/// Stream decoder: `message_start`, content blocks, `message_delta`, `message_stop`.
#[derive(Default)]
struct AnthropicStream {
    json_tool: Option<String>,
    id: Arc<str>,
    model: Arc<str>,
    blocks: HashMap<u64, Block>,
    next_call: u32,
    saw_json: bool,
    /// Text seen while JSON output was expected, see [`AnthropicStream::text`].
    held_text: String,
    /// Characters of content sent so far, where the next text block's citations start.
    content_chars: u64,
    /// The turn's finished thinking blocks, which go out with its first tool call.
    thinking: Vec<Value>,
    /// Citations sent so far, against the per-message cap.
    annotations_sent: usize,
    /// Counts from `message_start`: input, output, cache reads, cache writes.
    start_usage: WireUsage,
    finished: bool,
    stopped: bool,
}

impl AnthropicStream {
    fn delta(&self, delta: Delta, finish: Option<FinishReason>) -> ChatCompletionChunk {
        ChatCompletionChunk::delta(self.id.clone(), self.model.clone(), 0, delta, finish)
    }

    /// Text is held back while JSON output is expected: if the JSON tool is called, the text is
    /// dropped (as `decode` does); if not, it is released before the finish.
    fn text(&mut self, t: Cow<'_, str>, out: &mut Vec<ChatCompletionChunk>) {
        if self.json_tool.is_some() {
            if !self.saw_json {
                self.held_text.push_str(&t);
            }
        } else {
            self.content_chars += t.chars().count() as u64;
            out.push(self.delta(Delta { content: Some(t.into_owned()), ..Default::default() }, None));
        }
    }

    fn release_text(&mut self, out: &mut Vec<ChatCompletionChunk>) {
        let held = std::mem::take(&mut self.held_text);
        if !held.is_empty() && !self.saw_json {
            out.push(self.delta(Delta { content: Some(held), ..Default::default() }, None));
        }
    }

    fn block_start(&mut self, index: u64, b: WireBlock<'_>, out: &mut Vec<ChatCompletionChunk>) {
        let block = match b.kind.as_deref() {
            Some("text") => {
                let start = self.content_chars;
                if let Some(t) = b.text.filter(|t| !t.is_empty()) {
                    self.text(t, out);
                }
                let mut citations = b.citations.unwrap_or_default();
                citations.truncate(MAX_STREAMED_CITATIONS);
                Block::Text { start, citations }
            }
            Some("thinking") => {
                let text = b.thinking.map(Cow::into_owned).unwrap_or_default();
                if !text.is_empty() {
                    out.push(self.delta(Delta { reasoning_content: Some(text.clone()), ..Default::default() }, None));
                }
                Block::Thinking { text, signature: b.signature.map(Cow::into_owned).unwrap_or_default() }
            }
            Some("redacted_thinking") => {
                if self.thinking.len() < anthropic_thinking::MAX_BLOCKS {
                    self.thinking.push(anthropic_thinking::redacted_block(b.data.as_deref().unwrap_or_default()));
                }
                Block::Other
            }
            Some(kind) if is_server_tool(kind) => Block::Server,
            Some("tool_use") => {
                let name = b.name.map(Cow::into_owned).unwrap_or_default();
                // `{}` is the usual placeholder before `input_json_delta` pieces; anything else
                // the start carried is kept as sent (a non-object is the provider's to answer for).
                let start_input = match &b.input {
                    Some(Value::Object(m)) if m.is_empty() => String::new(),
                    other => input_string(other.as_ref()),
                };
                if self.json_tool.as_deref() == Some(name.as_str()) && !self.saw_json {
                    self.saw_json = true;
                    Block::Json { got_args: false, start_input }
                } else {
                    let call = self.next_call;
                    self.next_call = self.next_call.saturating_add(1);
                    let mut piece = ToolCallDelta::start(call, b.id.unwrap_or_default(), name, "");
                    if call == 0 && !self.thinking.is_empty() {
                        piece.extra_content = Some(anthropic_thinking(std::mem::take(&mut self.thinking)));
                    }
                    out.push(self.delta(Delta { tool_calls: vec![piece], ..Default::default() }, None));
                    Block::Tool { call, got_args: false, start_input }
                }
            }
            _ => Block::Other,
        };
        self.blocks.insert(index, block);
    }

    fn block_delta(
        &mut self,
        index: Option<u64>,
        d: WireDelta<'_>,
        out: &mut Vec<ChatCompletionChunk>,
    ) -> Result<(), ProviderError> {
        match d.kind.as_deref() {
            Some("text_delta") => {
                if let Some(t) = d.text.filter(|t| !t.is_empty()) {
                    self.text(t, out);
                }
            }
            Some("thinking_delta") => {
                if let Some(t) = d.thinking.filter(|t| !t.is_empty()) {
                    if let Some(Block::Thinking { text, .. }) = index.and_then(|i| self.blocks.get_mut(&i)) {
                        text.push_str(&t);
                    }
                    out.push(self.delta(Delta { reasoning_content: Some(t.into_owned()), ..Default::default() }, None));
                }
            }
            Some("signature_delta") => {
                if let (Some(Block::Thinking { signature, .. }), Some(sig)) =
                    (index.and_then(|i| self.blocks.get_mut(&i)), d.signature)
                {
                    signature.push_str(&sig);
                }
            }
            Some("citations_delta") => {
                if let (Some(Block::Text { citations, .. }), Some(c)) =
                    (index.and_then(|i| self.blocks.get_mut(&i)), d.citation)
                    && citations.len() < MAX_STREAMED_CITATIONS
                {
                    citations.push(*c);
                }
            }
            Some("input_json_delta") => {
                let Some(piece) = d.partial_json.filter(|p| !p.is_empty()) else { return Ok(()) };
                let block = index.and_then(|i| self.blocks.get_mut(&i));
                let delta = match block {
                    Some(Block::Tool { call, got_args, .. }) => {
                        *got_args = true;
                        Delta { tool_calls: vec![ToolCallDelta::arguments(*call, piece)], ..Default::default() }
                    }
                    Some(Block::Json { got_args, .. }) => {
                        *got_args = true;
                        Delta { content: Some(piece.into_owned()), ..Default::default() }
                    }
                    Some(Block::Server) => return Ok(()),
                    _ => {
                        return Err(ProviderError::malformed(format!(
                            "failed to decode anthropic content_block_delta: input_json_delta for content block {} \
                             that is not a started tool_use block",
                            index.map_or_else(|| "(no index)".to_string(), |i| i.to_string())
                        )));
                    }
                };
                out.push(self.delta(delta, None));
            }
            // Future kinds carry nothing canonical.
            _ => {}
        }
        Ok(())
    }

    /// A tool block whose input came only in its start event gets it sent now; a finished
    /// thinking block is kept for the turn's first call, a finished text block's citations sent.
    fn block_stop(&mut self, index: Option<u64>, out: &mut Vec<ChatCompletionChunk>) {
        let Some(block) = index.and_then(|i| self.blocks.get_mut(&i)) else { return };
        let delta = match block {
            Block::Thinking { text, signature } => {
                let finished = anthropic_thinking::thinking_block(text, signature);
                *block = Block::Other;
                if self.thinking.len() < anthropic_thinking::MAX_BLOCKS {
                    self.thinking.push(finished);
                }
                return;
            }
            Block::Text { start, citations } => {
                let mut annotations = anthropic_citations::url_citations(citations, *start, self.content_chars);
                *block = Block::Other;
                annotations.truncate(anthropic_citations::MAX_PER_MESSAGE.saturating_sub(self.annotations_sent));
                if annotations.is_empty() || self.json_tool.is_some() {
                    return;
                }
                self.annotations_sent += annotations.len();
                Delta { annotations, ..Default::default() }
            }
            Block::Tool { call, got_args: got_args @ false, start_input } if !start_input.is_empty() => {
                *got_args = true;
                Delta { tool_calls: vec![ToolCallDelta::arguments(*call, start_input.clone())], ..Default::default() }
            }
            Block::Json { got_args: got_args @ false, start_input } => {
                *got_args = true;
                let content = if start_input.is_empty() { "{}".to_string() } else { start_input.clone() };
                Delta { content: Some(content), ..Default::default() }
            }
            _ => return,
        };
        out.push(self.delta(delta, None));
    }
}

impl StreamDecoder for AnthropicStream {
    fn event(&mut self, ev: &SseEventRef<'_>, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data.is_empty() {
            return Ok(());
        }
        let raw = match WireEvent::content_delta(data) {
            Some(raw) => raw,
            None => parse_event(data, "anthropic stream event")?,
        };
        // The payload's own type is authoritative; the SSE name only fills in when it is absent.
        let kind = raw.kind.as_deref().or(ev.event.as_deref()).unwrap_or_default();
        match kind {
            "error" => {
                let v = raw.error.map_or(Value::Null, |e| json!({"error": *e}));
                return Err(error_from_value(None, &HeaderMap::new(), &v));
            }
            "message_start" => {
                let m = raw.message.ok_or_else(|| {
                    ProviderError::malformed("failed to decode anthropic message_start: `message` is missing")
                })?;
                if let Some(id) = m.id.filter(|s| !s.is_empty()) {
                    share(&mut self.id, &id);
                }
                if let Some(model) = m.model.filter(|s| !s.is_empty()) {
                    share(&mut self.model, &model);
                }
                if let Some(u) = m.usage {
                    self.start_usage = u;
                }
                out.push(self.delta(Delta { role: Some("assistant".into()), ..Default::default() }, None));
            }
            "content_block_start" => {
                let index = raw.index.ok_or_else(|| {
                    ProviderError::malformed("failed to decode anthropic content_block_start: `index` is missing")
                })?;
                self.block_start(index, raw.content_block.map(|b| *b).unwrap_or_default(), out);
            }
            "content_block_delta" => self.block_delta(raw.index, raw.delta.unwrap_or_default(), out)?,
            "content_block_stop" => self.block_stop(raw.index, out),
            "message_delta" => {
                self.release_text(out);
                if let Some(reason) = raw.delta.and_then(|d| d.stop_reason) {
                    let mut finish = stop_reason(Some(&reason));
                    if self.saw_json && finish == FinishReason::ToolCalls {
                        finish = FinishReason::Stop;
                    }
                    self.finished = true;
                    out.push(self.delta(Delta::default(), Some(finish)));
                }
                // Cumulative counts: what this event gives replaces what message_start said.
                let s = self.start_usage;
                let d = raw.usage.map(|u| *u).unwrap_or_default();
                let u = usage(
                    d.input_tokens.or(s.input_tokens).unwrap_or(0),
                    d.output_tokens.or(s.output_tokens).unwrap_or(0),
                    d.cache_read_input_tokens.or(s.cache_read_input_tokens).unwrap_or(0),
                    d.cache_creation_input_tokens.or(s.cache_creation_input_tokens).unwrap_or(0),
                );
                out.push(ChatCompletionChunk::usage(self.id.clone(), self.model.clone(), 0, u));
            }
            "message_stop" => {
                self.release_text(out);
                self.stopped = true;
            }
            // ping, and event types added after this adapter was written.
            _ => {}
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.stopped || self.finished
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const DELTA_SHAPES: &[&str] = &[
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"§"}}"#,
        r#"{"type":"content_block_delta","index":12,"delta":{"type":"input_json_delta","partial_json":"§"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"§"}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"§"}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","stop_reason":"§"}}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// The fast read of a delta says what serde_json says of the same bytes, or nothing.
        #[test]
        fn fast_deltas_read_what_serde_reads(data in near::payloads(DELTA_SHAPES)) {
            near::agrees_with_serde::<WireEvent>(&data, WireEvent::content_delta(&data))?;
        }
    }

    #[test]
    fn the_recorded_deltas_take_the_fast_read() {
        for sample in [
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-text.chunks.txt"),
            include_str!("../../../../tests/provider-samples/anthropic/anthropic-json-tool.1.chunks.txt"),
        ] {
            for line in sample.lines().filter(|l| l.contains(r#""type":"content_block_delta""#)) {
                let fast = WireEvent::content_delta(line);
                assert!(fast.is_some(), "{line}");
                assert_eq!(fast, serde_json::from_str(line).ok(), "{line}");
            }
        }
    }

    #[test]
    fn wire_id_keeps_the_api_alphabet() {
        assert_eq!(wire_id("toolu_01AbC-x"), "toolu_01AbC-x");
        assert_eq!(wire_id("functions.get_weather:0"), "functions_get_weather_0");
    }

    #[test]
    fn tool_input_accepts_objects_only() {
        assert_eq!(tool_input("").unwrap(), json!({}));
        assert_eq!(tool_input(" null ").unwrap(), json!({}));
        assert_eq!(tool_input("{\"a\":1}").unwrap(), json!({"a": 1}));
        assert!(tool_input("[1]").unwrap_err().contains("not a json object"));
        assert!(tool_input("{\"a\":").unwrap_err().contains("not valid json"));
    }

    #[test]
    fn usage_counts_cache_reads_and_writes_as_prompt() {
        let u = usage(10, 5, 100, 7);
        assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens()), (117, 5, 100));
        assert_eq!(u.prompt_tokens_details.unwrap().cache_write_tokens, Some(7));
        let u = usage(u64::MAX, u64::MAX, u64::MAX, u64::MAX);
        assert!(u.total_tokens >= u.prompt_tokens);
    }
}
