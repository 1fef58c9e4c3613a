//! The overhead figure: a fixed response served from 127.0.0.1, called at a fixed request rate
//! three ways in one run — directly, through adapter and transport, and through router, adapter
//! and transport — with every latency in an HDR histogram. The paths take turns call by call (the
//! order rotating every round), so they share the same machine state; the added latency is the
//! difference of their percentiles.
//!
//! `cargo bench --bench overhead`; `OVERHEAD_ROUNDS` (default 3000) and `OVERHEAD_RATE` (calls
//! per second over all paths, default 1000) tune it.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use llm_conform::replay::{Reply, ReplyBody};
use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::{Catalog, ProviderSpec};
use llm_conform_core::router::Router;
use llm_conform_core::transport::{HttpTransport, TransportConfig};

use common::{FAMILIES, Upstream, calls, large_stream, pointed_at, sample, spec};

const PATHS: [&str; 3] = ["direct", "adapter+transport", "router+adapter+transport"];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|v| *v > 0).unwrap_or(default)
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The two upstream answers measured: the genuine non-streaming OpenAI sample and its stream.
fn replies() -> [(&'static str, Reply, usize); 2] {
    let body = sample("openai/openai-text.json");
    let n = body.len();
    let whole = Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: ReplyBody::Whole(Bytes::from(body)),
    };
    let wire = large_stream(&FAMILIES[0], 0);
    let m = wire.len();
    [("non_stream", whole, n), ("stream", Reply::sse(Bytes::from(wire)), m)]
}

/// Latency histograms of the three paths (direct, adapter, router) and their failure counts.
struct Measured {
    hists: Vec<Histogram<u64>>,
    failures: [u64; 3],
}

/// Calls the paths in turn, one in flight, paced at `interval`, each round starting with the
/// next path so that none always follows the same one.
async fn measure(paths: &Paths<'_>, req: &ChatRequest, warmup: u64, rounds: u64, interval: Duration) -> Measured {
    let mut m = Measured {
        hists: PATHS
            .iter()
            .map(|_| Histogram::new_with_bounds(1, 60_000_000_000, 3).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
        failures: [0; 3],
    };
    let start = tokio::time::Instant::now();
    let mut tick = 0u64;
    for round in 0..warmup + rounds {
        for k in 0..PATHS.len() {
            let path = (k + round as usize) % PATHS.len();
            tokio::time::sleep_until(start + interval * tick as u32).await;
            tick += 1;
            let t = Instant::now();
            let ok = match path {
                0 => calls::direct(paths.client, paths.url, req).await,
                1 => calls::adapter(paths.transport, paths.local, req).await,
                _ => calls::routed(paths.router, paths.catalog, paths.transport, req).await,
            };
            let ns = t.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
            if round < warmup {
                continue;
            }
            if ok {
                let _ = m.hists[path].record(ns.max(1));
            } else {
                m.failures[path] += 1;
            }
        }
    }
    m
}

/// What each path calls through.
struct Paths<'a> {
    client: &'a reqwest::Client,
    url: &'a str,
    transport: &'a HttpTransport,
    local: &'a ProviderSpec,
    router: &'a Router,
    catalog: &'a Catalog,
}

/// Prints one mode's table and returns its figures for the closing JSON line.
fn report(mode: &str, bytes: usize, m: &Measured) -> Vec<serde_json::Value> {
    println!("\n{mode} ({bytes} response bytes)");
    println!(
        "{:<26} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "path", "calls", "p50", "p90", "p99", "p99.9", "max", "failed"
    );
    for (i, p) in PATHS.iter().enumerate() {
        let h = &m.hists[i];
        println!(
            "{p:<26} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>6}",
            h.len(),
            us(h, 0.5),
            us(h, 0.9),
            us(h, 0.99),
            us(h, 0.999),
            h.max() as f64 / 1000.0,
            m.failures[i]
        );
    }
    let d = &m.hists[0];
    let mut summary = Vec::new();
    for (i, p) in PATHS.iter().enumerate().skip(1) {
        let h = &m.hists[i];
        let (a50, a99) = (us(h, 0.5) - us(d, 0.5), us(h, 0.99) - us(d, 0.99));
        println!("added by {p}: p50 {a50:+.1} µs, p99 {a99:+.1} µs");
        summary.push(serde_json::json!({
            "mode": mode, "path": p,
            "direct_p50_us": us(d, 0.5), "direct_p99_us": us(d, 0.99),
            "p50_us": us(h, 0.5), "p99_us": us(h, 0.99),
            "added_p50_us": a50, "added_p99_us": a99,
        }));
    }
    summary
}

fn main() {
    let rounds = env_or("OVERHEAD_ROUNDS", 3000);
    let rate = env_or("OVERHEAD_RATE", 1000);
    let warmup = (rounds / 10).max(50);
    let interval = Duration::from_nanos(1_000_000_000 / rate);
    let transport = HttpTransport::new(TransportConfig { timeout: Duration::from_secs(10), ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "overhead: {rounds} rounds × {} paths at {rate} calls/s (one call in flight), {warmup} warm-up rounds; latencies in µs",
        PATHS.len()
    );
    let mut summary = Vec::new();
    for (mode, reply, bytes) in replies() {
        let upstream = Upstream::start(reply);
        let local = pointed_at(&spec("openai"), &upstream.uri);
        let mut catalog = Catalog::builtin();
        if let Some(s) = catalog.get_mut("openai") {
            *s = local.clone();
        }
        let mut req = common::typical_request(&local);
        req.tools = None;
        req.stream = (mode == "stream").then_some(true);
        let url = local.family.adapter().encode(&req, &local, Some(calls::KEY)).map(|n| n.url).unwrap_or_default();
        let router = calls::one_candidate_router(&catalog, "openai", &req.model);
        let paths = Paths {
            client: &client,
            url: &url,
            transport: &transport,
            local: &local,
            router: &router,
            catalog: &catalog,
        };
        let measured = rt.block_on(measure(&paths, &req, warmup, rounds, interval));
        drop(upstream);
        summary.extend(report(mode, bytes, &measured));
    }
    println!("\njson: {}", serde_json::Value::Array(summary));
}
