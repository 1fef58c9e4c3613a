//! Arguments are always a JSON object string, for every family and both modes: `""`, `null`
//! and absent become `{}`, and what our own assemblers build is an object. Anything else a
//! provider sends (`true`, a number, an array, broken JSON) is kept exactly as sent, never
//! wrapped or replaced, so that the fingerprint (`arguments_parse: false`) reports it.
//!
//! Wire formats: OpenAI `tool_calls[].function.arguments`, a JSON string
//! (<https://platform.openai.com/docs/api-reference/chat/object>); Anthropic `tool_use.input`
//! and `input_json_delta` (<https://docs.anthropic.com/en/docs/build-with-claude/streaming>);
//! Gemini `functionCall.args` (<https://ai.google.dev/api/caching#FunctionCall>); Cohere v2
//! `tool_calls[].function.arguments`, a JSON string (<https://docs.cohere.com/reference/chat>).

use llm_conform_core::api::ChatCompletion;
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{
    Adapter, AnthropicAdapter, CohereAdapter, GeminiAdapter, OpenAiAdapter, ResponseHints,
};
use llm_conform_core::transport::decode_stream_bytes;
use serde_json::{Value, json};

const STREAM: ResponseHints = ResponseHints { json_tool: None, stream: true, declared_tools: None };

/// Provider arguments (a JSON value, `None` for absent) and the arguments string expected.
fn cases() -> Vec<(Option<Value>, &'static str)> {
    vec![
        (None, "{}"),
        (Some(Value::Null), "{}"),
        (Some(json!({"city": "Paris"})), r#"{"city":"Paris"}"#),
        (Some(json!(true)), "true"),
        (Some(json!(42)), "42"),
        (Some(json!([1])), "[1]"),
    ]
}

/// The same, for families whose arguments are a JSON-encoded string.
fn string_cases() -> Vec<(Option<Value>, &'static str)> {
    vec![
        (None, "{}"),
        (Some(Value::Null), "{}"),
        (Some(json!("")), "{}"),
        (Some(json!("  ")), "{}"),
        (Some(json!("null")), "{}"),
        (Some(json!(r#"{"city":"Paris"}"#)), r#"{"city":"Paris"}"#),
        (Some(json!("true")), "true"),
        (Some(json!("42")), "42"),
        (Some(json!("[1]")), "[1]"),
        (Some(json!("{oops")), "{oops"),
    ]
}

fn arguments(r: &ChatCompletion) -> &str {
    &r.message().unwrap().calls()[0].function.arguments
}

fn with(mut obj: Value, key: &str, v: &Option<Value>) -> Value {
    if let Some(v) = v {
        obj[key] = v.clone();
    }
    obj
}

fn sse(events: &[(Option<&str>, Value)], done: bool) -> Vec<u8> {
    let mut out = String::new();
    for (name, payload) in events {
        encode_event(*name, &payload.to_string(), &mut out);
    }
    if done {
        encode_event(None, "[DONE]", &mut out);
    }
    out.into_bytes()
}

#[test]
fn openai_arguments_are_an_object_or_kept_as_sent() {
    for (args, want) in string_cases() {
        let function = with(json!({"name": "f"}), "arguments", &args);
        let body = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
            "function": function}]}, "finish_reason": "tool_calls"}]});
        let r = OpenAiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(arguments(&r), want, "non-stream {args:?}");
        // Streamed: the same text cut in two deltas.
        let text = args.as_ref().and_then(Value::as_str).unwrap_or_default();
        let (a, b) = text.split_at(text.len() / 2);
        let delta = |i: Value| {
            json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"tool_calls": [i]}, "finish_reason": null}]})
        };
        let events = [
            (
                None,
                delta(with(
                    json!({"index": 0, "id": "call_1", "type": "function"}),
                    "function",
                    &Some(json!({"name": "f", "arguments": a})),
                )),
            ),
            (None, delta(json!({"index": 0, "function": {"arguments": b}}))),
            (
                None,
                json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
            ),
        ];
        let r = decode_stream_bytes(&OpenAiAdapter, &STREAM, &sse(&events, true)).result.unwrap();
        let want = if args.as_ref().is_some_and(Value::is_string) { want } else { "{}" };
        assert_eq!(arguments(&r), want, "stream {args:?}");
    }
}

#[test]
fn anthropic_arguments_are_an_object_or_kept_as_sent() {
    for (input, want) in cases() {
        let block = with(json!({"type": "tool_use", "id": "toolu_1", "name": "f"}), "input", &input);
        let body = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [block],
            "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}});
        let r = AnthropicAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(arguments(&r), want, "non-stream {input:?}");
        // Streamed with the input only in the start event (no input_json_delta follows).
        let r = anthropic_stream(with(json!({"type": "tool_use", "id": "toolu_1", "name": "f"}), "input", &input), &[]);
        assert_eq!(arguments(&r), want, "stream start {input:?}");
    }
    // Streamed in pieces after the usual `{}` placeholder.
    let start = json!({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}});
    for (pieces, want) in [
        (&[][..], "{}"),
        (&["{\"a\":", "1}"][..], r#"{"a":1}"#),
        (&["[1", "]"][..], "[1]"),
        (&["tr", "ue"][..], "true"),
    ] {
        assert_eq!(arguments(&anthropic_stream(start.clone(), pieces)), want, "{pieces:?}");
    }
}

fn anthropic_stream(block: Value, pieces: &[&str]) -> ChatCompletion {
    let mut events = vec![
        (
            Some("message_start"),
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
            "role": "assistant", "model": "m", "content": [], "usage": {"input_tokens": 1, "output_tokens": 1}}}),
        ),
        (Some("content_block_start"), json!({"type": "content_block_start", "index": 0, "content_block": block})),
    ];
    for p in pieces {
        events.push((
            Some("content_block_delta"),
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": p}}),
        ));
    }
    events.push((Some("content_block_stop"), json!({"type": "content_block_stop", "index": 0})));
    events.push((
        Some("message_delta"),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"},
        "usage": {"output_tokens": 2}}),
    ));
    events.push((Some("message_stop"), json!({"type": "message_stop"})));
    decode_stream_bytes(&AnthropicAdapter, &STREAM, &sse(&events, false)).result.unwrap()
}

#[test]
fn gemini_arguments_are_an_object_or_kept_as_sent() {
    for (args, want) in cases() {
        let call = with(json!({"name": "f"}), "args", &args);
        let body = json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": call}]},
            "finishReason": "STOP"}], "modelVersion": "m", "responseId": "r"});
        let r = GeminiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(arguments(&r), want, "non-stream {args:?}");
        let r = decode_stream_bytes(&GeminiAdapter, &STREAM, &sse(&[(None, body)], false)).result.unwrap();
        assert_eq!(arguments(&r), want, "stream {args:?}");
    }
}

#[test]
fn cohere_arguments_are_an_object_or_kept_as_sent() {
    for (args, want) in string_cases() {
        let function = with(json!({"name": "f"}), "arguments", &args);
        let body = json!({"id": "r", "message": {"role": "assistant", "tool_calls": [{"id": "f_1", "type": "function",
            "function": function}]}, "finish_reason": "TOOL_CALL", "usage": {"tokens": {"input_tokens": 1, "output_tokens": 1}}});
        let r = CohereAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(arguments(&r), want, "non-stream {args:?}");
        let text = args.as_ref().and_then(Value::as_str).unwrap_or_default();
        let (a, b) = text.split_at(text.len() / 2);
        let events = [
            (
                Some("message-start"),
                json!({"id": "r", "type": "message-start", "delta": {"message": {"role": "assistant"}}}),
            ),
            (
                Some("tool-call-start"),
                json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls":
                {"id": "f_1", "type": "function", "function": {"name": "f", "arguments": a}}}}}),
            ),
            (
                Some("tool-call-delta"),
                json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls":
                {"function": {"arguments": b}}}}}),
            ),
            (Some("tool-call-end"), json!({"type": "tool-call-end", "index": 0})),
            (Some("message-end"), json!({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL"}})),
        ];
        let r = decode_stream_bytes(&CohereAdapter, &STREAM, &sse(&events, false)).result.unwrap();
        let want = if args.as_ref().is_some_and(Value::is_string) { want } else { "{}" };
        assert_eq!(arguments(&r), want, "stream {args:?}");
    }
}
