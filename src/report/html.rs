//! The HTML report: one self-contained file (inline CSS, no scripts required, no external
//! assets), readable offline and as a CI artifact, light and dark.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{ProviderStats, provider_stats};
use crate::runner::{CaseResult, CaseStatus, RunResults};

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
    providers: Vec<ProviderView>,
    columns: Vec<Column>,
    suites: Vec<SuiteView>,
    cases: Vec<CaseView>,
}

#[derive(Serialize)]
struct Total {
    status: String,
    count: usize,
}

#[derive(Serialize, Clone)]
struct Column {
    provider: String,
    mode: String,
}

#[derive(Serialize)]
struct SuiteView {
    name: String,
    rows: Vec<RowView>,
}

#[derive(Serialize)]
struct RowView {
    scenario: String,
    description: String,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    status: String,
    symbol: String,
    anchor: String,
    title: String,
}

#[derive(Serialize)]
struct ProviderView {
    name: String,
    cases: usize,
    pass_rate: String,
    bar: u32,
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
    status: String,
    symbol: String,
    reason: String,
    description: String,
    model: String,
    latency: String,
    fingerprint: String,
    request: String,
    error: String,
    attempts: String,
    snapshot_diff: String,
    link: String,
}

pub fn symbol(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Pass => "✓",
        CaseStatus::Fail => "✗",
        CaseStatus::Xfail => "⊘",
        CaseStatus::Xpass => "!",
        CaseStatus::Error => "E",
        CaseStatus::Skipped => "–",
    }
}

fn anchor(c: &CaseResult) -> String {
    c.case_id().replace('/', "--")
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| if x >= 1000.0 { format!("{:.2} s", x / 1000.0) } else { format!("{x:.1} ms") })
}

fn pretty<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn case_view(c: &CaseResult) -> CaseView {
    CaseView {
        anchor: anchor(c),
        id: c.case_id(),
        status: c.status.as_str().into(),
        symbol: symbol(c.status).into(),
        reason: c.reason.clone().unwrap_or_default(),
        description: c.description.clone().unwrap_or_default(),
        model: c.model.clone(),
        latency: format!("ttft {} · total {}", ms(c.ttft_ms), ms(Some(c.total_ms))),
        fingerprint: c.fingerprint.as_ref().map(pretty).unwrap_or_default(),
        request: c.request.as_ref().map(pretty).unwrap_or_default(),
        error: c.error.as_ref().map(pretty).unwrap_or_default(),
        attempts: if c.attempts.is_empty() { String::new() } else { pretty(&c.attempts) },
        snapshot_diff: c.snapshot_diff.clone().unwrap_or_default(),
        link: c.xfail_link.clone().unwrap_or_default(),
    }
}

fn provider_view(s: &ProviderStats) -> ProviderView {
    ProviderView {
        name: s.provider.clone(),
        cases: s.cases,
        pass_rate: format!("{:.0}%", s.pass_rate * 100.0),
        bar: (s.pass_rate * 100.0).round() as u32,
        ttft_p50: ms(s.ttft_p50_ms),
        ttft_p95: ms(s.ttft_p95_ms),
        total_p50: ms(s.total_p50_ms),
        total_p95: ms(s.total_p95_ms),
        tokens_per_s: s.tokens_per_s.map_or("–".into(), |t| format!("{t:.0}")),
        cost: format!("${:.4}", s.cost_usd),
    }
}

pub fn render_html(results: &RunResults) -> anyhow::Result<String> {
    let statuses = [
        CaseStatus::Pass,
        CaseStatus::Fail,
        CaseStatus::Xfail,
        CaseStatus::Xpass,
        CaseStatus::Error,
        CaseStatus::Skipped,
    ];
    let totals = statuses.iter().map(|s| Total { status: s.as_str().to_string(), count: results.count(*s) }).collect();
    let providers: BTreeSet<&str> = results.cases.iter().map(|c| c.provider.as_str()).collect();
    let columns: Vec<Column> = providers
        .iter()
        .flat_map(|p| ["non_stream", "stream"].iter().map(|m| Column { provider: p.to_string(), mode: m.to_string() }))
        .filter(|col| results.cases.iter().any(|c| c.provider == col.provider && c.stream == (col.mode == "stream")))
        .collect();
    let mut by_suite: BTreeMap<&str, BTreeMap<&str, Vec<&CaseResult>>> = BTreeMap::new();
    for c in &results.cases {
        by_suite.entry(&c.suite).or_default().entry(&c.scenario).or_default().push(c);
    }
    let suites = by_suite
        .into_iter()
        .map(|(name, scenarios)| SuiteView {
            name: name.to_string(),
            rows: scenarios
                .into_iter()
                .map(|(scenario, cs)| RowView {
                    scenario: scenario.to_string(),
                    description: cs.first().and_then(|c| c.description.clone()).unwrap_or_default(),
                    cells: columns
                        .iter()
                        .map(|col| {
                            match cs.iter().find(|c| c.provider == col.provider && c.stream == (col.mode == "stream")) {
                                Some(c) => CellView {
                                    status: c.status.as_str().into(),
                                    symbol: symbol(c.status).into(),
                                    anchor: anchor(c),
                                    title: format!(
                                        "{}: {}",
                                        c.case_id(),
                                        c.reason.as_deref().unwrap_or(c.status.as_str())
                                    ),
                                },
                                None => CellView {
                                    status: "none".into(),
                                    symbol: String::new(),
                                    anchor: String::new(),
                                    title: String::new(),
                                },
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let view = View {
        run_id: results.run_id.clone(),
        mode: results.mode.clone(),
        started_at: results.started_at.clone(),
        duration_s: format!("{:.2}", results.duration_ms / 1000.0),
        totals,
        clean: results.is_clean(),
        problems: results.cases.iter().filter(|c| c.status.is_problem()).map(case_view).collect(),
        providers: provider_stats(&results.cases).iter().map(provider_view).collect(),
        columns,
        suites,
        cases: results.cases.iter().map(case_view).collect(),
    };
    let mut tera = tera::Tera::default();
    tera.add_raw_template("report.html", TEMPLATE)?;
    let ctx = tera::Context::from_serialize(&view)?;
    Ok(tera.render("report.html", &ctx)?)
}
