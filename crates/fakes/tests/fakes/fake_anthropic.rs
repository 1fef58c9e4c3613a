//! The fake Anthropic Messages provider: its answers, errors and rejections, decoded by the real
//! Anthropic adapter over HTTP.

use std::sync::Arc;
use std::time::Duration;

use crate::book::MockBook;
use crate::common::spec;
use llm_conform_core::api::{ChatCompletion, ChatRequest, ErrorKind, FinishReason, ProviderError};
use llm_conform_core::providers::{NativeRequest, ProviderSpec, WireFamily};
use llm_conform_core::transport::{CallOutcome, HttpTransport, TransportConfig};
use llm_conform_fakes::{CASE_HEADER, FakeProvider, INVALID_KEY};
use llm_conform_fakes::{MockAnswer, MockError, MockToolCall, MockUsage};
use serde_json::{Value, json};

const SUITE: &str = "fake";
const PROVIDER: &str = "anthropic";
const MODEL: &str = "claude-sonnet-4-5-20250929";
const TEXT: &str = "The capital of France is Paris, a city on the Seine.";

fn text_mock() -> MockAnswer {
    MockAnswer {
        text: Some(TEXT.into()),
        usage: Some(MockUsage { prompt: 507, completion: 10, cached: 448, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn tools_mock() -> MockAnswer {
    MockAnswer {
        text: Some("I'll look up the weather and the time for you.".into()),
        tool_calls: vec![
            MockToolCall {
                name: "weather".into(),
                arguments: Some(json!({"location": "San Francisco", "unit": "celsius"})),
                arguments_raw: None,
            },
            MockToolCall { name: "now".into(), arguments: None, arguments_raw: None },
        ],
        usage: Some(MockUsage { prompt: 565, completion: 48, cached: 0, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn error_mock(kind: ErrorKind, status: Option<u16>, retry: Option<f64>) -> MockAnswer {
    MockAnswer { error: Some(MockError { kind, status, message: None, retry_after_s: retry }), ..Default::default() }
}

fn mocks() -> Vec<(&'static str, MockAnswer)> {
    vec![
        ("text", text_mock()),
        ("tools", tools_mock()),
        (
            "thinking",
            MockAnswer {
                text: Some("42".into()),
                reasoning: Some("six times seven".into()),
                finish: Some(FinishReason::Length),
                ..Default::default()
            },
        ),
        (
            "json",
            MockAnswer {
                text: Some(r#"{"city":"Paris","country":"France","tags":["a","b"]}"#.into()),
                ..Default::default()
            },
        ),
        ("stop_hit", MockAnswer { text: Some("one two three four".into()), ..Default::default() }),
        ("stop_miss", MockAnswer { text: Some("1, 2, 3, 4, ".into()), ..Default::default() }),
        ("refusal", MockAnswer { finish: Some(FinishReason::ContentFilter), ..Default::default() }),
        (
            "raw_args",
            MockAnswer {
                tool_calls: vec![MockToolCall {
                    name: "weather".into(),
                    arguments: None,
                    arguments_raw: Some(r#"{"location":"Paris"}"#.into()),
                }],
                ..Default::default()
            },
        ),
        ("err_invalid", error_mock(ErrorKind::InvalidRequest, None, None)),
        ("err_context", error_mock(ErrorKind::ContextLengthExceeded, None, None)),
        ("err_auth", error_mock(ErrorKind::Authentication, None, None)),
        ("err_permission", error_mock(ErrorKind::PermissionDenied, None, None)),
        ("err_not_found", error_mock(ErrorKind::NotFound, None, None)),
        ("err_rate", error_mock(ErrorKind::RateLimited, None, Some(6.2))),
        ("err_rate_no_hint", error_mock(ErrorKind::RateLimited, None, None)),
        ("err_quota", error_mock(ErrorKind::QuotaExhausted, None, None)),
        ("err_overloaded", error_mock(ErrorKind::Overloaded, None, None)),
        ("err_server", error_mock(ErrorKind::ServerError, None, None)),
        ("err_timeout", error_mock(ErrorKind::Timeout, None, None)),
        ("err_too_large", error_mock(ErrorKind::InvalidRequest, Some(413), None)),
    ]
}

async fn start() -> FakeProvider {
    let mut book = MockBook::default();
    for (scenario, mock) in mocks() {
        book.insert(SUITE, scenario, PROVIDER, mock);
    }
    FakeProvider::start(PROVIDER, WireFamily::Anthropic, Arc::new(book)).await
}

fn fake_spec(fake: &FakeProvider) -> ProviderSpec {
    let mut s = spec(PROVIDER);
    s.base_url = format!("{}/v1", fake.uri());
    s
}

fn request(stream: bool, extra: Value) -> ChatRequest {
    let mut v = json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "stream": stream,
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    serde_json::from_value(v).unwrap()
}

fn native(fake: &FakeProvider, req: &ChatRequest, scenario: &str, key: &str) -> NativeRequest {
    let s = fake_spec(fake);
    let mut n = s.family.adapter().encode(req, &s, Some(key)).unwrap();
    let mode = if req.is_stream() { "stream" } else { "non_stream" };
    n.header(CASE_HEADER, format!("{SUITE}/{scenario}/{PROVIDER}/{mode}"));
    n
}

async fn send(n: &NativeRequest) -> CallOutcome {
    let t = HttpTransport::new(TransportConfig { timeout: Duration::from_secs(20), ..Default::default() }).unwrap();
    t.call(WireFamily::Anthropic.adapter(), n).await
}

async fn call(fake: &FakeProvider, scenario: &str, stream: bool, extra: Value) -> CallOutcome {
    send(&native(fake, &request(stream, extra), scenario, "test-key-not-real")).await
}

fn ok(out: &CallOutcome) -> &ChatCompletion {
    match &out.result {
        Ok(r) => r,
        Err(e) => panic!("expected a completion, got {e:?}\nbody: {}", String::from_utf8_lossy(&out.raw.body)),
    }
}

fn err(out: &CallOutcome) -> &ProviderError {
    match &out.result {
        Err(e) => e,
        Ok(r) => panic!("expected an error, got {r:?}"),
    }
}

fn body_json(out: &CallOutcome) -> Value {
    serde_json::from_slice(&out.raw.body).unwrap()
}

fn header<'a>(out: &'a CallOutcome, name: &str) -> Option<&'a str> {
    out.raw.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn usage_of(r: &ChatCompletion) -> (u64, u64, u64) {
    let u = r.usage.as_ref().unwrap();
    (u.prompt_tokens, u.completion_tokens, u.cached_tokens())
}

/// The stream's payloads, checking each `event:` line names its payload's type.
fn payloads(out: &CallOutcome) -> Vec<Value> {
    out.raw
        .events
        .iter()
        .map(|(_, e)| {
            let v: Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(e.event.as_deref(), v["type"].as_str(), "event line names the payload type");
            v
        })
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn assert_suffix(id: &str, prefix: &str, len: usize) {
    let rest = id.strip_prefix(prefix).unwrap_or_else(|| panic!("{id} should start with {prefix}"));
    assert_eq!(rest.len(), len, "{id}");
    assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
}

#[tokio::test]
async fn text_answer_whole_and_streamed() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "text", stream, json!({})).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some(TEXT), "stream {stream}");
        assert!(m.tool_calls.is_none());
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
        assert_eq!(usage_of(r), (507, 10, 448));
        assert_suffix(&r.id, "msg_01", 22);
        assert_eq!(r.model, MODEL);
        assert_eq!(out.raw.streamed, stream);
        assert!(header(&out, "request-id").is_some_and(|h| h.starts_with("req_011C")));
    }
}

#[tokio::test]
async fn text_body_has_the_native_shape() {
    let fake = start().await;
    let out = call(&fake, "text", false, json!({})).await;
    let v = body_json(&out);
    assert_eq!(keys(&v), ["model", "id", "type", "role", "content", "stop_reason", "stop_sequence", "usage"]);
    assert_eq!((v["type"].as_str(), v["role"].as_str()), (Some("message"), Some("assistant")));
    assert_eq!(v["content"], json!([{"type": "text", "text": TEXT}]));
    assert_eq!((v["stop_reason"].as_str(), &v["stop_sequence"]), (Some("end_turn"), &Value::Null));
    assert_eq!(
        v["usage"],
        json!({
            "input_tokens": 59,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 448,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 10,
            "service_tier": "standard",
        })
    );
    assert_eq!(keys(&v["usage"])[5], "service_tier");
    // Deterministic: a second call gives the same bytes.
    let again = call(&fake, "text", false, json!({})).await;
    assert_eq!(out.raw.body, again.raw.body);
}

#[tokio::test]
async fn text_stream_is_framed_like_the_sample() {
    let fake = start().await;
    let out = call(&fake, "text", true, json!({})).await;
    ok(&out);
    let events = payloads(&out);
    let kinds: Vec<&str> = events.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(&kinds[kinds.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    assert!(kinds[3..kinds.len() - 3].iter().all(|k| *k == "content_block_delta"));
    assert!(out.raw.events.iter().all(|(_, e)| e.data != "[DONE]"));

    let start = &events[0]["message"];
    assert_eq!(keys(start), ["model", "id", "type", "role", "content", "stop_reason", "stop_sequence", "usage"]);
    assert_eq!(start["usage"]["output_tokens"], 1);
    assert_eq!(start["usage"]["cache_read_input_tokens"], 448);
    assert_eq!(events[1]["content_block"], json!({"type": "text", "text": ""}));
    let text: String = events.iter().filter_map(|v| v["delta"]["text"].as_str()).collect();
    assert_eq!(text, TEXT);
    assert!(events.iter().filter(|v| v["type"] == "content_block_delta").count() > 1, "text comes in pieces");
    let delta = &events[events.len() - 2];
    assert_eq!(
        delta,
        &json!({
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"input_tokens": 59, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 448, "output_tokens": 10},
        })
    );
}

#[tokio::test]
async fn tool_calls_whole_and_streamed() {
    let fake = start().await;
    let tools = json!({"tools": [
        {"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}},
        {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}},
    ]});
    let mut ids = Vec::new();
    for stream in [false, true] {
        let out = call(&fake, "tools", stream, tools.clone()).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some("I'll look up the weather and the time for you."), "stream {stream}");
        let calls = m.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].function.name, "weather");
        let args: Value = serde_json::from_str(&calls[0].function.arguments).unwrap();
        assert_eq!(args, json!({"location": "San Francisco", "unit": "celsius"}));
        assert_eq!(calls[1].function.name, "now");
        assert_eq!(calls[1].function.arguments, "{}");
        for c in calls {
            assert_suffix(&c.id, "toolu_01", 22);
        }
        ids.push(calls.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
        assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
        assert_eq!(usage_of(r), (565, 48, 0));
    }
    assert_ne!(ids[0], ids[1], "ids depend on the case, which differs by mode");

    let v = body_json(&call(&fake, "tools", false, tools.clone()).await);
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(keys(&v["content"][1]), ["type", "id", "name", "input"]);
    assert_eq!(v["content"][1]["input"], json!({"location": "San Francisco", "unit": "celsius"}));
    assert_eq!(v["content"][2]["input"], json!({}));

    let out = call(&fake, "tools", true, tools).await;
    let events = payloads(&out);
    let of_block = |i: u64| -> Vec<&Value> { events.iter().filter(|v| v["index"] == i).collect() };
    // Like anthropic-tool-no-args.chunks.txt: a call without arguments sends one empty piece.
    let no_args = of_block(2);
    assert_eq!(no_args.len(), 3, "{no_args:?}");
    assert_eq!(no_args[0]["content_block"]["input"], json!({}));
    assert_eq!(no_args[1]["delta"], json!({"type": "input_json_delta", "partial_json": ""}));
    // A call with arguments opens with an empty piece, then streams them spaced as the API does.
    let with_args: String = of_block(1).iter().filter_map(|v| v["delta"]["partial_json"].as_str()).collect();
    assert_eq!(with_args, r#"{"location": "San Francisco", "unit": "celsius"}"#);
    assert_eq!(of_block(1)[1]["delta"]["partial_json"], "");
    assert_eq!(events.iter().filter(|v| v["type"] == "ping").count(), 1);
    assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn raw_arguments_are_streamed_exactly() {
    let fake = start().await;
    let tools =
        json!({"tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]});
    for stream in [false, true] {
        let out = call(&fake, "raw_args", stream, tools.clone()).await;
        let r = ok(&out);
        let args: Value = serde_json::from_str(&r.message().unwrap().calls()[0].function.arguments).unwrap();
        assert_eq!(args, json!({"location": "Paris"}), "stream {stream}");
        assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    }
    let out = call(&fake, "raw_args", true, tools).await;
    let streamed: String = payloads(&out).iter().filter_map(|v| v["delta"]["partial_json"].as_str()).collect();
    assert_eq!(streamed, r#"{"location":"Paris"}"#);
}

/// Thinking blocks come only when the request turns thinking on
/// (<https://docs.claude.com/en/docs/build-with-claude/extended-thinking>).
#[tokio::test]
async fn reasoning_is_a_signed_thinking_block() {
    let fake = start().await;
    let thinking = json!({"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048});
    for stream in [false, true] {
        let out = call(&fake, "thinking", stream, thinking.clone()).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some("42"), "stream {stream}");
        assert_eq!(m.reasoning_content.as_deref(), Some("six times seven"));
        assert_eq!(r.finish_reason(), Some(FinishReason::Length));
        let off = ok(&call(&fake, "thinking", stream, json!({})).await).clone();
        assert_eq!(off.message().unwrap().reasoning_content, None, "no thinking unless asked, stream {stream}");
    }
    let v = body_json(&call(&fake, "thinking", false, thinking.clone()).await);
    assert_eq!(keys(&v["content"][0]), ["type", "thinking", "signature"]);
    assert_eq!(v["content"][0]["thinking"], "six times seven");
    assert!(v["content"][0]["signature"].as_str().unwrap().len() > 100);
    assert_eq!(v["content"][1], json!({"type": "text", "text": "42"}));
    assert_eq!(v["stop_reason"], "max_tokens");

    let out = call(&fake, "thinking", true, thinking).await;
    let events = payloads(&out);
    assert_eq!(events[1]["content_block"], json!({"type": "thinking", "thinking": "", "signature": ""}));
    let kinds: Vec<&str> = events.iter().filter_map(|v| v["delta"]["type"].as_str()).collect();
    assert!(kinds.contains(&"thinking_delta") && kinds.contains(&"signature_delta") && kinds.contains(&"text_delta"));
}

#[tokio::test]
async fn json_mode_answers_with_the_json_tool() {
    let fake = start().await;
    let extra = json!({"response_format": {"type": "json_object"}});
    let expected = json!({"city": "Paris", "country": "France", "tags": ["a", "b"]});
    for stream in [false, true] {
        let out = call(&fake, "json", stream, extra.clone()).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        let content: Value = serde_json::from_str(m.content.as_deref().unwrap()).unwrap();
        assert_eq!(content, expected, "stream {stream}");
        assert!(m.tool_calls.is_none());
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    }
    let v = body_json(&call(&fake, "json", false, extra.clone()).await);
    assert_eq!(v["content"].as_array().unwrap().len(), 1);
    assert_eq!((v["content"][0]["type"].as_str(), v["content"][0]["name"].as_str()), (Some("tool_use"), Some("json")));
    assert_eq!(v["content"][0]["input"], expected);
    assert_eq!(v["stop_reason"], "tool_use");

    // Without the forced tool the same text is plain text.
    let r = call(&fake, "json", false, json!({})).await;
    assert_eq!(body_json(&r)["content"][0]["type"], "text");
    assert_eq!(body_json(&r)["stop_reason"], "end_turn");
}

#[tokio::test]
async fn stop_sequences() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "stop_hit", stream, json!({"stop": ["three"]})).await;
        let r = ok(&out);
        assert_eq!(r.message().unwrap().content.as_deref(), Some("one two "), "stream {stream}");
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    }
    let v = body_json(&call(&fake, "stop_hit", false, json!({"stop": ["three"]})).await);
    assert_eq!((v["stop_reason"].as_str(), v["stop_sequence"].as_str()), (Some("stop_sequence"), Some("three")));
    let out = call(&fake, "stop_hit", true, json!({"stop": ["three"]})).await;
    let events = payloads(&out);
    assert_eq!(events[events.len() - 2]["delta"], json!({"stop_reason": "stop_sequence", "stop_sequence": "three"}));

    // The text does not reach the sequence: the model ended its turn.
    let out = call(&fake, "stop_miss", false, json!({"stop": ["5"]})).await;
    assert_eq!(ok(&out).message().unwrap().content.as_deref(), Some("1, 2, 3, 4, "));
    let v = body_json(&out);
    assert_eq!((v["stop_reason"].as_str(), &v["stop_sequence"]), (Some("end_turn"), &Value::Null));
}

#[tokio::test]
async fn refusal_is_content_filter() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "refusal", stream, json!({})).await;
        let r = ok(&out);
        assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter), "stream {stream}");
        assert!(r.message().unwrap().content.as_deref().unwrap_or_default().is_empty());
    }
    let v = body_json(&call(&fake, "refusal", false, json!({})).await);
    assert_eq!((v["content"].clone(), v["stop_reason"].as_str()), (json!([]), Some("refusal")));
}

#[tokio::test]
async fn errors_map_back_to_their_kind() {
    let fake = start().await;
    let cases = [
        ("err_invalid", ErrorKind::InvalidRequest, 400, "invalid_request_error"),
        ("err_context", ErrorKind::ContextLengthExceeded, 400, "invalid_request_error"),
        ("err_auth", ErrorKind::Authentication, 401, "authentication_error"),
        ("err_permission", ErrorKind::PermissionDenied, 403, "permission_error"),
        ("err_not_found", ErrorKind::NotFound, 404, "not_found_error"),
        ("err_too_large", ErrorKind::InvalidRequest, 413, "request_too_large"),
        ("err_rate", ErrorKind::RateLimited, 429, "rate_limit_error"),
        ("err_rate_no_hint", ErrorKind::RateLimited, 429, "rate_limit_error"),
        ("err_overloaded", ErrorKind::Overloaded, 529, "overloaded_error"),
        ("err_server", ErrorKind::ServerError, 500, "api_error"),
        ("err_timeout", ErrorKind::Timeout, 504, "timeout_error"),
    ];
    for (scenario, kind, status, wire_type) in cases {
        for stream in [false, true] {
            let out = call(&fake, scenario, stream, json!({})).await;
            let e = err(&out);
            assert_eq!((e.kind, e.status), (kind, Some(status)), "{scenario} stream {stream}: {}", e.message);
            let v = body_json(&out);
            assert_eq!(keys(&v), ["type", "error", "request_id"], "{scenario}");
            assert_eq!(v["type"], "error");
            assert_eq!(v["error"]["type"], wire_type, "{scenario}");
            assert_eq!(header(&out, "request-id"), v["request_id"].as_str());
            let rid = v["request_id"].as_str().unwrap();
            assert!(rid.starts_with("req_011C") && rid.len() == 28, "{rid}");
        }
    }
    let msg = |scenario: &'static str| {
        let fake = &fake;
        async move { err(&call(fake, scenario, false, json!({})).await).message.clone() }
    };
    assert_eq!(msg("err_auth").await, "invalid x-api-key");
    assert_eq!(msg("err_not_found").await, format!("model: {MODEL}"));
    assert_eq!(msg("err_context").await, "prompt is too long: 210000 tokens > 200000 maximum");
    assert_eq!(msg("err_overloaded").await, "Overloaded");

    let out = call(&fake, "err_rate", false, json!({})).await;
    assert_eq!(err(&out).retry_after, Some(Duration::from_secs(7)), "6.2s rounds up to whole seconds");
    assert_eq!(header(&out, "retry-after"), Some("7"));
    assert_eq!(header(&out, "anthropic-ratelimit-requests-remaining"), Some("0"));
    let reset = header(&out, "anthropic-ratelimit-requests-reset").unwrap();
    assert!(reset.ends_with('Z') && reset.contains('T'), "{reset}");
    let out = call(&fake, "err_rate_no_hint", false, json!({})).await;
    assert!(err(&out).retry_after.is_some(), "anthropic always sends retry-after on a 429");
    let out = call(&fake, "err_server", false, json!({})).await;
    assert_eq!(err(&out).retry_after, None);
}

/// Anthropic reports an exhausted credit balance as a 400 invalid request; only the message
/// tells it apart (the kind it classifies to is decided in classify.rs, not asserted here).
#[tokio::test]
async fn exhausted_credit_is_quota() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "err_quota", stream, json!({})).await;
        let e = err(&out);
        assert_eq!(e.status, Some(400));
        assert!(e.message.starts_with("Your credit balance is too low to access the Anthropic API."), "{}", e.message);
        assert_eq!(body_json(&out)["error"]["type"], "invalid_request_error");
    }
}

#[tokio::test]
async fn invalid_key_is_a_401() {
    let fake = start().await;
    let out = send(&native(&fake, &request(false, json!({})), "text", INVALID_KEY)).await;
    let e = err(&out);
    assert_eq!((e.kind, e.status, e.message.as_str()), (ErrorKind::Authentication, Some(401), "invalid x-api-key"));
    assert_eq!(body_json(&out)["error"]["type"], "authentication_error");
}

/// Sends the adapter's request for `scenario` with its native body changed by `edit`.
async fn send_edited(fake: &FakeProvider, extra: Value, edit: impl FnOnce(&mut Value)) -> CallOutcome {
    let mut n = native(fake, &request(false, extra), "text", "test-key-not-real");
    edit(&mut n.body);
    send(&n).await
}

fn assert_rejected(out: &CallOutcome, message: &str) {
    let e = err(out);
    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, Some(400)), "{}", e.message);
    assert_eq!(e.message, message);
    assert_eq!(body_json(out)["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn rejects_what_the_messages_api_rejects() {
    let fake = start().await;
    let set = |path: &'static str, v: Value| {
        move |b: &mut Value| {
            *b.pointer_mut(path).unwrap() = v;
        }
    };

    let out = send_edited(&fake, json!({}), |b| {
        b.as_object_mut().unwrap().remove("max_tokens");
    })
    .await;
    assert_rejected(&out, "max_tokens: Field required");

    let out = send_edited(&fake, json!({}), set("/messages/0/content", json!([{"type": "text", "text": ""}]))).await;
    assert_rejected(&out, "messages: text content blocks must be non-empty");

    let out = send_edited(&fake, json!({}), set("/messages/0/content", json!([{"type": "text", "text": " \n"}]))).await;
    assert_rejected(&out, "messages: text content blocks must contain non-whitespace text");

    let out = send_edited(&fake, json!({}), |b| b["system"] = json!([{"type": "text", "text": ""}])).await;
    assert_rejected(&out, "system: text content blocks must be non-empty");

    let out = send_edited(&fake, json!({}), |b| b["system"] = json!([{"type": "text", "text": "  "}])).await;
    assert_rejected(&out, "system: text content blocks must contain non-whitespace text");

    let out = send_edited(&fake, json!({}), |b| {
        b["messages"].as_array_mut().unwrap().insert(0, json!({"role": "system", "content": "Be brief."}));
    })
    .await;
    assert_rejected(
        &out,
        "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \
         \"system\" as an input message role.",
    );

    let out = send_edited(&fake, json!({}), |b| {
        b["messages"].as_array_mut().unwrap().push(json!({"role": "assistant", "content": "Paris "}));
    })
    .await;
    assert_rejected(&out, "messages: final assistant content cannot end with trailing whitespace");

    let out = send_edited(&fake, json!({}), set("/messages/0/content", json!(""))).await;
    assert_rejected(
        &out,
        "messages.0: all messages must have non-empty content except for the optional final assistant message",
    );

    let out = send_edited(&fake, json!({}), set("/messages/0/role", json!("tool"))).await;
    assert_rejected(&out, "messages.0.role: Input should be 'user' or 'assistant'");

    // JSON mode forces the `json` tool, which extended thinking does not allow.
    let extra =
        json!({"response_format": {"type": "json_object"}, "thinking": {"type": "enabled", "budget_tokens": 1024}});
    let out = send_edited(&fake, extra, |_| {}).await;
    assert_rejected(&out, "Thinking may not be enabled when tool_choice forces tool use.");

    // What the adapter sends in the same cases passes.
    let out = call(
        &fake,
        "text",
        false,
        json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": " "}, {"type": "text", "text": "Capital of France?"}]},
            {"role": "assistant", "content": "Paris "},
        ]}),
    )
    .await;
    assert_eq!(ok(&out).message().unwrap().content.as_deref(), Some(TEXT));
}

fn tool_history(call_id: &str, result_id: &str) -> Value {
    json!({
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": result_id, "content": "sunny"},
        ],
    })
}

#[tokio::test]
async fn rejects_broken_tool_histories() {
    let fake = start().await;
    let good = tool_history("toolu_01AbCdEfGhIjKlMnOpQrStUv", "toolu_01AbCdEfGhIjKlMnOpQrStUv");

    let out = call(&fake, "text", false, good.clone()).await;
    assert_eq!(ok(&out).message().unwrap().content.as_deref(), Some(TEXT));
    // The adapter rewrites ids outside the API's alphabet on both sides, so the pair still matches.
    let out = call(&fake, "text", false, tool_history("functions.weather:0", "functions.weather:0")).await;
    assert_eq!(ok(&out).message().unwrap().content.as_deref(), Some(TEXT));

    let out = call(&fake, "text", false, tool_history("toolu_01AbCdEfGhIjKlMnOpQrStUv", "toolu_01Other")).await;
    assert_rejected(
        &out,
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01Other. Each \
         `tool_result` block must have a corresponding `tool_use` block in the previous message.",
    );

    let out = send_edited(&fake, good.clone(), |b| {
        b["messages"][1]["content"][0]["id"] = json!("toolu.01:bad");
        b["messages"][2]["content"][0]["tool_use_id"] = json!("toolu.01:bad");
    })
    .await;
    assert_rejected(&out, "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'");

    let out = send_edited(&fake, good.clone(), |b| {
        b.as_object_mut().unwrap().remove("tools");
    })
    .await;
    assert_rejected(&out, "Requests which include `tool_use` or `tool_result` blocks must define tools.");

    let out = send_edited(&fake, good, |b| {
        b["messages"][2] = json!({"role": "user", "content": "never mind"});
    })
    .await;
    assert_rejected(
        &out,
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: \
         toolu_01AbCdEfGhIjKlMnOpQrStUv. Each `tool_use` block must have a corresponding `tool_result` block in the \
         next message.",
    );
}

/// The `anthropic_empty_text_blocks` regression history: empty assistant turns and blank parts,
/// as the adapter encodes them, are accepted.
#[tokio::test]
async fn adapter_history_with_blank_turns_is_accepted() {
    let fake = start().await;
    let extra = json!({
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_3hT6uP0qS9wE2rY5iO8aD1fG", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_3hT6uP0qS9wE2rY5iO8aD1fG", "content": "{\"temperature_c\":18}"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": [{"type": "text", "text": " "}, {"type": "text", "text": "Summarise the weather."}]},
        ],
    });
    for stream in [false, true] {
        let out = call(&fake, "text", stream, extra.clone()).await;
        assert_eq!(ok(&out).message().unwrap().content.as_deref(), Some(TEXT), "stream {stream}");
    }
}

/// Content filtering has no error type of its own: it is the API's 400 for blocked output.
#[tokio::test]
async fn content_filter_error_is_the_blocked_output_400() {
    let mut book = MockBook::default();
    book.insert(SUITE, "filtered", PROVIDER, error_mock(ErrorKind::ContentFiltered, None, None));
    let fake = FakeProvider::start(PROVIDER, WireFamily::Anthropic, Arc::new(book)).await;
    let out = call(&fake, "filtered", false, json!({})).await;
    let v = body_json(&out);
    assert_eq!(out.raw.status, Some(400));
    assert_eq!(
        v["error"],
        json!({"type": "invalid_request_error", "message": "Output blocked by content filtering policy"})
    );
}
