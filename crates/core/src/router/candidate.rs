use serde::{Deserialize, Serialize};

/// A string that does not name a provider and a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not `provider/model`")]
pub struct CandidateError(pub String);

/// A provider and one of its models: one place a request can go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Candidate {
    pub provider: String,
    pub model: String,
}

impl Candidate {
    /// Parses `provider/model`; the model may itself contain slashes (`openrouter/openai/gpt-4.1`).
    pub fn parse(s: &str) -> Result<Candidate, CandidateError> {
        match s.split_once('/') {
            Some((p, m)) if !p.trim().is_empty() && !m.trim().is_empty() => {
                Ok(Candidate { provider: p.trim().to_string(), model: m.trim().to_string() })
            }
            _ => Err(CandidateError(s.to_string())),
        }
    }
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}
