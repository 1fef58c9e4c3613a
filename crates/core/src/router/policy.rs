//! `[router]` in llm-conform.toml: the routing policy a team deploys, checked before use.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::Candidate;
use crate::api::ErrorKind;
use crate::providers::Catalog;

/// The routing policy. Every field has a default, so an empty `[router]` (or none) works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterPolicy {
    /// Named, ordered candidate lists. Empty means: derived from the catalog's tiers.
    #[serde(default)]
    pub tiers: BTreeMap<String, TierPolicy>,
    /// The tier a request without a model or tier uses: `cheap` when there is one, else the
    /// first tier by name.
    #[serde(default)]
    pub default_tier: Option<String>,
    /// How candidates within a tier are ordered.
    #[serde(default)]
    pub profile: Profile,
    /// Error kinds that move on to the next candidate; any other error is returned at once (the
    /// request itself is wrong, another provider would reject it too).
    #[serde(default = "default_fallback_on")]
    pub fallback_on: Vec<ErrorKind>,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub cooldown: CooldownPolicy,
    #[serde(default)]
    pub escalation: EscalationPolicy,
    /// Per-request deadline across all attempts, in milliseconds.
    #[serde(default)]
    pub latency_budget_ms: Option<u64>,
    /// Deadline of one attempt, in milliseconds (never more than what is left of the budget).
    #[serde(default)]
    pub attempt_timeout_ms: Option<u64>,
    /// What to do when a provider's bucket is empty.
    #[serde(default)]
    pub on_limit: OnLimit,
    /// Per-provider limits.
    #[serde(default)]
    pub limits: BTreeMap<String, LimitPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierPolicy {
    /// `provider/model` entries, tried in order (or reordered by the profile).
    pub candidates: Vec<String>,
    /// The tier to escalate to when a response fails validation.
    #[serde(default)]
    pub escalate_to: Option<String>,
}

/// Candidate order within a tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// As listed.
    #[default]
    Ordered,
    /// Lowest recent time to first token first, among healthy candidates.
    Realtime,
    /// Cheapest first.
    Batch,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnLimit {
    /// Move on to the next candidate.
    #[default]
    Shift,
    /// Wait for the bucket to refill.
    Wait,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Retries of the same candidate after a transient error, before moving on.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    #[serde(default = "default_base_ms")]
    pub base_ms: u64,
    #[serde(default = "default_max_ms")]
    pub max_ms: u64,
    /// Full jitter on the exponential backoff.
    #[serde(default = "default_true")]
    pub jitter: bool,
    /// A `Retry-After` longer than this moves on to the next candidate instead of waiting.
    #[serde(default = "default_retry_after_cap_ms")]
    pub retry_after_cap_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CooldownPolicy {
    /// Consecutive failures that put a provider in cooldown.
    #[serde(default = "default_cooldown_failures")]
    pub failures: u32,
    /// How long it is skipped; then one request probes it.
    #[serde(default = "default_cooldown_s")]
    pub period_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationPolicy {
    /// Which validators escalate: `json` (invalid JSON when JSON was asked for), `schema`
    /// (content does not match the request's schema), `tool_arguments` (a tool call's arguments
    /// do not parse), `length` (finish_reason length), `confidence`.
    #[serde(default = "default_escalate_on")]
    pub on: Vec<Validator>,
    /// The top-level JSON field holding the model's confidence.
    #[serde(default = "default_confidence_field")]
    pub confidence_field: String,
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    Json,
    Schema,
    ToolArguments,
    Length,
    Confidence,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitPolicy {
    /// Requests per minute.
    #[serde(default)]
    pub rpm: Option<u32>,
    /// Requests allowed at once above the steady rate.
    #[serde(default)]
    pub burst: Option<u32>,
    /// Tokens per minute (estimated before the call, corrected from usage after).
    #[serde(default)]
    pub tpm: Option<u32>,
    /// Requests in flight at once.
    #[serde(default)]
    pub concurrent: Option<u32>,
}

fn default_fallback_on() -> Vec<ErrorKind> {
    vec![
        ErrorKind::RateLimited,
        ErrorKind::QuotaExhausted,
        ErrorKind::Overloaded,
        ErrorKind::ServerError,
        ErrorKind::Timeout,
        ErrorKind::Connection,
    ]
}
fn default_retries() -> u32 {
    1
}
fn default_base_ms() -> u64 {
    250
}
fn default_max_ms() -> u64 {
    8_000
}
fn default_true() -> bool {
    true
}
fn default_retry_after_cap_ms() -> u64 {
    10_000
}
fn default_cooldown_failures() -> u32 {
    3
}
fn default_cooldown_s() -> f64 {
    60.0
}
fn default_escalate_on() -> Vec<Validator> {
    vec![Validator::Json, Validator::Schema, Validator::ToolArguments]
}
fn default_confidence_field() -> String {
    "confidence".into()
}
fn default_min_confidence() -> f64 {
    0.5
}

impl Default for RouterPolicy {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}
impl Default for RetryPolicy {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}
impl Default for CooldownPolicy {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}
impl Default for EscalationPolicy {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}

/// A policy that cannot be used, naming the config key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid router policy at `{key}`: {message}")]
pub struct PolicyError {
    pub key: String,
    pub message: String,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError { key: key.into(), message: message.into() }
}

impl RouterPolicy {
    /// Fills in tiers from the catalog when none are configured: each tier lists every given
    /// provider's model for that tier, cheapest first, escalating cheap → default → premium.
    pub fn with_catalog_tiers(mut self, catalog: &Catalog, providers: &[String]) -> Self {
        if !self.tiers.is_empty() {
            return self;
        }
        for (tier, next) in [("cheap", Some("default")), ("default", Some("premium")), ("premium", None)] {
            // Cheapest first: without a configured order, the price is the one the catalog knows.
            let mut priced: Vec<(f64, String)> = providers
                .iter()
                .filter_map(|p| catalog.get(p).ok())
                .filter_map(|s| {
                    let m = s.models.get(tier)?;
                    let cost = s.price(m).map_or(f64::INFINITY, |p| p.input + p.output);
                    Some((cost, format!("{}/{m}", s.name)))
                })
                .collect();
            priced.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            let candidates: Vec<String> = priced.into_iter().map(|(_, c)| c).collect();
            if !candidates.is_empty() {
                self.tiers.insert(tier.into(), TierPolicy { candidates, escalate_to: next.map(str::to_string) });
            }
        }
        // Drop escalation to tiers that ended up empty.
        let names: HashSet<String> = self.tiers.keys().cloned().collect();
        for t in self.tiers.values_mut() {
            if t.escalate_to.as_ref().is_some_and(|n| !names.contains(n)) {
                t.escalate_to = None;
            }
        }
        self
    }

    /// Checks every reference: tiers exist and are not empty, candidates name known providers,
    /// escalation has no cycle, limits name known providers and are positive.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), PolicyError> {
        if let Some(t) = &self.default_tier
            && !self.tiers.contains_key(t)
        {
            return Err(err("router.default_tier", format!("unknown tier `{t}`; tiers: {}", self.tier_names())));
        }
        for (name, tier) in &self.tiers {
            let key = format!("router.tiers.{name}");
            if tier.candidates.is_empty() {
                return Err(err(format!("{key}.candidates"), "tier is empty: it would fail every request"));
            }
            for (i, c) in tier.candidates.iter().enumerate() {
                let cand = Candidate::parse(c).map_err(|m| err(format!("{key}.candidates[{i}]"), m.to_string()))?;
                catalog.get(&cand.provider).map_err(|e| err(format!("{key}.candidates[{i}]"), e.to_string()))?;
            }
            if let Some(next) = &tier.escalate_to
                && !self.tiers.contains_key(next)
            {
                return Err(err(
                    format!("{key}.escalate_to"),
                    format!("unknown tier `{next}`; tiers: {}", self.tier_names()),
                ));
            }
        }
        for start in self.tiers.keys() {
            let mut seen = vec![start.clone()];
            let mut cur = start.clone();
            while let Some(next) = self.tiers.get(&cur).and_then(|t| t.escalate_to.clone()) {
                if seen.contains(&next) {
                    seen.push(next);
                    return Err(err(
                        format!("router.tiers.{cur}.escalate_to"),
                        format!("escalation cycle: {}", seen.join(" → ")),
                    ));
                }
                seen.push(next.clone());
                cur = next;
            }
        }
        for (p, l) in &self.limits {
            catalog.get(p).map_err(|e| err(format!("router.limits.{p}"), e.to_string()))?;
            for (field, v) in [("rpm", l.rpm), ("tpm", l.tpm), ("concurrent", l.concurrent)] {
                if v == Some(0) {
                    return Err(err(
                        format!("router.limits.{p}.{field}"),
                        "must be at least 1 (remove it for no limit)",
                    ));
                }
            }
        }
        self.validate_numbers()
    }

    /// Every number within the range it can mean something in: a zero that would disable a
    /// mechanism silently, or a value that would overflow a duration, is an error here rather
    /// than a surprise (or a panic) mid-run.
    fn validate_numbers(&self) -> Result<(), PolicyError> {
        const DAY_MS: u64 = 86_400_000;
        for (p, l) in &self.limits {
            if l.burst == Some(0) {
                return Err(err(format!("router.limits.{p}.burst"), "must be at least 1 (remove it for the default)"));
            }
        }
        let c = &self.cooldown;
        if c.failures == 0 {
            return Err(err("router.cooldown.failures", "must be at least 1"));
        }
        if !(c.period_s.is_finite() && c.period_s > 0.0 && c.period_s <= 86_400.0) {
            return Err(err("router.cooldown.period_s", "must be seconds, more than 0 and at most 86400"));
        }
        for (key, v) in [
            ("router.latency_budget_ms", self.latency_budget_ms),
            ("router.attempt_timeout_ms", self.attempt_timeout_ms),
        ] {
            if v.is_some_and(|ms| ms == 0 || ms > DAY_MS) {
                return Err(err(key, "must be milliseconds, at least 1 and at most 86400000"));
            }
        }
        let r = &self.retry;
        if r.max_retries > 100 {
            return Err(err("router.retry.max_retries", "must be at most 100"));
        }
        if r.max_ms == 0 || r.max_ms > DAY_MS {
            return Err(err("router.retry.max_ms", "must be milliseconds, at least 1 and at most 86400000"));
        }
        if r.base_ms > r.max_ms {
            return Err(err("router.retry.base_ms", format!("must not exceed router.retry.max_ms ({})", r.max_ms)));
        }
        if r.retry_after_cap_ms > DAY_MS {
            return Err(err("router.retry.retry_after_cap_ms", "must be milliseconds, at most 86400000"));
        }
        let m = self.escalation.min_confidence;
        if !(m.is_finite() && (0.0..=1.0).contains(&m)) {
            return Err(err("router.escalation.min_confidence", "must be a number from 0 to 1"));
        }
        Ok(())
    }

    /// The tier used when a request names none.
    pub fn default_tier(&self) -> String {
        match &self.default_tier {
            Some(t) => t.clone(),
            None if self.tiers.contains_key("cheap") || self.tiers.is_empty() => "cheap".into(),
            None => self.tiers.keys().next().cloned().unwrap_or_else(|| "cheap".into()),
        }
    }

    fn tier_names(&self) -> String {
        self.tiers.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}
