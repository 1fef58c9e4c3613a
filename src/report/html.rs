//! The HTML report: one self-contained file (inline CSS and SVG, no external assets), readable
//! offline and as a CI artifact, light and dark.
//!
//! It answers, top to bottom: what broke since the baseline (the regression summary), what needs
//! attention in this run, how each provider did (pass rate, latency, throughput, cost, as tables
//! and inline SVG charts), the matrix (colour and a symbol per cell, so it reads without colour),
//! and per case, folded in `<details>`: the request, the fingerprint, the difference from the
//! baseline, the attempts and the error. A few lines of inline JavaScript add status and provider
//! filters; without JavaScript the filters stay hidden and everything else works.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::baseline::{CaseChange, ChangeClass, Comparison};
use super::charts::{Row, bar_chart};
use super::{ProviderStats, provider_stats};
use crate::results::{CaseResult, CaseStatus, RunResults};

const TEMPLATE: &str = include_str!("../../templates/report.html");

#[derive(Serialize)]
struct View {
    run_id: String,
    mode: String,
    started_at: String,
    duration_s: String,
    totals: Vec<Total>,
    clean: bool,
    problems: Vec<CaseView>,
    /// "anthropic unavailable in 12 cases: overloaded", one per provider.
    unavailable: Vec<String>,
    regression: Option<RegressionView>,
    providers: Vec<ProviderView>,
    provider_names: Vec<String>,
    charts: Vec<String>,
    /// Matrix header: each provider over its mode columns.
    column_groups: Vec<ColumnGroup>,
    columns: Vec<Column>,
    suites: Vec<SuiteView>,
    /// The `bench` command's latency section, already rendered (inline SVG).
    bench: Option<String>,
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

#[derive(Serialize, Clone)]
struct Column {
    provider: String,
    mode: String,
    /// `ns` or `st`: narrow enough that a provider's two columns fit under its name.
    short: String,
}

#[derive(Serialize)]
struct ColumnGroup {
    provider: String,
    span: usize,
}

#[derive(Serialize)]
struct SuiteView {
    name: String,
    rows: Vec<RowView>,
    cases: Vec<CaseView>,
}

#[derive(Serialize)]
struct RowView {
    scenario: String,
    description: String,
    /// Space-separated statuses of the row's cells, for the status filter.
    statuses: String,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    status: String,
    symbol: String,
    anchor: String,
    title: String,
    provider: String,
    /// The baseline class, shown as a corner mark when the cell changed.
    change: String,
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

#[derive(Serialize, Clone)]
struct CaseView {
    anchor: String,
    id: String,
    provider: String,
    status: String,
    symbol: String,
    reason: String,
    description: String,
    model: String,
    latency: String,
    fingerprint: String,
    request: String,
    error: String,
    /// The router's attempts, in order (one for a direct call).
    attempts: Vec<AttemptView>,
    snapshot_diff: String,
    link: String,
    /// `regression`, `drift`, … or `unchanged`; empty without a baseline.
    baseline_class: String,
    baseline_label: String,
    baseline_fields: String,
    /// The fingerprint diff, line by line, so added and removed lines can be coloured.
    baseline_diff: Vec<DiffLine>,
}

#[derive(Serialize, Clone)]
struct AttemptView {
    provider: String,
    model: String,
    tier: String,
    outcome: String,
    ok: bool,
    status: String,
    latency: String,
    cost: String,
    why: String,
}

#[derive(Serialize, Clone)]
struct DiffLine {
    /// `add`, `del`, `hunk` or `ctx`.
    kind: &'static str,
    text: String,
}

fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|l| {
            let kind = if l.starts_with("+++") || l.starts_with("---") || l.starts_with("@@") {
                "hunk"
            } else if l.starts_with('+') {
                "add"
            } else if l.starts_with('-') {
                "del"
            } else {
                "ctx"
            };
            DiffLine { kind, text: l.to_string() }
        })
        .collect()
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

fn anchor_of(id: &str) -> String {
    id.replace('/', "--")
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| if x >= 1000.0 { format!("{:.2} s", x / 1000.0) } else { format!("{x:.1} ms") })
}

/// Pretty JSON, HTML-escaped for element content and rendered with `| safe`: the template's
/// autoescape would also turn every `"` into `&quot;`, which is not needed in text and makes the
/// ~900 requests and fingerprints of a full run a third larger.
fn pretty<T: Serialize>(v: &T) -> String {
    escape_text(&serde_json::to_string_pretty(v).unwrap_or_default())
}

/// Escapes text for HTML element content (not attributes).
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn case_view(c: &CaseResult, comparison: Option<&Comparison>) -> CaseView {
    let id = c.case_id();
    let change = comparison.and_then(|cmp| cmp.change_for(&id));
    let (baseline_class, baseline_label) = match (comparison, change) {
        (None, _) => (String::new(), String::new()),
        (Some(_), None) => ("unchanged".to_string(), "unchanged since the baseline".to_string()),
        (Some(_), Some(ch)) => (
            ch.class.as_str().to_string(),
            format!(
                "{} ({} → {})",
                ch.class.as_str().replace('_', " "),
                ch.before.map_or("absent", |s| s.as_str()),
                ch.after.map_or("absent", |s| s.as_str())
            ),
        ),
    };
    CaseView {
        anchor: anchor_of(&id),
        provider: c.provider.clone(),
        id,
        status: c.status.as_str().into(),
        symbol: symbol(c.status).into(),
        reason: c.reason.clone().unwrap_or_default(),
        description: c.description.clone().unwrap_or_default(),
        model: c.model.clone(),
        latency: format!("ttft {} · total {}", ms(c.ttft_ms), ms(Some(c.total_ms))),
        fingerprint: c.fingerprint.as_ref().map(pretty).unwrap_or_default(),
        request: c.request.as_ref().map(pretty).unwrap_or_default(),
        error: c.error.as_ref().map(pretty).unwrap_or_default(),
        attempts: c
            .attempts
            .iter()
            .map(|a| AttemptView {
                provider: a.provider.clone(),
                model: a.model.clone(),
                tier: a.tier.clone().unwrap_or_default(),
                outcome: a.outcome.to_string(),
                ok: a.outcome == "success",
                status: a.status.map(|s| s.to_string()).unwrap_or_default(),
                latency: ms(Some(a.latency_ms)),
                cost: a.cost_usd.map(|c| format!("${c:.6}")).unwrap_or_default(),
                why: a.why.clone(),
            })
            .collect(),
        snapshot_diff: c.snapshot_diff.clone().unwrap_or_default(),
        link: c.xfail_link.clone().unwrap_or_default(),
        baseline_class,
        baseline_label,
        baseline_fields: change.map(|ch| ch.changed_fields.join("\n")).unwrap_or_default(),
        baseline_diff: change.and_then(|ch| ch.diff.as_deref()).map(diff_lines).unwrap_or_default(),
    }
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

/// Renders `index.html`; with a comparison, the regression summary leads and every case shows
/// its difference from the baseline.
pub fn render_html(results: &RunResults, comparison: Option<&Comparison>) -> anyhow::Result<String> {
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
    let providers: BTreeSet<&str> = results.cases.iter().map(|c| c.provider.as_str()).collect();
    let columns: Vec<Column> = providers
        .iter()
        .flat_map(|p| {
            [("non_stream", "ns"), ("stream", "st")].into_iter().map(|(mode, short)| Column {
                provider: p.to_string(),
                mode: mode.to_string(),
                short: short.to_string(),
            })
        })
        .filter(|col| results.cases.iter().any(|c| c.provider == col.provider && c.stream == (col.mode == "stream")))
        .collect();
    let mut by_suite: BTreeMap<&str, BTreeMap<&str, Vec<&CaseResult>>> = BTreeMap::new();
    for c in &results.cases {
        by_suite.entry(&c.suite).or_default().entry(&c.scenario).or_default().push(c);
    }
    let cell_change = |c: &CaseResult| {
        comparison
            .and_then(|cmp| cmp.change_for(&c.case_id()))
            .map(|ch| ch.class.as_str().to_string())
            .unwrap_or_default()
    };
    let suites = by_suite
        .into_iter()
        .map(|(name, scenarios)| {
            let mut cases = Vec::new();
            let rows = scenarios
                .into_iter()
                .map(|(scenario, cs)| {
                    cases.extend(cs.iter().map(|c| case_view(c, comparison)));
                    let present: BTreeSet<&str> = cs.iter().map(|c| c.status.as_str()).collect();
                    RowView {
                        scenario: scenario.to_string(),
                        description: cs.first().and_then(|c| c.description.clone()).unwrap_or_default(),
                        statuses: present.into_iter().collect::<Vec<_>>().join(" "),
                        cells: columns
                            .iter()
                            .map(|col| {
                                match cs
                                    .iter()
                                    .find(|c| c.provider == col.provider && c.stream == (col.mode == "stream"))
                                {
                                    Some(c) => CellView {
                                        status: c.status.as_str().into(),
                                        symbol: symbol(c.status).into(),
                                        anchor: anchor_of(&c.case_id()),
                                        // Row and column already name the case.
                                        title: c.reason.clone().unwrap_or_else(|| c.status.as_str().to_string()),
                                        provider: col.provider.clone(),
                                        change: cell_change(c),
                                    },
                                    None => CellView {
                                        status: "none".into(),
                                        symbol: String::new(),
                                        anchor: String::new(),
                                        title: String::new(),
                                        provider: col.provider.clone(),
                                        change: String::new(),
                                    },
                                }
                            })
                            .collect(),
                    }
                })
                .collect();
            SuiteView { name: name.to_string(), rows, cases }
        })
        .collect();
    let stats = provider_stats(&results.cases);
    let view = View {
        run_id: results.run_id.clone(),
        mode: results.mode.clone(),
        started_at: results.started_at.clone(),
        duration_s: format!("{:.2}", results.duration_ms / 1000.0),
        totals,
        clean: results.is_clean(),
        problems: results.cases.iter().filter(|c| c.status.is_problem()).map(|c| case_view(c, None)).collect(),
        unavailable: super::unavailability(results),
        regression: comparison.map(regression_view),
        providers: stats.iter().map(provider_view).collect(),
        provider_names: providers.iter().map(|p| p.to_string()).collect(),
        charts: charts(&stats, comparison),
        column_groups: providers
            .iter()
            .map(|p| ColumnGroup { provider: p.to_string(), span: columns.iter().filter(|c| c.provider == *p).count() })
            .filter(|g| g.span > 0)
            .collect(),
        columns,
        suites,
        bench: results.bench.as_ref().map(super::render_bench_section),
    };
    let mut tera = tera::Tera::default();
    tera.add_raw_template("report.html", TEMPLATE)?;
    let ctx = tera::Context::from_serialize(&view)?;
    Ok(tera.render("report.html", &ctx)?)
}
