//! Placeholder: replaced by the real fake.

use super::{FakeCtx, FakeFamily, FakeResponse};
use crate::suite::{MockAnswer, MockError};

pub struct FakeOpenAi;

impl FakeFamily for FakeOpenAi {
    fn validate(&self, _ctx: &FakeCtx) -> Result<(), FakeResponse> {
        Ok(())
    }
    fn success(&self, _mock: &MockAnswer, _ctx: &FakeCtx, _stream: bool) -> FakeResponse {
        FakeResponse::json(501, serde_json::json!({"error": "not implemented"}))
    }
    fn error(&self, err: &MockError, _ctx: &FakeCtx) -> FakeResponse {
        FakeResponse::json(super::status_for(err), serde_json::json!({"error": "not implemented"}))
    }
}
