//! The body cap and the per-request deadline.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;
use llm_conform_fakes::MockAnswer;

#[tokio::test]
async fn bodies_over_the_cap_get_413_declared_or_not() {
    let mut spec = Spec::new();
    spec.serve.max_body_bytes = 1024;
    let gw = spec.start().await;
    let big = serde_json::json!({"model": "cheap", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let url = format!("{}/v1/chat/completions", gw.url);
    let resp = Running::client().post(&url).bearer_auth(CLIENT_KEY).json(&big).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "request_too_large");
    // Chunked, without content-length: cut while reading.
    let bytes = serde_json::to_vec(&big).unwrap();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = bytes.chunks(512).map(|c| Ok(c.to_vec())).collect();
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let resp = Running::client().post(&url).bearer_auth(CLIENT_KEY).body(body).send().await.unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn a_slow_provider_hits_the_deadline_with_504() {
    let slow = MockAnswer { text: Some("late".into()), delay_ms: Some(5_000), ..Default::default() };
    let fake = fake("openai", &[("slow", slow)]).await;
    let mut spec = Spec::new().provider("openai", &fake.uri()).policy("[retry]\nmax_retries = 0\n");
    spec.serve.deadline_s = 0.3;
    let gw = spec.start().await;
    let resp = gw.chat("slow", request("cheap", false)).send().await.unwrap();
    assert_eq!(resp.status(), 504);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "deadline_exceeded");
}

#[tokio::test]
async fn a_stream_that_outlives_the_deadline_ends_with_an_error_event() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    let mut spec = Spec::new().provider("openai", &uri).policy("[retry]\nmax_retries = 0\n");
    spec.serve.deadline_s = 0.5;
    let gw = spec.start().await;
    feed.send(openai_chunk("first")).await.unwrap();
    let resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = tokio::time::timeout(Duration::from_secs(10), resp.text()).await.unwrap().unwrap();
    let data = sse_data(&body);
    assert!(data[0].contains("first"), "{data:?}");
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "deadline_exceeded", "{data:?}");
    drop(feed);
}

#[tokio::test]
async fn a_body_trickled_past_the_deadline_gets_408() {
    let mut spec = Spec::new();
    spec.serve.deadline_s = 0.3;
    let gw = spec.start().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(b"{\"model\": \"cheap\", ".to_vec())).await.unwrap();
    let body =
        reqwest::Body::wrap_stream(futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
        ));
    let url = format!("{}/v1/chat/completions", gw.url);
    let resp = Running::client().post(&url).bearer_auth(CLIENT_KEY).body(body).send().await.unwrap();
    assert_eq!(resp.status(), 408);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "request_timeout");
    drop(tx);
}
