//! `junit.xml`: the run's verdicts in the format CI systems read (test tabs, PR annotations).
//!
//! One test suite per provider, one test case per scenario and mode, named
//! `suite/scenario [mode]` with class name `provider.suite`, so a CI test view groups by provider
//! and a case name can be pasted into `--suite`/`--scenario`. Mapping: `pass` passes; `flaky`
//! passes with each failed attempt as a `<flakyFailure>` (as cargo-nextest reports flaky tests);
//! `xfail` passes with a system-out note naming the documented divergence (CI must stay green on
//! a known divergence); `fail` and `xpass` are failures whose message is one short line and whose
//! body holds the whole reason and diff; `error` is an error; `skipped` and `unavailable` (an
//! outage, not a result) are skipped with the reason. With a baseline, a new failure's message starts
//! with `regression (was pass):`, a drifted fingerprint is noted in system-out, and a provider's
//! latency regression is in its suite's properties and system-out (it is not a case of its own,
//! so the case counts stay one per scenario and mode).

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::baseline::{ChangeClass, Comparison};
use super::html::{ChangeIndex, change_index};
use crate::results::{CaseResult, CaseStatus, RunResults};

#[derive(Debug, thiserror::Error)]
#[error("failed to write junit.xml: {0}")]
pub struct JunitError(String);

fn duration_ms(ms: f64) -> Duration {
    Duration::from_secs_f64((ms / 1000.0).max(0.0))
}

fn test_case(c: &CaseResult, changes: Option<&ChangeIndex<'_>>) -> TestCase {
    let mode = if c.stream { "stream" } else { "non_stream" };
    let change = changes.and_then(|ix| ix.get(c.case_id().as_str()).copied());
    let reason = c.reason.clone().unwrap_or_default();
    let regression_prefix = match change {
        Some(ch) if ch.class == ChangeClass::Regression => {
            format!("regression (was {}): ", ch.before.map_or("absent", |s| s.as_str()))
        }
        _ => String::new(),
    };
    let detail = change
        .and_then(|ch| ch.diff.clone())
        .or_else(|| c.snapshot_diff.clone())
        .or_else(|| c.error.as_ref().and_then(|e| serde_json::to_string_pretty(e).ok()));
    let status = match c.status {
        CaseStatus::Pass | CaseStatus::Xfail => TestCaseStatus::success(),
        CaseStatus::Flaky => {
            let mut s = TestCaseStatus::success();
            for a in c.attempts.iter().filter(|a| matches!(a.outcome, crate::results::AttemptOutcome::Error(_))) {
                let mut run = TestRerun::new(NonSuccessKind::Failure);
                run.set_type(a.outcome.as_str());
                run.set_message(format!("{}/{}: {} ({})", a.provider, a.model, a.outcome, a.why));
                run.set_time(duration_ms(a.latency_ms));
                s.add_rerun(run);
            }
            s
        }
        CaseStatus::Skipped | CaseStatus::Unavailable => {
            let mut s = TestCaseStatus::skipped();
            let what = if reason.is_empty() { c.status.as_str().to_string() } else { reason.clone() };
            s.set_message(format!("{}: {}", c.status.as_str(), first_line(&what)));
            s
        }
        CaseStatus::Fail | CaseStatus::Xpass | CaseStatus::Error => {
            let kind = if c.status == CaseStatus::Error { NonSuccessKind::Error } else { NonSuccessKind::Failure };
            let what = if c.status == CaseStatus::Xpass && reason.is_empty() {
                "a documented divergence did not happen: remove the xfail".to_string()
            } else {
                reason.clone()
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_type(c.status.as_str());
            // CI annotations show the message on one line; the body keeps everything.
            s.set_message(format!("{regression_prefix}{}: {}", c.status.as_str(), first_line(&what)));
            let body: Vec<&str> = [Some(what.as_str()), detail.as_deref()].into_iter().flatten().collect();
            s.set_description(body.join("\n\n"));
            s
        }
    };
    let mut tc = TestCase::new(format!("{}/{} [{mode}]", c.suite, c.scenario), status);
    tc.set_classname(format!("{}.{}", c.provider, c.suite));
    tc.set_time(duration_ms(c.total_ms));
    tc.add_property(Property::new("model", c.model.clone()));
    let mut out = Vec::new();
    if c.status == CaseStatus::Xfail {
        let link = c.xfail_link.as_deref().map(|l| format!(" ({l})")).unwrap_or_default();
        out.push(format!("xfail: failed as documented: {reason}{link}"));
    }
    if let Some(ch) = change
        && ch.class == ChangeClass::Drift
    {
        out.push(format!("fingerprint drift from the baseline: {}", ch.changed_fields.join("; ")));
        if let Some(d) = &ch.diff {
            out.push(d.clone());
        }
    }
    if !out.is_empty() {
        tc.set_system_out(out.join("\n"));
    }
    tc
}

/// The first line of a reason, shortened: what fits in an annotation.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim_end_matches(':');
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The report element with the run's name, time and totals, and no suites: the head of the
/// file. The totals count as [`TestSuite::add_test_case`] does, from the mapping in
/// [`test_case`].
fn report_head(results: &RunResults, timestamp: Option<chrono::DateTime<chrono::FixedOffset>>) -> Report {
    let mut report = Report::new(format!("llm-conform {}", results.run_id));
    report.set_time(duration_ms(results.duration_ms));
    if let Some(t) = timestamp {
        report.set_timestamp(t);
    }
    report
}

/// One provider's suite: its cases, and its latency against the baseline.
fn provider_suite(
    provider: &str,
    cases: &[&CaseResult],
    timestamp: Option<chrono::DateTime<chrono::FixedOffset>>,
    comparison: Option<&Comparison>,
    changes: Option<&ChangeIndex<'_>>,
) -> TestSuite {
    let mut suite = TestSuite::new(provider);
    if let Some(t) = timestamp {
        suite.set_timestamp(t);
    }
    suite.set_time(duration_ms(cases.iter().map(|c| c.total_ms).sum()));
    suite.add_test_cases(cases.iter().map(|c| test_case(c, changes)));
    if let Some(l) = comparison.and_then(|cmp| cmp.latency.iter().find(|l| l.provider == provider)) {
        suite.add_property(Property::new("baseline_p95_total_ms", format!("{:.1}", l.before_p95_ms)));
        suite.add_property(Property::new("p95_total_ms", format!("{:.1}", l.after_p95_ms)));
        if l.regression {
            suite.set_system_out(format!(
                "latency regression: p95 total {:.1} ms -> {:.1} ms ({:+.0}%)",
                l.before_p95_ms,
                l.after_p95_ms,
                l.change * 100.0
            ));
        }
    }
    suite
}

/// Where the `<testsuites …>` start tag of a serialized report ends, and where the line of its
/// end tag begins: what lies between is the suites.
fn suites_span(xml: &str) -> Result<(usize, usize), JunitError> {
    let bad = || JunitError("unexpected report layout from quick-junit".into());
    let start = xml.find("<testsuites").ok_or_else(bad)?;
    // Attribute values are escaped, so the first `>` closes the tag.
    let open_end = start + xml[start..].find('>').ok_or_else(bad)? + 1;
    let close = xml.rfind("\n</testsuites>").ok_or_else(bad)?;
    if close < open_end {
        return Err(bad());
    }
    Ok((open_end, close))
}

/// Writes `junit.xml` to `out` one provider's suite at a time (a suite is built, written and
/// dropped), so a large run is never one report in memory. The bytes are those quick-junit
/// writes for the whole report.
pub fn write_junit(
    out: &mut dyn std::io::Write,
    results: &RunResults,
    comparison: Option<&Comparison>,
) -> Result<(), JunitError> {
    let io = |e: std::io::Error| JunitError(e.to_string());
    let xml = |r: &Report| r.to_string().map_err(|e| JunitError(e.to_string()));
    let mut by_provider: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in &results.cases {
        by_provider.entry(&c.provider).or_default().push(c);
    }
    let changes = comparison.map(change_index);
    let timestamp = chrono::DateTime::parse_from_rfc3339(&results.started_at).ok();
    let mut head = report_head(results, timestamp);
    for c in &results.cases {
        head.tests += 1;
        match c.status {
            CaseStatus::Pass | CaseStatus::Xfail | CaseStatus::Flaky => {}
            CaseStatus::Skipped | CaseStatus::Unavailable => head.skipped += 1,
            CaseStatus::Fail | CaseStatus::Xpass => head.failures += 1,
            CaseStatus::Error => head.errors += 1,
        }
    }
    let head_xml = xml(&head)?;
    let (open_end, close) = suites_span(&head_xml)?;
    out.write_all(&head_xml.as_bytes()[..open_end]).map_err(io)?;
    for (provider, cases) in &by_provider {
        let mut one = report_head(results, timestamp);
        one.add_test_suite(provider_suite(provider, cases, timestamp, comparison, changes.as_ref()));
        let one_xml = xml(&one)?;
        let (from, to) = suites_span(&one_xml)?;
        out.write_all(&one_xml.as_bytes()[from..to]).map_err(io)?;
    }
    out.write_all(&head_xml.as_bytes()[close..]).map_err(io)
}

/// `junit.xml` as a string (tests; files are written with [`write_junit`]).
pub fn render_junit(results: &RunResults, comparison: Option<&Comparison>) -> Result<String, JunitError> {
    let mut xml = Vec::new();
    write_junit(&mut xml, results, comparison)?;
    String::from_utf8(xml).map_err(|e| JunitError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CompareOptions, compare};

    fn case(provider: &str, scenario: &str, status: CaseStatus) -> CaseResult {
        serde_json::from_value(serde_json::json!({
            "suite": "s", "scenario": scenario, "provider": provider, "model": "m", "stream": false, "tags": [],
            "status": status, "reason": format!("why <{scenario}> & \"quoted\""), "fingerprint": null,
            "ttft_ms": null, "total_ms": 12.5, "usage": null, "cost_usd": null, "attempts": []
        }))
        .unwrap()
    }

    fn run(cases: Vec<CaseResult>) -> RunResults {
        serde_json::from_value(serde_json::json!({"schema": 1, "run_id": "r", "mode": "replay",
            "started_at": "2026-12-01T10:00:00Z", "duration_ms": 1500.0, "cases": cases}))
        .unwrap()
    }

    /// The whole report as quick-junit writes it in one piece.
    fn whole(results: &RunResults, comparison: Option<&Comparison>) -> String {
        let timestamp = chrono::DateTime::parse_from_rfc3339(&results.started_at).ok();
        let changes = comparison.map(change_index);
        let mut by_provider: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
        for c in &results.cases {
            by_provider.entry(&c.provider).or_default().push(c);
        }
        let mut report = report_head(results, timestamp);
        for (provider, cases) in &by_provider {
            report.add_test_suite(provider_suite(provider, cases, timestamp, comparison, changes.as_ref()));
        }
        report.to_string().unwrap()
    }

    #[test]
    fn written_suite_by_suite_it_is_the_whole_report_byte_for_byte() {
        let statuses = [CaseStatus::Pass, CaseStatus::Fail, CaseStatus::Skipped, CaseStatus::Error, CaseStatus::Xpass];
        let many: Vec<CaseResult> = ["anthropic", "gemini", "openai"]
            .iter()
            .flat_map(|p| statuses.iter().enumerate().map(move |(i, s)| case(p, &format!("c{i}"), *s)))
            .collect();
        let mut before = run(many.clone());
        before.cases[1].status = CaseStatus::Pass;
        let before = crate::report::BaselineIndex::from_results(before);
        for results in [run(vec![]), run(vec![case("openai", "only", CaseStatus::Unavailable)]), run(many)] {
            assert_eq!(render_junit(&results, None).unwrap(), whole(&results, None));
            let cmp = compare(&results, &before, "b", &CompareOptions::default()).unwrap();
            assert_eq!(render_junit(&results, Some(&cmp)).unwrap(), whole(&results, Some(&cmp)));
        }
    }
}
