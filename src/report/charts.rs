//! Inline SVG charts for the HTML report. Drawn here rather than by a charting library because
//! the report must be one file with no scripts or assets; colours come from the page's CSS
//! variables (classes `c-*`), so the charts follow the light and dark themes.

use std::fmt::Write as _;

const WIDTH: f64 = 560.0;
const LABEL_W: f64 = 110.0;
const VALUE_W: f64 = 170.0;
const ROW_H: f64 = 22.0;
const TOP: f64 = 24.0;

/// One provider's row in a chart.
pub struct Row {
    pub label: String,
    /// The main (darker) bar, e.g. p50 or the pass rate.
    pub value: Option<f64>,
    /// A second, lighter bar drawn behind the first, e.g. p95.
    pub back: Option<f64>,
    /// A tick for the baseline's value.
    pub marker: Option<f64>,
    pub text: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart, one row per provider, scaled to `max` (or the largest value).
pub fn bar_chart(title: &str, rows: &[Row], max: Option<f64>, bar_class: &str, legend: &str) -> String {
    let largest = rows
        .iter()
        .flat_map(|r| [r.value, r.back, r.marker])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let max = max.unwrap_or(largest).max(f64::MIN_POSITIVE);
    let plot = WIDTH - LABEL_W - VALUE_W;
    let scale = |v: f64| (v.clamp(0.0, max) / max * plot).max(0.0);
    let height = TOP + ROW_H * rows.len() as f64 + 6.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" aria-label="{t}" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text class="c-title" x="0" y="14">{t}</text><text class="c-legend" x="{WIDTH}" y="14" text-anchor="end">{l}</text>"#,
        t = esc(title),
        l = esc(legend),
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let _ = write!(
            s,
            r#"<text class="c-label" x="{x}" y="{ty}" text-anchor="end">{label}</text><rect class="c-track" x="{LABEL_W}" y="{by}" width="{plot}" height="14" rx="3"/>"#,
            x = LABEL_W - 8.0,
            ty = y + 12.0,
            by = y + 1.0,
            label = esc(&r.label),
        );
        if let Some(b) = r.back.filter(|v| v.is_finite()) {
            let _ = write!(
                s,
                r#"<rect class="{bar_class} c-back" x="{LABEL_W}" y="{by}" width="{w:.1}" height="14" rx="3"/>"#,
                by = y + 1.0,
                w = scale(b)
            );
        }
        if let Some(v) = r.value.filter(|v| v.is_finite()) {
            let _ = write!(
                s,
                r#"<rect class="{bar_class}" x="{LABEL_W}" y="{by}" width="{w:.1}" height="14" rx="3"/>"#,
                by = y + 1.0,
                w = scale(v)
            );
        }
        if let Some(m) = r.marker.filter(|v| v.is_finite()) {
            let _ = write!(
                s,
                r#"<line class="c-marker" x1="{x:.1}" x2="{x:.1}" y1="{y1}" y2="{y2}"/>"#,
                x = LABEL_W + scale(m),
                y1 = y - 1.0,
                y2 = y + 17.0
            );
        }
        let _ = write!(
            s,
            r#"<text class="c-value" x="{x}" y="{ty}">{text}</text>"#,
            x = WIDTH - VALUE_W + 8.0,
            ty = y + 12.0,
            text = esc(&r.text)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scaled() {
        let rows = [
            Row { label: "<x>".into(), value: Some(50.0), back: None, marker: None, text: "50%".into() },
            Row { label: "y".into(), value: Some(f64::NAN), back: Some(100.0), marker: Some(80.0), text: "".into() },
        ];
        let svg = bar_chart("t", &rows, Some(100.0), "c-pass", "");
        assert!(svg.contains("&lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains(r#"width="140.0""#), "{svg}");
        assert!(!svg.contains("NaN"));
    }
}
