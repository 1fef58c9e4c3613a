//! What the benches share: genuine provider samples, large streams built from them, a typical
//! request, and a fixed-response upstream on 127.0.0.1 running on its own thread.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::mpsc;

use llm_conform::replay::{Reply, TimedReplayOptions, TimedReplayServer};
use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::{Catalog, ProviderSpec, sse::encode_event};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/provider-samples/`; a bench without its input cannot mean anything, so
/// a missing sample stops it with the path.
pub fn sample(rel: &str) -> Vec<u8> {
    let p = root().join("tests/provider-samples").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("failed to read {}: {e}", p.display()))
}

/// One wire family: the provider whose catalog entry is used, and its genuine text samples.
pub struct Family {
    pub name: &'static str,
    pub provider: &'static str,
    /// A typical non-streaming response body.
    pub body: &'static str,
    /// The same kind of response streamed, one event payload per line.
    pub chunks: &'static str,
}

pub const FAMILIES: [Family; 4] = [
    Family {
        name: "openai",
        provider: "openai",
        body: "openai/openai-text.json",
        chunks: "openai/openai-text.chunks.txt",
    },
    Family {
        name: "anthropic",
        provider: "anthropic",
        body: "anthropic/anthropic-text.json",
        chunks: "anthropic/anthropic-text.chunks.txt",
    },
    Family {
        name: "gemini",
        provider: "gemini",
        body: "google/google-text.json",
        chunks: "google/google-text.chunks.txt",
    },
    Family {
        name: "cohere",
        provider: "cohere",
        body: "cohere/cohere-text.json",
        chunks: "cohere/cohere-text.chunks.txt",
    },
];

pub fn spec(provider: &str) -> ProviderSpec {
    Catalog::builtin().get(provider).unwrap_or_else(|e| panic!("{e}")).clone()
}

/// A typical chat request: a system prompt, a user turn, sampling settings and one tool.
pub fn typical_request(spec: &ProviderSpec) -> ChatRequest {
    serde_json::from_value(serde_json::json!({
        "model": spec.model_for("cheap").unwrap_or("model"),
        "messages": [
            {"role": "system", "content": "You are a concise assistant for a travel booking site."},
            {"role": "user", "content": "What is the weather like in Paris today, and should I bring an umbrella?"}
        ],
        "temperature": 0.2,
        "max_tokens": 512,
        "tools": [{"type": "function", "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        }}]
    }))
    .unwrap_or_else(|e| panic!("typical request: {e}"))
}

/// Whether a sample stream line is a content delta, the part of a stream that grows with the
/// answer; everything before the first and after the last is kept once.
fn is_delta(family: &str, line: &str) -> bool {
    match family {
        "openai" => line.contains("\"delta\":{\"content\":"),
        "anthropic" => line.contains("\"type\":\"content_block_delta\""),
        "cohere" => line.contains("\"type\":\"content-delta\""),
        _ => !line.contains("finishReason"),
    }
}

/// The family's sample stream with its content deltas repeated until the body is at least
/// `min_bytes` (0: the sample as recorded), framed as on the wire (named events for Anthropic and Cohere, `[DONE]` for
/// OpenAI).
pub fn large_stream(f: &Family, min_bytes: usize) -> Vec<u8> {
    let text = String::from_utf8(sample(f.chunks)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let first = lines.iter().position(|l| is_delta(f.name, l)).unwrap_or(0);
    let last = lines.iter().rposition(|l| is_delta(f.name, l)).unwrap_or(lines.len().saturating_sub(1));
    let named = matches!(f.name, "anthropic" | "cohere");
    let frame = |line: &str, out: &mut String| {
        let event = named
            .then(|| serde_json::from_str::<serde_json::Value>(line).ok())
            .flatten()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
        encode_event(event.as_deref(), line, out);
    };
    let mut head = String::new();
    lines[..first].iter().for_each(|l| frame(l, &mut head));
    let mut middle = String::new();
    lines[first..=last].iter().filter(|l| is_delta(f.name, l)).for_each(|l| frame(l, &mut middle));
    let mut tail = String::new();
    lines[last + 1..].iter().for_each(|l| frame(l, &mut tail));
    if f.name == "openai" {
        encode_event(None, "[DONE]", &mut tail);
    }
    // The deltas at least once: `min_bytes` 0 is the sample stream as recorded.
    let mut out = head;
    out.push_str(&middle);
    while out.len() + tail.len() < min_bytes && !middle.is_empty() {
        out.push_str(&middle);
    }
    out.push_str(&tail);
    out.into_bytes()
}

/// A fixed-response server on 127.0.0.1, on its own thread and runtime so that it does not
/// share the measuring thread. Stops when dropped.
pub struct Upstream {
    pub uri: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Upstream {
    pub fn start(reply: Reply) -> Upstream {
        let (uri_tx, uri_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
            rt.block_on(async move {
                let options = TimedReplayOptions { timing: false, ..Default::default() };
                let server = TimedReplayServer::fixed(reply, options).await.unwrap_or_else(|e| panic!("upstream: {e}"));
                let _ = uri_tx.send(server.uri());
                let _ = stop_rx.await;
                drop(server);
            });
        });
        let uri = uri_rx.recv().unwrap_or_else(|e| panic!("upstream did not start: {e}"));
        Upstream { uri, stop: Some(stop_tx), thread: Some(thread) }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `spec` with its base URL pointing at `uri`, path kept.
pub fn pointed_at(spec: &ProviderSpec, uri: &str) -> ProviderSpec {
    let mut s = spec.clone();
    let after = s.base_url.split_once("://").map_or(s.base_url.as_str(), |(_, r)| r);
    let path = after.find('/').map_or("", |i| &after[i..]).to_string();
    s.base_url = format!("{uri}{path}");
    s
}

/// The three ways one chat call is made in the overhead measurements, all against the same
/// upstream and the same request.
pub mod calls {
    use futures::StreamExt;
    use llm_conform_core::api::{ChatCompletion, ChatCompletionChunk, ChatRequest};
    use llm_conform_core::providers::{Catalog, ProviderSpec, SseParser};
    use llm_conform_core::router::{CallResult, Router, SendOutcome, Target};
    use llm_conform_core::transport::HttpTransport;

    pub const KEY: &str = "sk-bench-key";

    /// What an application speaking the OpenAI format straight to an OpenAI endpoint does: serialize
    /// the request, POST it, and deserialize the response (for a stream: read the SSE events and
    /// deserialize every chunk). The baseline every other path is compared with.
    pub async fn direct(client: &reqwest::Client, url: &str, req: &ChatRequest) -> bool {
        let body = serde_json::to_vec(req).unwrap_or_default();
        let Ok(resp) = client
            .post(url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {KEY}"))
            .body(body)
            .send()
            .await
        else {
            return false;
        };
        if req.stream == Some(true) {
            let mut parser = SseParser::new();
            let mut events = Vec::new();
            let mut chunks = 0usize;
            let mut stream = resp.bytes_stream();
            while let Some(Ok(bytes)) = stream.next().await {
                if parser.feed(&bytes, &mut events).is_err() {
                    return false;
                }
                for e in events.drain(..) {
                    if e.data != "[DONE]" && serde_json::from_str::<ChatCompletionChunk>(&e.data).is_ok() {
                        chunks += 1;
                    }
                }
            }
            return parser.finish(&mut events).is_ok() && chunks > 0;
        }
        match resp.bytes().await {
            Ok(b) => serde_json::from_slice::<ChatCompletion>(&b).is_ok(),
            Err(_) => false,
        }
    }

    /// The harness path: the provider's adapter encodes, the transport sends, times, and decodes.
    pub async fn adapter(transport: &HttpTransport, spec: &ProviderSpec, req: &ChatRequest) -> bool {
        let adapter = spec.family.adapter();
        let Ok(native) = adapter.encode(req, spec, Some(KEY)) else { return false };
        transport.call(adapter, &native).await.result.is_ok()
    }

    /// The router in front of the harness path: candidate selection, limits and health, then
    /// adapter and transport for the chosen candidate.
    pub async fn routed(router: &Router, catalog: &Catalog, transport: &HttpTransport, req: &ChatRequest) -> bool {
        let target = Target::Tier("bench".into());
        let out = router
            .route(req, &target, |cand, req, deadline, _n| async move {
                let Ok(spec) = catalog.get(&cand.provider) else {
                    return SendOutcome::Skip(format!("unknown provider {}", cand.provider));
                };
                let adapter = spec.family.adapter();
                let native = match adapter.encode(&req, spec, Some(KEY)) {
                    Ok(n) => n,
                    Err(e) => return SendOutcome::Skip(e.to_string()),
                };
                let out = transport.call_with_deadline(adapter, &native, deadline).await;
                SendOutcome::Called(CallResult {
                    result: out.result,
                    latency_ms: out.timings.total_ms,
                    ttft_ms: out.timings.ttft_ms,
                    status: out.raw.status,
                    notes: native.notes,
                })
            })
            .await;
        out.result.is_ok()
    }

    /// A router with one tier, `bench`, whose only candidate is `provider/model`.
    pub fn one_candidate_router(catalog: &Catalog, provider: &str, model: &str) -> Router {
        let policy = serde_json::from_value(serde_json::json!({
            "default_tier": "bench",
            "tiers": {"bench": {"candidates": [format!("{provider}/{model}")]}}
        }))
        .unwrap_or_else(|e| panic!("router policy: {e}"));
        Router::new(policy, catalog.clone())
    }
}
