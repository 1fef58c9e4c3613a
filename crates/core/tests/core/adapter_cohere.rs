//! The Cohere v2 chat family on genuine payloads, encoding on hard inputs, and errors.

use crate::common::{sample, spec, sse_from_chunks};
use llm_conform_core::api::{ChatCompletion, ChatRequest, ErrorKind, FinishReason};
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{Adapter, CohereAdapter, ResponseHints};
use llm_conform_core::transport::{StreamResult, decode_stream_bytes};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

const SAMPLES: [&str; 4] = [
    "cohere/cohere-text.json",
    "cohere/cohere-tool-call.json",
    "cohere/cohere-text.chunks.txt",
    "cohere/cohere-tool-call.chunks.txt",
];

fn hints(stream: bool) -> ResponseHints {
    ResponseHints { stream, ..Default::default() }
}

fn decode(rel: &str) -> ChatCompletion {
    CohereAdapter.decode(&sample(rel), &hints(false)).unwrap()
}

fn stream(rel: &str) -> StreamResult {
    decode_stream_bytes(&CohereAdapter, &hints(true), &sse_from_chunks(rel, true, false))
}

fn stream_str(sse: &str) -> StreamResult {
    decode_stream_bytes(&CohereAdapter, &hints(true), sse.as_bytes())
}

fn args(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

fn encode(v: Value) -> Value {
    CohereAdapter.encode(&request(v), &spec("cohere"), Some("k")).unwrap().body.into()
}

fn roles(body: &Value) -> Vec<&str> {
    body["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect()
}

#[test]
fn text_body() {
    let r = decode("cohere/cohere-text.json");
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("The capital of France is Paris."));
    assert_eq!(m.reasoning_content, None);
    assert!(m.tool_calls.is_none());
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(r.id, "e7592632-1e3d-424f-b129-bd5f9f980f7b");
    assert_eq!(r.model, "", "cohere does not echo the model");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens(), u.total_tokens), (507, 10, 448, 517));
}

#[test]
fn tool_call_body() {
    let r = decode("cohere/cohere-tool-call.json");
    let m = r.message().unwrap();
    assert_eq!(m.content, None);
    assert!(
        m.reasoning_content.as_deref().unwrap().starts_with("I will use the weather tool"),
        "tool plan is reasoning"
    );
    let calls = m.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].id.as_str(), calls[0].function.name.as_str()), ("weather_dqgshstja6p9", "weather"));
    assert_eq!(args(&calls[0].function.arguments), json!({"location": "San Francisco"}));
    assert_eq!(
        (calls[1].id.as_str(), calls[1].function.name.as_str()),
        ("cityAttractions_dcxfx4myvx68", "cityAttractions")
    );
    assert_eq!(args(&calls[1].function.arguments), json!({"city": "San Francisco"}));
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens()), (1549, 103, 992));
}

#[test]
fn text_stream() {
    let s = stream("cohere/cohere-text.chunks.txt");
    assert_eq!(s.chunks.first().unwrap().choices[0].delta.role.as_deref(), Some("assistant"));
    assert!(s.chunks.last().unwrap().choices.is_empty(), "usage chunk comes last, without choices");
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("The capital of France is Paris."));
    assert_eq!(m.reasoning_content, None);
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(r.id, "321d178c-2c12-44d3-ae42-2f5510f6b1cc");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens()), (507, 10, 448));
}

#[test]
fn tool_call_stream() {
    let s = stream("cohere/cohere-tool-call.chunks.txt");
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content, None);
    assert_eq!(
        m.reasoning_content.as_deref(),
        Some(
            "I will use the weather tool to find the weather in San Francisco and the cityAttractions tool to find attractions in San Francisco."
        )
    );
    let calls = m.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].id.as_str(), calls[0].function.name.as_str()), ("weather_e8p4pn45zt0t", "weather"));
    assert_eq!(args(&calls[0].function.arguments), json!({"location": "San Francisco"}));
    assert_eq!(
        (calls[1].id.as_str(), calls[1].function.name.as_str()),
        ("cityAttractions_pyxssbwnq9fq", "cityAttractions")
    );
    assert_eq!(args(&calls[1].function.arguments), json!({"city": "San Francisco"}));
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens()), (1549, 95, 1504));
}

#[test]
fn stream_without_event_lines_is_decoded_from_payload_type() {
    let r = decode_stream_bytes(
        &CohereAdapter,
        &hints(true),
        &sse_from_chunks("cohere/cohere-text.chunks.txt", false, false),
    );
    assert_eq!(r.result.unwrap().message().unwrap().content.as_deref(), Some("The capital of France is Paris."));
}

#[test]
fn stream_with_thinking_and_unknown_events() {
    let mut sse = String::new();
    for (ev, data) in [
        ("message-start", json!({"id": "m1", "type": "message-start", "delta": {"message": {"role": "assistant"}}})),
        (
            "content-start",
            json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "thinking", "thinking": ""}}}}),
        ),
        (
            "content-delta",
            json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"thinking": "Let me think."}}}}),
        ),
        ("content-end", json!({"type": "content-end", "index": 0})),
        (
            "citation-start",
            json!({"type": "citation-start", "index": 0, "delta": {"message": {"citations": {"start": 0}}}}),
        ),
        ("citation-end", json!({"type": "citation-end", "index": 0})),
        ("debug", json!({"type": "debug", "prompt": "..."})),
        (
            "content-delta",
            json!({"type": "content-delta", "index": 1, "delta": {"message": {"content": {"text": "42"}}}}),
        ),
        (
            "message-end",
            json!({"type": "message-end", "delta": {"finish_reason": "MAX_TOKENS", "usage": {"billed_units": {"input_tokens": 5.0, "output_tokens": 3.0}}}}),
        ),
    ] {
        encode_event(Some(ev), &data.to_string(), &mut sse);
    }
    let r = stream_str(&sse).result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("42"));
    assert_eq!(m.reasoning_content.as_deref(), Some("Let me think."));
    assert_eq!(r.finish_reason(), Some(FinishReason::Length));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (5, 3), "billed units are the fallback");
}

#[test]
fn stream_errors() {
    let start = "event: message-start\ndata: {\"id\":\"x\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\nevent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hel\"}}}}\n\n";
    let r = stream_str(start);
    let e = r.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "cut off before message-end: {e}");

    let r = stream_str(&format!("{start}data: {{\"message\":\"internal server error\"}}\n\n"));
    let e = r.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::ServerError);
    assert_eq!(e.message, "internal server error");

    let r = stream_str(&format!(
        "{start}event: error\ndata: {{\"type\":\"error\",\"message\":\"too many tokens in the prompt\"}}\n\n"
    ));
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::ContextLengthExceeded);

    let r = stream_str(&format!(
        "{start}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"ERROR\"}}}}\n\n"
    ));
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::ServerError);

    let r = stream_str(&format!("{start}event: content-delta\ndata: {{\"type\":\"content-delta\",\"delta\":[1]}}\n\n"));
    let e = r.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("delta"), "{}", e.message);
}

#[test]
fn decode_error_shapes() {
    let e = CohereAdapter
        .decode(br#"{"id":"abc","message":"invalid request: message must be at least 1 token long"}"#, &hints(false))
        .unwrap_err();
    assert_eq!(e.message, "invalid request: message must be at least 1 token long");
    let e = CohereAdapter
        .decode(br#"{"id":"abc","message":{"role":"assistant"},"finish_reason":"ERROR"}"#, &hints(false))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ServerError);
    let r = CohereAdapter
        .decode(br#"{"id":"abc","message":{"role":"assistant","content":[{"type":"text","text":"bad"}]},"finish_reason":"ERROR_TOXIC"}"#, &hints(false))
        .unwrap();
    assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter));
    let e = CohereAdapter.decode(br#"{"choices":[]}"#, &hints(false)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    let e = CohereAdapter
        .decode(br#"{"message":{"content":"text"},"finish_reason":"COMPLETE"}"#, &hints(false))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("message.content"), "{}", e.message);
}

#[test]
fn classify_errors() {
    let e = CohereAdapter.classify_error(401, &HeaderMap::new(), br#"{"id":"5d1e","message":"invalid api token"}"#);
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert_eq!(e.message, "invalid api token");
    assert_eq!(e.status, Some(401));

    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("12"));
    let e = CohereAdapter.classify_error(
        429,
        &headers,
        br#"{"message":"You are using a Trial key, which is limited to 10 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions"}"#,
    );
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(12)));
    assert!(e.message.starts_with("You are using a Trial key"));

    let e = CohereAdapter.classify_error(
        400,
        &HeaderMap::new(),
        br#"{"message":"too many tokens: total number of tokens in the prompt cannot exceed 128000 - received 130512. Try using a shorter prompt"}"#,
    );
    assert_eq!(e.kind, ErrorKind::ContextLengthExceeded);

    let e = CohereAdapter.classify_error(
        400,
        &HeaderMap::new(),
        br#"{"message":"invalid request: messages must not be empty"}"#,
    );
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(
        CohereAdapter.classify_error(402, &HeaderMap::new(), br#"{"message":"please add a payment method"}"#).kind,
        ErrorKind::QuotaExhausted
    );
    assert_eq!(
        CohereAdapter.classify_error(498, &HeaderMap::new(), br#"{"message":"invalid api token"}"#).kind,
        ErrorKind::Authentication
    );
    assert_eq!(
        CohereAdapter.classify_error(404, &HeaderMap::new(), br#"{"message":"model 'nope' not found"}"#).kind,
        ErrorKind::NotFound
    );

    let e = CohereAdapter.classify_error(
        500,
        &HeaderMap::new(),
        b"<html><body><h1>500 Internal Server Error</h1></body></html>",
    );
    assert_eq!(e.kind, ErrorKind::ServerError);
    assert!(e.message.contains("500 Internal Server Error"), "{}", e.message);
    assert!(!e.message.contains('<'));
}

#[test]
fn no_panic_on_any_prefix() {
    for rel in SAMPLES {
        let bytes = if rel.ends_with(".chunks.txt") { sse_from_chunks(rel, true, false) } else { sample(rel) };
        for cut in 0..=bytes.len() {
            let prefix = &bytes[..cut];
            let _ = CohereAdapter.decode(prefix, &hints(false));
            let r = decode_stream_bytes(&CohereAdapter, &hints(true), prefix);
            if cut < bytes.len() && rel.ends_with(".chunks.txt") {
                // Only a prefix that still holds the whole message-end event may succeed.
                if let Ok(done) = &r.result {
                    assert!(done.usage.is_some(), "{rel} cut at {cut} succeeded without usage");
                }
            }
        }
    }
}

#[test]
fn encode_basics() {
    let n = CohereAdapter
        .encode(
            &request(json!({
                "model": "command-a-03-2025",
                "messages": [{"role": "user", "content": "hi"}],
                "max_completion_tokens": 64,
                "temperature": 0.2,
                "top_p": 0.9,
                "seed": 7,
                "stop": ["END", "STOP"],
                "frequency_penalty": 0.5,
                "logit_bias": {"50256": -100},
                "user": "u1",
                "parallel_tool_calls": false,
                "stream": true
            })),
            &spec("cohere"),
            Some("k"),
        )
        .unwrap();
    assert_eq!(n.url, "https://api.cohere.com/v2/chat");
    assert_eq!(n.header_value("authorization"), Some("Bearer k"));
    assert_eq!(n.header_value("accept"), Some("text/event-stream"));
    assert!(n.hints.stream);
    let b = &n.body;
    assert_eq!(b["model"], "command-a-03-2025");
    assert_eq!(b["messages"], json!([{"role": "user", "content": "hi"}]));
    assert_eq!(b["max_tokens"], 64);
    assert_eq!(b["temperature"], 0.2);
    assert_eq!(b["p"], 0.9);
    assert_eq!(b["seed"], 7);
    assert_eq!(b["stop_sequences"], json!(["END", "STOP"]));
    assert_eq!(b["frequency_penalty"], 0.5);
    assert_eq!(b["stream"], true);
    for absent in
        ["top_p", "stop", "logit_bias", "user", "parallel_tool_calls", "max_completion_tokens", "tools", "tool_choice"]
    {
        assert!(b.get(absent).is_none(), "{absent} must not be sent");
    }

    let n = CohereAdapter
        .encode(
            &request(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": "END"})),
            &spec("cohere"),
            None,
        )
        .unwrap();
    assert_eq!(n.body["stream"], false);
    assert!(!n.hints.stream);
    assert!(n.header_value("accept").is_none());
    assert!(n.header_value("authorization").is_none());
    assert_eq!(n.body["stop_sequences"], json!(["END"]));
}

#[test]
fn encode_system_prompts_in_every_position() {
    let user = json!({"role": "user", "content": "hi"});
    // none
    assert_eq!(roles(&encode(json!({"model": "m", "messages": [user]}))), ["user"]);
    // leading, several, developer, content parts
    let b = encode(json!({"model": "m", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "developer", "content": "answer in French"},
        {"role": "system", "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}]},
        user
    ]}));
    assert_eq!(roles(&b), ["system", "system", "system", "user"]);
    assert_eq!(b["messages"][0]["content"], "be brief");
    assert_eq!(b["messages"][1]["content"], "answer in French");
    assert_eq!(b["messages"][2]["content"], "part one\npart two");
    // middle, after a tool result, empty, whitespace-only
    let b = encode(json!({"model": "m", "messages": [
        {"role": "system", "content": ""},
        user,
        {"role": "system", "content": "now be formal"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "developer", "content": "summarise the result"},
        {"role": "system", "content": "   \n"},
        {"role": "system", "content": [{"type": "text", "text": " "}]}
    ]}));
    assert_eq!(roles(&b), ["user", "system", "assistant", "tool", "system"]);
    assert_eq!(b["messages"][1]["content"], "now be formal");
    assert_eq!(b["messages"][4]["content"], "summarise the result");
}

#[test]
fn encode_drops_empty_turns_and_handles_tool_calls() {
    let b = encode(json!({"model": "m", "messages": [
        {"role": "user", "content": ""},
        {"role": "user", "content": "  "},
        {"role": "user", "content": [{"type": "text", "text": " "}]},
        {"role": "user", "content": "weather and sights in SF?"},
        {"role": "assistant", "content": "", "tool_calls": []},
        {"role": "assistant", "content": " ", "tool_calls": null},
        {"role": "assistant", "content": "I will look both up.", "tool_calls": [
            {"id": "weather_1", "type": "function", "function": {"name": "weather", "arguments": "{\"location\":\"SF\"}"}},
            {"id": "sights_2", "type": "function", "function": {"name": "cityAttractions", "arguments": ""}}
        ]},
        {"role": "tool", "tool_call_id": "weather_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "sights_2", "content": [{"type": "text", "text": "Golden Gate"}]},
        {"role": "assistant", "content": "Sunny; see the Golden Gate.", "tool_calls": []},
        {"role": "assistant", "tool_calls": [{"id": "c3", "type": "function", "function": {"name": "noop", "arguments": "null"}}]}
    ]}));
    assert_eq!(roles(&b), ["user", "assistant", "tool", "tool", "assistant", "assistant"]);
    let m = &b["messages"];
    assert_eq!(m[0]["content"], "weather and sights in SF?");
    assert_eq!(m[1]["tool_plan"], "I will look both up.");
    assert!(m[1].get("content").is_none(), "the plan replaces content next to tool calls");
    assert_eq!(
        m[1]["tool_calls"],
        json!([
            {"id": "weather_1", "type": "function", "function": {"name": "weather", "arguments": "{\"location\":\"SF\"}"}},
            {"id": "sights_2", "type": "function", "function": {"name": "cityAttractions", "arguments": "{}"}}
        ])
    );
    assert_eq!(m[2], json!({"role": "tool", "tool_call_id": "weather_1", "content": "sunny"}));
    assert_eq!(m[3], json!({"role": "tool", "tool_call_id": "sights_2", "content": "Golden Gate"}));
    assert_eq!(
        m[4],
        json!({"role": "assistant", "content": "Sunny; see the Golden Gate."}),
        "tool_calls: [] is no calls"
    );
    assert!(m[5].get("tool_plan").is_none());
    assert!(m[5].get("content").is_none());
    assert_eq!(m[5]["tool_calls"][0]["function"]["arguments"], "{}");
}

#[test]
fn encode_tools_and_choices() {
    let tools = json!([
        {"type": "function", "function": {"name": "weather", "description": "Weather in a city", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}},
        {"type": "function", "function": {"name": "now"}}
    ]);
    let base = |choice: Value| {
        let mut r = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools.clone(), "parallel_tool_calls": true});
        if !choice.is_null() {
            r["tool_choice"] = choice;
        }
        encode(r)
    };
    let b = base(Value::Null);
    assert_eq!(b["tools"][0]["function"]["description"], "Weather in a city");
    assert_eq!(b["tools"][0]["function"]["parameters"]["required"], json!(["location"]));
    assert_eq!(
        b["tools"][1],
        json!({"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}})
    );
    assert!(b.get("tool_choice").is_none());
    assert!(b.get("strict_tools").is_none());
    assert!(b.get("parallel_tool_calls").is_none());
    assert!(base(json!("auto")).get("tool_choice").is_none());
    assert_eq!(base(json!("required"))["tool_choice"], "REQUIRED");
    let b = base(json!("none"));
    assert_eq!(b["tool_choice"], "NONE");
    assert_eq!(b["tools"].as_array().unwrap().len(), 2);
    let b = base(json!({"type": "function", "function": {"name": "now"}}));
    assert_eq!(b["tool_choice"], "REQUIRED");
    let names: Vec<&str> =
        b["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["now"], "a named choice offers only that tool");

    let err = CohereAdapter
        .encode(
            &request(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools, "tool_choice": {"type": "function", "function": {"name": "missing"}}})),
            &spec("cohere"),
            None,
        )
        .unwrap_err();
    assert!(err.message.contains("missing"), "{err}");

    let b = encode(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "a", "strict": true, "parameters": {"type": "object", "properties": {}, "additionalProperties": false}}},
        {"type": "function", "function": {"name": "b"}}
    ]}));
    assert_eq!(b["strict_tools"], true);
    assert_eq!(b["tools"][0]["function"]["parameters"]["additionalProperties"], false);
    assert!(b["tools"][0]["function"].get("strict").is_none());
}

#[test]
fn encode_response_formats_and_images() {
    let schema = json!({"type": "object", "properties": {
        "a": {"type": "object", "properties": {"b": {"type": "string"}, "c": {"type": "array", "items": {"type": "object", "properties": {"d": {"type": "integer"}}, "additionalProperties": false}}}, "additionalProperties": false}
    }, "additionalProperties": false, "required": ["a"]});
    let b = encode(json!({
        "model": "command-a-vision-07-2025",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
        ]}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "strict": true, "schema": schema}}
    }));
    assert_eq!(b["response_format"], json!({"type": "json_object", "json_schema": schema}));
    assert_eq!(
        b["messages"][0]["content"],
        json!([
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
        ])
    );

    let b = encode(
        json!({"model": "command-a-vision-07-2025", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]}], "response_format": {"type": "json_object"}}),
    );
    assert_eq!(b["response_format"], json!({"type": "json_object"}));
    assert_eq!(b["messages"][0]["content"][0]["type"], "image_url", "an image-only user message is kept");

    let b = encode(
        json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}], "response_format": {"type": "text"}}),
    );
    assert_eq!(b["messages"][0]["content"], "a\nb", "text-only parts are sent as a string");
    assert!(b.get("response_format").is_none());

    let err = CohereAdapter
        .encode(
            &request(json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]})),
            &spec("cohere"),
            None,
        )
        .unwrap_err();
    assert!(err.message.contains("audio"), "{err}");
}

#[test]
fn thinking_plan_and_call_reassemble_like_decode() {
    let body = json!({"id": "r1", "finish_reason": "TOOL_CALL", "message": {"role": "assistant",
        "content": [{"type": "thinking", "thinking": "User wants time."}],
        "tool_plan": "I will call now.",
        "tool_calls": [{"id": "now_1", "type": "function", "function": {"name": "now", "arguments": "{}"}}]}});
    let decoded = CohereAdapter.decode(body.to_string().as_bytes(), &hints(false)).unwrap();

    let mut sse = String::new();
    for data in [
        json!({"id": "r1", "type": "message-start", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}}}),
        json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "thinking", "thinking": "User "}}}}),
        json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"thinking": "wants time."}}}}),
        json!({"type": "content-end", "index": 0}),
        json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will"}}}),
        json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": " call now."}}}),
        json!({"type": "tool-call-start", "delta": {"message": {"tool_calls": {"id": "now_1", "type": "function", "function": {"name": "now", "arguments": ""}}}}}),
        json!({"type": "tool-call-end"}),
        json!({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL"}}),
    ] {
        encode_event(data["type"].as_str(), &data.to_string(), &mut sse);
    }
    let streamed = stream_str(&sse).result.unwrap();
    assert_eq!(streamed.choices, decoded.choices);
    let m = streamed.message().unwrap();
    assert_eq!(m.reasoning_content.as_deref(), Some("User wants time.\nI will call now."));
    assert_eq!(m.calls()[0].function.arguments, "{}", "a call without an index or arguments still lands");
}

/// `tool_choice` "is only compatible with Command-r7b and newer models": on the older models the
/// catalog marks, `none` is honoured by offering no tools (noted on the request), and a
/// required or named choice, which cannot be honoured, is refused as `unsupported` before
/// anything is sent. <https://docs.cohere.com/reference/chat#request.body.tool_choice>
#[test]
fn tool_choice_is_never_sent_to_models_before_command_r7b() {
    let tools = json!([{"type": "function", "function": {"name": "now"}}]);
    let req = |model: &str, choice: &str| {
        request(
            json!({"model": model, "messages": [{"role": "user", "content": "hi"}], "tools": tools, "tool_choice": choice}),
        )
    };
    let n = CohereAdapter.encode(&req("command-r-08-2024", "none"), &spec("cohere"), None).unwrap();
    assert!(n.body.get("tools").is_none() && n.body.get("tool_choice").is_none(), "{}", n.body);
    assert!(n.notes.iter().any(|x| x.contains("tool_choice")), "{:?}", n.notes);
    for model in ["command-r-08-2024", "command-r-plus-08-2024"] {
        let e = CohereAdapter.encode(&req(model, "required"), &spec("cohere"), None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{model}");
    }
    let auto = CohereAdapter.encode(&req("command-r-08-2024", "auto"), &spec("cohere"), None).unwrap();
    assert_eq!(auto.body["tools"][0]["function"]["name"], "now");
    for model in ["command-r7b-12-2024", "command-a-03-2025"] {
        let n = CohereAdapter.encode(&req(model, "required"), &spec("cohere"), None).unwrap();
        assert_eq!(n.body["tool_choice"], "REQUIRED", "{model}");
    }
}

/// Every v2 stream event type in Cohere's streaming reference, in the order a tool-use answer
/// with citations sends them (`message-start`, `tool-plan-delta`, `tool-call-start/delta/end`,
/// `content-start/delta/end`, `citation-start/end`, `debug`, `message-end`), reassembles to the
/// answer; `citation-*` and `debug` carry nothing canonical. Wire-accurate synthesized events.
/// <https://docs.cohere.com/docs/streaming>
#[test]
fn every_v2_stream_event_type_from_the_streaming_reference() {
    let events = [
        json!({"id": "5a6e0c2b-7f1d-4c3e-9b8a-1d2e3f4a5b6c", "type": "message-start", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
        json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will look up the weather."}}}),
        json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {"id": "get_weather_5zf7k2m1q9xw", "type": "function", "function": {"name": "get_weather", "arguments": ""}}}}}),
        json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": "{\"city\": "}}}}}),
        json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": "\"Paris\"}"}}}}}),
        json!({"type": "tool-call-end", "index": 0}),
        json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}),
        json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Paris is sunny."}}}, "logprobs": null}),
        json!({"type": "citation-start", "index": 0, "delta": {"message": {"citations": {"start": 0, "end": 5, "text": "Paris", "sources": [{"type": "tool", "id": "get_weather_5zf7k2m1q9xw:0", "tool_output": {"city": "Paris"}}], "type": "TEXT_CONTENT"}}}}),
        json!({"type": "citation-end", "index": 0}),
        json!({"type": "content-end", "index": 0}),
        json!({"type": "debug", "prompt": "<BOS_TOKEN><|START_OF_TURN_TOKEN|>..."}),
        json!({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": {"billed_units": {"input_tokens": 31, "output_tokens": 24}, "tokens": {"input_tokens": 1021, "output_tokens": 24}, "cached_tokens": 0}}}),
    ];
    let mut sse = String::new();
    for e in &events {
        encode_event(e["type"].as_str(), &e.to_string(), &mut sse);
    }
    let r = stream_str(&sse).result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.reasoning_content.as_deref(), Some("I will look up the weather."));
    assert_eq!(m.content.as_deref(), Some("Paris is sunny."));
    assert_eq!(m.calls()[0].id, "get_weather_5zf7k2m1q9xw");
    assert_eq!(args(&m.calls()[0].function.arguments), json!({"city": "Paris"}));
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    assert_eq!(r.usage.unwrap().prompt_tokens, 1021);
    assert_eq!(r.id, "5a6e0c2b-7f1d-4c3e-9b8a-1d2e3f4a5b6c");
}

/// A generation that fails mid-stream ends with `message-end` and finish reason `ERROR` (its
/// `error` text kept in the message) or `TIMEOUT`: errors, never a truncated success.
/// <https://docs.cohere.com/reference/chat-stream>
#[test]
fn mid_stream_error_and_timeout_finish_reasons_are_errors() {
    let start = "event: message-start\ndata: {\"id\":\"x\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\nevent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hel\"}}}}\n\n";
    let e = stream_str(&format!(
        "{start}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"ERROR\",\"error\":\"model overloaded while generating\"}}}}\n\n"
    ))
    .result
    .unwrap_err();
    assert_eq!((e.kind, e.provider_code.as_deref()), (ErrorKind::ServerError, Some("ERROR")));
    assert!(e.message.contains("model overloaded while generating"), "{e}");
    let e = stream_str(&format!(
        "{start}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"TIMEOUT\"}}}}\n\n"
    ))
    .result
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
}
