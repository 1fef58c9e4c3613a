use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AuthStyle, Quirks, ResolvedModelQuirks, Tiers, WireFamily};

/// Everything the harness knows about one provider: where it is, how it authenticates, which
/// models it offers by tier, what they cost, and how it deviates from its wire family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    #[serde(skip)]
    pub name: String,
    pub family: WireFamily,
    pub base_url: String,
    /// `bearer`, `header:NAME` or `none`.
    #[serde(default)]
    pub auth: AuthStyle,
    /// Key reference: `env:VAR`, `file:PATH` or `cmd:COMMAND`; default `env:<NAME>_API_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Path template for non-streaming calls (`{model}`, `{api_version}`); the family's default
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Fixed headers every request carries (`anthropic-version`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub models: Tiers,
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices_as_of: Option<String>,
    #[serde(default)]
    pub quirks: Quirks,
    /// Quirks that differ for some models, keyed by model name or by a prefix ending in `*`;
    /// each is a partial quirks table applied over `quirks`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub model_quirks: Map<String, Value>,
    #[serde(skip)]
    resolved: ResolvedModelQuirks,
    /// Headers added to every request, for provider-specific features.
    #[serde(default)]
    pub extra_headers: BTreeMap<String, String>,
    /// Fields merged into every request body (Anthropic `thinking`, Gemini grounding tools).
    #[serde(default)]
    pub extra_body: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Price of cached input tokens (cache reads), when the provider discounts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    /// Price of input tokens written to the cache, when the provider charges extra for it
    /// (Anthropic: 1.25 times the input price for the five-minute cache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

impl ProviderSpec {
    /// The environment variable of the `<PROVIDER>_API_KEY` convention.
    pub fn default_key_var(&self) -> String {
        format!("{}_API_KEY", self.name.to_ascii_uppercase().replace(['-', '.'], "_"))
    }

    /// The key reference in force: the configured one or the convention.
    pub fn key_ref(&self) -> String {
        self.key.clone().unwrap_or_else(|| format!("env:{}", self.default_key_var()))
    }

    /// The key reference in force, parsed.
    pub fn key_reference(&self) -> Result<crate::secrets::KeyRef, crate::secrets::SecretError> {
        crate::secrets::KeyRef::parse(&self.key_ref())
    }

    pub fn needs_key(&self) -> bool {
        self.auth.needs_key()
    }

    /// The quirks in force for `model`: the most specific `model_quirks` entry that matches
    /// it, else the provider's.
    pub fn quirks_for(&self, model: &str) -> &Quirks {
        self.resolved.for_model(model).unwrap_or(&self.quirks)
    }

    /// Every per-model quirk set, most specific first.
    pub fn model_quirk_sets(&self) -> impl Iterator<Item = (&super::ModelPattern, &Quirks)> {
        self.resolved.iter()
    }

    /// Works out and checks what only the whole entry can tell: the per-model quirks (each a
    /// complete quirks set) and the configured api-version when quirks compare against it.
    /// Called when the catalog loads; call it again after changing `quirks` or `model_quirks`.
    pub fn resolve(&mut self) -> Result<(), super::SpecError> {
        self.check_values()?;
        self.resolved = ResolvedModelQuirks::resolve(&self.quirks, &self.model_quirks)?;
        let compares_version = std::iter::once(&self.quirks)
            .chain(self.resolved.iter().map(|(_, q)| q))
            .any(|q| q.developer_role_since.is_some());
        if compares_version && let Some(v) = &self.api_version {
            super::ApiVersion::parse(v)
                .map_err(|e| super::SpecError::Field { at: "api_version".into(), message: e.to_string() })?;
        }
        Ok(())
    }

    /// The name, URL, key reference and prices, each within what it can mean: a `/` in a name
    /// would break `provider/model`, a URL that is not http(s) can never be called, a negative
    /// price would make a costly provider look free.
    fn check_values(&self) -> Result<(), super::SpecError> {
        let field = |at: &str, message: String| super::SpecError::Field { at: at.to_string(), message };
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return Err(field(
                "name",
                format!("{:?} must be lowercase letters, digits, `-`, `_` or `.` (no `/`)", self.name),
            ));
        }
        // A URL with `user:password@` or a query may carry a key (Gemini takes `?key=`): refused,
        // and then not echoed, since the message is printed.
        let shown = if self.base_url.contains('@') || self.base_url.contains('?') {
            "the URL".to_string()
        } else {
            format!("{:?}", self.base_url)
        };
        match reqwest::Url::parse(&self.base_url) {
            Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                return Err(field("base_url", "carries credentials (`user:password@`); put the key in `key`".into()));
            }
            Ok(u) if u.query().is_some() || u.fragment().is_some() => {
                return Err(field(
                    "base_url",
                    "has a query or fragment; keys go in `key`, parameters in the catalog's paths".into(),
                ));
            }
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            Ok(u) => {
                return Err(field("base_url", format!("{shown}: scheme `{}` is not http or https", u.scheme())));
            }
            Err(e) => return Err(field("base_url", format!("{shown} is not a URL: {e}"))),
        }
        if let Some(k) = &self.key {
            crate::secrets::KeyRef::parse(k).map_err(|e| field("key", e.to_string()))?;
        }
        for (model, p) in &self.prices {
            for (what, v) in [("input", Some(p.input)), ("output", Some(p.output)), ("cached_input", p.cached_input)] {
                if let Some(v) = v
                    && !(v.is_finite() && (0.0..=1_000_000.0).contains(&v))
                {
                    return Err(field(
                        &format!("prices.\"{model}\".{what}"),
                        format!("{v} is not a price (0 to 1000000 dollars per million tokens)"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether requests for `model` may carry the `developer` role.
    pub fn accepts_developer(&self, model: &str) -> bool {
        self.quirks_for(model).accepts_developer(self.api_version.as_deref())
    }

    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.get(model).copied()
    }

    /// The model for a tier, falling back to `default`.
    pub fn model_for(&self, tier: &str) -> Option<&str> {
        self.models.get(tier).or(self.models.default.as_deref())
    }

    /// Points the base URL at another host (a replay server, a fake provider) keeping its path,
    /// so requests keep the paths they have in production.
    pub fn rebase(&mut self, uri: &str) {
        let after_scheme = self.base_url.split_once("://").map_or(self.base_url.as_str(), |(_, r)| r);
        let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]).to_string();
        self.base_url = format!("{}{path}", uri.trim_end_matches('/'));
    }

    /// Fills `{model}` and `{api_version}` into a path template and joins it to the base URL.
    pub fn url(&self, template: &str, model: &str) -> String {
        fn fill<'t>(text: Cow<'t, str>, hole: &str, value: &str) -> Cow<'t, str> {
            if text.contains(hole) { Cow::Owned(text.replace(hole, value)) } else { text }
        }
        let path = fill(Cow::Borrowed(template), "{model}", model);
        let path = fill(path, "{api_version}", self.api_version.as_deref().unwrap_or(""));
        let base = self.base_url.trim_end_matches('/');
        let mut url = String::with_capacity(base.len() + path.len());
        url.push_str(base);
        url.push_str(&path);
        url
    }
}
