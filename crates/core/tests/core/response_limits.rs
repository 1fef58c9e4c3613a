//! What one response may cost is bounded (`ResponseLimits`): body bytes whole or streamed,
//! distinct streamed tool calls, the size of one SSE event, and the chunks a stream decodes to.
//! Past a limit the call is a `malformed_response` naming it, and the transport stops reading.

use std::sync::Arc;
use std::time::Duration;

use llm_conform_core::api::{ChatRequest, DEFAULT_MAX_TOOL_CALLS, ErrorKind};
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{
    Adapter, AnthropicAdapter, OpenAiAdapter, ResponseHints, SseError, SseParser, WireFamily,
};
use llm_conform_core::transport::{
    CallOutcome, DEFAULT_MAX_RESPONSE_BYTES, HttpTransport, ResponseLimits, StreamSession, TransportConfig,
    decode_stream_bytes,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SMALL: ResponseLimits = ResponseLimits { max_bytes: 4096, max_tool_calls: 4 };

fn openai_sse(chunks: &[Value], done: bool) -> Vec<u8> {
    let mut sse = String::new();
    for c in chunks {
        encode_event(None, &c.to_string(), &mut sse);
    }
    if done {
        encode_event(None, "[DONE]", &mut sse);
    }
    sse.into_bytes()
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

/// An OpenAI stream with one tool call per index in `indices`.
fn tool_call_stream(indices: impl Iterator<Item = u32>) -> Vec<u8> {
    let mut sse = String::new();
    for i in indices {
        sse.push_str(&format!(
            "data: {{\"id\":\"c\",\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{i},\"id\":\"call_{i}\",\"type\":\"function\",\"function\":{{\"name\":\"f\",\"arguments\":\"{{}}\"}}}}]}}}}]}}\n\n"
        ));
    }
    let end = chunk(json!({}), Some("tool_calls"));
    [sse.into_bytes(), openai_sse(&[end], true)].concat()
}

fn request(stream: bool) -> ChatRequest {
    serde_json::from_value(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream}))
        .unwrap()
}

async fn call_openai(uri: &str, stream: bool, limits: ResponseLimits) -> CallOutcome {
    let mut spec = crate::common::spec("openai");
    spec.rebase(uri);
    let native = OpenAiAdapter.encode(&request(stream), &spec, Some("test-key-not-real")).unwrap();
    let transport = HttpTransport::new(TransportConfig { limits, ..Default::default() }).unwrap();
    transport.call_with_deadline(&OpenAiAdapter, &native, Duration::from_secs(30)).await
}

async fn serve(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

fn assert_size_capped(out: &CallOutcome) {
    let e = out.result.as_ref().expect_err("an oversized response must fail");
    assert_eq!(e.kind, ErrorKind::MalformedResponse, "{e}");
    assert!(e.message.contains("response size cap of 4096 bytes"), "{e}");
}

#[test]
fn default_limits_are_32_mib_and_1024_tool_calls() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 32 * 1024 * 1024);
    assert_eq!(TransportConfig::default().limits, ResponseLimits { max_bytes: 32 << 20, max_tool_calls: 1024 });
    assert_eq!(DEFAULT_MAX_TOOL_CALLS, 1024);
}

#[tokio::test]
async fn whole_body_over_the_size_cap_is_malformed_response() {
    let body = json!({"id": "x", "choices": [{"message": {"content": "a".repeat(8000)}, "finish_reason": "stop"}]});
    let server = serve(ResponseTemplate::new(200).set_body_json(body)).await;
    assert_size_capped(&call_openai(&server.uri(), false, SMALL).await);
    let ok = call_openai(&server.uri(), false, ResponseLimits { max_bytes: 9000, ..SMALL }).await;
    assert!(ok.result.is_ok(), "{:?}", ok.result);
}

#[tokio::test]
async fn stream_over_the_size_cap_is_malformed_response() {
    let text: Vec<Value> = (0..200).map(|_| chunk(json!({"content": "hello "}), None)).collect();
    let server = serve(ResponseTemplate::new(200).set_body_raw(openai_sse(&text, true), "text/event-stream")).await;
    let out = call_openai(&server.uri(), true, SMALL).await;
    assert_size_capped(&out);
    assert!(!out.chunks.is_empty(), "what was decoded before the cap is kept in the chunks");
}

#[tokio::test]
async fn error_body_over_the_size_cap_is_still_classified_by_its_status() {
    let body = format!("{{\"error\":{{\"message\":\"{}\",\"type\":\"rate_limit_error\"}}}}", "slow down ".repeat(1000));
    let server = serve(ResponseTemplate::new(429).set_body_raw(body, "application/json")).await;
    let out = call_openai(&server.uri(), false, SMALL).await;
    assert_eq!(out.result.unwrap_err().kind, ErrorKind::RateLimited);
    assert_eq!(out.raw.body.len(), 4096, "only the first max_bytes of the body are read");
}

/// A server that never stops sending: the transport must stop at the cap, not at the deadline.
async fn endless_server(content_type: &'static str, piece: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else { return };
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let status = format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n");
        if sock.write_all(status.as_bytes()).await.is_err() {
            return;
        }
        let framed = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
        while sock.write_all(&framed).await.is_ok() {}
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn endless_stream_stops_at_the_size_cap() {
    let piece = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"again \"}}]}\n\n";
    let uri = endless_server("text/event-stream", piece).await;
    assert_size_capped(&call_openai(&uri, true, SMALL).await);
}

#[tokio::test]
async fn endless_whole_body_stops_at_the_size_cap() {
    let uri = endless_server("application/json", b"[[[[[[[[").await;
    assert_size_capped(&call_openai(&uri, false, SMALL).await);
}

#[test]
fn streamed_tool_calls_past_the_cap_are_malformed_response() {
    let decode = |n: u32, limits: ResponseLimits| {
        let mut s = StreamSession::with_limits(&OpenAiAdapter, &ResponseHints::default(), limits);
        let mut seen = Vec::new();
        s.feed(&tool_call_stream(0..n), Some(&mut seen));
        s.finish(Some(&mut seen))
    };
    let limits = ResponseLimits { max_bytes: 1 << 20, max_tool_calls: 4 };
    assert_eq!(decode(4, limits).result.unwrap().message().unwrap().calls().len(), 4);
    let e = decode(5, limits).result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("more than 4 distinct tool calls"), "{e}");
    let e = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), &tool_call_stream(0..1025)).result;
    assert!(e.unwrap_err().message.contains("more than 1024 distinct tool calls"));
}

#[test]
fn tool_call_assembly_of_100000_distinct_indices_completes() {
    // Quadratic assembly took seconds here; the timing itself is measured by the codec bench
    // (`tool_call_assembly`), this checks the result at that size.
    let limits = ResponseLimits { max_bytes: 64 << 20, max_tool_calls: 100_000 };
    let mut s = StreamSession::with_limits(&OpenAiAdapter, &ResponseHints::default(), limits);
    let mut seen = Vec::new();
    s.feed(&tool_call_stream((0..100_000).rev()), Some(&mut seen));
    let resp = s.finish(Some(&mut seen)).result.unwrap();
    let calls = resp.message().unwrap().calls();
    assert_eq!(calls.len(), 100_000);
    assert_eq!((calls[0].id.as_str(), calls[99_999].id.as_str()), ("call_0", "call_99999"), "ordered by index");
}

#[test]
fn stream_decoding_to_far_more_than_its_size_is_refused() {
    // One long model name, then tiny events: every chunk would copy the name.
    let model = "m".repeat(1 << 20);
    let mut sse = String::new();
    let start = json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
        "model": model, "content": [], "usage": {"input_tokens": 1, "output_tokens": 1}}});
    encode_event(Some("message_start"), &start.to_string(), &mut sse);
    encode_event(
        Some("content_block_start"),
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        &mut sse,
    );
    for _ in 0..20_000 {
        encode_event(
            None,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}"#,
            &mut sse,
        );
    }
    let r =
        decode_stream_bytes(&AnthropicAdapter, &ResponseHints { stream: true, ..Default::default() }, sse.as_bytes());
    let e = r.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    assert!(e.message.contains("decode to over"), "{e}");
    let held: usize = r.chunks.iter().map(|c| c.model.len()).sum();
    assert!(held < 8 * sse.len(), "chunks hold {held} bytes of model names for a {}-byte stream", sse.len());
}

#[test]
fn sse_line_that_never_ends_is_refused() {
    let mut p = SseParser::with_max_event_bytes(1024);
    let mut out = Vec::new();
    let mut result = Ok(());
    for _ in 0..100 {
        result = p.feed(&[b'x'; 100], &mut out);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(SseError::LineTooLong { max: 1024 }));
    assert_eq!(p.feed(b"\n\ndata: late\n\n", &mut out), Err(SseError::LineTooLong { max: 1024 }), "the error sticks");
    assert!(out.is_empty());
}

#[test]
fn sse_event_with_endless_data_lines_is_refused() {
    let mut p = SseParser::with_max_event_bytes(64 * 1024);
    let mut out = Vec::new();
    let lines = "data: x\n".repeat(100_000);
    assert_eq!(p.feed(lines.as_bytes(), &mut out), Err(SseError::EventTooLarge { max: 64 * 1024 }));
    assert!(out.is_empty());
}

#[test]
fn sse_event_id_is_shared_not_copied_into_every_event() {
    let mut text = format!("id: {}\n", "i".repeat(1 << 20));
    text.push_str(&"data: x\n\n".repeat(1000));
    let events = llm_conform_core::providers::sse::parse_all(text.as_bytes()).unwrap();
    assert_eq!(events.len(), 1000);
    let first = events[0].id.as_ref().unwrap();
    assert_eq!(first.len(), 1 << 20, "the last event id persists, as the spec says");
    assert!(events.iter().all(|e| e.id.as_ref().is_some_and(|id| Arc::ptr_eq(id, first))));
}

#[test]
fn every_family_stops_at_the_size_cap_when_decoding_bytes() {
    let big = vec![b'a'; DEFAULT_MAX_RESPONSE_BYTES + 1];
    for family in [WireFamily::Openai, WireFamily::Anthropic, WireFamily::Gemini, WireFamily::Cohere] {
        let r = decode_stream_bytes(family.adapter(), &ResponseHints::default(), &big);
        let e = r.result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::MalformedResponse, "{family:?}");
        assert!(e.message.contains("response size cap"), "{family:?}: {e}");
    }
}
