//! `synthesize-fixtures`: record every scenario against the built-in fake providers. Only in
//! builds with the `fakes` feature, so the release binary carries no fake provider code.

use super::args::{GlobalArgs, SynthesizeArgs};

#[cfg(not(feature = "fakes"))]
pub fn run(_global: &GlobalArgs, _args: SynthesizeArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!(
        "this build has no fake providers; synthesize fixtures with `cargo run --features fakes -- synthesize-fixtures`"
    )
}

#[cfg(feature = "fakes")]
pub use with_fakes::run;

#[cfg(feature = "fakes")]
mod with_fakes {
    use std::process::ExitCode;
    use std::sync::Arc;
    use std::time::Duration;

    use anyhow::Context;
    use llm_conform_core::secrets::{KeyRef, KeyStore, Secret};
    use llm_conform_fakes::FakeProvider;

    use super::super::EXIT_FAILURE;
    use super::super::console::errln;
    use super::super::selection::{SHIPPED_PROVIDERS, select};
    use super::{GlobalArgs, SynthesizeArgs};
    use crate::runner::{Plan, RunMode, RunOptions, Runner};
    use crate::suite::MockBook;

    /// The key fakes are called with; it is scrubbed from fixtures like a real one.
    const FAKE_KEY: &str = "fake-key-for-synthesized-fixtures";

    pub fn run(global: &GlobalArgs, args: SynthesizeArgs) -> anyhow::Result<ExitCode> {
        let sel = select(global, &args.filter)?;
        let providers: Vec<String> = if args.filter.providers.is_empty() {
            SHIPPED_PROVIDERS.iter().map(|s| s.to_string()).collect()
        } else {
            args.filter.providers.clone()
        };
        let plan = Plan::build(&sel.suites, &providers, &sel.filters, None)?;
        let rt =
            tokio::runtime::Builder::new_multi_thread().enable_all().build().context("failed to start the runtime")?;
        let results = rt.block_on(async {
            let book = Arc::new(MockBook::from_suites(&sel.suites, &providers));
            let keys = Arc::new(KeyStore::new(Duration::from_secs(5)));
            let mut catalog = sel.catalog.clone();
            let mut fakes = Vec::new();
            for name in &providers {
                let spec = catalog.get_mut(name).with_context(|| format!("unknown provider `{name}`"))?;
                let fake = FakeProvider::for_spec(spec, book.clone()).await;
                spec.rebase(&fake.uri());
                let key_ref = format!("env:LLM_CONFORM_FAKE_{}", name.to_ascii_uppercase().replace('-', "_"));
                spec.key = Some(key_ref.clone());
                keys.insert(KeyRef::parse(&key_ref)?, Secret::new(FAKE_KEY));
                fakes.push(fake);
            }
            // Nothing leaves the machine: providers without a fake point at the discard port.
            for name in catalog.names().into_iter().filter(|n| !providers.contains(n)) {
                if let Some(spec) = catalog.get_mut(&name) {
                    spec.rebase("http://127.0.0.1:9");
                }
            }
            let options = RunOptions {
                mode: RunMode::Record,
                concurrency: 16,
                per_provider: 8,
                timeout: Duration::from_secs(30),
                fixtures: sel.fixtures.clone(),
                snapshots: None,
                snapshot_update: crate::snapshot_update::SnapshotUpdate::No,
                provenance_source: "synthesized".into(),
            };
            let runner = Runner::new(catalog, options, keys, true).await?;
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let results = runner.run(&plan, "synthesize", tx).await;
            drop(fakes);
            anyhow::Ok(results)
        })?;
        let mut bad = 0;
        for c in &results.cases {
            if c.status.is_problem() {
                bad += 1;
                errln!("{:<6} {}: {}", c.status.as_str(), c.case_id(), c.reason.as_deref().unwrap_or(""));
            }
        }
        errln!(
            "wrote {} fixture(s) under {} for {} provider(s); {} case(s) did not meet their expectations against the fakes",
            results.cases.iter().filter(|c| c.status != crate::results::CaseStatus::Error).count(),
            sel.fixtures.display(),
            providers.len(),
            bad
        );
        Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILURE) })
    }
}
