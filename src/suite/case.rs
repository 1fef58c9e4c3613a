use std::sync::Arc;

use super::{Mode, Scenario};

/// One cell of the matrix: a scenario, a provider, a mode.
#[derive(Debug, Clone)]
pub struct Case {
    pub suite: Arc<str>,
    pub scenario: Arc<Scenario>,
    pub provider: Arc<str>,
    pub mode: Mode,
}

/// The identity of a case: `suite/scenario/provider/mode`. It names fixtures, snapshots and
/// report rows, so it must stay stable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId {
    pub suite: String,
    pub scenario: String,
    pub provider: String,
    pub mode: Mode,
}

impl Case {
    pub fn id(&self) -> CaseId {
        CaseId {
            suite: self.suite.to_string(),
            scenario: self.scenario.id.clone(),
            provider: self.provider.to_string(),
            mode: self.mode,
        }
    }
}

impl CaseId {
    /// `fixtures/<provider>/<suite>/<scenario>[.stream].json`, relative to the fixtures root.
    pub fn fixture_path(&self) -> std::path::PathBuf {
        let file = match self.mode {
            Mode::Stream => format!("{}.stream.json", self.scenario),
            Mode::NonStream => format!("{}.json", self.scenario),
        };
        std::path::Path::new(&self.provider).join(&self.suite).join(file)
    }

    /// The insta snapshot name: `<suite>__<scenario>__<provider>__<mode>`.
    pub fn snapshot_name(&self) -> String {
        format!("{}__{}__{}__{}", self.suite, self.scenario, self.provider, self.mode.as_str())
    }

    /// Parses the `x-llm-conform-case` header value back.
    pub fn parse(s: &str) -> Option<CaseId> {
        let mut it = s.split('/');
        let (suite, scenario, provider, mode) = (it.next()?, it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        Some(CaseId {
            suite: suite.into(),
            scenario: scenario.into(),
            provider: provider.into(),
            mode: Mode::parse(mode)?,
        })
    }
}

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}/{}", self.suite, self.scenario, self.provider, self.mode.as_str())
    }
}
