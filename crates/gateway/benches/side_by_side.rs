//! Side by side, one run (issue 13, item 3): the same local upstream called directly, through
//! `serve`, through a bare passthrough on the same stack (`SIDE_FLOOR=1`), and through LiteLLM's
//! proxy when it is installed, at concurrency 1 and 8. Reports latency p50/p99, the latency each adds over the
//! direct call, requests per second, and time to first token of a stream.
//!
//! The passthrough is the floor `serve` is measured against: axum in, reqwest out, the body
//! forwarded as bytes as they come, no auth, routing, decoding or encoding. What it adds is the
//! cost of a second HTTP hop on this machine with these crates; what `serve` adds beyond it is
//! the gateway's own.
//!
//! ```sh
//! cargo bench -p llm-conform-gateway --bench side_by_side
//! LITELLM=target/litellm-venv/bin/litellm cargo bench -p llm-conform-gateway --bench side_by_side
//! ```
//!
//! Knobs: `SIDE_N` requests per target at concurrency 1 (default 4000; LiteLLM gets a tenth),
//! `SIDE_SECS` seconds per target at concurrency 8 (default 3), `SIDE_LOG=1` keeps the access
//! log on, `SIDE_FLOOR=1` adds the passthrough, `SIDE_WORKERS` worker threads for `serve` and
//! the passthrough (default 2), `SIDE_STREAMS=interleaved` streams target by target in turn. The upstream, the gateway and the load generator share the machine (each on its own
//! runtime thread); LiteLLM is a separate process. Everything listens on 127.0.0.1.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::{KeyRef, KeyStore, Secret};
use llm_conform_core::transport::TransportConfig;
use llm_conform_gateway::{ClientKeys, Gateway, GatewaySetup, ServeConfig};

const MODEL: &str = "gpt-4.1-nano";
const CLIENT_KEY: &str = "bench-client-key";
/// LiteLLM refuses to start without a master key (as `serve` refuses to listen openly off
/// loopback); clients present it like any key.
const LITELLM_KEY: &str = "sk-bench-litellm-master-key-0123456789abcdef";
/// Chunks in the upstream's stream; the first leaves at once, the rest after `STREAM_GAP`.
const STREAM_CHUNKS: usize = 20;
const STREAM_GAP: Duration = Duration::from_millis(5);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|v| *v > 0).unwrap_or(default)
}

fn completion() -> Value {
    json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1764547200, "model": "gpt-4.1-nano-2025-04-14",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "The capital of France is Paris. It has been the capital since the tenth century.", "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 14, "completion_tokens": 19, "total_tokens": 33},
        "system_fingerprint": "fp_bench"
    })
}

fn chunk(content: Option<&str>, finish: Option<&str>) -> String {
    let delta = content.map_or(json!({}), |c| json!({"content": c}));
    let v = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1764547200, "model": "gpt-4.1-nano-2025-04-14",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {v}\n\n")
}

/// The upstream: a fixed completion, or a stream whose first chunk leaves at once.
async fn upstream(body: Bytes) -> Response {
    let stream = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["stream"].as_bool()).unwrap_or(false);
    if !stream {
        let mut r = completion().to_string().into_response();
        r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
        return r;
    }
    let frames = async_stream(STREAM_CHUNKS);
    let mut r = Body::from_stream(frames).into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/event-stream"));
    r
}

fn async_stream(n: usize) -> impl futures::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    futures::stream::unfold(0usize, move |i| async move {
        if i > n + 1 {
            return None;
        }
        let frame = match i {
            0 => chunk(Some("The"), None),
            i if i < n => {
                if i == 1 {
                    tokio::time::sleep(STREAM_GAP).await;
                }
                chunk(Some(" word"), None)
            }
            i if i == n => chunk(None, Some("stop")),
            _ => "data: [DONE]\n\n".to_string(),
        };
        Some((Ok(Bytes::from(frame)), i + 1))
    })
}

/// Runs `fut` on a runtime of its own thread, returning once it has started.
/// Its threads are named `name` (for `perf report --comm`).
fn on_own_runtime<F>(name: &'static str, workers: usize, make: impl FnOnce() -> F + Send + 'static) -> String
where
    F: std::future::Future<Output = String> + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(name)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let url = make().await;
            tx.send(url).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

async fn start_upstream() -> String {
    serve_on_loopback(axum::Router::new().route("/v1/chat/completions", axum::routing::post(upstream))).await
}

/// Serves `app` on a free loopback port with `TCP_NODELAY`; its URL.
async fn serve_on_loopback(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn start_gateway(upstream: String) -> String {
    let mut over = toml::Table::new();
    over.insert(
        "openai".into(),
        toml::from_str::<toml::Table>(&format!("base_url = \"{upstream}/v1\"\nkey = \"env:SIDE_BENCH_KEY\""))
            .unwrap()
            .into(),
    );
    let catalog = Catalog::with_overrides(&over, "bench").unwrap();
    let keys = KeyStore::new(Duration::from_secs(1));
    keys.insert(KeyRef::parse("env:SIDE_BENCH_KEY").unwrap(), Secret::new("sk-bench-upstream"));
    let policy = llm_conform_core::router::RouterPolicy::default().with_catalog_tiers(&catalog, &["openai".into()]);
    let serve = ServeConfig { access_log: std::env::var("SIDE_LOG").is_ok(), ..ServeConfig::default() };
    let gw = Gateway::bind(GatewaySetup {
        serve,
        listen: "127.0.0.1:0".into(),
        catalog,
        policy,
        provider_keys: Arc::new(keys),
        client_keys: ClientKeys::from_secrets(vec![Secret::new(CLIENT_KEY)]),
        transport: TransportConfig::default(),
        log: None,
    })
    .await
    .unwrap();
    let url = format!("http://{}", gw.local_addr());
    tokio::spawn(gw.serve(std::future::pending()));
    url
}

/// The floor: a proxy on the gateway's stack that only forwards bytes.
async fn start_passthrough(upstream: String) -> String {
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let forward = move |body: Bytes| {
        let (client, url) = (client.clone(), format!("{upstream}/v1/chat/completions"));
        async move {
            let resp = client.post(url).header("content-type", "application/json").body(body).send().await.unwrap();
            let content_type = resp.headers().get("content-type").cloned();
            let mut r = Body::from_stream(resp.bytes_stream()).into_response();
            if let Some(ct) = content_type {
                r.headers_mut().insert("content-type", ct);
            }
            r
        }
    };
    serve_on_loopback(axum::Router::new().route("/v1/chat/completions", axum::routing::post(forward))).await
}

/// LiteLLM's proxy in front of the same upstream, if `LITELLM` names its executable.
fn start_litellm(upstream: &str) -> Option<(Child, String)> {
    let bin = std::env::var("LITELLM").ok()?;
    let dir = std::env::temp_dir().join(format!("side-by-side-litellm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let cfg = dir.join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "model_list:\n  - model_name: {MODEL}\n    litellm_params:\n      model: openai/{MODEL}\n      api_base: {upstream}/v1\n      api_key: sk-bench-upstream\ngeneral_settings:\n  master_key: {LITELLM_KEY}\n"
        ),
    )
    .ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(&bin)
        .args(["--config", cfg.to_str()?, "--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("litellm.log")).ok()?)
        .spawn()
        .map_err(|e| eprintln!("LITELLM={bin} did not start: {e}"))
        .ok()?;
    Some((child, format!("http://127.0.0.1:{port}")))
}

#[derive(Clone)]
struct Target {
    name: &'static str,
    url: String,
    model: String,
    key: Option<&'static str>,
}

impl Target {
    fn request(&self, client: &reqwest::Client, stream: bool) -> reqwest::RequestBuilder {
        let body = json!({"model": self.model, "messages": [{"role": "user", "content": "What is the capital of France?"}], "stream": stream});
        let mut r = client.post(format!("{}/v1/chat/completions", self.url)).json(&body);
        if let Some(k) = self.key {
            r = r.bearer_auth(k);
        }
        r
    }

    /// One whole call; its latency in microseconds.
    async fn call(&self, client: &reqwest::Client) -> u64 {
        let start = Instant::now();
        let resp = self.request(client, false).send().await.expect("request failed");
        assert!(resp.status().is_success(), "{}: status {}", self.name, resp.status());
        let _ = resp.bytes().await.expect("body failed");
        start.elapsed().as_micros() as u64
    }

    /// One streamed call; time to the first content byte and to the end, in microseconds.
    async fn stream(&self, client: &reqwest::Client) -> (u64, u64) {
        let start = Instant::now();
        let mut resp = self.request(client, true).send().await.expect("request failed");
        assert!(resp.status().is_success(), "{}: status {}", self.name, resp.status());
        let mut first = None;
        while let Some(b) = resp.chunk().await.expect("stream failed") {
            if first.is_none() && memchr_content(&b) {
                first = Some(start.elapsed().as_micros() as u64);
            }
        }
        (first.expect("no content chunk"), start.elapsed().as_micros() as u64)
    }
}

fn memchr_content(b: &[u8]) -> bool {
    b.windows(10).any(|w| w == b"\"content\":")
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap()
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// Concurrency 1: the targets take turns call by call, so they share machine state.
async fn sequential(targets: &[Target], n: u64, client: &reqwest::Client) -> Vec<Histogram<u64>> {
    let mut hs: Vec<Histogram<u64>> = targets.iter().map(|_| hist()).collect();
    for i in 0..n + n / 10 {
        for (t, h) in targets.iter().zip(hs.iter_mut()) {
            let is_slow = t.name == "litellm";
            if is_slow && i % 10 != 0 {
                continue;
            }
            let us = t.call(client).await;
            if i >= n / 10 {
                h.record(us).unwrap();
            }
        }
    }
    hs
}

/// Concurrency `c` for `secs`: a closed loop; latency histogram and requests per second.
async fn closed_loop(t: &Target, c: usize, secs: u64, client: &reqwest::Client) -> (Histogram<u64>, f64) {
    let until = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (t, client) = (t.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = hist();
            while Instant::now() < until {
                h.record(t.call(&client).await).unwrap();
            }
            h
        }));
    }
    let mut all = hist();
    for task in tasks {
        all.add(task.await.unwrap()).unwrap();
    }
    let rps = all.len() as f64 / start.elapsed().as_secs_f64();
    (all, rps)
}

/// One table row: percentiles, and what they add over the first (direct) target's.
fn row(name: &str, c: usize, h: &Histogram<u64>, base: (f64, f64), rps: f64) {
    println!(
        "| {name} | {c} | {:.3} | {:.3} | {:+.3} | {:+.3} | {rps:.0} |",
        ms(h, 0.5),
        ms(h, 0.99),
        ms(h, 0.5) - base.0,
        ms(h, 0.99) - base.1
    );
}

/// Whole calls at concurrency 1 and 8; returns the added p50 at c=1 and req/s at c=8 per target.
async fn whole_calls(targets: &[Target], n: u64, secs: u64, client: &reqwest::Client) -> Vec<(f64, f64)> {
    let c1 = sequential(targets, n, client).await;
    let base = (ms(&c1[0], 0.5), ms(&c1[0], 0.99));
    println!("\n| target | c | p50 | p99 | added p50 | added p99 | req/s |");
    println!("|---|---|---|---|---|---|---|");
    for (t, h) in targets.iter().zip(&c1) {
        row(t.name, 1, h, base, 1_000_000.0 / h.mean());
    }
    let mut base8 = None;
    let mut out = Vec::new();
    for (t, h1) in targets.iter().zip(&c1) {
        let (h, rps) = closed_loop(t, 8, if t.name == "litellm" { secs.max(5) } else { secs }, client).await;
        let b = *base8.get_or_insert((ms(&h, 0.5), ms(&h, 0.99)));
        row(t.name, 8, &h, b, rps);
        out.push((ms(h1, 0.5) - base.0, rps));
    }
    out
}

/// Streams at concurrency 1: time to first content byte and to the end. By default each target
/// streams 500 times in a row (LiteLLM 100); `SIDE_STREAMS=interleaved` has the targets take
/// turns stream by stream, as whole calls do, which leaves each one idle for the others' streams
/// (about 15 ms) between its own.
async fn streams(targets: &[Target], client: &reqwest::Client) {
    let mut rows: Vec<(&str, Histogram<u64>, Histogram<u64>)> =
        targets.iter().map(|t| (t.name, hist(), hist())).collect();
    let turns: Vec<(usize, usize)> = if std::env::var("SIDE_STREAMS").is_ok_and(|v| v == "interleaved") {
        (0..500).flat_map(|i| (0..targets.len()).map(move |t| (i, t))).collect()
    } else {
        (0..targets.len()).flat_map(|t| (0..500).map(move |i| (i, t))).collect()
    };
    for (i, t) in turns {
        if targets[t].name == "litellm" && i % 5 != 0 {
            continue;
        }
        let (a, b) = targets[t].stream(client).await;
        rows[t].1.record(a).unwrap();
        rows[t].2.record(b).unwrap();
    }
    println!("\n| target | stream TTFT p50 | TTFT p99 | added TTFT p50 | whole stream p50 |");
    println!("|---|---|---|---|---|");
    let base = ms(&rows[0].1, 0.5);
    for (name, f, e) in &rows {
        println!("| {name} | {:.3} | {:.3} | {:+.3} | {:.3} |", ms(f, 0.5), ms(f, 0.99), ms(f, 0.5) - base, ms(e, 0.5));
    }
}

/// Waits for LiteLLM's liveness endpoint, up to a minute (it imports a lot at start-up).
async fn litellm_ready(client: &reqwest::Client, url: &str) -> bool {
    for _ in 0..600 {
        if client.get(format!("{url}/health/liveliness")).send().await.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn main() {
    let n = env_or("SIDE_N", 4000);
    let secs = env_or("SIDE_SECS", 3);
    let up = on_own_runtime("upstream", 1, start_upstream);
    let up2 = up.clone();
    let workers = env_or("SIDE_WORKERS", 2) as usize;
    let gw = on_own_runtime("gateway", workers, move || start_gateway(up2));
    let with_floor = std::env::var("SIDE_FLOOR").is_ok_and(|v| v == "1");
    let up3 = up.clone();
    let floor = with_floor.then(|| on_own_runtime("floor", workers, move || start_passthrough(up3)));
    let litellm = start_litellm(&up);
    let mut targets = vec![
        Target { name: "direct", url: up.clone(), model: MODEL.into(), key: None },
        Target { name: "serve", url: gw, model: format!("openai/{MODEL}"), key: Some(CLIENT_KEY) },
    ];
    // A third target in the turns leaves each one idle longer between its calls, which on this
    // VM makes every hop slower (deeper sleeps): the floor is measured in runs of its own.
    if let Some(url) = floor {
        targets.push(Target { name: "passthrough", url, model: MODEL.into(), key: None });
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    if let Some((_, url)) = &litellm {
        if rt.block_on(litellm_ready(&client, url)) {
            targets.push(Target { name: "litellm", url: url.clone(), model: MODEL.into(), key: Some(LITELLM_KEY) });
        } else {
            eprintln!(
                "litellm did not become ready within 60 s (see litellm.log in the temp dir); measuring without it"
            );
        }
    }
    let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
    println!(
        "side by side: {} (c=1: {n} calls each, LiteLLM {}; c=8: {secs} s each); latencies in ms",
        names.join(", "),
        n / 10
    );
    rt.block_on(async {
        let figures = whole_calls(&targets, n, secs, &client).await;
        streams(&targets, &client).await;
        let litellm = targets.iter().position(|t| t.name == "litellm").and_then(|i| figures.get(i));
        if let (Some(s), Some(l)) = (figures.get(1), litellm) {
            println!(
                "\nratio: LiteLLM adds {:.0}× the p50 latency serve adds at c=1; serve sustains {:.0}× LiteLLM's req/s at c=8",
                l.0 / s.0.max(0.001),
                s.1 / l.1.max(0.001)
            );
        }
    });
    if let Some((mut child, _)) = litellm {
        let _ = child.kill();
        let _ = child.wait();
    }
}
