//! Router candidate selection: ordering a tier of 10 and of 100 candidates with a limit bucket
//! and health state for every provider, and one routing decision with no I/O (the send step
//! answers at once), so the router's own cost is visible apart from the network.
//!
//! `candidates` is the order a route plans on every call (tiers precomputed when the router is
//! built, nothing formatted); `plan` is the same order with states, prices and reasons in words,
//! as `route --explain` and the gateway's metrics ask for it.

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use llm_conform_core::api::{ChatCompletion, ErrorKind, ProviderError};
use llm_conform_core::providers::Catalog;
use llm_conform_core::router::{CallResult, Router, SendOutcome, Target};

/// A catalog with `n` OpenAI-compatible providers `p000`…, each priced, and a router whose tier
/// `bench` lists one model of each, with per-provider limits.
fn setup(n: usize, profile: &str) -> (Router, Catalog) {
    let mut overrides = toml::Table::new();
    for i in 0..n {
        let mut p = toml::Table::new();
        p.insert("family".into(), "openai".into());
        p.insert("base_url".into(), format!("http://127.0.0.1:9/p{i:03}/v1").into());
        let mut models = toml::Table::new();
        models.insert("cheap".into(), format!("m{i:03}").into());
        p.insert("models".into(), models.into());
        let mut price = toml::Table::new();
        price.insert("input".into(), toml::Value::Float(0.1 + (i % 7) as f64 * 0.05));
        price.insert("output".into(), toml::Value::Float(0.4 + (i % 5) as f64 * 0.1));
        let mut prices = toml::Table::new();
        prices.insert(format!("m{i:03}"), price.into());
        p.insert("prices".into(), prices.into());
        overrides.insert(format!("p{i:03}"), p.into());
    }
    let catalog = Catalog::with_overrides(&overrides, "bench").unwrap_or_else(|e| panic!("{e}"));
    let candidates: Vec<String> = (0..n).map(|i| format!("p{i:03}/m{i:03}")).collect();
    let limits: BTreeMap<String, serde_json::Value> = (0..n)
        .map(|i| {
            (
                format!("p{i:03}"),
                serde_json::json!({"rpm": 100_000, "burst": 1000, "tpm": 100_000_000, "concurrent": 64}),
            )
        })
        .collect();
    let policy = serde_json::from_value(serde_json::json!({
        "default_tier": "bench",
        "profile": profile,
        "tiers": {"bench": {"candidates": candidates}},
        "limits": limits,
        "retry": {"max_retries": 0},
    }))
    .unwrap_or_else(|e| panic!("router policy: {e}"));
    (Router::new(policy, catalog.clone()), catalog)
}

fn response(model: &str) -> ChatCompletion {
    serde_json::from_value(serde_json::json!({
        "id": "c", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn selection(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("router");
    g.throughput(Throughput::Elements(1));
    let req = serde_json::from_value(serde_json::json!({"model": "", "messages": [{"role": "user", "content": "hi"}]}))
        .unwrap_or_else(|e| panic!("{e}"));
    let target = Target::Tier("bench".into());
    for n in [10usize, 100] {
        for profile in ["ordered", "realtime", "batch"] {
            let (router, _catalog) = setup(n, profile);
            // Health state: every provider has latency history; the first tenth is cooling down
            // after failures, so selection skips them as it would in production.
            rt.block_on(async {
                for round in 0..4 {
                    let _ = router
                        .route(&req, &target, |cand, req, _, _| async move {
                            let i: usize = cand.provider[1..].parse().unwrap_or(0);
                            if i < n / 10 || (round == 0 && i % 2 == 0) {
                                SendOutcome::Called(CallResult {
                                    result: Err(ProviderError::new(ErrorKind::Overloaded, "overloaded")),
                                    latency_ms: 5.0,
                                    ttft_ms: None,
                                    status: Some(529),
                                    notes: Vec::new(),
                                })
                            } else {
                                SendOutcome::Called(CallResult {
                                    result: Ok(response(&req.model)),
                                    latency_ms: 10.0 + i as f64,
                                    ttft_ms: Some(5.0 + i as f64),
                                    status: Some(200),
                                    notes: Vec::new(),
                                })
                            }
                        })
                        .await;
                }
            });
            let planned = router.plan(&target).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(planned.len(), n);
            let order = router.candidates(&target).unwrap_or_else(|e| panic!("{e}"));
            assert!(order.iter().copied().eq(planned.iter().map(|p| &p.candidate)), "the two paths disagree");
            let id = format!("{n}/{profile}");
            g.bench_function(BenchmarkId::new("candidates", &id), |b| {
                b.iter(|| black_box(router.candidates(black_box(&target))))
            });
            g.bench_function(BenchmarkId::new("plan", &id), |b| b.iter(|| black_box(router.plan(black_box(&target)))));
            g.bench_function(BenchmarkId::new("route_no_io", &id), |b| {
                b.iter(|| {
                    rt.block_on(router.route(black_box(&req), &target, |_, req, _, _| async move {
                        SendOutcome::Called(CallResult {
                            result: Ok(response(&req.model)),
                            latency_ms: 1.0,
                            ttft_ms: None,
                            status: Some(200),
                            notes: Vec::new(),
                        })
                    }))
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, selection);
criterion_main!(benches);
