//! The `bench` command as a user runs it: the structure of its results (histograms with counts
//! per provider and per scenario, error kinds, the HTML report), recorded timing in replay, and
//! exit code 2 for bad flags. Nothing here asserts that anything is fast.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llm-conform"))
        .current_dir(crate::common::root())
        .arg("bench")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn results(out: &Path, run_id: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join(run_id).join("results.json")).unwrap()).unwrap()
}

/// Percentiles are ordered, and the distribution accounts for every recorded value.
fn check_summary(s: &Value, count: u64) {
    assert_eq!(s["count"], count, "{s}");
    let get = |k: &str| s[k].as_f64().unwrap_or_else(|| panic!("summary lacks `{k}`: {s}"));
    let order = [get("min"), get("p50"), get("p90"), get("p95"), get("p99"), get("max")];
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "percentiles out of order: {s}");
    let buckets = s["distribution"].as_array().unwrap();
    assert!(!buckets.is_empty());
    assert_eq!(buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>(), count, "{s}");
}

#[test]
fn bench_records_histograms_per_provider_and_scenario() {
    let out = tempfile::tempdir().unwrap();
    let o = bench(&[
        "-n",
        "3",
        "--warmup",
        "0",
        "--suite",
        "basics",
        "--provider",
        "openai",
        "--out",
        out.path().to_str().unwrap(),
        "--run-id",
        "b1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = results(out.path(), "b1");
    assert_eq!(r["mode"], "replay");
    let cases = r["cases"].as_array().unwrap();
    let n = cases.len() as u64;
    let streams = cases.iter().filter(|c| c["stream"] == true).count() as u64;
    assert!(n >= 4 && streams >= 2, "basics has stream and non-stream cases: {n}, {streams}");
    let b = &r["bench"];
    assert_eq!(b["settings"]["mode"], "replay");
    assert_eq!(b["settings"]["repetitions"], 3);
    assert_eq!(b["settings"]["warmup"], 0);
    assert_eq!(b["settings"]["concurrency"], 1);
    assert_eq!(b["settings"]["cases_per_repetition"], n);
    assert_eq!(b["totals"]["calls"], 3 * n);
    assert_eq!(b["totals"]["errors"], 0);
    assert_eq!(b["totals"]["unexpected"], 0);
    let providers = b["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 1);
    let p = &providers[0];
    assert_eq!(p["provider"], "openai");
    assert_eq!(p["calls"], 3 * n);
    check_summary(&p["total_ms"], 3 * n);
    check_summary(&p["ttft_ms"], 3 * streams);
    assert!(p["tokens_per_s"]["count"].as_u64().unwrap() > 0);
    let rows = b["scenarios"].as_array().unwrap();
    assert_eq!(rows.len() as u64, n, "one row per scenario and mode");
    for row in rows {
        assert_eq!(row["provider"], "openai");
        assert!(row["scenario"].as_str().unwrap().starts_with("basics/"));
        assert_eq!(row["calls"], 3);
        check_summary(&row["total_ms"], 3);
        assert_eq!(row["ttft_ms"].is_object(), row["mode"] == "stream", "{row}");
    }
    let html = std::fs::read_to_string(out.path().join("latest/index.html")).unwrap();
    assert!(html.contains("openai"));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("PROVIDER") && table.contains("openai") && table.contains("p99"), "{table}");
}

#[test]
fn errors_are_counted_by_kind_and_kept_out_of_latency() {
    let out = tempfile::tempdir().unwrap();
    let o = bench(&[
        "-n",
        "1",
        "--warmup",
        "0",
        "--suite",
        "errors",
        "--scenario",
        "rate_limited_retry_after,html_500",
        "--only",
        "non_stream",
        "--provider",
        "openai",
        "--out",
        out.path().to_str().unwrap(),
        "--run-id",
        "e1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let b = &results(out.path(), "e1")["bench"];
    let p = &b["providers"][0];
    assert_eq!(p["calls"], 2);
    assert_eq!(p["errors"], 2);
    assert_eq!(p["unexpected"], 0, "the errors are what the scenarios expect");
    assert_eq!(p["error_kinds"]["rate_limited"], 1);
    assert_eq!(p["error_kinds"]["server_error"], 1);
    assert!(p.get("total_ms").is_none(), "failed calls are not latency samples: {p}");
}

#[test]
fn replay_timing_serves_events_at_their_recorded_offsets() {
    // A copy of one stream fixture whose events are 80 ms and 120 ms after the request: with
    // --replay-timing nothing can arrive earlier than that.
    let fixtures = tempfile::tempdir().unwrap();
    let rel = "openai/basics/single_turn.stream.json";
    let mut f: Value =
        serde_json::from_str(&std::fs::read_to_string(crate::common::root().join("fixtures").join(rel)).unwrap())
            .unwrap();
    let events = f["response"]["events"].as_array_mut().unwrap();
    for (i, e) in events.iter_mut().enumerate() {
        e["t_ms"] = if i == 0 { 80.0 } else { 120.0 }.into();
    }
    let dest = fixtures.path().join(rel);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(&dest, serde_json::to_string(&f).unwrap()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = bench(&[
        "-n",
        "2",
        "--warmup",
        "0",
        "--suite",
        "basics",
        "--scenario",
        "single_turn",
        "--only",
        "stream",
        "--provider",
        "openai",
        "--replay-timing",
        "--fixtures",
        fixtures.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--run-id",
        "t1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let b = &results(out.path(), "t1")["bench"];
    assert_eq!(b["settings"]["replay_timing"], true);
    let p = &b["providers"][0];
    assert_eq!(p["errors"], 0, "{p}");
    assert!(p["ttft_ms"]["min"].as_f64().unwrap() >= 79.0, "{p}");
    assert!(p["total_ms"]["min"].as_f64().unwrap() >= 119.0, "{p}");
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    for (args, says) in [
        (&["-n", "0"][..], "0"),
        (&["-c", "0"][..], "0"),
        (&["--mode", "fast"][..], "fast"),
        (&["--mode", "live", "--replay-timing"][..], "--replay-timing"),
        (&["--timeout=-1"][..], "timeout"),
        (&["--timeout", "0"][..], "timeout"),
        (&["--timeout", "nan"][..], "timeout"),
        (&["--provider", "no-such-provider"][..], "no-such-provider"),
        (&["--suite", "no_such_suite"][..], "no_such_suite"),
        (&["--scenario", "no_such_scenario_*"][..], "no cases"),
        (&["--fixtures", "/nonexistent/fixtures"][..], "/nonexistent/fixtures"),
    ] {
        let o = bench(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?} should mention {says:?}: {}", stderr(&o));
    }
}
