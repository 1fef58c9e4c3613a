//! `summary.md` for `$GITHUB_STEP_SUMMARY`, and the same regression summary for the terminal.
//!
//! GitHub rejects a step summary over 1 MiB, and a rejected summary shows nothing, so the file is
//! cut to [`SUMMARY_LIMIT`] bytes at a line boundary with a note saying so. Sections come in order
//! of importance (regressions, then latency, fixed, still failing, drift, new/removed, then the
//! matrix), so what is cut is the least important part.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::baseline::{CaseChange, ChangeClass, Comparison};
use super::html::symbol;
use crate::results::{CaseResult, CaseStatus, RunResults};

/// Stays below GitHub's 1 MiB step-summary limit with room for other steps' output.
pub const SUMMARY_LIMIT: usize = 1_000_000;

const TRUNCATED_NOTE: &str = "\n\n> **Truncated** to stay under GitHub's 1 MB step-summary limit; the full report is `index.html` in the run's artifact.\n";

/// The whole of every multi-line reason (a diff does not fit a table cell), each in a folded
/// block under the table whose cell shows its first line.
fn reason_details<'a>(out: &mut String, reasons: impl Iterator<Item = (&'a str, &'a str)>) {
    for (id, reason) in reasons.filter(|(_, r)| r.contains('\n')) {
        let fence = if reason.contains("```") { "````" } else { "```" };
        let _ = writeln!(
            out,
            "\n<details><summary><code>{}</code>: the whole reason</summary>\n\n{fence}diff\n{}\n{fence}\n\n</details>",
            cell(id),
            reason.trim_end()
        );
    }
}

/// Makes text safe inside a Markdown table cell: one line, no column breaks, no raw HTML.
fn cell(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped = one_line.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;");
    if escaped.chars().count() > 300 {
        format!("{}…", escaped.chars().take(300).collect::<String>())
    } else {
        escaped
    }
}

fn status_label(s: Option<CaseStatus>) -> String {
    s.map_or("–".to_string(), |s| format!("{} {}", symbol(s), s.as_str()))
}

fn totals_line(results: &RunResults) -> String {
    let parts: Vec<String> = CaseStatus::ALL
        .iter()
        .map(|&s| (s, results.count(s)))
        .filter(|&(s, n)| n > 0 || !matches!(s, CaseStatus::Flaky | CaseStatus::Unavailable))
        .map(|(s, n)| format!("{n} {} {}", symbol(s), s.as_str()))
        .collect();
    format!("{} cases in {:.1} s: {}", results.cases.len(), results.duration_ms / 1000.0, parts.join(", "))
}

fn change_table(out: &mut String, changes: &[&CaseChange], with_fields: bool) {
    if with_fields {
        out.push_str("| case | was | now | what changed |\n| --- | --- | --- | --- |\n");
    } else {
        out.push_str("| case | was | now | reason |\n| --- | --- | --- | --- |\n");
    }
    for c in changes {
        let what = if with_fields { c.changed_fields.join("; ") } else { c.reason.clone().unwrap_or_default() };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            cell(&c.id),
            status_label(c.before),
            status_label(c.after),
            cell(what.lines().next().unwrap_or_default())
        );
    }
    if !with_fields {
        reason_details(out, changes.iter().filter_map(|c| Some((c.id.as_str(), c.reason.as_deref()?))));
    } else {
        reason_details(out, changes.iter().filter_map(|c| Some((c.id.as_str(), c.diff.as_deref()?))));
    }
}

/// The summary's first section when there is nothing to compare with: the run's own problems.
fn without_baseline(results: &RunResults) -> String {
    let mut s = String::from(
        "## Regression summary\n\nNo baseline to compare with (`run` compares with the previous run, kept in `reports/baseline/`, or with `--baseline PATH`).\n",
    );
    let problems: Vec<&CaseResult> = results.cases.iter().filter(|c| c.status.is_problem()).collect();
    if !problems.is_empty() {
        let _ = writeln!(
            s,
            "\n### Problems in this run ({})\n\n| case | status | reason |\n| --- | --- | --- |",
            problems.len()
        );
        for c in &problems {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} |",
                cell(&c.case_id()),
                status_label(Some(c.status)),
                cell(c.reason.as_deref().unwrap_or("").lines().next().unwrap_or_default())
            );
        }
        let ids: Vec<String> = problems.iter().map(|c| c.case_id()).collect();
        reason_details(
            &mut s,
            ids.iter().zip(&problems).filter_map(|(id, c)| Some((id.as_str(), c.reason.as_deref()?))),
        );
    }
    s
}

/// Per-provider p95 latency against the baseline, when it was compared.
fn latency_section(cmp: &Comparison) -> Option<String> {
    let mut lat = String::new();
    if let Some(note) = &cmp.latency_note {
        let _ = writeln!(lat, "### Latency\n\n{note}.");
    } else if !cmp.latency.is_empty() {
        let _ = writeln!(
            lat,
            "### Latency (p95 total; a regression is more than {:.0}% and {:.0} ms slower)\n\n| provider | baseline | now | change | |\n| --- | --- | --- | --- | --- |",
            cmp.latency_threshold * 100.0,
            cmp.latency_min_ms
        );
        for l in &cmp.latency {
            let _ = writeln!(
                lat,
                "| {} | {:.1} ms | {:.1} ms | {:+.0}% | {} |",
                cell(&l.provider),
                l.before_p95_ms,
                l.after_p95_ms,
                l.change * 100.0,
                if l.regression { "✗ regression" } else { "" }
            );
        }
    }
    (!lat.is_empty()).then_some(lat)
}

/// The regression summary as Markdown sections, most important first.
fn regression_sections(results: &RunResults, comparison: Option<&Comparison>) -> Vec<String> {
    let mut sections = Vec::new();
    let Some(cmp) = comparison else {
        sections.push(without_baseline(results));
        return sections;
    };
    let mut head = String::from("## Regression summary\n\n");
    let verdict = if cmp.has_regressions() { "**Regressions found.**" } else { "No regressions." };
    let _ = writeln!(
        head,
        "{verdict} Compared with baseline `{}` ({} mode, started {}; `{}`){}.\n",
        cell(&cmp.baseline_run_id),
        cell(&cmp.baseline_mode),
        cell(&cmp.baseline_started_at),
        cell(&cmp.baseline_source),
        if cmp.scoped { ", limited to the cases this run selected" } else { "" }
    );
    head.push_str("| class | cases |\n| --- | --- |\n");
    for class in ChangeClass::ALL {
        let _ = writeln!(head, "| {} | {} |", class.label(), cmp.count(class));
    }
    let _ = writeln!(head, "| unchanged | {} |", cmp.unchanged);
    let _ = writeln!(head, "| latency regressions | {} |", cmp.latency_regressions().count());
    sections.push(head);

    let regressions: Vec<&CaseChange> = cmp.of(ChangeClass::Regression).collect();
    if !regressions.is_empty() {
        let mut s = format!("### ✗ New failures ({})\n\n", regressions.len());
        change_table(&mut s, &regressions, false);
        sections.push(s);
    }
    if let Some(lat) = latency_section(cmp) {
        sections.push(lat);
    }
    for (class, fields) in [(ChangeClass::Fixed, false), (ChangeClass::StillFailing, false), (ChangeClass::Drift, true)]
    {
        let list: Vec<&CaseChange> = cmp.of(class).collect();
        if !list.is_empty() {
            let mut s = format!("### {} ({})\n\n", capitalized(class.label()), list.len());
            change_table(&mut s, &list, fields);
            sections.push(s);
        }
    }
    for class in [ChangeClass::New, ChangeClass::Removed, ChangeClass::NotRun] {
        let list: Vec<&CaseChange> = cmp.of(class).collect();
        if !list.is_empty() {
            let mut s = format!("### {} ({})\n\n", capitalized(class.label()), list.len());
            for c in list {
                let status = status_label(c.after.or(c.before));
                let _ = writeln!(s, "- `{}` {status}", cell(&c.id));
            }
            sections.push(s);
        }
    }
    sections
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + chars.as_str())
}

/// The matrix as Markdown: one table per suite, a column per provider, each cell the
/// non-stream then the stream verdict as symbols (they read without colour).
fn matrix_section(results: &RunResults) -> String {
    let providers: BTreeSet<&str> = results.cases.iter().map(|c| &*c.provider).collect();
    let mut by_suite: BTreeMap<&str, BTreeMap<&str, Vec<&CaseResult>>> = BTreeMap::new();
    for c in &results.cases {
        by_suite.entry(&c.suite).or_default().entry(&c.scenario).or_default().push(c);
    }
    let mut s = String::from(
        "## Matrix\n\nEach cell: non-stream then stream. ✓ pass · ✗ fail · ⊘ xfail (documented divergence) · ! xpass · E error · ≈ flaky · ◌ unavailable · – skipped · blank: not in the matrix.\n",
    );
    for (suite, scenarios) in by_suite {
        let _ = write!(s, "\n### {}\n\n| scenario |", cell(suite));
        for p in &providers {
            let _ = write!(s, " {} |", cell(p));
        }
        s.push_str("\n| --- |");
        for _ in &providers {
            s.push_str(" :-: |");
        }
        s.push('\n');
        for (scenario, cases) in scenarios {
            let _ = write!(s, "| {} |", cell(scenario));
            for p in &providers {
                let pick = |stream: bool| {
                    cases.iter().find(|c| &*c.provider == *p && c.stream == stream).map_or(" ", |c| symbol(c.status))
                };
                let _ = write!(s, " {}{} |", pick(false), pick(true));
            }
            s.push('\n');
        }
    }
    s
}

/// Renders `summary.md`, at most [`SUMMARY_LIMIT`] bytes.
pub fn render_summary(results: &RunResults, comparison: Option<&Comparison>) -> String {
    render_summary_limited(results, comparison, SUMMARY_LIMIT)
}

fn render_summary_limited(results: &RunResults, comparison: Option<&Comparison>, limit: usize) -> String {
    let mut head = format!(
        "# llm-conform · `{}`\n\nmode **{}** · started {} · {}\n",
        cell(&results.run_id),
        cell(&results.mode),
        cell(&results.started_at),
        totals_line(results)
    );
    if let Some(i) = &results.interrupted {
        let _ = writeln!(head, "\n> **Interrupted** by {}: {} case(s) did not run.", cell(&i.signal), i.not_run);
    }
    for line in super::unavailability(results) {
        let _ = writeln!(head, "\n> ◌ **{}** (an outage, not a conformance result)", cell(&line));
    }
    let mut parts = vec![head];
    parts.extend(regression_sections(results, comparison));
    parts.push(matrix_section(results));
    let budget = limit.saturating_sub(TRUNCATED_NOTE.len());
    let mut out = String::new();
    for part in parts {
        let piece = if out.is_empty() { part } else { format!("\n{part}") };
        if out.len() + piece.len() <= budget {
            out.push_str(&piece);
            continue;
        }
        let room = budget.saturating_sub(out.len());
        // Cut at the last line end that fits; `room` may fall inside a multi-byte character.
        let mut end = room.min(piece.len());
        while end > 0 && !piece.is_char_boundary(end) {
            end -= 1;
        }
        let cut = piece.get(..end).and_then(|p| p.rfind('\n')).unwrap_or(0);
        out.push_str(piece.get(..cut).unwrap_or(""));
        out.push_str(TRUNCATED_NOTE);
        return out;
    }
    out
}

/// The regression summary for the terminal: the counts, then every new failure and latency
/// regression (up to a screenful; the rest is in `summary.md`).
pub fn terminal_summary(comparison: Option<&Comparison>) -> String {
    let Some(cmp) = comparison else {
        return "no baseline to compare with".to_string();
    };
    let mut s = format!("compared with baseline {} ({}): {}", cmp.baseline_run_id, cmp.baseline_source, cmp.headline());
    let mut lines: Vec<String> = cmp
        .of(ChangeClass::Regression)
        .map(|c| {
            format!(
                "  regression  {}: {} -> {}{}",
                c.id,
                c.before.map_or("absent", |s| s.as_str()),
                c.after.map_or("absent", |s| s.as_str()),
                c.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            )
        })
        .collect();
    lines.extend(cmp.latency_regressions().map(|l| {
        format!(
            "  latency     {}: p95 total {:.1} ms -> {:.1} ms ({:+.0}%)",
            l.provider,
            l.before_p95_ms,
            l.after_p95_ms,
            l.change * 100.0
        )
    }));
    if let Some(note) = &cmp.latency_note {
        lines.push(format!("  {note}"));
    }
    const MAX_LINES: usize = 30;
    let more = lines.len().saturating_sub(MAX_LINES);
    for l in lines.into_iter().take(MAX_LINES) {
        s.push('\n');
        s.push_str(&l);
    }
    if more > 0 {
        let _ = write!(s, "\n  … {more} more in summary.md");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_results(n: usize) -> RunResults {
        let cases: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({"suite":"basics","scenario":format!("s{i:05}"),"provider":"openai","model":"m",
                    "stream":false,"tags":[],"status":"fail","reason":"é|<b>".repeat(200),"fingerprint":null,
                    "ttft_ms":null,"total_ms":1.0,"usage":null,"cost_usd":null,"attempts":[]})
            })
            .collect();
        serde_json::from_value(serde_json::json!({"schema":1,"run_id":"big","mode":"replay",
            "started_at":"2026-01-01T00:00:00Z","duration_ms":1.0,"cases":cases}))
        .unwrap()
    }

    #[test]
    fn a_huge_summary_is_cut_under_the_limit_with_a_note() {
        let md = render_summary(&big_results(5000), None);
        assert!(md.len() <= SUMMARY_LIMIT, "{}", md.len());
        assert!(md.ends_with(TRUNCATED_NOTE));
        assert!(md.contains("### Problems in this run (5000)"));
        // Cells are escaped: no raw HTML, no column breaks.
        assert!(md.contains("é\\|&lt;b&gt;") && !md.contains("<b>"));
    }

    #[test]
    fn a_small_summary_is_whole() {
        let md = render_summary(&big_results(3), None);
        assert!(!md.contains("Truncated"));
        assert!(md.contains("## Matrix") && md.contains("| s00002 | ✗  |"), "{md}");
        let cut = render_summary_limited(&big_results(3), None, 600);
        assert!(cut.len() <= 600 && cut.ends_with(TRUNCATED_NOTE), "{cut}");
    }
}
