use serde::{Deserialize, Serialize};

/// One candidate the router considered for a request: called, skipped or escalated from.
/// Every routed request records all of them, so a report can show the path it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// `success`, an error kind, `skipped` or `escalated`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Why this candidate was chosen, skipped, or left.
    pub why: String,
    /// The tier it was tried in, for routed requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl Attempt {
    /// `provider:outcome`, the compact form a fingerprint keeps.
    pub fn path_step(&self) -> String {
        format!("{}:{}", self.provider, self.outcome)
    }
}
