//! Google Gemini `generateContent` and `streamGenerateContent?alt=sse` (Gemini API; Vertex AI
//! speaks the same body).
//!
//! Encoding rules a caller should know, because Gemini's model of a conversation differs from
//! OpenAI's:
//!
//! - **System prompts.** The leading run of system/developer messages becomes
//!   `system_instruction` (one text part per non-empty message; empty or whitespace-only ones are
//!   skipped). A system/developer message *after* the conversation started is deliberately not
//!   hoisted into `system_instruction` (that would move an instruction back in time); it is sent
//!   where it stands as a user-role text part `<system>\n…\n</system>`.
//! - **Roles and turns.** `assistant` is `model`; `tool` results are user-role `functionResponse`
//!   parts. Consecutive contents of the same role are merged into one, which is also what puts
//!   parallel tool results into the single turn Gemini requires. Empty or whitespace-only text
//!   parts are dropped and a message left with no parts is dropped. A request with nothing left
//!   to send (only system prompts, or only empty messages) is an encode error, since Gemini
//!   rejects empty `contents`.
//! - **Tool calls and results.** Gemini pairs a result with its call by function *name*, so the
//!   name is looked up from the assistant call with the same `tool_call_id`; an unknown id is an
//!   encode error. A result whose text is a JSON object is sent as that object, anything else as
//!   `{"result": text}`. A call's thought signature (carried in the canonical tool call's
//!   `extra_content.google.thought_signature`, as Gemini's OpenAI-compatible endpoint does) goes
//!   back as the part's `thoughtSignature`; a call without one (another provider's history) gets
//!   Google's documented placeholder `skip_thought_signature_validator` on models that require
//!   signatures (Gemini 3). Call ids are sent, on the call and on its response,
//!   only for models whose quirks say `function_call_ids` (Gemini 3); older models pair by name
//!   and responses without ids get deterministic ones from `normalize_response`. Arguments must
//!   be a JSON object (empty and `null` mean `{}`). `reasoning_content` of earlier turns is not
//!   replayed.
//! - **Images.** `data:` URLs are `inlineData`; `http(s)`/`gs` URLs are `fileData` with a MIME
//!   type guessed from the extension (JPEG when unknown), which the API fetches. Audio parts are
//!   `inlineData`. Images for a model without `vision`, and images in tool results (function
//!   responses carry JSON), are refused as `unsupported`.
//! - **Caching** is implicit: `prompt_cache_breakpoint` markers are left out, with a note.
//! - **Schemas.** On models whose quirks say `json_schema_fields` (Gemini 2.5 and 3), tool
//!   parameters go as `parametersJsonSchema` and `json_schema` response formats as
//!   `responseJsonSchema`, full JSON Schema as given (without `$schema`). Otherwise they go
//!   through [`reduce_schema`]: Gemini's `Schema` is an OpenAPI subset that rejects unknown
//!   keywords, so local `$ref`s are inlined (cycles cut to `{"type":"object"}`), `oneOf` becomes
//!   `anyOf`, `const` and `["T","null"]` types are rewritten, non-string enums and unsupported
//!   `format`s are dropped. A function without parameters (or with an empty object schema) has
//!   no parameters key.
//! - **Options.** `tool_choice` maps to `functionCallingConfig.mode` (a named choice is `ANY`
//!   restricted to that function); without tools it is dropped, there being nothing to choose
//!   from. `parallel_tool_calls` has no Gemini equivalent and is ignored;
//!   so are OpenAI-only fields in `extra` (`n`, `logprobs`, `user`, ...).
//!
//! Decoding: `thought: true` text parts are `reasoning_content`; search grounding
//! (`groundingMetadata`) becomes `annotations` (see `gemini_grounding.rs`), at the finish in
//! streams; Gemini reports `STOP` even when
//! it returned calls (normalisation turns that into `tool_calls`). Every blocking finish reason,
//! `MODEL_ARMOR` included, is `content_filter`; `MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL`
//! and a call to a function the request did not declare are `malformed_response` errors (see
//! [`finish_reason`]). Usage: prompt tokens include `toolUsePromptTokenCount`, completion tokens
//! include thoughts, and `totalTokenCount` is kept. Streams have no end marker: the finish reason
//! ends them, and usage (cumulative) is emitted once, after it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use super::classify::{ErrorFields, build_error, non_json_error, parse_google_duration};
use super::gemini_grounding::WireGrounding;
use super::gemini_partial_args::PartialArgs;
use super::json_build::object;
use super::json_cursor::JsonCursor;
use super::parse::{arguments_string, parse_event, parse_json};
use super::wire_de::{FirstOf, opt_str, share};
use super::{Adapter, EncodeError, NativeRequest, ProviderSpec, ResponseHints, SseEventRef, StreamDecoder, WireFamily};
use crate::api::{
    ChatCompletion, ChatCompletionChunk, ChatRequest, Content, ContentPart, Delta, ErrorKind, FinishReason, ImageUrl,
    Message, ProviderError, ResponseFormat, ResponseMessage, Role, StreamAccumulator, ToolCall, ToolCallDelta,
    ToolChoice, ToolChoiceMode, Usage, google_signature, normalize_response,
};

pub struct GeminiAdapter;

impl Adapter for GeminiAdapter {
    fn family(&self) -> WireFamily {
        WireFamily::Gemini
    }

    fn encode(&self, req: &ChatRequest, spec: &ProviderSpec, key: Option<&str>) -> Result<NativeRequest, EncodeError> {
        super::capabilities::check_vision(req, spec)?;
        super::capabilities::check_text_only_tool_results(req, spec)?;
        let body = encode_body(req, spec)?;
        let stream = req.is_stream();
        let template = if stream {
            spec.stream_path.as_deref().unwrap_or("/models/{model}:streamGenerateContent?alt=sse")
        } else {
            spec.path.as_deref().unwrap_or("/models/{model}:generateContent")
        };
        let url = spec.url(template, &req.model);
        let mut native = NativeRequest::for_provider(spec, url, body, key)?;
        native.hints.stream = stream;
        native.hints.declared_tools =
            req.tools.as_ref().map(|tools| tools.iter().map(|t| t.function.name.clone()).collect());
        if stream {
            native.header("accept", "text/event-stream");
        }
        let breakpoints = req.messages.iter().filter(|m| m.content.as_ref().is_some_and(Content::has_cache_breakpoint));
        if breakpoints.count() > 0 {
            native.notes.push(
                "left out the `prompt_cache_breakpoint` markers: gemini caches prompt prefixes on its own (implicit \
                 caching)"
                    .into(),
            );
        }
        Ok(native)
    }

    fn decode(&self, body: &[u8], hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
        // `streamGenerateContent` without `alt=sse` (and some error paths) answer with a list.
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            let items: Vec<WireResponse<'_>> = parse_json(body, "gemini GenerateContentResponse list")?;
            return decode_list(items, hints);
        }
        let raw = match std::str::from_utf8(body).ok().and_then(WireResponse::read) {
            Some(raw) => raw,
            None => parse_json(body, "gemini GenerateContentResponse")?,
        };
        decode_one(raw, hints)
    }

    fn stream_decoder(&self, hints: &ResponseHints) -> Box<dyn StreamDecoder> {
        Box::new(GeminiStream { declared: hints.declared_tools.clone(), ..Default::default() })
    }

    fn classify_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => error_from_value(Some(status), headers, &v),
            Err(_) => non_json_error(status, headers, body),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

fn encode_body(req: &ChatRequest, spec: &ProviderSpec) -> Result<Value, EncodeError> {
    let q = spec.quirks_for(&req.model);
    let mut body = Map::new();
    let leading = req.messages.iter().take_while(|m| m.role.is_instruction()).count();
    let system_parts: Vec<Value> = req.messages[..leading]
        .iter()
        .map(Message::text)
        .filter(|t| !t.trim().is_empty())
        .map(|t| object([("text", Value::String(t))]))
        .collect();
    if !system_parts.is_empty() {
        body.insert("system_instruction".into(), object([("parts", Value::Array(system_parts))]));
    }
    body.insert("contents".into(), encode_contents(req, spec, q, leading)?);
    if let Some(tools) = req.tools.as_ref().filter(|t| !t.is_empty()) {
        body.insert("tools".into(), encode_tools(tools, spec, q)?);
    }
    // A calling config only applies to declared functions; without tools there is nothing to choose.
    if let Some(choice) = req.tool_choice.as_ref().filter(|_| body.contains_key("tools")) {
        let config = match choice {
            ToolChoice::Mode(ToolChoiceMode::Auto) => json!({"mode": "AUTO"}),
            ToolChoice::Mode(ToolChoiceMode::Required) => json!({"mode": "ANY"}),
            ToolChoice::Mode(ToolChoiceMode::None) => json!({"mode": "NONE"}),
            ToolChoice::Named(n) => json!({"mode": "ANY", "allowedFunctionNames": [n.function.name]}),
        };
        body.insert("toolConfig".into(), object([("functionCallingConfig", config)]));
    }
    let config = generation_config(req, q);
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    Ok(Value::Object(body))
}

/// The conversation after the leading instructions, as alternating `user` / `model` contents.
fn encode_contents(
    req: &ChatRequest,
    spec: &ProviderSpec,
    q: &super::Quirks,
    leading: usize,
) -> Result<Value, EncodeError> {
    let mut contents = Contents::default();
    let mut call_names: HashMap<String, String> = HashMap::new();
    for (i, m) in req.messages.iter().enumerate().skip(leading) {
        match m.role {
            Role::System | Role::Developer => {
                let text = m.text();
                if !text.trim().is_empty() {
                    contents.push("user", vec![object([("text", format!("<system>\n{text}\n</system>").into())])]);
                }
            }
            Role::User => contents.push("user", content_parts(spec, i, m.content.as_ref())?),
            Role::Assistant => {
                let mut parts = content_parts(spec, i, m.content.as_ref())?;
                for call in m.calls() {
                    call_names.insert(call.id.clone(), call.function.name.clone());
                    parts.push(function_call_part(spec, q, i, call)?);
                }
                contents.push("model", parts);
            }
            Role::Tool => contents.push("user", vec![function_response_part(spec, q, i, m, &call_names)?]),
        }
    }
    if contents.0.is_empty() {
        return Err(EncodeError::new(
            spec,
            "gemini needs at least one non-empty user or assistant message; every message was a system prompt or empty",
        ));
    }
    Ok(Value::Array(
        contents
            .0
            .into_iter()
            .map(|(role, parts)| object([("role", role.into()), ("parts", Value::Array(parts))]))
            .collect(),
    ))
}

/// A tool result as a `functionResponse` named after its call (and carrying its id where the
/// model pairs by id).
fn function_response_part(
    spec: &ProviderSpec,
    q: &super::Quirks,
    i: usize,
    m: &Message,
    call_names: &HashMap<String, String>,
) -> Result<Value, EncodeError> {
    let id = m
        .tool_call_id
        .as_deref()
        .ok_or_else(|| EncodeError::new(spec, format!("message {i}: tool message has no tool_call_id")))?;
    let name = call_names.get(id).ok_or_else(|| {
        EncodeError::new(
            spec,
            format!(
                "message {i}: tool_call_id {id:?} matches no earlier assistant tool call; gemini pairs results with calls by function name"
            ),
        )
    })?;
    let text = m.text();
    let response = match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(o)) => Value::Object(o),
        _ => json!({"result": text}),
    };
    let mut fr = Map::new();
    if q.function_call_ids {
        fr.insert("id".into(), json!(id));
    }
    fr.insert("name".into(), json!(name));
    fr.insert("response".into(), response);
    Ok(object([("functionResponse", Value::Object(fr))]))
}

/// `tools`: the function declarations, their schemas full or reduced as the model takes them.
fn encode_tools(tools: &[crate::api::Tool], spec: &ProviderSpec, q: &super::Quirks) -> Result<Value, EncodeError> {
    let mut decls = Vec::with_capacity(tools.len());
    for t in tools {
        if t.kind != "function" {
            return Err(EncodeError::new(spec, format!("tool type {:?} is not supported by gemini", t.kind)));
        }
        let mut d = Map::new();
        d.insert("name".into(), Value::String(t.function.name.clone()));
        if let Some(desc) = &t.function.description {
            d.insert("description".into(), Value::String(desc.clone()));
        }
        if let Some(params) = &t.function.parameters {
            if q.json_schema_fields {
                if !is_empty_object_schema(params) {
                    d.insert("parametersJsonSchema".into(), json_schema_field(params));
                }
            } else {
                let reduced = reduce_schema(params);
                if !is_empty_object_schema(&reduced) {
                    d.insert("parameters".into(), reduced);
                }
            }
        }
        decls.push(Value::Object(d));
    }
    Ok(Value::Array(vec![object([("functionDeclarations", Value::Array(decls))])]))
}

/// `generationConfig`: sampling, caps, stops, seed and the response format.
fn generation_config(req: &ChatRequest, q: &super::Quirks) -> Map<String, Value> {
    let mut config = Map::new();
    if let Some(t) = req.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        config.insert("topP".into(), json!(p));
    }
    if let Some(n) = req.output_cap() {
        config.insert("maxOutputTokens".into(), json!(n));
    }
    let stops = req.stop_sequences();
    if !stops.is_empty() {
        config.insert("stopSequences".into(), json!(stops));
    }
    if let Some(s) = req.seed {
        config.insert("seed".into(), json!(s));
    }
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            config.insert("responseMimeType".into(), json!("application/json"));
        }
        Some(f @ ResponseFormat::JsonSchema { .. }) => {
            config.insert("responseMimeType".into(), json!("application/json"));
            // An empty object schema is JSON mode: Gemini rejects an OBJECT without properties.
            if q.json_schema_fields {
                if let Some(schema) = f.schema().filter(|s| !is_empty_object_schema(s)) {
                    config.insert("responseJsonSchema".into(), json_schema_field(schema));
                }
            } else if let Some(schema) = f.schema().map(reduce_schema).filter(|s| !is_empty_object_schema(s)) {
                config.insert("responseSchema".into(), schema);
            }
        }
        Some(ResponseFormat::Text) | None => {}
    }
    config
}

/// Contents under construction: same-role neighbours merge, empty ones never appear.
#[derive(Default)]
struct Contents(Vec<(&'static str, Vec<Value>)>);

impl Contents {
    fn push(&mut self, role: &'static str, parts: Vec<Value>) {
        if parts.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some((r, existing)) if *r == role => existing.extend(parts),
            _ => self.0.push((role, parts)),
        }
    }
}

fn content_parts(spec: &ProviderSpec, i: usize, content: Option<&Content>) -> Result<Vec<Value>, EncodeError> {
    let parts = match content {
        None => return Ok(Vec::new()),
        Some(Content::Text(text)) if text.trim().is_empty() => return Ok(Vec::new()),
        Some(Content::Text(text)) => return Ok(vec![object([("text", text.as_str().into())])]),
        Some(Content::Parts(parts)) => parts,
    };
    let mut out = Vec::new();
    for part in parts {
        match part {
            ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text } => {
                if !text.trim().is_empty() {
                    out.push(object([("text", text.as_str().into())]));
                }
            }
            ContentPart::ImageUrl { image_url, .. } => out.push(image_part(spec, i, image_url)?),
            ContentPart::InputAudio { input_audio } => {
                let data = input_audio.get("data").and_then(Value::as_str);
                let format = input_audio.get("format").and_then(Value::as_str);
                let (Some(data), Some(format)) = (data, format) else {
                    return Err(EncodeError::new(spec, format!("message {i}: input_audio needs `data` and `format`")));
                };
                out.push(json!({"inlineData": {"mimeType": format!("audio/{format}"), "data": data}}));
            }
            ContentPart::File { file } => {
                let url = file.get("file_data").and_then(Value::as_str).unwrap_or_default();
                let img = ImageUrl { url: url.to_string(), detail: None };
                let Some((mime, data)) = img.as_data() else {
                    return Err(EncodeError::new(
                        spec,
                        format!(
                            "message {i}: file parts need inline base64 `file_data`; file ids are not supported by gemini"
                        ),
                    ));
                };
                out.push(json!({"inlineData": {"mimeType": mime, "data": data}}));
            }
        }
    }
    Ok(out)
}

fn image_part(spec: &ProviderSpec, i: usize, image: &ImageUrl) -> Result<Value, EncodeError> {
    if image.url.starts_with("data:") {
        let (mime, data) = image.as_data().ok_or_else(|| {
            EncodeError::new(spec, format!("message {i}: image data URL must be `data:<type>;base64,<data>`"))
        })?;
        return Ok(json!({"inlineData": {"mimeType": mime, "data": data}}));
    }
    let lower = image.url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("gs://")) {
        return Err(EncodeError::new(spec, format!("message {i}: image url must be a data: URL or an http(s) URL")));
    }
    Ok(json!({"fileData": {"mimeType": guess_image_mime(&lower), "fileUri": image.url}}))
}

/// Gemini wants a MIME type with every file reference; the extension is all there is to go on.
fn guess_image_mime(lower_url: &str) -> &'static str {
    let path = lower_url.split(['?', '#']).next().unwrap_or(lower_url);
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("heic") => "image/heic",
        Some("heif") => "image/heif",
        _ => "image/jpeg",
    }
}

/// A `functionCall` part for an assistant tool call: the call's thought signature goes back
/// beside it (Gemini 3 rejects a current-turn call without one), and on models that pair calls
/// and responses by id, the id too. See <https://ai.google.dev/gemini-api/docs/thought-signatures>.
fn function_call_part(spec: &ProviderSpec, q: &super::Quirks, i: usize, call: &ToolCall) -> Result<Value, EncodeError> {
    let mut fc = Map::new();
    if q.function_call_ids && !call.id.is_empty() {
        fc.insert("id".into(), json!(call.id));
    }
    fc.insert("name".into(), json!(call.function.name));
    fc.insert("args".into(), call_arguments(spec, i, call)?);
    let mut part = Map::new();
    part.insert("functionCall".into(), Value::Object(fc));
    match call.thought_signature() {
        Some(sig) => {
            part.insert("thoughtSignature".into(), json!(sig));
        }
        // A call Gemini did not make (another provider's, a hand-written history): the
        // placeholder Google documents for such turns, where the model insists on a signature.
        None if q.thought_signatures_required => {
            part.insert("thoughtSignature".into(), json!(FOREIGN_CALL_SIGNATURE));
        }
        None => {}
    }
    Ok(Value::Object(part))
}

/// The thought signature Google documents for function calls the model did not produce.
/// <https://ai.google.dev/gemini-api/docs/thought-signatures#faqs>
const FOREIGN_CALL_SIGNATURE: &str = "skip_thought_signature_validator";

/// A schema for `parametersJsonSchema` / `responseJsonSchema`, which take JSON Schema as it is
/// except the `$schema` declaration, which the endpoint refuses.
fn json_schema_field(schema: &Value) -> Value {
    let mut out = schema.clone();
    if let Value::Object(m) = &mut out {
        m.remove("$schema");
    }
    out
}

fn call_arguments(spec: &ProviderSpec, i: usize, call: &ToolCall) -> Result<Value, EncodeError> {
    let raw = call.function.arguments.trim();
    if raw.is_empty() || raw == "null" {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(o)) => Ok(Value::Object(o)),
        Ok(_) => Err(EncodeError::new(
            spec,
            format!("message {i}: arguments of tool call {:?} are not a JSON object", call.id),
        )),
        Err(e) => Err(EncodeError::new(
            spec,
            format!("message {i}: arguments of tool call {:?} are not valid JSON: {e}", call.id),
        )),
    }
}

/// An object schema that declares no properties: what "no parameters" looks like after reduction.
fn is_empty_object_schema(schema: &Value) -> bool {
    let Value::Object(o) = schema else { return true };
    let object_type = match o.get("type") {
        None => !o.contains_key("anyOf") && !o.contains_key("items") && !o.contains_key("enum"),
        Some(t) => t == "object",
    };
    object_type && o.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty)
}

// ---------------------------------------------------------------------------------------------
// Schema reduction
// ---------------------------------------------------------------------------------------------

/// How many `$ref`s may be expanded inside one another, and in total, before the rest are cut.
const MAX_REF_DEPTH: usize = 32;
const MAX_REF_EXPANSIONS: usize = 2_000;

/// Reduces a JSON schema to the OpenAPI subset Gemini's `Schema` accepts.
///
/// Gemini rejects a request over any keyword it does not know (`additionalProperties`,
/// `$schema`, ...), so unknown keywords are dropped rather than passed through. Kept: `type`,
/// `format` (only the ones Gemini allows for the type), `title`, `description`, `nullable`,
/// string `enum`, `items`, `properties`, `required` (restricted to declared properties),
/// `minItems`, `maxItems`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`,
/// `minProperties`, `maxProperties`, `anyOf`, `propertyOrdering`. Rewritten: local `$ref`
/// (`#/$defs/X`, `#/definitions/X`) inlined, a reference cycle cut to `{"type":"object"}`;
/// `allOf` merged; `oneOf` as `anyOf`; string `const` as a one-value `enum`; a `null` type or
/// `null` branch of `anyOf` as `nullable: true`; several types as `anyOf`. An object without
/// properties stays `{"type":"object"}` (Gemini rejects empty `properties`).
pub fn reduce_schema(schema: &Value) -> Value {
    let mut r = Reducer { root: schema, stack: Vec::new(), expansions: 0 };
    r.reduce(schema)
}

struct Reducer<'a> {
    root: &'a Value,
    /// Refs being expanded, outermost first: a ref already here is a cycle.
    stack: Vec<String>,
    expansions: usize,
}

/// What a schema node's keywords left to settle once all are read: the order of keywords in
/// the source must not matter, so `anyOf`, `allOf`, `$ref`, several types and nullability are
/// collected first and combined in [`Pending::finish`].
#[derive(Default)]
struct Pending {
    out: Map<String, Value>,
    merge_in: Vec<Value>,
    any_of: Vec<Value>,
    nullable: bool,
    multi_types: Vec<String>,
}

impl Pending {
    /// `type`: a string, or a list whose `null` is nullability and whose other types, if
    /// several, become `anyOf` branches.
    fn types(&mut self, v: &Value) {
        match v {
            Value::String(t) if t == "null" => self.nullable = true,
            Value::String(t) => {
                self.out.insert("type".into(), Value::String(t.clone()));
            }
            Value::Array(ts) => {
                let mut types = Vec::new();
                for t in ts.iter().filter_map(Value::as_str) {
                    if t == "null" {
                        self.nullable = true;
                    } else if !types.iter().any(|x| x == t) {
                        types.push(t.to_string());
                    }
                }
                match types.len() {
                    0 => {}
                    1 => {
                        self.out.insert("type".into(), Value::String(types.remove(0)));
                    }
                    _ => self.multi_types = types,
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Value {
        let mut out = self.out;
        if self.multi_types.len() > 1 && self.any_of.is_empty() {
            self.any_of = self.multi_types.iter().map(|t| json!({"type": t})).collect();
        } else if let Some(first) = self.multi_types.first() {
            out.entry("type").or_insert_with(|| Value::String(first.clone()));
        }
        // A `null` branch is nullability, which Gemini spells as a flag.
        let before = self.any_of.len();
        self.any_of.retain(|v| !is_null_branch(v));
        if self.any_of.len() != before {
            self.nullable = true;
        }
        match self.any_of.len() {
            0 => {}
            1 => self.merge_in.append(&mut self.any_of),
            _ => {
                out.insert("anyOf".into(), Value::Array(self.any_of));
            }
        }
        for m in self.merge_in {
            if let Value::Object(m) = m {
                merge_schema(&mut out, m);
            }
        }
        if self.nullable {
            out.insert("nullable".into(), Value::Bool(true));
        }
        tidy(&mut out);
        Value::Object(out)
    }
}

impl Reducer<'_> {
    fn reduce(&mut self, node: &Value) -> Value {
        let Value::Object(src) = node else {
            // Boolean schemas (`true` = anything) have no Gemini spelling: anything is no constraint.
            return Value::Object(Map::new());
        };
        let mut p = Pending::default();
        for (k, v) in src {
            self.keyword(&mut p, k, v);
        }
        p.finish()
    }

    /// One keyword of a node: kept, rewritten, or dropped.
    fn keyword(&mut self, p: &mut Pending, k: &str, v: &Value) {
        match k {
            "type" => p.types(v),
            "format" | "title" | "description" | "pattern" => {
                if let Value::String(s) = v {
                    p.out.insert(k.to_string(), Value::String(s.clone()));
                }
            }
            "nullable" if v == &Value::Bool(true) => p.nullable = true,
            "enum" => {
                p.out.insert("enum".into(), v.clone());
            }
            "const" => {
                if let Value::String(s) = v {
                    p.out.insert("enum".into(), json!([s]));
                }
            }
            "items" => {
                // A tuple's first item schema stands for all: Gemini has no tuples.
                let item = match v {
                    Value::Array(items) => items.first(),
                    other => Some(other),
                };
                if let Some(item) = item {
                    let reduced = self.reduce(item);
                    p.out.insert("items".into(), reduced);
                }
            }
            "properties" => {
                if let Value::Object(props) = v {
                    let reduced: Map<String, Value> =
                        props.iter().map(|(name, s)| (name.clone(), self.reduce(s))).collect();
                    p.out.insert("properties".into(), Value::Object(reduced));
                }
            }
            "required" | "propertyOrdering" => {
                if let Value::Array(names) = v {
                    let names: Vec<Value> = names.iter().filter(|n| n.is_string()).cloned().collect();
                    p.out.insert(k.to_string(), Value::Array(names));
                }
            }
            "minItems" | "maxItems" | "minimum" | "maximum" | "minLength" | "maxLength" | "minProperties"
            | "maxProperties"
                if v.is_number() =>
            {
                p.out.insert(k.to_string(), v.clone());
            }
            "anyOf" | "oneOf" => {
                if let Value::Array(variants) = v {
                    for variant in variants {
                        let reduced = self.reduce(variant);
                        p.any_of.push(reduced);
                    }
                }
            }
            "allOf" => {
                if let Value::Array(parts) = v {
                    for part in parts {
                        let reduced = self.reduce(part);
                        p.merge_in.push(reduced);
                    }
                }
            }
            "$ref" => {
                if let Value::String(r) = v {
                    let resolved = self.resolve(r);
                    p.merge_in.push(resolved);
                }
            }
            // additionalProperties, $schema, $id, $defs, definitions, strict, examples,
            // default, patternProperties, $comment and every other keyword: not in Gemini's
            // Schema, and an unknown field fails the whole request.
            _ => {}
        }
    }

    fn resolve(&mut self, reference: &str) -> Value {
        let cut = json!({"type": "object"});
        let name = reference
            .strip_prefix("#/$defs/")
            .map(|n| ("$defs", n))
            .or_else(|| reference.strip_prefix("#/definitions/").map(|n| ("definitions", n)));
        let Some((section, name)) = name else {
            // Remote or root refs cannot be resolved here; the node keeps its other keywords.
            return if reference == "#" { cut } else { Value::Object(Map::new()) };
        };
        let name = name.replace("~1", "/").replace("~0", "~");
        let Some(target) = self.root.get(section).and_then(|d| d.get(&name)) else {
            return Value::Object(Map::new());
        };
        if self.stack.iter().any(|r| r == reference)
            || self.stack.len() >= MAX_REF_DEPTH
            || self.expansions >= MAX_REF_EXPANSIONS
        {
            return cut;
        }
        self.expansions += 1;
        self.stack.push(reference.to_string());
        let reduced = self.reduce(target);
        self.stack.pop();
        reduced
    }
}

/// A reduced `{"type": "null"}`: nullable, and nothing else that would constrain a value.
fn is_null_branch(v: &Value) -> bool {
    v.get("nullable") == Some(&Value::Bool(true))
        && ["type", "anyOf", "properties", "items", "enum"].iter().all(|k| v.get(k).is_none())
}

/// Folds `from` into `into`: keys already set win, properties and required lists are unions.
fn merge_schema(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k), v) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                for (name, p) in more {
                    existing.entry(name).or_insert(p);
                }
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                for name in more {
                    if !existing.contains(&name) {
                        existing.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Formats Gemini accepts per type; any other fails the request.
fn format_allowed(ty: Option<&str>, format: &str) -> bool {
    match ty {
        Some("string") => matches!(format, "enum" | "date-time"),
        Some("number") => matches!(format, "float" | "double"),
        Some("integer") => matches!(format, "int32" | "int64"),
        _ => false,
    }
}

/// Last fixes on a reduced node: the constraints Gemini enforces between keywords.
fn tidy(out: &mut Map<String, Value>) {
    if out.contains_key("properties") && !out.contains_key("type") && !out.contains_key("anyOf") {
        out.insert("type".into(), json!("object"));
    }
    if out.contains_key("items") && !out.contains_key("type") && !out.contains_key("anyOf") {
        out.insert("type".into(), json!("array"));
    }
    // Enums are string-only in Gemini, and need the type spelled out; a null member is nullability.
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && values.iter().any(Value::is_null)
    {
        values.retain(|v| !v.is_null());
        out.insert("nullable".into(), Value::Bool(true));
    }
    if let Some(Value::Array(values)) = out.get("enum") {
        let ok =
            !values.is_empty() && values.iter().all(Value::is_string) && out.get("type").is_none_or(|t| t == "string");
        if ok {
            out.entry("type").or_insert_with(|| json!("string"));
        } else {
            out.remove("enum");
        }
    } else {
        out.remove("enum");
    }
    if let Some(Value::String(f)) = out.get("format")
        && !format_allowed(out.get("type").and_then(Value::as_str), f)
    {
        out.remove("format");
    }
    let declared: Vec<String> = match out.get("properties") {
        Some(Value::Object(p)) => p.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if declared.is_empty() {
        out.remove("properties");
        out.remove("required");
        out.remove("propertyOrdering");
    }
    for key in ["required", "propertyOrdering"] {
        if let Some(Value::Array(names)) = out.get_mut(key) {
            names.retain(|n| n.as_str().is_some_and(|n| declared.iter().any(|d| d == n)));
            if names.is_empty() {
                out.remove(key);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

/// Deserializes `null` as the type's default, as Google's JSON sometimes spells "empty".
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WireResponse<'a> {
    /// Only the first candidate is decoded (adapters produce one choice).
    #[serde(default, borrow, deserialize_with = "null_default")]
    pub(super) candidates: FirstOf<WireCandidate<'a>>,
    #[serde(default)]
    pub(super) prompt_feedback: Option<WirePromptFeedback>,
    #[serde(default)]
    pub(super) usage_metadata: Option<WireUsage>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) model_version: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) response_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) create_time: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) error: Option<Value>,
}

impl<'a> WireResponse<'a> {
    /// The usual chunk as Gemini streams it (one candidate with one text part, a thought or
    /// not, its role and index; then `usageMetadata`, `modelVersion` and `responseId`), read
    /// without a general parse: what a JSON parser would make of the same bytes, or `None`
    /// when they are not of that shape (see `json_cursor.rs`).
    fn text_chunk(data: &'a str) -> Option<Self> {
        let mut c = JsonCursor::new(data);
        c.lit(r#"{"candidates":[{"content":{"parts":[{"text":""#)?;
        let text = c.string()?;
        let thought = c.lit(r#","thought":true"#).map(|()| true);
        c.lit(r#"}],"role":""#)?;
        c.string()?;
        c.lit(r#"},"index":"#)?;
        c.uint()?;
        c.lit(r#"}],"usageMetadata":"#)?;
        let usage = WireUsage::read(&mut c)?;
        c.lit(r#","modelVersion":""#)?;
        let model = c.string()?;
        c.lit(r#","responseId":""#)?;
        let id = c.string()?;
        c.lit("}")?;
        c.end()?;
        let part = WirePart { text: Some(text), thought, function_call: None, thought_signature: None };
        let candidate = WireCandidate {
            content: Some(WireContent { parts: vec![part] }),
            finish_reason: None,
            finish_message: None,
            grounding_metadata: None,
        };
        Some(WireResponse {
            candidates: FirstOf(Some(candidate)),
            prompt_feedback: None,
            usage_metadata: Some(usage),
            model_version: Some(model),
            response_id: Some(id),
            create_time: None,
            error: None,
        })
    }
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WireCandidate<'a> {
    #[serde(default, borrow)]
    pub(super) content: Option<WireContent<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) finish_reason: Option<Cow<'a, str>>,
    /// What went wrong, with some finish reasons (the malformed call's text).
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) finish_message: Option<Cow<'a, str>>,
    /// Search grounding: the sources and the spans they support.
    #[serde(default)]
    pub(super) grounding_metadata: Option<WireGrounding>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WireContent<'a> {
    #[serde(default, borrow, deserialize_with = "null_default")]
    pub(super) parts: Vec<WirePart<'a>>,
}

/// One part; `inlineData`, `executableCode` and the like are ignored. A `thoughtSignature`
/// beside a function call goes with the call (it must come back with it in the next turn).
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WirePart<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) text: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) thought: Option<bool>,
    #[serde(default, borrow)]
    pub(super) function_call: Option<WireFunctionCall<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) thought_signature: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WireFunctionCall<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub(super) name: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) args: Option<Value>,
    /// Streamed arguments: `{jsonPath, stringValue|numberValue|boolValue|nullValue}` pieces.
    #[serde(default, deserialize_with = "null_default")]
    pub(super) partial_args: Vec<Map<String, Value>>,
    #[serde(default)]
    pub(super) will_continue: Option<bool>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WirePromptFeedback {
    #[serde(default)]
    pub(super) block_reason: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WireUsage {
    #[serde(default)]
    pub(super) prompt_token_count: Option<u64>,
    #[serde(default)]
    pub(super) candidates_token_count: Option<u64>,
    #[serde(default)]
    pub(super) thoughts_token_count: Option<u64>,
    #[serde(default)]
    pub(super) cached_content_token_count: Option<u64>,
    /// Prompt tokens of tool use (search, URL context, code execution, file search results fed
    /// back to the model): billed as input, reported apart from `promptTokenCount`.
    #[serde(default)]
    pub(super) tool_use_prompt_token_count: Option<u64>,
    #[serde(default)]
    pub(super) total_token_count: Option<u64>,
}

impl WireUsage {
    /// Thinking tokens are billed as output but reported apart: completion includes them. Tool
    /// use prompt tokens are billed as input: prompt includes them, as `totalTokenCount` does
    /// (<https://ai.google.dev/api/generate-content#UsageMetadata>).
    fn to_usage(&self) -> Usage {
        let thoughts = self.thoughts_token_count.unwrap_or(0);
        let prompt = self.prompt_token_count.unwrap_or(0).saturating_add(self.tool_use_prompt_token_count.unwrap_or(0));
        Usage::new(
            prompt,
            self.candidates_token_count.unwrap_or(0).saturating_add(thoughts),
            self.cached_content_token_count.unwrap_or(0),
            thoughts,
        )
        .with_reported_total(self.total_token_count)
    }
}

/// Maps Gemini's finish reasons (<https://ai.google.dev/api/generate-content#FinishReason>).
///
/// Every blocking reason, `MODEL_ARMOR` (Vertex) included, is `content_filter`. A function call
/// the model could not form (`MALFORMED_FUNCTION_CALL`), one to a function the request did not
/// declare or with calling off (`UNEXPECTED_TOOL_CALL`), or too many of them
/// (`TOO_MANY_TOOL_CALLS`) is a `malformed_response` error: there is no call a caller could
/// dispatch, and an empty `stop` would pass for an answer. `MISSING_THOUGHT_SIGNATURE` is the
/// request's fault: `invalid_request`.
fn finish_reason(raw: &str, message: Option<&str>) -> Result<FinishReason, ProviderError> {
    let error = |kind: ErrorKind, what: &str| {
        let detail = message.map(|m| format!(": {}", snippet(m))).unwrap_or_default();
        let mut e = ProviderError::new(kind, format!("gemini stopped with finishReason {raw} ({what}){detail}"));
        e.provider_code = Some(raw.to_string());
        e
    };
    Ok(match raw {
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "LANGUAGE"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION"
        | "IMAGE_OTHER"
        | "MODEL_ARMOR"
        | "JAILBREAK" => FinishReason::ContentFilter,
        "MALFORMED_FUNCTION_CALL" => {
            return Err(error(ErrorKind::MalformedResponse, "the model produced a function call that does not parse"));
        }
        "UNEXPECTED_TOOL_CALL" => {
            return Err(error(ErrorKind::MalformedResponse, "the model called a function the request did not offer"));
        }
        "TOO_MANY_TOOL_CALLS" => {
            return Err(error(ErrorKind::MalformedResponse, "the model made more function calls than allowed"));
        }
        "MISSING_THOUGHT_SIGNATURE" => {
            return Err(error(ErrorKind::InvalidRequest, "a function call in the history lost its thought signature"));
        }
        _ => FinishReason::Stop,
    })
}

/// At most 300 characters of a provider's message, for an error that quotes it.
fn snippet(m: &str) -> String {
    let mut out: String = m.chars().take(300).collect();
    if out.len() < m.len() {
        out.push('…');
    }
    out
}

/// A call to a function the request did not declare: not a call a caller can make.
fn undeclared_call(declared: Option<&[String]>, name: &str) -> Option<ProviderError> {
    let declared = declared?;
    (!declared.iter().any(|d| d == name)).then(|| {
        let mut e = ProviderError::new(
            ErrorKind::MalformedResponse,
            format!("gemini called function `{name}`, which the request did not declare"),
        );
        e.provider_code = Some("UNEXPECTED_TOOL_CALL".into());
        e
    })
}

fn created(create_time: Option<&str>) -> i64 {
    create_time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map_or(0, |d| d.timestamp())
}

fn decode_one(raw: WireResponse<'_>, hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
    if let Some(err) = raw.error {
        return Err(error_from_value(None, &HeaderMap::new(), &err));
    }
    let usage = raw.usage_metadata.as_ref().map(WireUsage::to_usage);
    let mut message = ResponseMessage::assistant();
    let finish = match raw.candidates.0 {
        None => {
            if raw.prompt_feedback.and_then(|f| f.block_reason).is_none() {
                return Err(ProviderError::malformed(
                    "failed to decode gemini GenerateContentResponse: `candidates` is empty and there is no `promptFeedback.blockReason`",
                ));
            }
            FinishReason::ContentFilter
        }
        Some(c) => {
            let mut text = String::new();
            let mut reasoning = String::new();
            let mut calls = Vec::new();
            for p in c.content.map(|c| c.parts).unwrap_or_default() {
                if let Some(t) = p.text {
                    if p.thought == Some(true) { reasoning.push_str(&t) } else { text.push_str(&t) }
                }
                if let Some(fc) = p.function_call {
                    let name = fc.name.map(Cow::into_owned).unwrap_or_default();
                    if let Some(e) = undeclared_call(hints.declared_tools.as_deref(), &name) {
                        return Err(e);
                    }
                    let call = ToolCall::new(fc.id.unwrap_or_default(), name, arguments_string(fc.args.as_ref()));
                    calls.push(call.with_thought_signature(p.thought_signature.map(Cow::into_owned)));
                }
            }
            let annotations = c.grounding_metadata.map(|g| g.annotations(&text)).unwrap_or_default();
            message.annotations = (!annotations.is_empty()).then_some(annotations);
            message.content = Some(text);
            message.reasoning_content = Some(reasoning);
            message.tool_calls = (!calls.is_empty()).then_some(calls);
            match c.finish_reason.as_deref() {
                Some(r) => finish_reason(r, c.finish_message.as_deref())?,
                None => FinishReason::Stop,
            }
        }
    };
    let mut resp = ChatCompletion::single(
        raw.response_id.unwrap_or_default(),
        raw.model_version.unwrap_or_default(),
        created(raw.create_time.as_deref()),
        message,
        finish,
        usage,
    );
    normalize_response(&mut resp);
    Ok(resp)
}

/// A list body is a whole stream at once: reassembled exactly as the SSE stream would be.
fn decode_list(items: Vec<WireResponse<'_>>, hints: &ResponseHints) -> Result<ChatCompletion, ProviderError> {
    let mut stream = GeminiStream { declared: hints.declared_tools.clone(), ..Default::default() };
    let mut chunks = Vec::new();
    for item in items {
        stream.response(item, &mut chunks)?;
    }
    stream.flush(&mut chunks);
    let mut acc = StreamAccumulator::new();
    for c in &chunks {
        acc.push(c)?;
    }
    Ok(acc.finish())
}

/// Extracts Google's error fields: `{"error": {code, message, status, details}}`, also wrapped in
/// a list as Gemini sometimes sends it.
fn error_from_value(status: Option<u16>, headers: &HeaderMap, v: &Value) -> ProviderError {
    let v = match v {
        Value::Array(items) => items.first().unwrap_or(v),
        _ => v,
    };
    let obj = v.get("error").unwrap_or(v);
    let mut fields = ErrorFields::default();
    let mut reasons = Vec::new();
    match obj {
        Value::String(s) => fields.message = Some(s.clone()),
        Value::Object(o) => {
            for d in o.get("details").and_then(Value::as_array).into_iter().flatten() {
                let ty = d.get("@type").and_then(Value::as_str).unwrap_or_default();
                if ty.ends_with("google.rpc.ErrorInfo")
                    && let Some(r) = d.get("reason").and_then(Value::as_str).filter(|r| !r.is_empty())
                {
                    reasons.push(r.to_string());
                }
                if ty.ends_with("google.rpc.RetryInfo") && fields.retry_after.is_none() {
                    fields.retry_after = d.get("retryDelay").and_then(Value::as_str).and_then(parse_google_duration);
                }
            }
            fields.codes.extend(reasons.iter().cloned());
            if let Some(s) = o.get("status").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                fields.codes.push(s.to_string());
            }
            fields.message =
                o.get("message").and_then(|m| m.as_str().map(str::to_string).or_else(|| Some(m.to_string())));
        }
        _ => {}
    }
    let status = status.or_else(|| obj.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()));
    let mut e = build_error(status, headers, fields);
    // Google reports a bad key as a 400 INVALID_ARGUMENT; only the ErrorInfo reason says so.
    if reasons.iter().any(|r| r == "API_KEY_INVALID") {
        e.kind = ErrorKind::Authentication;
    }
    e
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

/// A call whose arguments arrive as `partialArgs` pieces.
struct PendingCall {
    id: String,
    name: String,
    args: PartialArgs,
    signature: Option<String>,
}

/// Stream decoder: every `data:` is a partial `GenerateContentResponse`; the finish reason ends
/// the stream (there is no end marker).
#[derive(Default)]
struct GeminiStream {
    /// The functions the request declared; a call to another is an error.
    declared: Option<Vec<String>>,
    id: Arc<str>,
    model: Arc<str>,
    created: i64,
    role_sent: bool,
    next_index: u32,
    pending: Option<PendingCall>,
    usage: Option<WireUsage>,
    /// The answer text so far, which grounding offsets count into.
    text: String,
    /// The latest grounding metadata; its citations go out with the finish.
    grounding: Option<WireGrounding>,
    finished: bool,
}

impl StreamDecoder for GeminiStream {
    fn event(&mut self, ev: &SseEventRef<'_>, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data.is_empty() {
            return Ok(());
        }
        if data.starts_with('[') {
            let items: Vec<WireResponse<'_>> = parse_event(data, "gemini GenerateContentResponse list")?;
            for item in items {
                self.response(item, out)?;
            }
            return Ok(());
        }
        let raw = match WireResponse::text_chunk(data) {
            Some(raw) => raw,
            None => parse_event(data, "gemini GenerateContentResponse")?,
        };
        self.response(raw, out)
    }

    fn is_done(&self) -> bool {
        self.finished
    }
}

impl GeminiStream {
    fn response(&mut self, raw: WireResponse<'_>, out: &mut Vec<ChatCompletionChunk>) -> Result<(), ProviderError> {
        if let Some(err) = raw.error {
            return Err(error_from_value(None, &HeaderMap::new(), &err));
        }
        if let Some(id) = raw.response_id.filter(|s| !s.is_empty()) {
            share(&mut self.id, &id);
        }
        if let Some(m) = raw.model_version.filter(|s| !s.is_empty()) {
            share(&mut self.model, &m);
        }
        if self.created == 0 {
            self.created = created(raw.create_time.as_deref());
        }
        // Cumulative; chunks without a prompt count (traffic type only) are not usage yet.
        if let Some(u) = raw.usage_metadata.filter(|u| u.prompt_token_count.is_some()) {
            self.usage = Some(u);
        }
        let mut delta = Delta::default();
        let mut finish = None;
        match raw.candidates.0 {
            Some(c) => {
                for p in c.content.map(|c| c.parts).unwrap_or_default() {
                    self.part(p, &mut delta)?;
                }
                if c.grounding_metadata.is_some() {
                    self.grounding = c.grounding_metadata;
                }
                if let Some(r) = c.finish_reason.as_deref().filter(|r| !r.is_empty()) {
                    finish = Some(finish_reason(r, c.finish_message.as_deref())?);
                }
            }
            None => {
                if raw.prompt_feedback.and_then(|f| f.block_reason).is_some() {
                    finish = Some(FinishReason::ContentFilter);
                }
            }
        }
        if finish.is_some() {
            self.complete_pending(&mut delta);
            if let Some(g) = self.grounding.take() {
                delta.annotations = g.annotations(&self.text);
            }
        }
        // Gemini says STOP when it returned calls; callers dispatch on tool_calls.
        if finish == Some(FinishReason::Stop) && self.next_index > 0 {
            finish = Some(FinishReason::ToolCalls);
        }
        let has_delta = delta.content.is_some()
            || delta.reasoning_content.is_some()
            || !delta.tool_calls.is_empty()
            || !delta.annotations.is_empty();
        if has_delta || finish.is_some() {
            if !self.role_sent {
                delta.role = Some("assistant".into());
                self.role_sent = true;
            }
            out.push(ChatCompletionChunk::delta(self.id.clone(), self.model.clone(), self.created, delta, finish));
        }
        if finish.is_some() {
            self.finished = true;
            if let Some(u) = &self.usage {
                out.push(ChatCompletionChunk::usage(self.id.clone(), self.model.clone(), self.created, u.to_usage()));
            }
        }
        Ok(())
    }

    fn part(&mut self, p: WirePart<'_>, delta: &mut Delta) -> Result<(), ProviderError> {
        if let Some(t) = p.text.filter(|t| !t.is_empty()) {
            self.complete_pending(delta);
            let slot = if p.thought == Some(true) {
                &mut delta.reasoning_content
            } else {
                self.text.push_str(&t);
                &mut delta.content
            };
            slot.get_or_insert_with(String::new).push_str(&t);
        }
        let Some(fc) = p.function_call else { return Ok(()) };
        let continues = fc.will_continue == Some(true);
        let signature = p.thought_signature.filter(|s| !s.is_empty()).map(Cow::into_owned);
        match fc.name.filter(|n| !n.is_empty()).map(Cow::into_owned) {
            Some(name) => {
                if let Some(e) = undeclared_call(self.declared.as_deref(), &name) {
                    return Err(e);
                }
                self.complete_pending(delta);
                if continues {
                    let mut args = PartialArgs::new(fc.args);
                    args.apply(&fc.partial_args)?;
                    let id = fc.id.map(Cow::into_owned).unwrap_or_default();
                    self.pending = Some(PendingCall { id, name, args, signature });
                } else {
                    let args = match fc.args {
                        None | Some(Value::Null) => "{}".to_string(),
                        Some(a) => arguments_string(Some(&a)),
                    };
                    let mut piece = ToolCallDelta::start(self.next_index, fc.id.unwrap_or_default(), name, args);
                    piece.extra_content = signature.as_deref().map(google_signature);
                    delta.tool_calls.push(piece);
                    self.next_index = self.next_index.saturating_add(1);
                }
            }
            None => {
                if !fc.partial_args.is_empty() && self.pending.is_none() {
                    // Pieces without a start: keep them rather than lose the arguments.
                    let args = PartialArgs::new(None);
                    self.pending = Some(PendingCall { id: String::new(), name: String::new(), args, signature: None });
                }
                if let (Some(p), Some(sig)) = (&mut self.pending, signature)
                    && p.signature.is_none()
                {
                    p.signature = Some(sig);
                }
                if let Some(p) = &mut self.pending {
                    p.args.apply(&fc.partial_args)?;
                }
                if let (Some(p), Some(id)) = (&mut self.pending, fc.id.filter(|s| !s.is_empty()))
                    && p.id.is_empty()
                {
                    p.id = id.into_owned();
                }
                if !continues {
                    self.complete_pending(delta);
                }
            }
        }
        Ok(())
    }

    fn complete_pending(&mut self, delta: &mut Delta) {
        if let Some(p) = self.pending.take() {
            let mut piece = ToolCallDelta::start(self.next_index, p.id, p.name, p.args.into_arguments());
            piece.extra_content = p.signature.as_deref().map(google_signature);
            delta.tool_calls.push(piece);
            self.next_index = self.next_index.saturating_add(1);
        }
    }

    /// Emits what a body that ended without a finish reason still holds (list bodies).
    fn flush(&mut self, out: &mut Vec<ChatCompletionChunk>) {
        let mut delta = Delta::default();
        self.complete_pending(&mut delta);
        if !delta.tool_calls.is_empty() {
            out.push(ChatCompletionChunk::delta(self.id.clone(), self.model.clone(), self.created, delta, None));
        }
        if !self.finished
            && let Some(u) = &self.usage
        {
            out.push(ChatCompletionChunk::usage(self.id.clone(), self.model.clone(), self.created, u.to_usage()));
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const CHUNK_SHAPES: &[&str] = &[
        r#"{"candidates":[{"content":{"parts":[{"text":"§"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":199,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}],"thoughtsTokenCount":185},"modelVersion":"gemini-3-pro-preview","responseId":"bH6L"}"#,
        r#"{"candidates":[{"content":{"parts":[{"text":"§","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":1,"cachedContentTokenCount":2,"toolUsePromptTokenCount":3,"x":[[{}],"§",true,null]},"modelVersion":"m","responseId":"§"}"#,
        r#"{"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"},"index":0}],"usageMetadata":{},"modelVersion":"","responseId":""}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// The fast read of a text chunk says what serde_json says of the same bytes, or
        /// nothing.
        #[test]
        fn fast_text_chunks_read_what_serde_reads(data in near::payloads(CHUNK_SHAPES)) {
            near::agrees_with_serde::<WireResponse>(&data, WireResponse::text_chunk(&data))?;
        }
    }

    #[test]
    fn the_recorded_text_chunks_take_the_fast_read() {
        let sample = include_str!("../../../../tests/provider-samples/google/google-text.chunks.txt");
        let lines: Vec<&str> = sample.lines().filter(|l| !l.contains("finishReason")).collect();
        assert_eq!(lines.len(), 2);
        for line in lines {
            let fast = WireResponse::text_chunk(line);
            assert!(fast.is_some(), "{line}");
            assert_eq!(fast, serde_json::from_str(line).ok(), "{line}");
        }
        let repeated = r#"{"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":1,"promptTokenCount":2},"modelVersion":"m","responseId":"r"}"#;
        assert!(WireResponse::text_chunk(repeated).is_none(), "a count given twice is not the usual shape");
        assert!(serde_json::from_str::<WireResponse>(repeated).is_err());
    }

    #[test]
    fn reduce_schema_inlines_refs_and_cuts_cycles() {
        let s = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "$defs": {"Node": {"type": "object", "properties": {"label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}, "additionalProperties": false}},
            "properties": {"root": {"$ref": "#/$defs/Node", "description": "the tree"}},
            "required": ["root", "ghost"],
            "additionalProperties": false
        });
        let r = reduce_schema(&s);
        assert_eq!(r["required"], json!(["root"]));
        assert_eq!(r["properties"]["root"]["description"], "the tree");
        assert_eq!(r["properties"]["root"]["properties"]["label"]["type"], "string");
        assert_eq!(r["properties"]["root"]["properties"]["children"]["items"], json!({"type": "object"}));
        assert!(!r.to_string().contains("additionalProperties"));
        assert!(!r.to_string().contains("$defs"));
        assert!(!r.to_string().contains("$schema"));
    }

    #[test]
    fn reduce_schema_rewrites_types_const_and_unions() {
        let s = json!({"type": "object", "properties": {
            "a": {"type": ["string", "null"], "format": "uri"},
            "b": {"const": "x"},
            "c": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "d": {"anyOf": [{"type": "number", "format": "double"}, {"type": "null"}]},
            "e": {"enum": [1, 2]},
            "h": {"enum": ["a", null]},
            "f": {"type": "object", "properties": {}, "default": {}, "examples": [{}]},
            "g": {"type": ["string", "integer"]}
        }});
        let r = reduce_schema(&s);
        let p = &r["properties"];
        assert_eq!(p["a"], json!({"type": "string", "nullable": true}));
        assert_eq!(p["b"], json!({"enum": ["x"], "type": "string"}));
        assert_eq!(p["c"], json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}));
        assert_eq!(p["d"], json!({"type": "number", "format": "double", "nullable": true}));
        assert_eq!(p["e"], json!({}));
        assert_eq!(p["h"], json!({"enum": ["a"], "nullable": true, "type": "string"}));
        assert_eq!(p["f"], json!({"type": "object"}));
        assert_eq!(p["g"], json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}));
    }
}
