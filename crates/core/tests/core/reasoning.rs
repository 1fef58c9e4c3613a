//! Reasoning across families: Anthropic's signed thinking blocks kept for the next turn and sent
//! back before the tool call they led to, and the OpenAI family fitted to how each model reasons
//! (reasoning effort, sampling, reasoning content in a history). The wire payloads here are
//! synthesized from the providers' documentation, not recorded.

use crate::common::spec;
use llm_conform_core::api::{ChatCompletion, ChatRequest, Message, ResponseMessage, anthropic_thinking_in};
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{Adapter, AnthropicAdapter, NativeRequest, ResponseHints};
use llm_conform_core::transport::decode_stream_bytes;
use serde_json::{Value, json};

fn req(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

fn encode(provider: &str, v: Value) -> NativeRequest {
    let s = spec(provider);
    s.family.adapter().encode(&req(v), &s, Some("k")).unwrap()
}

/// An Anthropic answer that thought (one signed block, one redacted), said something, and called
/// two tools; as a whole message and as the events that stream it.
fn thinking_answer() -> (Value, Vec<Value>) {
    let body = json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "I need the weather first.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA"},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT"},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_01B", "name": "get_time", "input": {}}
        ],
        "stop_reason": "tool_use", "usage": {"input_tokens": 20, "output_tokens": 40}});
    let events = vec![
        json!({"type": "message_start", "message": {"id": "msg_01", "model": "claude-sonnet-4-5", "usage": {"input_tokens": 20, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "I need the "}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "weather first."}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "Let me check."}}),
        json!({"type": "content_block_stop", "index": 2}),
        json!({"type": "content_block_start", "index": 3, "content_block": {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {}}}),
        json!({"type": "content_block_delta", "index": 3, "delta": {"type": "input_json_delta", "partial_json": "{\"city\":\"Paris\"}"}}),
        json!({"type": "content_block_stop", "index": 3}),
        json!({"type": "content_block_start", "index": 4, "content_block": {"type": "tool_use", "id": "toolu_01B", "name": "get_time", "input": {}}}),
        json!({"type": "content_block_stop", "index": 4}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 40}}),
        json!({"type": "message_stop"}),
    ];
    (body, events)
}

fn sse(events: &[Value]) -> Vec<u8> {
    let mut out = String::new();
    for e in events {
        encode_event(e["type"].as_str(), &e.to_string(), &mut out);
    }
    out.into_bytes()
}

fn decoded_both_ways() -> (ChatCompletion, ChatCompletion) {
    let (body, events) = thinking_answer();
    let whole = AnthropicAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let hints = ResponseHints { stream: true, ..Default::default() };
    let streamed = decode_stream_bytes(&AnthropicAdapter, &hints, &sse(&events)).result.unwrap();
    (whole, streamed)
}

/// The thinking blocks of a tool-calling turn travel on its first call, signed, in both modes
/// (<https://docs.claude.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks>).
#[test]
fn anthropic_thinking_blocks_ride_on_the_first_call_in_both_modes() {
    let (whole, streamed) = decoded_both_ways();
    for r in [&whole, &streamed] {
        let m = r.message().unwrap();
        assert_eq!(m.reasoning_content.as_deref(), Some("I need the weather first."));
        assert_eq!(m.content.as_deref(), Some("Let me check."));
        let calls = m.calls();
        assert_eq!(
            anthropic_thinking_in(calls[0].extra_content.as_ref()),
            [
                json!({"type": "thinking", "thinking": "I need the weather first.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA"}),
                json!({"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT"})
            ]
        );
        assert!(calls[1].extra_content.is_none(), "once per turn");
    }
    assert_eq!(whole.choices[0].message, streamed.choices[0].message, "a stream reassembles to the whole answer");
}

/// The decoded turn, sent back as history, starts with its thinking blocks, before its text and
/// its tool calls, as the API requires when thinking is on.
#[test]
fn anthropic_thinking_blocks_go_back_before_the_tool_use() {
    let (whole, _) = decoded_both_ways();
    let turn: Message = serde_json::from_value(serde_json::to_value(whole.message().unwrap()).unwrap()).unwrap();
    let mut history = vec![json!({"role": "user", "content": "Weather and time in Paris?"})];
    history.push(serde_json::to_value(&turn).unwrap());
    history.push(json!({"role": "tool", "tool_call_id": "toolu_01A", "content": "sunny"}));
    history.push(json!({"role": "tool", "tool_call_id": "toolu_01B", "content": "noon"}));
    let body = encode("anthropic", json!({"model": "claude-sonnet-4-5", "messages": history,
        "tools": [{"type": "function", "function": {"name": "get_weather"}}, {"type": "function", "function": {"name": "get_time"}}]}))
    .body;
    let kinds: Vec<&str> =
        body["messages"][1]["content"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["thinking", "redacted_thinking", "text", "tool_use", "tool_use"]);
    assert_eq!(body["messages"][1]["content"][0]["signature"], "EqQBCgIYAhIM1gbcDa9GJwZA");

    // The same turn elsewhere: nothing Anthropic's leaks into another API.
    let body = encode("openai", json!({"model": "gpt-4.1-mini", "messages": [history[0].clone(), history[1].clone(), history[2].clone(), history[3].clone()]})).body;
    assert!(!body.to_string().contains("thinking_blocks"), "{body}");
}

/// A response message with thinking round-trips through JSON as a request message.
#[test]
fn a_response_message_is_a_valid_history_message() {
    let (whole, _) = decoded_both_ways();
    let v = serde_json::to_value(whole.message().unwrap()).unwrap();
    let back: ResponseMessage = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(&back, whole.message().unwrap());
    assert!(serde_json::from_value::<Message>(v).is_ok());
}

/// Models that do not reason reject `reasoning_effort`; OpenAI's reasoning models take only the
/// default sampling (<https://platform.openai.com/docs/guides/reasoning>).
#[test]
fn openai_requests_fit_how_the_model_reasons() {
    let n = encode(
        "openai",
        json!({"model": "gpt-4.1-nano", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "low", "temperature": 0.2}),
    );
    assert!(n.body.get("reasoning_effort").is_none());
    assert_eq!(n.body["temperature"], 0.2);
    assert!(n.notes.iter().any(|x| x.contains("left out `reasoning_effort`")), "{:?}", n.notes);

    let n = encode(
        "openai",
        json!({"model": "o4-mini", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "low", "temperature": 0.2, "top_p": 1.0, "max_tokens": 100}),
    );
    assert_eq!(n.body["reasoning_effort"], "low");
    assert!(n.body.get("temperature").is_none());
    assert_eq!(n.body["top_p"], 1.0, "the default is the one value such models take");
    assert_eq!(n.body["max_completion_tokens"], 100);
    assert!(n.body.get("max_tokens").is_none());
    assert!(n.notes.iter().any(|x| x.contains("left out `temperature` (0.2)")), "{:?}", n.notes);
}

fn tool_history(reasoning: Option<&str>) -> Value {
    let mut assistant = json!({"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]});
    if let Some(r) = reasoning {
        assistant["reasoning_content"] = json!(r);
    }
    json!([{"role": "user", "content": "Weather?"}, assistant, {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}])
}

/// DeepSeek's thinking mode wants `reasoning_content` back on every tool-call turn; APIs that do
/// not know the field get the history without it
/// (<https://api-docs.deepseek.com/guides/thinking_mode>).
#[test]
fn reasoning_content_goes_back_only_where_the_api_takes_it() {
    let tools = json!([{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}]);
    let d = encode(
        "deepseek",
        json!({"model": "deepseek-chat", "messages": tool_history(Some("need the tool")), "tools": tools}),
    );
    assert_eq!(d.body["messages"][1]["reasoning_content"], "need the tool");
    let o = encode(
        "openai",
        json!({"model": "gpt-4.1-mini", "messages": tool_history(Some("need the tool")), "tools": tools}),
    );
    assert!(o.body["messages"][1].get("reasoning_content").is_none());
    assert!(o.notes.iter().any(|n| n.contains("`reasoning_content` of 1 earlier")), "{:?}", o.notes);

    // A turn from elsewhere has no reasoning: in thinking mode it goes with an empty one.
    let r = encode("deepseek", json!({"model": "deepseek-reasoner", "messages": tool_history(None), "tools": tools}));
    assert_eq!(r.body["messages"][1]["reasoning_content"], "");
    assert!(r.notes.iter().any(|n| n.contains("empty `reasoning_content`")), "{:?}", r.notes);
    let c = encode("deepseek", json!({"model": "deepseek-chat", "messages": tool_history(None), "tools": tools}));
    assert!(c.body["messages"][1].get("reasoning_content").is_none(), "not in thinking mode");
    let t = encode(
        "deepseek",
        json!({"model": "deepseek-chat", "messages": tool_history(None), "tools": tools, "thinking": {"type": "enabled"}}),
    );
    assert_eq!(t.body["messages"][1]["reasoning_content"], "");
}

/// `thinking` in the canonical request reaches Anthropic as it is; the decoder needs no hint.
#[test]
fn anthropic_thinking_passes_through() {
    let b = encode(
        "anthropic",
        json!({"model": "claude-sonnet-4-5", "max_tokens": 2048, "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 1024}}),
    )
    .body;
    assert_eq!(b["thinking"], json!({"type": "enabled", "budget_tokens": 1024}));
}

/// Thinking blocks come from the wire: at most 64 are kept for the next turn, whole or streamed.
#[test]
fn thinking_blocks_kept_for_the_next_turn_are_bounded() {
    let mut content: Vec<Value> =
        (0..100).map(|i| json!({"type": "redacted_thinking", "data": format!("opaque{i}")})).collect();
    content.push(json!({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}));
    let body = json!({"id": "m", "type": "message", "content": content, "stop_reason": "tool_use"});
    let whole = AnthropicAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let mut events = vec![json!({"type": "message_start", "message": {"id": "m"}})];
    for (i, b) in body["content"].as_array().unwrap().iter().enumerate() {
        events.push(json!({"type": "content_block_start", "index": i, "content_block": b}));
        events.push(json!({"type": "content_block_stop", "index": i}));
    }
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}));
    let hints = ResponseHints { stream: true, ..Default::default() };
    let streamed = decode_stream_bytes(&AnthropicAdapter, &hints, &sse(&events)).result.unwrap();
    for r in [whole, streamed] {
        let kept = anthropic_thinking_in(r.message().unwrap().calls()[0].extra_content.as_ref()).len();
        assert_eq!(kept, 64);
    }
}
