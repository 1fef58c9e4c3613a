//! The `run` and `list` commands as a user runs them: the offline replay of every shipped suite,
//! results files, exit codes, and located errors for bad suites.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llm-conform")).current_dir(dir).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn offline_replay_of_every_suite_writes_results_and_report() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = run_in(&crate::common::root(), &["run", "--out", out_dir.path().to_str().unwrap(), "--run-id", "t1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let latest = out_dir.path().join("latest");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(latest.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["schema"], 1);
    assert_eq!(results["run_id"], "t1");
    assert_eq!(results["mode"], "replay");
    let cases = results["cases"].as_array().unwrap();
    assert!(cases.len() >= 500);
    for key in [
        "suite",
        "scenario",
        "provider",
        "model",
        "stream",
        "tags",
        "status",
        "reason",
        "fingerprint",
        "ttft_ms",
        "total_ms",
        "usage",
        "cost_usd",
        "attempts",
    ] {
        assert!(cases[0].get(key).is_some(), "results.json case lacks `{key}`");
    }
    assert!(cases.iter().all(|c| matches!(c["status"].as_str(), Some("pass" | "xfail"))));
    let jsonl = std::fs::read_to_string(out_dir.path().join("t1/results.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), cases.len(), "every finished case is in results.jsonl");
    let html = std::fs::read_to_string(latest.join("index.html")).unwrap();
    assert!(html.contains("<table class=\"matrix\">"));
    assert!(stderr(&out).contains("report:"));
}

#[test]
fn filters_and_list() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = run_in(
        &crate::common::root(),
        &[
            "run",
            "--provider",
            "gemini",
            "--suite",
            "tools",
            "--scenario",
            "auto_*",
            "--only",
            "stream",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.path().join("latest/results.json")).unwrap()).unwrap();
    let ids: Vec<String> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}/{}/{}", c["scenario"].as_str().unwrap(), c["provider"].as_str().unwrap(), c["stream"]))
        .collect();
    assert_eq!(ids, vec!["auto_unused/gemini/true", "auto_used/gemini/true"]);

    let out = run_in(&crate::common::root(), &["list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("scenarios; providers: anthropic, cohere") && text.contains("matrix:"), "{text}");
}

#[test]
fn a_failing_case_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let fx = dir.path().join("fixtures/openai/basics");
    std::fs::create_dir_all(&fx).unwrap();
    let src = crate::common::root().join("fixtures/openai/basics/single_turn.json");
    let text = std::fs::read_to_string(src)
        .unwrap()
        .replace("\"finish_reason\": \"stop\"", "\"finish_reason\": \"content_filter\"");
    std::fs::write(fx.join("single_turn.json"), text).unwrap();
    let suites = crate::common::root().join("suites");
    let out = run_in(
        dir.path(),
        &[
            "run",
            "--suites-dir",
            suites.to_str().unwrap(),
            "--fixtures",
            "fixtures",
            "--suite",
            "basics",
            "--scenario",
            "single_turn",
            "--only",
            "non_stream",
            "--no-snapshots",
            "--out",
            "reports",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("finish_reason: expected stop, got content_filter"), "{}", stderr(&out));
}

#[test]
fn bad_suites_give_located_errors_and_exit_2() {
    let good = "[[scenario]]\nid = \"ok\"\n[scenario.request]\nmessages = [{ role = \"user\", content = \"hi\" }]\n";
    let cases = [
        ("syntax.toml", "[[scenario]]\nid = \"x\"\nthis is not toml\n", "syntax.toml:3:", "expected"),
        (
            "unknown_key.toml",
            &*format!("{good}[scenario.expect]\nfinish = [\"stop\"]\n"),
            "unknown_key.toml:6:",
            "unknown field `finish`",
        ),
        (
            "unknown_provider.toml",
            &*good.replace("id = \"ok\"", "id = \"ok\"\nproviders = [\"openia\"]"),
            "unknown_provider.toml:3:",
            "unknown provider `openia`",
        ),
        (
            "missing_field.toml",
            "[[scenario]]\nid = \"x\"\n[scenario.request]\ntemperature = 0.5\n",
            "missing_field.toml:3:",
            "missing field `messages`",
        ),
        ("duplicate.toml", &*format!("{good}{good}"), "duplicate.toml:6:", "duplicate scenario id `ok`"),
    ];
    for (file, text, location, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), text).unwrap();
        let out = run_in(
            &crate::common::root(),
            &["run", "--suites-dir", dir.path().to_str().unwrap(), "--out", dir.path().join("r").to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(location) && err.contains(message), "{file}: {err}");
    }
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        &["run", "--mode", "sideways"][..],
        &["run", "--shard", "4/3"],
        &["run", "--provider", "nope"],
        &["run", "--suite", "nope"],
        // Issue 9: bad numbers and run ids are usage errors, never a panic or a silent default.
        &["run", "-j", "0"],
        &["run", "-j", "18446744073709551615"],
        &["run", "--per-provider", "18446744073709551615"],
        &["run", "--timeout", "-1"],
        &["run", "--timeout", "nan"],
        &["run", "--timeout", "inf"],
        &["run", "--timeout", "1e300"],
        &["run", "--timeout", "0"],
        &["run", "--run-id", "../../x"],
        &["run", "--run-id", ""],
        &["run", "--run-id", "baseline"],
        &["run", "--run-id", "latest"],
        &["bench", "--timeout", "nan"],
        // Issue 10: a run that would run nothing says why instead of passing.
        &["run", "--scenario", "typo*"],
        &["run", "--provider", "xai"],
    ] {
        let out = run_in(&crate::common::root(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
}

#[test]
fn live_mode_without_keys_skips_or_names_the_missing_variable() {
    let dir = tempfile::tempdir().unwrap();
    let bare = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(crate::common::root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .args(args)
            .args(["--out", dir.path().to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = bare(&["run", "--mode", "live", "--provider", "anthropic", "--suite", "basics"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ANTHROPIC_API_KEY"), "{}", stderr(&out));

    // Issue 10 ("Nothing ran, and it is green"): every selected provider's missing key is named,
    // and the run does not start.
    let select = ["run", "--mode", "live", "--suite", "basics", "--scenario", "single_turn", "--only", "non_stream"];
    let out = bare(&select);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("openai (set OPENAI_API_KEY)") && stderr(&out).contains("--allow-missing-keys"));
    assert!(!dir.path().join("latest").exists(), "nothing was run or written");
    // Skipping them is allowed, but a run in which nothing ran still fails...
    let out = bare(&[&select[..], &["--allow-missing-keys"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing ran"), "{}", stderr(&out));
    // ... unless that is intended too. Skipped, with the reason, and nothing sent anywhere.
    let out = bare(&[&select[..], &["--allow-missing-keys", "--allow-empty"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("latest/results.json")).unwrap()).unwrap();
    let cases = results["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 12 && cases.iter().all(|c| c["provider"] != "ollama"),
        "keyless local servers run only when named"
    );
    for c in cases {
        assert_eq!(c["status"], "skipped", "{c}");
        assert!(c["reason"].as_str().unwrap().starts_with("no key: env:"), "{c}");
    }
}

/// Issue 9: `list | head -1` and friends ended with a broken-pipe panic (exit 101).
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let sample = crate::common::root().join("tests/provider-samples/openai/openai-text.chunks.txt");
    let sse: String = std::fs::read_to_string(&sample)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("data: {l}\n\n"))
        .collect::<String>()
        + "data: [DONE]\n\n";
    let dir = tempfile::tempdir().unwrap();
    let wire = dir.path().join("wire.sse");
    // Enough chunks that the output does not fit in the pipe's buffer.
    std::fs::write(&wire, sse.repeat(400)).unwrap();
    let wire = wire.to_str().unwrap().to_string();
    for args in [
        vec!["list"],
        vec!["providers", "--json"],
        vec!["decode", "--provider", "openai", "--stream", "--chunks", wire.as_str()],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(crate::common::root())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?} printed something");
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("internal error"), "{args:?}: {err}");
    }
}

/// Issue 10: colour where a person reads it (`--color always`, or a terminal without
/// `NO_COLOR`), never in pipes; `--quiet` keeps the totals and drops the chatter.
#[test]
fn colour_and_quiet() {
    let out = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(crate::common::root())
            .args(["run", "-p", "openai", "--suite", "basics", "--no-snapshots", "--out", out.path().to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let coloured = stderr(&run(&["--color", "always"]));
    assert!(coloured.contains("\x1b[32m"), "{coloured}");
    let piped = stderr(&run(&[]));
    assert!(!piped.contains('\x1b'), "no colour in a pipe: {piped}");
    assert!(piped.contains("report: "));
    let quiet = stderr(&run(&["-q"]));
    assert!(quiet.contains(" cases in ") && !quiet.contains("report: "), "{quiet}");
}
