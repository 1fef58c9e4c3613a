//! Live mode proven without the internet: fake providers for every wire family on 127.0.0.1,
//! fixtures recorded from them, replayed, and the same fingerprints come out. A canary key never
//! reaches anything written.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{options, record_against_fakes, replay, routed_excluded, suites};
use llm_conform::results::CaseStatus;
use llm_conform::runner::RunMode;
use llm_conform_core::api::ErrorKind;

const CANARY: &str = "sk-canary-llm-conform-4f3e2d1c0b9a8877";

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            all_files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[test]
fn record_from_fakes_then_replay_gives_identical_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let providers: Vec<String> =
        ["anthropic", "cohere", "gemini", "mistral", "openai"].iter().map(|s| s.to_string()).collect();
    let suites = suites();
    let recorded = record_against_fakes(&suites, &providers, dir.path(), CANARY);
    assert!(recorded.cases.len() > 300, "{} cases recorded", recorded.cases.len());
    let errors: Vec<String> = recorded
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Error)
        .map(|c| format!("{}: {}", c.case_id(), c.reason.as_deref().unwrap_or("")))
        .collect();
    assert!(errors.is_empty(), "recording failed:\n{}", errors.join("\n"));

    let replayed = replay(&suites, &providers, &routed_excluded(), options(RunMode::Replay, dir.path()));
    let by_id = |r: &llm_conform::results::RunResults| -> BTreeMap<String, _> {
        r.cases.iter().map(|c| (c.case_id(), (c.status, c.fingerprint.clone()))).collect()
    };
    let (a, b) = (by_id(&recorded), by_id(&replayed));
    assert_eq!(a.len(), b.len());
    for (id, rec) in &a {
        assert_eq!(Some(rec), b.get(id), "{id}: replay differs from the recording");
    }

    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    // A request the adapter refused before sending (an image for a text-only model) leaves none.
    let refused = |fp: &Option<llm_conform::fingerprint::Fingerprint>| {
        fp.as_ref()
            .and_then(|f| f.error.as_ref())
            .is_some_and(|e| e.kind == ErrorKind::Unsupported && e.status.is_none())
    };
    let sent = a.values().filter(|(_, fp)| !refused(fp)).count();
    assert!(files.len() >= sent, "{} fixtures for {sent} cases that sent a request", files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(CANARY), "{} contains the key", f.display());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["provenance"]["source"], "recorded");
    }
    for r in [&recorded, &replayed] {
        assert!(!serde_json::to_string(r).unwrap().contains(CANARY), "results contain the key");
    }
}
