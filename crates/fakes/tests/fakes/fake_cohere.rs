//! The fake Cohere v2 chat provider: its answers, errors and rejections, decoded by the real
//! Cohere adapter over HTTP.

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
const PROVIDER: &str = "cohere";

fn text_mock() -> MockAnswer {
    MockAnswer {
        text: Some("The capital of France is Paris, a city on the Seine.".into()),
        usage: Some(MockUsage { prompt: 507, completion: 10, cached: 448, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn tools_mock() -> MockAnswer {
    MockAnswer {
        reasoning: Some("I will look up the weather and then the attractions.".into()),
        tool_calls: vec![
            MockToolCall {
                name: "weather".into(),
                arguments: Some(json!({"location": "San Francisco", "unit": "celsius"})),
                arguments_raw: None,
            },
            MockToolCall { name: "now".into(), arguments: None, arguments_raw: None },
        ],
        usage: Some(MockUsage { prompt: 1549, completion: 95, cached: 0, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn mocks() -> Vec<(&'static str, MockAnswer)> {
    let err = |kind, retry: Option<f64>| MockAnswer {
        error: Some(MockError { kind, status: None, message: None, retry_after_s: retry }),
        ..Default::default()
    };
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
        ("stop_seq", MockAnswer { text: Some("one two".into()), ..Default::default() }),
        ("err_invalid", err(ErrorKind::InvalidRequest, None)),
        ("err_context", err(ErrorKind::ContextLengthExceeded, None)),
        ("err_auth", err(ErrorKind::Authentication, None)),
        ("err_permission", err(ErrorKind::PermissionDenied, None)),
        ("err_not_found", err(ErrorKind::NotFound, None)),
        ("err_rate", err(ErrorKind::RateLimited, Some(7.0))),
        ("err_quota", err(ErrorKind::QuotaExhausted, None)),
        ("err_overloaded", err(ErrorKind::Overloaded, None)),
        ("err_server", err(ErrorKind::ServerError, None)),
        ("err_timeout", err(ErrorKind::Timeout, None)),
        ("err_filtered", err(ErrorKind::ContentFiltered, None)),
    ]
}

async fn start() -> FakeProvider {
    let mut book = MockBook::default();
    for (scenario, mock) in mocks() {
        book.insert(SUITE, scenario, PROVIDER, mock);
    }
    FakeProvider::start(PROVIDER, WireFamily::Cohere, Arc::new(book)).await
}

fn fake_spec(fake: &FakeProvider) -> ProviderSpec {
    let mut s = spec(PROVIDER);
    s.base_url = format!("{}/v2", fake.uri());
    s
}

fn request(stream: bool, extra: Value) -> ChatRequest {
    let mut v = json!({
        "model": "command-r-08-2024",
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
    t.call(WireFamily::Cohere.adapter(), n).await
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

fn usage_of(r: &ChatCompletion) -> (u64, u64, u64) {
    let u = r.usage.as_ref().unwrap();
    (u.prompt_tokens, u.completion_tokens, u.cached_tokens())
}

#[tokio::test]
async fn text_answer_whole_and_streamed() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "text", stream, json!({})).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(
            m.content.as_deref(),
            Some("The capital of France is Paris, a city on the Seine."),
            "stream {stream}"
        );
        assert!(m.tool_calls.is_none());
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
        assert_eq!(usage_of(r), (507, 10, 448));
        assert_eq!(r.id.len(), 36, "uuid-shaped id: {}", r.id);
        assert_eq!(out.raw.streamed, stream);
    }
}

#[tokio::test]
async fn text_body_has_the_native_shape() {
    let fake = start().await;
    let out = call(&fake, "text", false, json!({})).await;
    let v = body_json(&out);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "message", "finish_reason", "usage"]);
    assert_eq!(v["message"]["content"][0]["type"], "text");
    assert_eq!(v["finish_reason"], "COMPLETE");
    assert_eq!(
        v["usage"],
        json!({"billed_units": {"input_tokens": 59, "output_tokens": 10}, "tokens": {"input_tokens": 507, "output_tokens": 10}, "cached_tokens": 448})
    );
    // Deterministic: a second call gives the same bytes.
    let again = call(&fake, "text", false, json!({})).await;
    assert_eq!(out.raw.body, again.raw.body);
}

#[tokio::test]
async fn stream_events_are_named_and_end_at_message_end() {
    let fake = start().await;
    let out = call(&fake, "tools", true, json!({})).await;
    ok(&out);
    let events = &out.raw.events;
    assert!(!events.is_empty());
    for (_, e) in events {
        let v: Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(e.event.as_deref(), v["type"].as_str(), "event line names the payload type");
    }
    let first: Value = serde_json::from_str(&events[0].1.data).unwrap();
    assert_eq!(
        first,
        json!({"id": first["id"], "type": "message-start", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}})
    );
    let kinds: Vec<&str> = events.iter().filter_map(|(_, e)| e.event.as_deref()).collect();
    assert_eq!(kinds.last(), Some(&"message-end"));
    assert!(
        kinds.contains(&"tool-plan-delta") && kinds.contains(&"tool-call-start") && kinds.contains(&"tool-call-end")
    );
    assert!(events.iter().all(|(_, e)| e.data != "[DONE]"));
}

#[tokio::test]
async fn tool_calls_whole_and_streamed() {
    let fake = start().await;
    let mut ids = Vec::new();
    for stream in [false, true] {
        let out = call(&fake, "tools", stream, json!({})).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content, None, "stream {stream}");
        assert_eq!(m.reasoning_content.as_deref(), Some("I will look up the weather and then the attractions."));
        let calls = m.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].function.name, "weather");
        let args: Value = serde_json::from_str(&calls[0].function.arguments).unwrap();
        assert_eq!(args, json!({"location": "San Francisco", "unit": "celsius"}));
        assert_eq!(calls[1].function.name, "now");
        assert_eq!(calls[1].function.arguments, "{}");
        for c in calls {
            let suffix = c.id.strip_prefix(&format!("{}_", c.function.name)).unwrap();
            assert_eq!(suffix.len(), 12);
            assert!(suffix.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit()), "{}", c.id);
        }
        ids.push(calls.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
        assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
        assert_eq!(usage_of(r), (1549, 95, 0));
    }
    assert_ne!(ids[0], ids[1], "ids depend on the case, which differs by mode");
    let out = call(&fake, "tools", false, json!({})).await;
    let v = body_json(&out);
    let keys: Vec<&str> = v["message"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["role", "tool_plan", "tool_calls"]);
    assert_eq!(v["finish_reason"], "TOOL_CALL");
}

#[tokio::test]
async fn reasoning_without_calls_is_a_thinking_part() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "thinking", stream, json!({})).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some("42"), "stream {stream}");
        assert_eq!(m.reasoning_content.as_deref(), Some("six times seven"));
        assert_eq!(r.finish_reason(), Some(FinishReason::Length));
    }
    let v = body_json(&call(&fake, "thinking", false, json!({})).await);
    assert_eq!(v["message"]["content"][0], json!({"type": "thinking", "thinking": "six times seven"}));
    assert_eq!(v["finish_reason"], "MAX_TOKENS");
}

#[tokio::test]
async fn stop_sequence_finish() {
    let fake = start().await;
    let out = call(&fake, "stop_seq", false, json!({"stop": ["three"]})).await;
    assert_eq!(ok(&out).finish_reason(), Some(FinishReason::Stop));
    assert_eq!(body_json(&out)["finish_reason"], "STOP_SEQUENCE");
}

#[tokio::test]
async fn errors_map_back_to_their_kind() {
    let fake = start().await;
    let cases = [
        ("err_invalid", ErrorKind::InvalidRequest, 400),
        ("err_context", ErrorKind::ContextLengthExceeded, 400),
        ("err_auth", ErrorKind::Authentication, 401),
        ("err_permission", ErrorKind::PermissionDenied, 403),
        ("err_not_found", ErrorKind::NotFound, 404),
        ("err_rate", ErrorKind::RateLimited, 429),
        ("err_quota", ErrorKind::QuotaExhausted, 402),
        ("err_overloaded", ErrorKind::Overloaded, 503),
        ("err_server", ErrorKind::ServerError, 500),
        ("err_timeout", ErrorKind::Timeout, 504),
        ("err_filtered", ErrorKind::ContentFiltered, 400),
    ];
    for (scenario, kind, status) in cases {
        for stream in [false, true] {
            let out = call(&fake, scenario, stream, json!({})).await;
            let e = err(&out);
            assert_eq!((e.kind, e.status), (kind, Some(status)), "{scenario} stream {stream}: {}", e.message);
            let v = body_json(&out);
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["id", "message"], "{scenario}");
        }
    }
    let out = call(&fake, "err_rate", false, json!({})).await;
    assert_eq!(err(&out).retry_after, Some(Duration::from_secs(7)));
    let out = call(&fake, "err_not_found", false, json!({})).await;
    assert!(err(&out).message.starts_with("model 'command-r-08-2024' not found"), "{}", err(&out).message);
    let out = call(&fake, "err_server", false, json!({})).await;
    assert_eq!(err(&out).retry_after, None);
}

#[tokio::test]
async fn invalid_key_is_a_401() {
    let fake = start().await;
    let out = send(&native(&fake, &request(false, json!({})), "text", INVALID_KEY)).await;
    let e = err(&out);
    assert_eq!((e.kind, e.status, e.message.as_str()), (ErrorKind::Authentication, Some(401), "invalid api token"));
}

#[tokio::test]
async fn rejects_missing_model_and_empty_messages() {
    let fake = start().await;
    let base = native(&fake, &request(false, json!({})), "text", "test-key-not-real");

    let mut no_model = base.clone();
    no_model.body.as_object_mut().unwrap().remove("model");
    let out = send(&no_model).await;
    let e = err(&out);
    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, Some(400)));
    assert!(e.message.starts_with("invalid request:"), "{}", e.message);

    let mut empty = base.clone();
    empty.body["messages"] = json!([]);
    let out = send(&empty).await;
    let e = err(&out);
    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, Some(400)));
    assert!(e.message.contains("messages"), "{}", e.message);
}

#[tokio::test]
async fn rejects_a_tool_result_for_an_unknown_call() {
    let fake = start().await;
    let tools = json!([{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]);
    let history = |result_id: &str| {
        json!({
            "tools": tools,
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "weather_abc123def456", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": result_id, "content": "sunny"},
            ],
        })
    };
    let out = call(&fake, "text", false, history("weather_000000000000")).await;
    let e = err(&out);
    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, Some(400)));
    assert!(e.message.contains("weather_000000000000"), "{}", e.message);

    let out = call(&fake, "text", false, history("weather_abc123def456")).await;
    assert_eq!(
        ok(&out).message().unwrap().content.as_deref(),
        Some("The capital of France is Paris, a city on the Seine.")
    );
}
