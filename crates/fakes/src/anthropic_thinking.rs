//! What Anthropic's Messages API rejects about extended thinking, in its words, and whether a
//! request turned thinking on (only then does the fake answer with thinking blocks).
//!
//! From <https://docs.claude.com/en/docs/build-with-claude/extended-thinking>: the budget is at
//! least 1024 tokens and below `max_tokens`; `temperature` may only be 1 and `top_k` not set,
//! `top_p` only between 0.95 and 1; tool use may not be forced; and when a conversation goes on
//! from tool results, the assistant turn that called the tools must start with its thinking
//! block, signed ("Expected `thinking` or `redacted_thinking`, but found `tool_use`"). Any
//! non-empty signature passes here; the real API also checks it is one it issued.

use serde_json::Value;

const MIN_BUDGET: u64 = 1024;

const DOCS: &str = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

/// Whether the request asks for thinking (`enabled`, or `adaptive` on the models that have it).
pub(super) fn thinking_on(body: &Value) -> bool {
    matches!(body.get("thinking").and_then(|t| t.get("type")).and_then(Value::as_str), Some("enabled" | "adaptive"))
}

/// The first thinking rule the request breaks.
pub(super) fn check(body: &Value) -> Result<(), String> {
    if !thinking_on(body) {
        return Ok(());
    }
    let thinking = body.get("thinking").unwrap_or(&Value::Null);
    if thinking.get("type").and_then(Value::as_str) == Some("enabled") {
        let budget = thinking.get("budget_tokens").ok_or("thinking.enabled.budget_tokens: Field required")?;
        let budget = budget.as_u64().ok_or("thinking.enabled.budget_tokens: Input should be a valid integer")?;
        if budget < MIN_BUDGET {
            return Err(format!(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
            ));
        }
        let max_tokens = body.get("max_tokens").and_then(Value::as_u64).unwrap_or(0);
        if budget >= max_tokens {
            return Err(format!(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at \
                 {DOCS}#max-tokens-and-context-window-size"
            ));
        }
    }
    if body.get("temperature").and_then(Value::as_f64).is_some_and(|t| t != 1.0) {
        return Err(format!(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at \
             {DOCS}#feature-compatibility"
        ));
    }
    if body.get("top_k").is_some() {
        return Err(format!(
            "`top_k` may not be set when thinking is enabled. Please consult our documentation at {DOCS}#feature-compatibility"
        ));
    }
    if body.get("top_p").and_then(Value::as_f64).is_some_and(|p| !(0.95..=1.0).contains(&p)) {
        return Err(format!(
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our \
             documentation at {DOCS}#feature-compatibility"
        ));
    }
    let forced =
        matches!(body.get("tool_choice").and_then(|c| c.get("type")).and_then(Value::as_str), Some("any" | "tool"));
    if forced {
        return Err("Thinking may not be enabled when tool_choice forces tool use.".into());
    }
    check_tool_turn(body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default())
}

/// The last assistant turn that called tools answered by the turn after it must open with its
/// thinking block.
fn check_tool_turn(messages: &[Value]) -> Result<(), String> {
    let blocks = |m: &Value| m.get("content").and_then(Value::as_array).cloned().unwrap_or_default();
    let kind = |b: &Value| b.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
    let Some(i) = messages.iter().rposition(|m| m.get("role").and_then(Value::as_str) == Some("assistant")) else {
        return Ok(());
    };
    let calls = blocks(&messages[i]).iter().any(|b| kind(b) == "tool_use");
    let answered = messages.get(i + 1).is_some_and(|n| blocks(n).iter().any(|b| kind(b) == "tool_result"));
    if !(calls && answered) {
        return Ok(());
    }
    let turn = blocks(&messages[i]);
    let first = turn.first().map(kind).unwrap_or_default();
    match first.as_str() {
        "thinking" if turn[0].get("signature").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) => Ok(()),
        "thinking" => Err(format!("messages.{i}.content.0.thinking.signature: Field required")),
        "redacted_thinking" => Ok(()),
        other => Err(format!(
            "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{other}`. When \
             `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the \
             lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from \
             previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at {DOCS}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(extra: Value) -> Value {
        let mut b = json!({"model": "m", "max_tokens": 2048, "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "enabled", "budget_tokens": 1024}});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    #[test]
    fn budget_sampling_and_forced_tools_are_checked() {
        assert!(check(&req(json!({}))).is_ok());
        assert!(
            check(&req(json!({"thinking": {"type": "enabled", "budget_tokens": 512}}))).unwrap_err().contains("1024")
        );
        assert!(
            check(&req(json!({"max_tokens": 1024}))).unwrap_err().contains("greater than `thinking.budget_tokens`")
        );
        assert!(check(&req(json!({"temperature": 0.2}))).unwrap_err().contains("temperature"));
        assert!(check(&req(json!({"temperature": 1}))).is_ok());
        assert!(check(&req(json!({"top_p": 0.5}))).unwrap_err().contains("top_p"));
        assert!(check(&req(json!({"top_k": 5}))).unwrap_err().contains("top_k"));
        assert!(check(&req(json!({"tool_choice": {"type": "any"}}))).unwrap_err().contains("forces tool use"));
        assert!(check(&req(json!({"thinking": {"type": "disabled"}, "temperature": 0.2}))).is_ok());
    }

    #[test]
    fn a_tool_turn_answered_with_results_must_open_with_thinking() {
        let history = |first: Value| {
            req(json!({"messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": [first, {"type": "tool_use", "id": "t1", "name": "w", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]}
            ]}))
        };
        let e = check(&history(json!({"type": "text", "text": "Let me check."}))).unwrap_err();
        assert!(e.starts_with("messages.1.content.0.type: Expected `thinking`") && e.contains("found `text`"), "{e}");
        assert!(check(&history(json!({"type": "thinking", "thinking": "t", "signature": "sig"}))).is_ok());
        assert!(check(&history(json!({"type": "thinking", "thinking": "t", "signature": ""}))).is_err());
        assert!(check(&history(json!({"type": "redacted_thinking", "data": "d"}))).is_ok());
    }
}
