use std::sync::Arc;

use super::case_row::RowLabels;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::suite::{CaseId, Mode, ROUTER_PROVIDER, Scenario, Suite};

/// Which cases a run covers.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub suites: Vec<String>,
    /// Globs on scenario ids (`tool*`).
    pub scenarios: Vec<String>,
    pub tags: Vec<String>,
    pub modes: Vec<Mode>,
    /// Leave out scenarios that go through the router (runs restricted to named providers).
    pub skip_routed: bool,
}

/// `K/N`: this run takes the K-th of N even, deterministic parts of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub total: usize,
}

/// A `--shard` value that is not `K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid shard {given:?}: {why}")]
pub struct ShardError {
    pub given: String,
    pub why: &'static str,
}

impl std::str::FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, ShardError> {
        let bad = |why| ShardError { given: s.to_string(), why };
        let (k, n) = s.split_once('/').ok_or_else(|| bad("expected K/N, e.g. 2/5"))?;
        let k: usize = k.trim().parse().map_err(|_| bad("K is not a number"))?;
        let n: usize = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(bad("need 1 <= K <= N"));
        }
        Ok(Shard { index: k, total: n })
    }
}

/// A scenario on one provider, with the modes to run. The modes of a group run together so that
/// a stream can be compared with its non-stream twin.
#[derive(Debug, Clone)]
pub struct CaseGroup {
    pub suite: Arc<str>,
    pub scenario: Arc<Scenario>,
    pub provider: Arc<str>,
    pub modes: Vec<Mode>,
    /// Shared by the groups of one scenario.
    pub labels: RowLabels,
}

impl CaseGroup {
    /// The id of the group's case in `mode`.
    pub fn case_id(&self, mode: Mode) -> String {
        CaseId::new(&self.suite, &self.scenario.id, &self.provider, mode).to_string()
    }
}

/// The matrix, after filters and sharding.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub groups: Vec<CaseGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("invalid --scenario glob {glob:?}: {message}")]
    BadGlob { glob: String, message: String },
    #[error("unknown suite `{name}`; suites: {known}")]
    UnknownSuite { name: String, known: String },
}

impl Plan {
    pub fn build(
        suites: &[Suite],
        providers: &[String],
        filters: &Filters,
        shard: Option<Shard>,
    ) -> Result<Plan, PlanError> {
        for s in &filters.suites {
            if !suites.iter().any(|x| &x.name == s) {
                let known: Vec<&str> = suites.iter().map(|x| x.name.as_str()).collect();
                return Err(PlanError::UnknownSuite { name: s.clone(), known: known.join(", ") });
            }
        }
        let globs = build_globs(&filters.scenarios)?;
        let mut groups = Vec::new();
        for suite in suites {
            if !filters.suites.is_empty() && !filters.suites.contains(&suite.name) {
                continue;
            }
            let suite_name: Arc<str> = Arc::from(suite.name.as_str());
            for sc in &suite.scenarios {
                if let Some(g) = &globs
                    && !g.is_match(&sc.id)
                {
                    continue;
                }
                if !filters.tags.is_empty() && !sc.tags.iter().any(|t| filters.tags.contains(t)) {
                    continue;
                }
                let modes: Vec<Mode> = sc
                    .modes
                    .iter()
                    .copied()
                    .filter(|m| filters.modes.is_empty() || filters.modes.contains(m))
                    .collect();
                if modes.is_empty() {
                    continue;
                }
                let sc = Arc::new(sc.clone());
                let labels = RowLabels::of(&sc);
                if sc.route.is_some() {
                    if !filters.skip_routed {
                        groups.push(CaseGroup {
                            suite: suite_name.clone(),
                            scenario: sc.clone(),
                            provider: Arc::from(ROUTER_PROVIDER),
                            modes: modes.clone(),
                            labels: labels.clone(),
                        });
                    }
                    continue;
                }
                for p in providers {
                    if sc.applies_to(p) {
                        groups.push(CaseGroup {
                            suite: suite_name.clone(),
                            scenario: sc.clone(),
                            provider: Arc::from(p.as_str()),
                            modes: modes.clone(),
                            labels: labels.clone(),
                        });
                    }
                }
            }
        }
        groups.sort_by(|a, b| (&a.suite, &a.scenario.id, &a.provider).cmp(&(&b.suite, &b.scenario.id, &b.provider)));
        if let Some(s) = shard {
            groups =
                groups.into_iter().enumerate().filter(|(i, _)| i % s.total == s.index - 1).map(|(_, g)| g).collect();
        }
        Ok(Plan { groups })
    }

    /// Keeps only the cases whose id is in `ids` (`--rerun-failed`).
    pub fn retain_cases(&mut self, ids: &std::collections::HashSet<String>) {
        for g in &mut self.groups {
            let keep: Vec<Mode> = g.modes.iter().copied().filter(|m| ids.contains(&g.case_id(*m))).collect();
            g.modes = keep;
        }
        self.groups.retain(|g| !g.modes.is_empty());
    }

    /// Number of cases (groups × modes).
    pub fn case_count(&self) -> usize {
        self.groups.iter().map(|g| g.modes.len()).sum()
    }
}

fn build_globs(patterns: &[String]) -> Result<Option<GlobSet>, PlanError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| PlanError::BadGlob { glob: p.clone(), message: e.to_string() })?);
    }
    b.build().map(Some).map_err(|e| PlanError::BadGlob { glob: patterns.join(","), message: e.to_string() })
}
