use serde::{Deserialize, Serialize};

use llm_conform_core::router::RouterPolicy;

/// A scenario that goes through the router instead of straight to each provider: it runs once
/// (as provider `router`), and its attempts show the path the router took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// The tier to route to (default: the policy's `default_tier`).
    #[serde(default)]
    pub tier: Option<String>,
    /// A concrete `provider/model` instead of a tier.
    #[serde(default)]
    pub model: Option<String>,
    /// Requests sent one after another through the same router (cooldowns need several).
    #[serde(default = "one")]
    pub requests: u32,
    /// The policy for this scenario; the config's `[router]` when absent.
    #[serde(default)]
    pub policy: Option<RouterPolicy>,
}

fn one() -> u32 {
    1
}

/// The pseudo-provider routed scenarios run as.
pub const ROUTER_PROVIDER: &str = "router";
