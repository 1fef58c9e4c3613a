//! The benchmark section of the HTML report: a latency table per provider, inline-SVG
//! distribution charts of time to first token and total time, and a per-scenario table.
//!
//! It is an HTML fragment, not a page, so the report template decides where it goes. The SVG
//! uses the report's chart classes (`chart`, `c-ttft`, `c-total`, `c-marker`, `c-track`), whose
//! colours follow the light and dark themes; inline fallbacks keep a fragment shown elsewhere
//! legible. Every text from results (provider and scenario names) is escaped.

use std::fmt::Write as _;

use super::format_ms as ms;
use crate::results::{BenchReport, BenchStats, Summary};

const CHART_W: f64 = 300.0;
const CHART_H: f64 = 124.0;
const PAD_X: f64 = 8.0;
const PLOT_TOP: f64 = 26.0;
const PLOT_BOTTOM: f64 = 96.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn summary_cells(out: &mut String, s: Option<&Summary>) {
    match s {
        Some(s) => {
            for v in [s.p50, s.p90, s.p95, s.p99, s.max] {
                let _ = write!(out, "<td class=\"num\">{}</td>", ms(v));
            }
        }
        None => out.push_str(&"<td class=\"num muted\">–</td>".repeat(5)),
    }
}

fn errors_cell(s: &BenchStats) -> String {
    if s.counts.errors == 0 {
        return "<td class=\"num\">0</td>".to_string();
    }
    let kinds: Vec<String> = s.error_kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    format!("<td class=\"num\" title=\"{}\">{}</td>", esc(&kinds.join(", ")), s.counts.errors)
}

fn tps(s: &BenchStats) -> String {
    s.tokens_per_s.as_ref().map_or("–".to_string(), |t| format!("{:.0}", t.p50))
}

/// A histogram on a log time axis from the summary's min to max, with p50 and p99 marked.
fn distribution_svg(title: &str, s: &Summary, bar_class: &str, fallback_fill: &str) -> String {
    let mut out = String::new();
    let plot_w = CHART_W - 2.0 * PAD_X;
    let plot_h = PLOT_BOTTOM - PLOT_TOP;
    let _ = write!(
        out,
        r#"<svg class="chart" role="img" aria-label="{t}" width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text class="c-title" x="{PAD_X}" y="14" font-size="12">{t}</text><rect class="c-track" x="{PAD_X}" y="{PLOT_TOP}" width="{plot_w}" height="{plot_h}" fill="none"/>"#,
        t = esc(title),
    );
    let buckets = &s.distribution;
    let most = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let w = plot_w / n;
    for (i, b) in buckets.iter().enumerate().filter(|(_, b)| b.count > 0) {
        let h = (b.count as f64 / most * plot_h).max(1.0);
        let _ = write!(
            out,
            r#"<rect class="{bar_class}" fill="{fallback_fill}" x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{h:.1}"><title>≤ {le} ms: {c}</title></rect>"#,
            x = PAD_X + w * i as f64,
            y = PLOT_BOTTOM - h,
            bw = (w - 1.0).max(0.5),
            le = ms(b.le),
            c = b.count,
        );
    }
    // Percentile markers on the same log axis as the buckets.
    let (lo, hi) = (s.min.max(1e-3), s.max.max(1e-3));
    let x_of = |v: f64| {
        if hi <= lo { PAD_X + plot_w / 2.0 } else { PAD_X + plot_w * ((v.clamp(lo, hi) / lo).ln() / (hi / lo).ln()) }
    };
    for (label, v, dy) in [("p50", s.p50, 0.0), ("p99", s.p99, 10.0)] {
        let x = x_of(v);
        let anchor = if x > CHART_W * 0.75 { "end" } else { "start" };
        let tx = if anchor == "end" { x - 3.0 } else { x + 3.0 };
        let _ = write!(
            out,
            r#"<line class="c-marker" stroke="currentColor" stroke-width="1.5" stroke-dasharray="3 2" x1="{x:.1}" y1="{y1}" x2="{x:.1}" y2="{PLOT_BOTTOM}"/><text class="c-value" x="{tx:.1}" y="{ty}" font-size="10" text-anchor="{anchor}">{label} {v}</text>"#,
            y1 = PLOT_TOP - 2.0,
            ty = PLOT_TOP + 8.0 + dy,
            v = ms(v),
        );
    }
    let _ = write!(
        out,
        r#"<text class="c-legend" x="{PAD_X}" y="{ly}" font-size="10">{min} ms</text><text class="c-legend" x="{rx}" y="{ly}" font-size="10" text-anchor="end">{max} ms</text><text class="c-legend" x="{cx}" y="{ly}" font-size="10" text-anchor="middle">n = {n} (log scale)</text></svg>"#,
        ly = PLOT_BOTTOM + 14.0,
        rx = CHART_W - PAD_X,
        cx = CHART_W / 2.0,
        min = ms(s.min),
        max = ms(s.max),
        n = s.count,
    );
    out
}

/// Renders the report's benchmark section.
pub fn render_bench_section(report: &BenchReport) -> String {
    let mut out = String::new();
    out.push_str(
        "<section id=\"bench\" class=\"bench\">\n<style>.bench td.num{text-align:right;font-variant-numeric:tabular-nums}\
         .bench .bench-charts{display:flex;flex-wrap:wrap;gap:12px}.bench figure{margin:0;border:1px solid var(--line,#d8dee4);\
         border-radius:6px;padding:6px 8px}.bench figcaption{font-weight:600}</style>\n<h2>Latency benchmark</h2>\n",
    );
    settings_line(&mut out, report);
    provider_table(&mut out, report);
    provider_charts(&mut out, report);
    scenario_table(&mut out, report);
    out.push_str("</section>\n");
    out
}

/// What was measured and how: mode, repetitions, concurrency, totals.
fn settings_line(out: &mut String, report: &BenchReport) {
    let s = &report.settings;
    let _ = writeln!(
        out,
        "<p class=\"muted\">{mode} mode{timing} · {reps} repetition(s) of {cases} case(s) · concurrency {c} · {warm} warm-up · {calls} calls in {secs:.2} s ({cps:.0} calls/s) · {errors} error(s) · {unexpected} unexpected · {skipped} skipped · started {started}</p>",
        mode = esc(&s.mode),
        timing = if s.replay_timing { " with recorded timing" } else { "" },
        reps = s.repetitions,
        cases = s.cases_per_repetition,
        c = s.concurrency,
        warm = s.warmup,
        calls = report.totals.calls,
        secs = report.duration_ms / 1000.0,
        cps = report.calls_per_s,
        errors = report.totals.errors,
        unexpected = report.totals.unexpected,
        skipped = report.totals.skipped,
        started = esc(&report.started_at),
    );
}

/// One row per provider: calls, errors, TTFT and total percentiles, tokens per second.
fn provider_table(out: &mut String, report: &BenchReport) {
    out.push_str(
        "<table class=\"bench-table\"><thead><tr><th rowspan=\"2\">provider</th><th rowspan=\"2\">calls</th><th rowspan=\"2\">errors</th>\
         <th colspan=\"5\">time to first token (ms)</th><th colspan=\"5\">total time (ms)</th><th rowspan=\"2\">tokens/s p50</th></tr>\
         <tr><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr></thead>\n<tbody>\n",
    );
    for p in &report.providers {
        let _ =
            write!(out, "<tr><td>{}</td><td class=\"num\">{}</td>{}", esc(&p.provider), p.counts.calls, errors_cell(p));
        summary_cells(out, p.ttft_ms.as_ref());
        summary_cells(out, p.total_ms.as_ref());
        let _ = writeln!(out, "<td class=\"num\">{}</td></tr>", tps(p));
    }
    out.push_str("</tbody></table>\n");
}

/// The TTFT and total-time distributions of each provider that has any.
fn provider_charts(out: &mut String, report: &BenchReport) {
    out.push_str("<div class=\"bench-charts\">\n");
    for p in &report.providers {
        if p.ttft_ms.is_none() && p.total_ms.is_none() {
            continue;
        }
        let _ = write!(out, "<figure><figcaption>{}</figcaption>", esc(&p.provider));
        if let Some(t) = &p.ttft_ms {
            out.push_str(&distribution_svg("time to first token", t, "c-ttft", "#8250df"));
        }
        if let Some(t) = &p.total_ms {
            out.push_str(&distribution_svg("total time", t, "c-total", "#0969da"));
        }
        out.push_str("</figure>\n");
    }
    out.push_str("</div>\n");
}

/// Per provider × scenario × mode, folded away: it is long.
fn scenario_table(out: &mut String, report: &BenchReport) {
    if report.scenarios.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details><summary>Per scenario ({} rows)</summary>\n<table class=\"bench-table\"><thead><tr><th>provider</th><th>scenario</th><th>mode</th><th>calls</th><th>errors</th>\
         <th>TTFT p50</th><th>TTFT p99</th><th>total p50</th><th>total p99</th><th>total max</th><th>tokens/s p50</th></tr></thead>\n<tbody>\n",
        report.scenarios.len()
    );
    for r in &report.scenarios {
        let pick = |s: Option<&Summary>, f: fn(&Summary) -> f64| s.map_or("–".to_string(), |s| ms(f(s)));
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>{}<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.provider),
            esc(r.scenario.as_deref().unwrap_or("")),
            esc(r.mode.as_deref().unwrap_or("")),
            r.counts.calls,
            errors_cell(r),
            pick(r.ttft_ms.as_ref(), |s| s.p50),
            pick(r.ttft_ms.as_ref(), |s| s.p99),
            pick(r.total_ms.as_ref(), |s| s.p50),
            pick(r.total_ms.as_ref(), |s| s.p99),
            pick(r.total_ms.as_ref(), |s| s.max),
            tps(r),
        );
    }
    out.push_str("</tbody></table></details>\n");
}
