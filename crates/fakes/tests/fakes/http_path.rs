//! The full HTTP path per wire family against wiremock on 127.0.0.1: encode, send, receive,
//! decode. Success, streaming, every error class, a stream cut off mid-way, a body that is not
//! JSON, and a slow server hitting the deadline.

use std::time::Duration;

use llm_conform_core::api::{ChatRequest, ErrorKind, FinishReason};
use llm_conform_core::providers::{ProviderSpec, WireFamily};
use llm_conform_core::transport::{CallOutcome, HttpTransport, TransportConfig};
use llm_conform_fakes::MockError;
use llm_conform_fakes::{FakeCtx, family_for};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One representative provider per family, with its genuine samples.
struct Family {
    provider: &'static str,
    body: &'static str,
    chunks: &'static str,
    named_events: bool,
    done_marker: bool,
    text_prefix: &'static str,
}

const FAMILIES: &[Family] = &[
    Family {
        provider: "openai",
        body: "openai/openai-text.json",
        chunks: "openai/openai-text.chunks.txt",
        named_events: false,
        done_marker: true,
        text_prefix: "**Holiday Name:**",
    },
    Family {
        provider: "anthropic",
        body: "anthropic/anthropic-text.json",
        chunks: "anthropic/anthropic-text.chunks.txt",
        named_events: true,
        done_marker: false,
        text_prefix: "Hello!",
    },
    Family {
        provider: "gemini",
        body: "google/google-text.json",
        chunks: "google/google-text.chunks.txt",
        named_events: false,
        done_marker: false,
        text_prefix: "There are **3**",
    },
    Family {
        provider: "cohere",
        body: "cohere/cohere-text.json",
        chunks: "cohere/cohere-text.chunks.txt",
        named_events: true,
        done_marker: false,
        text_prefix: "The capital of France",
    },
];

fn request(stream: bool) -> ChatRequest {
    serde_json::from_value(
        json!({"model": "test-model", "messages": [{"role": "user", "content": "hi"}], "stream": stream}),
    )
    .unwrap()
}

fn spec_at(provider: &str, uri: &str) -> ProviderSpec {
    let mut s = crate::common::spec(provider);
    s.rebase(uri);
    s
}

async fn call(provider: &str, template: ResponseTemplate, stream: bool, deadline: Duration) -> CallOutcome {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    let spec = spec_at(provider, &server.uri());
    let adapter = spec.family.adapter();
    let native = adapter.encode(&request(stream), &spec, Some("test-key-not-real")).unwrap();
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    let out = transport.call_with_deadline(adapter, &native, deadline).await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "{provider}: one request reaches the server");
    assert_eq!(format!("{}", received[0].url.path()), native.path_and_query().split('?').next().unwrap());
    out
}

fn sse(f: &Family) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(crate::common::sse_from_chunks(f.chunks, f.named_events, f.done_marker), "text/event-stream")
}

#[tokio::test]
async fn success_whole_and_streamed() {
    for f in FAMILIES {
        let body = ResponseTemplate::new(200).set_body_raw(crate::common::sample(f.body), "application/json");
        let out = call(f.provider, body, false, Duration::from_secs(5)).await;
        let r = out.result.unwrap_or_else(|e| panic!("{}: {e}", f.provider));
        assert!(r.message().unwrap().content.as_deref().unwrap().starts_with(f.text_prefix), "{}", f.provider);
        assert!(out.timings.ttfb_ms.is_some() && out.timings.total_ms > 0.0);

        let out = call(f.provider, sse(f), true, Duration::from_secs(5)).await;
        let r = out.result.unwrap_or_else(|e| panic!("{} stream: {e}", f.provider));
        assert!(r.message().unwrap().content.as_deref().unwrap().starts_with(f.text_prefix), "{}", f.provider);
        assert_eq!(r.finish_reason(), Some(FinishReason::Stop), "{}", f.provider);
        assert!(out.chunks.len() > 1, "{}: chunks kept", f.provider);
        assert!(out.timings.ttft_ms.is_some(), "{}: time to first token measured", f.provider);
        assert!(!out.raw.events.is_empty(), "{}: raw events kept for recording", f.provider);
    }
}

#[tokio::test]
async fn every_error_class_in_each_family_native_shape() {
    let kinds = [
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::InvalidRequest,
        ErrorKind::ContextLengthExceeded,
        ErrorKind::RateLimited,
        ErrorKind::Overloaded,
        ErrorKind::ServerError,
    ];
    for f in FAMILIES {
        let family = crate::common::spec(f.provider).family;
        for kind in kinds {
            let ctx = FakeCtx {
                provider: f.provider.into(),
                spec: crate::common::spec(f.provider),
                model: "test-model".into(),
                request: json!({}),
                path: "/".into(),
                seed: 7,
            };
            let err = MockError {
                kind,
                status: None,
                message: None,
                retry_after_s: (kind == ErrorKind::RateLimited).then_some(3.0),
            };
            let native = family_for(family).error(&err, &ctx);
            let (bytes, ct) = native.render();
            let mut t = ResponseTemplate::new(native.status).set_body_raw(bytes, &ct);
            for (k, v) in &native.headers {
                t = t.insert_header(k.as_str(), v.as_str());
            }
            let out = call(f.provider, t, false, Duration::from_secs(5)).await;
            let e = out.result.expect_err("an error response is an error");
            assert_eq!(e.kind, kind, "{} {kind}: {}", f.provider, e.message);
            assert_eq!(e.status, Some(native.status));
            if kind == ErrorKind::RateLimited {
                assert!(e.retry_after.is_some_and(|d| d >= Duration::from_secs(2)), "{}: retry hint kept", f.provider);
            }
        }
        let _ = WireFamily::Openai;
    }
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
    let t = ResponseTemplate::new(429).insert_header("retry-after", when.as_str()).set_body_raw(
        r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
        "application/json",
    );
    let e = call("openai", t, false, Duration::from_secs(5)).await.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    let secs = e.retry_after.unwrap().as_secs();
    assert!((100..=121).contains(&secs), "{secs}");
}

#[tokio::test]
async fn stream_cut_off_mid_way_is_a_connection_error() {
    for f in FAMILIES {
        let full = crate::common::sse_from_chunks(f.chunks, f.named_events, f.done_marker);
        let text = String::from_utf8(full).unwrap();
        let events: Vec<&str> = text.split_inclusive("\n\n").collect();
        let half = events[..events.len() / 2].concat();
        let t = ResponseTemplate::new(200).set_body_raw(half, "text/event-stream");
        let out = call(f.provider, t, true, Duration::from_secs(5)).await;
        let e = out.result.expect_err("a cut stream is not a success");
        assert_eq!(e.kind, ErrorKind::Connection, "{}: {}", f.provider, e.message);
        assert!(!out.chunks.is_empty(), "{}: what arrived is kept", f.provider);
    }
}

#[tokio::test]
async fn body_that_is_not_json() {
    for f in FAMILIES {
        let t = ResponseTemplate::new(200).set_body_raw("<html><body>maintenance</body></html>", "text/html");
        let e = call(f.provider, t, false, Duration::from_secs(5)).await.result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::MalformedResponse, "{}", f.provider);
        let t = ResponseTemplate::new(502).set_body_raw(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
        );
        let e = call(f.provider, t, false, Duration::from_secs(5)).await.result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::ServerError, "{}", f.provider);
        assert!(e.message.contains("502 Bad Gateway") && !e.message.contains('<'), "{}: {}", f.provider, e.message);
    }
}

#[tokio::test]
async fn slow_server_hits_the_deadline() {
    for f in FAMILIES {
        let t = ResponseTemplate::new(200)
            .set_body_raw(crate::common::sample(f.body), "application/json")
            .set_delay(Duration::from_secs(5));
        let out = call(f.provider, t, false, Duration::from_millis(200)).await;
        let e = out.result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{}", f.provider);
        assert!(out.timings.total_ms < 2000.0);
    }
}

#[tokio::test]
async fn connection_refused_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let spec = spec_at("openai", &format!("http://127.0.0.1:{port}"));
    let adapter = spec.family.adapter();
    let native = adapter.encode(&request(false), &spec, Some("test-key-not-real")).unwrap();
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    let e = transport.call(adapter, &native).await.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{}", e.message);
    assert!(!e.message.contains("test-key-not-real"));
}
