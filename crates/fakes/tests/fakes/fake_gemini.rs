//! The fake Gemini API: its answers, errors and rejections, decoded by the real Gemini adapter
//! over HTTP.

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
const PROVIDER: &str = "gemini";
const MODEL: &str = "gemini-2.5-flash";

fn call_of(name: &str, arguments: Option<Value>, raw: Option<&str>) -> MockToolCall {
    MockToolCall { name: name.into(), arguments, arguments_raw: raw.map(str::to_string) }
}

fn mocks() -> Vec<(&'static str, MockAnswer)> {
    let err = |kind, status: Option<u16>, retry: Option<f64>| MockAnswer {
        error: Some(MockError { kind, status, message: None, retry_after_s: retry }),
        ..Default::default()
    };
    vec![
        (
            "text",
            MockAnswer {
                text: Some("The capital of France is Paris, a city on the Seine.".into()),
                usage: Some(MockUsage { prompt: 507, completion: 10, cached: 448, tool_prompt: 0, cache_write: 0 }),
                ..Default::default()
            },
        ),
        (
            "tools",
            MockAnswer {
                reasoning: Some("I will look up the weather and then the time.".into()),
                tool_calls: vec![
                    call_of("weather", Some(json!({"location": "San Francisco", "unit": "celsius"})), None),
                    call_of("now", None, None),
                ],
                usage: Some(MockUsage { prompt: 29, completion: 60, cached: 0, tool_prompt: 0, cache_write: 0 }),
                ..Default::default()
            },
        ),
        (
            "text_and_call",
            MockAnswer {
                text: Some("Let me check that for you.".into()),
                tool_calls: vec![call_of("weather", Some(json!({"location": "Paris"})), None)],
                usage: Some(MockUsage { prompt: 40, completion: 12, cached: 0, tool_prompt: 0, cache_write: 0 }),
                ..Default::default()
            },
        ),
        (
            "thinking",
            MockAnswer {
                text: Some("42 is the answer".into()),
                reasoning: Some("six times seven is forty-two, so the answer is 42".into()),
                finish: Some(FinishReason::Length),
                usage: Some(MockUsage { prompt: 9, completion: 30, cached: 0, tool_prompt: 0, cache_write: 0 }),
                ..Default::default()
            },
        ),
        (
            "safety_finish",
            MockAnswer {
                text: Some("Here is how".into()),
                finish: Some(FinishReason::ContentFilter),
                ..Default::default()
            },
        ),
        (
            "raw_args",
            MockAnswer {
                tool_calls: vec![
                    call_of("search", None, Some(r#"{"q":"rust"}"#)),
                    call_of("ping", Some(json!({"ignored": true})), Some("")),
                ],
                ..Default::default()
            },
        ),
        ("empty", MockAnswer::default()),
        ("err_invalid", err(ErrorKind::InvalidRequest, None, None)),
        ("err_context", err(ErrorKind::ContextLengthExceeded, None, None)),
        ("err_auth", err(ErrorKind::Authentication, None, None)),
        ("err_auth_401", err(ErrorKind::Authentication, Some(401), None)),
        ("err_permission", err(ErrorKind::PermissionDenied, None, None)),
        ("err_not_found", err(ErrorKind::NotFound, None, None)),
        ("err_rate", err(ErrorKind::RateLimited, None, Some(34.4))),
        ("err_rate_whole", err(ErrorKind::RateLimited, Some(429), Some(2.0))),
        ("err_quota", err(ErrorKind::QuotaExhausted, None, None)),
        ("err_overloaded", err(ErrorKind::Overloaded, None, None)),
        ("err_server", err(ErrorKind::ServerError, None, None)),
        ("err_timeout", err(ErrorKind::Timeout, None, None)),
        ("err_unsupported", err(ErrorKind::Unsupported, None, None)),
        ("err_filtered", err(ErrorKind::ContentFiltered, None, None)),
        ("err_filtered_400", err(ErrorKind::ContentFiltered, Some(400), None)),
    ]
}

async fn start() -> FakeProvider {
    let mut book = MockBook::default();
    for (scenario, mock) in mocks() {
        book.insert(SUITE, scenario, PROVIDER, mock);
    }
    FakeProvider::start(PROVIDER, WireFamily::Gemini, Arc::new(book)).await
}

fn fake_spec(fake: &FakeProvider) -> ProviderSpec {
    let mut s = spec(PROVIDER);
    s.base_url = format!("{}/v1beta", fake.uri());
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
    t.call(WireFamily::Gemini.adapter(), n).await
}

async fn call(fake: &FakeProvider, scenario: &str, stream: bool, extra: Value) -> CallOutcome {
    send(&native(fake, &request(stream, extra), scenario, "test-key-not-real")).await
}

/// A call asking for thought summaries (`thinkingConfig.includeThoughts`), as a scenario's
/// provider override would.
async fn thinking_call(fake: &FakeProvider, scenario: &str, stream: bool) -> CallOutcome {
    let mut n = native(fake, &request(stream, json!({})), scenario, "test-key-not-real");
    let config = json!({"generationConfig": {"thinkingConfig": {"includeThoughts": true}}});
    n.apply_overrides(config.as_object().unwrap(), []);
    send(&n).await
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

fn event_payloads(out: &CallOutcome) -> Vec<Value> {
    out.raw.events.iter().map(|(_, e)| serde_json::from_str(&e.data).unwrap()).collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn usage_of(r: &ChatCompletion) -> (u64, u64, u64, u64) {
    let u = r.usage.as_ref().unwrap();
    (u.prompt_tokens, u.completion_tokens, u.cached_tokens(), u.reasoning_tokens())
}

fn args(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

// --- answers ------------------------------------------------------------------------------------

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
        assert_eq!(m.reasoning_content, None);
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
        assert_eq!(usage_of(r), (507, 10, 448, 0));
        assert_eq!(r.model, MODEL);
        assert_eq!(r.id.len(), 23, "responseId-shaped: {}", r.id);
        assert!(r.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{}", r.id);
        assert_eq!(out.raw.streamed, stream);
    }
}

#[tokio::test]
async fn text_body_has_the_native_shape() {
    let fake = start().await;
    let out = call(&fake, "text", false, json!({})).await;
    let v = body_json(&out);
    assert_eq!(keys(&v), ["candidates", "usageMetadata", "modelVersion", "responseId"]);
    assert_eq!(
        v["candidates"],
        json!([{
            "content": {"parts": [{"text": "The capital of France is Paris, a city on the Seine."}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }])
    );
    assert_eq!(keys(&v["candidates"][0]), ["content", "finishReason", "index"]);
    assert_eq!(keys(&v["candidates"][0]["content"]), ["parts", "role"]);
    assert_eq!(
        v["usageMetadata"],
        json!({
            "promptTokenCount": 507,
            "candidatesTokenCount": 10,
            "totalTokenCount": 517,
            "cachedContentTokenCount": 448,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 507}],
            "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 448}],
        })
    );
    assert_eq!(
        keys(&v["usageMetadata"]),
        [
            "promptTokenCount",
            "candidatesTokenCount",
            "totalTokenCount",
            "cachedContentTokenCount",
            "promptTokensDetails",
            "cacheTokensDetails"
        ]
    );
    assert_eq!(v["modelVersion"], MODEL);
    // Deterministic: a second call gives the same bytes.
    let again = call(&fake, "text", false, json!({})).await;
    assert_eq!(out.raw.body, again.raw.body);
}

#[tokio::test]
async fn stream_is_data_only_partial_responses_ending_at_the_finish_reason() {
    let fake = start().await;
    let out = call(&fake, "text", true, json!({})).await;
    ok(&out);
    assert!(out.raw.events.iter().all(|(_, e)| e.event.is_none() && e.data != "[DONE]"));
    let payloads = event_payloads(&out);
    assert!(payloads.len() >= 3, "text pieces plus the final chunk: {payloads:?}");
    let (last, pieces) = payloads.split_last().unwrap();
    let mut text = String::new();
    let mut prev_candidates = 0;
    for p in pieces {
        assert_eq!(keys(p), ["candidates", "usageMetadata", "modelVersion", "responseId"]);
        assert_eq!(keys(&p["candidates"][0]), ["content", "index"], "no finishReason before the end");
        let parts = p["candidates"][0]["content"]["parts"].as_array().unwrap();
        assert_eq!(parts.len(), 1, "one text piece a chunk");
        text.push_str(parts[0]["text"].as_str().unwrap());
        let running = p["usageMetadata"]["candidatesTokenCount"].as_u64().unwrap();
        assert!(running >= prev_candidates && running <= 10, "running usage: {running}");
        prev_candidates = running;
        assert_eq!(p["usageMetadata"]["promptTokenCount"], 507);
        assert_eq!(p["responseId"], last["responseId"]);
    }
    assert_eq!(text, "The capital of France is Paris, a city on the Seine.");
    assert_eq!(
        last["candidates"],
        json!([{"content": {"parts": [{"text": ""}], "role": "model"}, "finishReason": "STOP", "index": 0}])
    );
    assert_eq!(last["usageMetadata"]["candidatesTokenCount"], 10);
    assert_eq!(last["usageMetadata"]["totalTokenCount"], 517);
}

#[tokio::test]
async fn tool_calls_whole_and_streamed() {
    let fake = start().await;
    for stream in [false, true] {
        let out = thinking_call(&fake, "tools", stream).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content, None, "stream {stream}");
        assert_eq!(m.reasoning_content.as_deref(), Some("I will look up the weather and then the time."));
        let calls = m.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].function.name, "weather");
        assert_eq!(args(&calls[0].function.arguments), json!({"location": "San Francisco", "unit": "celsius"}));
        assert_eq!(calls[1].function.name, "now");
        assert_eq!(calls[1].function.arguments, "{}");
        assert!(calls.iter().all(|c| !c.id.is_empty()), "ids synthesized by the adapter");
        assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
        let (prompt, completion, cached, reasoning) = usage_of(r);
        assert_eq!((prompt, completion, cached), (29, 60, 0));
        assert!(reasoning > 0 && reasoning < 60, "thoughts are part of the completion: {reasoning}");
    }

    let v = body_json(&thinking_call(&fake, "tools", false).await);
    let c = &v["candidates"][0];
    assert_eq!(keys(c), ["content", "finishReason", "index", "finishMessage"]);
    assert_eq!(c["finishReason"], "STOP", "Gemini says STOP for function calls");
    assert_eq!(c["finishMessage"], "Model generated function call(s).");
    let parts = c["content"]["parts"].as_array().unwrap();
    assert_eq!(parts[0], json!({"text": "I will look up the weather and then the time.", "thought": true}));
    assert_eq!(keys(&parts[1]), ["functionCall", "thoughtSignature"]);
    assert_eq!(
        parts[1]["functionCall"],
        json!({"name": "weather", "args": {"location": "San Francisco", "unit": "celsius"}})
    );
    let sig = parts[1]["thoughtSignature"].as_str().unwrap();
    assert!(sig.len() >= 64 && sig.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '+' || ch == '/'), "{sig}");
    assert_eq!(parts[2], json!({"functionCall": {"name": "now"}}), "no args, no id, no signature");
    let u = &v["usageMetadata"];
    assert_eq!(
        u["candidatesTokenCount"].as_u64().unwrap() + u["thoughtsTokenCount"].as_u64().unwrap(),
        60,
        "candidates and thoughts add up to the completion"
    );
    assert_eq!(keys(u).last(), Some(&"thoughtsTokenCount"));

    let out = thinking_call(&fake, "tools", true).await;
    let payloads = event_payloads(&out);
    let call_chunks: Vec<&Value> = payloads.iter().filter(|p| p.to_string().contains("functionCall")).collect();
    assert_eq!(call_chunks.len(), 1, "all calls whole in one chunk");
    assert_eq!(call_chunks[0]["candidates"][0]["content"]["parts"].as_array().unwrap().len(), 2);
    let last = payloads.last().unwrap();
    assert_eq!(keys(&last["candidates"][0]), ["content", "finishReason", "index"], "no finishMessage in streams");
    assert_eq!(last["candidates"][0]["content"]["parts"], json!([{"text": ""}]));
    assert!(payloads[0]["candidates"][0]["content"]["parts"][0]["thought"] == true, "thoughts stream first");
}

#[tokio::test]
async fn text_before_a_call() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "text_and_call", stream, json!({})).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some("Let me check that for you."), "stream {stream}");
        assert_eq!(m.calls().len(), 1);
        assert_eq!(args(&m.calls()[0].function.arguments), json!({"location": "Paris"}));
        assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
        assert_eq!(usage_of(r), (40, 12, 0, 0));
    }
}

#[tokio::test]
async fn reasoning_and_max_tokens() {
    let fake = start().await;
    for stream in [false, true] {
        let out = thinking_call(&fake, "thinking", stream).await;
        let r = ok(&out);
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some("42 is the answer"), "stream {stream}");
        assert_eq!(m.reasoning_content.as_deref(), Some("six times seven is forty-two, so the answer is 42"));
        assert_eq!(r.finish_reason(), Some(FinishReason::Length));
        let (prompt, completion, _, reasoning) = usage_of(r);
        assert_eq!((prompt, completion, reasoning), (9, 30, 13));
        let quiet = ok(&call(&fake, "thinking", stream, json!({})).await).clone();
        assert_eq!(quiet.message().unwrap().reasoning_content, None, "thoughts only when asked, stream {stream}");
        assert_eq!(usage_of(&quiet).3, 13, "the thinking is counted either way");
    }
    let v = body_json(&thinking_call(&fake, "thinking", false).await);
    assert_eq!(v["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["thought"], true);
    assert_eq!(v["usageMetadata"]["thoughtsTokenCount"], 13);
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 17);
    assert_eq!(v["usageMetadata"]["totalTokenCount"], 39);
}

#[tokio::test]
async fn safety_finish() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "safety_finish", stream, json!({})).await;
        let r = ok(&out);
        assert_eq!(r.message().unwrap().content.as_deref(), Some("Here is how"), "stream {stream}");
        assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter));
    }
    let v = body_json(&call(&fake, "safety_finish", false, json!({})).await);
    let c = &v["candidates"][0];
    assert_eq!(c["finishReason"], "SAFETY");
    assert!(c["safetyRatings"].as_array().unwrap().iter().any(|s| s["blocked"] == true));
}

#[tokio::test]
async fn raw_arguments_and_empty_answers() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "raw_args", stream, json!({})).await;
        let r = ok(&out);
        let calls = r.message().unwrap().calls();
        assert_eq!(args(&calls[0].function.arguments), json!({"q": "rust"}), "stream {stream}");
        assert_eq!(calls[1].function.arguments, "{}", "an empty raw string is no args");

        let out = call(&fake, "empty", stream, json!({})).await;
        let r = ok(&out);
        assert_eq!(r.message().unwrap().content, None);
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    }
    let v = body_json(&call(&fake, "raw_args", false, json!({})).await);
    assert_eq!(v["candidates"][0]["content"]["parts"][1], json!({"functionCall": {"name": "ping"}}));
    let v = body_json(&call(&fake, "empty", false, json!({})).await);
    assert_eq!(v["candidates"][0]["content"]["parts"], json!([{"text": ""}]));
}

// --- errors -------------------------------------------------------------------------------------

#[tokio::test]
async fn errors_map_back_to_their_kind() {
    let fake = start().await;
    let cases = [
        ("err_invalid", ErrorKind::InvalidRequest, 400, "INVALID_ARGUMENT"),
        ("err_context", ErrorKind::ContextLengthExceeded, 400, "INVALID_ARGUMENT"),
        ("err_auth", ErrorKind::Authentication, 400, "INVALID_ARGUMENT"),
        ("err_auth_401", ErrorKind::Authentication, 401, "UNAUTHENTICATED"),
        ("err_permission", ErrorKind::PermissionDenied, 403, "PERMISSION_DENIED"),
        ("err_not_found", ErrorKind::NotFound, 404, "NOT_FOUND"),
        ("err_rate", ErrorKind::RateLimited, 429, "RESOURCE_EXHAUSTED"),
        ("err_overloaded", ErrorKind::Overloaded, 503, "UNAVAILABLE"),
        ("err_server", ErrorKind::ServerError, 500, "INTERNAL"),
        ("err_timeout", ErrorKind::Timeout, 504, "DEADLINE_EXCEEDED"),
        ("err_filtered_400", ErrorKind::ContentFiltered, 400, "INVALID_ARGUMENT"),
    ];
    for (scenario, kind, status, rpc) in cases {
        for stream in [false, true] {
            let out = call(&fake, scenario, stream, json!({})).await;
            let e = err(&out);
            assert_eq!((e.kind, e.status), (kind, Some(status)), "{scenario} stream {stream}: {}", e.message);
            let v = body_json(&out);
            assert_eq!(keys(&v), ["error"]);
            assert_eq!(&keys(&v["error"])[..3], ["code", "message", "status"], "{scenario}");
            assert_eq!(
                (v["error"]["code"].as_u64(), v["error"]["status"].as_str()),
                (Some(u64::from(status)), Some(rpc))
            );
        }
    }
    let e = err(&call(&fake, "err_not_found", false, json!({})).await).clone();
    assert!(e.message.starts_with(&format!("models/{MODEL} is not found for API version v1beta")), "{}", e.message);
    let e = err(&call(&fake, "err_context", false, json!({})).await).clone();
    assert_eq!(e.message, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).");
    let e = err(&call(&fake, "err_overloaded", false, json!({})).await).clone();
    assert_eq!((e.message.as_str(), e.retry_after), ("The model is overloaded. Please try again later.", None));
}

#[tokio::test]
async fn bad_key_is_a_400_with_api_key_invalid() {
    let fake = start().await;
    let out = send(&native(&fake, &request(false, json!({})), "text", INVALID_KEY)).await;
    let e = err(&out);
    assert_eq!((e.kind, e.status), (ErrorKind::Authentication, Some(400)));
    assert_eq!(e.message, "API key not valid. Please pass a valid API key.");
    let v = body_json(&out);
    assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        v["error"]["details"][0],
        json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        })
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_info() {
    let fake = start().await;
    let out = call(&fake, "err_rate", false, json!({})).await;
    assert_eq!(err(&out).retry_after, Some(Duration::from_secs_f64(34.4)));
    let v = body_json(&out);
    let details = v["error"]["details"].as_array().unwrap();
    assert_eq!(details[0]["@type"], "type.googleapis.com/google.rpc.QuotaFailure");
    assert_eq!(details[0]["violations"][0]["quotaId"], "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
    assert_eq!(details[1], json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34.4s"}));
    assert!(out.raw.headers.iter().all(|(k, _)| !k.eq_ignore_ascii_case("retry-after")), "Gemini sends no header");

    let out = call(&fake, "err_rate_whole", false, json!({})).await;
    assert_eq!(err(&out).retry_after, Some(Duration::from_secs(2)));
    assert_eq!(body_json(&out)["error"]["details"][1]["retryDelay"], "2s");
}

/// Kinds Gemini has no distinct signal for: the fake sends what Google sends, and the adapter
/// reads the broader kind.
#[tokio::test]
async fn quota_and_unsupported_have_no_distinct_gemini_signal() {
    let fake = start().await;
    let out = call(&fake, "err_quota", false, json!({})).await;
    let e = err(&out);
    assert_eq!(e.status, Some(429));
    assert!(matches!(e.kind, ErrorKind::RateLimited | ErrorKind::QuotaExhausted), "{:?}", e.kind);
    assert_eq!(
        body_json(&out)["error"]["details"][0]["violations"][0]["quotaId"],
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
    );

    let out = call(&fake, "err_unsupported", false, json!({})).await;
    let e = err(&out);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.message, format!("Function calling is not enabled for models/{MODEL}"));
    assert!(matches!(e.kind, ErrorKind::InvalidRequest | ErrorKind::Unsupported), "{:?}", e.kind);
}

#[tokio::test]
async fn a_filtered_prompt_is_a_200_without_candidates() {
    let fake = start().await;
    for stream in [false, true] {
        let out = call(&fake, "err_filtered", stream, json!({})).await;
        assert_eq!(out.raw.status, Some(200));
        let r = ok(&out);
        assert_eq!(r.finish_reason(), Some(FinishReason::ContentFilter), "stream {stream}");
        assert_eq!(r.message().unwrap().content, None);
    }
    let v = body_json(&call(&fake, "err_filtered", false, json!({})).await);
    assert_eq!(keys(&v), ["promptFeedback", "usageMetadata", "modelVersion", "responseId"]);
    assert_eq!(v["promptFeedback"]["blockReason"], "SAFETY");
}

// --- validation ---------------------------------------------------------------------------------

fn tools_request() -> ChatRequest {
    request(
        false,
        json!({"tools": [{"type": "function", "function": {
            "name": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }}]}),
    )
}

fn rejected(out: &CallOutcome) -> String {
    let e = err(out);
    assert_eq!((e.kind, e.status), (ErrorKind::InvalidRequest, Some(400)), "{}", e.message);
    assert_eq!(body_json(out)["error"]["status"], "INVALID_ARGUMENT");
    e.message.clone()
}

#[tokio::test]
async fn rejects_additional_properties() {
    let fake = start().await;
    let mut n = native(&fake, &tools_request(), "text", "test-key-not-real");
    n.body["tools"][0]["functionDeclarations"][0]["parameters"]["additionalProperties"] = json!(false);
    let out = send(&n).await;
    assert_eq!(
        rejected(&out),
        "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters': Cannot find field."
    );
    let detail = &body_json(&out)["error"]["details"][0];
    assert_eq!(detail["@type"], "type.googleapis.com/google.rpc.BadRequest");
    assert_eq!(detail["fieldViolations"][0]["field"], "tools[0].function_declarations[0].parameters");

    let mut n = native(&fake, &request(false, json!({})), "text", "test-key-not-real");
    n.body["generationConfig"] = json!({"responseMimeType": "application/json", "responseSchema": {
        "type": "object", "properties": {"a": {"type": "string", "additionalProperties": false}},
    }});
    let msg = rejected(&send(&n).await);
    assert!(msg.contains("at 'generation_config.response_schema.properties[0].value'"), "{msg}");

    // What the adapter sends for a schema with additionalProperties is accepted.
    let req = request(
        false,
        json!({"tools": [{"type": "function", "function": {"name": "weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": false,
        }}}]}),
    );
    ok(&send(&native(&fake, &req, "text", "test-key-not-real")).await);
}

#[tokio::test]
async fn rejects_empty_contents_and_empty_parts() {
    let fake = start().await;
    let base = native(&fake, &request(false, json!({})), "text", "test-key-not-real");
    let mut n = base.clone();
    n.body["contents"] = json!([]);
    assert_eq!(rejected(&send(&n).await), "* GenerateContentRequest.contents: contents is not specified\n");

    let mut n = base.clone();
    n.body["contents"] = json!([{"role": "user", "parts": [{"text": ""}]}]);
    let msg = rejected(&send(&n).await);
    assert!(msg.contains("contents[0].parts[0].data: required oneof field 'data'"), "{msg}");
}

#[tokio::test]
async fn rejects_object_schemas_without_properties() {
    let fake = start().await;
    let mut n = native(&fake, &tools_request(), "text", "test-key-not-real");
    n.body["tools"][0]["functionDeclarations"][0]["parameters"] = json!({"type": "object", "properties": {}});
    assert_eq!(
        rejected(&send(&n).await),
        "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type\n"
    );
    let mut n = native(&fake, &tools_request(), "text", "test-key-not-real");
    n.body["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["filter"] = json!({"type": "object"});
    let msg = rejected(&send(&n).await);
    assert!(msg.contains("parameters.properties[filter].properties: should be non-empty"), "{msg}");

    // A function without parameters is how the adapter sends an empty schema: accepted.
    let req = request(
        false,
        json!({"tools": [{"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}]}),
    );
    ok(&send(&native(&fake, &req, "text", "test-key-not-real")).await);
}

fn history(results: &[(&str, &str)]) -> Value {
    let mut messages = vec![
        json!({"role": "user", "content": "Weather in Paris and London?"}),
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"London\"}"}},
        ]}),
    ];
    for (id, content) in results {
        messages.push(json!({"role": "tool", "tool_call_id": id, "content": content}));
    }
    json!({"messages": messages, "tools": [{"type": "function", "function": {
        "name": "weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }}]})
}

#[tokio::test]
async fn function_responses_must_answer_the_call_turn_in_one_turn() {
    let fake = start().await;
    let req = request(false, history(&[("call_1", "sunny"), ("call_2", "rainy")]));
    let n = native(&fake, &req, "text", "test-key-not-real");
    assert_eq!(n.body["contents"].as_array().unwrap().len(), 3, "the adapter merges the results into one turn");
    let out = send(&n).await;
    assert_eq!(
        ok(&out).message().unwrap().content.as_deref(),
        Some("The capital of France is Paris, a city on the Seine.")
    );

    // The two results split across turns, with a text turn in between.
    let mut split = n.clone();
    let contents = split.body["contents"].as_array_mut().unwrap();
    let responses = contents[2]["parts"].as_array().unwrap().clone();
    contents[2]["parts"] = json!([responses[0]]);
    contents.push(json!({"role": "model", "parts": [{"text": "One more."}]}));
    contents.push(json!({"role": "user", "parts": [responses[1]]}));
    assert_eq!(
        rejected(&send(&split).await),
        "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn."
    );

    // Only one of the two results.
    let req = request(false, history(&[("call_1", "sunny")]));
    let msg = rejected(&send(&native(&fake, &req, "text", "test-key-not-real")).await);
    assert!(msg.starts_with("Please ensure that the number of function response parts"), "{msg}");
}

#[tokio::test]
async fn rejects_bad_roles_and_nameless_function_responses() {
    let fake = start().await;
    let n = native(&fake, &request(false, history(&[("call_1", "sunny"), ("call_2", "rainy")])), "text", "k");
    let mut bad_role = n.clone();
    bad_role.body["contents"][1]["role"] = json!("assistant");
    assert_eq!(rejected(&send(&bad_role).await), "Please use a valid role: user, model.");

    let mut nameless = n.clone();
    nameless.body["contents"][2]["parts"][1]["functionResponse"].as_object_mut().unwrap().remove("name");
    assert_eq!(
        rejected(&send(&nameless).await),
        "* GenerateContentRequest.contents[2].parts[1].function_response.name: Name cannot be empty.\n"
    );

    let mut first_is_call = n.clone();
    first_is_call.body["contents"].as_array_mut().unwrap().remove(0);
    let msg = rejected(&send(&first_is_call).await);
    assert!(msg.starts_with("Please ensure that function call turn comes immediately after a user turn"), "{msg}");
}

#[tokio::test]
async fn gemini_3_needs_the_thought_signature_of_a_replayed_call() {
    let fake = start().await;
    let mut req = request(false, history(&[("call_1", "sunny"), ("call_2", "rainy")]));
    req.model = "gemini-3-pro-preview".into();
    // The adapter gives a call Gemini did not make Google's documented placeholder signature.
    let n = native(&fake, &req, "text", "test-key-not-real");
    assert_eq!(n.body["contents"][1]["parts"][0]["thoughtSignature"], "skip_thought_signature_validator");
    ok(&send(&n).await);

    let mut unsigned = n.clone();
    for part in unsigned.body["contents"][1]["parts"].as_array_mut().unwrap() {
        part.as_object_mut().unwrap().remove("thoughtSignature");
    }
    let msg = rejected(&send(&unsigned).await);
    assert!(msg.starts_with("Function call is missing a thought_signature in functionCall parts."), "{msg}");
    assert!(msg.contains("function call `default_api:weather` , position 2."), "{msg}");

    // Gemini 2.5 does not require it.
    let mut req = request(false, history(&[("call_1", "sunny"), ("call_2", "rainy")]));
    req.model = MODEL.into();
    ok(&send(&native(&fake, &req, "text", "test-key-not-real")).await);
}
