//! `HttpTransport::open_stream`: chunks are handed on as they are decoded, not when the stream
//! ends; errors before the stream are whole results; oversized bodies are refused.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use llm_conform_core::api::{ChatRequest, ErrorKind};
use llm_conform_core::providers::{Adapter, Catalog, OpenAiAdapter};
use llm_conform_core::transport::{HttpTransport, StreamStart, TransportConfig};

const CHUNK: &str = r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"#;
const END: &str = r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;

/// A one-shot HTTP/1.1 server: sends `head`, then `first`, waits for `go`, then `rest`.
async fn server(head: String, first: String, go: oneshot::Receiver<()>, rest: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let _ = sock.read(&mut buf).await;
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(first.as_bytes()).await.unwrap();
        let _ = go.await;
        let _ = sock.write_all(rest.as_bytes()).await;
        let _ = sock.shutdown().await;
    });
    uri
}

fn native(uri: &str) -> llm_conform_core::providers::NativeRequest {
    let mut spec = Catalog::builtin().get("openai").unwrap().clone();
    spec.rebase(uri);
    let req: ChatRequest = serde_json::from_value(serde_json::json!({
        "model": "gpt-4.1-nano", "messages": [{"role": "user", "content": "hi"}], "stream": true
    }))
    .unwrap();
    OpenAiAdapter.encode(&req, &spec, Some("k")).unwrap()
}

#[tokio::test]
async fn chunks_are_handed_on_before_the_stream_ends() {
    let (go_tx, go_rx) = oneshot::channel();
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n".to_string();
    let uri = server(head, format!("{CHUNK}\n\n"), go_rx, format!("{END}\n\ndata: [DONE]\n\n")).await;
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    let StreamStart::Streaming(mut s) =
        transport.open_stream(&OpenAiAdapter, &native(&uri), Duration::from_secs(10)).await
    else {
        panic!("expected a stream")
    };
    let mut got = Vec::new();
    // The server holds the rest until told: the first chunk must already be decodable.
    let more =
        tokio::time::timeout(Duration::from_secs(5), s.next_chunks(&mut got)).await.expect("first chunk held back");
    assert!(more.unwrap());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].choices[0].delta.content.as_deref(), Some("hi"));
    go_tx.send(()).unwrap();
    while s.next_chunks(&mut got).await.unwrap() {}
    let (result, timings) = s.finish(&mut got);
    assert_eq!(result.unwrap().message().unwrap().content.as_deref(), Some("hi"));
    assert!(timings.ttft_ms.is_some());
}

#[tokio::test]
async fn an_error_status_is_a_whole_result() {
    let (_go_tx, go_rx) = oneshot::channel();
    let body = r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#;
    let head = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 3\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let uri = server(head, body.to_string(), go_rx, String::new()).await;
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    match transport.open_stream(&OpenAiAdapter, &native(&uri), Duration::from_secs(10)).await {
        StreamStart::Whole { result, status, .. } => {
            let e = result.unwrap_err();
            assert_eq!((e.kind, status), (ErrorKind::RateLimited, Some(429)));
            assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
        }
        StreamStart::Streaming(_) => panic!("an error status is not a stream"),
    }
}

#[tokio::test]
async fn a_body_declared_over_the_cap_is_refused_unread() {
    let (_go_tx, go_rx) = oneshot::channel();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        llm_conform_core::transport::MAX_RESPONSE_BYTES + 1
    );
    let uri = server(head, "{".into(), go_rx, String::new()).await;
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    match transport.open_stream(&OpenAiAdapter, &native(&uri), Duration::from_secs(10)).await {
        StreamStart::Whole { result, .. } => {
            let e = result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::MalformedResponse);
            assert!(e.message.contains("exceeds"), "{e}");
        }
        StreamStart::Streaming(_) => panic!("not a stream"),
    }
}
