use std::sync::Arc;

use super::{CaseId, Mode, Scenario};

/// One cell of the matrix: a scenario, a provider, a mode.
#[derive(Debug, Clone)]
pub struct Case {
    pub suite: Arc<str>,
    pub scenario: Arc<Scenario>,
    pub provider: Arc<str>,
    pub mode: Mode,
}

impl Case {
    pub fn id(&self) -> CaseId {
        CaseId::new(&self.suite, &self.scenario.id, &self.provider, self.mode)
    }
}
