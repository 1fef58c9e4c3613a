//! The matrix of the HTML report (a row per scenario, a cell per provider and mode), written
//! suite by suite straight from the rows, as the cases are: the markup is the matrix loop the
//! page template had, byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::html::{ChangeIndex, anchor_of, symbol};
use super::html_cases::{raw, text};
use crate::results::{CaseResult, RunResults};

/// A provider and mode column.
pub(super) struct Column {
    provider: String,
    stream: bool,
}

impl Column {
    fn mode(&self) -> &'static str {
        if self.stream { "stream" } else { "non_stream" }
    }

    /// `ns` or `st`: narrow enough that a provider's two columns fit under its name.
    fn short(&self) -> &'static str {
        if self.stream { "st" } else { "ns" }
    }

    fn holds(&self, c: &CaseResult) -> bool {
        *c.provider == *self.provider && c.stream == self.stream
    }
}

/// The matrix header: each provider over its mode columns (only modes some case ran in).
pub(super) struct Columns {
    groups: Vec<(String, usize)>,
    columns: Vec<Column>,
}

impl Columns {
    pub fn of(results: &RunResults, providers: &BTreeSet<&str>) -> Columns {
        let columns: Vec<Column> = providers
            .iter()
            .flat_map(|p| [false, true].into_iter().map(|stream| Column { provider: p.to_string(), stream }))
            .filter(|col| results.cases.iter().any(|c| col.holds(c)))
            .collect();
        let groups = providers
            .iter()
            .map(|p| (p.to_string(), columns.iter().filter(|c| c.provider == *p).count()))
            .filter(|(_, span)| *span > 0)
            .collect();
        Columns { groups, columns }
    }
}

/// One suite's table: the header, then a row per scenario.
pub(super) fn write_matrix_suite(
    out: &mut dyn Write,
    suite: &str,
    scenarios: &BTreeMap<&str, Vec<&CaseResult>>,
    columns: &Columns,
    changes: Option<&ChangeIndex<'_>>,
) -> io::Result<()> {
    raw(out, "\n<div class=\"suite\" data-suite=\"")?;
    text(out, suite)?;
    raw(out, "\">\n<h3>")?;
    text(out, suite)?;
    raw(out, "</h3>\n<table class=\"matrix\">\n<tr><th class=\"scenario\" rowspan=\"2\">scenario</th>")?;
    for (provider, span) in &columns.groups {
        raw(out, "<th class=\"prov\" colspan=\"")?;
        raw(out, &span.to_string())?;
        raw(out, "\" data-provider=\"")?;
        text(out, provider)?;
        raw(out, "\">")?;
        text(out, provider)?;
        raw(out, "</th>")?;
    }
    raw(out, "</tr>\n<tr>")?;
    for col in &columns.columns {
        raw(out, "<th class=\"col\" data-provider=\"")?;
        text(out, &col.provider)?;
        raw(out, "\" title=\"")?;
        text(out, &col.provider)?;
        raw(out, " · ")?;
        text(out, col.mode())?;
        raw(out, "\">")?;
        text(out, col.short())?;
        raw(out, "</th>")?;
    }
    raw(out, "</tr>\n")?;
    for (scenario, cases) in scenarios {
        write_row(out, scenario, cases, columns, changes)?;
    }
    raw(out, "\n</table>\n</div>\n")
}

/// A scenario's row: its name (with the description as title) and a cell per column.
fn write_row(
    out: &mut dyn Write,
    scenario: &str,
    cases: &[&CaseResult],
    columns: &Columns,
    changes: Option<&ChangeIndex<'_>>,
) -> io::Result<()> {
    let present: BTreeSet<&str> = cases.iter().map(|c| c.status.as_str()).collect();
    raw(out, "<tr class=\"row\" data-statuses=\"")?;
    text(out, &present.into_iter().collect::<Vec<_>>().join(" "))?;
    raw(out, "\"><td class=\"scenario\" title=\"")?;
    text(out, cases.first().and_then(|c| c.description.as_deref()).unwrap_or_default())?;
    raw(out, "\">")?;
    text(out, scenario)?;
    raw(out, "</td>")?;
    for col in &columns.columns {
        match cases.iter().find(|c| col.holds(c)) {
            Some(c) => write_cell(out, c, &col.provider, changes)?,
            None => {
                raw(out, "<td class=\"cell s-none\" data-provider=\"")?;
                text(out, &col.provider)?;
                raw(out, "\" data-status=\"none\" title=\"\"></td>")?;
            }
        }
    }
    raw(out, "</tr>\n")
}

/// A case's cell: its symbol linking to the case, its reason as title (row and column already
/// name the case), and a mark when it changed since the baseline.
fn write_cell(
    out: &mut dyn Write,
    c: &CaseResult,
    provider: &str,
    changes: Option<&ChangeIndex<'_>>,
) -> io::Result<()> {
    let id = c.case_id();
    let change = changes.and_then(|ix| ix.get(id.as_str())).map(|ch| ch.class.as_str()).unwrap_or_default();
    let status = c.status.as_str();
    raw(out, "<td class=\"cell s-")?;
    text(out, status)?;
    if !change.is_empty() {
        raw(out, " ch-")?;
        text(out, change)?;
    }
    raw(out, "\" data-provider=\"")?;
    text(out, provider)?;
    raw(out, "\" data-status=\"")?;
    text(out, status)?;
    raw(out, "\"")?;
    if !change.is_empty() {
        raw(out, " data-change=\"")?;
        text(out, change)?;
        raw(out, "\"")?;
    }
    raw(out, " title=\"")?;
    text(out, c.reason.as_deref().unwrap_or(status))?;
    raw(out, "\"><a href=\"#")?;
    text(out, &anchor_of(&id))?;
    raw(out, "\">")?;
    text(out, symbol(c.status))?;
    raw(out, "</a>")?;
    if !change.is_empty() {
        raw(out, "<span class=\"mark\" title=\"")?;
        text(out, change)?;
        raw(out, "\">*</span>")?;
    }
    raw(out, "</td>")
}
