//! What a command works on: config, catalog, suites, providers and filters, resolved once.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{FilterArgs, GlobalArgs};
use crate::config::Config;
use crate::runner::Filters;
use crate::suite::{Mode, ROUTER_PROVIDER, Suite, load_dir};
use llm_conform_core::providers::Catalog;
use llm_conform_core::secrets::KeyStore;

/// The providers fixtures are shipped for, the default of `synthesize-fixtures`.
#[cfg(feature = "fakes")]
pub const SHIPPED_PROVIDERS: &[&str] =
    &["anthropic", "cohere", "deepseek", "gemini", "groq", "mistral", "openai", "openrouter", "qwen"];

pub struct Selection {
    pub config: Config,
    pub catalog: Catalog,
    pub suites: Vec<Suite>,
    pub fixtures: PathBuf,
    pub filters: Filters,
}

pub fn select(global: &GlobalArgs, f: &FilterArgs) -> anyhow::Result<Selection> {
    let config = Config::load(&global.config, global.config != Path::new("llm-conform.toml"))?;
    let catalog = config.catalog()?;
    for p in f.providers.iter().filter(|p| *p != ROUTER_PROVIDER) {
        catalog.get(p)?;
    }
    let suites_dir = f.suites_dir.clone().unwrap_or_else(|| config.run.suites.clone());
    let suites = load_dir(&suites_dir, &catalog)?;
    let fixtures = f.fixtures.clone().unwrap_or_else(|| config.run.fixtures.clone());
    let filters = Filters {
        suites: f.suites.clone(),
        scenarios: f.scenarios.clone(),
        tags: f.tags.clone(),
        modes: f.only.as_deref().and_then(Mode::parse).into_iter().collect(),
        skip_routed: !f.providers.is_empty() && !f.providers.iter().any(|p| p == ROUTER_PROVIDER),
    };
    Ok(Selection { config, catalog, suites, fixtures, filters })
}

/// Providers that have fixtures: the subdirectories of the fixture root that name a provider.
pub fn providers_with_fixtures(fixtures: &Path, catalog: &Catalog) -> anyhow::Result<Vec<String>> {
    let rd = std::fs::read_dir(fixtures)
        .with_context(|| format!("failed to read fixture directory {}", fixtures.display()))?;
    let mut out: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| catalog.get(n).is_ok())
        .collect();
    out.sort();
    Ok(out)
}

/// Registers the keys of every configured provider that can be read without running anything
/// (`env:` and `file:` references), so commands that never call a provider — `decode`, `encode`,
/// `report` — still scrub them from what they print and refuse to write them.
pub fn register_configured_keys(catalog: &Catalog) {
    for spec in catalog.iter() {
        if let Ok(r) = spec.key_reference()
            && !matches!(r, llm_conform_core::secrets::KeyRef::Cmd(_))
            && let Ok(Some(secret)) = r.resolve(std::time::Duration::from_secs(1))
        {
            llm_conform_core::secrets::register(secret.expose());
        }
    }
}

/// Live and record runs: the selected providers whose key is missing, each with the variable or
/// reference that would provide it (`openai (set OPENAI_API_KEY)`).
pub fn missing_keys(providers: &[String], catalog: &Catalog, keys: &KeyStore) -> anyhow::Result<Vec<String>> {
    let mut missing = Vec::new();
    for name in providers.iter().filter(|p| *p != ROUTER_PROVIDER) {
        let spec = catalog.get(name)?;
        if !spec.needs_key() {
            continue;
        }
        let context = || format!("provider `{name}` (`providers.{name}.key`)");
        let r = spec.key_reference().with_context(context)?;
        if keys.get(&r).with_context(context)?.is_none() {
            let how = match &r {
                llm_conform_core::secrets::KeyRef::Env(v) => format!("set {v}"),
                other => format!("provide {}", other.describe()),
            };
            missing.push(format!("{name} ({how})"));
        }
    }
    Ok(missing)
}
