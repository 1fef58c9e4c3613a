//! The whole shipped matrix replayed offline: every scenario × provider × mode with a fixture.
//! Each case's fingerprint is asserted with insta (`tests/snapshots/`), and every case must pass
//! or fail as documented (xfail). The CLI compares live runs against these same snapshot files.

use crate::support::{fixture_providers, options, replay, suites};
use llm_conform::results::CaseStatus;
use llm_conform::runner::{Filters, RunMode};
use llm_conform::snapshot::SNAPSHOT_SOURCE;
use llm_conform::suite::{CaseId, Mode};

#[test]
fn every_case_conforms_and_matches_its_snapshot() {
    let fixtures = crate::common::root().join("fixtures");
    let providers = fixture_providers(&fixtures);
    assert!(providers.len() >= 8, "fixtures ship for at least eight providers: {providers:?}");
    let results = replay(&suites(), &providers, &Filters::default(), options(RunMode::Replay, &fixtures));
    assert!(results.cases.len() >= 500, "the matrix is complete: {} cases", results.cases.len());

    let problems: Vec<String> = results
        .cases
        .iter()
        .filter(|c| !matches!(c.status, CaseStatus::Pass | CaseStatus::Xfail))
        .map(|c| format!("{} {}: {}", c.status.as_str(), c.case_id(), c.reason.as_deref().unwrap_or("")))
        .collect();
    assert!(problems.is_empty(), "{} case(s) did not conform:\n{}", problems.len(), problems.join("\n"));

    crate::support::snapshot_settings().bind(|| {
        for c in &results.cases {
            let mode = if c.stream { Mode::Stream } else { Mode::NonStream };
            let id = CaseId::new(&c.suite, &c.scenario, &c.provider, mode);
            let fingerprint = c.fingerprint.as_ref().expect("a replayed case has a fingerprint");
            insta::assert_json_snapshot!(format!("{SNAPSHOT_SOURCE}__{}", id.snapshot_name()), fingerprint);
        }
    });
}
