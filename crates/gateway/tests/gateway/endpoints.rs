//! Every endpoint, and every wire family served back in OpenAI's format, whole and streamed.
//! Reference: <https://platform.openai.com/docs/api-reference/chat/create> (response and chunk
//! objects), <https://platform.openai.com/docs/api-reference/models/list>.

use serde_json::{Value, json};

use crate::support::*;
use llm_conform_core::providers::Catalog;
use llm_conform_gateway::{ATTEMPTS_HEADER, MODEL_HEADER, PROVIDER_HEADER};

const TEXT: &str = "Hello from the fake provider.";

#[tokio::test]
async fn every_family_answers_in_openai_format_whole_and_streamed() {
    for provider in ["openai", "anthropic", "gemini", "cohere", "mistral"] {
        let fake = fake(provider, &[("c1", text(TEXT))]).await;
        let gw = Spec::new().provider(provider, &fake.uri()).start().await;
        let model = format!("{provider}/{}", Catalog::builtin().get(provider).unwrap().models.cheap.clone().unwrap());

        let resp = gw.chat("c1", request(&model, false)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{provider}");
        assert_eq!(resp.headers()[PROVIDER_HEADER], provider);
        assert_eq!(resp.headers()[MODEL_HEADER], model.split_once('/').unwrap().1);
        assert_eq!(resp.headers()[ATTEMPTS_HEADER], "1");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["object"], "chat.completion", "{provider}: {body}");
        assert_eq!(body["choices"][0]["message"]["content"], TEXT, "{provider}: {body}");
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0, "{provider}: {body}");

        let mut req = request(&model, true);
        req["stream_options"] = json!({"include_usage": true});
        let resp = gw.chat("c1", req).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        assert_eq!(resp.headers()[PROVIDER_HEADER], provider);
        let data = sse_data(&resp.text().await.unwrap());
        assert_eq!(data.last().unwrap(), "[DONE]", "{provider}");
        let chunks: Vec<Value> = data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
        let mut content = String::new();
        for c in &chunks {
            assert_eq!(c["object"], "chat.completion.chunk", "{provider}: {c}");
            content.push_str(c["choices"][0]["delta"]["content"].as_str().unwrap_or(""));
        }
        assert_eq!(content, TEXT, "{provider}");
        let last = chunks.last().unwrap();
        assert!(last["choices"].as_array().unwrap().is_empty() && last["usage"]["total_tokens"].as_u64().is_some());
        assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "stop"), "{provider}");
    }
}

#[tokio::test]
async fn usage_chunk_only_when_the_client_asks_for_it() {
    let fake = fake("anthropic", &[("c1", text(TEXT))]).await;
    let gw = Spec::new().provider("anthropic", &fake.uri()).start().await;
    let resp = gw.chat("c1", request("cheap", true)).send().await.unwrap();
    let data = sse_data(&resp.text().await.unwrap());
    for d in &data[..data.len() - 1] {
        let c: Value = serde_json::from_str(d).unwrap();
        assert!(!c["choices"].as_array().unwrap().is_empty(), "usage chunk without include_usage: {c}");
        assert!(c["usage"].is_null(), "{c}");
    }
}

#[tokio::test]
async fn models_health_and_metrics() {
    let fake = fake("openai", &[("c1", text(TEXT))]).await;
    let gw = Spec::new().provider("openai", &fake.uri()).start().await;
    let client = Running::client();
    let models: Value =
        client.get(format!("{}/v1/models", gw.url)).bearer_auth(CLIENT_KEY).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["object"], "list");
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"cheap") && ids.contains(&"premium") && ids.contains(&"openai/gpt-4.1-nano"), "{ids:?}");
    assert!(models["data"].as_array().unwrap().iter().all(|m| m["object"] == "model" && m["owned_by"].is_string()));

    let health = client.get(format!("{}/health", gw.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");

    assert_eq!(gw.chat("c1", request("cheap", false)).send().await.unwrap().status(), 200);
    let text = client.get(format!("{}/metrics", gw.url)).send().await.unwrap().text().await.unwrap();
    for want in [
        "llm_conform_gateway_requests_total{endpoint=\"chat_completions\",status=\"200\"} 1",
        "llm_conform_gateway_attempts_total{provider=\"openai\",outcome=\"success\"} 1",
        "llm_conform_gateway_upstream_duration_seconds_count{provider=\"openai\"} 1",
        "llm_conform_gateway_tokens_total{provider=\"openai\",direction=\"completion\"}",
        "llm_conform_gateway_cost_usd_total{provider=\"openai\"}",
        "llm_conform_gateway_candidate_state{provider=\"openai\",model=\"gpt-4.1-nano\",state=\"ready\"} 1",
        "# TYPE llm_conform_gateway_request_duration_seconds histogram",
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
}

#[tokio::test]
async fn unknown_paths_are_openai_404s() {
    let gw = Spec::new().start().await;
    let resp = Running::client().get(format!("{}/v1/embeddings", gw.url)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_url");
}

#[tokio::test]
async fn whole_responses_carry_cost_from_catalog_prices() {
    let fake = fake("openai", &[("c1", text(TEXT))]).await;
    let gw = Spec::new().provider("openai", &fake.uri()).start().await;
    let resp = gw.chat("c1", request("openai/gpt-4.1-nano", false)).send().await.unwrap();
    let cost: f64 = resp.headers()[llm_conform_gateway::COST_HEADER].to_str().unwrap().parse().unwrap();
    assert!(cost > 0.0 && cost < 0.01, "{cost}");
}
