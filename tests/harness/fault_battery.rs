//! Regressions for issue 10 ("A transient error is a regression", "Limits are not held", "Faults
//! are mistyped"): a local server that misbehaves the way providers do — 429 then success, 529
//! bursts, resets, truncation, a slow drip, an HTML 502, malformed JSON, an empty body, no answer
//! at all — driven by `run --mode live` for every wire family in both modes. Each fault ends as
//! the status, error kind and attempts it must, and the server never sees more than the
//! configured limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};

use crate::wire;

const FAMILIES: [&str; 4] = ["openai", "anthropic", "gemini", "cohere"];

/// What the server saw: request start times and the most in flight at once, per family.
#[derive(Default)]
struct Seen {
    calls: HashMap<String, u32>,
    starts: HashMap<&'static str, Vec<Instant>>,
    /// When each request arrived and when it was answered or given up on.
    spans: HashMap<&'static str, Vec<(Instant, Instant)>>,
}

impl Seen {
    /// The most requests of `family` open at once. A request counts from its arrival to its end,
    /// less a little slack: a client may send its next request the moment it has read an
    /// answer, before this server has noticed it is done.
    fn max_in_flight(&self, family: &str) -> usize {
        let spans = &self.spans[family];
        let slack = Duration::from_millis(25);
        spans.iter().map(|(t, _)| spans.iter().filter(|(s, e)| s <= t && *e > *t + slack).count()).max().unwrap_or(0)
    }
}

async fn read_request(sock: &mut TcpStream) -> Option<(String, Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let path = lines.next()?.split_whitespace().nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((path, headers, buf[head_end..head_end + len].to_vec()))
}

async fn respond(sock: &mut OwnedWriteHalf, status: u16, ctype: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body).await;
    let _ = sock.shutdown().await;
}

/// Answers one request with the fault its prompt names.
async fn serve(mut sock: TcpStream, seen: Arc<Mutex<Seen>>) {
    let Some((path, headers, body)) = read_request(&mut sock).await else { return };
    let family = wire::family_of(&path);
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let stream = req["stream"] == true || path.contains("streamGenerateContent");
    let prompt = req.to_string();
    let fault = [
        "reset_but_anthropic",
        "ok_after_429",
        "overloaded",
        "reset",
        "truncated",
        "slow_drip",
        "html_502",
        "malformed",
        "empty",
        "silent",
    ]
    .into_iter()
    .find(|f| prompt.contains(&format!("FAULT:{f}")))
    .unwrap_or("ok");
    let arrived = Instant::now();
    let case = headers.iter().find(|(k, _)| k == "x-llm-conform-case").map_or(String::new(), |(_, v)| v.clone());
    let n = {
        let mut s = seen.lock().unwrap();
        s.starts.entry(family).or_default().push(Instant::now());
        let c = s.calls.entry(case).or_default();
        *c += 1;
        *c
    };
    if fault == "reset" || (fault == "reset_but_anthropic" && family != "anthropic") {
        reset(&sock);
    }
    // A request stops counting as in flight when it is answered or when the client gives up
    // on it (a deadline): the harness's limits are about what it has open, not what a stuck
    // server still holds.
    let (mut rd, mut wr) = sock.into_split();
    tokio::select! {
        _ = answer(&mut wr, family, stream, fault, n) => {}
        _ = async { let mut b = [0u8; 1]; let _ = rd.read(&mut b).await; } => {}
    }
    seen.lock().unwrap().spans.entry(family).or_default().push((arrived, Instant::now()));
}

async fn answer_ok(sock: &mut OwnedWriteHalf, family: &'static str, stream: bool) {
    let (ctype, body) = if stream {
        ("text/event-stream", wire::stream_events(family, &["Hello", " there."]).concat().into_bytes())
    } else {
        ("application/json", wire::answer(family, "Hello there.").to_string().into_bytes())
    };
    respond(sock, 200, ctype, &body).await
}

async fn answer(sock: &mut OwnedWriteHalf, family: &'static str, stream: bool, fault: &str, call: u32) {
    match fault {
        "ok_after_429" if call == 1 => {
            let body = wire::error_body(family, 429, "slow down").to_string();
            let head = format!(
                "HTTP/1.1 429 X\r\ncontent-type: application/json\r\nretry-after: 0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
        }
        "overloaded" => {
            let status = if family == "anthropic" { 529 } else { 503 };
            respond(
                sock,
                status,
                "application/json",
                wire::error_body(family, status, "Overloaded").to_string().as_bytes(),
            )
            .await
        }
        "reset" => {
            // Headers promise more than is sent, then the connection is torn down.
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"id\":")
                .await;
        }
        "reset_but_anthropic" if family != "anthropic" => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{")
                .await;
        }
        "truncated" => {
            if stream {
                let events = wire::stream_events(family, &["Hello", " there."]);
                let cut: String = events[..events.len() / 2].concat();
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                let _ = sock.write_all(format!("{head}{:x}\r\n{cut}\r\n", cut.len()).as_bytes()).await;
            } else {
                let body = wire::answer(family, "Hello").to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(format!("{head}{}", &body[..body.len() / 2]).as_bytes()).await;
            }
            let _ = sock.shutdown().await;
        }
        "slow_drip" => {
            let body = if stream {
                wire::stream_events(family, &["Hello"]).concat()
            } else {
                wire::answer(family, "Hi").to_string()
            };
            let ctype = if stream { "text/event-stream" } else { "application/json" };
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = sock.write_all(head.as_bytes()).await;
            for b in body.bytes() {
                if sock.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        "html_502" => respond(sock, 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>").await,
        "malformed" => {
            let ctype = if stream { "text/event-stream" } else { "application/json" };
            let body: &[u8] = if stream { b"data: {\"id\": oops\n\n" } else { b"{\"id\": oops" };
            respond(sock, 200, ctype, body).await
        }
        "empty" => respond(sock, 200, if stream { "text/event-stream" } else { "application/json" }, b"").await,
        "silent" => tokio::time::sleep(Duration::from_secs(30)).await,
        _ => answer_ok(sock, family, stream).await,
    }
}

/// Makes the coming close a reset (RST) rather than an orderly end of stream.
#[allow(deprecated)] // SO_LINGER 0 blocks nothing: the close is immediate.
fn reset(sock: &TcpStream) {
    let _ = sock.set_linger(Some(Duration::ZERO));
}

async fn start_server(seen: Arc<Mutex<Seen>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve(sock, seen.clone()));
        }
    });
    format!("http://{addr}")
}

fn suite() -> String {
    let mut s = String::from("[suite]\ndescription = \"faults\"\n");
    for fault in
        ["ok_after_429", "overloaded", "reset", "truncated", "slow_drip", "html_502", "malformed", "empty", "silent"]
    {
        s += &format!(
            "[[scenario]]\nid = \"{fault}\"\n[scenario.request]\nmessages = [{{ role = \"user\", content = \"FAULT:{fault}\" }}]\n"
        );
    }
    s += r#"[[scenario]]
id = "routed_reset"
description = "A connection fault falls back to the next candidate."
[scenario.route]
tier = "chain"
[scenario.route.policy]
retry = { max_retries = 0 }
tiers.chain = { candidates = ["openai/m", "anthropic/m"] }
[scenario.request]
messages = [{ role = "user", content = "FAULT:reset_but_anthropic" }]
"#;
    s
}

/// The faulty server, what it has seen, and a directory holding the fault suite.
fn battery(rt: &tokio::runtime::Runtime) -> (Arc<Mutex<Seen>>, String, tempfile::TempDir) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let uri = rt.block_on(start_server(seen.clone()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::write(dir.path().join("suites/faults.toml"), suite()).unwrap();
    (seen, uri, dir)
}

#[test]
fn every_fault_ends_as_the_status_and_kind_it_must_within_the_limits() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (seen, uri, dir) = battery(&rt);
    let mut config = String::from(
        "[router.retry]\nmax_retries = 1\nbase_ms = 10\nmax_ms = 20\nretry_after_cap_ms = 2000\n[router.cooldown]\nfailures = 1000\n",
    );
    for f in FAMILIES {
        config += &format!("[providers.{f}]\nbase_url = \"{}\"\nkey = \"env:FAULT_KEY\"\n", wire::base_url(f, &uri));
        config += &format!("[router.limits.{f}]\nconcurrent = 1\nrpm = 1200\nburst = 2\n");
    }
    std::fs::write(dir.path().join("llm-conform.toml"), config).unwrap();
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_llm-conform"))
        .current_dir(dir.path())
        .env("FAULT_KEY", "test-key-not-real-faults")
        .args(["--config", "llm-conform.toml", "run", "--mode", "live", "--suites-dir", "suites", "--no-snapshots"])
        .args(["--timeout", "0.6", "-j", "16", "--out", "reports", "-p", &FAMILIES.join(","), "--provider", "router"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Malformed and empty bodies are the provider's fault, not an outage: the run fails.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("reports/latest/results.json")).unwrap())
            .unwrap();
    let cases = results["cases"].as_array().unwrap();
    assert_eq!(cases.len(), FAMILIES.len() * 9 * 2 + 2, "every case ends with a result");
    let expected: [(&str, &str, Option<&str>, usize); 9] = [
        ("ok_after_429", "flaky", None, 2),
        ("overloaded", "unavailable", Some("overloaded"), 2),
        ("reset", "unavailable", Some("connection"), 2),
        ("truncated", "unavailable", Some("connection"), 2),
        ("slow_drip", "unavailable", Some("timeout"), 2),
        ("html_502", "unavailable", Some("server_error"), 2),
        ("malformed", "fail", Some("malformed_response"), 1),
        ("empty", "fail", Some("malformed_response"), 1),
        ("silent", "unavailable", Some("timeout"), 2),
    ];
    let mut problems = Vec::new();
    for c in cases.iter().filter(|c| c["provider"] != "router") {
        let id = format!("{}/{}/{}", c["scenario"].as_str().unwrap(), c["provider"].as_str().unwrap(), c["stream"]);
        let (_, status, kind, attempts) = expected.iter().find(|e| e.0 == c["scenario"]).unwrap();
        let got_kind = c["error"]["kind"].as_str();
        let called = c["attempts"].as_array().unwrap().iter().filter(|a| a["outcome"] != "skipped").count();
        if c["status"] != *status || got_kind != *kind || called != *attempts {
            problems.push(format!(
                "{id}: {} {got_kind:?} after {called} attempt(s); expected {status} {kind:?} after {attempts}: {}",
                c["status"], c["reason"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for c in cases.iter().filter(|c| c["provider"] == "router") {
        assert_eq!(c["status"], "pass", "{c}");
        // Skips while a provider was busy with the other cases may come first; the calls are these.
        let path: Vec<&str> = c["fingerprint"]["route"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.ends_with(":skipped"))
            .collect();
        assert_eq!(path, ["openai:connection", "anthropic:success"], "a connection fault falls back: {c}");
    }
    assert!(stderr.contains("unavailable in"), "outages have their own line: {stderr}");
    // The limits held: one call at a time per provider, never more than burst + rpm·T/60.
    let seen = seen.lock().unwrap();
    for f in FAMILIES {
        assert_eq!(seen.max_in_flight(f), 1, "{f}: at most one request in flight");
        let starts = &seen.starts[f];
        for (i, a) in starts.iter().enumerate() {
            for (j, b) in starts.iter().enumerate().skip(i) {
                let window = b.duration_since(*a).as_secs_f64();
                // One more than the budget: arrival times are measured here, not where the run sent them.
                let allowed = 2.0 + 1200.0 * window / 60.0 + 1.0;
                assert!(((j - i + 1) as f64) <= allowed, "{f}: {} requests in {window:.3}s", j - i + 1);
            }
        }
    }
    eprintln!("fault battery took {:?}", start.elapsed());
}

/// `--fail-on` turns flaky and unavailable cases into failures; without it they pass the run.
#[test]
fn flaky_and_unavailable_pass_the_run_unless_asked_otherwise() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (seen, uri, dir) = battery(&rt);
    let config = format!(
        "[router.retry]\nmax_retries = 1\nbase_ms = 10\nmax_ms = 20\n[providers.openai]\nbase_url = \"{}\"\nkey = \"env:FAULT_KEY\"\n",
        wire::base_url("openai", &uri)
    );
    std::fs::write(dir.path().join("llm-conform.toml"), config).unwrap();
    let run = |scenario: &str, extra: &[&str]| {
        seen.lock().unwrap().calls.clear();
        std::process::Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(dir.path())
            .env("FAULT_KEY", "test-key-not-real-faults")
            .args(["--config", "llm-conform.toml", "run", "--mode", "live", "--suites-dir", "suites", "-p", "openai"])
            .args(["--no-snapshots", "--out", "reports", "--scenario", scenario])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run("ok_after_429", &[]), Some(0));
    assert_eq!(run("ok_after_429", &["--fail-on", "flaky"]), Some(1));
    assert_eq!(run("overloaded", &[]), Some(0));
    assert_eq!(run("overloaded", &["--fail-on", "unavailable"]), Some(1));
}
