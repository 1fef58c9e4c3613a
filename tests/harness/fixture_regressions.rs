//! A fixture changed behind the harness's back is caught: the case fails with a readable
//! difference, and the fingerprint drifts from its snapshot.

use std::path::Path;

use crate::support::{options, replay, suites};
use llm_conform::results::{CaseStatus, SnapshotState};
use llm_conform::runner::{Filters, RunMode};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn changed_finish_reason_fails_with_a_readable_difference() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&crate::common::root().join("fixtures/openai/tools"), &dir.path().join("openai/tools"));
    let path = dir.path().join("openai/tools/required.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"finish_reason\": \"tool_calls\""), "fixture shape changed: {text}");
    std::fs::write(&path, text.replace("\"finish_reason\": \"tool_calls\"", "\"finish_reason\": \"length\"")).unwrap();

    let filters = Filters {
        suites: vec!["tools".into()],
        scenarios: vec!["required".into()],
        tags: vec![],
        modes: vec![],
        skip_routed: true,
    };
    let mut opts = options(RunMode::Replay, dir.path());
    opts.snapshots = Some(crate::common::root().join("tests/snapshots"));
    let results = replay(&suites(), &["openai".to_string()], &filters, opts);
    let case = results.cases.iter().find(|c| !c.stream).unwrap();
    assert_eq!(case.status, CaseStatus::Fail);
    let reason = case.reason.as_deref().unwrap();
    assert!(reason.contains("finish_reason: expected tool_calls, got length"), "{reason}");
    assert_eq!(case.snapshot, Some(SnapshotState::Drift));
    let diff = case.snapshot_diff.as_deref().unwrap();
    assert!(
        diff.contains("-  \"finish_reason\": \"tool_calls\"") && diff.contains("+  \"finish_reason\": \"length\""),
        "{diff}"
    );
    // Issue 10 ("Diffs ... blamed on the right side"): the disagreement is blamed on the call
    // that deviates, after its own expectation failure; the untouched stream twin still passes.
    let (expectation, disagreement) = (reason.find("finish_reason:").unwrap(), reason.find("disagree").unwrap());
    assert!(expectation < disagreement, "{reason}");
    assert!(reason.contains("the non_stream call deviates from its expectations"), "{reason}");
    assert!(reason.contains("--- non_stream\n+++ stream"), "{reason}");
    let twin = results.cases.iter().find(|c| c.stream).unwrap();
    assert_eq!(twin.status, CaseStatus::Pass, "{:?}", twin.reason);
}

#[test]
fn changed_request_encoding_is_a_replay_error_naming_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&crate::common::root().join("fixtures/anthropic/basics"), &dir.path().join("anthropic/basics"));
    let path = dir.path().join("anthropic/basics/single_turn.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["request"]["body"]["max_tokens"] = serde_json::json!(1);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let filters = Filters {
        suites: vec!["basics".into()],
        scenarios: vec!["single_turn".into()],
        tags: vec![],
        modes: vec![],
        skip_routed: true,
    };
    let results = replay(&suites(), &["anthropic".to_string()], &filters, options(RunMode::Replay, dir.path()));
    let case = results.cases.iter().find(|c| !c.stream).unwrap();
    assert_eq!(case.status, CaseStatus::Error);
    let reason = case.reason.as_deref().unwrap();
    assert!(reason.contains("request body differs from fixture") && reason.contains("single_turn.json"), "{reason}");
    assert!(reason.contains("max_tokens"), "the diff shows the field: {reason}");
}

#[test]
fn missing_fixture_names_the_file_and_the_record_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("openai")).unwrap();
    let filters = Filters {
        suites: vec!["basics".into()],
        scenarios: vec!["single_turn".into()],
        tags: vec![],
        modes: vec![],
        skip_routed: true,
    };
    let results = replay(&suites(), &["openai".to_string()], &filters, options(RunMode::Replay, dir.path()));
    assert_eq!(results.cases.len(), 2);
    for c in &results.cases {
        assert_eq!(c.status, CaseStatus::Error);
        let r = c.reason.as_deref().unwrap();
        assert!(r.contains("openai/basics/single_turn") && r.contains("llm-conform run --mode record-missing"), "{r}");
    }
}
