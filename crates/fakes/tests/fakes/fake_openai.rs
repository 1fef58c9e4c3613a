//! The fake OpenAI-compatible providers: every flavour answers mocks in its native wire format
//! (checked against the samples' markers), the real adapter decodes those answers back to the
//! mock's facts, every error body classifies to its kind, and the validation rules reject what
//! the real APIs reject.

use std::sync::Arc;
use std::time::Duration;

use crate::book::MockBook;
use llm_conform_core::api::{ChatCompletion, ChatRequest, ErrorKind, FinishReason};
use llm_conform_core::providers::{Adapter, NativeRequest, OpenAiAdapter, ProviderSpec, WireFamily};
use llm_conform_core::transport::{CallOutcome, HttpTransport, TransportConfig};
use llm_conform_fakes::{CASE_HEADER, FakeBody, FakeCtx, FakeProvider, FakeResponse, INVALID_KEY, family_for};
use llm_conform_fakes::{MockAnswer, MockError, MockToolCall, MockUsage};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

const PROVIDERS: [&str; 7] = ["openai", "deepseek", "mistral", "groq", "qwen", "openrouter", "xai"];

const TEXT: &str = "Hello there, this is a fake answer from the fake provider.";
const REASONING: &str = "The user wants the answer. Let me think about it carefully.";

fn text_mock() -> MockAnswer {
    MockAnswer {
        text: Some(TEXT.into()),
        usage: Some(MockUsage { prompt: 12, completion: 9, cached: 4, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn reasoning_mock() -> MockAnswer {
    MockAnswer {
        text: Some("The answer is 42.".into()),
        reasoning: Some(REASONING.into()),
        usage: Some(MockUsage { prompt: 30, completion: 20, cached: 0, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn tools_mock() -> MockAnswer {
    MockAnswer {
        tool_calls: vec![
            MockToolCall {
                name: "weather".into(),
                arguments: Some(json!({"location": "San Francisco", "unit": "celsius"})),
                arguments_raw: None,
            },
            MockToolCall { name: "now".into(), arguments: None, arguments_raw: None },
        ],
        usage: Some(MockUsage { prompt: 50, completion: 15, cached: 0, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    }
}

fn length_mock() -> MockAnswer {
    MockAnswer { text: Some("cut short".into()), finish: Some(FinishReason::Length), ..Default::default() }
}

fn error_mock(kind: ErrorKind, retry: Option<f64>) -> MockAnswer {
    MockAnswer {
        error: Some(MockError { kind, status: None, message: None, retry_after_s: retry }),
        ..Default::default()
    }
}

fn book(provider: &str) -> Arc<MockBook> {
    let mut b = MockBook::default();
    b.insert("suite", "text", provider, text_mock());
    b.insert("suite", "reasoning", provider, reasoning_mock());
    b.insert("suite", "tools", provider, tools_mock());
    b.insert("suite", "length", provider, length_mock());
    b.insert("suite", "rate", provider, error_mock(ErrorKind::RateLimited, Some(7.0)));
    b.insert("suite", "overloaded", provider, error_mock(ErrorKind::Overloaded, None));
    b.insert("suite", "context", provider, error_mock(ErrorKind::ContextLengthExceeded, None));
    Arc::new(b)
}

fn spec_for(provider: &str, fake: &FakeProvider) -> ProviderSpec {
    let mut spec = crate::common::spec(provider);
    spec.base_url = format!("{}/v1", fake.uri());
    spec
}

fn request(spec: &ProviderSpec, stream: bool, messages: Value) -> ChatRequest {
    let model = spec.model_for("cheap").unwrap_or("model").to_string();
    let mut req: ChatRequest = serde_json::from_value(json!({
        "model": model,
        "messages": messages,
        "tools": [
            {"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "now"}}
        ]
    }))
    .unwrap();
    req.stream = stream.then_some(true);
    req
}

fn hello() -> Value {
    json!([{"role": "user", "content": "Hello"}])
}

fn case(scenario: &str, provider: &str, stream: bool) -> String {
    format!("suite/{scenario}/{provider}/{}", if stream { "stream" } else { "non_stream" })
}

async fn send(native: &NativeRequest) -> CallOutcome {
    HttpTransport::new(TransportConfig { timeout: Duration::from_secs(10), ..Default::default() })
        .unwrap()
        .call(&OpenAiAdapter, native)
        .await
}

async fn call_with(fake: &FakeProvider, provider: &str, scenario: &str, stream: bool, messages: Value) -> CallOutcome {
    let spec = spec_for(provider, fake);
    let req = request(&spec, stream, messages);
    let mut native = spec.family.adapter().encode(&req, &spec, Some("test-key-not-real")).unwrap();
    native.header(CASE_HEADER, case(scenario, provider, stream));
    send(&native).await
}

async fn call(fake: &FakeProvider, provider: &str, scenario: &str, stream: bool) -> CallOutcome {
    call_with(fake, provider, scenario, stream, hello()).await
}

/// A call to a model that reasons for the request: OpenAI's o4-mini (hidden reasoning),
/// Magistral (always), DeepSeek with thinking on, the others with `reasoning_effort`.
async fn call_reasoning(fake: &FakeProvider, provider: &str, stream: bool) -> CallOutcome {
    let spec = spec_for(provider, fake);
    let mut req = request(&spec, stream, hello());
    match provider {
        "openai" => req.model = "o4-mini".into(),
        "mistral" => req.model = "magistral-small-latest".into(),
        "deepseek" => {
            req.extra.insert("thinking".into(), json!({"type": "enabled"}));
        }
        _ => {
            req.extra.insert("reasoning_effort".into(), json!("low"));
        }
    }
    let mut native = spec.family.adapter().encode(&req, &spec, Some("test-key-not-real")).unwrap();
    native.header(CASE_HEADER, case("reasoning", provider, stream));
    send(&native).await
}

fn ok(outcome: CallOutcome, what: &str) -> ChatCompletion {
    match outcome.result {
        Ok(r) => r,
        Err(e) => panic!("{what}: {e} (status {:?}, body {})", e.status, String::from_utf8_lossy(&outcome.raw.body)),
    }
}

fn usage_of(r: &ChatCompletion) -> (u64, u64, u64) {
    let u = r.usage.clone().expect("usage");
    (u.prompt_tokens, u.completion_tokens, u.cached_tokens())
}

#[tokio::test]
async fn every_flavour_decodes_to_the_mock_facts() {
    for provider in PROVIDERS {
        let fake = FakeProvider::start(provider, WireFamily::Openai, book(provider)).await;
        for stream in [false, true] {
            let what = format!("{provider} stream={stream}");

            let r = ok(call(&fake, provider, "text", stream).await, &what);
            let m = r.message().unwrap();
            assert_eq!(m.content.as_deref(), Some(TEXT), "{what}");
            assert!(m.tool_calls.is_none(), "{what}");
            assert_eq!(r.finish_reason(), Some(FinishReason::Stop), "{what}");
            assert_eq!(usage_of(&r), (12, 9, 4), "{what}");
            assert!(!r.id.is_empty(), "{what}");

            let r = ok(call_reasoning(&fake, provider, stream).await, &what);
            let m = r.message().unwrap();
            assert_eq!(m.content.as_deref(), Some("The answer is 42."), "{what}");
            // Mistral's reasoning comes as Magistral's thinking chunks; the others in a field;
            // OpenAI's reasoning models show only the count.
            let shown = if provider == "openai" { None } else { Some(REASONING) };
            assert_eq!(m.reasoning_content.as_deref(), shown, "{what}");
            assert_eq!(usage_of(&r), (30, 20, 0), "{what}");
            if provider != "mistral" {
                assert!(r.usage.as_ref().unwrap().reasoning_tokens() > 0, "{what}");
            }
            let r = ok(call(&fake, provider, "reasoning", stream).await, &what);
            assert_eq!(r.message().unwrap().reasoning_content, None, "{what}: no reasoning unless the model reasons");

            let r = ok(call(&fake, provider, "tools", stream).await, &what);
            let m = r.message().unwrap();
            assert_eq!(m.content, None, "{what}");
            let calls = m.calls();
            assert_eq!(calls.len(), 2, "{what}");
            assert_eq!(calls[0].function.name, "weather", "{what}");
            let args: Value = serde_json::from_str(&calls[0].function.arguments).unwrap();
            assert_eq!(args, json!({"location": "San Francisco", "unit": "celsius"}), "{what}");
            assert_eq!(calls[1].function.name, "now", "{what}");
            let args: Value = serde_json::from_str(&calls[1].function.arguments).unwrap();
            assert_eq!(args, json!({}), "{what}");
            assert_ne!(calls[0].id, calls[1].id, "{what}");
            assert!(calls.iter().all(|c| !c.id.is_empty()), "{what}");
            if provider == "mistral" {
                assert!(calls.iter().all(|c| c.id.len() == 9 && c.id.bytes().all(|b| b.is_ascii_alphanumeric())));
            }
            assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls), "{what}");
            assert_eq!(usage_of(&r), (50, 15, 0), "{what}");

            let r = ok(call(&fake, provider, "length", stream).await, &what);
            assert_eq!(r.finish_reason(), Some(FinishReason::Length), "{what}");
            assert_eq!(r.message().unwrap().content.as_deref(), Some("cut short"), "{what}");
        }
    }
}

#[tokio::test]
async fn answers_are_reproducible() {
    let fake = FakeProvider::start("openai", WireFamily::Openai, book("openai")).await;
    for stream in [false, true] {
        let a = call(&fake, "openai", "tools", stream).await;
        let b = call(&fake, "openai", "tools", stream).await;
        assert_eq!(a.raw.body, b.raw.body);
        let ev = |o: &CallOutcome| o.raw.events.iter().map(|(_, e)| e.data.clone()).collect::<Vec<_>>();
        assert_eq!(ev(&a), ev(&b));
        assert_eq!(
            a.result.unwrap().message().unwrap().calls()[0].id,
            b.result.unwrap().message().unwrap().calls()[0].id
        );
    }
}

#[tokio::test]
async fn errors_over_http_map_back_to_their_kind() {
    for provider in PROVIDERS {
        let fake = FakeProvider::start(provider, WireFamily::Openai, book(provider)).await;
        for stream in [false, true] {
            let e = call(&fake, provider, "rate", stream).await.result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::RateLimited, "{provider}: {e}");
            assert_eq!(e.status, Some(429));
            assert_eq!(e.retry_after, Some(Duration::from_secs(7)), "{provider}");

            let e = call(&fake, provider, "context", stream).await.result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::ContextLengthExceeded, "{provider}: {e}");

            let e = call(&fake, provider, "overloaded", stream).await.result.unwrap_err();
            let expected = if provider == "mistral" { ErrorKind::RateLimited } else { ErrorKind::Overloaded };
            assert!(e.kind == ErrorKind::Overloaded || e.kind == expected, "{provider}: {e}");
        }

        // The bad-key scenario's key gets the native 401.
        let spec = spec_for(provider, &fake);
        let mut native =
            spec.family.adapter().encode(&request(&spec, false, hello()), &spec, Some(INVALID_KEY)).unwrap();
        native.header(CASE_HEADER, case("text", provider, false));
        let e = send(&native).await.result.unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::Authentication, Some(401)), "{provider}: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering, without HTTP
// ---------------------------------------------------------------------------------------------

fn ctx(provider: &str, request: Value) -> FakeCtx {
    let model = request.get("model").and_then(Value::as_str).unwrap_or("test-model").to_string();
    FakeCtx {
        provider: provider.into(),
        spec: crate::common::spec(provider),
        model,
        request,
        path: "/v1/chat/completions".into(),
        seed: 424_242,
    }
}

fn stream_body(include_usage: bool) -> Value {
    let mut b = json!({"model": "test-model", "messages": [{"role": "user", "content": "hi"}], "stream": true,
        "reasoning_effort": "low"});
    if include_usage {
        b["stream_options"] = json!({"include_usage": true});
    }
    b
}

fn chunks(provider: &str, mock: &MockAnswer, include_usage: bool) -> Vec<Value> {
    let resp = family_for(WireFamily::Openai).success(mock, &ctx(provider, stream_body(include_usage)), true);
    let FakeBody::Events(events) = resp.body else { panic!("{provider}: not a stream") };
    assert_eq!(events.last().map(|e| e.data.as_str()), Some("[DONE]"), "{provider}: ends with [DONE]");
    assert!(events.iter().all(|e| e.event.is_none()), "{provider}: no event names");
    events[..events.len() - 1].iter().map(|e| serde_json::from_str(&e.data).unwrap()).collect()
}

fn whole(provider: &str, mock: &MockAnswer) -> Value {
    let body = json!({"model": "test-model", "reasoning_effort": "low"});
    let resp = family_for(WireFamily::Openai).success(mock, &ctx(provider, body), false);
    assert_eq!(resp.status, 200);
    let FakeBody::Json(v) = resp.body else { panic!("{provider}: not json") };
    v
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default()
}

#[test]
fn openai_wire_shape_follows_the_samples() {
    let v = whole("openai", &text_mock());
    assert_eq!(
        keys(&v),
        ["id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"]
    );
    let id = v["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-") && id.len() == 9 + 29, "{id}");
    let fp = v["system_fingerprint"].as_str().unwrap();
    assert!(fp.starts_with("fp_") && fp.len() == 13, "{fp}");
    assert_eq!(keys(&v["choices"][0]["message"]), ["role", "content", "refusal", "annotations"]);
    assert_eq!(v["usage"]["prompt_tokens_details"], json!({"cached_tokens": 4, "audio_tokens": 0}));
    assert_eq!(v["usage"]["total_tokens"], 21);

    let c = chunks("openai", &text_mock(), true);
    assert_eq!(c[0]["choices"][0]["delta"], json!({"role": "assistant", "content": "", "refusal": null}));
    assert!(c.iter().all(|c| c["obfuscation"].is_string()));
    let n = c.len();
    assert!(c[..n - 1].iter().all(|c| c["usage"].is_null()));
    assert_eq!(c[n - 2]["choices"][0]["delta"], json!({}));
    assert_eq!(c[n - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(c[n - 1]["choices"], json!([]));
    assert_eq!(c[n - 1]["usage"]["completion_tokens"], 9);
    assert_eq!(
        keys(&c[0]),
        ["id", "object", "created", "model", "service_tier", "system_fingerprint", "choices", "usage", "obfuscation"]
    );

    // Without include_usage there is no usage chunk.
    let c = chunks("openai", &text_mock(), false);
    assert!(c.iter().all(|c| c["usage"].is_null()));
    assert_eq!(c.last().unwrap()["choices"][0]["finish_reason"], "stop");

    // An answer of only tool calls starts with the first call in the role delta.
    let c = chunks("openai", &tools_mock(), true);
    let first = &c[0]["choices"][0]["delta"];
    assert_eq!(first["content"], Value::Null);
    assert_eq!(first["tool_calls"][0]["function"]["name"], "weather");
    let call_id = first["tool_calls"][0]["id"].as_str().unwrap();
    assert!(call_id.starts_with("call_") && call_id.len() == 29, "{call_id}");
}

#[test]
fn deepseek_wire_shape_follows_the_samples() {
    let v = whole("deepseek", &reasoning_mock());
    let id = v["id"].as_str().unwrap();
    assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
    assert!(v["system_fingerprint"].as_str().unwrap().ends_with("_prod0820_fp8_kvcache"));
    assert_eq!(v["choices"][0]["message"]["reasoning_content"], REASONING);
    assert_eq!(v["usage"]["prompt_cache_miss_tokens"], 30);
    assert!(v["usage"]["completion_tokens_details"]["reasoning_tokens"].as_u64().unwrap() > 0);

    let c = chunks("deepseek", &reasoning_mock(), false);
    assert_eq!(c[0]["choices"][0]["delta"], json!({"role": "assistant", "content": null, "reasoning_content": ""}));
    assert_eq!(c[1]["choices"][0]["delta"]["content"], Value::Null);
    let last = c.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["usage"]["prompt_cache_hit_tokens"], 0, "usage on the finishing chunk, always");

    let v = whole("deepseek", &tools_mock());
    let call = &v["choices"][0]["message"]["tool_calls"][1];
    assert_eq!(call["index"], 1);
    let id = call["id"].as_str().unwrap();
    assert!(id.starts_with("call_01_") && id.len() == 8 + 24, "{id}");
    assert_eq!(v["choices"][0]["message"]["content"], "");
}

#[test]
fn mistral_wire_shape_follows_the_samples() {
    let v = whole("mistral", &tools_mock());
    assert_eq!(keys(&v), ["id", "created", "model", "usage", "object", "choices"]);
    assert_eq!(v["id"].as_str().unwrap().len(), 32);
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(keys(call), ["id", "function"]);
    assert!(v["choices"][0]["message"].get("content").is_none());
    assert_eq!(whole("mistral", &text_mock())["choices"][0]["message"]["tool_calls"], Value::Null);

    let c = chunks("mistral", &tools_mock(), false);
    assert_eq!(c.len(), 2, "role chunk, then every call whole with finish and usage");
    let last = &c[1];
    let calls = &last["choices"][0]["delta"]["tool_calls"];
    assert_eq!(calls.as_array().unwrap().len(), 2);
    assert!(calls.as_array().unwrap().iter().all(|c| c.get("index").is_none() && c.get("type").is_none()));
    assert_eq!(calls[0]["function"]["arguments"], r#"{"location":"San Francisco","unit":"celsius"}"#);
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(last["usage"]["prompt_tokens"], 50);
    assert!(c[0].get("usage").is_none());
}

#[test]
fn groq_wire_shape_follows_the_samples() {
    let v = whole("groq", &tools_mock());
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(v["x_groq"]["id"].as_str().unwrap().starts_with("req_"));
    let id = v["choices"][0]["message"]["tool_calls"][0]["id"].as_str().unwrap();
    assert!(id.len() == 9 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{id}");

    let c = chunks("groq", &tools_mock(), true);
    assert!(c[0]["x_groq"]["id"].is_string());
    assert_eq!(c[0]["choices"][0]["delta"], json!({"role": "assistant", "content": null}));
    let calls = &c[1]["choices"][0]["delta"]["tool_calls"];
    assert_eq!(keys(&calls[0]), ["id", "type", "function", "index"]);
    let last = c.last().unwrap();
    assert_eq!(last["x_groq"]["usage"], last["usage"]);
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn qwen_and_openrouter_wire_shapes() {
    let v = whole("qwen", &text_mock());
    assert_eq!(keys(&v), ["choices", "object", "usage", "created", "system_fingerprint", "model", "id"]);
    assert_eq!(v["model"], "test-model");
    let c = chunks("qwen", &text_mock(), true);
    assert_eq!(c[0]["choices"][0]["delta"], json!({"content": "", "role": "assistant"}));
    let n = c.len();
    assert!(c[..n - 1].iter().all(|c| c["usage"].is_null()));
    assert_eq!(c[n - 1]["choices"], json!([]));
    assert_eq!(c[n - 1]["usage"]["prompt_tokens"], 12);
    assert!(chunks("qwen", &text_mock(), false).iter().all(|c| c["usage"].is_null()));

    let mut req = ctx("openrouter", json!({"model": "anthropic/claude-sonnet-4.5"}));
    req.seed = 7;
    let resp = family_for(WireFamily::Openai).success(&text_mock(), &req, false);
    let FakeBody::Json(v) = resp.body else { panic!("not json") };
    let id = v["id"].as_str().unwrap();
    assert!(id.starts_with("gen-") && id.split('-').nth(1).unwrap().bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert_eq!(v["provider"], "Anthropic");
    assert_eq!(v["choices"][0]["native_finish_reason"], "stop");
    let c = chunks("openrouter", &reasoning_mock(), true);
    assert!(c.iter().all(|c| c.get("obfuscation").is_none()));
    assert!(c.iter().any(|c| c["choices"][0]["delta"]["reasoning"].is_string()));
}

#[test]
fn arguments_are_sent_as_the_mock_says() {
    let mock = MockAnswer {
        tool_calls: vec![
            MockToolCall { name: "a".into(), arguments: None, arguments_raw: Some(String::new()) },
            MockToolCall { name: "b".into(), arguments: None, arguments_raw: Some(r#"{"city": "Par"#.into()) },
            MockToolCall { name: "c".into(), arguments: None, arguments_raw: None },
        ],
        ..Default::default()
    };
    for provider in PROVIDERS {
        let v = whole(provider, &mock);
        let calls = &v["choices"][0]["message"]["tool_calls"];
        let args: Vec<&str> = (0..3).map(|i| calls[i]["function"]["arguments"].as_str().unwrap()).collect();
        assert_eq!(args, ["", r#"{"city": "Par"#, "{}"], "{provider}");

        // Streamed pieces reassemble to the same strings.
        let mut streamed = vec![String::new(); 3];
        for c in chunks(provider, &mock, true) {
            for (pos, tc) in c["choices"][0]["delta"]["tool_calls"].as_array().into_iter().flatten().enumerate() {
                let i = tc["index"].as_u64().map_or(pos, |i| i as usize);
                if let Some(a) = tc["function"]["arguments"].as_str() {
                    streamed[i].push_str(a);
                }
            }
        }
        assert_eq!(streamed, args, "{provider}");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors, without HTTP
// ---------------------------------------------------------------------------------------------

/// Genuine bodies the current classification tables put in another kind: (provider, kind the
/// body stands for, kind it classifies as today). Either is accepted, so fixing the tables does
/// not break this test.
const KNOWN_DISAGREEMENTS: &[(&str, ErrorKind, ErrorKind)] = &[
    ("deepseek", ErrorKind::NotFound, ErrorKind::InvalidRequest),
    ("deepseek", ErrorKind::QuotaExhausted, ErrorKind::InvalidRequest),
    ("mistral", ErrorKind::NotFound, ErrorKind::InvalidRequest),
    ("mistral", ErrorKind::Overloaded, ErrorKind::RateLimited),
    ("mistral", ErrorKind::Unsupported, ErrorKind::InvalidRequest),
    ("qwen", ErrorKind::QuotaExhausted, ErrorKind::InvalidRequest),
    ("qwen", ErrorKind::ContentFiltered, ErrorKind::InvalidRequest),
    ("openrouter", ErrorKind::ContentFiltered, ErrorKind::PermissionDenied),
    ("openrouter", ErrorKind::Unsupported, ErrorKind::InvalidRequest),
];

fn classify(resp: &FakeResponse) -> llm_conform_core::api::ProviderError {
    let mut headers = HeaderMap::new();
    for (k, v) in &resp.headers {
        headers.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    let (bytes, content_type) = resp.render();
    assert_eq!(content_type, "application/json");
    OpenAiAdapter.classify_error(resp.status, &headers, &bytes)
}

fn render_error(provider: &str, kind: ErrorKind, retry: Option<f64>) -> FakeResponse {
    let err = MockError { kind, status: None, message: None, retry_after_s: retry };
    family_for(WireFamily::Openai).error(&err, &ctx(provider, json!({"model": "test-model"})))
}

#[test]
fn every_error_body_classifies_to_its_kind() {
    // Connection and malformed responses are not something an HTTP error body can say.
    let kinds: Vec<ErrorKind> = ErrorKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, ErrorKind::Connection | ErrorKind::MalformedResponse))
        .collect();
    for provider in PROVIDERS {
        for &kind in &kinds {
            let resp = render_error(provider, kind, None);
            assert!(resp.status >= 400, "{provider} {kind}");
            let e = classify(&resp);
            let known =
                KNOWN_DISAGREEMENTS.iter().find(|(p, k, _)| *p == provider && *k == kind).map(|(_, _, got)| *got);
            assert!(
                e.kind == kind || Some(e.kind) == known,
                "{provider} {kind}: classified as {} from {} {:?}",
                e.kind,
                resp.status,
                resp.body
            );
        }
    }
}

#[test]
fn error_bodies_are_native() {
    let FakeBody::Json(v) = render_error("openai", ErrorKind::Authentication, None).body else { panic!() };
    assert_eq!(
        v,
        json!({"error": {
            "message": "Incorrect API key provided: llm-conf*****0000. You can find your API key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key"
        }})
    );
    let FakeBody::Json(v) = render_error("openai", ErrorKind::NotFound, None).body else { panic!() };
    assert_eq!(v["error"]["message"], "The model `test-model` does not exist or you do not have access to it.");

    let FakeBody::Json(v) = render_error("deepseek", ErrorKind::Authentication, None).body else { panic!() };
    assert_eq!(v["error"]["message"], "Authentication Fails, Your api key: ****0000 is invalid");
    assert_eq!(v["error"]["type"], "authentication_error");

    let resp = render_error("mistral", ErrorKind::Authentication, None);
    let FakeBody::Json(v) = &resp.body else { panic!() };
    assert_eq!((resp.status, keys(v)), (401, vec!["message", "request_id"]));
    let FakeBody::Json(v) = render_error("mistral", ErrorKind::RateLimited, None).body else { panic!() };
    assert_eq!(
        v,
        json!({"object": "error", "message": "Rate limit exceeded", "type": "rate_limited", "param": null, "code": "1300"})
    );

    let FakeBody::Json(v) = render_error("groq", ErrorKind::Authentication, None).body else { panic!() };
    assert_eq!(
        v,
        json!({"error": {"message": "Invalid API Key", "type": "invalid_request_error", "code": "invalid_api_key"}})
    );

    let FakeBody::Json(v) = render_error("openrouter", ErrorKind::QuotaExhausted, None).body else { panic!() };
    assert_eq!(v["error"]["code"], 402);
}

#[test]
fn rate_limits_carry_retry_hints() {
    for provider in PROVIDERS {
        let resp = render_error(provider, ErrorKind::RateLimited, Some(7.0));
        assert_eq!(resp.status, 429);
        let e = classify(&resp);
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)), "{provider}");
    }
    let resp = render_error("openai", ErrorKind::RateLimited, None);
    assert!(resp.headers.iter().any(|(k, v)| k == "x-ratelimit-reset-requests" && v == "20s"));
    assert!(resp.headers.iter().all(|(k, _)| k != "retry-after"), "openai: no retry-after unless the mock gives one");
    let resp = render_error("groq", ErrorKind::RateLimited, None);
    assert!(resp.headers.iter().any(|(k, _)| k == "retry-after"), "groq always sends retry-after");
}

#[test]
fn mock_status_and_message_win() {
    let err = MockError {
        kind: ErrorKind::ServerError,
        status: Some(502),
        message: Some("upstream exploded".into()),
        retry_after_s: None,
    };
    for provider in PROVIDERS {
        let resp = family_for(WireFamily::Openai).error(&err, &ctx(provider, json!({"model": "m"})));
        assert_eq!(resp.status, 502, "{provider}");
        let e = classify(&resp);
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::ServerError, "upstream exploded"), "{provider}");
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn validate(provider: &str, body: Value) -> Result<(), FakeResponse> {
    family_for(WireFamily::Openai).validate(&ctx(provider, body))
}

fn rejection(provider: &str, body: Value) -> (u16, String) {
    let resp = validate(provider, body).expect_err("rejected");
    let e = classify(&resp);
    assert_eq!(e.kind, ErrorKind::InvalidRequest, "{provider}: {e}");
    (resp.status, e.message)
}

fn conversation(call_id: &str, answer_id: &str) -> Value {
    json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "weather", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": answer_id, "content": "sunny"}
        ]
    })
}

#[test]
fn valid_requests_pass() {
    for provider in PROVIDERS {
        assert!(validate(provider, json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})).is_ok());
        assert!(validate(provider, conversation("gSIMJiOkT", "gSIMJiOkT")).is_ok(), "{provider}");
    }
    assert!(validate("openai", conversation("call_abc_123", "call_abc_123")).is_ok());
    let dev = json!({"model": "m", "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}]});
    // The catalog says who takes `developer`; the OpenRouter fake used to accept it while the
    // catalog rewrote it, and now both follow the catalog.
    for provider in ["openai", "openrouter", "xai", "azure-openai"] {
        let accepts = crate::common::spec(provider).accepts_developer("m");
        assert_eq!(validate(provider, dev.clone()).is_ok(), accepts, "{provider}");
    }
    assert!(validate("openai", dev.clone()).is_ok());
    assert!(
        validate(
            "mistral",
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tool_choice": "any"})
        )
        .is_ok()
    );
}

#[test]
fn rules_every_flavour_enforces() {
    for provider in PROVIDERS {
        let (status, msg) = rejection(provider, json!({"model": "m", "messages": []}));
        assert_eq!((status, msg.as_str()), (400, "[] is too short - 'messages'"), "{provider}");

        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "ok", "tool_calls": []}
        ]});
        let (status, msg) = rejection(provider, body);
        assert_eq!((status, msg.as_str()), (400, "[] is too short - 'messages.1.tool_calls'"), "{provider}");

        let (status, msg) = rejection(provider, conversation("gSIMJiOkT", "xYz123ABC"));
        assert_eq!(status, 400);
        assert!(msg.contains("'xYz123ABC' not found in 'tool_calls'"), "{provider}: {msg}");

        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": "gSIMJiOkT", "content": "sunny"}
        ]});
        let (_, msg) = rejection(provider, body);
        assert!(msg.contains("must be a response to a preceeding message with 'tool_calls'"), "{provider}: {msg}");
    }
    let (status, msg) = rejection("openai", json!(null));
    assert_eq!(status, 400);
    assert!(msg.starts_with("We could not parse the JSON body"));
}

#[test]
fn provider_specific_rules() {
    let (status, msg) = rejection("mistral", conversation("call_abc123", "call_abc123"));
    assert_eq!(
        (status, msg.as_str()),
        (400, "Tool call id was call_abc123 but must be a-z, A-Z, 0-9, with a length of 9.")
    );
    let mut body = conversation("gSIMJiOkT", "gSIMJiOkT");
    body["messages"][2]["tool_call_id"] = json!("gSIMJiOk_");
    let (_, msg) = rejection("mistral", body);
    assert!(msg.starts_with("Tool call id was gSIMJiOk_ "), "{msg}");

    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"});
    let (status, msg) = rejection("mistral", body.clone());
    assert_eq!(status, 422);
    assert!(msg.contains("Input should be 'auto', 'none' or 'any'"), "{msg}");
    assert!(validate("openai", body).is_ok());

    let dev = json!({"model": "m", "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}]});
    for provider in ["deepseek", "mistral", "groq", "qwen"] {
        let (status, msg) = rejection(provider, dev.clone());
        assert!(status == 400 || status == 422, "{provider}: {status}");
        assert!(msg.contains("developer"), "{provider}: {msg}");
    }
}

#[tokio::test]
async fn rejections_over_http_and_the_adapter_satisfies_them() {
    let fake = FakeProvider::start("mistral", WireFamily::Openai, book("mistral")).await;
    let spec = spec_for("mistral", &fake);
    let body = conversation("call_abc123", "call_abc123");
    let mut native = NativeRequest::post(format!("{}/chat/completions", spec.base_url), body.clone());
    native.header(CASE_HEADER, case("text", "mistral", false));
    let e = send(&native).await.result.unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, Some(400)));
    assert!(e.message.starts_with("Tool call id was call_abc123"), "{}", e.message);

    // The adapter rewrites ids and `required` for Mistral, so the same conversation goes through.
    let r = ok(call_with(&fake, "mistral", "text", false, body["messages"].clone()).await, "mistral via adapter");
    assert_eq!(r.message().unwrap().content.as_deref(), Some(TEXT));
    let spec = spec_for("mistral", &fake);
    let mut req = request(&spec, true, hello());
    req.tool_choice = Some(serde_json::from_value(json!("required")).unwrap());
    let mut native = spec.family.adapter().encode(&req, &spec, Some("test-key-not-real")).unwrap();
    native.header(CASE_HEADER, case("text", "mistral", true));
    ok(send(&native).await, "mistral tool_choice required via adapter");
}
