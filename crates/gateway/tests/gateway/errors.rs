//! Provider errors reach the client in OpenAI's error format, with the status an OpenAI SDK
//! maps to the right exception, and a code that classifies back to the same kind.
//! Reference: <https://platform.openai.com/docs/guides/error-codes>.

use serde_json::Value;

use crate::support::*;
use llm_conform_core::api::ErrorKind;
use llm_conform_fakes::{MockAnswer, MockError};

fn error(kind: ErrorKind, retry_after_s: Option<f64>) -> MockAnswer {
    MockAnswer { error: Some(MockError { kind, status: None, message: None, retry_after_s }), ..Default::default() }
}

#[tokio::test]
async fn error_kinds_map_to_statuses_and_codes() {
    let cases = [
        ("openai", ErrorKind::RateLimited, Some(30.0), 429, "rate_limit_exceeded"),
        ("openai", ErrorKind::QuotaExhausted, None, 429, "insufficient_quota"),
        ("openai", ErrorKind::ContextLengthExceeded, None, 400, "context_length_exceeded"),
        ("openai", ErrorKind::InvalidRequest, None, 400, "invalid_request_error"),
        ("openai", ErrorKind::NotFound, None, 404, "model_not_found"),
        ("anthropic", ErrorKind::Overloaded, None, 503, "server_is_overloaded"),
        ("gemini", ErrorKind::ServerError, None, 502, "server_error"),
        ("cohere", ErrorKind::Authentication, None, 502, "authentication_error"),
    ];
    for (provider, kind, retry, status, code) in cases {
        let fake = fake(provider, &[("e", error(kind, retry))]).await;
        let gw = Spec::new().provider(provider, &fake.uri()).start().await;
        let resp = gw.chat("e", request("cheap", false)).send().await.unwrap();
        assert_eq!(resp.status(), status, "{provider} {kind}");
        if let Some(r) = retry {
            assert_eq!(resp.headers()["retry-after"], format!("{r}"), "{kind}");
            assert_eq!(resp.headers()["retry-after-ms"], format!("{}", r * 1000.0));
        }
        let body: Value = resp.json().await.unwrap();
        let e = &body["error"];
        assert_eq!(e["code"], code, "{provider} {kind}: {body}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()) && e["type"].is_string(), "{body}");
        assert!(e.as_object().unwrap().contains_key("param"), "{body}");
    }
}

#[tokio::test]
async fn malformed_requests_name_the_field() {
    let gw = Spec::new().start().await;
    let c = Running::client();
    let url = format!("{}/v1/chat/completions", gw.url);
    let resp = c
        .post(&url)
        .bearer_auth(CLIENT_KEY)
        .body(r#"{"model": "cheap", "messages": [{"role": "wizard"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("messages[0]"), "{body}");
    let resp = c.post(&url).bearer_auth(CLIENT_KEY).body("{not json").send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn unknown_models_are_404_model_not_found() {
    let fake = fake("openai", &[]).await;
    let gw = Spec::new().provider("openai", &fake.uri()).start().await;
    for model in ["gpt-4o", "nosuchprovider/model", "gold"] {
        let resp = gw.chat("x", request(model, false)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{model}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "model_not_found");
        assert_eq!(body["error"]["param"], "model");
    }
}

#[tokio::test]
async fn no_callable_candidate_is_503_with_the_reasons() {
    // Anthropic is in the tier but has no key: skipped, not called.
    let gw = Spec::new().policy("[tiers.cheap]\ncandidates = [\"anthropic/claude-haiku-4-5\"]\n").start().await;
    let resp = gw.chat("x", request("cheap", false)).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("ANTHROPIC_API_KEY") || msg.contains("no key"), "{msg}");
}
