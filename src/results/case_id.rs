use super::Mode;

/// The identity of one call: `suite/scenario/provider/mode`, plus `/N` for the N-th call a
/// routed scenario makes to the same provider. It names fixtures, snapshots and report rows, so
/// it must stay stable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId {
    pub suite: String,
    pub scenario: String,
    pub provider: String,
    pub mode: Mode,
    /// 1 for the first call; routed scenarios may call a provider again (retries, more requests).
    pub attempt: u32,
}

impl CaseId {
    pub fn new(suite: &str, scenario: &str, provider: &str, mode: Mode) -> CaseId {
        CaseId { suite: suite.into(), scenario: scenario.into(), provider: provider.into(), mode, attempt: 1 }
    }

    /// `fixtures/<provider>/<suite>/<scenario>[.N][.stream].json`, relative to the fixtures root.
    pub fn fixture_path(&self) -> std::path::PathBuf {
        let n = if self.attempt > 1 { format!(".{}", self.attempt) } else { String::new() };
        let file = match self.mode {
            Mode::Stream => format!("{}{n}.stream.json", self.scenario),
            Mode::NonStream => format!("{}{n}.json", self.scenario),
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
        let attempt = match it.next() {
            Some(n) => n.parse().ok().filter(|n| *n >= 1)?,
            None => 1,
        };
        if it.next().is_some() {
            return None;
        }
        Some(CaseId {
            suite: suite.into(),
            scenario: scenario.into(),
            provider: provider.into(),
            mode: Mode::parse(mode)?,
            attempt,
        })
    }
}

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}/{}", self.suite, self.scenario, self.provider, self.mode.as_str())?;
        if self.attempt > 1 {
            write!(f, "/{}", self.attempt)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_name_fixtures() {
        let mut id = CaseId::new("router", "fallback", "anthropic", Mode::Stream);
        assert_eq!(CaseId::parse(&id.to_string()), Some(id.clone()));
        assert_eq!(id.fixture_path(), std::path::Path::new("anthropic/router/fallback.stream.json"));
        id.attempt = 3;
        assert_eq!(id.to_string(), "router/fallback/anthropic/stream/3");
        assert_eq!(CaseId::parse("router/fallback/anthropic/stream/3"), Some(id.clone()));
        assert_eq!(id.fixture_path(), std::path::Path::new("anthropic/router/fallback.3.stream.json"));
        assert_eq!(CaseId::parse("a/b/c/stream/0"), None);
        assert_eq!(CaseId::parse("a/b/c/sideways"), None);
    }
}
