//! One group of cases: a scenario on one provider, in each of its modes, run side by side and
//! then compared (a stream must reassemble to what the non-stream call gives).

use super::case_call::{case_request, retried, run_calls};
use super::case_row::{base_result, row_request};
use super::exec_context::ExecContext;
use super::judge::judge;
use super::plan::CaseGroup;
use super::verdict::{Evidence, VerdictInputs, decide};
use crate::diff::json_diff;
use crate::results::{CaseResult, SnapshotState};
use crate::suite::{CaseId, Mode, Scenario};

pub async fn run_group(ctx: &ExecContext, group: &CaseGroup) -> Vec<CaseResult> {
    let (scenario, provider, modes) = (&*group.scenario, &*group.provider, &group.modes[..]);
    // A seam for the regression test of "a panicking case vanishes": no input can make a case
    // panic any more, so debug builds can be told to.
    #[cfg(debug_assertions)]
    if let Ok(target) = std::env::var("LLM_CONFORM_DEBUG_PANIC_CASE")
        && modes.iter().any(|&m| group.case_id(m) == target)
    {
        panic!("injected panic in {target}");
    }
    let ran: Vec<(CaseResult, Evidence)> =
        futures::future::join_all(modes.iter().map(|&mode| run_mode(ctx, group, mode))).await;
    let blame = disagreement(scenario, &ran);
    ran.into_iter()
        .map(|(mut row, evidence)| {
            let inputs = VerdictInputs {
                evidence: &evidence,
                disagreement: blame.as_ref().filter(|(m, _)| *m == row.mode()).map(|(_, text)| text.as_str()),
                retried: scenario.route.is_none() && retried(&row.attempts),
                xfail: scenario.xfail_for(provider, row.mode()),
            };
            let (status, reason) = decide(&inputs);
            row.status = status;
            row.reason = reason;
            row.xfail_link = inputs.xfail.and_then(|x| x.link.clone());
            if let Evidence::Judged(j) = evidence {
                if let (Some((state, diff)), Some(store)) = (j.snapshot, &ctx.snapshots) {
                    row.snapshot = Some(state);
                    if state == SnapshotState::Drift {
                        row.snapshot_diff = diff;
                    }
                    if let Err(e) = store.record(&row.id(), &j.fingerprint, state) {
                        row.reason = Some(format!(
                            "{}failed to write its snapshot: {e}",
                            row.reason.take().map(|r| r + "; ").unwrap_or_default()
                        ));
                    }
                }
                row.fingerprint = Some(j.fingerprint);
            }
            row
        })
        .collect()
}

/// One mode: its row with timings and attempts, and what decides its verdict.
async fn run_mode(ctx: &ExecContext, group: &CaseGroup, mode: Mode) -> (CaseResult, Evidence) {
    let scenario = &*group.scenario;
    let id = CaseId::new(&group.suite, &scenario.id, &group.provider, mode);
    let spec = scenario.route.is_none().then(|| ctx.live.get(&group.provider).ok()).flatten();
    let req = case_request(scenario, spec, mode);
    let mut row = base_result(group, mode, &req.model);
    row.request = row_request(group, mode, &req);
    let evidence = match run_calls(ctx, scenario, &id, &req, &mut row).await {
        Ok(calls) => Evidence::Judged(judge(ctx, scenario, &id, &req, &calls.result, calls.chunks, calls.path)),
        Err(stopped) => stopped,
    };
    // The row lives until the run ends: no spare room in its lists (one attempt is typical,
    // and a list grown from empty has room for four).
    row.shrink_to_fit();
    (row, evidence)
}

/// When the two modes' fingerprints disagree, the mode to blame and what to say. The blame goes
/// to the mode that deviates on its own (from its expectations or its snapshot); when neither or
/// both do, to the stream, whose reassembly is what the promise is about.
fn disagreement(scenario: &Scenario, ran: &[(CaseResult, Evidence)]) -> Option<(Mode, String)> {
    if !scenario.expect.stream_matches_non_stream.unwrap_or(true) {
        return None;
    }
    let judged = |m: Mode| {
        ran.iter().find(|(r, _)| r.mode() == m).and_then(|(_, e)| match e {
            Evidence::Judged(j) => Some(j),
            _ => None,
        })
    };
    let (ns, s) = (judged(Mode::NonStream)?, judged(Mode::Stream)?);
    let (a, b) = (ns.fingerprint.without_stream(), s.fingerprint.without_stream());
    if a == b {
        return None;
    }
    let (mode, why) = match (ns.deviation(), s.deviation()) {
        (Some(why), None) => (Mode::NonStream, format!("the non_stream call deviates from {why}")),
        (None, Some(why)) => (Mode::Stream, format!("the stream call deviates from {why}")),
        _ => (Mode::Stream, "a stream must reassemble to the non-stream response".to_string()),
    };
    let diff = json_diff(
        ("non_stream", &serde_json::to_value(&a).unwrap_or_default()),
        ("stream", &serde_json::to_value(&b).unwrap_or_default()),
    );
    Some((mode, format!("stream and non-stream calls disagree ({why}):\n{diff}")))
}
