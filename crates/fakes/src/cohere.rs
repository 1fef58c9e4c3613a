//! Fake Cohere v2 chat (`POST /v2/chat`), modelled on the recorded payloads in
//! `tests/provider-samples/cohere/` and Cohere's error reference.
//!
//! Rendering decisions:
//! - Ids: the response id is a version-4-shaped UUID from the seed; tool-call ids are
//!   `<name>_<12 lowercase alphanumerics>`, as Cohere sends them.
//! - With tool calls, `MockAnswer.reasoning` becomes `message.tool_plan` (streamed as
//!   `tool-plan-delta` events before the calls); `text`, if any, is a `content` text part after
//!   the calls (Cohere itself rarely sends both). Without tool calls, reasoning is a `thinking`
//!   content part before the text, as Cohere's reasoning models send it.
//! - A call with no arguments sends `"{}"`; `arguments_raw` is sent exactly as given.
//! - `finish_reason`: stop -> `COMPLETE` (`STOP_SEQUENCE` when the request set
//!   `stop_sequences`), length -> `MAX_TOKENS`, tool_calls -> `TOOL_CALL`, content_filter ->
//!   `ERROR_TOXIC`.
//! - Usage: `tokens` carries the mock's prompt/completion counts (what the model saw, cache reads
//!   included), `billed_units` the prompt minus cached tokens and the same completion, and
//!   `cached_tokens` is always present.
//! - Streams are named events (`event:` line = payload `type`) and end at `message-end`: Cohere
//!   sends no `[DONE]`.
//! - Errors are `{"id", "message"}` with the status deciding the kind: 400 invalid request and
//!   context length ("too many tokens: ..."), 401, 402 for an exhausted quota (Cohere's billing
//!   limit status), 403, 404, 429 (with `retry-after` in whole seconds, rounded up, when the mock
//!   gives a hint), 500, 503 overloaded, 504 timeout. Content filtering has no documented Cohere
//!   error (Cohere reports it as `ERROR_TOXIC` on a 200); the fake sends a 400 naming the safety
//!   filter.
//! - Validation: a missing `model`, missing or empty `messages`, a tool message whose
//!   `tool_call_id` matches no tool call of an earlier assistant message, and `tool_choice` on a
//!   model whose catalog quirks say it has none (before Command R7B) are rejected with 400.
//! - `native_finish` in a mock is sent as the finish reason as it is.

use serde_json::{Map, Value, json};

use super::fake_family::{HEX, argument_pieces, fake_id, text_pieces};
use super::{FakeCtx, FakeEvent, FakeFamily, FakeResponse};
use llm_conform_core::api::{ErrorKind, FinishReason};
use llm_conform_mock::{MockAnswer, MockError, MockToolCall, MockUsage};

/// Cohere tool-call id suffixes are lowercase letters and digits.
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

const SALT_RESPONSE_ID: u64 = 1;
const SALT_ERROR_ID: u64 = 2;
const SALT_CALL_ID: u64 = 100;

pub struct FakeCohere;

impl FakeFamily for FakeCohere {
    fn validate(&self, ctx: &FakeCtx) -> Result<(), FakeResponse> {
        let body = &ctx.request;
        if body.get("model").and_then(Value::as_str).is_none_or(|m| m.trim().is_empty()) {
            return Err(rejection(ctx, "invalid request: a model parameter is required for this endpoint."));
        }
        let Some(messages) = body.get("messages").and_then(Value::as_array).filter(|m| !m.is_empty()) else {
            return Err(rejection(ctx, "invalid request: messages must contain at least one message."));
        };
        if body.get("tool_choice").is_some() && !ctx.quirks().tool_choice {
            return Err(rejection(
                ctx,
                "invalid request: tool_choice is only compatible with Command-r7b and newer models.",
            ));
        }
        let has_image = |m: &Value| {
            m.get("content")
                .and_then(Value::as_array)
                .is_some_and(|parts| parts.iter().any(|p| p.get("type").and_then(Value::as_str) == Some("image_url")))
        };
        if !ctx.quirks().vision && messages.iter().any(has_image) {
            return Err(rejection(
                ctx,
                &format!("invalid request: model '{}' does not support image inputs.", ctx.model),
            ));
        }
        let mut known_calls: Vec<&str> = Vec::new();
        for m in messages {
            match m.get("role").and_then(Value::as_str) {
                Some("assistant") => {
                    let calls = m.get("tool_calls").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                    known_calls.extend(calls.iter().filter_map(|c| c.get("id").and_then(Value::as_str)));
                }
                Some("tool") => {
                    let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or_default();
                    if !known_calls.contains(&id) {
                        return Err(rejection(
                            ctx,
                            &format!(
                                "invalid request: tool message has tool_call_id '{id}', which does not match any \
                                 tool call of a preceding assistant message."
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn success(&self, mock: &MockAnswer, ctx: &FakeCtx, stream: bool) -> FakeResponse {
        let answer = Answer::new(mock, ctx);
        if stream { answer.events() } else { answer.body() }
    }

    fn error(&self, err: &MockError, ctx: &FakeCtx) -> FakeResponse {
        let (status, default_message) = match err.kind {
            ErrorKind::Authentication => (401, "invalid api token".to_string()),
            ErrorKind::PermissionDenied => (403, "you do not have permission to access this resource".to_string()),
            ErrorKind::NotFound => (
                404,
                format!(
                    "model '{}' not found, make sure the correct model ID was used and that you have access to the \
                     model.",
                    ctx.model
                ),
            ),
            ErrorKind::InvalidRequest => (400, "invalid request: message must not be empty in a turn.".to_string()),
            ErrorKind::ContextLengthExceeded => (
                400,
                "too many tokens: total number of tokens in the prompt cannot exceed 128000 - received 140000. Try \
                 using a shorter prompt, or enabling prompt truncating."
                    .to_string(),
            ),
            ErrorKind::ContentFiltered => {
                (400, "invalid request: the prompt was blocked by the safety filter.".to_string())
            }
            ErrorKind::RateLimited => (
                429,
                "You are using a Trial key, which is limited to 10 API calls / minute. You can continue to use the \
                 Trial key for free or upgrade to a Production key with higher rate limits at \
                 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us \
                 at support@cohere.com with any questions"
                    .to_string(),
            ),
            ErrorKind::QuotaExhausted => (
                402,
                "Please add or update your payment method at https://dashboard.cohere.com/billing?tab=payment to \
                 continue"
                    .to_string(),
            ),
            ErrorKind::Overloaded => (503, "service unavailable".to_string()),
            ErrorKind::ServerError | ErrorKind::MalformedResponse => {
                (500, "internal server error, this has been reported to our developers".to_string())
            }
            ErrorKind::Timeout => (504, "gateway timeout".to_string()),
            ErrorKind::Connection => (502, "bad gateway".to_string()),
            ErrorKind::Unsupported => {
                (400, format!("invalid request: model '{}' does not support this feature.", ctx.model))
            }
        };
        let status = err.status.unwrap_or(status);
        let message = err.message.clone().unwrap_or(default_message);
        let mut resp = FakeResponse::json(status, json!({"id": uuid(ctx.seed, SALT_ERROR_ID), "message": message}));
        if let Some(secs) = err.retry_after_s.filter(|s| s.is_finite() && *s >= 0.0) {
            resp = resp.with_header("retry-after", format!("{}", secs.ceil() as u64));
        }
        resp
    }
}

/// Cohere's 400 for a request it will not take.
fn rejection(ctx: &FakeCtx, message: &str) -> FakeResponse {
    FakeResponse::json(400, json!({"id": uuid(ctx.seed, SALT_ERROR_ID), "message": message}))
}

/// A UUID-shaped id (8-4-4-4-12 hex, version 4 and RFC 4122 variant nibbles), as Cohere's.
fn uuid(seed: u64, salt: u64) -> String {
    let hex = fake_id(seed, salt, 32, HEX);
    let mut out = String::with_capacity(36);
    for (i, ch) in hex.chars().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(match i {
            12 => '4',
            16 => ['8', '9', 'a', 'b'][ch.to_digit(16).unwrap_or(0) as usize % 4],
            _ => ch,
        });
    }
    out
}

/// A mock answer resolved into Cohere's terms, rendered whole or as events.
struct Answer {
    id: String,
    text: Option<String>,
    /// `tool_plan` when there are calls, a `thinking` part otherwise.
    reasoning: Option<String>,
    calls: Vec<Call>,
    finish: String,
    usage: Value,
}

struct Call {
    id: String,
    name: String,
    arguments: String,
}

impl Answer {
    fn new(mock: &MockAnswer, ctx: &FakeCtx) -> Self {
        let stop_sequences = ctx.request.get("stop_sequences").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
        let finish = match mock.finish_or_default() {
            _ if mock.native_finish.is_some() => mock.native_finish.as_deref().unwrap_or_default(),
            FinishReason::Stop if stop_sequences => "STOP_SEQUENCE",
            FinishReason::Stop => "COMPLETE",
            FinishReason::Length => "MAX_TOKENS",
            FinishReason::ToolCalls => "TOOL_CALL",
            FinishReason::ContentFilter => "ERROR_TOXIC",
        };
        let calls = mock
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| Call {
                id: format!("{}_{}", c.name, fake_id(ctx.seed, SALT_CALL_ID + i as u64, 12, LOWER_ALNUM)),
                name: c.name.clone(),
                arguments: call_arguments(c),
            })
            .collect();
        Answer {
            id: uuid(ctx.seed, SALT_RESPONSE_ID),
            text: mock.text.clone(),
            reasoning: mock.reasoning.clone().filter(|r| !r.is_empty()),
            calls,
            finish: finish.to_string(),
            usage: usage(mock.usage_or_estimate()),
        }
    }

    /// The content parts: thinking (without calls), then text. A plain answer with nothing at
    /// all still has one empty text part, as Cohere sends.
    fn parts(&self) -> Vec<Value> {
        let mut parts = Vec::new();
        if self.calls.is_empty()
            && let Some(r) = &self.reasoning
        {
            parts.push(json!({"type": "thinking", "thinking": r}));
        }
        match &self.text {
            Some(t) => parts.push(json!({"type": "text", "text": t})),
            None if parts.is_empty() && self.calls.is_empty() => parts.push(json!({"type": "text", "text": ""})),
            None => {}
        }
        parts
    }

    fn body(&self) -> FakeResponse {
        let mut message = Map::new();
        message.insert("role".into(), json!("assistant"));
        let parts = self.parts();
        if self.calls.is_empty() {
            message.insert("content".into(), Value::Array(parts));
        } else {
            if let Some(plan) = &self.reasoning {
                message.insert("tool_plan".into(), json!(plan));
            }
            let calls: Vec<Value> = self
                .calls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                    })
                })
                .collect();
            message.insert("tool_calls".into(), Value::Array(calls));
            if !parts.is_empty() {
                message.insert("content".into(), Value::Array(parts));
            }
        }
        FakeResponse::json(
            200,
            json!({
                "id": self.id,
                "message": Value::Object(message),
                "finish_reason": self.finish,
                "usage": self.usage,
            }),
        )
    }

    fn events(&self) -> FakeResponse {
        let mut events = vec![FakeEvent::typed(&json!({
            "id": self.id,
            "type": "message-start",
            "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}},
        }))];
        if !self.calls.is_empty()
            && let Some(plan) = &self.reasoning
        {
            for piece in text_pieces(plan) {
                events.push(FakeEvent::typed(&json!({
                    "type": "tool-plan-delta",
                    "delta": {"message": {"tool_plan": piece}},
                })));
            }
        }
        for (index, part) in self.parts().iter().enumerate() {
            let (field, kind) = match part.get("type").and_then(Value::as_str) {
                Some("thinking") => ("thinking", "thinking"),
                _ => ("text", "text"),
            };
            let whole = part.get(field).and_then(Value::as_str).unwrap_or_default();
            events.push(FakeEvent::typed(&json!({
                "type": "content-start",
                "index": index,
                "delta": {"message": {"content": {"type": kind, field: ""}}},
            })));
            for piece in text_pieces(whole).into_iter().filter(|p| !p.is_empty()) {
                events.push(FakeEvent::typed(&json!({
                    "type": "content-delta",
                    "index": index,
                    "delta": {"message": {"content": {field: piece}}},
                })));
            }
            events.push(FakeEvent::typed(&json!({"type": "content-end", "index": index})));
        }
        for (index, c) in self.calls.iter().enumerate() {
            events.push(FakeEvent::typed(&json!({
                "type": "tool-call-start",
                "index": index,
                "delta": {"message": {"tool_calls": {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": ""},
                }}},
            })));
            for piece in argument_pieces(&c.arguments).into_iter().filter(|p| !p.is_empty()) {
                events.push(FakeEvent::typed(&json!({
                    "type": "tool-call-delta",
                    "index": index,
                    "delta": {"message": {"tool_calls": {"function": {"arguments": piece}}}},
                })));
            }
            events.push(FakeEvent::typed(&json!({"type": "tool-call-end", "index": index})));
        }
        events.push(FakeEvent::typed(&json!({
            "type": "message-end",
            "delta": {"finish_reason": self.finish, "usage": self.usage},
        })));
        FakeResponse::events(events)
    }
}

/// Arguments as Cohere sends them: always a JSON object string, unless the mock fixes the bytes.
fn call_arguments(c: &MockToolCall) -> String {
    match (&c.arguments_raw, &c.arguments) {
        (None, None) => "{}".to_string(),
        _ => c.arguments_string(),
    }
}

fn usage(u: MockUsage) -> Value {
    json!({
        "billed_units": {"input_tokens": u.prompt.saturating_sub(u.cached), "output_tokens": u.completion},
        "tokens": {"input_tokens": u.prompt, "output_tokens": u.completion},
        "cached_tokens": u.cached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let id = uuid(42, SALT_RESPONSE_ID);
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(id.chars().nth(14), Some('4'));
        assert!(matches!(id.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
        assert_eq!(id, uuid(42, SALT_RESPONSE_ID));
        assert_ne!(id, uuid(43, SALT_RESPONSE_ID));
    }
}
