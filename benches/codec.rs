//! Adapter costs per wire family, on genuine provider payloads: encoding a typical request to
//! wire bytes, decoding a typical response, the two together (the per-call work a router adds),
//! and decoding a large recorded stream (bytes per second through the SSE reader, the family's
//! stream decoder and the accumulator).

mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use llm_conform_core::api::{ChatCompletionChunk, Delta, StreamAccumulator, ToolCallDelta};
use llm_conform_core::providers::{ResponseHints, SseParser};
use llm_conform_core::transport::decode_stream_bytes;

use common::{FAMILIES, large_stream, sample, spec, typical_request};

/// Large enough that per-stream setup is noise next to per-byte work.
const STREAM_BYTES: usize = 1 << 20;

fn encode_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    for f in &FAMILIES {
        let spec = spec(f.provider);
        let adapter = spec.family.adapter();
        let req = typical_request(&spec);
        let body = sample(f.body);
        let hints = ResponseHints::default();
        // A bench that measures an error path would be measuring the wrong thing.
        let native = adapter.encode(&req, &spec, Some("sk-bench")).unwrap_or_else(|e| panic!("{e}"));
        let wire = native.body.to_bytes().map(|b| b.into_owned()).unwrap_or_default();
        adapter.decode(&body, &hints).unwrap_or_else(|e| panic!("{}: {e}", f.body));

        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_with_input(BenchmarkId::new("encode", f.name), &req, |b, req| {
            b.iter(|| {
                let n = adapter.encode(black_box(req), &spec, Some("sk-bench")).unwrap_or_else(|e| panic!("{e}"));
                // The bytes the transport sends (it copies them into the HTTP request).
                black_box(n.body.to_bytes().map(|b| b.into_owned()).unwrap_or_default())
            })
        });
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::new("decode", f.name), &body, |b, body| {
            b.iter(|| black_box(adapter.decode(black_box(body), &hints)))
        });
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("encode+decode", f.name), &(&req, &body), |b, (req, body)| {
            b.iter(|| {
                let n = adapter.encode(black_box(req), &spec, Some("sk-bench")).unwrap_or_else(|e| panic!("{e}"));
                // The bytes the transport sends (it copies them into the HTTP request).
                black_box(n.body.to_bytes().map(|b| b.into_owned()).unwrap_or_default());
                black_box(adapter.decode(black_box(body), &n.hints))
            })
        });
    }
    g.finish();
}

fn sse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sse");
    g.sample_size(30);
    for f in &FAMILIES {
        let spec = spec(f.provider);
        let adapter = spec.family.adapter();
        let hints = ResponseHints { stream: true, ..Default::default() };
        let wire = large_stream(f, STREAM_BYTES);
        let check = decode_stream_bytes(adapter, &hints, &wire);
        if let Err(e) = &check.result {
            panic!("{}: the large stream does not decode: {e}", f.name);
        }
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_with_input(BenchmarkId::new("decode_stream", f.name), &wire, |b, wire| {
            b.iter(|| black_box(decode_stream_bytes(adapter, &hints, black_box(wire)).result.is_ok()))
        });
        // A serde_json skim of every event's JSON into nothing, behind the SSE reader as the
        // stream path uses it (events borrowing the bytes): what a decoder that parses every
        // event with serde_json, building nothing, would cost.
        g.bench_with_input(BenchmarkId::new("parse+json_skim", f.name), &wire, |b, wire| {
            b.iter(|| {
                let mut p = SseParser::new();
                let mut out = Vec::new();
                let read = p.parse(black_box(wire), &mut out).and_then(|()| p.finish_events(&mut out));
                read.map_or(0, |()| {
                    out.iter().filter(|e| serde_json::from_str::<serde::de::IgnoredAny>(&e.data).is_ok()).count()
                })
            })
        });
        // The SSE reader alone (borrowing, as the stream path uses it), to tell framing cost
        // from decoding when a family misses.
        g.bench_with_input(BenchmarkId::new("parse_only", f.name), &wire, |b, wire| {
            b.iter(|| {
                let mut p = SseParser::new();
                let mut out = Vec::new();
                let read = p.parse(black_box(wire), &mut out).and_then(|()| p.finish_events(&mut out));
                black_box((read.is_ok(), out.len()))
            })
        });
    }
    g.finish();
}

/// Streamed tool-call reassembly by number of distinct call indices: linear means the time per
/// delta stays flat from 1,000 to 100,000 (it was quadratic: 100,000 deltas took seconds).
fn tool_call_assembly(c: &mut Criterion) {
    let mut g = c.benchmark_group("tool_call_assembly");
    g.sample_size(10);
    for n in [1_000u32, 10_000, 100_000] {
        let chunks: Vec<ChatCompletionChunk> = (0..n)
            .rev()
            .map(|i| {
                let call = ToolCallDelta::start(i, format!("call_{i}"), "f", "{}");
                ChatCompletionChunk::delta("c", "m", 1, Delta { tool_calls: vec![call], ..Default::default() }, None)
            })
            .collect();
        g.throughput(Throughput::Elements(u64::from(n)));
        g.bench_with_input(BenchmarkId::from_parameter(n), &chunks, |b, chunks| {
            b.iter(|| {
                let mut acc = StreamAccumulator::with_max_tool_calls(n as usize);
                for c in chunks {
                    acc.push(black_box(c)).unwrap_or_else(|e| panic!("{e}"));
                }
                black_box(acc.finish())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, encode_decode, sse, tool_call_assembly);
criterion_main!(benches);
