//! The OpenAI-family request body: the canonical request itself, bent by the provider's quirks
//! (for the model asked for) into what that API accepts.
//!
//! Every change that alters what the caller asked for, rather than how it is spelt, is recorded
//! as a note on the native request (a dropped field, a degraded response format).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{
    EncodeError, FinalAssistant, JsonSchemaSupport, LateSystem, ProviderSpec, Quirks, Reasoning, ToolCallIdFormat,
};
use crate::api::{ChatRequest, Content, ContentPart, Message, ResponseFormat, Role, StreamOptions};

/// The JSON body for `req` and the notes on what was changed to fit the API.
pub(crate) fn openai_body(req: &ChatRequest, spec: &ProviderSpec) -> Result<(Value, Vec<String>), EncodeError> {
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
    let mut body = serde_json::to_value(&req).map_err(|e| EncodeError::new(spec, e.to_string()))?;
    if let Some(Value::String(choice)) = body.get_mut("tool_choice")
        && choice == "required"
    {
        *choice = q.tool_choice_required.as_str().to_string();
    }
    if let Value::Object(map) = &mut body {
        apply_field_quirks(map, q, spec, &mut notes);
    }
    Ok((body, notes))
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
    let model = req.model.clone();
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
