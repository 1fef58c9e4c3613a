//! A case's row in the results, before its verdict.

use crate::results::{CaseResult, CaseStatus};
use crate::suite::{Mode, Scenario};

pub fn base_result(suite: &str, scenario: &Scenario, provider: &str, mode: Mode, model: &str) -> CaseResult {
    CaseResult {
        suite: suite.to_string(),
        scenario: scenario.id.clone(),
        provider: provider.to_string(),
        model: model.to_string(),
        stream: mode.is_stream(),
        tags: scenario.tags.clone(),
        status: CaseStatus::Skipped,
        reason: None,
        fingerprint: None,
        ttft_ms: None,
        total_ms: 0.0,
        usage: None,
        cost_usd: None,
        attempts: Vec::new(),
        description: Some(scenario.description.clone()).filter(|d| !d.is_empty()),
        request: None,
        error: None,
        snapshot: None,
        snapshot_diff: None,
        xfail_link: None,
    }
}
