//! The OpenAI-family request body: the canonical request itself, bent by the provider's quirks
//! (for the model asked for) into what that API accepts.
//!
//! Every change that alters what the caller asked for, rather than how it is spelt, is recorded
//! as a note on the native request (a dropped field, a degraded response format).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{
    EncodeError, FinalAssistant, JsonSchemaSupport, LateSystem, ProviderSpec, Quirks, Reasoning, RequestBody,
    ToolCallIdFormat,
};
use crate::api::{
    ChatRequest, Content, ContentPart, Message, ResponseFormat, Role, StreamOptions, ToolChoice, ToolChoiceMode,
};

/// The JSON body for `req` and the notes on what was changed to fit the API.
pub(crate) fn openai_body(req: &ChatRequest, spec: &ProviderSpec) -> Result<(RequestBody, Vec<String>), EncodeError> {
    let (req, mut notes) = fit_request(req, spec)?;
    let q = spec.quirks_for(&req.model);
    if writes_directly(&req, q) {
        let bytes = serde_json::to_vec(&req).map_err(|e| EncodeError::new(spec, e.to_string()))?;
        return Ok((RequestBody::from_json_bytes(bytes), notes));
    }
    let body = value_body(req, q, spec, &mut notes)?;
    Ok((body.into(), notes))
}

/// The request as the API takes it (every edit made on the request itself) and the notes.
fn fit_request(req: &ChatRequest, spec: &ProviderSpec) -> Result<(ChatRequest, Vec<String>), EncodeError> {
    let q = spec.quirks_for(&req.model);
    super::capabilities::check_vision(req, spec)?;
    super::capabilities::check_text_only_tool_results(req, spec)?;
    let mut notes = Vec::new();
    let mut req = req.clone();
    if !spec.accepts_developer(&req.model) {
        for m in req.messages.iter_mut().filter(|m| m.role == Role::Developer) {
            m.role = Role::System;
        }
    }
    for m in &mut req.messages {
        // OpenAI rejects `tool_calls: []`; an empty list means no calls.
        if m.tool_calls.as_ref().is_some_and(Vec::is_empty) {
            m.tool_calls = None;
        }
        if !q.tool_call_extra_content {
            for c in m.tool_calls.iter_mut().flatten() {
                c.extra_content = None;
            }
        }
    }
    fit_reasoning(&mut req, q, spec, &mut notes);
    if !q.cache_breakpoints {
        strip_cache_breakpoints(&mut req.messages, spec, &mut notes);
    }
    if q.tool_call_id == ToolCallIdFormat::Alnum9 {
        rewrite_ids_alnum9(&mut req.messages);
    }
    if q.late_system == LateSystem::UserTurn {
        late_system_to_user(&mut req.messages);
    }
    check_role_order(&req.messages, q, spec)?;
    if q.final_assistant == FinalAssistant::Prefix
        && let Some(last) = req.messages.last_mut()
        && last.role == Role::Assistant
        && last.calls().is_empty()
    {
        last.extra.insert("prefix".into(), Value::Bool(true));
    }
    if q.tool_parameters_required {
        for t in req.tools.iter_mut().flatten() {
            if t.function.parameters.is_none() {
                t.function.parameters = Some(t.function.parameters_or_empty());
            }
        }
    }
    match q.max_tokens_param {
        super::MaxTokensParam::MaxCompletionTokens => {
            if let Some(n) = req.max_tokens.take() {
                req.max_completion_tokens.get_or_insert(n);
            }
        }
        super::MaxTokensParam::MaxTokens => {
            if let Some(n) = req.max_completion_tokens.take() {
                req.max_tokens.get_or_insert(n);
            }
        }
    }
    if req.is_stream() && q.stream_usage && req.stream_options.is_none() && !q.rejects_field("stream_options") {
        req.stream_options = Some(StreamOptions { include_usage: Some(true), extra: Map::new() });
    }
    degrade_json_schema(&mut req, q, spec, &mut notes)?;
    Ok((req, notes))
}

/// The body as a `Value`, with the edits made there: a `required` tool choice spelled as the
/// API spells it, the members it refuses or renames.
fn value_body(
    req: ChatRequest,
    q: &Quirks,
    spec: &ProviderSpec,
    notes: &mut Vec<String>,
) -> Result<Value, EncodeError> {
    let mut body = into_body(req).map_err(|e| EncodeError::new(spec, e.to_string()))?;
    if let Some(Value::String(choice)) = body.get_mut("tool_choice")
        && choice == "required"
    {
        *choice = q.tool_choice_required.as_str().to_string();
    }
    if let Value::Object(map) = &mut body {
        apply_field_quirks(map, q, spec, notes);
    }
    Ok(body)
}

/// Members `ChatRequest` itself may write, in its order (the tests hold this to serde's).
const REQUEST_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "stream",
    "stream_options",
    "user",
];

/// Members `Message` itself may write.
const MESSAGE_FIELDS: &[&str] =
    &["role", "content", "name", "tool_calls", "tool_call_id", "refusal", "reasoning_content"];

/// Whether the body may be written straight from the request: what serializing it through a
/// `Value` would write, byte for byte, with no edit of that `Value` due. Two things tell them
/// apart: an `extra` member named like a field (written twice directly, once in a `Value`), and
/// the edits made on the `Value` (a `required` tool choice spelled otherwise, a member the API
/// refuses or renames, see [`apply_field_quirks`]). Requests parsed from JSON never have the
/// first; the second depends on the provider.
fn writes_directly(req: &ChatRequest, q: &Quirks) -> bool {
    let clash = |extra: &Map<String, Value>, fields: &[&str]| fields.iter().any(|f| extra.contains_key(*f));
    let parts_clash = |m: &Message| match &m.content {
        Some(Content::Parts(parts)) => parts.iter().any(|p| match p {
            ContentPart::Text { prompt_cache_breakpoint: Some(b), .. }
            | ContentPart::ImageUrl { prompt_cache_breakpoint: Some(b), .. } => b.extra.contains_key("mode"),
            _ => false,
        }),
        _ => false,
    };
    if clash(&req.extra, REQUEST_FIELDS)
        || req.stream_options.as_ref().is_some_and(|o| o.extra.contains_key("include_usage"))
        || req.messages.iter().any(|m| clash(&m.extra, MESSAGE_FIELDS) || parts_clash(m))
    {
        return false;
    }
    let respelled = matches!(req.tool_choice, Some(ToolChoice::Mode(ToolChoiceMode::Required)))
        && q.tool_choice_required.as_str() != "required";
    let present = |key: &str| has_member(req, key);
    !respelled && !q.unsupported_fields.iter().any(|f| present(f)) && !q.renamed_fields.iter().any(|(f, _)| present(f))
}

/// Whether the serialized request has top-level member `key`.
fn has_member(req: &ChatRequest, key: &str) -> bool {
    let named = match key {
        "model" | "messages" => true,
        "tools" => req.tools.is_some(),
        "tool_choice" => req.tool_choice.is_some(),
        "parallel_tool_calls" => req.parallel_tool_calls.is_some(),
        "response_format" => req.response_format.is_some(),
        "temperature" => req.temperature.is_some(),
        "top_p" => req.top_p.is_some(),
        "max_tokens" => req.max_tokens.is_some(),
        "max_completion_tokens" => req.max_completion_tokens.is_some(),
        "stop" => req.stop.is_some(),
        "seed" => req.seed.is_some(),
        "stream" => req.stream.is_some(),
        "stream_options" => req.stream_options.is_some(),
        "user" => req.user.is_some(),
        _ => false,
    };
    named || req.extra.contains_key(key)
}

/// The request as the JSON body, exactly `serde_json::to_value(&req)`. Message texts and tool
/// schemas are most of a request; serializing them would copy them once more (a schema rebuilt
/// key by key), so they are taken out, the rest serialized with empty stand-ins in their
/// places, and they are moved into those places. A field in `extra` that shadows one of those
/// places (never there when the request was parsed, as a named field takes its key) would make
/// the places ambiguous: such a request is serialized as it is.
fn into_body(mut req: ChatRequest) -> Result<Value, serde_json::Error> {
    let shadowed = |extra: &Map<String, Value>, key: &str| extra.contains_key(key);
    if shadowed(&req.extra, "messages")
        || shadowed(&req.extra, "tools")
        || req.messages.iter().any(|m| shadowed(&m.extra, "content"))
    {
        return serde_json::to_value(&req);
    }
    let texts: Vec<Option<String>> = req
        .messages
        .iter_mut()
        .map(|m| match &mut m.content {
            Some(Content::Text(text)) => Some(std::mem::take(text)),
            _ => None,
        })
        .collect();
    let schemas: Vec<Option<Value>> =
        req.tools.iter_mut().flatten().map(|t| t.function.parameters.as_mut().map(std::mem::take)).collect();
    let mut body = serde_json::to_value(&req)?;
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        for (m, text) in messages.iter_mut().zip(texts) {
            if let (Some(text), Some(slot)) = (text, m.get_mut("content")) {
                *slot = Value::String(text);
            }
        }
    }
    if let Some(Value::Array(tools)) = body.get_mut("tools") {
        for (t, schema) in tools.iter_mut().zip(schemas) {
            if let (Some(schema), Some(slot)) = (schema, t.get_mut("function").and_then(|f| f.get_mut("parameters"))) {
                *slot = schema;
            }
        }
    }
    Ok(body)
}

/// Leaves out the fields the API rejects and renames the ones it spells differently.
fn apply_field_quirks(map: &mut Map<String, Value>, q: &Quirks, spec: &ProviderSpec, notes: &mut Vec<String>) {
    for field in &q.unsupported_fields {
        if map.remove(field).is_some() {
            notes.push(format!("left out `{field}`: {} does not accept it", spec.name));
        }
    }
    for (from, to) in &q.renamed_fields {
        if let Some(v) = map.remove(from) {
            map.entry(to.clone()).or_insert(v);
        }
    }
}

/// Fits the request to how the model reasons: no `reasoning_effort` for a model that does not
/// reason, only the default sampling for one that reasons hidden (OpenAI's reasoning models
/// reject anything else), and no `reasoning_content` in a history for an API that does not take
/// it back. See <https://platform.openai.com/docs/guides/reasoning> and
/// <https://api-docs.deepseek.com/guides/thinking_mode>.
fn fit_reasoning(req: &mut ChatRequest, q: &Quirks, spec: &ProviderSpec, notes: &mut Vec<String>) {
    let model = req.model.as_str();
    if q.reasoning == Reasoning::None && req.extra.remove("reasoning_effort").is_some() {
        notes.push(format!("left out `reasoning_effort`: {} model {model} does not reason", spec.name));
    }
    if q.reasoning == Reasoning::Hidden {
        for (field, value) in [("temperature", &mut req.temperature), ("top_p", &mut req.top_p)] {
            if let Some(v) = value.take_if(|v| *v != 1.0) {
                notes.push(format!("left out `{field}` ({v}): {model} takes only the default sampling"));
            }
        }
    }
    if !q.reasoning_history {
        let dropped = req.messages.iter_mut().map(|m| m.reasoning_content.take()).filter(Option::is_some).count();
        if dropped > 0 {
            notes.push(format!(
                "left out the `reasoning_content` of {dropped} earlier assistant message(s): {} does not take it back",
                spec.name
            ));
        }
        return;
    }
    let thinking = q.reasoning == Reasoning::Always
        || req.extra.get("thinking").and_then(|t| t.get("type")).and_then(|t| t.as_str()) == Some("enabled");
    if thinking {
        // In thinking mode every tool-call turn must come back with its reasoning; a turn from
        // elsewhere has none to give, and is sent with an empty one rather than refused.
        let filled = req
            .messages
            .iter_mut()
            .filter(|m| m.role == Role::Assistant && !m.calls().is_empty() && m.reasoning_content.is_none())
            .map(|m| m.reasoning_content = Some(String::new()))
            .count();
        if filled > 0 {
            notes.push(format!(
                "sent an empty `reasoning_content` with {filled} tool-call turn(s) that had none: {} wants it back \
                 on every tool-call turn in thinking mode",
                spec.name
            ));
        }
    }
}

/// Leaves out `prompt_cache_breakpoint` markers for APIs that cache prefixes on their own.
fn strip_cache_breakpoints(messages: &mut [Message], spec: &ProviderSpec, notes: &mut Vec<String>) {
    let mut dropped = 0;
    for m in messages {
        if let Some(Content::Parts(parts)) = &mut m.content {
            dropped += parts.iter_mut().map(ContentPart::take_cache_breakpoint).filter(|had| *had).count();
        }
    }
    if dropped > 0 {
        notes.push(format!(
            "left out {dropped} `prompt_cache_breakpoint` marker(s): {} caches prompt prefixes on its own",
            spec.name
        ));
    }
}

/// Maps ids to stable 9-character alphanumeric ones, the same on a call and on its result.
fn rewrite_ids_alnum9(messages: &mut [Message]) {
    let mut ids = HashMap::new();
    for m in messages {
        for c in m.tool_calls.iter_mut().flatten() {
            c.id = alnum9(&c.id, &mut ids);
        }
        if let Some(id) = &mut m.tool_call_id {
            *id = alnum9(id, &mut ids);
        }
    }
}

/// Sends instruction messages after the first turn as user content where they stand, wrapped in
/// `<system>` tags, as the Anthropic and Gemini encoders do.
fn late_system_to_user(messages: &mut [Message]) {
    let leading = messages.iter().take_while(|m| m.role.is_instruction()).count();
    for m in messages.iter_mut().skip(leading).filter(|m| m.role.is_instruction()) {
        let text = m.text();
        m.role = Role::User;
        m.name = None;
        m.content = Some(Content::Text(format!("<system>\n{text}\n</system>")));
    }
}

/// Refuses an order of roles the API would refuse, with the message that breaks it.
fn check_role_order(messages: &[Message], q: &Quirks, spec: &ProviderSpec) -> Result<(), EncodeError> {
    if q.user_after_tool {
        return Ok(());
    }
    for (i, pair) in messages.windows(2).enumerate() {
        if pair[0].role == Role::Tool && pair[1].role == Role::User {
            return Err(EncodeError::new(
                spec,
                format!(
                    "message {}: a user message directly after tool results is rejected by {}; the assistant's \
                     answer to the results must come first",
                    i + 1,
                    spec.name
                ),
            ));
        }
    }
    Ok(())
}

/// Where `json_schema` is not supported, `json_object` plus the schema as an instruction, or a
/// refusal, as the catalog says.
fn degrade_json_schema(
    req: &mut ChatRequest,
    q: &Quirks,
    spec: &ProviderSpec,
    notes: &mut Vec<String>,
) -> Result<(), EncodeError> {
    let Some(ResponseFormat::JsonSchema { json_schema }) = &req.response_format else { return Ok(()) };
    match q.json_schema {
        JsonSchemaSupport::Native => Ok(()),
        JsonSchemaSupport::Unsupported => Err(EncodeError::unsupported(
            spec,
            format!("response_format json_schema is not supported by {} model {}", spec.name, req.model),
        )),
        JsonSchemaSupport::JsonObject => {
            let schema = json_schema.schema.clone().unwrap_or_else(|| json!({"type": "object"}));
            let instruction = format!(
                "Respond with a JSON object that matches this JSON schema:\n{}",
                serde_json::to_string(&schema).unwrap_or_default()
            );
            let at = req.messages.iter().take_while(|m| m.role.is_instruction()).count();
            req.messages.insert(at, Message::new(Role::System, instruction));
            req.response_format = Some(ResponseFormat::JsonObject);
            notes.push(format!(
                "response_format json_schema sent as json_object with the schema in a system message: {} model {} \
                 has no json_schema",
                spec.name, req.model
            ));
            Ok(())
        }
    }
}

/// Maps an id to a stable 9-character alphanumeric one, the same input always giving the same
/// output within a request so calls and their results still pair up.
fn alnum9(id: &str, seen: &mut HashMap<String, String>) -> String {
    if ToolCallIdFormat::Alnum9.accepts(id) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_lists_are_what_serde_writes() {
        let req: ChatRequest = serde_json::from_value(json!({
            "model": "m", "messages": [{"role": "assistant", "content": "a", "name": "n", "tool_calls": [],
                "tool_call_id": "t", "refusal": "r", "reasoning_content": "rc"}],
            "tools": [], "tool_choice": "auto", "parallel_tool_calls": true, "response_format": {"type": "text"},
            "temperature": 1.0, "top_p": 1.0, "max_tokens": 1, "max_completion_tokens": 1, "stop": "s", "seed": 1,
            "stream": true, "stream_options": {"include_usage": true}, "user": "u"
        }))
        .unwrap();
        let v = serde_json::to_value(&req).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, REQUEST_FIELDS);
        assert!(REQUEST_FIELDS.iter().all(|k| has_member(&req, k)));
        let keys: Vec<&str> = v["messages"][0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, MESSAGE_FIELDS);
    }

    /// Requests covering every part of the canonical request, for every OpenAI-family provider
    /// in the catalog: whenever the body is written directly, its bytes are those the `Value`
    /// would have given.
    #[test]
    fn a_body_written_directly_is_the_body_a_value_would_give() {
        let requests = [
            json!({"messages": [{"role": "system", "content": "s"}, {"role": "developer", "content": "d"},
                {"role": "user", "content": [{"type": "text", "text": "t", "prompt_cache_breakpoint": {"mode": "explicit", "ttl": "1h"}},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}}]},
                {"role": "assistant", "content": null, "reasoning_content": "why", "tool_calls": [{"id": "call_1",
                    "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"},
                    "extra_content": {"google": {"thought_signature": "sig"}}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "42", "name": "f"},
                {"role": "assistant", "content": "fine", "x_vendor": [1, 2.5]}],
                "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object",
                    "properties": {"a": {"type": "integer"}}}, "strict": true}}, {"type": "function", "function": {"name": "g"}}],
                "tool_choice": "auto", "parallel_tool_calls": false, "temperature": 0.1, "top_p": 0.9, "max_tokens": 9,
                "stop": ["x", "y"], "seed": 7, "stream": true, "stream_options": {"include_usage": true, "x": 1},
                "user": "u", "logit_bias": {"5": 1}, "reasoning_effort": "low", "n": 1}),
            json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "function", "function": {"name": "f"}},
                "tools": [{"type": "function", "function": {"name": "f"}}], "max_completion_tokens": 3, "stop": "z",
                "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}, "strict": true}}}),
            json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": "required",
                "tools": [{"type": "function", "function": {"name": "f"}}], "response_format": {"type": "json_object"}}),
            json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": "none", "temperature": 1e-7,
                "thinking": {"type": "enabled"}, "response_format": {"type": "text"}}),
        ];
        let catalog = crate::providers::Catalog::builtin();
        let mut direct = 0;
        for spec in catalog.iter().filter(|s| s.family == crate::providers::WireFamily::Openai) {
            let model = spec.model_for("default").unwrap_or("model");
            for r in &requests {
                let mut r = r.clone();
                r["model"] = json!(model);
                let req: ChatRequest = serde_json::from_value(r).unwrap();
                let Ok((fit, _)) = fit_request(&req, spec) else { continue };
                let q = spec.quirks_for(&fit.model);
                if !writes_directly(&fit, q) {
                    continue;
                }
                direct += 1;
                let bytes = serde_json::to_vec(&fit).unwrap();
                let value = value_body(fit, q, spec, &mut Vec::new()).unwrap();
                assert_eq!(bytes, serde_json::to_vec(&value).unwrap(), "{}", spec.name);
            }
        }
        assert!(direct > 20, "only {direct} bodies were written directly");
        let spec = catalog.get("openai").unwrap();
        let mut clash: ChatRequest =
            serde_json::from_value(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]})).unwrap();
        clash.extra.insert("model".into(), json!("other"));
        assert!(!writes_directly(&clash, &spec.quirks));
        let (body, _) = openai_body(&clash, spec).unwrap();
        assert_eq!(body["model"], "other", "one member, as a Value holds it");
        assert_eq!(body.to_bytes().unwrap().windows(7).filter(|w| w == b"\"model\"").count(), 1);
    }

    #[test]
    fn the_body_is_the_request_serialized() {
        let requests = [
            json!({"model": "m", "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c", "content": "42", "x_extra": [1, {"a": null}]},
                {"role": "user"}
            ], "tools": [
                {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}, "strict": true}},
                {"type": "function", "function": {"name": "g", "description": "no parameters"}},
                {"type": "function", "function": {"name": "h", "parameters": null}}
            ], "temperature": 0.2, "max_tokens": 5, "logit_bias": {"1": 2}}),
            json!({"model": "m", "messages": [{"role": "user", "content": ""}]}),
        ];
        for r in requests {
            let req: ChatRequest = serde_json::from_value(r).unwrap();
            let want = serde_json::to_value(&req).unwrap();
            assert_eq!(into_body(req.clone()).unwrap().to_string(), want.to_string());
        }
        // A field in `extra` under a name the body uses makes the places ambiguous.
        let mut req: ChatRequest =
            serde_json::from_value(json!({"model": "m", "messages": [{"role": "user", "content": "a"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}))
            .unwrap();
        req.extra.insert("tools".into(), json!("shadow"));
        req.messages[0].extra.insert("content".into(), json!("shadow"));
        let want = serde_json::to_value(&req).unwrap();
        assert_eq!(into_body(req).unwrap().to_string(), want.to_string());
    }

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
