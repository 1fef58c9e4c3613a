//! The HTML report: one self-contained file (inline CSS and SVG, no external assets), readable
//! offline and as a CI artifact, light and dark.
//!
//! It answers, top to bottom: what broke since the baseline (the regression summary), what needs
//! attention in this run, how each provider did (pass rate, latency, throughput, cost, as tables
//! and inline SVG charts), the matrix (colour and a symbol per cell, so it reads without colour),
//! and per case, folded in `<details>`: the request, the fingerprint, the difference from the
//! baseline, the attempts and the error. A few lines of inline JavaScript add status and provider
//! filters; without JavaScript the filters stay hidden and everything else works.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::sync::OnceLock;

use serde::Serialize;

use super::baseline::{CaseChange, ChangeClass, Comparison};
use super::charts::{Row, bar_chart};
use super::html_cases::write_suite_cases;
use super::html_matrix::{Columns, write_matrix_suite};
use super::{ProviderStats, provider_stats};
use crate::results::{CaseResult, CaseStatus, RunResults};

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// What the page template renders: everything but the matrix and the cases, which
/// [`write_html`] writes row by row between the template's parts.
#[derive(Serialize)]
struct View {
    run_id: String,
    mode: String,
    started_at: String,
    duration_s: String,
    totals: Vec<Total>,
    clean: bool,
    problems: Vec<ProblemView>,
    /// "anthropic unavailable in 12 cases: overloaded", one per provider.
    unavailable: Vec<String>,
    regression: Option<RegressionView>,
    providers: Vec<ProviderView>,
    provider_names: Vec<String>,
    charts: Vec<String>,
    /// The `bench` command's latency section, already rendered (inline SVG).
    bench: Option<String>,
}

/// A case in the "needs attention" table.
#[derive(Serialize)]
struct ProblemView {
    anchor: String,
    id: String,
    status: String,
    symbol: String,
    reason: String,
}

#[derive(Serialize)]
struct Total {
    status: String,
    symbol: String,
    count: usize,
}

#[derive(Serialize)]
struct RegressionView {
    has_regressions: bool,
    baseline_run_id: String,
    baseline_started_at: String,
    baseline_mode: String,
    baseline_source: String,
    scoped: bool,
    counts: Vec<ClassCount>,
    unchanged: usize,
    /// Regression, fixed, still failing, drift: tables.
    groups: Vec<ChangeGroup>,
    /// New, removed, not run: folded lists.
    lists: Vec<ChangeGroup>,
    latency: Vec<LatencyView>,
    latency_regressions: usize,
    latency_threshold: String,
    latency_min_ms: String,
    latency_note: String,
}

#[derive(Serialize)]
struct ClassCount {
    class: String,
    label: String,
    count: usize,
}

#[derive(Serialize)]
struct ChangeGroup {
    class: String,
    label: String,
    /// All changes of the class.
    total: usize,
    /// The first [`MAX_LISTED`] of them (new failures: all).
    changes: Vec<ChangeView>,
}

/// Changes listed per class in the summary; beyond this (a week where everything drifted) the
/// rest are found with the "changed since the baseline" filter and the tag on each case, which
/// keeps the page small enough to open.
const MAX_LISTED: usize = 200;

#[derive(Serialize, Clone)]
struct ChangeView {
    id: String,
    /// Empty when the case is not in this run (removed).
    anchor: String,
    class: String,
    before: String,
    before_symbol: String,
    after: String,
    after_symbol: String,
    reason: String,
    fields: String,
    diff: String,
}

#[derive(Serialize)]
struct LatencyView {
    provider: String,
    before: String,
    after: String,
    change: String,
    regression: bool,
    /// Why it is or is not a regression, in words.
    verdict: String,
}

#[derive(Serialize)]
struct ProviderView {
    name: String,
    cases: usize,
    pass_rate: String,
    ttft_p50: String,
    ttft_p95: String,
    total_p50: String,
    total_p95: String,
    tokens_per_s: String,
    cost: String,
}

pub fn symbol(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Pass => "✓",
        CaseStatus::Fail => "✗",
        CaseStatus::Xfail => "⊘",
        CaseStatus::Xpass => "!",
        CaseStatus::Error => "E",
        CaseStatus::Skipped => "–",
        CaseStatus::Flaky => "≈",
        CaseStatus::Unavailable => "◌",
    }
}

pub(super) fn anchor_of(id: &str) -> String {
    id.replace('/', "--")
}

pub(super) fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| if x >= 1000.0 { format!("{:.2} s", x / 1000.0) } else { format!("{x:.1} ms") })
}

fn status_text(s: Option<CaseStatus>) -> (String, String) {
    s.map_or(("absent".into(), String::new()), |s| (s.as_str().into(), symbol(s).into()))
}

fn change_view(ch: &CaseChange) -> ChangeView {
    let (before, before_symbol) = status_text(ch.before);
    let (after, after_symbol) = status_text(ch.after);
    ChangeView {
        id: ch.id.clone(),
        anchor: if ch.after.is_some() { anchor_of(&ch.id) } else { String::new() },
        class: ch.class.as_str().into(),
        before,
        before_symbol,
        after,
        after_symbol,
        reason: ch.reason.clone().unwrap_or_default(),
        fields: ch.changed_fields.join("; "),
        diff: ch.diff.clone().unwrap_or_default(),
    }
}

fn regression_view(cmp: &Comparison) -> RegressionView {
    let group = |class: ChangeClass| {
        let limit = if class == ChangeClass::Regression { usize::MAX } else { MAX_LISTED };
        ChangeGroup {
            class: class.as_str().into(),
            label: class.label().into(),
            total: cmp.count(class),
            changes: cmp.of(class).take(limit).map(change_view).collect(),
        }
    };
    RegressionView {
        has_regressions: cmp.has_regressions(),
        baseline_run_id: cmp.baseline_run_id.clone(),
        baseline_started_at: cmp.baseline_started_at.clone(),
        baseline_mode: cmp.baseline_mode.clone(),
        baseline_source: cmp.baseline_source.clone(),
        scoped: cmp.scoped,
        counts: ChangeClass::ALL
            .iter()
            .map(|c| ClassCount { class: c.as_str().into(), label: c.label().into(), count: cmp.count(*c) })
            .collect(),
        unchanged: cmp.unchanged,
        groups: [ChangeClass::Regression, ChangeClass::Fixed, ChangeClass::StillFailing, ChangeClass::Drift]
            .into_iter()
            .map(group)
            .filter(|g| !g.changes.is_empty())
            .collect(),
        lists: [ChangeClass::New, ChangeClass::Removed, ChangeClass::NotRun]
            .into_iter()
            .map(group)
            .filter(|g| !g.changes.is_empty())
            .collect(),
        latency: cmp
            .latency
            .iter()
            .map(|l| LatencyView {
                provider: l.provider.clone(),
                before: ms(Some(l.before_p95_ms)),
                after: ms(Some(l.after_p95_ms)),
                change: format!("{:+.0}%", l.change * 100.0),
                regression: l.regression,
                verdict: if l.regression {
                    "✗ latency regression".into()
                } else if l.change > cmp.latency_threshold {
                    format!("✓ less than {:.0} ms slower", cmp.latency_min_ms)
                } else {
                    "✓ within the threshold".into()
                },
            })
            .collect(),
        latency_regressions: cmp.latency_regressions().count(),
        latency_threshold: format!("{:.0}%", cmp.latency_threshold * 100.0),
        latency_min_ms: format!("{:.0} ms", cmp.latency_min_ms),
        latency_note: cmp.latency_note.clone().unwrap_or_default(),
    }
}

fn provider_view(s: &ProviderStats) -> ProviderView {
    ProviderView {
        name: s.provider.clone(),
        cases: s.cases,
        pass_rate: format!("{:.0}%", s.pass_rate * 100.0),
        ttft_p50: ms(s.ttft_p50_ms),
        ttft_p95: ms(s.ttft_p95_ms),
        total_p50: ms(s.total_p50_ms),
        total_p95: ms(s.total_p95_ms),
        tokens_per_s: s.tokens_per_s.map_or("–".into(), |t| format!("{t:.0}")),
        cost: format!("${:.4}", s.cost_usd),
    }
}

fn charts(stats: &[ProviderStats], comparison: Option<&Comparison>) -> Vec<String> {
    let baseline_p95 =
        |p: &str| comparison.and_then(|c| c.latency.iter().find(|l| l.provider == p)).map(|l| l.before_p95_ms);
    let pass: Vec<Row> = stats
        .iter()
        .map(|s| Row {
            label: s.provider.clone(),
            value: Some(s.pass_rate * 100.0),
            back: None,
            marker: None,
            text: format!("{:.0}% of {}", s.pass_rate * 100.0, s.cases),
        })
        .collect();
    let ttft: Vec<Row> = stats
        .iter()
        .map(|s| Row {
            label: s.provider.clone(),
            value: s.ttft_p50_ms,
            back: s.ttft_p95_ms,
            marker: None,
            text: format!("{} / {}", ms(s.ttft_p50_ms), ms(s.ttft_p95_ms)),
        })
        .collect();
    let total: Vec<Row> = stats
        .iter()
        .map(|s| Row {
            label: s.provider.clone(),
            value: s.total_p50_ms,
            back: s.total_p95_ms,
            marker: baseline_p95(&s.provider),
            text: format!("{} / {}", ms(s.total_p50_ms), ms(s.total_p95_ms)),
        })
        .collect();
    let tps: Vec<Row> = stats
        .iter()
        .map(|s| Row {
            label: s.provider.clone(),
            value: s.tokens_per_s,
            back: None,
            marker: None,
            text: s.tokens_per_s.map_or("–".into(), |t| format!("{t:.0} tokens/s")),
        })
        .collect();
    let cost: Vec<Row> = stats
        .iter()
        .map(|s| Row {
            label: s.provider.clone(),
            value: Some(s.cost_usd),
            back: None,
            marker: None,
            text: format!("${:.4}", s.cost_usd),
        })
        .collect();
    let total_legend = if comparison.is_some_and(|c| !c.latency.is_empty()) {
        "p50 dark · p95 light · | baseline p95"
    } else {
        "p50 dark · p95 light"
    };
    vec![
        bar_chart("Pass rate (pass + xfail)", &pass, Some(100.0), "c-pass", ""),
        bar_chart("Time to first token (streams)", &ttft, None, "c-ttft", "p50 dark · p95 light"),
        bar_chart("Total latency", &total, None, "c-total", total_legend),
        bar_chart("Throughput", &tps, None, "c-tps", "completion tokens/s"),
        bar_chart("Cost", &cost, None, "c-cost", "USD, from catalog prices"),
    ]
}

/// Where the page template hands over to [`write_html`]: the matrix and the cases grow with the
/// run, so they are written row by row rather than rendered from one context holding them all.
const MATRIX_SLOT: &str = "{# slot: matrix (html.rs writes the matrix suite by suite, as the rows are many) #}";
const CASES_SLOT: &str = "{# slot: cases (html.rs writes the cases one by one) #}";

/// The page template's three parts, compiled once per process.
fn templates() -> anyhow::Result<&'static tera::Tera> {
    static COMPILED: OnceLock<Result<tera::Tera, String>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| {
        let (head, rest) = TEMPLATE.split_once(MATRIX_SLOT).ok_or("the report template has no matrix slot")?;
        let (middle, tail) = rest.split_once(CASES_SLOT).ok_or("the report template has no cases slot")?;
        let mut tera = tera::Tera::default();
        for (name, part) in [("head.html", head), ("middle.html", middle), ("tail.html", tail)] {
            tera.add_raw_template(name, part).map_err(|e| format!("report template, {name}: {e}"))?;
        }
        Ok(tera)
    });
    compiled.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The baseline change of each case by id (the first listed, as [`Comparison::change_for`]
/// finds it), so the matrix and the cases look changes up without a scan per case.
pub(super) type ChangeIndex<'a> = HashMap<&'a str, &'a CaseChange>;

pub(super) fn change_index(cmp: &Comparison) -> ChangeIndex<'_> {
    let mut index = HashMap::with_capacity(cmp.changes.len());
    for ch in &cmp.changes {
        index.entry(ch.id.as_str()).or_insert(ch);
    }
    index
}

/// The page around the matrix and the cases.
fn page_view(results: &RunResults, comparison: Option<&Comparison>, providers: &BTreeSet<&str>) -> View {
    let statuses = [
        CaseStatus::Pass,
        CaseStatus::Fail,
        CaseStatus::Xfail,
        CaseStatus::Xpass,
        CaseStatus::Error,
        CaseStatus::Skipped,
    ];
    let totals = statuses
        .iter()
        .map(|s| Total { status: s.as_str().to_string(), symbol: symbol(*s).into(), count: results.count(*s) })
        .collect();
    let stats = provider_stats(&results.cases);
    View {
        run_id: results.run_id.clone(),
        mode: results.mode.clone(),
        started_at: results.started_at.clone(),
        duration_s: format!("{:.2}", results.duration_ms / 1000.0),
        totals,
        clean: results.is_clean(),
        problems: results
            .cases
            .iter()
            .filter(|c| c.status.is_problem())
            .map(|c| {
                let id = c.case_id();
                ProblemView {
                    anchor: anchor_of(&id),
                    id,
                    status: c.status.as_str().into(),
                    symbol: symbol(c.status).into(),
                    reason: c.reason.clone().unwrap_or_default(),
                }
            })
            .collect(),
        unavailable: super::unavailability(results),
        regression: comparison.map(regression_view),
        providers: stats.iter().map(provider_view).collect(),
        provider_names: providers.iter().map(|p| p.to_string()).collect(),
        charts: charts(&stats, comparison),
        bench: results.bench.as_ref().map(super::render_bench_section),
    }
}

/// Writes `index.html` to `out` as it goes, so a run of any size is never one string; with a
/// comparison, the regression summary leads and every case shows its difference from the
/// baseline.
pub fn write_html(out: &mut dyn Write, results: &RunResults, comparison: Option<&Comparison>) -> anyhow::Result<()> {
    let tera = templates()?;
    let providers: BTreeSet<&str> = results.cases.iter().map(|c| &*c.provider).collect();
    let ctx = tera::Context::from_serialize(&page_view(results, comparison, &providers))?;
    let changes = comparison.map(change_index);
    let mut by_suite: BTreeMap<&str, BTreeMap<&str, Vec<&CaseResult>>> = BTreeMap::new();
    for c in &results.cases {
        by_suite.entry(&c.suite).or_default().entry(&c.scenario).or_default().push(c);
    }
    tera.render_to("head.html", &ctx, &mut *out)?;
    let columns = Columns::of(results, &providers);
    for (suite, scenarios) in &by_suite {
        write_matrix_suite(out, suite, scenarios, &columns, changes.as_ref())?;
    }
    tera.render_to("middle.html", &ctx, &mut *out)?;
    for (suite, scenarios) in &by_suite {
        let cases: Vec<&CaseResult> = scenarios.values().flatten().copied().collect();
        write_suite_cases(out, suite, &cases, changes.as_ref())?;
    }
    tera.render_to("tail.html", &ctx, &mut *out)?;
    Ok(())
}

/// `index.html` as a string (tests; files are written with [`write_html`]).
pub fn render_html(results: &RunResults, comparison: Option<&Comparison>) -> anyhow::Result<String> {
    let mut page = Vec::new();
    write_html(&mut page, results, comparison)?;
    Ok(String::from_utf8(page)?)
}
