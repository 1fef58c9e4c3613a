//! The fakes on the premium features, over HTTP and through the real adapters: prompt caching
//! written then read by each API's rule, Anthropic thinking carried across a tool call (and
//! refused when it is not), DeepSeek's thinking history, OpenAI's reasoning models refusing
//! legacy parameters, Gemini thoughts and grounding only when asked for.

use std::sync::Arc;
use std::time::Duration;

use crate::book::MockBook;
use llm_conform_core::api::{ChatCompletion, ChatRequest, Message};
use llm_conform_core::providers::{NativeRequest, ProviderSpec};
use llm_conform_core::transport::{CallOutcome, HttpTransport, TransportConfig};
use llm_conform_fakes::{CASE_HEADER, FakeProvider, MockAnswer, MockCitation, MockToolCall};
use serde_json::{Value, json};

const SUITE: &str = "premium";

async fn start(provider: &str, mocks: Vec<(&str, MockAnswer)>) -> (FakeProvider, ProviderSpec) {
    let mut book = MockBook::default();
    for (scenario, mock) in mocks {
        book.insert(SUITE, scenario, provider, mock);
    }
    let mut spec = crate::common::spec(provider);
    let fake = FakeProvider::start(provider, spec.family, Arc::new(book)).await;
    spec.rebase(&fake.uri());
    (fake, spec)
}

fn native(spec: &ProviderSpec, scenario: &str, req: Value, overrides: Value) -> NativeRequest {
    let req: ChatRequest = serde_json::from_value(req).unwrap();
    let mut n = spec.family.adapter().encode(&req, spec, Some("test-key-not-real")).unwrap();
    n.apply_overrides(overrides.as_object().unwrap(), []);
    let mode = if req.is_stream() { "stream" } else { "non_stream" };
    n.header(CASE_HEADER, format!("{SUITE}/{scenario}/{}/{mode}", spec.name));
    n
}

async fn send(spec: &ProviderSpec, n: &NativeRequest) -> CallOutcome {
    let t = HttpTransport::new(TransportConfig { timeout: Duration::from_secs(20), ..Default::default() }).unwrap();
    t.call(spec.family.adapter(), n).await
}

async fn call(spec: &ProviderSpec, scenario: &str, req: Value, overrides: Value) -> CallOutcome {
    send(spec, &native(spec, scenario, req, overrides)).await
}

fn ok(out: &CallOutcome) -> &ChatCompletion {
    match &out.result {
        Ok(r) => r,
        Err(e) => panic!("expected a completion, got {e}\nbody: {}", String::from_utf8_lossy(&out.raw.body)),
    }
}

fn refusal(out: &CallOutcome) -> String {
    match &out.result {
        Err(_) => String::from_utf8_lossy(&out.raw.body).into_owned(),
        Ok(r) => panic!("expected a refusal, got {r:?}"),
    }
}

fn cached_mock() -> MockAnswer {
    MockAnswer { text: Some("Yes.".into()), prompt_cache: true, ..Default::default() }
}

fn policy() -> String {
    (1..=90).map(|i| format!("Rule {i}: returns within sixty days for a full refund, unless worn. ")).collect()
}

fn cache_request(model: &str, marked: bool, system: &str, stream: bool) -> Value {
    let mut part = json!({"type": "text", "text": system});
    if marked {
        part["prompt_cache_breakpoint"] = json!({"mode": "explicit"});
    }
    json!({"model": model, "stream": stream, "messages": [{"role": "system", "content": [part]}, {"role": "user", "content": "May I return it?"}]})
}

/// (cached, written) tokens of one call's usage.
fn cache_counts(out: &CallOutcome) -> (u64, u64) {
    let u = ok(out).usage.clone().unwrap();
    (u.cached_tokens(), u.prompt_tokens_details.and_then(|d| d.cache_write_tokens).unwrap_or(0))
}

/// Each API's caching rule: Anthropic only up to a marked block and reporting the write
/// (<https://docs.claude.com/en/docs/build-with-claude/prompt-caching>), OpenAI automatically in
/// blocks of 128 tokens from 1024 (<https://platform.openai.com/docs/guides/prompt-caching>),
/// DeepSeek in units of 64 (<https://api-docs.deepseek.com/guides/kv_cache>), Gemini implicitly
/// (<https://ai.google.dev/gemini-api/docs/caching#implicit-caching>); nothing below the
/// catalog's minimum, nothing shared between cases, nothing where the catalog names no minimum.
#[tokio::test]
async fn prompt_caches_are_written_then_read_by_each_apis_rule() {
    let long = policy();
    for (provider, model, marked) in [
        ("anthropic", "claude-sonnet-4-5", true),
        ("openai", "gpt-4.1-mini", false),
        ("deepseek", "deepseek-chat", false),
        ("gemini", "gemini-2.5-flash", false),
    ] {
        for stream in [false, true] {
            let scenario = format!("cache_{stream}");
            let (_fake, spec) = start(provider, vec![(&scenario, cached_mock()), ("cache_other", cached_mock())]).await;
            let req = cache_request(model, marked, &long, stream);
            let first = cache_counts(&call(&spec, &scenario, req.clone(), json!({})).await);
            let second = call(&spec, &scenario, req.clone(), json!({})).await;
            let (read, written) = cache_counts(&second);
            let prompt = ok(&second).usage.as_ref().unwrap().prompt_tokens;
            let at = format!("{provider} stream={stream}");
            assert_eq!(first.0, 0, "{at}: nothing to read on the first call");
            assert!(read >= 1024 && read <= prompt, "{at}: {read} of {prompt}");
            match provider {
                "anthropic" => assert_eq!((first.1, written), (read, 0), "{at}: written once, then read"),
                "openai" => assert_eq!(read % 128, 0, "{at}"),
                "deepseek" => assert_eq!(read % 64, 0, "{at}"),
                _ => {}
            }
            let other = cache_counts(&call(&spec, "cache_other", req.clone(), json!({})).await);
            assert_eq!(other.0, 0, "{at}: another case has its own cache");
            let short = cache_request(model, marked, "Be brief.", stream);
            call(&spec, &scenario, short.clone(), json!({})).await;
            assert_eq!(
                cache_counts(&call(&spec, &scenario, short, json!({})).await),
                (0, 0),
                "{at}: below the minimum"
            );
        }
    }
    let (_fake, spec) = start("anthropic", vec![("unmarked", cached_mock())]).await;
    let req = cache_request("claude-sonnet-4-5", false, &long, false);
    call(&spec, "unmarked", req.clone(), json!({})).await;
    assert_eq!(
        cache_counts(&call(&spec, "unmarked", req, json!({})).await),
        (0, 0),
        "anthropic caches only marked prefixes"
    );
    let (_fake, spec) = start("mistral", vec![("uncached", cached_mock())]).await;
    let req = cache_request("mistral-small-latest", false, &long, false);
    call(&spec, "uncached", req.clone(), json!({})).await;
    assert_eq!(
        cache_counts(&call(&spec, "uncached", req, json!({})).await),
        (0, 0),
        "no minimum in the catalog, no cache"
    );
}

fn weather_tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])
}

fn thinking_call_mock() -> MockAnswer {
    MockAnswer {
        reasoning: Some("I should look the weather up.".into()),
        tool_calls: vec![MockToolCall {
            name: "get_weather".into(),
            arguments: Some(json!({"city": "Paris"})),
            arguments_raw: None,
        }],
        ..Default::default()
    }
}

/// The turn Anthropic answered with thinking and a call goes back, as decoded, and the fake
/// accepts it; the same turn without its thinking block is refused in the API's words
/// (<https://docs.claude.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks>).
#[tokio::test]
async fn anthropic_thinking_survives_a_tool_round_trip() {
    let answer = MockAnswer { text: Some("Take an umbrella.".into()), ..Default::default() };
    let (_fake, spec) = start("anthropic", vec![("first", thinking_call_mock()), ("second", answer)]).await;
    let thinking = json!({"thinking": {"type": "enabled", "budget_tokens": 1024}});
    for stream in [false, true] {
        let user = json!({"role": "user", "content": "Umbrella in Paris today?"});
        let req = json!({"model": "claude-sonnet-4-5", "max_tokens": 2048, "stream": stream, "messages": [user], "tools": weather_tools()});
        let first = ok(&call(&spec, "first", req, thinking.clone()).await).clone();
        let turn: Message = serde_json::from_value(serde_json::to_value(first.message().unwrap()).unwrap()).unwrap();
        let id = turn.calls()[0].id.clone();
        let result = json!({"role": "tool", "tool_call_id": id, "content": "light rain"});
        let history = |turn: &Message| {
            json!({"model": "claude-sonnet-4-5", "max_tokens": 2048, "stream": stream, "tools": weather_tools(),
                "messages": [user, serde_json::to_value(turn).unwrap(), result]})
        };
        let second = call(&spec, "second", history(&turn), thinking.clone()).await;
        assert_eq!(ok(&second).message().unwrap().content.as_deref(), Some("Take an umbrella."), "stream={stream}");

        let mut bare = turn.clone();
        bare.tool_calls.as_mut().unwrap()[0].extra_content = None;
        let e = refusal(&call(&spec, "second", history(&bare), thinking.clone()).await);
        assert!(e.contains("Expected `thinking` or `redacted_thinking`, but found `tool_use`"), "{e}");
    }
    // Thinking rules: temperature, budget, forced tools.
    let base = json!({"model": "claude-sonnet-4-5", "max_tokens": 2048, "messages": [{"role": "user", "content": "hi"}], "temperature": 0.3});
    assert!(refusal(&call(&spec, "second", base, thinking).await).contains("`temperature` may only be set to 1"));
}

/// DeepSeek in thinking mode refuses a tool-call turn without its `reasoning_content`; the turn
/// as decoded carries it (<https://api-docs.deepseek.com/guides/thinking_mode>).
#[tokio::test]
async fn deepseek_thinking_wants_reasoning_back_on_tool_turns() {
    let answer = MockAnswer { text: Some("Take an umbrella.".into()), ..Default::default() };
    let (_fake, spec) = start("deepseek", vec![("first", thinking_call_mock()), ("second", answer)]).await;
    let thinking = json!({"thinking": {"type": "enabled"}});
    let user = json!({"role": "user", "content": "Umbrella in Paris today?"});
    let req = json!({"model": "deepseek-chat", "messages": [user], "tools": weather_tools()});
    let first = ok(&call(&spec, "first", req, thinking.clone()).await).clone();
    let m = first.message().unwrap();
    assert_eq!(m.reasoning_content.as_deref(), Some("I should look the weather up."));
    let turn = serde_json::to_value(m).unwrap();
    let result = json!({"role": "tool", "tool_call_id": m.calls()[0].id, "content": "light rain"});
    let history =
        |turn: Value| json!({"model": "deepseek-chat", "tools": weather_tools(), "messages": [user, turn, result]});
    ok(&call(&spec, "second", history(turn.clone()), thinking.clone()).await);
    let mut bare = turn;
    bare.as_object_mut().unwrap().remove("reasoning_content");
    let e = refusal(&call(&spec, "second", history(bare.clone()), thinking).await);
    assert!(e.contains("Missing `reasoning_content` field in the assistant message at message index 1"), "{e}");
    ok(&call(&spec, "second", history(bare), json!({})).await);
}

/// OpenAI's reasoning models refuse `max_tokens` (the genuine
/// `reasoning-model-legacy-parameter-error.json`) and non-default sampling; the adapter sends
/// neither, and the answer has reasoning tokens but no reasoning text.
#[tokio::test]
async fn openai_reasoning_models_refuse_legacy_parameters() {
    let mock =
        MockAnswer { reasoning: Some("391 is 17 times 23.".into()), text: Some("No".into()), ..Default::default() };
    let (fake, spec) = start("openai", vec![("r", mock)]).await;
    let req = json!({"model": "o4-mini", "messages": [{"role": "user", "content": "Is 391 prime?"}], "max_tokens": 100, "temperature": 0.2});
    let r = ok(&call(&spec, "r", req, json!({})).await).clone();
    assert_eq!(r.message().unwrap().reasoning_content, None);
    assert!(r.usage.unwrap().reasoning_tokens() > 0);
    let uri = fake.uri();
    let (status, v) =
        raw(&uri, json!({"model": "o4-mini", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}))
            .await;
    let sample: Value =
        serde_json::from_slice(&crate::common::sample("openai/reasoning-model-legacy-parameter-error.json")).unwrap();
    assert_eq!((status, &v), (400, &sample), "the genuine refusal, word for word");
    let (status, v) =
        raw(&uri, json!({"model": "o4-mini", "temperature": 0.2, "messages": [{"role": "user", "content": "hi"}]}))
            .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["param"], "temperature");
}

async fn raw(uri: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{uri}/v1/chat/completions"))
        .header(CASE_HEADER, format!("{SUITE}/r/openai/non_stream"))
        .header("authorization", "Bearer k")
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
}

/// Gemini shows thought summaries only with `includeThoughts`, and 2.5 Pro refuses a budget of
/// 0 (<https://ai.google.dev/gemini-api/docs/thinking>).
#[tokio::test]
async fn gemini_thoughts_only_when_included() {
    let mock = MockAnswer {
        reasoning: Some("Seventeen times twenty-three.".into()),
        text: Some("No".into()),
        ..Default::default()
    };
    let (_fake, spec) = start("gemini", vec![("t", mock)]).await;
    let req = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "Is 391 prime?"}]});
    let include = json!({"generationConfig": {"thinkingConfig": {"includeThoughts": true}}});
    let shown = ok(&call(&spec, "t", req("gemini-2.5-flash"), include).await).clone();
    assert_eq!(shown.message().unwrap().reasoning_content.as_deref(), Some("Seventeen times twenty-three."));
    let hidden = ok(&call(&spec, "t", req("gemini-2.5-flash"), json!({})).await).clone();
    assert_eq!(hidden.message().unwrap().reasoning_content, None);
    assert!(hidden.usage.unwrap().reasoning_tokens() > 0, "the thinking still counts");
    let zero = json!({"generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}});
    assert!(refusal(&call(&spec, "t", req("gemini-2.5-pro"), zero.clone()).await).contains("Budget 0 is invalid"));
    ok(&call(&spec, "t", req("gemini-2.5-flash"), zero).await);
}

fn grounded_mock() -> MockAnswer {
    MockAnswer {
        text: Some("Spain won Euro 2024.".into()),
        server_tools: vec![MockToolCall {
            name: "web_search".into(),
            arguments: Some(json!({"query": "euro 2024"})),
            arguments_raw: None,
        }],
        citations: vec![MockCitation {
            url: "https://a.example/euro".into(),
            title: "A".into(),
            cited_text: Some("Spain won".into()),
        }],
        ..Default::default()
    }
}

/// Citations come only when the request turned search on: Gemini's `google_search` tool,
/// Anthropic's web search tool; either way the answer's sources are annotations and the
/// searches are not tool calls.
#[tokio::test]
async fn grounding_only_when_search_is_offered() {
    for (provider, model, search) in [
        ("gemini", "gemini-2.5-flash", json!({"tools": [{"google_search": {}}]})),
        ("anthropic", "claude-haiku-4-5", json!({"tools": [{"type": "web_search_20250305", "name": "web_search"}]})),
    ] {
        let (_fake, spec) = start(provider, vec![("g", grounded_mock())]).await;
        for stream in [false, true] {
            let req =
                json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "Euro 2024?"}]});
            let r = ok(&call(&spec, "g", req.clone(), search.clone()).await).clone();
            let m = r.message().unwrap();
            assert!(m.tool_calls.is_none(), "{provider}");
            let a = m.annotations.as_ref().unwrap_or_else(|| panic!("{provider} stream={stream}: no annotations"));
            assert_eq!((a[0].url_citation.url.as_str(), a[0].url_citation.start_index), ("https://a.example/euro", 0));
            let plain = ok(&call(&spec, "g", req, json!({})).await).clone();
            assert!(plain.message().unwrap().annotations.is_none(), "{provider}: no search, no sources");
        }
    }
    let (_fake, spec) = start("anthropic", vec![("g", grounded_mock())]).await;
    let bad = json!({"tools": [{"type": "web_search_20250305", "name": "search"}]});
    let req = json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Euro 2024?"}]});
    assert!(refusal(&call(&spec, "g", req, bad).await).contains("Input should be 'web_search'"));
}
