//! Differences between JSON documents, as people read them in terminals, reports and CI.

use serde_json::Value;

/// A unified diff of two JSON documents, pretty-printed, at most 60 lines.
pub fn json_diff(want: &Value, got: &Value) -> String {
    let a = serde_json::to_string_pretty(want).unwrap_or_default();
    let b = serde_json::to_string_pretty(got).unwrap_or_default();
    let diff = similar::TextDiff::from_lines(&a, &b);
    let text = diff.unified_diff().context_radius(2).header("fixture", "request").to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 60 { format!("{}\n… {} more lines", lines[..60].join("\n"), lines.len() - 60) } else { text }
}
