//! A live run compares fingerprints with the stored insta snapshots and writes drift as pending
//! `.snap.new` files for `cargo insta review`; `record-missing` records only what is missing.

use std::process::Command;
use std::sync::Arc;

use llm_conform::suite::MockBook;
use llm_conform_core::providers::WireFamily;
use llm_conform_fakes::FakeProvider;

/// One story in order, each step reading what the one before left on disk (snapshots, pending
/// files, fixtures): longer than most tests because its steps are not independent.
#[test]
fn live_drift_writes_pending_snapshots_and_record_missing_fills_gaps() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let suites = crate::support::suites();
    let book = Arc::new(MockBook::from_suites(&suites, &["openai".to_string()]));
    let fake = rt.block_on(FakeProvider::start("openai", WireFamily::Openai, book));
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    std::fs::create_dir_all(&snaps).unwrap();
    for e in std::fs::read_dir(crate::common::root().join("tests/snapshots")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("replay_matrix__basics__") && name.contains("__openai__") {
            std::fs::copy(e.path(), snaps.join(&name)).unwrap();
        }
    }
    // Last week's behaviour differed: the stored snapshot says the answer was cut off.
    let drifted = snaps.join("replay_matrix__basics__single_turn__openai__non_stream.snap");
    let text = std::fs::read_to_string(&drifted)
        .unwrap()
        .replace("\"finish_reason\": \"stop\"", "\"finish_reason\": \"length\"");
    std::fs::write(&drifted, text).unwrap();

    let config = dir.path().join("llm-conform.toml");
    std::fs::write(
        &config,
        format!("[run]\nsnapshots = \"{}\"\n[providers.openai]\nbase_url = \"{}/v1\"\n", snaps.display(), fake.uri()),
    )
    .unwrap();
    let run_with = |envs: &[(&str, &str)], args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(dir.path())
            .env_remove("INSTA_UPDATE")
            .env_remove("INSTA_PENDING_DIR")
            .envs(envs.iter().copied())
            .env("OPENAI_API_KEY", "test-key-not-real")
            .args(["--config", config.to_str().unwrap(), "run", "--provider", "openai", "--suite", "basics"])
            .args(["--suites-dir", crate::common::root().join("suites").to_str().unwrap(), "--out", "reports"])
            .args(args)
            .output()
            .unwrap()
    };
    let run = |args: &[&str]| run_with(&[("INSTA_UPDATE", "new")], args);
    // Issue 10: pending files follow INSTA_UPDATE as `cargo test` does: `no` writes nothing.
    let out = run_with(&[("INSTA_UPDATE", "no")], &["--mode", "live"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no pending snapshot was written"), "{stderr}");
    assert!(!stderr.contains("cargo insta review"), "review is suggested only when something is pending: {stderr}");
    assert!(!drifted.with_extension("snap.new").exists());
    // INSTA_PENDING_DIR moves them, keeping their place.
    let pending_dir = dir.path().join("pending");
    let out =
        run_with(&[("INSTA_UPDATE", "new"), ("INSTA_PENDING_DIR", pending_dir.to_str().unwrap())], &["--mode", "live"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 pending snapshot(s) written"));
    let moved = pending_dir.join("snapshots/replay_matrix__basics__single_turn__openai__non_stream.snap.new");
    assert!(moved.exists(), "{}", moved.display());
    // A replayed fingerprint that drifted fails the run, as `cargo test` fails.
    let fixtures = crate::common::root().join("fixtures");
    let out = run_with(&[("INSTA_UPDATE", "no")], &["--fixtures", fixtures.to_str().unwrap(), "--only", "non_stream"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run(&["--mode", "live"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "drift alone is not a failure: {stderr}");
    assert!(stderr.contains("1 fingerprint(s) drifted"), "{stderr}");
    assert!(stderr.contains("review with `cargo insta review`"), "{stderr}");
    let pending = drifted.with_extension("snap.new");
    let new = insta::Snapshot::from_file(&pending).expect("a pending snapshot insta can read");
    assert!(new.contents().as_text().unwrap().to_string().contains("\"finish_reason\": \"stop\""));
    let pendings = std::fs::read_dir(&snaps)
        .unwrap()
        .flatten()
        .filter(|e| e.path().to_string_lossy().ends_with(".snap.new"))
        .count();
    assert_eq!(pendings, 1, "only the drifted case is pending");

    // record-missing: one fixture exists and is replayed untouched, the rest are recorded.
    let fx = dir.path().join("fixtures/openai/basics");
    std::fs::create_dir_all(&fx).unwrap();
    let kept = fx.join("unicode_round_trip.json");
    std::fs::copy(crate::common::root().join("fixtures/openai/basics/unicode_round_trip.json"), &kept).unwrap();
    let before = std::fs::read_to_string(&kept).unwrap();
    let out = run(&["--mode", "record-missing", "--fixtures", "fixtures", "--no-snapshots"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), before, "an existing fixture is not re-recorded");
    let recorded = std::fs::read_dir(&fx).unwrap().count();
    assert_eq!(recorded, 16, "8 scenarios × 2 modes");
    let fresh: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx.join("single_turn.json")).unwrap()).unwrap();
    assert_eq!(fresh["provenance"]["source"], "recorded");
    drop(fake);
}
