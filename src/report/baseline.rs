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

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::baseline_index::{BaselineIndex, IndexEntry};
use super::provider_stats::total_p95_ms;
use super::results_file::LoadError;
use crate::fingerprint_digest::FingerprintDigest;
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

/// What [`classify`] looks at on either side: the verdict and the fingerprint's digest.
#[derive(Clone, Copy)]
struct Verdict {
    status: CaseStatus,
    fingerprint: Option<FingerprintDigest>,
}

impl Verdict {
    fn of_row(c: &CaseResult) -> Verdict {
        Verdict { status: c.status, fingerprint: c.fingerprint.as_ref().map(FingerprintDigest::of) }
    }

    fn of_entry(e: &IndexEntry) -> Verdict {
        Verdict { status: e.status, fingerprint: e.fingerprint }
    }
}

/// How a case moved between the baseline (`old`, absent when it had no verdict there) and
/// this run; `None` when nothing worth reporting changed.
fn classify(old: Option<Verdict>, new: Option<Verdict>) -> Option<ChangeClass> {
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

/// One changed case before its record is made: the baseline's row is read again only for the
/// cases whose fingerprint changed.
struct Pending<'a> {
    id: &'a str,
    class: ChangeClass,
    old: Option<&'a IndexEntry>,
    new: Option<&'a CaseResult>,
    /// In both runs, with fingerprints that differ: the baseline's row is needed for the diff.
    fingerprint_changed: bool,
}

impl Pending<'_> {
    /// The change record: what changed in the fingerprint (`old_row` is the baseline's row when
    /// it did), and the reason to show.
    fn record(self, old_row: Option<&CaseResult>) -> CaseChange {
        let (old, new) = (self.old, self.new);
        let (changed_fields, diff) = match (old_row, new) {
            (Some(o), Some(n)) if self.fingerprint_changed => {
                let a = fingerprint_value(o);
                let b = fingerprint_value(n);
                let mut fields = Vec::new();
                field_changes("", &a, &b, &mut fields);
                (fields, Some(fingerprint_diff(&a, &b)))
            }
            _ => (Vec::new(), None),
        };
        let reason = match self.class {
            ChangeClass::Fixed => old.and_then(|o| o.reason.as_deref()).map(|r| format!("was: {r}")),
            ChangeClass::Removed => None,
            _ => new.and_then(|n| n.reason.clone()),
        };
        CaseChange {
            id: self.id.to_string(),
            provider: new
                .map(|c| c.provider.to_string())
                .or_else(|| old.map(|o| o.provider.to_string()))
                .unwrap_or_default(),
            class: self.class,
            before: old.map(|c| c.status),
            after: new.map(|c| c.status),
            reason,
            changed_fields,
            diff,
        }
    }
}

fn is_ok(s: CaseStatus) -> bool {
    matches!(s, CaseStatus::Pass | CaseStatus::Xfail | CaseStatus::Flaky)
}

/// Compares `current` with `baseline`; `source` names where the baseline came from. Fails only
/// when the baseline's rows, read again for the cases whose fingerprint changed, cannot be.
pub fn compare(
    current: &RunResults,
    baseline: &BaselineIndex,
    source: &str,
    opts: &CompareOptions,
) -> Result<Comparison, LoadError> {
    let in_scope = |id: &str| opts.scope.as_ref().is_none_or(|s| s.contains(id));
    // Both sides sorted by id and walked side by side: at the end of a large run every row is
    // still held, and a map of each side would be one more copy of every id.
    let mut after: Vec<(String, &CaseResult)> = current.cases.iter().map(|c| (c.case_id(), c)).collect();
    after.sort_by(|a, b| a.0.cmp(&b.0));
    after.dedup_by(|a, b| a.0 == b.0);
    let mut olds = baseline.entries().iter().filter(|e| in_scope(&e.id)).peekable();
    let mut news = after.iter().peekable();
    let mut pending = Vec::new();
    let mut unchanged = 0;
    loop {
        let order = match (olds.peek(), news.peek()) {
            (None, None) => break,
            (Some(o), Some((id, _))) => (*o.id).cmp(id.as_str()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
        };
        let old = if order.is_le() { olds.next() } else { None };
        let new = if order.is_ge() { news.next() } else { None };
        let id = old.map(|o| &*o.id).or(new.map(|(id, _)| id.as_str())).unwrap_or_default();
        let (old, new) = (old.filter(|e| e.status.is_conformance_result()), new.map(|(_, c)| *c));
        let (before, after) = (old.map(Verdict::of_entry), new.map(Verdict::of_row));
        match classify(before, after) {
            Some(class) => {
                let fingerprint_changed = before.zip(after).is_some_and(|(b, a)| b.fingerprint != a.fingerprint);
                pending.push(Pending { id, class, old, new, fingerprint_changed });
            }
            None if old.is_some() && new.is_some() => unchanged += 1,
            None => {}
        }
    }
    let wanted: HashSet<&str> = pending.iter().filter(|p| p.fingerprint_changed).map(|p| p.id).collect();
    let old_rows = if wanted.is_empty() { HashMap::new() } else { baseline.rows(&wanted)? };
    let mut changes: Vec<CaseChange> = pending
        .into_iter()
        .map(|p| {
            let row = old_rows.get(p.id);
            p.record(row)
        })
        .collect();
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
        let before = baseline.entries().iter().filter(|e| in_scope(&e.id));
        let old = total_p95_ms(before.map(|e| (&*e.provider, e.status, e.total_ms)));
        let new = total_p95_ms(current.cases.iter().map(|c| (&*c.provider, c.status, c.total_ms)));
        (latency_changes(&old, &new, opts), None)
    };

    Ok(Comparison {
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
    })
}

fn latency_changes(
    before: &BTreeMap<&str, Option<f64>>,
    after: &BTreeMap<&str, Option<f64>>,
    opts: &CompareOptions,
) -> Vec<LatencyChange> {
    after
        .iter()
        .filter_map(|(provider, new)| {
            let (old, new) = ((*before.get(provider)?)?, (*new)?);
            let change = if old > 0.0 { new / old - 1.0 } else { 0.0 };
            Some(LatencyChange {
                provider: provider.to_string(),
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
pub fn updated_baseline(
    old: Option<&BaselineIndex>,
    current: &RunResults,
    scope: Option<&HashSet<String>>,
) -> Result<RunResults, LoadError> {
    let kept = match old {
        Some(old) => kept_rows(old, current, scope)?,
        None => Vec::new(),
    };
    let next = NextBaseline::of(&kept, current);
    Ok(RunResults {
        schema: current.schema,
        run_id: current.run_id.clone(),
        mode: current.mode.clone(),
        started_at: current.started_at.clone(),
        duration_ms: current.duration_ms,
        cases: next.cases.into_iter().cloned().collect(),
        bench: current.bench.clone(),
        interrupted: current.interrupted.clone(),
    })
}

/// The old baseline's rows the next baseline keeps (see [`updated_baseline`]): read again from
/// the baseline file, since the index holds none.
pub fn kept_rows(
    old: &BaselineIndex,
    current: &RunResults,
    scope: Option<&HashSet<String>>,
) -> Result<Vec<CaseResult>, LoadError> {
    let ids: Vec<String> = current.cases.iter().map(CaseResult::case_id).collect();
    let in_run: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let taken: HashSet<&str> = ids
        .iter()
        .zip(&current.cases)
        .filter(|(_, c)| c.status.is_conformance_result())
        .map(|(id, _)| id.as_str())
        .collect();
    let wanted: HashSet<&str> = old
        .entries()
        .iter()
        .map(|e| &*e.id)
        .filter(|id| {
            let out_of_scope = scope.is_some_and(|s| !s.contains(*id));
            !taken.contains(id) && (out_of_scope || in_run.contains(id))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(old.rows(&wanted)?.into_values().collect())
}

/// [`updated_baseline`] without copying a row: the run's cases that reached a verdict and the
/// old rows [`kept_rows`] found, borrowed, written exactly as the `RunResults` it stands for.
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
    pub fn of(kept: &'a [CaseResult], current: &'a RunResults) -> Self {
        let mut cases: Vec<&CaseResult> = current.cases.iter().filter(|c| c.status.is_conformance_result()).collect();
        cases.extend(kept);
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
        let old = BaselineIndex::from_results(old);
        let next = updated_baseline(Some(&old), &now, None).unwrap();
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
        let cmp = compare(&now, &old, "b", &CompareOptions::default()).unwrap();
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
        let old = BaselineIndex::from_results(old);
        for scope in [None, Some(&scope)] {
            let owned = serde_json::to_string_pretty(&updated_baseline(Some(&old), &now, scope).unwrap()).unwrap();
            let kept = kept_rows(&old, &now, scope).unwrap();
            let borrowed = serde_json::to_string_pretty(&NextBaseline::of(&kept, &now)).unwrap();
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
