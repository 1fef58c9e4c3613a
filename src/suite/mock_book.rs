use std::collections::HashMap;

use llm_conform_mock::{AnswerBook, MockAnswer};

use super::{CaseId, Suite};

/// Every scenario's mock by suite, scenario, provider and call number (0: any call): what the
/// fake providers answer when fixtures are synthesized.
#[derive(Debug, Clone, Default)]
pub struct MockBook {
    mocks: HashMap<(String, String, String, u32), MockAnswer>,
}

impl MockBook {
    /// Every scenario's mock for every provider in `providers`.
    pub fn from_suites(suites: &[Suite], providers: &[String]) -> Self {
        let mut mocks = HashMap::new();
        for s in suites {
            for sc in &s.scenarios {
                for p in providers {
                    if let Some(m) = sc.mock_for(p) {
                        mocks.insert((s.name.clone(), sc.id.clone(), p.clone(), 0), m.clone());
                    }
                    for (i, m) in sc.mock_seq.get(p).into_iter().flatten().enumerate() {
                        mocks.insert((s.name.clone(), sc.id.clone(), p.clone(), i as u32 + 1), m.clone());
                    }
                }
            }
        }
        MockBook { mocks }
    }

    pub fn insert(&mut self, suite: &str, scenario: &str, provider: &str, mock: MockAnswer) {
        self.mocks.insert((suite.into(), scenario.into(), provider.into(), 0), mock);
    }

    /// The mock for this call: the one for its call number, else the provider's for any call.
    pub fn get(&self, id: &CaseId) -> Option<&MockAnswer> {
        let key = |n| (id.suite.clone(), id.scenario.clone(), id.provider.clone(), n);
        self.mocks.get(&key(id.attempt)).or_else(|| self.mocks.get(&key(0)))
    }
}

impl AnswerBook for MockBook {
    fn answer(&self, case: &str) -> Option<&MockAnswer> {
        self.get(&CaseId::parse(case)?)
    }
}
