use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Expect, MockAnswer, Mode, RouteSpec};
use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::WireFamily;

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
    /// Native body fields and headers per provider, merged into the encoded request: the
    /// provider-specific switch a feature needs (Anthropic `thinking`, a Gemini grounding tool).
    pub provider_overrides: BTreeMap<String, ProviderOverride>,
    /// The same per wire family, for every provider that speaks it; a provider's own override
    /// is merged after its family's.
    pub family_overrides: BTreeMap<String, ProviderOverride>,
    /// Send the request once before the call that is judged, so that the second call finds
    /// what the first left behind (a provider's prompt cache).
    pub warm_up: bool,
    /// 1-based line of the scenario's `id`, for messages that point back at the file.
    pub line: usize,
}

/// What a scenario adds to one provider's native request after encoding, the way the catalog's
/// `extra_body` and `extra_headers` do for every request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderOverride {
    /// Merged into the native body: objects key by key, arrays appended, anything else replaced.
    #[serde(default)]
    pub body: Map<String, Value>,
    /// Set on the native request, replacing a header of the same name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
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

    /// The overrides for a provider of `family`: its family's first, then its own.
    pub fn overrides_for(&self, provider: &str, family: WireFamily) -> impl Iterator<Item = &ProviderOverride> {
        self.family_overrides.get(family.as_str()).into_iter().chain(self.provider_overrides.get(provider))
    }

    /// The mock for `provider`: its own override, else the scenario's.
    pub fn mock_for(&self, provider: &str) -> Option<&MockAnswer> {
        self.mock_for.get(provider).or(self.mock.as_ref())
    }
}
