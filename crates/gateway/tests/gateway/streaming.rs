//! Streams pass through chunk by chunk, and a failure after the first byte ends the stream with
//! an error event (the OpenAI SDKs raise it as `APIError`), never a silent truncation.

use serde_json::{Value, json};

use crate::support::*;
use llm_conform_fakes::{Fault, MockAnswer};

#[tokio::test]
async fn chunks_reach_the_client_before_the_provider_finishes() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    let gw = Spec::new().provider("openai", &uri).start().await;
    feed.send(openai_chunk("first ")).await.unwrap();
    let mut resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut acc = String::new();
    // The provider has sent one chunk and is holding the rest: it must already be here.
    read_until(&mut resp, &mut acc, |a| a.contains("first ")).await;
    assert!(!acc.contains("[DONE]"));
    feed.send(openai_chunk("second")).await.unwrap();
    feed.send(openai_finish()).await.unwrap();
    drop(feed);
    read_until(&mut resp, &mut acc, |a| a.ends_with("data: [DONE]\n\n")).await;
    let data = sse_data(&acc);
    assert!(data[1].contains("second"), "{data:?}");
}

#[tokio::test]
async fn a_stream_cut_after_its_first_byte_ends_with_an_error_event() {
    let cut = MockAnswer {
        text: Some("a fairly long answer cut in the middle".into()),
        fault: Some(Fault::CutStream),
        ..Default::default()
    };
    for provider in ["anthropic", "openai", "gemini", "cohere"] {
        let fake = fake(provider, &[("cut", cut.clone())]).await;
        let gw = Spec::new().provider(provider, &fake.uri()).start().await;
        let resp = gw.chat("cut", request("cheap", true)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{provider}");
        let data = sse_data(&resp.text().await.unwrap());
        assert!(data.len() >= 2, "{provider}: {data:?}");
        assert_ne!(data.last().unwrap(), "[DONE]", "{provider}: silent truncation");
        let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
        assert!(last["error"]["message"].as_str().unwrap().contains("cut off"), "{provider}: {last}");
        assert_eq!(last["error"]["code"], "upstream_connection_failed");
        let first: Value = serde_json::from_str(&data[0]).unwrap();
        assert_eq!(first["object"], "chat.completion.chunk");
    }
}

#[tokio::test]
async fn an_error_event_mid_stream_is_passed_on_and_nothing_is_retried() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    let gw = Spec::new().provider("openai", &uri).start().await;
    feed.send(openai_chunk("partial")).await.unwrap();
    let err = json!({"error": {"message": "The server is overloaded", "type": "server_error", "code": "server_is_overloaded"}});
    feed.send(bytes::Bytes::from(format!("data: {err}\n\n"))).await.unwrap();
    drop(feed);
    let resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    let data = sse_data(&resp.text().await.unwrap());
    assert!(data[0].contains("partial"));
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "server_is_overloaded", "{data:?}");
    // Committed streams are never retried: the client already has part of an answer.
    assert_eq!(up.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_whole_answer_to_a_stream_request_is_streamed() {
    let up = Scripted::default();
    let uri = up.start().await;
    let whole = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4.1-nano",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "all at once"}, "finish_reason": "stop"}]});
    up.push(Script::Json(200, vec![], whole));
    let gw = Spec::new().provider("openai", &uri).start().await;
    let resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let data = sse_data(&resp.text().await.unwrap());
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert!(data[0].contains("all at once"), "{data:?}");
}

#[tokio::test]
async fn forwarded_headers_reach_the_provider_and_others_do_not() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    feed.send(openai_chunk("x")).await.unwrap();
    feed.send(openai_finish()).await.unwrap();
    drop(feed);
    let gw = Spec::new().provider("openai", &uri).start().await;
    let resp = gw.chat("case-7", request("cheap", true)).header("x-not-forwarded", "1").send().await.unwrap();
    let _ = resp.text().await.unwrap();
    let reqs = up.requests.lock().unwrap();
    let (headers, body) = &reqs[0];
    assert_eq!(headers[llm_conform_fakes::CASE_HEADER], "case-7");
    assert!(headers.get("x-not-forwarded").is_none());
    assert_eq!(headers["authorization"], format!("Bearer {PROVIDER_CANARY}"));
    assert_eq!(body["model"], "gpt-4.1-nano");
}

#[tokio::test]
async fn a_client_leaving_mid_stream_frees_the_upstream_at_once() {
    let up = Scripted::default();
    let uri = up.start().await;
    let feed = up.push_stream();
    let gw = Spec::new().provider("openai", &uri).start().await;
    feed.send(openai_chunk("first")).await.unwrap();
    let mut resp = gw.chat("s", request("cheap", true)).send().await.unwrap();
    let mut acc = String::new();
    read_until(&mut resp, &mut acc, |a| a.contains("first")).await;
    drop(resp);
    // The provider is quiet; the gateway must still notice and drop its upstream connection.
    tokio::time::timeout(std::time::Duration::from_secs(5), feed.closed()).await.expect("upstream still held");
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = Running::client().get(format!("{}/metrics", gw.url)).send().await.unwrap().text().await.unwrap();
        if metrics.contains("status=\"499\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        metrics.contains("llm_conform_gateway_requests_total{endpoint=\"chat_completions_stream\",status=\"499\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("llm_conform_gateway_in_flight 0"), "{metrics}");
}
