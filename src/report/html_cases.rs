//! The cases section of the HTML report, written case by case straight from the rows: a run of
//! thousands of cases is never held as one page, and no case is copied into a template context.
//! The markup is the cases loop the page template had, byte for byte (`report_render` tests and
//! the report's byte comparison in `docs/performance.md` hold it there).

use std::io::{self, Write};

use serde::Serialize;

use super::baseline::CaseChange;
use super::html::{ChangeIndex, anchor_of, ms, symbol};
use crate::results::CaseResult;

/// Writes `s` as is.
pub(super) fn raw(out: &mut dyn Write, s: &str) -> io::Result<()> {
    out.write_all(s.as_bytes())
}

/// Writes `s` escaped exactly as the template escapes `{{ value }}`.
pub(super) fn text(out: &mut dyn Write, s: &str) -> io::Result<()> {
    tera::escape_html(s, out)
}

/// Pretty JSON, HTML-escaped for element content: the template's autoescape would also turn
/// every `"` into `&quot;`, which is not needed in text and makes the requests and fingerprints
/// of a full run a third larger.
pub(super) fn pretty<T: Serialize>(v: &T) -> String {
    let json = serde_json::to_string_pretty(v).unwrap_or_default();
    json.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One suite's cases, in the order given.
pub(super) fn write_suite_cases(
    out: &mut dyn Write,
    suite: &str,
    cases: &[&CaseResult],
    changes: Option<&ChangeIndex<'_>>,
) -> io::Result<()> {
    raw(out, "\n<div class=\"suite-cases\" data-suite=\"")?;
    text(out, suite)?;
    raw(out, "\">\n<h3>")?;
    text(out, suite)?;
    raw(out, "</h3>\n")?;
    for c in cases {
        write_case(out, c, changes)?;
    }
    raw(out, "\n</div>\n")
}

/// The baseline class and its label: empty without a baseline, `unchanged` for a case the
/// comparison lists no change for.
fn baseline_of(change: Option<&CaseChange>, compared: bool) -> (String, String) {
    match (compared, change) {
        (false, _) => (String::new(), String::new()),
        (true, None) => ("unchanged".to_string(), "unchanged since the baseline".to_string()),
        (true, Some(ch)) => (
            ch.class.as_str().to_string(),
            format!(
                "{} ({} → {})",
                ch.class.as_str().replace('_', " "),
                ch.before.map_or("absent", |s| s.as_str()),
                ch.after.map_or("absent", |s| s.as_str())
            ),
        ),
    }
}

/// `<details>` of one case: what it is, why it has its status, how it differs from the
/// baseline, and its error, fingerprint, attempts and request.
fn write_case(out: &mut dyn Write, c: &CaseResult, changes: Option<&ChangeIndex<'_>>) -> io::Result<()> {
    let id = c.case_id();
    let change = changes.and_then(|ix| ix.get(id.as_str())).copied();
    let (class, label) = baseline_of(change, changes.is_some());
    let changed = !class.is_empty() && class != "unchanged";
    let status = c.status.as_str();
    raw(out, "\n<details id=\"")?;
    text(out, &anchor_of(&id))?;
    raw(out, "\" class=\"case\" data-status=\"")?;
    text(out, status)?;
    raw(out, "\" data-provider=\"")?;
    text(out, &c.provider)?;
    raw(out, "\"")?;
    if changed {
        raw(out, " data-change=\"")?;
        text(out, &class)?;
        raw(out, "\"")?;
    }
    raw(out, ">\n<summary><span class=\"s-")?;
    text(out, status)?;
    raw(out, "\">")?;
    text(out, symbol(c.status))?;
    raw(out, " ")?;
    text(out, status)?;
    raw(out, "</span> ")?;
    text(out, &id)?;
    if changed {
        raw(out, "<span class=\"tag k-")?;
        text(out, &class)?;
        raw(out, "\">")?;
        text(out, &class)?;
        raw(out, "</span>")?;
    }
    raw(out, " <span class=\"model\">")?;
    text(out, &c.model)?;
    raw(out, " · ")?;
    text(out, &format!("ttft {} · total {}", ms(c.ttft_ms), ms(Some(c.total_ms))))?;
    raw(out, "</span></summary>\n<dl class=\"kv\">\n")?;
    write_terms(out, c, &class, &label)?;
    raw(out, "</dl>\n")?;
    if let Some(ch) = change {
        write_baseline_diff(out, ch)?;
    }
    raw(out, "\n")?;
    if let Some(d) = c.snapshot_diff.as_deref().filter(|d| !d.is_empty()) {
        raw(out, "<b>Drift from the stored snapshot</b><pre>")?;
        text(out, d)?;
        raw(out, "</pre>")?;
    }
    raw(out, "\n")?;
    write_json_block(out, "Error", "error", c.error.as_ref().map(pretty))?;
    write_json_block(out, "Fingerprint", "fingerprint", c.fingerprint.as_ref().map(pretty))?;
    write_attempts(out, c)?;
    raw(out, "\n")?;
    write_json_block(out, "Request", "request", c.request.as_ref().map(pretty))?;
    raw(out, "</details>\n")
}

/// The `<dl>` terms: scenario, reason, known divergence, baseline; a line each, empty when
/// there is nothing to say.
fn write_terms(out: &mut dyn Write, c: &CaseResult, class: &str, label: &str) -> io::Result<()> {
    if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
        raw(out, "<dt>Scenario</dt><dd>")?;
        text(out, d)?;
        raw(out, "</dd>")?;
    }
    raw(out, "\n")?;
    if let Some(r) = c.reason.as_deref().filter(|r| !r.is_empty()) {
        raw(out, "<dt>Reason</dt><dd class=\"reason\">")?;
        text(out, r)?;
        raw(out, "</dd>")?;
    }
    raw(out, "\n")?;
    if let Some(l) = c.xfail_link.as_deref().filter(|l| !l.is_empty()) {
        raw(out, "<dt>Known divergence</dt><dd><a href=\"")?;
        text(out, l)?;
        raw(out, "\">")?;
        text(out, l)?;
        raw(out, "</a></dd>")?;
    }
    raw(out, "\n")?;
    if !label.is_empty() {
        raw(out, "<dt>Baseline</dt><dd class=\"k-")?;
        text(out, class)?;
        raw(out, "\">")?;
        text(out, label)?;
        raw(out, "</dd>")?;
    }
    raw(out, "\n")
}

/// The fingerprint difference from the baseline, line by line, coloured by kind.
fn write_baseline_diff(out: &mut dyn Write, ch: &CaseChange) -> io::Result<()> {
    let Some(diff) = ch.diff.as_deref().filter(|d| d.lines().next().is_some()) else { return Ok(()) };
    raw(out, "<div class=\"baseline-diff\"><b>Difference from the baseline</b>")?;
    let fields = ch.changed_fields.join("\n");
    if !fields.is_empty() {
        raw(out, "<pre>")?;
        text(out, &fields)?;
        raw(out, "</pre>")?;
    }
    raw(out, "<pre class=\"diff\">")?;
    for l in diff.lines() {
        let kind = if l.starts_with("+++") || l.starts_with("---") || l.starts_with("@@") {
            "hunk"
        } else if l.starts_with('+') {
            "add"
        } else if l.starts_with('-') {
            "del"
        } else {
            "ctx"
        };
        raw(out, "<span class=\"d-")?;
        text(out, kind)?;
        raw(out, "\">")?;
        text(out, l)?;
        raw(out, "</span>\n")?;
    }
    raw(out, "</pre></div>")
}

/// `<b>Title</b><pre class="class">json</pre>` and its line; the line alone without JSON.
fn write_json_block(out: &mut dyn Write, title: &str, class: &str, json: Option<String>) -> io::Result<()> {
    if let Some(j) = json.filter(|j| !j.is_empty()) {
        raw(out, "<b>")?;
        raw(out, title)?;
        raw(out, "</b><pre class=\"")?;
        raw(out, class)?;
        raw(out, "\">")?;
        raw(out, &j)?;
        raw(out, "</pre>")?;
    }
    raw(out, "\n")
}

/// The router's attempts, one row each; the tier column only when there was more than one.
fn write_attempts(out: &mut dyn Write, c: &CaseResult) -> io::Result<()> {
    if c.attempts.is_empty() {
        return Ok(());
    }
    let tiers = c.attempts.len() > 1;
    raw(out, "<b>Attempts</b>\n<table class=\"attempts\"><tr><th>#</th><th>provider</th><th>model</th>")?;
    if tiers {
        raw(out, "<th>tier</th>")?;
    }
    raw(out, "<th>outcome</th><th>status</th><th>latency</th><th>cost</th><th>why</th></tr>\n")?;
    for (i, a) in c.attempts.iter().enumerate() {
        raw(out, "<tr><td class=\"num\">")?;
        raw(out, &(i + 1).to_string())?;
        raw(out, "</td><td>")?;
        text(out, &a.provider)?;
        raw(out, "</td><td>")?;
        text(out, &a.model)?;
        raw(out, "</td>")?;
        if tiers {
            raw(out, "<td>")?;
            text(out, a.tier.as_deref().unwrap_or_default())?;
            raw(out, "</td>")?;
        }
        raw(out, if a.outcome == "success" { "<td class=\"s-pass\">" } else { "<td class=\"s-fail\">" })?;
        text(out, &a.outcome.to_string())?;
        raw(out, "</td><td class=\"num\">")?;
        text(out, &a.status.map(|s| s.to_string()).unwrap_or_default())?;
        raw(out, "</td><td class=\"num\">")?;
        text(out, &ms(Some(a.latency_ms)))?;
        raw(out, "</td><td class=\"num\">")?;
        text(out, &a.cost_usd.map(|c| format!("${c:.6}")).unwrap_or_default())?;
        raw(out, "</td><td>")?;
        text(out, &a.why)?;
        raw(out, "</td></tr>\n")?;
    }
    raw(out, "</table>")
}
