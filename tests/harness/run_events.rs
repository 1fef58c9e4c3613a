//! What reporters receive while a run goes on: every finished case once, with its verdict and
//! its row as the line results.jsonl holds (not a second copy of the row), then the end of the
//! run with its counts only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use llm_conform::results::{FinishedCase, RunEvent};
use llm_conform::runner::{Filters, Plan, RunMode, Runner};
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::KeyStore;

use crate::support::{options, suites};

#[test]
fn reporters_get_each_case_once_as_its_jsonl_line_and_the_end_of_the_run_as_counts() {
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
    let finished: Vec<&FinishedCase> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::CaseFinished(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), results.cases.len(), "one event per case");
    let by_id: BTreeMap<&str, &FinishedCase> = finished.iter().map(|c| (c.id.as_str(), *c)).collect();
    assert_eq!(by_id.len(), results.cases.len(), "no case reported twice");
    for row in &results.cases {
        let id = row.case_id();
        let event = by_id.get(id.as_str()).unwrap_or_else(|| panic!("no event for {id}"));
        assert_eq!((event.status, event.reason.as_ref()), (row.status, row.reason.as_ref()), "{id}");
        assert_eq!(event.row_json.as_deref(), Ok(serde_json::to_string(row).unwrap().as_str()), "{id}");
    }
}
