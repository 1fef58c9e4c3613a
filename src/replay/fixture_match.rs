//! Which fixture a request asks for, and whether it asks it the way the fixture was recorded:
//! the one check both replay servers (whole bodies on wiremock, timed parts on hyper) make, with
//! the same messages, so a harness error reads the same whichever served it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Fixture, FixtureError, FixtureRequest};
use crate::diff::json_diff;
use crate::suite::CaseId;
use llm_conform_mock::CASE_HEADER;

/// Why a replay server could not answer a request with its fixture. The message is what the
/// runner reports as the case's harness error.
#[derive(Debug, thiserror::Error)]
pub enum ReplayRefusal {
    #[error("replay: request to {target} has no valid {CASE_HEADER} header")]
    NoCase { target: String },
    #[error(
        "replay: no fixture {} for case {case}; record it with `llm-conform run --mode record-missing --provider {} --suite {} --scenario {}`",
        path.display(), case.provider, case.suite, case.scenario
    )]
    Missing { path: PathBuf, case: CaseId },
    #[error("replay: {0}")]
    Unreadable(#[source] FixtureError),
    #[error("replay: {method} {target} does not match fixture {} ({recorded}); re-record it", path.display())]
    Route { method: String, target: String, path: PathBuf, recorded: String },
    #[error("replay: request body differs from fixture {} (the encoder changed, or the scenario did):\n{diff}", path.display())]
    Body { path: PathBuf, diff: String },
}

/// The case a request names in its case header.
pub fn case_of(header: Option<&str>, target: &str) -> Result<CaseId, ReplayRefusal> {
    CaseId::parse(header.unwrap_or("")).ok_or_else(|| ReplayRefusal::NoCase { target: target.to_string() })
}

/// The fixture file of `case` under `root`; an error naming it and the command that records it
/// when there is none.
pub fn fixture_path(root: &Path, case: &CaseId) -> Result<PathBuf, ReplayRefusal> {
    let path = root.join(case.fixture_path());
    if path.exists() { Ok(path) } else { Err(ReplayRefusal::Missing { path, case: case.clone() }) }
}

/// Loads the fixture at `path`.
pub fn load(path: &Path) -> Result<Fixture, ReplayRefusal> {
    Fixture::load(path).map_err(ReplayRefusal::Unreadable)
}

/// A refusal with its whole cause chain, as one line of text for the harness error.
pub fn describe(e: &ReplayRefusal) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Whether the request (method, path with query, body) is the one the fixture recorded; a
/// request that is not says how it differs (the encoder changed, or the scenario did).
pub fn check_request(
    recorded: &FixtureRequest,
    path: &Path,
    method: &str,
    target: &str,
    body: &[u8],
) -> Result<(), ReplayRefusal> {
    if recorded.method != method || recorded.path != target {
        return Err(ReplayRefusal::Route {
            method: method.to_string(),
            target: target.to_string(),
            path: path.to_path_buf(),
            recorded: format!("{} {}", recorded.method, recorded.path),
        });
    }
    let got: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if got != recorded.body {
        let diff = json_diff(("fixture", &recorded.body), ("request", &got));
        return Err(ReplayRefusal::Body { path: path.to_path_buf(), diff });
    }
    Ok(())
}
