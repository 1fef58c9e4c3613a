//! Case groups start in a window per provider, not all at once (issue 13, memory): a slow
//! provider must still never hold back a fast one, as one window shared by every provider would.

use std::sync::Arc;
use std::time::Duration;

use llm_conform::results::RunEvent;
use llm_conform::runner::{Filters, Plan, RunMode, Runner};
use llm_conform::suite::load_dir;
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::{KeyRef, KeyStore, Secret};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::options;

const SCENARIOS: usize = 12;

fn suite_text() -> String {
    let mut s = String::from("[suite]\ndescription = \"One-turn cases on two providers.\"\n");
    for i in 0..SCENARIOS {
        s.push_str(&format!(
            "\n[[scenario]]\nid = \"q{i:02}\"\ndescription = \"A question.\"\nmodes = [\"non_stream\"]\n\
             providers = [\"openai\", \"deepseek\"]\n[scenario.request]\n\
             messages = [{{ role = \"user\", content = \"Question {i}\" }}]\n[scenario.expect]\nfinish_reason = [\"stop\"]\n"
        ));
    }
    s
}

async fn upstream(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    let body = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1764547200, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body).set_delay(delay))
        .mount(&server)
        .await;
    server
}

#[test]
fn a_slow_provider_never_holds_back_a_fast_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("two.toml"), suite_text()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let order: Vec<String> = rt.block_on(async {
        let (slow, fast) = (upstream(Duration::from_millis(150)).await, upstream(Duration::ZERO).await);
        let keys = Arc::new(KeyStore::new(Duration::from_secs(1)));
        let mut catalog = Catalog::builtin();
        for (name, server) in [("openai", &slow), ("deepseek", &fast)] {
            let spec = catalog.get_mut(name).unwrap();
            spec.rebase(&server.uri());
            let key_ref = format!("env:TEST_WINDOW_{}_KEY", name.to_uppercase());
            spec.key = Some(key_ref.clone());
            keys.insert(KeyRef::parse(&key_ref).unwrap(), Secret::new("fake-window-test-key"));
        }
        let suites = load_dir(dir.path(), &catalog).unwrap();
        let providers = vec!["openai".to_string(), "deepseek".to_string()];
        let plan = Plan::build(&suites, &providers, &Filters::default(), None).unwrap();
        // One call at a time per provider, two in all: the slow provider's twelve cases take
        // 1.8 s one after the other, the fast one's a few milliseconds.
        let opts =
            llm_conform::runner::RunOptions { concurrency: 2, per_provider: 1, ..options(RunMode::Live, dir.path()) };
        let runner = Runner::new(catalog, opts, keys, true).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let results = runner.run(&plan, "windows", tx).await;
        assert_eq!(results.cases.len(), 2 * SCENARIOS);
        assert!(results.cases.iter().all(|c| c.status == llm_conform::results::CaseStatus::Pass), "{results:?}");
        let mut order = Vec::new();
        while let Some(e) = rx.recv().await {
            if let RunEvent::CaseFinished(c) = e {
                order.push(c.id.split('/').nth(2).unwrap_or_default().to_string());
            }
        }
        order
    });
    let slow_before_last_fast =
        order.iter().rposition(|p| p == "deepseek").map(|last| order[..last].iter().filter(|p| *p == "openai").count());
    assert!(
        slow_before_last_fast.is_some_and(|n| n <= 2),
        "the fast provider's cases wait for the slow one's: finished in the order {order:?}"
    );
}
