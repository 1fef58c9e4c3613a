//! `llm-conform.toml`: provider overrides and additions, run settings.
//!
//! Every section is optional; a missing file means the built-in catalog and defaults. Unknown
//! keys are errors, reported with the file, line and column, because a misspelt key silently
//! ignored is a setting the user believes is in force.

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    60.0
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

impl Default for RunSettings {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read config {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config {path}: {message}")]
    Parse { path: String, message: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl Config {
    /// Loads `path`; when `required` is false a missing file gives the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Config::default()),
            Err(e) => return Err(ConfigError::Read { path: path.display().to_string(), source: e }),
        };
        let mut cfg = Config::parse(&text, &path.display().to_string())?;
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: origin.to_string(), message: located(text, &e) })?;
        // Validate provider overrides and the policy now, so errors name the config file.
        let catalog = Catalog::with_overrides(&cfg.providers, origin)?;
        cfg.router
            .validate(&catalog)
            .map_err(|e| ConfigError::Parse { path: origin.to_string(), message: e.to_string() })?;
        cfg.serve.validate().map_err(|e| ConfigError::Parse { path: origin.to_string(), message: e.to_string() })?;
        Ok(cfg)
    }

    pub fn catalog(&self) -> Result<Catalog, CatalogError> {
        let origin = self.path.as_ref().map_or("config".to_string(), |p| p.display().to_string());
        Catalog::with_overrides(&self.providers, &origin)
    }
}

/// A toml error as `line L, column C: message`.
pub fn located(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, col)
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
        let ok = Config::parse("[serve]\nkeys = [\"env:GATEWAY_KEY\"]\ngrace_s = 5\n", "s.toml").unwrap();
        assert_eq!(ok.serve.grace_s, 5.0);
    }

    #[test]
    fn provider_override_errors_name_the_file() {
        let err = Config::parse("[providers.newco]\nbase_url = \"http://x\"\n", "cfg.toml").unwrap_err().to_string();
        assert!(err.contains("newco") && err.contains("cfg.toml") && err.contains("family"), "{err}");
    }
}
