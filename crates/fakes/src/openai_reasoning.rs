//! Reasoning on the OpenAI-family fakes, by the model's catalog quirk (`reasoning`): whether the
//! model thinks for this request and whether the answer shows it, and what the API rejects.
//!
//! - `none`: never thinks; `reasoning_effort` is refused ("Unsupported parameter: 'reasoning_effort'
//!   is not supported with this model.").
//! - `hidden` (OpenAI's reasoning models): always thinks, shows only `reasoning_tokens`; refuses
//!   `max_tokens` (the genuine `reasoning-model-legacy-parameter-error.json`) and any sampling
//!   but the default (<https://platform.openai.com/docs/guides/reasoning>).
//! - `always`: always thinks and shows it.
//! - `on_request`: thinks and shows it when the request turns it on: `thinking: {type: enabled}`
//!   (DeepSeek), `enable_thinking: true` (Qwen), `reasoning_effort` or OpenRouter's `reasoning`.
//!
//! Where the catalog says `reasoning_history` (DeepSeek), a request in thinking mode whose
//! tool-call turns lost their `reasoning_content` is refused ("Missing `reasoning_content` field
//! in the assistant message at message index N";
//! <https://api-docs.deepseek.com/guides/thinking_mode>).

use serde_json::{Map, Value};

use super::FakeCtx;
use llm_conform_core::providers::Reasoning;

/// Whether the model thinks for this request, and whether the answer shows the thinking.
pub(super) fn reasoning_in_answer(ctx: &FakeCtx) -> (bool, bool) {
    match ctx.quirks().reasoning {
        Reasoning::None => (false, false),
        Reasoning::Hidden => (true, false),
        Reasoning::Always => (true, true),
        Reasoning::OnRequest => {
            let on = turned_on(&ctx.request);
            (on, on)
        }
    }
}

fn turned_on(body: &Value) -> bool {
    body.pointer("/thinking/type").and_then(Value::as_str) == Some("enabled")
        || body.get("enable_thinking").and_then(Value::as_bool) == Some(true)
        || body.get("reasoning_effort").is_some_and(|e| !e.is_null())
        || body.get("reasoning").is_some_and(Value::is_object)
}

/// A refusal: the message, and the parameter it names.
pub(super) struct Refusal {
    pub message: String,
    pub param: Option<&'static str>,
    pub status: u16,
}

/// The first reasoning rule the request breaks.
pub(super) fn check(ctx: &FakeCtx, body: &Map<String, Value>) -> Result<(), Refusal> {
    let refuse = |message: String, param| Err(Refusal { message, param, status: 400 });
    match ctx.quirks().reasoning {
        Reasoning::None if body.contains_key("reasoning_effort") => {
            return refuse(
                "Unsupported parameter: 'reasoning_effort' is not supported with this model.".into(),
                Some("reasoning_effort"),
            );
        }
        Reasoning::Hidden => {
            if body.contains_key("max_tokens") {
                return refuse(
                    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.".into(),
                    Some("max_tokens"),
                );
            }
            for (field, param) in [("temperature", "temperature"), ("top_p", "top_p")] {
                if let Some(v) = body.get(field).and_then(Value::as_f64).filter(|v| *v != 1.0) {
                    return refuse(
                        format!(
                            "Unsupported value: '{field}' does not support {v} with this model. Only the default (1) value is supported."
                        ),
                        Some(param),
                    );
                }
            }
        }
        _ => {}
    }
    let thinking = reasoning_in_answer(ctx).0;
    if ctx.quirks().reasoning_history && thinking {
        let messages = body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let lost = messages.iter().position(|m| {
            m.get("role").and_then(Value::as_str) == Some("assistant")
                && m.get("tool_calls").and_then(Value::as_array).is_some_and(|c| !c.is_empty())
                && m.get("reasoning_content").and_then(Value::as_str).is_none()
        });
        if let Some(n) = lost {
            return refuse(
                format!("Missing `reasoning_content` field in the assistant message at message index {n}"),
                None,
            );
        }
    }
    Ok(())
}
