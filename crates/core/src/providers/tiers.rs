use serde::{Deserialize, Serialize};

/// A price and capability level. Scenarios and the catalog's default routing speak of tiers, not
/// models, so a suite runs unchanged when a provider's models change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Cheap,
    Default,
    Premium,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Cheap, Tier::Default, Tier::Premium];

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Cheap => "cheap",
            Tier::Default => "default",
            Tier::Premium => "premium",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Models by tier, cheapest first.
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
    pub fn model(&self, tier: Tier) -> Option<&str> {
        match tier {
            Tier::Cheap => self.cheap.as_deref(),
            Tier::Default => self.default.as_deref(),
            Tier::Premium => self.premium.as_deref(),
        }
    }

    /// The model for a tier named in text (router policies name tiers); unknown names have none.
    pub fn get(&self, tier: &str) -> Option<&str> {
        Tier::parse(tier).and_then(|t| self.model(t))
    }

    /// Every model named, with its tier.
    pub fn iter(&self) -> impl Iterator<Item = (Tier, &str)> {
        Tier::ALL.into_iter().filter_map(|t| self.model(t).map(|m| (t, m)))
    }
}
