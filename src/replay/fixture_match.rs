//! Which fixture a request asks for, and whether it asks it the way the fixture was recorded:
//! the one check both replay servers (whole bodies on wiremock, timed parts on hyper) make, with
//! the same messages, so a harness error reads the same whichever served it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Fixture, FixtureRequest};
use crate::diff::json_diff;
use crate::suite::CaseId;
use llm_conform_mock::CASE_HEADER;

/// The case a request names in its case header.
pub fn case_of(header: Option<&str>, target: &str) -> Result<CaseId, String> {
    CaseId::parse(header.unwrap_or(""))
        .ok_or_else(|| format!("replay: request to {target} has no valid {CASE_HEADER} header"))
}

/// The fixture file of `case` under `root`; an error naming it and the command that records it
/// when there is none.
pub fn fixture_path(root: &Path, case: &CaseId) -> Result<PathBuf, String> {
    let path = root.join(case.fixture_path());
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "replay: no fixture {} for case {case}; record it with `llm-conform run --mode record-missing --provider {} --suite {} --scenario {}`",
            path.display(),
            case.provider,
            case.suite,
            case.scenario
        ))
    }
}

/// Loads the fixture at `path`.
pub fn load(path: &Path) -> Result<Fixture, String> {
    Fixture::load(path).map_err(|e| {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        msg
    })
}

/// Whether the request (method, path with query, body) is the one the fixture recorded; a
/// request that is not says how it differs (the encoder changed, or the scenario did).
pub fn check_request(
    recorded: &FixtureRequest,
    path: &Path,
    method: &str,
    target: &str,
    body: &[u8],
) -> Result<(), String> {
    if recorded.method != method || recorded.path != target {
        return Err(format!(
            "replay: {method} {target} does not match fixture {} ({} {}); re-record it",
            path.display(),
            recorded.method,
            recorded.path
        ));
    }
    let got: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if got != recorded.body {
        return Err(format!(
            "replay: request body differs from fixture {} (the encoder changed, or the scenario did):\n{}",
            path.display(),
            json_diff(("fixture", &recorded.body), ("request", &got))
        ));
    }
    Ok(())
}
