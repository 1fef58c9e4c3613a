//! What reporters receive while a run goes on: every finished case once, as the row the results
//! hold (shared, not a second copy of the run), then the end of the run with its counts only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use llm_conform::results::{CaseResult, RunEvent};
use llm_conform::runner::{Filters, Plan, RunMode, Runner};
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::KeyStore;

use crate::support::{options, suites};

#[test]
fn reporters_get_each_row_once_and_the_end_of_the_run_without_a_copy_of_it() {
    let fixtures = crate::common::root().join("fixtures");
    let suites: Vec<_> = suites().into_iter().filter(|s| s.name == "basics").collect();
    let providers = vec!["anthropic".to_string(), "openai".to_string()];
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (results, events) = rt.block_on(async {
        let plan = Plan::build(&suites, &providers, &Filters::default(), None).unwrap();
        let opts = options(RunMode::Replay, &fixtures);
        let keys = Arc::new(KeyStore::new(Duration::from_secs(1)));
        let runner = Runner::new(Catalog::builtin(), opts, keys, false).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let results = runner.run(&plan, "events", tx).await;
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        (results, events)
    });
    assert!(results.cases.len() >= 10, "{} cases", results.cases.len());
    assert!(
        matches!(&events[0], RunEvent::Started { run_id, total, .. } if run_id == "events" && *total == results.cases.len()),
        "{:?}",
        events[0]
    );
    match events.last() {
        Some(RunEvent::Finished { cases, interrupted }) => {
            assert_eq!((*cases, *interrupted), (results.cases.len(), false));
        }
        other => panic!("the last event is not Finished: {other:?}"),
    }
    let finished: Vec<&Arc<CaseResult>> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::CaseFinished(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), results.cases.len(), "one event per case");
    let by_id: BTreeMap<String, &CaseResult> = finished.iter().map(|c| (c.case_id(), c.as_ref())).collect();
    assert_eq!(by_id.len(), results.cases.len(), "no case reported twice");
    for row in &results.cases {
        assert_eq!(by_id.get(&row.case_id()).copied(), Some(row), "{}: the event row is the result row", row.case_id());
    }
}
