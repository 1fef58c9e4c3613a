//! Per-case work outside the adapters — fingerprinting a response and checking a scenario's
//! expectations — and one whole case end to end over loopback: a direct call against a local
//! server next to the same call through adapter + transport and through router + adapter +
//! transport, so the difference is the microseconds this code adds to a call.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use llm_conform::fingerprint::{Fingerprint, FingerprintInput};
use llm_conform::replay::{Fixture, Reply, ReplyBody};
use llm_conform::suite::{Scenario, load_file};
use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::{Catalog, ResponseHints};
use llm_conform_core::transport::{HttpTransport, TransportConfig};

use common::{Upstream, calls, pointed_at, root, sample, spec};

/// A scenario of a shipped suite with its recorded OpenAI response, decoded.
fn case(
    suite: &str,
    scenario: &str,
) -> (Scenario, ChatRequest, Result<llm_conform_core::api::ChatCompletion, llm_conform_core::api::ProviderError>) {
    let catalog = Catalog::builtin();
    let s = load_file(&root().join("suites").join(format!("{suite}.toml")), &catalog).unwrap_or_else(|e| panic!("{e}"));
    let sc = s.scenarios.into_iter().find(|x| x.id == scenario).unwrap_or_else(|| panic!("no scenario {scenario}"));
    let fixture = Fixture::load(&root().join(format!("fixtures/openai/{suite}/{scenario}.json")))
        .unwrap_or_else(|e| panic!("{e}"));
    let (body, _) = fixture.wire_body();
    let spec = spec("openai");
    let mut req = sc.request.clone();
    req.model = spec.model_for("cheap").unwrap_or("m").to_string();
    let result = spec.family.adapter().decode(&body, &ResponseHints::default());
    (sc, req, result)
}

fn fingerprint_and_expect(c: &mut Criterion) {
    let mut g = c.benchmark_group("case");
    g.throughput(Throughput::Elements(1));
    for (suite, scenario) in [("tools", "auto_used"), ("json_mode", "json_schema_strict")] {
        let (sc, req, result) = case(suite, scenario);
        let want_json = sc.expect.wants_json() || req.response_format.as_ref().is_some_and(|f| f.wants_json());
        let request_schema = req.response_format.as_ref().and_then(|f| f.schema());
        let schema = sc.expect.json_schema.as_ref().or(request_schema);
        let input = FingerprintInput { result: &result, stream_chunks: None, want_json, schema };
        let fp = Fingerprint::compute(&input);
        assert!(sc.expect.check(&fp).is_empty(), "{suite}/{scenario} does not pass: {:?}", sc.expect.check(&fp));
        let id = format!("{suite}/{scenario}");
        g.bench_function(BenchmarkId::new("fingerprint", &id), |b| {
            b.iter(|| black_box(Fingerprint::compute(black_box(&input))))
        });
        g.bench_function(BenchmarkId::new("expect", &id), |b| b.iter(|| black_box(sc.expect.check(black_box(&fp)))));
        g.bench_function(BenchmarkId::new("fingerprint+expect", &id), |b| {
            b.iter(|| {
                let fp = Fingerprint::compute(black_box(&input));
                black_box(sc.expect.check(&fp))
            })
        });
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let transport = HttpTransport::new(TransportConfig { timeout: Duration::from_secs(10), ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("e2e");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(8));
    for stream in [false, true] {
        let reply = if stream {
            let wire = common::large_stream(&common::FAMILIES[0], 0);
            Reply::sse(Bytes::from(wire))
        } else {
            Reply {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: ReplyBody::Whole(Bytes::from(sample("openai/openai-text.json"))),
            }
        };
        let upstream = Upstream::start(reply);
        let base = spec("openai");
        let local = pointed_at(&base, &upstream.uri);
        let mut catalog = Catalog::builtin();
        if let Some(s) = catalog.get_mut("openai") {
            *s = local.clone();
        }
        let mut req = common::typical_request(&local);
        req.tools = None;
        req.stream = stream.then_some(true);
        // The direct call goes to the URL the adapter would use; only the work around it differs.
        let url = local.family.adapter().encode(&req, &local, Some(calls::KEY)).map(|n| n.url).unwrap_or_default();
        let router = calls::one_candidate_router(&catalog, "openai", &req.model);
        // Every path must actually succeed, or the bench would time an error.
        rt.block_on(async {
            assert!(calls::direct(&client, &url, &req).await, "direct call failed against {url}");
            assert!(calls::adapter(&transport, &local, &req).await, "adapter call failed");
            assert!(calls::routed(&router, &catalog, &transport, &req).await, "routed call failed");
        });
        let mode = if stream { "stream" } else { "non_stream" };
        g.bench_function(BenchmarkId::new("direct", mode), |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(calls::direct(&client, &url, &req).await);
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function(BenchmarkId::new("adapter+transport", mode), |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(calls::adapter(&transport, &local, &req).await);
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function(BenchmarkId::new("router+adapter+transport", mode), |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(calls::routed(&router, &catalog, &transport, &req).await);
                    }
                    t.elapsed()
                })
            })
        });
        drop(upstream);
    }
    g.finish();
}

criterion_group!(benches, fingerprint_and_expect, end_to_end);
criterion_main!(benches);
