//! The timed replay server on its own: chunked streams at their offsets, keep-alive, fixture
//! matching with the replay server's errors, bounds on bad requests, stopping when dropped or
//! idle; and the report's benchmark section.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use llm_conform::replay::{Fixture, REPLAY_ERROR_HEADER, Reply, ReplyBody, TimedReplayOptions, TimedReplayServer};
use llm_conform::report::render_bench_section;
use llm_conform::results::BenchReport;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[test]
fn timed_parts_arrive_chunked_and_not_before_their_offset() {
    rt().block_on(async {
        let reply = Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body: ReplyBody::Timed(vec![
                (Duration::ZERO, Bytes::from_static(b"data: a\n\n")),
                (Duration::from_millis(60), Bytes::from_static(b"data: b\n\n")),
            ]),
        };
        let server = TimedReplayServer::fixed(reply, TimedReplayOptions::default()).await.unwrap();
        let c = client();
        for _ in 0..3 {
            let start = Instant::now();
            let mut resp = c.post(format!("{}/v1/chat/completions", server.uri())).body("{}").send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["transfer-encoding"], "chunked");
            let mut got = Vec::new();
            let mut second_at = None;
            while let Some(chunk) = resp.chunk().await.unwrap() {
                got.extend_from_slice(&chunk);
                if got.ends_with(b"data: b\n\n") {
                    second_at = Some(start.elapsed());
                }
            }
            assert_eq!(got, b"data: a\n\ndata: b\n\n");
            assert!(second_at.unwrap() >= Duration::from_millis(59), "{second_at:?}");
        }
        assert_eq!(server.requests(), 3, "three requests over keep-alive");
    });
}

#[test]
fn fixtures_are_served_and_mismatches_are_replay_errors() {
    rt().block_on(async {
        let root = crate::common::root().join("fixtures");
        let server =
            TimedReplayServer::start(&root, TimedReplayOptions { timing: false, ..Default::default() }).await.unwrap();
        let fixture = Fixture::load(&root.join("openai/basics/single_turn.json")).unwrap();
        let url = format!("{}{}", server.uri(), fixture.request.path);
        let c = client();
        let send = |body: serde_json::Value, case: Option<&str>| {
            let mut r = c.post(&url).header("content-type", "application/json").body(body.to_string());
            if let Some(case) = case {
                r = r.header("x-llm-conform-case", case);
            }
            r.send()
        };
        let ok = send(fixture.request.body.clone(), Some(&fixture.case)).await.unwrap();
        assert_eq!(ok.status().as_u16(), fixture.response.status);
        assert!(ok.headers().get(REPLAY_ERROR_HEADER).is_none());
        assert_eq!(ok.bytes().await.unwrap().to_vec(), fixture.wire_body().0);

        let drift = send(serde_json::json!({"model": "other"}), Some(&fixture.case)).await.unwrap();
        assert_eq!(drift.status().as_u16(), 599);
        assert!(drift.headers().get(REPLAY_ERROR_HEADER).is_some());
        assert!(drift.text().await.unwrap().contains("request body differs"));

        let missing = send(fixture.request.body.clone(), Some("basics/nope/openai/non_stream")).await.unwrap();
        assert_eq!(missing.status().as_u16(), 599);
        assert!(missing.text().await.unwrap().contains("no fixture"));

        let no_case = send(fixture.request.body.clone(), None).await.unwrap();
        assert_eq!(no_case.status().as_u16(), 599);
    });
}

/// Writes raw bytes and reads the status line of the answer.
fn raw_status(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).lines().next().unwrap_or("").to_string()
}

#[test]
fn bad_requests_are_refused_and_the_server_stops_when_idle_or_dropped() {
    let rt = rt();
    let options = TimedReplayOptions { idle_timeout: Duration::from_millis(300), ..Default::default() };
    let server = rt.block_on(TimedReplayServer::fixed(Reply::json(&serde_json::json!({"ok": true})), options)).unwrap();
    let addr = server.addr();
    assert!(raw_status(addr, b"NONSENSE\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(raw_status(addr, b"POST / HTTP/1.1\r\ncontent-length: 999999999\r\n\r\n").starts_with("HTTP/1.1 413"));
    // A chunked request body is HTTP too (the server is hyper's, not a hand-written parser).
    assert!(
        raw_status(
            addr,
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        )
        .starts_with("HTTP/1.1 200")
    );
    assert!(raw_status(addr, b"GET / HTTP/1.0\r\n\r\n").ends_with(" 200 OK"), "HTTP/1.0 is answered and closed");
    let waited = Instant::now();
    while !server.is_stopped() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.is_stopped(), "no request for the idle timeout: the server stops by itself");

    let server = rt
        .block_on(TimedReplayServer::fixed(Reply::json(&serde_json::json!({})), TimedReplayOptions::default()))
        .unwrap();
    let addr = server.addr();
    drop(server);
    let waited = Instant::now();
    while std::net::TcpStream::connect(addr).is_ok() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(std::net::TcpStream::connect(addr).is_err(), "a dropped server no longer listens");
}

#[test]
fn bench_section_has_a_table_charts_and_escapes_names() {
    let summary = serde_json::json!({"count": 4, "min": 0.5, "mean": 1.0, "p50": 0.9, "p90": 1.5, "p95": 1.6, "p99": 1.7, "max": 1.7,
        "distribution": [{"le": 0.9, "count": 2}, {"le": 1.7, "count": 2}]});
    let report: BenchReport = serde_json::from_value(serde_json::json!({
        "settings": {"mode": "replay", "replay_timing": true, "repetitions": 2, "warmup": 1, "concurrency": 1, "cases_per_repetition": 2},
        "started_at": "2026-01-01T00:00:00Z",
        "duration_ms": 10.0,
        "totals": {"calls": 4, "errors": 1, "unexpected": 0, "skipped": 0},
        "calls_per_s": 400.0,
        "providers": [{"provider": "<b>evil</b>", "calls": 4, "errors": 1, "unexpected": 0, "skipped": 0,
            "error_kinds": {"rate_limited": 1}, "ttft_ms": summary, "total_ms": summary}],
        "scenarios": [{"provider": "<b>evil</b>", "scenario": "basics/x", "mode": "stream", "calls": 4, "errors": 1,
            "unexpected": 0, "skipped": 0, "total_ms": summary}]
    }))
    .unwrap();
    let html = render_bench_section(&report);
    assert!(html.contains("&lt;b&gt;evil&lt;/b&gt;") && !html.contains("<b>evil"), "names are escaped");
    assert_eq!(html.matches("<svg").count(), 2, "a TTFT and a total-time chart");
    assert!(html.contains("p99") && html.contains("rate_limited: 1") && html.contains("basics/x"));
    assert!(html.starts_with("<section") && html.trim_end().ends_with("</section>"));
}
