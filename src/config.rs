//! `llm-conform.toml`: provider overrides and additions, run settings.
//!
//! Every section is optional; a missing file means the built-in catalog and defaults. Unknown
//! keys are errors, reported with the file, line and column, because a misspelt key silently
//! ignored is a setting the user believes is in force.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::toml_location::{locate, located};

use llm_conform_core::providers::{Catalog, CatalogError};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub run: RunSettings,
    /// Catalog overrides and new providers, merged key by key into the built-in catalog.
    #[serde(default)]
    pub providers: toml::Table,
    /// The routing policy; defaults derive its tiers from the catalog.
    #[serde(default)]
    pub router: llm_conform_core::router::RouterPolicy,
    /// `llm-conform serve`: listen address, client keys, body cap, deadline, grace period.
    #[serde(default)]
    pub serve: llm_conform_gateway::ServeConfig,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Providers a run covers when none are named on the command line.
    #[serde(default)]
    pub providers: Option<Vec<String>>,
    /// Cases in flight at once, across providers.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Cases in flight at once against one provider.
    #[serde(default = "default_per_provider")]
    pub per_provider: usize,
    /// Whole-call deadline in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    #[serde(default = "default_suites")]
    pub suites: PathBuf,
    #[serde(default = "default_fixtures")]
    pub fixtures: PathBuf,
    #[serde(default = "default_reports")]
    pub reports: PathBuf,
    #[serde(default = "default_snapshots")]
    pub snapshots: PathBuf,
    /// How long a `cmd:` key reference may take, in seconds.
    #[serde(default = "default_key_timeout")]
    pub key_timeout_s: f64,
}

fn default_concurrency() -> usize {
    16
}
fn default_per_provider() -> usize {
    4
}
fn default_timeout() -> f64 {
    llm_conform_core::transport::DEFAULT_CALL_TIMEOUT.as_secs_f64()
}
fn default_suites() -> PathBuf {
    "suites".into()
}
fn default_fixtures() -> PathBuf {
    "fixtures".into()
}
fn default_reports() -> PathBuf {
    "reports".into()
}
fn default_key_timeout() -> f64 {
    10.0
}
fn default_snapshots() -> PathBuf {
    "tests/snapshots".into()
}

impl RunSettings {
    /// Each number within the range where it means something; `(key, what is wrong)`.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(1..=4096).contains(&self.concurrency) {
            return Err(("run.concurrency", "must be from 1 to 4096"));
        }
        if !(1..=4096).contains(&self.per_provider) {
            return Err(("run.per_provider", "must be from 1 to 4096"));
        }
        if !(self.timeout_s.is_finite() && self.timeout_s > 0.0 && self.timeout_s <= 86_400.0) {
            return Err(("run.timeout_s", "must be seconds, more than 0 and at most 86400"));
        }
        if !(self.key_timeout_s.is_finite() && self.key_timeout_s > 0.0 && self.key_timeout_s <= 600.0) {
            return Err(("run.key_timeout_s", "must be seconds, more than 0 and at most 600"));
        }
        Ok(())
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read config")]
    Read(#[source] crate::regular_file::ReadError),
    #[error("invalid config {path}: {message}")]
    Parse { path: String, message: String },
    /// A value out of its range, located: `file:line:column: key: message`.
    #[error("invalid config {path}:{line}:{column}: `{key}` {message}")]
    Value { path: String, line: usize, column: usize, key: String, message: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl Config {
    /// Loads `path`; when `required` is false a missing file gives the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match crate::regular_file::read_to_string(path, 16 * 1024 * 1024) {
            Ok(t) => t,
            Err(e) if e.is_not_found() && !required => return Ok(Config::default()),
            Err(e) => return Err(ConfigError::Read(e)),
        };
        let mut cfg = Config::parse(&text, &path.display().to_string())?;
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: origin.to_string(), message: located(text, &e) })?;
        let value_error = |key: &str, message: String| {
            let (line, column) = locate(text, key).unwrap_or((1, 1));
            ConfigError::Value { path: origin.to_string(), line, column, key: key.to_string(), message }
        };
        // Validate everything now, so errors name the config file, line and column.
        if let Err((key, message)) = cfg.run.validate() {
            return Err(value_error(key, message.to_string()));
        }
        let catalog = Catalog::with_overrides(&cfg.providers, origin).map_err(|e| match e {
            CatalogError::InvalidValue {
                name,
                source: llm_conform_core::providers::SpecError::Field { at, message },
                ..
            } => value_error(&format!("providers.{name}.{at}"), message),
            other => ConfigError::Catalog(other),
        })?;
        cfg.router.validate(&catalog).map_err(|e| value_error(&e.key, e.message))?;
        cfg.serve.validate().map_err(|e| value_error(&format!("serve.{}", e.key), e.message))?;
        Ok(cfg)
    }

    pub fn catalog(&self) -> Result<Catalog, CatalogError> {
        let origin = self.path.as_ref().map_or("config".to_string(), |p| p.display().to_string());
        Catalog::with_overrides(&self.providers, &origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_file() {
        let c = Config::load(Path::new("/nonexistent/llm-conform.toml"), false).unwrap();
        assert_eq!(c.run.concurrency, 16);
        assert!(Config::load(Path::new("/nonexistent/llm-conform.toml"), true).is_err());
    }

    #[test]
    fn unknown_key_is_located() {
        let err = Config::parse("[run]\nconcurency = 3\n", "x.toml").unwrap_err().to_string();
        assert!(err.contains("x.toml") && err.contains("line 2") && err.contains("concurency"), "{err}");
    }

    #[test]
    fn router_policy_errors_name_the_key() {
        let cases = [
            ("[router.tiers.cheap]\ncandidates = []\n", "router.tiers.cheap.candidates"),
            ("[router.tiers.cheap]\ncandidates = [\"nope/x\"]\n", "unknown provider `nope`"),
            (
                "[router.tiers.a]\ncandidates = [\"openai/m\"]\nescalate_to = \"b\"\n[router.tiers.b]\ncandidates = [\"openai/m\"]\nescalate_to = \"a\"\n",
                "escalation cycle",
            ),
            ("[router.tiers.a]\ncandidates = [\"openai/m\"]\nescalate_to = \"zzz\"\n", "router.tiers.a.escalate_to"),
            (
                "[router]\ndefault_tier = \"gold\"\n[router.tiers.a]\ncandidates = [\"openai/m\"]\n",
                "router.default_tier",
            ),
            ("[router.limits.openai]\nrpm = 0\n", "router.limits.openai.rpm"),
            ("[router.cooldown]\nfailures = 0\n", "c.toml:2:12: `router.cooldown.failures`"),
            ("[router.cooldown]\nperiod_s = 1e300\n", "c.toml:2:12: `router.cooldown.period_s`"),
            ("[router.cooldown]\nperiod_s = nan\n", "router.cooldown.period_s"),
            ("[router]\nlatency_budget_ms = 0\n", "c.toml:2:21: `router.latency_budget_ms`"),
            ("[router.retry]\nbase_ms = 900\nmax_ms = 100\n", "c.toml:2:11: `router.retry.base_ms`"),
            ("[router.escalation]\nmin_confidence = nan\n", "router.escalation.min_confidence"),
            ("[run]\nconcurrency = 0\n", "c.toml:2:15: `run.concurrency`"),
            ("[run]\ntimeout_s = -1\n", "run.timeout_s"),
            ("[run]\ntimeout_s = inf\n", "run.timeout_s"),
            ("[run]\nkey_timeout_s = nan\n", "run.key_timeout_s"),
            ("[run]\nper_provider = 18446744073709551615\n", "c.toml:2:16: `run.per_provider`"),
            ("[providers.\"a/b\"]\nfamily = \"openai\"\nbase_url = \"http://x\"\n", "no `/`"),
            ("[providers.openai]\nbase_url = \"not a url\"\n", "c.toml:2:12: `providers.openai.base_url`"),
            ("[providers.openai]\nbase_url = \"ftp://x/y\"\n", "scheme `ftp`"),
            ("[providers.openai]\nkey = \"vault:x\"\n", "providers.openai.key"),
            ("[providers.openai.prices.\"m\"]\ninput = -1\noutput = 1\n", "is not a price"),
            ("[router]\nprofile = \"fastest\"\n", "line 2"),
        ];
        for (text, want) in cases {
            let err = Config::parse(text, "c.toml").unwrap_err().to_string();
            assert!(err.contains(want) && err.contains("c.toml"), "{text}: {err}");
        }
    }

    #[test]
    fn serve_section_typos_and_bad_values_are_located() {
        let err = Config::parse("[serve]\nlisten = \"127.0.0.1:1\"\ngrace = 3\n", "s.toml").unwrap_err().to_string();
        assert!(err.contains("s.toml") && err.contains("line 3") && err.contains("grace"), "{err}");
        let err = Config::parse("[serve]\nkeys = [\"sk-literal\"]\n", "s.toml").unwrap_err().to_string();
        assert!(err.contains("s.toml") && err.contains("serve.keys[0]"), "{err}");
        assert!(!err.contains("sk-literal"), "the literal key is echoed: {err}");
        let ok = Config::parse("[serve]\nkeys = [\"env:GATEWAY_KEY\"]\ngrace_s = 5\n", "s.toml").unwrap();
        assert_eq!(ok.serve.grace_s, 5.0);
    }

    /// A key pasted where a reference belongs is located, never echoed.
    #[test]
    fn literal_provider_key_is_refused_without_echoing_it() {
        let text = "[providers.openai]\nkey = \"sk-proj-FAKE0123456789abcdef\"\n";
        let err = Config::parse(text, "k.toml").unwrap_err().to_string();
        assert!(err.contains("k.toml:2") && err.contains("providers.openai.key"), "{err}");
        assert!(!err.contains("FAKE0123456789"), "the literal key is echoed: {err}");
    }

    /// A base URL can smuggle a key in its user info or query; refused without echoing it.
    #[test]
    fn base_url_with_credentials_or_query_is_refused_without_echoing_it() {
        for url in ["https://u:sk-FAKE0123456789@api.example/v1", "https://api.example/v1?key=FAKE0123456789"] {
            let text = format!("[providers.openai]\nbase_url = \"{url}\"\n");
            let err = Config::parse(&text, "u.toml").unwrap_err().to_string();
            assert!(err.contains("u.toml") && err.contains("base_url"), "{err}");
            assert!(!err.contains("FAKE0123456789"), "the key is echoed: {err}");
        }
    }

    #[test]
    fn provider_override_errors_name_the_file() {
        let err = Config::parse("[providers.newco]\nbase_url = \"http://x\"\n", "cfg.toml").unwrap_err().to_string();
        assert!(err.contains("newco") && err.contains("cfg.toml") && err.contains("family"), "{err}");
    }
}
