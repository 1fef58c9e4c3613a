//! `run` with a baseline, `report` and `report merge`, through the binary: every baseline class
//! with its exit code, the default baseline kept between runs, bad input, and sharding.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llm-conform")).current_dir(dir).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn case(scenario: &str, provider: &str, status: &str, total_ms: f64) -> Value {
    json!({
        "suite": "basics", "scenario": scenario, "provider": provider, "model": "m", "stream": false,
        "tags": [], "status": status, "reason": if status == "pass" { Value::Null } else { json!(format!("{scenario} went wrong")) },
        "fingerprint": {"outcome": "success", "finish_reason": "stop", "content": {"present": true}, "usage": true},
        "ttft_ms": null, "total_ms": total_ms, "usage": null, "cost_usd": null, "attempts": [],
    })
}

fn write_results(path: &Path, mode: &str, cases: Vec<Value>) {
    let r = json!({"schema": 1, "run_id": path.file_stem().unwrap().to_str().unwrap(), "mode": mode,
        "started_at": "2026-11-20T05:17:00Z", "duration_ms": 1000.0, "cases": cases});
    std::fs::write(path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
}

/// `report --results cur.json --baseline base.json`: returns the exit code and summary.md.
fn report(dir: &Path, mode: &str, base: Vec<Value>, cur: Vec<Value>, extra: &[&str]) -> (i32, String) {
    write_results(&dir.join("base.json"), mode, base);
    write_results(&dir.join("cur.json"), mode, cur);
    let mut args = vec!["report", "--results", "cur.json", "--baseline", "base.json", "-o", "out"];
    args.extend_from_slice(extra);
    let out = cli(dir, &args);
    let code = out.status.code().unwrap();
    assert!(code != 2, "{}", stderr(&out));
    (code, read(&dir.join("out/summary.md")))
}

fn count(md: &str, label: &str) -> usize {
    let prefix = format!("| {label} | ");
    md.lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|r| r.trim_end_matches(" |").parse().ok()))
        .unwrap_or_else(|| panic!("no `{label}` count in\n{md}"))
}

#[test]
fn every_baseline_class_and_its_exit_code() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let p = |s| case(s, "openai", "pass", 10.0);

    // Unchanged: exit 0.
    let (code, md) = report(dir, "replay", vec![p("a"), p("b")], vec![p("a"), p("b")], &[]);
    assert_eq!(code, 0);
    assert!(md.contains("No regressions.") && count(&md, "unchanged") == 2, "{md}");

    // A new failure (pass → fail) is a regression: exit 1, listed with what differed.
    let (code, md) = report(dir, "replay", vec![p("a"), p("b")], vec![p("a"), case("b", "openai", "fail", 10.0)], &[]);
    assert_eq!(code, 1);
    assert_eq!(count(&md, "new failures"), 1);
    assert!(md.contains("| `basics/b/openai/non_stream` | ✓ pass | ✗ fail | b went wrong |"), "{md}");
    // xfail → error and pass → xpass are new failures too.
    let (code, md) = report(
        dir,
        "replay",
        vec![case("a", "openai", "xfail", 10.0), p("b")],
        vec![case("a", "openai", "error", 10.0), case("b", "openai", "xpass", 10.0)],
        &[],
    );
    assert_eq!((code, count(&md, "new failures")), (1, 2));

    // Fixed: exit 0, the old reason kept.
    let (code, md) = report(dir, "replay", vec![case("a", "openai", "fail", 10.0)], vec![p("a")], &[]);
    assert_eq!(code, 0);
    assert_eq!(count(&md, "fixed"), 1);
    assert!(md.contains("was: a went wrong"), "{md}");

    // Still failing: not a regression, but the run has a problem, so exit 1 as before.
    let (code, md) =
        report(dir, "replay", vec![case("a", "openai", "fail", 10.0)], vec![case("a", "openai", "error", 10.0)], &[]);
    assert_eq!((code, count(&md, "still failing"), count(&md, "new failures")), (1, 1, 0));

    // Fingerprint drift: same status, changed fingerprint: exit 0, the changed field named, the
    // diff in the HTML.
    let mut drifted = p("a");
    drifted["fingerprint"]["finish_reason"] = json!("length");
    let (code, md) = report(dir, "replay", vec![p("a")], vec![drifted], &[]);
    assert_eq!((code, count(&md, "fingerprint drift")), (0, 1));
    assert!(md.contains("finish_reason: stop → length"), "{md}");
    let html = read(&dir.join("out/index.html"));
    assert!(html.contains("+  &quot;finish_reason&quot;: &quot;length&quot;"), "the diff is in the HTML");

    // New and removed cases: exit 0.
    let (code, md) = report(dir, "replay", vec![p("a"), p("gone")], vec![p("a"), p("fresh")], &[]);
    assert_eq!(code, 0);
    assert_eq!((count(&md, "new cases"), count(&md, "removed cases")), (1, 1));
    assert!(
        md.contains("- `basics/fresh/openai/non_stream` ✓ pass") && md.contains("- `basics/gone/openai/non_stream`")
    );

    // Not run: ran last time, skipped now.
    let (code, md) = report(dir, "live", vec![p("a")], vec![case("a", "openai", "skipped", 0.0)], &[]);
    assert_eq!((code, count(&md, "not run this time")), (0, 1));

    // Latency: p95 200 ms → 400 ms is a regression (exit 1) at the default 25%, not at 150%.
    let slow = |ms| (0..20).map(|i| case(&format!("s{i}"), "gemini", "pass", ms)).collect::<Vec<_>>();
    let (code, md) = report(dir, "live", slow(200.0), slow(400.0), &[]);
    assert_eq!((code, count(&md, "latency regressions")), (1, 1));
    assert!(md.contains("| gemini | 200.1 ms | 400.1 ms | +100% | ✗ regression |"), "{md}");
    let (code, md) = report(dir, "live", slow(200.0), slow(400.0), &["--latency-threshold", "1.5"]);
    assert_eq!((code, count(&md, "latency regressions")), (0, 0));
    // A few milliseconds more is noise, whatever the share.
    let (code, _) = report(dir, "live", slow(2.0), slow(8.0), &[]);
    assert_eq!(code, 0);
    // Replay latencies are not compared with live ones.
    write_results(&dir.join("live.json"), "live", slow(200.0));
    write_results(&dir.join("replay.json"), "replay", slow(400.0));
    let out = cli(dir, &["report", "--results", "replay.json", "--baseline", "live.json", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("latency not compared"), "{}", stderr(&out));

    // Without a baseline, re-rendering gives the run's own verdict.
    let out = cli(dir, &["report", "--results", "cur.json", "-o", "plain"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for f in ["results.json", "index.html", "junit.xml", "summary.md"] {
        assert!(dir.join("plain").join(f).is_file(), "{f}");
    }
}

#[test]
fn bad_input_is_exit_2_naming_the_file_and_the_field() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_results(&dir.join("good.json"), "replay", vec![case("a", "openai", "pass", 1.0)]);
    let mut bad: Value = serde_json::from_str(&read(&dir.join("good.json"))).unwrap();
    bad["cases"][0]["status"] = json!("passed");
    std::fs::write(dir.join("bad.json"), bad.to_string()).unwrap();
    std::fs::write(dir.join("junit.xml"), "<testsuites/>").unwrap();
    let cases: [(&[&str], &[&str]); 5] = [
        (&["report", "--results", "missing.json"], &["failed to read missing.json"]),
        (&["report", "--results", "bad.json"], &["bad.json is not a results.json", "`cases[0].status`", "passed"]),
        (&["report", "--results", "junit.xml"], &["junit.xml is not a results.json"]),
        (&["report", "--results", "good.json", "--baseline", "nope/"], &["failed to read nope/"]),
        (&["report", "merge", "good.json", "bad.json", "-o", "m"], &["bad.json", "`cases[0].status`"]),
    ];
    for (args, wants) in cases {
        let out = cli(dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        for w in wants {
            assert!(stderr(&out).contains(w), "{args:?}: want {w:?} in {}", stderr(&out));
        }
    }
    let out = cli(dir, &["report"]);
    assert_eq!(out.status.code(), Some(2));
    // An explicit baseline that cannot be read stops `run` before it runs anything.
    let missing = dir.join("missing.json");
    let out = cli(
        &crate::common::root(),
        &[
            "run",
            "--baseline",
            missing.to_str().unwrap(),
            "--suite",
            "basics",
            "--out",
            dir.join("r").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("failed to read {}", missing.display())), "{}", stderr(&out));
    assert!(!dir.join("r/latest").exists());
}

/// Copies the shipped openai `basics` fixtures into `dir/fixtures`.
fn copy_fixtures(dir: &Path) {
    let from = crate::common::root().join("fixtures/openai/basics");
    let to = dir.join("fixtures/openai/basics");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn run_compares_with_the_previous_run_and_keeps_it_as_the_baseline() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    copy_fixtures(dir);
    let suites = crate::common::root().join("suites");
    let run = |id: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--suites-dir",
            suites.to_str().unwrap(),
            "--fixtures",
            "fixtures",
            "--suite",
            "basics",
            "--no-snapshots",
            "--out",
            "reports",
            "--run-id",
            id,
        ];
        args.extend_from_slice(extra);
        cli(dir, &args)
    };
    let baseline = dir.join("reports/baseline/results.json");

    let first = run("first", &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stderr(&first).contains("no baseline to compare with"), "{}", stderr(&first));
    for f in ["results.json", "results.jsonl", "index.html", "junit.xml", "summary.md"] {
        assert!(dir.join("reports/first").join(f).is_file() && dir.join("reports/latest").join(f).is_file(), "{f}");
    }
    let kept: Value = serde_json::from_str(&read(&baseline)).unwrap();
    assert_eq!(kept["run_id"], "first");

    // Break one fixture: the next run finds a regression against the first and exits 1.
    let fx = dir.join("fixtures/openai/basics/single_turn.json");
    let broken = read(&fx).replace("\"finish_reason\": \"stop\"", "\"finish_reason\": \"content_filter\"");
    std::fs::write(&fx, broken).unwrap();
    let second = run("second", &["--no-update-baseline"]);
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let err = stderr(&second);
    assert!(err.contains("compared with baseline first"), "{err}");
    assert!(err.contains("regression  basics/single_turn/openai/non_stream: pass -> fail"), "{err}");
    let md = read(&dir.join("reports/latest/summary.md"));
    // Only the edited non-stream case fails: its untouched stream twin is not blamed (issue 10).
    assert!(md.contains("### ✗ New failures (1)"), "{md}");
    let html = read(&dir.join("reports/latest/index.html"));
    assert!(html.contains("Regressions since the baseline"));
    let junit = read(&dir.join("reports/latest/junit.xml"));
    assert!(junit.contains("regression (was pass): fail: finish_reason: expected stop, got content_filter"), "{junit}");
    // --no-update-baseline kept the first run.
    let kept: Value = serde_json::from_str(&read(&baseline)).unwrap();
    assert_eq!(kept["run_id"], "first");

    // Without the flag the failing run becomes the baseline: the failure is now "still failing".
    assert_eq!(run("third", &[]).status.code(), Some(1));
    let fourth = run("fourth", &[]);
    assert_eq!(fourth.status.code(), Some(1));
    assert!(stderr(&fourth).contains("compared with baseline third"), "{}", stderr(&fourth));
    assert!(stderr(&fourth).contains("0 regression, 0 fixed, 1 still_failing"), "{}", stderr(&fourth));

    // A filtered run compares only what it selected and folds itself into the baseline.
    let partial = run("partial", &["--scenario", "multi_turn"]);
    assert_eq!(partial.status.code(), Some(0), "{}", stderr(&partial));
    assert!(stderr(&partial).contains("0 removed"), "{}", stderr(&partial));
    let kept: Value = serde_json::from_str(&read(&baseline)).unwrap();
    let n_fourth: Value = serde_json::from_str(&read(&dir.join("reports/fourth/results.json"))).unwrap();
    assert_eq!(kept["cases"].as_array().unwrap().len(), n_fourth["cases"].as_array().unwrap().len());
}

/// case id → (status, fingerprint)
fn verdicts(results: &Value) -> BTreeMap<String, (Value, Value)> {
    let mut map = BTreeMap::new();
    for c in results["cases"].as_array().unwrap() {
        let id = format!(
            "{}/{}/{}/{}",
            c["suite"].as_str().unwrap(),
            c["scenario"].as_str().unwrap(),
            c["provider"].as_str().unwrap(),
            c["stream"]
        );
        assert!(map.insert(id.clone(), (c["status"].clone(), c["fingerprint"].clone())).is_none(), "{id} twice");
    }
    map
}

#[test]
fn shards_cover_every_case_once_and_merge_to_the_unsharded_run() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let root = crate::common::root();
    let run = |out: &str, shard: Option<&str>| {
        let mut args = vec!["run", "--suite", "basics,tools", "--no-snapshots", "--out"];
        let out_path = dir.join(out);
        let out_str = out_path.to_str().unwrap().to_string();
        args.push(&out_str);
        if let Some(s) = shard {
            args.extend(["--shard", s]);
        }
        let o = cli(&root, &args);
        assert_eq!(o.status.code(), Some(0), "{shard:?}: {}", stderr(&o));
        serde_json::from_str::<Value>(&read(&out_path.join("latest/results.json"))).unwrap()
    };
    let whole = verdicts(&run("whole", None));
    let mut union = BTreeMap::new();
    let mut sizes = Vec::new();
    for k in 1..=3 {
        let shard = run(&format!("shard{k}"), Some(&format!("{k}/3")));
        assert!(shard["run_id"].as_str().unwrap().ends_with(&format!("-shard{k}of3")));
        let v = verdicts(&shard);
        sizes.push(v.len());
        for (id, verdict) in v {
            assert!(union.insert(id.clone(), verdict).is_none(), "{id} is in two shards");
        }
    }
    assert_eq!(union.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>(), "every case exactly once");
    let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(max - min <= 2 * 2, "shards are even (groups of up to two modes): {sizes:?}");

    let shard_files: Vec<String> =
        (1..=3).map(|k| dir.join(format!("shard{k}/latest/results.json")).to_str().unwrap().to_string()).collect();
    let mut args = vec!["report", "merge"];
    args.extend(shard_files.iter().map(String::as_str));
    args.extend(["-o", "merged"]);
    let out = cli(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: Value = serde_json::from_str(&read(&dir.join("merged/results.json"))).unwrap();
    assert_eq!(verdicts(&merged), whole, "the merge is the unsharded run, case for case");
    assert_eq!(merged["mode"], "replay");
    assert!(!merged["run_id"].as_str().unwrap().contains("shard"), "{}", merged["run_id"]);
    for f in ["index.html", "junit.xml", "summary.md"] {
        assert!(dir.join("merged").join(f).is_file(), "{f}");
    }
    // The merge compared with the unsharded run finds nothing changed.
    let mut args = vec!["report", "merge"];
    args.extend(shard_files.iter().map(String::as_str));
    let whole_results = dir.join("whole/latest");
    args.extend(["--baseline", whole_results.to_str().unwrap(), "-o", "merged2"]);
    let out = cli(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 regression, 0 fixed, 0 still_failing, 0 drift, 0 new, 0 removed"),
        "{}",
        stderr(&out)
    );

    // Overlapping shards are refused, naming the case and both files.
    let out = cli(dir, &["report", "merge", &shard_files[0], &shard_files[1], &shard_files[0], "-o", "dup"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("failed to merge: case basics/") && err.contains("shards must not overlap"), "{err}");
}
