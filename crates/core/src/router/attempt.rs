use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::ErrorKind;

/// One candidate the router considered for a request: called, skipped or escalated from.
/// Every routed request records all of them, so a report can show the path it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// `success`, an error kind, `skipped` or `escalated`.
    pub outcome: AttemptOutcome,
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
    /// What the adapter changed to fit the provider's API (a parameter left out, a role
    /// renamed): the request the provider saw is not quite the one the caller sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How one attempt ended. Written as one word (`success`, `skipped`, `escalated`, or the error
/// kind), which is what `results.json` has always held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptOutcome {
    Success,
    /// Not called: cooling down, limited, or the caller could not call it (no key).
    Skipped,
    /// Answered, but the answer failed a validator and the request moved to a stronger tier.
    Escalated,
    Error(ErrorKind),
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Success => "success",
            AttemptOutcome::Skipped => "skipped",
            AttemptOutcome::Escalated => "escalated",
            AttemptOutcome::Error(k) => k.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<AttemptOutcome> {
        match s {
            "success" => Some(AttemptOutcome::Success),
            "skipped" => Some(AttemptOutcome::Skipped),
            "escalated" => Some(AttemptOutcome::Escalated),
            other => ErrorKind::parse(other).map(AttemptOutcome::Error),
        }
    }

    /// Whether the provider was actually called.
    pub fn called(self) -> bool {
        !matches!(self, AttemptOutcome::Skipped)
    }
}

impl std::fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for AttemptOutcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for AttemptOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AttemptOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AttemptOutcome::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown attempt outcome `{s}`")))
    }
}

impl Attempt {
    /// `provider:outcome`, the compact form a fingerprint keeps.
    pub fn path_step(&self) -> String {
        format!("{}:{}", self.provider, self.outcome)
    }
}
