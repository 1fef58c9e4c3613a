//! What the `model` field of a request names: a tier (`cheap`, `default`, `premium`, or a
//! configured one), or `provider/model` — that candidate first, then the rest of its tier.
//!
//! The router takes a tier or a single candidate; "this candidate, then its tier's fallbacks"
//! is expressed as data: one extra tier per listed candidate, named after it, built once when
//! the gateway starts. The router itself is used as it is.

use std::collections::BTreeMap;

use llm_conform_core::providers::Catalog;
use llm_conform_core::router::{Candidate, RouterPolicy, Target, TierPolicy};

use crate::ApiError;

/// The names a request may use as `model`.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Tiers as configured (or derived from the catalog), in listing order.
    tiers: Vec<String>,
    /// Every candidate listed in a tier, with the tier it falls back through.
    candidates: BTreeMap<String, String>,
}

/// The order a candidate's home tier is chosen in when it is listed in several.
const TIER_PREFERENCE: [&str; 3] = ["cheap", "default", "premium"];

impl Targets {
    /// Adds a tier per listed candidate (`provider/model`: that candidate first, then the rest
    /// of its home tier, escalating as the home tier does) and returns the policy to build the
    /// router with.
    pub fn expand(mut policy: RouterPolicy) -> (RouterPolicy, Targets) {
        let mut order: Vec<String> =
            TIER_PREFERENCE.iter().filter(|t| policy.tiers.contains_key(**t)).map(|t| t.to_string()).collect();
        order.extend(policy.tiers.keys().filter(|t| !TIER_PREFERENCE.contains(&t.as_str())).cloned());
        let mut candidates = BTreeMap::new();
        let mut extra = Vec::new();
        for tier_name in &order {
            let tier = &policy.tiers[tier_name];
            for c in &tier.candidates {
                let Ok(cand) = Candidate::parse(c) else { continue };
                let name = cand.to_string();
                if candidates.contains_key(&name) || policy.tiers.contains_key(&name) {
                    continue;
                }
                let mut list = vec![name.clone()];
                list.extend(tier.candidates.iter().filter(|o| Candidate::parse(o).is_ok_and(|o| o != cand)).cloned());
                extra.push((name.clone(), TierPolicy { candidates: list, escalate_to: tier.escalate_to.clone() }));
                candidates.insert(name, tier_name.clone());
            }
        }
        policy.tiers.extend(extra);
        (policy, Targets { tiers: order, candidates })
    }

    /// The router target for a request's `model`.
    pub fn resolve(&self, model: &str, catalog: &Catalog) -> Result<Target, ApiError> {
        let model = model.trim();
        if model.is_empty() {
            return Err(ApiError::bad_request("`model` is required: a tier or `provider/model`", Some("model")));
        }
        if self.tiers.iter().any(|t| t == model) || self.candidates.contains_key(model) {
            return Ok(Target::Tier(model.to_string()));
        }
        match Candidate::parse(model) {
            Ok(c) if catalog.get(&c.provider).is_ok() => Ok(Target::Model(c)),
            Ok(c) => Err(ApiError::model_not_found(format!(
                "the model `{model}` does not exist: unknown provider `{}`; providers: {}",
                c.provider,
                catalog.names().join(", ")
            ))),
            Err(_) => Err(ApiError::model_not_found(format!(
                "the model `{model}` does not exist: use `provider/model` or a tier ({})",
                self.tiers.join(", ")
            ))),
        }
    }

    pub fn tiers(&self) -> &[String] {
        &self.tiers
    }

    /// Every listed candidate, `provider/model`.
    pub fn candidates(&self) -> impl Iterator<Item = &str> {
        self.candidates.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RouterPolicy {
        toml::from_str(
            r#"
            [tiers.cheap]
            candidates = ["openai/a", "anthropic/b", "gemini/c"]
            escalate_to = "premium"
            [tiers.premium]
            candidates = ["anthropic/b", "openai/z"]
            "#,
        )
        .unwrap()
    }

    #[test]
    fn a_candidate_comes_first_then_its_tier() {
        let (p, t) = Targets::expand(policy());
        let b = &p.tiers["anthropic/b"];
        assert_eq!(b.candidates, ["anthropic/b", "openai/a", "gemini/c"]);
        assert_eq!(b.escalate_to.as_deref(), Some("premium"));
        assert_eq!(p.tiers["openai/z"].candidates, ["openai/z", "anthropic/b"]);
        assert_eq!(t.tiers(), ["cheap", "premium"]);
        let catalog = Catalog::builtin();
        assert_eq!(t.resolve("cheap", &catalog).unwrap(), Target::Tier("cheap".into()));
        assert_eq!(t.resolve("gemini/c", &catalog).unwrap(), Target::Tier("gemini/c".into()));
        assert_eq!(
            t.resolve("mistral/unlisted", &catalog).unwrap(),
            Target::Model(Candidate { provider: "mistral".into(), model: "unlisted".into() })
        );
    }

    #[test]
    fn unknown_names_are_404_and_empty_is_400() {
        let (_, t) = Targets::expand(policy());
        let catalog = Catalog::builtin();
        assert_eq!(t.resolve("gpt-4o", &catalog).unwrap_err().status, 404);
        assert_eq!(t.resolve("nope/x", &catalog).unwrap_err().status, 404);
        assert_eq!(t.resolve(" ", &catalog).unwrap_err().status, 400);
    }
}
