//! The answer book the fakes' own tests use: mocks by suite, scenario and provider, looked up
//! from the first three segments of the case header (`suite/scenario/provider/mode`).

use std::collections::HashMap;

use llm_conform_fakes::{AnswerBook, MockAnswer};

#[derive(Default)]
pub struct MockBook {
    mocks: HashMap<String, MockAnswer>,
}

impl MockBook {
    pub fn insert(&mut self, suite: &str, scenario: &str, provider: &str, mock: MockAnswer) {
        self.mocks.insert(format!("{suite}/{scenario}/{provider}"), mock);
    }
}

impl AnswerBook for MockBook {
    fn answer(&self, case: &str) -> Option<&MockAnswer> {
        let key: Vec<&str> = case.splitn(4, '/').take(3).collect();
        self.mocks.get(&key.join("/"))
    }
}
