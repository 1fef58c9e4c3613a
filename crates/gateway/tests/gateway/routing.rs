//! Routing through the one router the gateway holds: tiers, `provider/model` with its tier's
//! fallbacks, retries on 429 and fallback on 529, cooldowns visible in the metrics.

use serde_json::{Value, json};

use crate::support::*;
use llm_conform_core::api::ErrorKind;
use llm_conform_fakes::{MockAnswer, MockError};
use llm_conform_gateway::{ATTEMPTS_HEADER, PROVIDER_HEADER};

const TIER: &str = "[retry]\nbase_ms = 1\nmax_ms = 2\n[tiers.cheap]\ncandidates = [\"anthropic/claude-haiku-4-5\", \"openai/gpt-4.1-nano\"]\n";

fn overloaded() -> MockAnswer {
    MockAnswer {
        error: Some(MockError { kind: ErrorKind::Overloaded, status: None, message: None, retry_after_s: None }),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_overloaded_529_falls_back_to_the_next_candidate_whole_and_streamed() {
    let anthropic = fake("anthropic", &[("c", overloaded())]).await;
    let openai = fake("openai", &[("c", text("from openai"))]).await;
    // No cooldown here, so every request tries anthropic first (cooldowns are tested below).
    let policy = format!("{TIER}[cooldown]\nfailures = 0\n");
    let gw = Spec::new()
        .provider("anthropic", &anthropic.uri())
        .provider("openai", &openai.uri())
        .policy(&policy)
        .start()
        .await;
    for model in ["cheap", "anthropic/claude-haiku-4-5"] {
        for stream in [false, true] {
            let resp = gw.chat("c", request(model, stream)).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{model} stream={stream}");
            assert_eq!(resp.headers()[PROVIDER_HEADER], "openai");
            let calls: usize = resp.headers()[ATTEMPTS_HEADER].to_str().unwrap().parse().unwrap();
            assert!(calls >= 2, "{calls}");
            let body = resp.text().await.unwrap();
            assert!(body.contains("from openai"), "{body}");
        }
    }
    assert!(anthropic.request_count().await >= 8);
}

#[tokio::test]
async fn a_429_is_retried_on_the_same_provider() {
    let up = Scripted::default();
    let uri = up.start().await;
    let rate = json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}});
    up.push(Script::Json(429, vec![("retry-after", "0".into())], rate));
    let ok = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4.1-nano",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "second time lucky"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}});
    up.push(Script::Json(200, vec![], ok));
    let gw = Spec::new().provider("openai", &uri).start().await;
    let resp = gw.chat("c", request("openai/gpt-4.1-nano", false)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[ATTEMPTS_HEADER], "2");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "second time lucky");
    assert_eq!(up.requests.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn cooldowns_show_in_the_metrics() {
    let anthropic = fake("anthropic", &[("c", overloaded())]).await;
    let policy = format!("{TIER}[cooldown]\nfailures = 1\nperiod_s = 600\n");
    let gw = Spec::new().provider("anthropic", &anthropic.uri()).policy(&policy).start().await;
    let resp = gw.chat("c", request("anthropic/claude-haiku-4-5", false)).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    let text = Running::client().get(format!("{}/metrics", gw.url)).send().await.unwrap().text().await.unwrap();
    let want = "llm_conform_gateway_candidate_state{provider=\"anthropic\",model=\"claude-haiku-4-5\",state=\"cooling_down\"} 1";
    assert!(text.contains(want), "{text}");
    assert!(text.contains("llm_conform_gateway_errors_total{provider=\"anthropic\",kind=\"overloaded\"} 1"), "{text}");
    // The next request skips the cooling provider without calling it.
    let before = anthropic.request_count().await;
    let resp = gw.chat("c", request("cheap", false)).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(anthropic.request_count().await, before);
}
