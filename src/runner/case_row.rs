//! A case's row in the results, before its verdict.

use std::sync::Arc;

use llm_conform_core::api::ChatRequest;

use super::case_call::case_request;
use super::plan::CaseGroup;
use crate::results::{CaseRequest, CaseResult, CaseStatus, JsonText};
use crate::suite::{Mode, Scenario};

/// What every row of one scenario shares, made once per scenario when the plan is built: a
/// run holds all its rows until the reports are written, and these repeat on every provider.
#[derive(Debug, Clone)]
pub struct RowLabels {
    pub scenario: Arc<str>,
    pub tags: Arc<[String]>,
    pub description: Option<Arc<str>>,
    /// The scenario's request in each of its modes, with the scenario's own model (often none):
    /// a case's row adds the model it asked for.
    pub requests: Vec<(Mode, Arc<JsonText>)>,
}

impl RowLabels {
    pub fn of(scenario: &Scenario) -> RowLabels {
        RowLabels {
            scenario: Arc::from(scenario.id.as_str()),
            tags: scenario.tags.iter().cloned().collect(),
            description: Some(scenario.description.as_str()).filter(|d| !d.is_empty()).map(Arc::from),
            requests: scenario
                .modes
                .iter()
                .filter_map(|&m| Some((m, Arc::new(JsonText::of(&case_request(scenario, None, m)).ok()?))))
                .collect(),
        }
    }
}

/// The row's copy of `req`, the request a case of `group` sent in `mode`: the shared text, with
/// the case's model where it is not the scenario's own.
pub fn row_request(group: &CaseGroup, mode: Mode, req: &ChatRequest) -> Option<CaseRequest> {
    let shared = group.labels.requests.iter().find(|(m, _)| *m == mode).map(|(_, r)| r.clone());
    match shared {
        Some(shared) if req.model == group.scenario.request.model => Some(CaseRequest::new(shared, None)),
        Some(shared) => Some(CaseRequest::new(shared, Some(&req.model))),
        None => Some(CaseRequest::new(Arc::new(JsonText::of(req).ok()?), None)),
    }
}

pub fn base_result(group: &CaseGroup, mode: Mode, model: &str) -> CaseResult {
    CaseResult {
        suite: group.suite.clone(),
        scenario: group.labels.scenario.clone(),
        provider: group.provider.clone(),
        model: model.to_string(),
        stream: mode.is_stream(),
        tags: group.labels.tags.clone(),
        status: CaseStatus::Skipped,
        reason: None,
        fingerprint: None,
        ttft_ms: None,
        total_ms: 0.0,
        usage: None,
        cost_usd: None,
        attempts: Vec::new(),
        description: group.labels.description.clone(),
        request: None,
        error: None,
        snapshot: None,
        snapshot_diff: None,
        xfail_link: None,
    }
}
