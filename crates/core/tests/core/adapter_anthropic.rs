//! The Anthropic Messages wire family on genuine payloads, the encoding rules on hard inputs,
//! and error classification.

use std::time::Duration;

use crate::common::{sample, spec, sse_from_chunks};
use llm_conform_core::api::{ChatCompletion, ChatRequest, ErrorKind, FinishReason};
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{Adapter, AnthropicAdapter, NativeRequest, ResponseHints};
use llm_conform_core::transport::{StreamResult, decode_stream_bytes};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

const SAMPLES: &[&str] = &[
    "anthropic/anthropic-text.json",
    "anthropic/anthropic-tool-no-args.json",
    "anthropic/anthropic-json-tool.1.json",
    "anthropic/anthropic-refusal.json",
];

const STREAM_SAMPLES: &[&str] = &[
    "anthropic/anthropic-text.chunks.txt",
    "anthropic/anthropic-tool-no-args.chunks.txt",
    "anthropic/anthropic-json-tool.1.chunks.txt",
];

fn json_hint() -> ResponseHints {
    ResponseHints { json_tool: Some("json".into()), ..Default::default() }
}

fn stream_hint(json: bool) -> ResponseHints {
    ResponseHints { stream: true, json_tool: json.then(|| "json".to_string()), ..Default::default() }
}

fn decode(rel: &str, hints: &ResponseHints) -> ChatCompletion {
    AnthropicAdapter.decode(&sample(rel), hints).unwrap()
}

fn stream(rel: &str, json: bool) -> StreamResult {
    decode_stream_bytes(&AnthropicAdapter, &stream_hint(json), &sse_from_chunks(rel, true, false))
}

fn args(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn req(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

fn encode(v: Value) -> NativeRequest {
    AnthropicAdapter.encode(&req(v), &spec("anthropic"), Some("sk-ant-test")).unwrap()
}

fn body(v: Value) -> Value {
    encode(v).body.into()
}

fn encode_err(v: Value) -> String {
    AnthropicAdapter.encode(&req(v), &spec("anthropic"), None).unwrap_err().to_string()
}

/// A request with `messages` and the usual model.
fn msgs(messages: Value) -> Value {
    json!({"model": "claude-haiku-4-5", "messages": messages})
}

fn weather_tool() -> Value {
    json!({"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})
}

// ---------- genuine bodies ----------

#[test]
fn text_body() {
    let r = decode("anthropic/anthropic-text.json", &ResponseHints::default());
    let m = r.message().unwrap();
    assert_eq!(
        m.content.as_deref(),
        Some(
            "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?"
        )
    );
    assert_eq!(m.tool_calls, None);
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!((r.id.as_str(), r.model.as_str()), ("msg_01VdEjxAP5ahtHKrrRdNBteQ", "claude-sonnet-4-5-20250929"));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens()), (12, 29, 41, 0));
}

#[test]
fn tool_call_without_arguments_body() {
    let r = decode("anthropic/anthropic-tool-no-args.json", &ResponseHints::default());
    let m = r.message().unwrap();
    assert!(m.content.as_deref().unwrap().ends_with("Okay, I will update the current issue list:"));
    assert_eq!(m.calls().len(), 1);
    let c = &m.calls()[0];
    assert_eq!((c.id.as_str(), c.function.name.as_str()), ("toolu_01LRmxn9vGM1d2DZSDBowdZ1", "updateIssueList"));
    assert_eq!(c.function.arguments, "{}");
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (602, 93));
}

#[test]
fn json_tool_body_with_and_without_hint() {
    let plain = decode("anthropic/anthropic-json-tool.1.json", &ResponseHints::default());
    let m = plain.message().unwrap();
    assert_eq!(m.content, None);
    assert_eq!(m.calls()[0].function.name, "json");
    assert_eq!(args(&m.calls()[0].function.arguments)["elements"].as_array().unwrap().len(), 4);
    assert_eq!(plain.finish_reason(), Some(FinishReason::ToolCalls));

    let r = decode("anthropic/anthropic-json-tool.1.json", &json_hint());
    let m = r.message().unwrap();
    assert_eq!(m.tool_calls, None, "the json tool call is the content, not a call");
    let content = args(m.content.as_deref().unwrap());
    let elements = content["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 4);
    assert_eq!(elements[3], json!({"location": "Berlin", "temperature": -9, "condition": "snowy"}));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(r.usage.unwrap().prompt_tokens, 1151);
}

#[test]
fn refusal_body_is_content_filter_without_content() {
    let r = decode("anthropic/anthropic-refusal.json", &ResponseHints::default());
    let m = r.message().unwrap();
    assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter));
    assert_eq!((m.content.as_deref(), m.tool_calls.as_ref()), (None, None));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (18, 5));
}

#[test]
fn thinking_blocks_cache_usage_and_unknown_blocks() {
    let body = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "Part one. "},
            {"type": "text", "text": "Part two.", "citations": null}
        ],
        "stop_reason": "max_tokens",
        "usage": {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 5}
    });
    let r = AnthropicAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("Part one. Part two."));
    assert_eq!(m.reasoning_content.as_deref(), Some("Let me think."));
    assert_eq!(m.tool_calls, None, "server tools are not the caller's calls");
    assert_eq!(r.finish_reason(), Some(FinishReason::Length));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.cached_tokens(), u.completion_tokens), (115, 100, 20));
    assert_eq!(u.prompt_tokens_details.unwrap().cache_write_tokens, Some(5));

    for (reason, want) in [
        ("end_turn", FinishReason::Stop),
        ("stop_sequence", FinishReason::Stop),
        ("pause_turn", FinishReason::Stop),
        ("tool_use", FinishReason::ToolCalls),
        ("refusal", FinishReason::ContentFilter),
    ] {
        let b = json!({"type": "message", "content": [{"type": "text", "text": "x"}], "stop_reason": reason});
        let r = AnthropicAdapter.decode(b.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(r.finish_reason(), Some(want), "{reason}");
    }
}

#[test]
fn error_body_and_wrong_shapes() {
    let body = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    let e = AnthropicAdapter.decode(body, &ResponseHints::default()).unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Overloaded, "Overloaded"));

    let e = AnthropicAdapter.decode(br#"{"type":"message","content":"hi"}"#, &ResponseHints::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("`content`"), "{}", e.message);
    let e = AnthropicAdapter.decode(b"{}", &ResponseHints::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("content"), "{}", e.message);
}

// ---------- genuine streams ----------

#[test]
fn text_stream() {
    let s = stream("anthropic/anthropic-text.chunks.txt", false);
    assert_eq!(s.chunks[0].choices[0].delta.role.as_deref(), Some("assistant"));
    assert_eq!(s.chunks.iter().filter(|c| c.usage.is_some()).count(), 1, "exactly one usage chunk");
    assert!(s.chunks.last().unwrap().choices.is_empty(), "usage chunk comes last, without choices");
    let r = s.result.unwrap();
    assert_eq!(
        r.message().unwrap().content.as_deref(),
        Some(
            "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?"
        )
    );
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(r.id, "msg_01QC4g3HwBThD4BaNtBckFDJ");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (12, 30));
}

#[test]
fn tool_call_without_arguments_stream() {
    let s = stream("anthropic/anthropic-tool-no-args.chunks.txt", false);
    let tool_pieces: Vec<_> = s.chunks.iter().flat_map(|c| &c.choices).flat_map(|c| &c.delta.tool_calls).collect();
    assert!(tool_pieces.iter().all(|t| t.index == 0), "call index counts tool_use blocks, not content blocks");
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("I'll update the issue list for you."));
    assert_eq!(m.calls().len(), 1);
    let c = &m.calls()[0];
    assert_eq!((c.id.as_str(), c.function.name.as_str()), ("toolu_01QE1WLsSVp5hy5Q3GmGTmjP", "updateIssueList"));
    assert_eq!(c.function.arguments, "{}");
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (565, 48));
}

#[test]
fn json_tool_stream_with_and_without_hint() {
    let r = stream("anthropic/anthropic-json-tool.1.chunks.txt", true).result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.tool_calls, None);
    let content = args(m.content.as_deref().unwrap());
    assert_eq!(content["elements"], json!([{"location": "San Francisco", "temperature": 58, "condition": "sunny"}]));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (849, 47));

    let r = stream("anthropic/anthropic-json-tool.1.chunks.txt", false).result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.calls()[0].function.name, "json");
    assert_eq!(args(&m.calls()[0].function.arguments)["elements"][0]["temperature"], 58);
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
}

#[test]
fn json_hint_stream_reassembles_to_what_decode_gives() {
    let start = json!({"type": "message_start", "message": {"id": "m", "model": "c", "content": [], "usage": {"input_tokens": 9}}});
    let text = |i: u64, t: &str| {
        [
            json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": t}}),
            json!({"type": "content_block_stop", "index": i}),
        ]
    };
    let end = |reason: &str| {
        [
            json!({"type": "message_delta", "delta": {"stop_reason": reason}, "usage": {"output_tokens": 4}}),
            json!({"type": "message_stop"}),
        ]
    };

    // text, then the json tool: the content is the JSON alone, in both paths
    let mut events = vec![start.clone()];
    events.extend(text(0, "Here you go:"));
    events.extend([
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_j", "name": "json", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\":1}"}}),
        json!({"type": "content_block_stop", "index": 1}),
    ]);
    events.extend(end("tool_use"));
    let streamed = decode_stream_bytes(&AnthropicAdapter, &stream_hint(true), &wire(&events)).result.unwrap();
    let body = json!({"id": "m", "model": "c", "type": "message", "stop_reason": "tool_use",
        "content": [{"type": "text", "text": "Here you go:"}, {"type": "tool_use", "id": "toolu_j", "name": "json", "input": {"a": 1}}],
        "usage": {"input_tokens": 9, "output_tokens": 4}});
    let decoded = AnthropicAdapter.decode(body.to_string().as_bytes(), &json_hint()).unwrap();
    assert_eq!(streamed, decoded);
    assert_eq!(decoded.message().unwrap().content.as_deref(), Some("{\"a\":1}"));
    assert_eq!(decoded.finish_reason(), Some(FinishReason::Stop));

    // the model answered in text instead: the text is released at the finish
    let mut events = vec![start];
    events.extend(text(0, "I cannot produce that."));
    events.extend(end("end_turn"));
    let s = decode_stream_bytes(&AnthropicAdapter, &stream_hint(true), &wire(&events));
    let r = s.result.unwrap();
    assert_eq!(r.message().unwrap().content.as_deref(), Some("I cannot produce that."));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
}

#[test]
fn payload_type_wins_over_the_sse_event_name() {
    let want = stream("anthropic/anthropic-tool-no-args.chunks.txt", false).result.unwrap();
    for name in [None, Some("message")] {
        let text = String::from_utf8(sample("anthropic/anthropic-tool-no-args.chunks.txt")).unwrap();
        let mut wire = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            encode_event(name, line, &mut wire);
        }
        let got = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), wire.as_bytes()).result.unwrap();
        assert_eq!(got, want, "event name {name:?}");
    }
}

/// Frames payloads as Anthropic does, `event:` named after each payload's type.
fn wire(events: &[Value]) -> Vec<u8> {
    let mut out = String::new();
    for e in events {
        encode_event(e["type"].as_str(), &e.to_string(), &mut out);
    }
    out.into_bytes()
}

#[test]
fn parallel_calls_thinking_and_cache_usage_stream() {
    let events = [
        json!({"type": "message_start", "message": {"id": "msg_p", "model": "claude-sonnet-4-5", "content": [],
            "usage": {"input_tokens": 3, "cache_read_input_tokens": 200, "cache_creation_input_tokens": 0, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Two cities."}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "abc"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {}}}),
        json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {}}}),
        json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\":"}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Paris\"}"}}),
        json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "\"Rome\"}"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "content_block_stop", "index": 2}),
        json!({"type": "some_future_event", "data": 1}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 40}}),
        json!({"type": "message_stop"}),
    ];
    let s = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), &wire(&events));
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.reasoning_content.as_deref(), Some("Two cities."));
    let calls: Vec<_> = m.calls().iter().map(|c| (c.id.as_str(), args(&c.function.arguments))).collect();
    assert_eq!(calls, vec![("toolu_a", json!({"city": "Paris"})), ("toolu_b", json!({"city": "Rome"}))]);
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.cached_tokens(), u.completion_tokens), (203, 200, 40));
}

#[test]
fn stream_finishes_on_stop_reason_even_without_message_stop() {
    let events = [
        json!({"type": "message_start", "message": {"id": "m", "model": "c", "content": [], "usage": {"input_tokens": 5}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": "Hi"}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " there"}}),
        json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 2}}),
    ];
    let r = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), &wire(&events)).result.unwrap();
    assert_eq!(r.message().unwrap().content.as_deref(), Some("Hi there"));
    assert_eq!(r.finish_reason(), Some(FinishReason::Length));
    assert_eq!(r.usage.unwrap().prompt_tokens, 5);
}

#[test]
fn mid_stream_error_event_is_an_error() {
    let events = [
        json!({"type": "message_start", "message": {"id": "m", "model": "c", "content": [], "usage": {"input_tokens": 5}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ];
    let s = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), &wire(&events));
    let e = s.result.unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Overloaded, "Overloaded"));
    assert_eq!(e.provider_code.as_deref(), Some("overloaded_error"));
}

#[test]
fn stream_cut_after_a_delta_is_a_connection_error() {
    let bytes = sse_from_chunks("anthropic/anthropic-text.chunks.txt", true, false);
    let text = String::from_utf8(bytes).unwrap();
    let cut = text.find("event: content_block_stop").unwrap();
    let s = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), &text.as_bytes()[..cut]);
    assert_eq!(s.result.unwrap_err().kind, ErrorKind::Connection);
    assert!(s.chunks.iter().any(|c| c.has_output()), "the text before the cut was decoded");
}

#[test]
fn arguments_for_a_block_that_never_started_are_malformed() {
    let events = [
        json!({"type": "message_start", "message": {"id": "m", "model": "c", "content": []}}),
        json!({"type": "content_block_delta", "index": 4, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
    ];
    let e = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), &wire(&events)).result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("content block 4"), "{}", e.message);
}

// ---------- encode ----------

#[test]
fn url_headers_and_stream_flag() {
    let n = encode(json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Hi"}]}));
    assert_eq!(n.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(n.header_value("x-api-key"), Some("sk-ant-test"));
    assert_eq!(n.header_value("anthropic-version"), Some("2023-06-01"));
    assert_eq!(n.header_value("accept"), None);
    assert!(!n.hints.stream && n.hints.json_tool.is_none());
    assert_eq!(n.body.get("stream"), None);
    assert_eq!(n.body["model"], "claude-haiku-4-5");
    assert_eq!(n.body["messages"], json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]));

    let n = encode(json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}));
    assert_eq!(n.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(n.body["stream"], true);
    assert!(n.hints.stream);
    assert_eq!(n.header_value("accept"), Some("text/event-stream"));
}

#[test]
fn system_prompts_in_every_position() {
    let user = json!({"role": "user", "content": "Hi"});
    let text = |t: &str| json!({"type": "text", "text": t});

    // none
    let b = body(msgs(json!([user])));
    assert_eq!(b.get("system"), None);

    // leading, several leading, developer
    let b = body(msgs(json!([{"role": "system", "content": "Be brief."}, user])));
    assert_eq!(b["system"], json!([text("Be brief.")]));
    let b = body(msgs(json!([
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Answer in French."},
        user
    ])));
    assert_eq!(b["system"], json!([text("Be brief."), text("Answer in French.")]));
    assert_eq!(b["messages"].as_array().unwrap().len(), 1);

    // as content parts, blank parts dropped
    let b = body(msgs(json!([
        {"role": "system", "content": [{"type": "text", "text": "One."}, {"type": "text", "text": "  "}, {"type": "text", "text": "Two."}]},
        user
    ])));
    assert_eq!(b["system"], json!([text("One.\nTwo.")]));

    // empty and whitespace-only: no system at all
    let b = body(msgs(json!([{"role": "system", "content": ""}, {"role": "developer", "content": " \n\t"}, user])));
    assert_eq!(b.get("system"), None);
    assert_eq!(b["messages"], json!([{"role": "user", "content": [text("Hi")]}]));

    // in the middle: in place, as a user turn, merged with the next user message
    let b = body(msgs(json!([
        {"role": "system", "content": "Be brief."},
        user,
        {"role": "assistant", "content": "Hello!"},
        {"role": "system", "content": "From now on, answer in French."},
        {"role": "user", "content": "How are you?"}
    ])));
    assert_eq!(b["system"], json!([text("Be brief.")]));
    assert_eq!(
        b["messages"],
        json!([
            {"role": "user", "content": [text("Hi")]},
            {"role": "assistant", "content": [text("Hello!")]},
            {"role": "user", "content": [text("<system>\nFrom now on, answer in French.\n</system>"), text("How are you?")]}
        ])
    );

    // a blank system message in the middle contributes nothing
    let b =
        body(msgs(json!([user, {"role": "assistant", "content": "Hello!"}, {"role": "developer", "content": "  "}])));
    assert_eq!(b["messages"].as_array().unwrap().len(), 2);

    // after a tool result: the result comes first in the merged user turn
    let b = body(json!({"model": "m", "tools": [weather_tool()], "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {"role": "system", "content": "Use Celsius."}
    ]}));
    let last = &b["messages"][2];
    assert_eq!(last["role"], "user");
    assert_eq!(
        last["content"],
        json!([
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            text("<system>\nUse Celsius.\n</system>")
        ])
    );

    // images are not instructions
    let e = encode_err(msgs(json!([
        {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}, user
    ])));
    assert!(e.contains("message 0") && e.contains("only contain text"), "{e}");
}

#[test]
fn empty_messages_are_dropped_and_same_roles_merged() {
    let b = body(msgs(json!([
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "   "},
        {"role": "user", "content": [{"type": "text", "text": " "}]},
        {"role": "assistant", "content": "How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
        {"role": "user", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "A short one."}]}
    ])));
    assert_eq!(
        b["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "How can I help?"}]},
            {"role": "user", "content": [{"type": "text", "text": "Tell me a joke."}, {"type": "text", "text": "A short one."}]}
        ])
    );

    let e = encode_err(msgs(json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": " "}])));
    assert!(e.contains("no message"), "{e}");
}

#[test]
fn final_assistant_prefill_is_trimmed() {
    let b = body(msgs(json!([{"role": "user", "content": "List"}, {"role": "assistant", "content": "1. \n"}])));
    assert_eq!(b["messages"][1]["content"], json!([{"type": "text", "text": "1."}]));
    // not the final message: kept as sent
    let b = body(msgs(json!([
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b \n"}, {"role": "user", "content": "c"}
    ])));
    assert_eq!(b["messages"][1]["content"][0]["text"], "b \n");
}

#[test]
fn assistant_tool_calls_and_results() {
    // tool_calls: [] is no calls
    let b = body(msgs(json!([
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "tool_calls": []}, {"role": "user", "content": "?"}
    ])));
    assert_eq!(b["messages"][1]["content"], json!([{"type": "text", "text": "Hello"}]));

    // parallel calls, then their results in one user turn
    let b = body(json!({"model": "m", "tools": [weather_tool()], "messages": [
        {"role": "user", "content": "Paris and Rome?"},
        {"role": "assistant", "content": "Checking both.", "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "functions.get_weather:1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ]},
        {"role": "tool", "tool_call_id": "call_a", "content": "18C"},
        {"role": "tool", "tool_call_id": "functions.get_weather:1", "content": [{"type": "text", "text": "21C"}]},
        {"role": "user", "content": "Thanks, and tomorrow?"}
    ]}));
    let m = b["messages"].as_array().unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(
        m[1]["content"],
        json!([
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "functions_get_weather_1", "name": "get_weather", "input": {}}
        ])
    );
    assert_eq!(
        m[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_a", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "functions_get_weather_1", "content": "21C"},
            {"type": "text", "text": "Thanks, and tomorrow?"}
        ]})
    );

    // an empty tool result is sent without content
    let b = body(json!({"model": "m", "messages": [
        {"role": "user", "content": "Go"},
        {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "ping", "arguments": "null"}}]},
        {"role": "tool", "tool_call_id": "t1", "content": ""}
    ]}));
    assert_eq!(b["messages"][1]["content"][0]["input"], json!({}));
    assert_eq!(b["messages"][2]["content"], json!([{"type": "tool_result", "tool_use_id": "t1"}]));

    // invalid arguments name the message
    let e = encode_err(json!({"model": "m", "messages": [
        {"role": "user", "content": "Go"},
        {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "ping", "arguments": "{\"a\":"}}]}
    ]}));
    assert!(e.contains("message 1") && e.contains("ping") && e.contains("not valid json"), "{e}");
    let e = encode_err(json!({"model": "m", "messages": [
        {"role": "user", "content": "Go"},
        {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "ping", "arguments": "[1,2]"}}]}
    ]}));
    assert!(e.contains("message 1") && e.contains("not a json object"), "{e}");
    let e = encode_err(json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}));
    assert!(e.contains("message 0") && e.contains("tool_call_id"), "{e}");
}

#[test]
fn tools_and_tool_choice() {
    let base = |extra: Value| {
        let mut r = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
            "tools": [weather_tool(), {"type": "function", "function": {"name": "now"}}]});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        body(r)
    };
    let b = base(json!({}));
    assert_eq!(
        b["tools"],
        json!([
            {"name": "get_weather", "description": "Weather in a city",
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now", "input_schema": {"type": "object", "properties": {}}}
        ])
    );
    assert_eq!(b.get("tool_choice"), None);

    assert_eq!(base(json!({"tool_choice": "auto"}))["tool_choice"], json!({"type": "auto"}));
    assert_eq!(base(json!({"tool_choice": "required"}))["tool_choice"], json!({"type": "any"}));
    assert_eq!(base(json!({"tool_choice": "none"}))["tool_choice"], json!({"type": "none"}));
    assert_eq!(
        base(json!({"tool_choice": {"type": "function", "function": {"name": "get_weather"}}}))["tool_choice"],
        json!({"type": "tool", "name": "get_weather"})
    );
    assert_eq!(
        base(json!({"parallel_tool_calls": false}))["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        base(json!({"parallel_tool_calls": false, "tool_choice": "required"}))["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(base(json!({"parallel_tool_calls": true}))["tool_choice"], Value::Null);

    // no tools: no tool_choice either
    let b = body(
        json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "tool_choice": "required", "tools": []}),
    );
    assert_eq!((b.get("tools"), b.get("tool_choice")), (None, None));
}

#[test]
fn json_schema_goes_through_a_forced_json_tool() {
    let schema = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "forecast": {"type": "object", "properties": {
                "days": {"type": "array", "items": {"type": "object", "properties": {"t": {"type": "number"}}, "additionalProperties": false}}
            }, "required": ["days"], "additionalProperties": false}
        },
        "required": ["city", "forecast"],
        "additionalProperties": false
    });
    let n = encode(json!({"model": "m", "messages": [{"role": "user", "content": "Forecast"}],
        "tools": [weather_tool()], "tool_choice": "auto",
        "response_format": {"type": "json_schema", "json_schema": {"name": "forecast", "strict": true, "schema": schema}}}));
    assert_eq!(n.hints.json_tool.as_deref(), Some("json"));
    let tools = n.body["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2);
    assert_eq!(tools[1]["name"], "json");
    assert_eq!(tools[1]["input_schema"], schema, "schema passed through untouched");
    assert_eq!(n.body["tool_choice"], json!({"type": "tool", "name": "json"}));

    let n = encode(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}),
    );
    assert_eq!(n.body["tools"][0]["input_schema"], json!({"type": "object"}));
    assert_eq!(n.body["tool_choice"], json!({"type": "tool", "name": "json"}));
    assert_eq!(n.hints.json_tool.as_deref(), Some("json"));

    let n = encode(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "text"}}),
    );
    assert_eq!((n.body.get("tools"), n.hints.json_tool.as_deref()), (None, None));

    let e = encode_err(json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "json"}}], "response_format": {"type": "json_object"}}));
    assert!(e.contains("json"), "{e}");
}

#[test]
fn sampling_stop_user_seed_and_max_tokens() {
    let b = body(json!({"model": "claude-3-5-haiku-latest", "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.2, "top_p": 0.9, "stop": ["END", " ", "STOP"], "seed": 7, "user": "u-42",
        "top_k": 5, "logprobs": true}));
    assert_eq!(b["temperature"], 0.2);
    assert_eq!(b["top_p"], 0.9);
    assert_eq!(b["stop_sequences"], json!(["END", "STOP"]));
    assert_eq!(b["metadata"], json!({"user_id": "u-42"}));
    assert_eq!(b["top_k"], 5);
    assert_eq!((b.get("seed"), b.get("logprobs"), b.get("stop"), b.get("user")), (None, None, None, None));
    assert_eq!(b["max_tokens"], 4096, "catalog default");

    let b = body(json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stop": "END"}));
    assert_eq!(b["stop_sequences"], json!(["END"]));
    let b = body(json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 50}));
    assert_eq!(b["max_tokens"], 50);
    let b = body(
        json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "max_completion_tokens": 100, "max_tokens": 50}),
    );
    assert_eq!(b["max_tokens"], 100);

    let mut s = spec("anthropic");
    let r = req(json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]}));
    s.quirks.default_max_tokens = Some(1000);
    assert_eq!(AnthropicAdapter.encode(&r, &s, None).unwrap().body["max_tokens"], 1000);
    s.quirks.default_max_tokens = None;
    assert_eq!(AnthropicAdapter.encode(&r, &s, None).unwrap().body["max_tokens"], 4096);

    let e = encode_err(json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "n": 2}));
    assert!(e.contains("n = 2"), "{e}");
}

#[test]
fn image_and_document_parts() {
    let b = body(msgs(json!([{"role": "user", "content": [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}},
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}}
    ]}])));
    assert_eq!(
        b["messages"][0]["content"],
        json!([
            {"type": "text", "text": "What is in these?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}}
        ])
    );
    let e = encode_err(msgs(
        json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/a.png"}}]}]),
    ));
    assert!(e.contains("message 0"), "{e}");
    let e = encode_err(msgs(
        json!([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}]}]),
    ));
    assert!(e.contains("audio"), "{e}");
}

// ---------- errors ----------

fn classify(status: u16, headers: &HeaderMap, body: &str) -> llm_conform_core::api::ProviderError {
    AnthropicAdapter.classify_error(status, headers, body.as_bytes())
}

fn anthropic_error(kind: &str, message: &str) -> String {
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011"}).to_string()
}

#[test]
fn error_classification() {
    let none = HeaderMap::new();
    let e = classify(529, &none, &anthropic_error("overloaded_error", "Overloaded"));
    assert_eq!(
        (e.kind, e.status, e.provider_code.as_deref()),
        (ErrorKind::Overloaded, Some(529), Some("overloaded_error"))
    );
    assert_eq!(e.message, "Overloaded");

    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_static("7"));
    let e = classify(
        429,
        &h,
        &anthropic_error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    );
    assert_eq!((e.kind, e.retry_after), (ErrorKind::RateLimited, Some(Duration::from_secs(7))));

    let e = classify(
        400,
        &none,
        &anthropic_error("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    );
    assert_eq!(e.kind, ErrorKind::ContextLengthExceeded);
    let e = classify(
        400,
        &none,
        &anthropic_error("invalid_request_error", "messages: text content blocks must be non-empty"),
    );
    assert_eq!(e.kind, ErrorKind::InvalidRequest);

    for (status, kind, want) in [
        (401, "authentication_error", ErrorKind::Authentication),
        (403, "permission_error", ErrorKind::PermissionDenied),
        (404, "not_found_error", ErrorKind::NotFound),
        (413, "request_too_large", ErrorKind::InvalidRequest),
        (500, "api_error", ErrorKind::ServerError),
    ] {
        let e = classify(status, &none, &anthropic_error(kind, "something"));
        assert_eq!(e.kind, want, "{kind}");
        assert_eq!(e.provider_code.as_deref(), Some(kind));
    }

    let e = classify(502, &none, "<html><body><h1>502 Bad Gateway</h1></body></html>");
    assert_eq!(e.kind, ErrorKind::ServerError);
    assert!(e.message.contains("502 Bad Gateway"), "{}", e.message);
    let e = classify(529, &none, "");
    assert_eq!(e.kind, ErrorKind::Overloaded);
}

// ---------- robustness ----------

#[test]
fn no_prefix_of_any_sample_panics() {
    for rel in SAMPLES {
        let body = sample(rel);
        for cut in 0..=body.len() {
            let _ = AnthropicAdapter.decode(&body[..cut], &ResponseHints::default());
            let _ = AnthropicAdapter.decode(&body[..cut], &json_hint());
        }
    }
    for rel in STREAM_SAMPLES {
        let wire = sse_from_chunks(rel, true, false);
        for cut in 0..=wire.len() {
            let _ = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), &wire[..cut]);
            let _ = decode_stream_bytes(&AnthropicAdapter, &stream_hint(true), &wire[..cut]);
        }
        // every single-line data payload cut short, still framed as a whole event
        let text = String::from_utf8(sample(rel)).unwrap();
        for line in text.lines() {
            for cut in (0..line.len()).filter(|c| line.is_char_boundary(*c)) {
                let mut framed = String::new();
                encode_event(None, &line[..cut], &mut framed);
                let _ = decode_stream_bytes(&AnthropicAdapter, &stream_hint(true), framed.as_bytes());
            }
        }
    }
}

// --- server tools, sampling, structured outputs --------------------------------------------

/// Tools Anthropic runs itself stream `input_json_delta` like client tools (server tools, MCP);
/// they are not tool calls for the caller, and the text around them is the content, in both
/// modes. Genuine MCP recording (stream and body).
/// <https://docs.claude.com/en/docs/agents-and-tools/mcp-connector>
#[test]
fn mcp_tool_blocks_are_not_tool_calls_in_streams_or_bodies() {
    let r = decode("anthropic/anthropic-mcp.1.json", &ResponseHints::default());
    let m = r.message().unwrap();
    assert!(m.tool_calls.is_none(), "{m:?}");
    assert!(m.content.as_deref().unwrap().starts_with("The echo tool responded back with"));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));

    let s = stream("anthropic/anthropic-mcp.1.chunks.txt", false);
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert!(m.tool_calls.is_none(), "{m:?}");
    assert_eq!(
        m.content.as_deref(),
        Some(
            "The echo tool responded back with: **hello world**\n\nIt simply echoed back the exact message that was sent to it."
        )
    );
    assert_eq!(r.usage.unwrap().prompt_tokens, 1250);
}

/// A web search stream in Anthropic's documented shape: `server_tool_use` with streamed input,
/// a `web_search_tool_result`, then text; and a `pause_turn` stop, which ends the turn as a stop.
/// Wire-accurate synthesized events (field names from the web search tool reference; encrypted
/// content shortened).
/// <https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool>
#[test]
fn web_search_server_tool_stream_is_text_not_a_tool_call() {
    let events = [
        json!({"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01LHpEgU4KbfgXGVi3UtHQY1","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2037,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}),
        json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me search. "}}),
        json!({"type":"content_block_stop","index":0}),
        json!({"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srvtoolu_01Bj5uzzLcYG5hfueSLcDH8k","name":"web_search","input":{}}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"t"}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ech news\"}"}}),
        json!({"type":"content_block_stop","index":1}),
        json!({"type":"content_block_start","index":2,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01Bj5uzzLcYG5hfueSLcDH8k","content":[{"type":"web_search_result","title":"AI News","url":"https://example.com/news","encrypted_content":"ErkeCioICBgCIiRiY2Jj","page_age":null}]}}),
        json!({"type":"content_block_stop","index":2}),
        json!({"type":"content_block_start","index":3,"content_block":{"type":"text","text":""}}),
        json!({"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"Here is today's news."}}),
        json!({"type":"content_block_stop","index":3}),
        json!({"type":"message_delta","delta":{"stop_reason":"pause_turn","stop_sequence":null},"usage":{"input_tokens":9012,"output_tokens":120,"server_tool_use":{"web_search_requests":1}}}),
        json!({"type":"message_stop"}),
    ];
    let mut sse = String::new();
    for e in &events {
        encode_event(e["type"].as_str(), &e.to_string(), &mut sse);
    }
    let r = decode_stream_bytes(&AnthropicAdapter, &stream_hint(false), sse.as_bytes()).result.unwrap();
    let m = r.message().unwrap();
    assert!(m.tool_calls.is_none());
    assert_eq!(m.content.as_deref(), Some("Let me search. Here is today's news."));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));

    let body = json!({"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
        {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"tech news"}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
        {"type":"text","text":"Here is today's news."}],"stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":5}});
    let r = AnthropicAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    assert!(r.message().unwrap().tool_calls.is_none());
    assert_eq!(r.message().unwrap().content.as_deref(), Some("Here is today's news."));
}

/// Newer Claude models reject `temperature` and `top_p` together ("`temperature` and `top_p`
/// cannot both be specified for this model. Please use only one."): temperature is sent, and
/// the request notes that `top_p` was left out. Older models get both.
/// <https://docs.claude.com/en/docs/about-claude/models/migrating-to-claude-4>
#[test]
fn temperature_and_top_p_are_not_both_sent_to_newer_claude_models() {
    for model in ["claude-sonnet-4-5", "claude-opus-4-1-20250805", "claude-haiku-4-5"] {
        let n = encode(
            json!({"model": model, "messages": [{"role": "user", "content": "Hi"}], "temperature": 0.2, "top_p": 0.9}),
        );
        assert_eq!(n.body["temperature"], 0.2, "{model}");
        assert!(n.body.get("top_p").is_none(), "{model}");
        assert!(n.notes.iter().any(|x| x.contains("top_p")), "{model}: {:?}", n.notes);
        let only_p = encode(json!({"model": model, "messages": [{"role": "user", "content": "Hi"}], "top_p": 0.9}));
        assert_eq!(only_p.body["top_p"], 0.9, "top_p alone is allowed");
    }
    let old = encode(
        json!({"model": "claude-3-5-haiku-latest", "messages": [{"role": "user", "content": "Hi"}], "temperature": 0.2, "top_p": 0.9}),
    );
    assert_eq!((old.body["temperature"].clone(), old.body["top_p"].clone()), (json!(0.2), json!(0.9)));
    assert!(old.notes.is_empty());
}

fn schema_request(model: &str, schema: Value) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "A lasagna recipe."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "recipe", "schema": schema}}})
}

/// On models with structured outputs, `json_schema` goes as `output_config.format` (every object
/// closed with `additionalProperties: false`, as the API requires) and the JSON comes back as
/// the text (genuine recording). Schemas with what structured outputs cannot enforce, and older
/// models, keep the forced `json` tool.
/// <https://docs.claude.com/en/docs/build-with-claude/structured-outputs>
#[test]
fn json_schema_uses_structured_outputs_where_the_model_has_them() {
    let schema = json!({"type": "object", "properties": {"recipe": {"type": "object", "properties": {
        "name": {"type": "string"}, "steps": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "steps"]}},
        "required": ["recipe"]});
    let n = encode(schema_request("claude-sonnet-4-5", schema.clone()));
    let format = &n.body["output_config"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["schema"]["additionalProperties"], false);
    assert_eq!(format["schema"]["properties"]["recipe"]["additionalProperties"], false);
    assert!(n.body.get("tools").is_none() && n.body.get("tool_choice").is_none());
    assert_eq!(n.hints.json_tool, None);

    let r = decode("anthropic/anthropic-json-output-format.1.json", &n.hints);
    let content: Value = serde_json::from_str(r.message().unwrap().content.as_deref().unwrap()).unwrap();
    assert_eq!(content["recipe"]["name"], "Classic Lasagna");
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));

    let bounded = json!({"type": "object", "properties": {"servings": {"type": "integer", "minimum": 1}}});
    let open = json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true});
    for (model, s) in [("claude-sonnet-4-5", bounded), ("claude-sonnet-4-5", open), ("claude-opus-4-1", schema)] {
        let n = encode(schema_request(model, s));
        assert!(n.body.get("output_config").is_none(), "{model}");
        assert_eq!(n.body["tool_choice"], json!({"type": "tool", "name": "json"}), "{model}");
        assert_eq!(n.hints.json_tool.as_deref(), Some("json"));
    }
}
