//! Running the harness from tests: replay and record against fakes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use llm_conform::results::RunResults;
use llm_conform::runner::{Filters, Plan, RunMode, RunOptions, Runner};
use llm_conform::suite::MockBook;
use llm_conform::suite::{Suite, load_dir};
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::{KeyRef, KeyStore, Secret};
use llm_conform_fakes::FakeProvider;

pub fn suites() -> Vec<Suite> {
    load_dir(&crate::common::root().join("suites"), &Catalog::builtin()).unwrap()
}

pub fn fixture_providers(fixtures: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

pub fn options(mode: RunMode, fixtures: &Path) -> RunOptions {
    RunOptions {
        mode,
        concurrency: 32,
        per_provider: 8,
        timeout: Duration::from_secs(20),
        fixtures: fixtures.to_path_buf(),
        snapshots: None,
        snapshot_update: llm_conform::snapshot_update::SnapshotUpdate::No,
        provenance_source: "recorded".into(),
    }
}

/// Replays `suites` × `providers` from `fixtures`.
pub fn replay(suites: &[Suite], providers: &[String], filters: &Filters, opts: RunOptions) -> RunResults {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let plan = Plan::build(suites, providers, filters, None).unwrap();
        let runner = Runner::new(Catalog::builtin(), opts, Arc::new(KeyStore::new(Duration::from_secs(1))), false)
            .await
            .unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        runner.run(&plan, "test", tx).await
    })
}

/// Records `suites` × `providers` against fake providers into `fixtures`, with `key` as every
/// provider's key.
pub fn record_against_fakes(suites: &[Suite], providers: &[String], fixtures: &Path, key: &str) -> RunResults {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let book = Arc::new(MockBook::from_suites(suites, providers));
        let keys = Arc::new(KeyStore::new(Duration::from_secs(1)));
        let mut catalog = Catalog::builtin();
        let mut fakes = Vec::new();
        for name in providers {
            let spec = catalog.get_mut(name).unwrap();
            let fake = FakeProvider::start(name, spec.family, book.clone()).await;
            spec.rebase(&fake.uri());
            let key_ref = format!("env:TEST_FAKE_{}_KEY", name.to_uppercase().replace('-', "_"));
            spec.key = Some(key_ref.clone());
            keys.insert(KeyRef::parse(&key_ref).unwrap(), Secret::new(key));
            fakes.push(fake);
        }
        // Nothing leaves the machine: providers without a fake point at the discard port.
        for name in catalog.names().into_iter().filter(|n| !providers.contains(n)) {
            catalog.get_mut(&name).unwrap().rebase("http://127.0.0.1:9");
        }
        let plan = Plan::build(suites, providers, &routed_excluded(), None).unwrap();
        let runner = Runner::new(catalog, options(RunMode::Record, fixtures), keys, true).await.unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        runner.run(&plan, "record", tx).await
    })
}

/// Filters for runs on a subset of providers: routed scenarios need all their candidates.
pub fn routed_excluded() -> Filters {
    Filters { skip_routed: true, ..Filters::default() }
}

/// insta settings for the harness's snapshots: `tests/snapshots/`, named `<test>__<name>` as the
/// CLI expects, whichever module of the test binary asserts them.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}
