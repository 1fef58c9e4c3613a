//! The Gemini wire family on genuine payloads (text, function calls, streamed partial arguments,
//! a 429 with RetryInfo) and the encoding rules on hard inputs.

use std::time::Duration;

use crate::common::{sample, spec, sse_from_chunks};
use llm_conform_core::api::{ChatCompletion, ChatRequest, ErrorKind, FinishReason};
use llm_conform_core::providers::{Adapter, GeminiAdapter, NativeRequest, ResponseHints, sse::encode_event};
use llm_conform_core::transport::{StreamResult, decode_stream_bytes};
use serde_json::{Value, json};

fn decode(rel: &str) -> ChatCompletion {
    GeminiAdapter.decode(&sample(rel), &ResponseHints::default()).unwrap()
}

fn stream(rel: &str) -> StreamResult {
    decode_stream_bytes(
        &GeminiAdapter,
        &ResponseHints { stream: true, ..Default::default() },
        &sse_from_chunks(rel, false, false),
    )
}

fn stream_of(payloads: &[Value]) -> StreamResult {
    let mut sse = String::new();
    for p in payloads {
        encode_event(None, &p.to_string(), &mut sse);
    }
    decode_stream_bytes(&GeminiAdapter, &ResponseHints { stream: true, ..Default::default() }, sse.as_bytes())
}

fn args(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

fn encode(v: Value) -> NativeRequest {
    GeminiAdapter.encode(&request(v), &spec("gemini"), Some("k")).unwrap()
}

// --- genuine payloads -------------------------------------------------------------------------

#[test]
fn text_body() {
    let r = decode("google/google-text.json");
    let m = r.message().unwrap();
    assert_eq!(
        m.content.as_deref(),
        Some("There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.")
    );
    assert_eq!(m.reasoning_content, None, "a thought signature is not reasoning text");
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!((r.id.as_str(), r.model.as_str()), ("Un6LacrVMcjUxs0PmJfWoQc", "gemini-3-pro-preview"));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (9, 28 + 244, 9 + 28 + 244));
    assert_eq!(u.reasoning_tokens(), 244);
    assert_eq!(u.cached_tokens(), 0);
}

#[test]
fn tool_call_body_reports_tool_calls_despite_stop() {
    let r = decode("google/google-tool-call.json");
    let m = r.message().unwrap();
    assert_eq!(m.content, None);
    assert_eq!(m.calls().len(), 1);
    let c = &m.calls()[0];
    assert_eq!(c.function.name, "weather");
    assert_eq!(args(&c.function.arguments), json!({"location": "San Francisco"}));
    assert!(!c.id.is_empty(), "an id is synthesized when Gemini sends none");
    assert_eq!(c.id, decode("google/google-tool-call.json").message().unwrap().calls()[0].id, "deterministic");
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()), (29, 15 + 893, 893));
}

#[test]
fn rate_limit_with_retry_info() {
    let e = GeminiAdapter.classify_error(429, &Default::default(), &sample("google/google-429-retry-info.json"));
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs_f64(34.4)));
    assert_eq!(e.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
    assert_eq!(e.status, Some(429));
    assert_eq!(e.message, "You exceeded your current quota, please check your plan.");
}

#[test]
fn text_stream() {
    let s = stream("google/google-text.chunks.txt");
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("There are **3** \"r\"s in strawberry.\n\nst**r**awbe**rr**y"));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(r.id, "bH6LaZW8Fp_3nsEPqtaSwQ4");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()), (9, 23 + 185, 185));
    let usage_chunks = s.chunks.iter().filter(|c| c.usage.is_some()).count();
    assert_eq!(usage_chunks, 1, "one usage chunk, not one per cumulative report");
    assert!(s.chunks.last().unwrap().choices.is_empty(), "usage comes last, after the finish chunk");
    assert_eq!(s.chunks[0].choices[0].delta.role.as_deref(), Some("assistant"));
}

#[test]
fn tool_call_stream() {
    let r = stream("google/google-tool-call.chunks.txt").result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.calls().len(), 1);
    assert_eq!(m.calls()[0].function.name, "weather");
    assert_eq!(args(&m.calls()[0].function.arguments), json!({"location": "San Francisco"}));
    assert!(!m.calls()[0].id.is_empty());
    assert_eq!(m.content, None);
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    assert_eq!(r.usage.unwrap().prompt_tokens, 29);
}

#[test]
fn streamed_partial_arguments_and_no_arg_call() {
    let s = stream("google/google-stream-no-args-tool-call.chunks.txt");
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    let calls: Vec<(&str, Value)> =
        m.calls().iter().map(|c| (c.function.name.as_str(), args(&c.function.arguments))).collect();
    assert_eq!(
        calls,
        vec![
            ("read_theme", json!({})),
            ("read_screen", json!({"id": "A"})),
            ("read_screen", json!({"id": "B"})),
            ("read_screen", json!({"id": "C"})),
        ]
    );
    let ids: std::collections::HashSet<&str> = m.calls().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "each call gets its own id");
    assert!(m.reasoning_content.as_deref().unwrap().starts_with("**Processing User Requests**"));
    assert_eq!(m.content, None, "thought text is reasoning, not content");
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()), (249, 58 + 183, 183));
    // Tool-call indexes are 0.. in call order, whatever chunk carried them.
    let indexes: Vec<u32> = s
        .chunks
        .iter()
        .flat_map(|c| c.choices.iter())
        .flat_map(|c| c.delta.tool_calls.iter().map(|t| t.index))
        .collect();
    assert_eq!(indexes, vec![0, 1, 2, 3]);
}

#[test]
fn stream_matches_body_for_the_same_answer() {
    let body = decode("google/google-tool-call.json");
    let streamed = stream("google/google-tool-call.chunks.txt").result.unwrap();
    let (b, s) = (body.message().unwrap(), streamed.message().unwrap());
    assert_eq!(b.calls()[0].function, s.calls()[0].function);
    assert_eq!(body.finish_reason(), streamed.finish_reason());
}

#[test]
fn streamed_arguments_nested_paths_and_scalar_values() {
    let r = stream_of(&[
        json!({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"plan","willContinue":true}}]}}]}),
        json!({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"partialArgs":[
            {"jsonPath":"$.trip.city","stringValue":"San ","willContinue":true},
            {"jsonPath":"$.trip.city","stringValue":"Francisco"},
            {"jsonPath":"$.days[0]","numberValue":3},
            {"jsonPath":"$.days[1]","numberValue":4.5},
            {"jsonPath":"$.flex","boolValue":true},
            {"jsonPath":"$.note","nullValue":null}
        ],"willContinue":true}}]}}]}),
        // The next call's start completes the pending one.
        json!({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"noop","args":{}}}]}}]}),
        json!({"candidates":[{"content":{"role":"model","parts":[{"text":"done"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7}}),
    ])
    .result
    .unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.calls()[0].function.name, "plan");
    assert_eq!(
        args(&m.calls()[0].function.arguments),
        json!({"trip": {"city": "San Francisco"}, "days": [3, 4.5], "flex": true, "note": null})
    );
    assert_eq!((m.calls()[1].function.name.as_str(), args(&m.calls()[1].function.arguments)), ("noop", json!({})));
    assert_eq!(m.content.as_deref(), Some("done"));
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
}

#[test]
fn pending_call_is_completed_by_the_finish_reason() {
    let r = stream_of(&[
        json!({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","willContinue":true}}]}}]}),
        json!({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":"$.q","stringValue":"x"}],"willContinue":true}}]}}]}),
        json!({"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"STOP"}]}),
    ])
    .result
    .unwrap();
    assert_eq!(args(&r.message().unwrap().calls()[0].function.arguments), json!({"q": "x"}));
}

// --- decode edge cases ------------------------------------------------------------------------

#[test]
fn finish_reasons_and_blocked_prompt() {
    for (raw, want) in [
        ("MAX_TOKENS", FinishReason::Length),
        ("SAFETY", FinishReason::ContentFilter),
        ("RECITATION", FinishReason::ContentFilter),
        ("PROHIBITED_CONTENT", FinishReason::ContentFilter),
        ("SPII", FinishReason::ContentFilter),
        ("BLOCKLIST", FinishReason::ContentFilter),
        ("OTHER", FinishReason::Stop),
    ] {
        let body = json!({"candidates":[{"content":{"role":"model","parts":[{"text":"x"}]},"finishReason":raw}]});
        let r = GeminiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(r.finish_reason(), Some(want), "{raw}");
    }
    let blocked =
        json!({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}});
    let r = GeminiAdapter.decode(blocked.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter));
    assert_eq!(r.message().unwrap().content, None);
    assert_eq!(r.usage.unwrap().prompt_tokens, 7);

    let r = stream_of(&[blocked]).result.unwrap();
    assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter));
}

#[test]
fn thoughts_cache_and_call_ids_in_a_body() {
    let body = json!({
        "candidates":[{"content":{"role":"model","parts":[
            {"text":"thinking...","thought":true},
            {"text":"Answer: "},
            {"text":"42"},
            {"functionCall":{"id":"fc_1","name":"lookup","args":{"n":42}}}
        ]},"finishReason":"STOP"}],
        "usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,"candidatesTokenCount":10,"thoughtsTokenCount":5},
        "responseId":"r1","modelVersion":"gemini-2.5-flash","createTime":"2025-01-01T00:00:00Z"
    });
    let r = GeminiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.reasoning_content.as_deref(), Some("thinking..."));
    assert_eq!(m.content.as_deref(), Some("Answer: 42"));
    assert_eq!(m.calls()[0].id, "fc_1");
    assert_eq!(r.created, 1_735_689_600);
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens(), u.reasoning_tokens()), (100, 15, 60, 5));
}

#[test]
fn error_bodies_in_decode_and_list_shapes() {
    let err = json!({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}});
    let e = GeminiAdapter.decode(err.to_string().as_bytes(), &ResponseHints::default()).unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Overloaded, Some(503)));
    let listed = json!([{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}]);
    let e = GeminiAdapter.decode(listed.to_string().as_bytes(), &ResponseHints::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    let e = GeminiAdapter.classify_error(429, &Default::default(), listed.to_string().as_bytes());
    assert_eq!((e.kind, e.provider_code.as_deref()), (ErrorKind::RateLimited, Some("RESOURCE_EXHAUSTED")));

    // streamGenerateContent without alt=sse: the whole stream as one list.
    let chunks: Vec<Value> = String::from_utf8(sample("google/google-stream-no-args-tool-call.chunks.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let r = GeminiAdapter.decode(Value::Array(chunks).to_string().as_bytes(), &ResponseHints::default()).unwrap();
    assert_eq!(r.message().unwrap().calls().len(), 4);
    assert_eq!(r.usage.unwrap().prompt_tokens, 249);

    let e = GeminiAdapter.decode(br#"{"candidates": 3}"#, &ResponseHints::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("candidates"), "{}", e.message);
    let e = GeminiAdapter.decode(b"{}", &ResponseHints::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
}

#[test]
fn error_kinds() {
    let cases = [
        (
            403,
            json!({"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}),
            ErrorKind::PermissionDenied,
        ),
        (
            400,
            json!({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}),
            ErrorKind::ContextLengthExceeded,
        ),
        (
            503,
            json!({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}),
            ErrorKind::Overloaded,
        ),
        (
            500,
            json!({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}),
            ErrorKind::ServerError,
        ),
        (
            400,
            json!({"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"foo\"","status":"INVALID_ARGUMENT"}}),
            ErrorKind::InvalidRequest,
        ),
        (
            404,
            json!({"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}),
            ErrorKind::NotFound,
        ),
        (
            400,
            json!({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}),
            ErrorKind::Authentication,
        ),
    ];
    for (status, body, kind) in cases {
        let e = GeminiAdapter.classify_error(status, &Default::default(), body.to_string().as_bytes());
        assert_eq!(e.kind, kind, "{body}");
        assert_eq!(e.message, body["error"]["message"].as_str().unwrap());
    }
    let e = GeminiAdapter.classify_error(502, &Default::default(), b"<html><body>Bad Gateway</body></html>");
    assert_eq!(e.kind, ErrorKind::ServerError);
    assert!(e.message.contains("Bad Gateway"));
}

#[test]
fn cut_off_stream_and_mid_stream_error() {
    let text = String::from_utf8(sample("google/google-text.chunks.txt")).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let r = stream_of(std::slice::from_ref(&first));
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::Connection);
    assert!(!r.chunks.is_empty(), "what arrived is still decoded");

    let r = stream_of(&[first, json!({"error":{"code":500,"message":"Internal error","status":"INTERNAL"}})]);
    let e = r.result.unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::ServerError, Some(500)));

    let r = decode_stream_bytes(&GeminiAdapter, &ResponseHints::default(), b"data: {\"candidates\": {}}\n\n");
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::MalformedResponse);
    let r = decode_stream_bytes(
        &GeminiAdapter,
        &ResponseHints::default(),
        b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"willContinue\":true}}]}}]}\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"partialArgs\":[{\"jsonPath\":\"nonsense\",\"stringValue\":\"x\"}],\"willContinue\":true}}]}}]}\n\n",
    );
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::MalformedResponse);
}

#[test]
fn no_panic_on_any_prefix() {
    let files = [
        "google/google-text.json",
        "google/google-tool-call.json",
        "google/google-429-retry-info.json",
        "google/google-text.chunks.txt",
        "google/google-tool-call.chunks.txt",
        "google/google-stream-no-args-tool-call.chunks.txt",
    ];
    let hints = ResponseHints { stream: true, ..Default::default() };
    for f in files {
        let raw = sample(f);
        let framed = if f.ends_with(".chunks.txt") { sse_from_chunks(f, false, false) } else { raw.clone() };
        for bytes in [&raw, &framed] {
            for end in 0..=bytes.len() {
                let prefix = &bytes[..end];
                let _ = GeminiAdapter.decode(prefix, &hints);
                let _ = decode_stream_bytes(&GeminiAdapter, &hints, prefix);
                let _ = GeminiAdapter.classify_error(400, &Default::default(), prefix);
            }
        }
    }
}

// --- encode -----------------------------------------------------------------------------------

#[test]
fn url_auth_and_stream_hints() {
    let n = encode(json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}));
    assert_eq!(n.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(n.header_value("x-goog-api-key"), Some("k"));
    assert!(n.header_value("authorization").is_none());
    assert!(!n.url.contains("key="), "the key never goes in the URL");
    assert!(n.body.get("model").is_none());
    assert!(n.body.get("generationConfig").is_none(), "no empty generationConfig");
    assert!(n.body.get("system_instruction").is_none());
    assert_eq!(n.body["contents"], json!([{"role": "user", "parts": [{"text": "hi"}]}]));
    assert!(!n.hints.stream);
    assert_eq!(n.redacted().header_value("x-goog-api-key"), Some("<redacted>"));

    let n = encode(json!({"model": "gemini-2.5-pro", "messages": [{"role": "user", "content": "hi"}], "stream": true}));
    assert_eq!(
        n.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    );
    assert!(n.hints.stream);
    assert_eq!(n.header_value("accept"), Some("text/event-stream"));
}

#[test]
fn system_prompts_in_every_position() {
    // None.
    let n = encode(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}));
    assert!(n.body.get("system_instruction").is_none());

    // Several leading (system and developer, one with content parts, one empty, one blank).
    let n = encode(json!({"model": "m", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "developer", "content": "answer in French"},
        {"role": "system", "content": ""},
        {"role": "system", "content": "   \n"},
        {"role": "system", "content": [{"type": "text", "text": "no emojis"}]},
        {"role": "user", "content": "hi"}
    ]}));
    assert_eq!(
        n.body["system_instruction"],
        json!({"parts": [{"text": "be brief"}, {"text": "answer in French"}, {"text": "no emojis"}]})
    );
    assert_eq!(n.body["contents"], json!([{"role": "user", "parts": [{"text": "hi"}]}]));

    // Only empty leading prompts: no system_instruction at all.
    let n = encode(
        json!({"model": "m", "messages": [{"role": "system", "content": " "}, {"role": "user", "content": "hi"}]}),
    );
    assert!(n.body.get("system_instruction").is_none());

    // In the middle and after a tool result: in place, as a user turn, merged with neighbours.
    let n = encode(json!({"model": "m", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {"role": "system", "content": "use celsius"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "21C"},
        {"role": "developer", "content": "now summarise"},
        {"role": "system", "content": "  "}
    ]}));
    let c = &n.body["contents"];
    assert_eq!(n.body["system_instruction"], json!({"parts": [{"text": "be brief"}]}));
    assert_eq!(c.as_array().unwrap().len(), 3);
    assert_eq!(
        c[0],
        json!({"role": "user", "parts": [{"text": "weather?"}, {"text": "<system>\nuse celsius\n</system>"}]})
    );
    assert_eq!(c[1]["role"], "model");
    assert_eq!(c[1]["parts"][0]["functionCall"], json!({"name": "weather", "args": {"city": "Paris"}}));
    assert_eq!(c[2]["role"], "user");
    assert_eq!(c[2]["parts"][0], json!({"functionResponse": {"name": "weather", "response": {"result": "21C"}}}));
    assert_eq!(c[2]["parts"][1], json!({"text": "<system>\nnow summarise\n</system>"}));
    assert_eq!(c[2]["parts"].as_array().unwrap().len(), 2, "a blank late system prompt is dropped");

    // Only system prompts: nothing Gemini would accept.
    let e = GeminiAdapter
        .encode(
            &request(json!({"model": "m", "messages": [{"role": "system", "content": "x"}]})),
            &spec("gemini"),
            None,
        )
        .unwrap_err();
    assert!(e.message.contains("at least one"), "{e}");
}

#[test]
fn empty_messages_and_empty_tool_calls() {
    let n = encode(json!({"model": "m", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "", "tool_calls": []},
        {"role": "user", "content": ""},
        {"role": "user", "content": "  \t"},
        {"role": "user", "content": [{"type": "text", "text": " "}, {"type": "text", "text": "again"}]},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"}
    ]}));
    assert_eq!(
        n.body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "hi"}, {"text": "again"}]},
            {"role": "model", "parts": [{"text": "hello"}]},
            {"role": "user", "parts": [{"text": "bye"}]}
        ])
    );
    let e = GeminiAdapter
        .encode(
            &request(json!({"model": "m", "messages": [{"role": "user", "content": "   "}]})),
            &spec("gemini"),
            None,
        )
        .unwrap_err();
    assert!(e.message.contains("non-empty"), "{e}");
}

#[test]
fn parallel_calls_and_their_results() {
    let n = encode(json!({"model": "m", "messages": [
        {"role": "user", "content": "weather in Paris and time in Tokyo"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_b", "type": "function", "function": {"name": "clock", "arguments": ""}},
            {"id": "call_c", "type": "function", "function": {"name": "noop", "arguments": "null"}}
        ]},
        {"role": "tool", "tool_call_id": "call_b", "content": "{\"time\": \"09:00\"}"},
        {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_c", "content": "[1,2]"}
    ]}));
    let c = n.body["contents"].as_array().unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(
        c[1]["parts"],
        json!([
            {"text": "Checking."},
            {"functionCall": {"name": "weather", "args": {"city": "Paris"}}},
            {"functionCall": {"name": "clock", "args": {}}},
            {"functionCall": {"name": "noop", "args": {}}}
        ])
    );
    assert_eq!(c[2]["role"], "user");
    assert_eq!(
        c[2]["parts"],
        json!([
            {"functionResponse": {"name": "clock", "response": {"time": "09:00"}}},
            {"functionResponse": {"name": "weather", "response": {"result": "sunny"}}},
            {"functionResponse": {"name": "noop", "response": {"result": "[1,2]"}}}
        ]),
        "all parallel results in one user turn, named after their calls"
    );
}

#[test]
fn encode_errors_name_what_is_wrong() {
    let bad_id = request(json!({"model": "m", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_zzz", "content": "ok"}
    ]}));
    let e = GeminiAdapter.encode(&bad_id, &spec("gemini"), None).unwrap_err();
    assert!(e.message.contains("call_zzz"), "{e}");
    assert_eq!(e.provider, "gemini");

    let bad_args = request(json!({"model": "m", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":"}}]}
    ]}));
    let e = GeminiAdapter.encode(&bad_args, &spec("gemini"), None).unwrap_err();
    assert!(e.message.contains("message 1"), "{e}");

    let bad_image = request(json!({"model": "m", "messages": [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}
    ]}));
    assert!(GeminiAdapter.encode(&bad_image, &spec("gemini"), None).unwrap_err().message.contains("message 0"));
}

#[test]
fn tools_schemas_and_choice() {
    let n = encode(json!({"model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {"type": "function", "function": {"name": "now", "description": "current time"}},
            {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}, "additionalProperties": false}}},
            {"type": "function", "function": {"name": "book", "description": "book a trip", "strict": true, "parameters": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {
                    "traveller": {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": ["integer", "null"]}}, "required": ["name"], "additionalProperties": false},
                    "legs": {"type": "array", "items": {"type": "object", "properties": {"from": {"type": "string", "format": "uri"}, "to": {"type": "string"}}, "additionalProperties": false}, "minItems": 1},
                    "class": {"type": "string", "enum": ["economy", "business"], "default": "economy"},
                    "meta": {"type": "object", "additionalProperties": {"type": "string"}}
                },
                "required": ["traveller", "legs"],
                "additionalProperties": false
            }}}
        ],
        "tool_choice": {"type": "function", "function": {"name": "book"}},
        "parallel_tool_calls": false
    }));
    let decls = &n.body["tools"][0]["functionDeclarations"];
    assert_eq!(decls[0], json!({"name": "now", "description": "current time"}), "no parameters key");
    assert_eq!(decls[1], json!({"name": "ping"}), "an empty object schema is no parameters");
    let p = &decls[2]["parameters"];
    assert!(!p.to_string().contains("additionalProperties"), "{p}");
    assert!(!p.to_string().contains("$schema"));
    assert!(!p.to_string().contains("default"));
    assert!(decls[2].get("strict").is_none());
    assert_eq!(p["required"], json!(["traveller", "legs"]));
    assert_eq!(p["properties"]["traveller"]["properties"]["age"], json!({"type": "integer", "nullable": true}));
    assert_eq!(p["properties"]["traveller"]["required"], json!(["name"]));
    assert_eq!(p["properties"]["legs"]["minItems"], 1);
    assert_eq!(
        p["properties"]["legs"]["items"]["properties"]["from"],
        json!({"type": "string"}),
        "unsupported format dropped"
    );
    assert_eq!(p["properties"]["class"], json!({"type": "string", "enum": ["economy", "business"]}));
    assert_eq!(p["properties"]["meta"], json!({"type": "object"}));
    assert_eq!(
        n.body["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["book"]}})
    );
    assert!(n.body.to_string().find("parallel").is_none(), "parallel_tool_calls has no Gemini spelling");

    let n = encode(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tool_choice": "none"}));
    assert!(n.body.get("toolConfig").is_none(), "no calling config without declarations");

    for (choice, mode) in [("auto", "AUTO"), ("required", "ANY"), ("none", "NONE")] {
        let n = encode(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "now"}}], "tool_choice": choice}));
        assert_eq!(n.body["toolConfig"]["functionCallingConfig"], json!({"mode": mode}));
    }
}

#[test]
fn refs_in_tool_parameters_are_inlined() {
    let n = encode(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
    "tools": [{"type": "function", "function": {"name": "tree", "parameters": {
        "type": "object",
        "properties": {"root": {"$ref": "#/definitions/Node"}, "kind": {"const": "tree"}, "mode": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
        "definitions": {"Node": {"type": "object", "properties": {"name": {"type": "string"}, "kids": {"type": "array", "items": {"$ref": "#/definitions/Node"}}}}}
    }}}]}));
    let p = &n.body["tools"][0]["functionDeclarations"][0]["parameters"];
    assert!(p.get("definitions").is_none());
    assert_eq!(p["properties"]["root"]["properties"]["name"], json!({"type": "string"}));
    assert_eq!(p["properties"]["root"]["properties"]["kids"]["items"], json!({"type": "object"}), "cycle cut");
    assert_eq!(p["properties"]["kind"], json!({"enum": ["tree"], "type": "string"}));
    assert_eq!(p["properties"]["mode"], json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}));
    assert!(!p.to_string().contains("$ref"));
}

#[test]
fn generation_config_response_format_and_images() {
    let n = encode(json!({"model": "m",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.WEBP?size=large"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/photo"}}
        ]}],
        "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "seed": 7,
        "stop": ["END", "STOP"],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "strict": true, "schema": {
            "type": "object",
            "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}, "additionalProperties": false}},
            "additionalProperties": false, "required": ["a"]
        }}}
    }));
    let parts = &n.body["contents"][0]["parts"];
    assert_eq!(parts[1], json!({"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}));
    assert_eq!(
        parts[2],
        json!({"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.WEBP?size=large"}})
    );
    assert_eq!(parts[3], json!({"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo"}}));
    let g = &n.body["generationConfig"];
    assert_eq!(g["temperature"], 0.2);
    assert_eq!(g["topP"], 0.9);
    assert_eq!(g["maxOutputTokens"], 50);
    assert_eq!(g["seed"], 7);
    assert_eq!(g["stopSequences"], json!(["END", "STOP"]));
    assert_eq!(g["responseMimeType"], "application/json");
    assert_eq!(
        g["responseSchema"],
        json!({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}, "required": ["a"]})
    );

    let n = encode(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_object"}, "max_completion_tokens": 9, "stop": "X"}));
    assert_eq!(
        n.body["generationConfig"],
        json!({"maxOutputTokens": 9, "stopSequences": ["X"], "responseMimeType": "application/json"})
    );
}

// --- fidelity: block reasons, bad calls, tool-use tokens, thought signatures, JSON Schema -----

/// Every blocking finish reason is a content filter, Vertex's `MODEL_ARMOR` (a candidate with no
/// content) included, whole and streamed. Wire-accurate synthesized bodies.
/// <https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse#FinishReason>
#[test]
fn model_armor_and_other_block_reasons_are_content_filter() {
    for raw in ["MODEL_ARMOR", "IMAGE_SAFETY", "SPII", "PROHIBITED_CONTENT", "IMAGE_OTHER"] {
        let body = json!({"candidates":[{"finishReason":raw,"index":0}],"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12},
            "modelVersion":"gemini-2.5-flash","responseId":"armor1"});
        let r = GeminiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
        assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter), "{raw}");
        assert_eq!(r.message().unwrap().content, None);
        let s = stream_of(&[body]).result.unwrap();
        assert_eq!(s.finish_reason(), Some(FinishReason::ContentFilter), "{raw} streamed");
    }
}

/// `MALFORMED_FUNCTION_CALL` (a call that does not parse) and `UNEXPECTED_TOOL_CALL` (a call to
/// a function the request did not declare) leave nothing a caller could dispatch: they are
/// `malformed_response` errors with the finish reason as code, never an empty stop; a
/// function call naming an undeclared function is the same error, whole and streamed.
/// <https://ai.google.dev/api/generate-content#FinishReason>
#[test]
fn malformed_and_unexpected_function_calls_are_errors_not_calls() {
    let malformed = json!({"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"Malformed function call: print(default_api.lookup(q=\"x)","index":0}],
        "usageMetadata":{"promptTokenCount":2595,"totalTokenCount":2595},"modelVersion":"gemini-2.5-flash"});
    let e = GeminiAdapter.decode(malformed.to_string().as_bytes(), &ResponseHints::default()).unwrap_err();
    assert_eq!((e.kind, e.provider_code.as_deref()), (ErrorKind::MalformedResponse, Some("MALFORMED_FUNCTION_CALL")));
    assert!(e.message.contains("Malformed function call"), "{e}");
    assert_eq!(stream_of(&[malformed]).result.unwrap_err().kind, ErrorKind::MalformedResponse);

    let unexpected = json!({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"delete_everything","args":{}}}]},
        "finishReason":"UNEXPECTED_TOOL_CALL","index":0}]});
    let e = GeminiAdapter.decode(unexpected.to_string().as_bytes(), &ResponseHints::default()).unwrap_err();
    assert_eq!(e.provider_code.as_deref(), Some("UNEXPECTED_TOOL_CALL"));

    let undeclared = json!({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"delete_everything","args":{}}}]},
        "finishReason":"STOP","index":0}]});
    let hints = ResponseHints { declared_tools: Some(vec!["get_weather".into()]), ..Default::default() };
    let e = GeminiAdapter.decode(undeclared.to_string().as_bytes(), &hints).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("delete_everything"), "{e}");
    let mut sse = String::new();
    encode_event(None, &undeclared.to_string(), &mut sse);
    let streamed =
        decode_stream_bytes(&GeminiAdapter, &ResponseHints { stream: true, ..hints.clone() }, sse.as_bytes());
    assert_eq!(streamed.result.unwrap_err().kind, ErrorKind::MalformedResponse);
    let declared = ResponseHints { declared_tools: Some(vec!["delete_everything".into()]), ..Default::default() };
    assert!(GeminiAdapter.decode(undeclared.to_string().as_bytes(), &declared).is_ok());
}

/// Responses that used search, URL context, code execution or file search report the tool
/// results fed to the model as `toolUsePromptTokenCount`, billed as input: they are prompt
/// tokens, and `totalTokenCount` (which includes them) is kept. Wire-accurate synthesized usage.
/// <https://ai.google.dev/api/generate-content#UsageMetadata>
#[test]
fn tool_use_prompt_tokens_are_prompt_tokens() {
    let body = json!({"candidates":[{"content":{"role":"model","parts":[{"text":"It is sunny in Paris."}]},"finishReason":"STOP","index":0}],
        "usageMetadata":{"promptTokenCount":33,"candidatesTokenCount":106,"totalTokenCount":284,"toolUsePromptTokenCount":39,"thoughtsTokenCount":106},
        "modelVersion":"gemini-2.5-flash","responseId":"g1"});
    let u = GeminiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap().usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (33 + 39, 106 + 106, 284));
    let s = stream_of(&[body]).result.unwrap().usage.unwrap();
    assert_eq!((s.prompt_tokens, s.total_tokens), (72, 284));
}

/// Gemini 3 rejects a tool history whose function call lost its `thoughtSignature` ("Function
/// call is missing a thought_signature"), and pairs calls with responses by id: the signature
/// is kept on the decoded call (genuine gemini-3-pro-preview recording) and goes back beside the
/// call, with the call's id on the call and on its response; Gemini 2.5 gets the signature only.
/// <https://ai.google.dev/gemini-api/docs/thought-signatures>
#[test]
fn gemini_3_tool_history_carries_call_ids_and_thought_signatures() {
    let call = decode("google/google-tool-call.json").message().unwrap().calls()[0].clone();
    let sig = call.thought_signature().expect("the signature is kept").to_string();
    assert!(sig.starts_with("EskgCsYgAb4"));
    let streamed = stream("google/google-tool-call.chunks.txt").result.unwrap();
    assert!(streamed.message().unwrap().calls()[0].thought_signature().is_some(), "kept when streamed too");

    let history = |model: &str| {
        json!({"model": model, "messages": [
            {"role": "user", "content": "Weather in San Francisco?"},
            {"role": "assistant", "tool_calls": [serde_json::to_value(&call).unwrap()]},
            {"role": "tool", "tool_call_id": call.id, "content": "{\"temperature\": 18}"}
        ], "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}]})
    };
    let n = encode(history("gemini-3-pro-preview"));
    let part = &n.body["contents"][1]["parts"][0];
    assert_eq!(part["thoughtSignature"], sig.as_str());
    assert_eq!(part["functionCall"]["id"], call.id.as_str());
    assert_eq!(n.body["contents"][2]["parts"][0]["functionResponse"]["id"], call.id.as_str());

    let n = encode(history("gemini-2.5-flash"));
    let part = &n.body["contents"][1]["parts"][0];
    assert_eq!(part["thoughtSignature"], sig.as_str());
    assert!(part["functionCall"].get("id").is_none());
    assert!(n.body["contents"][2]["parts"][0]["functionResponse"].get("id").is_none());
}

/// Gemini 2.5 and 3 take full JSON Schema in `parametersJsonSchema` and `responseJsonSchema`, so
/// a strict OpenAI schema goes as it is (minus `$schema`); models without them keep the reduced
/// OpenAPI subset in `parameters` / `responseSchema`.
/// <https://ai.google.dev/api/caching#FunctionDeclaration>, <https://ai.google.dev/api/generate-content#GenerationConfig>
#[test]
fn json_schema_fields_carry_full_json_schema_where_the_model_takes_it() {
    let schema = json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
        "properties": {"city": {"type": ["string", "null"]}}, "required": ["city"], "additionalProperties": false});
    let req = |model: &str| {
        json!({"model": model, "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "w", "parameters": schema}}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}}})
    };
    let n = encode(req("gemini-2.5-flash"));
    let p = &n.body["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"];
    assert_eq!(p["additionalProperties"], false);
    assert_eq!(p["properties"]["city"]["type"], json!(["string", "null"]));
    assert!(p.get("$schema").is_none());
    assert_eq!(n.body["generationConfig"]["responseJsonSchema"]["required"], json!(["city"]));
    assert!(n.body["generationConfig"].get("responseSchema").is_none());

    let n = encode(req("gemini-2.0-flash"));
    let p = &n.body["tools"][0]["functionDeclarations"][0]["parameters"];
    assert_eq!(p["properties"]["city"], json!({"type": "string", "nullable": true}));
    assert!(n.body["generationConfig"].get("responseSchema").is_some());
}

/// A tool history Gemini did not produce (another provider's calls, after a fallback) has no
/// signatures; on models that require them the documented placeholder goes in their place.
/// <https://ai.google.dev/gemini-api/docs/thought-signatures#faqs>
#[test]
fn foreign_tool_calls_get_the_documented_placeholder_signature_on_gemini_3() {
    let history = |model: &str| {
        json!({"model": model, "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "tool_calls": [{"id": "call_PTLP8xhu3uwZk4l3nlnrrJha", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_PTLP8xhu3uwZk4l3nlnrrJha", "content": "sunny"}
        ]})
    };
    let n = encode(history("gemini-3-pro-preview"));
    assert_eq!(n.body["contents"][1]["parts"][0]["thoughtSignature"], "skip_thought_signature_validator");
    let n = encode(history("gemini-2.5-flash"));
    assert!(n.body["contents"][1]["parts"][0].get("thoughtSignature").is_none());
}
