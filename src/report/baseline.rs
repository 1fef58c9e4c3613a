//! Comparing a run with a baseline run: what broke, what was fixed, what drifted, how latency
//! moved.
//!
//! The weekly live run answers "what changed since last week", so by default the baseline is the
//! previous run (`reports/baseline/results.json`, replaced after every run unless
//! `--no-update-baseline`). Classes, per case (`suite/scenario/provider/mode`):
//!
//! - `regression`: a new failure: was pass or xfail, now fail, error or xpass;
//! - `fixed`: was fail, error or xpass, now pass or xfail;
//! - `still_failing`: a problem in both runs;
//! - `drift`: no problem in either run but the fingerprint changed (the provider behaves
//!   differently, within what the expectations allow);
//! - `new` / `removed`: in only one of the runs (a case skipped in the baseline counts as new:
//!   there is nothing to compare it with);
//! - `not_run`: ran in the baseline, skipped now (a missing key must not look like "no change");
//! - `unavailable`: the provider was down for this case (an outage, never a regression); the
//!   baseline keeps the case's last real result.
//!
//! Per provider, a latency regression is a p95 total latency more than `latency_threshold` (a
//! share, 0.25 = 25%) above the baseline's and at least `latency_min_ms` above it: replay
//! latencies are a few milliseconds, where a 25% swing is noise. Latency is not compared when the
//! runs' modes differ (replay and live latencies measure different things).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::provider_stats;
use super::provider_stats::provider_stats_of;
use crate::results::{CaseResult, CaseStatus, RunResults};

/// How one case changed between the baseline and this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    Regression,
    Fixed,
    StillFailing,
    Drift,
    New,
    Removed,
    NotRun,
    Unavailable,
}

impl ChangeClass {
    pub const ALL: [ChangeClass; 8] = [
        ChangeClass::Regression,
        ChangeClass::Fixed,
        ChangeClass::StillFailing,
        ChangeClass::Drift,
        ChangeClass::New,
        ChangeClass::Removed,
        ChangeClass::NotRun,
        ChangeClass::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Regression => "regression",
            ChangeClass::Fixed => "fixed",
            ChangeClass::StillFailing => "still_failing",
            ChangeClass::Drift => "drift",
            ChangeClass::New => "new",
            ChangeClass::Removed => "removed",
            ChangeClass::NotRun => "not_run",
            ChangeClass::Unavailable => "unavailable",
        }
    }

    /// A short human label for headings.
    pub fn label(self) -> &'static str {
        match self {
            ChangeClass::Regression => "new failures",
            ChangeClass::Fixed => "fixed",
            ChangeClass::StillFailing => "still failing",
            ChangeClass::Drift => "fingerprint drift",
            ChangeClass::New => "new cases",
            ChangeClass::Removed => "removed cases",
            ChangeClass::NotRun => "not run this time",
            ChangeClass::Unavailable => "provider unavailable",
        }
    }
}

/// One case whose verdict or fingerprint changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseChange {
    /// `suite/scenario/provider/mode`.
    pub id: String,
    pub provider: String,
    pub class: ChangeClass,
    pub before: Option<CaseStatus>,
    pub after: Option<CaseStatus>,
    /// Why the case is not passing now, or why it was not passing before (for `fixed`).
    pub reason: Option<String>,
    /// Fingerprint fields that changed, one `path: old → new` per entry.
    pub changed_fields: Vec<String>,
    /// A unified diff of the two fingerprints, when they differ.
    pub diff: Option<String>,
}

/// p95 total latency of one provider in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyChange {
    pub provider: String,
    pub before_p95_ms: f64,
    pub after_p95_ms: f64,
    /// `after / before - 1`.
    pub change: f64,
    pub regression: bool,
}

/// Knobs for [`compare`].
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// A provider's p95 may grow by this share before it is a regression (0.25 = 25%).
    pub latency_threshold: f64,
    /// ... and by at least this many milliseconds.
    pub latency_min_ms: f64,
    /// Only these case ids take part (a filtered or sharded run must not report every case it
    /// did not select as removed); `None` compares everything.
    pub scope: Option<HashSet<String>>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { latency_threshold: 0.25, latency_min_ms: 50.0, scope: None }
    }
}

/// The result of comparing a run with its baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline_run_id: String,
    pub baseline_started_at: String,
    pub baseline_mode: String,
    /// Where the baseline was read from, for people looking for it.
    pub baseline_source: String,
    /// Changed cases, sorted by class then id.
    pub changes: Vec<CaseChange>,
    /// Cases compared and found unchanged.
    pub unchanged: usize,
    pub latency: Vec<LatencyChange>,
    pub latency_threshold: f64,
    pub latency_min_ms: f64,
    /// Why latency was not compared, when it was not.
    pub latency_note: Option<String>,
    /// Whether the comparison was limited to the run's selection.
    pub scoped: bool,
}

impl Comparison {
    pub fn count(&self, class: ChangeClass) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }

    pub fn of(&self, class: ChangeClass) -> impl Iterator<Item = &CaseChange> {
        self.changes.iter().filter(move |c| c.class == class)
    }

    pub fn latency_regressions(&self) -> impl Iterator<Item = &LatencyChange> {
        self.latency.iter().filter(|l| l.regression)
    }

    /// Whether anything got worse: a new failure or a latency regression (exit code 1).
    pub fn has_regressions(&self) -> bool {
        self.count(ChangeClass::Regression) > 0 || self.latency_regressions().next().is_some()
    }

    /// The change recorded for one case id, if any.
    pub fn change_for(&self, id: &str) -> Option<&CaseChange> {
        self.changes.iter().find(|c| c.id == id)
    }

    /// One line for the terminal and headings: counts of every class.
    pub fn headline(&self) -> String {
        let mut parts: Vec<String> =
            ChangeClass::ALL.iter().map(|c| format!("{} {}", self.count(*c), c.as_str())).collect();
        parts.push(format!("{} latency regression(s)", self.latency_regressions().count()));
        parts.join(", ")
    }
}

/// How a case moved between the baseline (`old`, absent when it had no verdict there) and
/// this run; `None` when nothing worth reporting changed.
fn classify(old: Option<&CaseResult>, new: Option<&CaseResult>) -> Option<ChangeClass> {
    match (old, new) {
        (None, None) => None,
        (_, Some(n)) if n.status == CaseStatus::Unavailable => Some(ChangeClass::Unavailable),
        (None, Some(n)) => (n.status != CaseStatus::Skipped).then_some(ChangeClass::New),
        (Some(_), None) => Some(ChangeClass::Removed),
        (Some(_), Some(n)) if n.status == CaseStatus::Skipped => Some(ChangeClass::NotRun),
        (Some(o), Some(n)) => match (is_ok(o.status), is_ok(n.status)) {
            (true, false) => Some(ChangeClass::Regression),
            (false, true) => Some(ChangeClass::Fixed),
            (false, false) => Some(ChangeClass::StillFailing),
            (true, true) => (o.fingerprint != n.fingerprint).then_some(ChangeClass::Drift),
        },
    }
}

/// The change record of one case: what changed in its fingerprint, and the reason to show.
fn change(id: &str, class: ChangeClass, old: Option<&CaseResult>, new: Option<&CaseResult>) -> CaseChange {
    let (changed_fields, diff) = match (old, new) {
        (Some(o), Some(n)) if o.fingerprint != n.fingerprint => {
            let a = fingerprint_value(o);
            let b = fingerprint_value(n);
            let mut fields = Vec::new();
            field_changes("", &a, &b, &mut fields);
            (fields, Some(fingerprint_diff(&a, &b)))
        }
        _ => (Vec::new(), None),
    };
    let reason = match class {
        ChangeClass::Fixed => old.and_then(|o| o.reason.clone()).map(|r| format!("was: {r}")),
        ChangeClass::Removed => None,
        _ => new.and_then(|n| n.reason.clone()),
    };
    CaseChange {
        id: id.to_string(),
        provider: new.or(old).map(|c| c.provider.clone()).unwrap_or_default(),
        class,
        before: old.map(|c| c.status),
        after: new.map(|c| c.status),
        reason,
        changed_fields,
        diff,
    }
}

fn is_ok(s: CaseStatus) -> bool {
    matches!(s, CaseStatus::Pass | CaseStatus::Xfail | CaseStatus::Flaky)
}

/// Compares `current` with `baseline`; `source` names where the baseline came from.
pub fn compare(current: &RunResults, baseline: &RunResults, source: &str, opts: &CompareOptions) -> Comparison {
    let in_scope = |id: &str| opts.scope.as_ref().is_none_or(|s| s.contains(id));
    let before: BTreeMap<String, &CaseResult> =
        baseline.cases.iter().map(|c| (c.case_id(), c)).filter(|(id, _)| in_scope(id)).collect();
    let after: BTreeMap<String, &CaseResult> = current.cases.iter().map(|c| (c.case_id(), c)).collect();
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for id in ids {
        let old = before.get(id).copied().filter(|c| c.status.is_conformance_result());
        let new = after.get(id).copied();
        match classify(old, new) {
            Some(class) => changes.push(change(id, class, old, new)),
            None if old.is_some() && new.is_some() => unchanged += 1,
            None => {}
        }
    }
    changes.sort_by(|a, b| (a.class, &a.id).cmp(&(b.class, &b.id)));

    let (latency, latency_note) = if current.mode != baseline.mode {
        (
            Vec::new(),
            Some(format!(
                "latency not compared: the baseline ran in {} mode, this run in {} mode",
                baseline.mode, current.mode
            )),
        )
    } else {
        let scoped = baseline.cases.iter().filter(|c| in_scope(&c.case_id()));
        (latency_changes(&provider_stats_of(scoped), &provider_stats(&current.cases), opts), None)
    };

    Comparison {
        baseline_run_id: baseline.run_id.clone(),
        baseline_started_at: baseline.started_at.clone(),
        baseline_mode: baseline.mode.clone(),
        baseline_source: source.to_string(),
        changes,
        unchanged,
        latency,
        latency_threshold: opts.latency_threshold,
        latency_min_ms: opts.latency_min_ms,
        latency_note,
        scoped: opts.scope.is_some(),
    }
}

fn latency_changes(
    before: &[super::ProviderStats],
    after: &[super::ProviderStats],
    opts: &CompareOptions,
) -> Vec<LatencyChange> {
    after
        .iter()
        .filter_map(|a| {
            let b = before.iter().find(|b| b.provider == a.provider)?;
            let (old, new) = (b.total_p95_ms?, a.total_p95_ms?);
            let change = if old > 0.0 { new / old - 1.0 } else { 0.0 };
            Some(LatencyChange {
                provider: a.provider.clone(),
                before_p95_ms: old,
                after_p95_ms: new,
                change,
                regression: change > opts.latency_threshold && new - old >= opts.latency_min_ms,
            })
        })
        .collect()
}

fn fingerprint_value(c: &CaseResult) -> Value {
    c.fingerprint.as_ref().and_then(|f| serde_json::to_value(f).ok()).unwrap_or(Value::Null)
}

/// A unified diff of two fingerprints, pretty-printed, with three lines of context: enough to
/// place a change (the whole fingerprint is shown next to it in the report), and small enough that
/// a week in which every case drifted still gives a report of a few megabytes.
pub fn fingerprint_diff(before: &Value, after: &Value) -> String {
    crate::diff::json_diff(("baseline", before), ("this run", after))
}

fn short(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// Leaf-level differences, `path: old → new`, so a summary line can say what moved without a
/// diff.
fn field_changes(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => field_changes(&p, va, vb, out),
                    (va, vb) => out.push(format!("{p}: {} → {}", short(va), short(vb))),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                field_changes(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => {
            let p = if path.is_empty() { "fingerprint" } else { path };
            out.push(format!("{p}: {} → {}", short(Some(a)), short(Some(b))));
        }
        _ => {}
    }
}

/// The baseline to keep after a run: the run's cases that reached a verdict, and for everything
/// else — cases outside a filtered run's `scope`, cases skipped or unavailable this time — what
/// the old baseline had. A `--provider gemini` run does not make every other provider's cases
/// "new" next time, and an outage or a missing key never erases a provider's last real result.
pub fn updated_baseline(old: Option<&RunResults>, current: &RunResults, scope: Option<&HashSet<String>>) -> RunResults {
    let next = NextBaseline::of(old, current, scope);
    RunResults {
        schema: current.schema,
        run_id: current.run_id.clone(),
        mode: current.mode.clone(),
        started_at: current.started_at.clone(),
        duration_ms: current.duration_ms,
        cases: next.cases.into_iter().cloned().collect(),
        bench: current.bench.clone(),
        interrupted: current.interrupted.clone(),
    }
}

/// [`updated_baseline`] without copying a row: the cases it keeps, borrowed from the run and
/// the old baseline, written exactly as the `RunResults` it stands for.
#[derive(Serialize)]
pub struct NextBaseline<'a> {
    schema: u32,
    run_id: &'a str,
    mode: &'a str,
    started_at: &'a str,
    duration_ms: f64,
    cases: Vec<&'a CaseResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bench: &'a Option<crate::results::BenchReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted: &'a Option<crate::results::Interruption>,
}

impl<'a> NextBaseline<'a> {
    pub fn of(old: Option<&'a RunResults>, current: &'a RunResults, scope: Option<&HashSet<String>>) -> Self {
        let mut cases: Vec<&CaseResult> = current.cases.iter().filter(|c| c.status.is_conformance_result()).collect();
        if let Some(old) = old {
            let taken: HashSet<String> = cases.iter().map(|c| c.case_id()).collect();
            let in_run: HashSet<String> = current.cases.iter().map(CaseResult::case_id).collect();
            let keep = |c: &&CaseResult| {
                let id = c.case_id();
                let out_of_scope = scope.is_some_and(|s| !s.contains(&id));
                !taken.contains(&id) && (out_of_scope || in_run.contains(&id))
            };
            cases.extend(old.cases.iter().filter(keep));
        }
        cases.sort_by_cached_key(|c| c.case_id());
        NextBaseline {
            schema: current.schema,
            run_id: &current.run_id,
            mode: &current.mode,
            started_at: &current.started_at,
            duration_ms: current.duration_ms,
            cases,
            bench: &current.bench,
            interrupted: &current.interrupted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_changes_name_paths() {
        let mut out = Vec::new();
        field_changes(
            "",
            &json!({"outcome":"success","finish_reason":"stop","tool_calls":[{"name":"a"}]}),
            &json!({"outcome":"success","finish_reason":"length","tool_calls":[{"name":"b"}],"reasoning":true}),
            &mut out,
        );
        assert_eq!(
            out,
            vec!["finish_reason: stop → length", "reasoning: (absent) → true", "tool_calls[0].name: a → b"]
        );
    }

    fn case(id: &str, status: CaseStatus) -> CaseResult {
        let parts: Vec<&str> = id.split('/').collect();
        serde_json::from_value(json!({
            "suite": parts[0], "scenario": parts[1], "provider": parts[2], "model": "m",
            "stream": false, "tags": [], "status": status, "reason": null, "fingerprint": null,
            "ttft_ms": null, "total_ms": 1.0, "usage": null, "cost_usd": null, "attempts": []
        }))
        .unwrap()
    }

    fn run(cases: Vec<CaseResult>) -> RunResults {
        serde_json::from_value(json!({"schema": 1, "run_id": "r", "mode": "live", "started_at": "", "duration_ms": 1.0,
            "cases": cases}))
        .unwrap()
    }

    #[test]
    fn outages_and_skips_keep_the_last_real_result_in_the_baseline() {
        let old = run(vec![
            case("s/a/p/x", CaseStatus::Pass),
            case("s/b/p/x", CaseStatus::Fail),
            case("s/gone/p/x", CaseStatus::Pass),
        ]);
        let now = run(vec![
            case("s/a/p/x", CaseStatus::Unavailable),
            case("s/b/p/x", CaseStatus::Skipped),
            case("s/c/p/x", CaseStatus::Flaky),
        ]);
        let next = updated_baseline(Some(&old), &now, None);
        let statuses: Vec<(String, CaseStatus)> = next.cases.iter().map(|c| (c.case_id(), c.status)).collect();
        assert_eq!(
            statuses,
            [
                ("s/a/p/non_stream".into(), CaseStatus::Pass),
                ("s/b/p/non_stream".into(), CaseStatus::Fail),
                ("s/c/p/non_stream".into(), CaseStatus::Flaky)
            ],
            "removed cases drop out, the rest keep their last verdict"
        );
        let cmp = compare(&now, &old, "b", &CompareOptions::default());
        assert_eq!(cmp.count(ChangeClass::Unavailable), 1);
        assert_eq!(cmp.count(ChangeClass::Regression), 0, "an outage is not a regression");
        assert_eq!(cmp.count(ChangeClass::NotRun), 1);
    }

    #[test]
    fn the_borrowed_next_baseline_writes_as_the_updated_one() {
        let mut old = run(vec![case("s/a/p/x", CaseStatus::Pass), case("s/b/p/x", CaseStatus::Fail)]);
        old.bench = None;
        let mut now = run(vec![case("s/a/p/x", CaseStatus::Skipped), case("s/c/p/x", CaseStatus::Pass)]);
        now.interrupted = Some(crate::results::Interruption { signal: "SIGINT".into(), not_run: 2 });
        let scope: HashSet<String> = ["s/c/p/non_stream".to_string()].into();
        for scope in [None, Some(&scope)] {
            let owned = serde_json::to_string_pretty(&updated_baseline(Some(&old), &now, scope)).unwrap();
            let borrowed = serde_json::to_string_pretty(&NextBaseline::of(Some(&old), &now, scope)).unwrap();
            assert_eq!(owned, borrowed);
            assert!(owned.contains("\"scenario\": \"a\""), "the old verdict of a skipped case is kept: {owned}");
        }
    }

    #[test]
    fn diff_shows_both_sides() {
        let d = fingerprint_diff(&json!({"finish_reason":"stop"}), &json!({"finish_reason":"length"}));
        assert!(d.contains("-  \"finish_reason\": \"stop\"") && d.contains("+  \"finish_reason\": \"length\""), "{d}");
    }
}
