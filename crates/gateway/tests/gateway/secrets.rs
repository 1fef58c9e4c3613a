//! Provider keys never reach a client, a header, a metric or a log line, even when a provider
//! echoes the key back in an error.

use serde_json::json;

use crate::support::*;

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(PROVIDER_CANARY), "provider key leaked in {what}: {text}");
    assert!(!text.contains(CLIENT_KEY), "client key leaked in {what}: {text}");
}

#[tokio::test]
async fn a_provider_echoing_the_key_is_redacted_everywhere() {
    let up = Scripted::default();
    let uri = up.start().await;
    let echo = json!({"error": {"message": format!("Incorrect API key provided: {PROVIDER_CANARY}"), "type": "invalid_request_error", "code": "invalid_api_key"}});
    up.push(Script::Json(401, vec![("x-echo", PROVIDER_CANARY.into())], echo.clone()));
    let feed = up.push_stream();
    feed.send(openai_chunk("hello")).await.unwrap();
    let mid =
        json!({"error": {"message": format!("key {PROVIDER_CANARY} revoked mid-stream"), "type": "server_error"}});
    feed.send(bytes::Bytes::from(format!("data: {mid}\n\n"))).await.unwrap();
    drop(feed);
    let gw = Spec::new().provider("openai", &uri).start().await;

    let resp = gw.chat("c", request("openai/gpt-4.1-nano", false)).send().await.unwrap();
    assert_eq!(resp.status(), 502, "an upstream credential failure is not the client's 401");
    let headers = format!("{:?}", resp.headers());
    let body = resp.text().await.unwrap();
    assert!(body.contains("<redacted>"), "{body}");
    assert_clean("headers", &headers);
    assert_clean("body", &body);

    let resp = gw.chat("c", request("openai/gpt-4.1-nano", true)).send().await.unwrap();
    let headers = format!("{:?}", resp.headers());
    let body = resp.text().await.unwrap();
    assert!(body.contains("revoked mid-stream"), "{body}");
    assert_clean("stream headers", &headers);
    assert_clean("stream body", &body);

    let metrics = Running::client().get(format!("{}/metrics", gw.url)).send().await.unwrap().text().await.unwrap();
    assert_clean("metrics", &metrics);
    let log = gw.log_text();
    assert!(log.contains("serve: 502"), "{log}");
    assert_clean("log", &log);
    // The key did go where it belongs.
    let reqs = up.requests.lock().unwrap();
    assert_eq!(reqs[0].0["authorization"], format!("Bearer {PROVIDER_CANARY}"));
}

#[tokio::test]
async fn a_key_echoed_into_an_answer_is_redacted_whole_and_streamed() {
    let up = Scripted::default();
    let uri = up.start().await;
    let whole = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("your key is {PROVIDER_CANARY}")}, "finish_reason": "stop"}]});
    up.push(Script::Json(200, vec![], whole));
    let feed = up.push_stream();
    feed.send(openai_chunk(&format!("key: {PROVIDER_CANARY}"))).await.unwrap();
    feed.send(openai_finish()).await.unwrap();
    drop(feed);
    let gw = Spec::new().provider("openai", &uri).start().await;
    let body = gw.chat("c", request("cheap", false)).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("your key is <redacted>"), "{body}");
    assert_clean("answer", &body);
    let body = gw.chat("c", request("cheap", true)).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("key: <redacted>"), "{body}");
    assert_clean("streamed answer", &body);
}
