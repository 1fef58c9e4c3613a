//! Anthropic extended thinking across turns.
//!
//! With thinking on, a turn that calls tools must be sent back with its thinking blocks, signed
//! and unchanged, before its `tool_use` blocks; otherwise the API refuses the next request
//! ("Expected `thinking` or `redacted_thinking`, but found `tool_use`"). The canonical message
//! has no place for a signature, so the decoder keeps the turn's thinking and redacted-thinking
//! blocks on its first tool call (`extra_content.anthropic.thinking_blocks`, next to where
//! Gemini's thought signature travels), and the encoder puts them back at the start of the
//! assistant turn. A turn that ended without calls needs nothing back: the API drops earlier
//! thinking from the context anyway.
//! See <https://docs.claude.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks>.

use serde_json::{Value, json};

use crate::api::{Message, ToolCall, anthropic_thinking, anthropic_thinking_in};

/// A thinking block as the API sent it.
pub(super) fn thinking_block(thinking: &str, signature: &str) -> Value {
    json!({"type": "thinking", "thinking": thinking, "signature": signature})
}

/// A redacted thinking block as the API sent it.
pub(super) fn redacted_block(data: &str) -> Value {
    json!({"type": "redacted_thinking", "data": data})
}

/// Most thinking blocks kept from one turn; a model writes a handful, more is abuse.
pub(super) const MAX_BLOCKS: usize = 64;

/// Puts the turn's thinking blocks on its first call, where the next request finds them.
pub(super) fn attach(calls: &mut [ToolCall], mut blocks: Vec<Value>) {
    blocks.truncate(MAX_BLOCKS);
    if let Some(first) = calls.first_mut()
        && !blocks.is_empty()
    {
        first.extra_content = Some(anthropic_thinking(blocks));
    }
}

/// The thinking blocks an assistant message carries back, in order, from any of its calls. Only
/// well-formed blocks go: a signed thinking block or a redacted one; anything else the caller
/// put there is not Anthropic's and is left out.
pub(super) fn blocks_of(m: &Message) -> Vec<Value> {
    m.calls()
        .iter()
        .flat_map(|c| anthropic_thinking_in(c.extra_content.as_ref()))
        .filter_map(|b| {
            let s = |k: &str| b.get(k).and_then(Value::as_str);
            match s("type")? {
                "thinking" => Some(thinking_block(s("thinking")?, s("signature").filter(|x| !x.is_empty())?)),
                "redacted_thinking" => Some(redacted_block(s("data").filter(|x| !x.is_empty())?)),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Role;

    #[test]
    fn blocks_ride_on_the_first_call_and_come_back_in_order() {
        let mut calls = vec![ToolCall::new("a", "f", "{}"), ToolCall::new("b", "g", "{}")];
        attach(&mut calls, vec![thinking_block("hmm", "sig1"), redacted_block("opaque")]);
        assert!(calls[1].extra_content.is_none());
        let mut m = Message::new(Role::Assistant, "");
        m.tool_calls = Some(calls);
        assert_eq!(blocks_of(&m), vec![thinking_block("hmm", "sig1"), redacted_block("opaque")]);
    }

    #[test]
    fn unsigned_or_foreign_blocks_are_not_sent() {
        let mut call = ToolCall::new("a", "f", "{}");
        call.extra_content = Some(anthropic_thinking(vec![
            json!({"type": "thinking", "thinking": "x", "signature": ""}),
            json!({"type": "text", "text": "x"}),
            json!("junk"),
        ]));
        let mut m = Message::new(Role::Assistant, "");
        m.tool_calls = Some(vec![call]);
        assert!(blocks_of(&m).is_empty());
    }
}
