//! Regressions for issue 9 ("A panicking case vanishes and the run passes", "Reports can be
//! half-written or misplaced", "Ctrl-C leaves no summary and no report"): a panic is an error row
//! that fails the run; Ctrl-C drains, a second one aborts, both leave an interrupted report and
//! the baseline untouched; a kill at any instant leaves `latest/` and the baseline whole.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_llm-conform"))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{} is not whole JSON: {e}", p.display()))
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

#[test]
fn a_panicking_case_is_an_error_row_and_fails_the_run() {
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .current_dir(crate::common::root())
        .env("LLM_CONFORM_DEBUG_PANIC_CASE", "basics/single_turn/openai/non_stream")
        .args(["run", "--provider", "openai", "--suite", "basics", "--no-snapshots", "--run-id", "p"])
        .args(["--out", out.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let r = read_json(&out.path().join("p/results.json"));
    let rows: Vec<&Value> = r["cases"].as_array().unwrap().iter().filter(|c| c["scenario"] == "single_turn").collect();
    assert_eq!(rows.len(), 2, "both modes of the group keep their place");
    for row in rows {
        assert_eq!(row["status"], "error", "{row}");
        assert!(row["reason"].as_str().unwrap().contains("panicked"), "{row}");
    }
    let baseline = read_json(&out.path().join("baseline/results.json"));
    assert!(baseline["cases"].as_array().unwrap().iter().any(|c| c["scenario"] == "single_turn"));
}

/// A live run against an upstream that takes `delay` per answer, 8 scenarios, two at a time.
fn slow_run(dir: &Path, server: &MockServer, grace: &str) -> Child {
    let mut suite = String::from("[suite]\ndescription = \"slow\"\n");
    for i in 0..8 {
        suite += &format!(
            "[[scenario]]\nid = \"s{i}\"\nmodes = [\"non_stream\"]\n[scenario.request]\nmessages = [{{ role = \"user\", content = \"hi\" }}]\n"
        );
    }
    std::fs::create_dir_all(dir.join("suites")).unwrap();
    std::fs::write(dir.join("suites/slow.toml"), suite).unwrap();
    std::fs::write(
        dir.join("llm-conform.toml"),
        format!("[providers.openai]\nbase_url = \"{}/v1\"\nkey = \"env:SLOW_KEY\"\n", server.uri()),
    )
    .unwrap();
    bin()
        .current_dir(dir)
        .env("SLOW_KEY", "test-key-not-real-slow")
        .args(["--config", "llm-conform.toml", "run", "--mode", "live", "-p", "openai", "--suites-dir", "suites"])
        .args(["--no-snapshots", "-j", "2", "--out", "reports", "--run-id", "slow", "--grace", grace])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn slow_server(rt: &tokio::runtime::Runtime, delay: Duration) -> MockServer {
    rt.block_on(async {
        let s = MockServer::start().await;
        let body = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}});
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(body).set_delay(delay))
            .mount(&s)
            .await;
        s
    })
}

#[test]
fn ctrl_c_lets_cases_in_flight_finish_and_reports_interrupted() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = slow_server(&rt, Duration::from_millis(1500));
    let dir = tempfile::tempdir().unwrap();
    let child = slow_run(dir.path(), &server, "10");
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, libc::SIGINT);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    let r = read_json(&dir.path().join("reports/slow/results.json"));
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "the two cases in flight finished, no new one started: {r}");
    assert!(cases.iter().all(|c| c["status"] == "pass"), "{r}");
    assert_eq!(r["interrupted"]["signal"], "SIGINT");
    assert_eq!(r["interrupted"]["not_run"], 6);
    assert!(dir.path().join("reports/latest/index.html").exists(), "the report was written");
    assert!(!dir.path().join("reports/baseline").exists(), "an interrupted run is never the baseline");
    assert!(stderr.contains("interrupted by SIGINT: 6 case(s) did not run"), "{stderr}");
}

#[test]
fn a_second_signal_abandons_cases_in_flight() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = slow_server(&rt, Duration::from_secs(20));
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let child = slow_run(dir.path(), &server, "60");
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, libc::SIGTERM);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(start.elapsed() < Duration::from_secs(15), "did not wait for the upstream: {:?}", start.elapsed());
    let r = read_json(&dir.path().join("reports/slow/results.json"));
    assert_eq!(r["interrupted"]["not_run"], 8, "{r}");
}

/// Whether `latest/` holds the four report files of one single run.
fn check_whole(latest: &Path) {
    if !latest.exists() {
        return;
    }
    let r = read_json(&latest.join("results.json"));
    let id = r["run_id"].as_str().unwrap();
    let summary = std::fs::read_to_string(latest.join("summary.md")).unwrap();
    let junit = std::fs::read_to_string(latest.join("junit.xml")).unwrap();
    let html = std::fs::read_to_string(latest.join("index.html")).unwrap();
    assert!(summary.contains(id) && junit.contains(&format!("llm-conform {id}")), "latest mixes runs");
    assert!(html.trim_end().ends_with("</html>"), "index.html is whole");
}

#[test]
fn a_kill_at_any_instant_leaves_latest_and_the_baseline_whole() {
    let out = tempfile::tempdir().unwrap();
    for (i, kill_after_ms) in [0u64, 40, 80, 120, 160, 200, 260, 330, 420, 600].into_iter().enumerate() {
        let mut child = bin()
            .current_dir(crate::common::root())
            .args(["run", "--provider", "openai,anthropic", "--suite", "basics,tools", "--no-snapshots"])
            .args(["--out", out.path().to_str().unwrap(), "--run-id", &format!("k{i}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        let _ = child.kill();
        let _ = child.wait();
        check_whole(&out.path().join("latest"));
        let baseline = out.path().join("baseline/results.json");
        if baseline.exists() {
            read_json(&baseline);
        }
    }
}
