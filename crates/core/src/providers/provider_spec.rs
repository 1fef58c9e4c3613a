use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::WireFamily;

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
    #[serde(default = "default_auth")]
    pub auth: String,
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
    /// Headers added to every request, for provider-specific features.
    #[serde(default)]
    pub extra_headers: BTreeMap<String, String>,
    /// Fields merged into every request body (Anthropic `thinking`, Gemini grounding tools).
    #[serde(default)]
    pub extra_body: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn default_auth() -> String {
    "bearer".into()
}

/// Models by price and capability tier, cheapest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheap: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium: Option<String>,
}

impl Tiers {
    pub fn get(&self, tier: &str) -> Option<&str> {
        match tier {
            "cheap" => self.cheap.as_deref(),
            "default" => self.default.as_deref(),
            "premium" => self.premium.as_deref(),
            _ => None,
        }
    }
}

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Price of cached input tokens, when the provider discounts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
}

/// How an OpenAI-compatible provider deviates from OpenAI, as data rather than branches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quirks {
    /// `alnum9`: tool-call ids must be exactly nine alphanumeric characters (Mistral).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// How the provider spells `tool_choice: "required"` (Mistral: `any`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice_required: Option<String>,
    /// Ask for a usage chunk on streams (`stream_options.include_usage`) even when the caller
    /// did not, so streamed cases are costed too.
    #[serde(default)]
    pub stream_usage: bool,
    /// Which field carries the output cap: `max_tokens` or `max_completion_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_param: Option<String>,
    /// Whether the `developer` role is accepted; otherwise it is sent as `system`.
    #[serde(default)]
    pub developer_role: bool,
    /// Output cap sent when the caller gave none, for APIs that require one (Anthropic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_max_tokens: Option<u32>,
}

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStyle {
    Bearer,
    Header(String),
    None,
}

impl ProviderSpec {
    pub fn auth_style(&self) -> Result<AuthStyle, String> {
        match self.auth.as_str() {
            "bearer" => Ok(AuthStyle::Bearer),
            "none" => Ok(AuthStyle::None),
            other => match other.strip_prefix("header:") {
                Some(h) if !h.trim().is_empty() => Ok(AuthStyle::Header(h.trim().to_ascii_lowercase())),
                _ => Err(format!("auth must be \"bearer\", \"none\" or \"header:NAME\", got {other:?}")),
            },
        }
    }

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
        self.auth != "none"
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
        let path =
            template.replace("{model}", model).replace("{api_version}", self.api_version.as_deref().unwrap_or(""));
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}
