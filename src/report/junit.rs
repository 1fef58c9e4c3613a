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
use crate::results::{CaseResult, CaseStatus, RunResults};

#[derive(Debug, thiserror::Error)]
#[error("failed to write junit.xml: {0}")]
pub struct JunitError(String);

fn duration_ms(ms: f64) -> Duration {
    Duration::from_secs_f64((ms / 1000.0).max(0.0))
}

fn test_case(c: &CaseResult, comparison: Option<&Comparison>) -> TestCase {
    let mode = if c.stream { "stream" } else { "non_stream" };
    let change = comparison.and_then(|cmp| cmp.change_for(&c.case_id()));
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

/// Renders `junit.xml`.
pub fn render_junit(results: &RunResults, comparison: Option<&Comparison>) -> Result<String, JunitError> {
    let mut by_provider: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in &results.cases {
        by_provider.entry(&c.provider).or_default().push(c);
    }
    let timestamp = chrono::DateTime::parse_from_rfc3339(&results.started_at).ok();
    let mut report = Report::new(format!("llm-conform {}", results.run_id));
    report.set_time(duration_ms(results.duration_ms));
    if let Some(t) = timestamp {
        report.set_timestamp(t);
    }
    for (provider, cases) in by_provider {
        let mut suite = TestSuite::new(provider);
        if let Some(t) = timestamp {
            suite.set_timestamp(t);
        }
        suite.set_time(duration_ms(cases.iter().map(|c| c.total_ms).sum()));
        suite.add_test_cases(cases.iter().map(|c| test_case(c, comparison)));
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
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| JunitError(e.to_string()))
}
