use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expect, MockAnswer, Mode, RouteSpec};
use llm_conform_core::api::ChatRequest;

/// One suite file.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The file stem: `suites/tools.toml` is suite `tools`.
    pub name: String,
    pub description: String,
    pub path: std::path::PathBuf,
    pub scenarios: Vec<Scenario>,
}

/// A request and what every provider must do with it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub description: String,
    pub tags: Vec<String>,
    pub modes: Vec<Mode>,
    /// Only these providers run it (a provider-specific error, say); empty means all.
    pub providers: Vec<String>,
    /// The model tier to use when the request names no model.
    pub tier: String,
    /// Faults that cannot be provoked on a live provider (a 529, a cut stream): skipped live.
    pub replay_only: bool,
    /// A per-case deadline, overriding the run's.
    pub timeout_s: Option<f64>,
    /// `invalid` sends a deliberately wrong key (the bad-key scenario).
    pub key: Option<String>,
    pub request: ChatRequest,
    pub expect: Expect,
    pub xfail: Vec<Xfail>,
    /// What the fake provider answers when fixtures are synthesized; ignored live.
    pub mock: Option<MockAnswer>,
    pub mock_for: BTreeMap<String, MockAnswer>,
    /// Per provider, the answers to its first, second, ... call (routed scenarios).
    pub mock_seq: BTreeMap<String, Vec<MockAnswer>>,
    /// Route through the router instead of calling each provider.
    pub route: Option<RouteSpec>,
    /// 1-based line of the scenario's `id`, for messages that point back at the file.
    pub line: usize,
}

/// A documented, expected divergence of one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Xfail {
    pub provider: String,
    /// Only this mode; both when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    pub reason: String,
    #[serde(default)]
    pub link: Option<String>,
}

impl Scenario {
    pub fn applies_to(&self, provider: &str) -> bool {
        self.providers.is_empty() || self.providers.iter().any(|p| p == provider)
    }

    pub fn xfail_for(&self, provider: &str, mode: Mode) -> Option<&Xfail> {
        self.xfail.iter().find(|x| x.provider == provider && x.mode.is_none_or(|m| m == mode))
    }

    /// The mock for `provider`: its own override, else the scenario's.
    pub fn mock_for(&self, provider: &str) -> Option<&MockAnswer> {
        self.mock_for.get(provider).or(self.mock.as_ref())
    }
}
