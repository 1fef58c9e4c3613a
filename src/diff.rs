//! Differences between JSON documents, as people read them in terminals, reports and CI: a
//! unified diff whose two sides say what they are (`fixture` and `request`, `baseline` and
//! `this run`, `snapshot` and `this run`, `non_stream` and `stream`).

use serde_json::Value;

/// Lines a diff keeps; the rest is counted.
const MAX_LINES: usize = 60;

/// A unified diff of two JSON documents, pretty-printed, each side labelled.
pub fn json_diff(left: (&str, &Value), right: (&str, &Value)) -> String {
    let a = serde_json::to_string_pretty(left.1).unwrap_or_default() + "\n";
    let b = serde_json::to_string_pretty(right.1).unwrap_or_default() + "\n";
    let diff = similar::TextDiff::from_lines(&a, &b);
    let text = diff.unified_diff().context_radius(2).header(left.0, right.0).to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > MAX_LINES {
        format!("{}\n… {} more lines", lines[..MAX_LINES].join("\n"), lines.len() - MAX_LINES)
    } else {
        text.trim_end().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_labelled_and_there_is_no_missing_newline_marker() {
        let d = json_diff(("snapshot", &serde_json::json!({"a": 1})), ("this run", &serde_json::json!({"a": 2})));
        assert!(d.starts_with("--- snapshot\n+++ this run\n"), "{d}");
        assert!(d.contains("-  \"a\": 1\n+  \"a\": 2"), "{d}");
        assert!(!d.contains("No newline"), "{d}");
    }
}
