//! The normalisation promises, enforced in one place for every wire family: one of four finish
//! reasons, a non-empty id on every tool call, arguments always a JSON object string.

use super::{ChatCompletion, FinishReason};

/// Arguments as a JSON object string: `""`, whitespace, `null` and absent become `{}`.
/// Anything else is kept exactly as sent, never wrapped or replaced to pass as an object: a
/// provider that sends `true`, `42`, `[1]` or broken JSON is answering wrongly, and the caller
/// (and the fingerprint's `arguments_parse`) must be able to see it.
pub fn normalize_arguments(raw: &str) -> String {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed == "null" { "{}".to_string() } else { raw.to_string() }
}

/// Applies every promise to a decoded or reassembled response.
pub fn normalize_response(resp: &mut ChatCompletion) {
    let ChatCompletion { id: id_seed, choices, .. } = resp;
    for choice in choices {
        let message = &mut choice.message;
        if let Some(calls) = &mut message.tool_calls {
            for (i, call) in calls.iter_mut().enumerate() {
                if call.id.trim().is_empty() {
                    call.id = synthesized_call_id(id_seed, choice.index, i);
                }
                call.function.arguments = normalize_arguments(&call.function.arguments);
                if call.kind.is_empty() {
                    call.kind = "function".into();
                }
            }
            if calls.is_empty() {
                message.tool_calls = None;
            }
        }
        // A provider that reports a plain stop while returning calls (Gemini) means tool_calls:
        // callers dispatch on finish_reason, so the calls must not be hidden behind "stop".
        if message.tool_calls.is_some() && choice.finish_reason == FinishReason::Stop {
            choice.finish_reason = FinishReason::ToolCalls;
        }
        // Empty text is no text: providers disagree on "" versus null, callers should not care.
        if message.content.as_deref() == Some("") {
            message.content = None;
        }
        if message.reasoning_content.as_deref() == Some("") {
            message.reasoning_content = None;
        }
    }
}

/// A deterministic id for a call the provider sent without one, so replays compare equal.
fn synthesized_call_id(seed: &str, choice: u32, call: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // Every byte of both positions: truncating them would give calls 0 and 256 one id.
    let call = u64::try_from(call).unwrap_or(u64::MAX);
    for b in seed.bytes().chain(choice.to_le_bytes()).chain(call.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("call_{h:016x}")
}
