//! The rendered reports, read back the way their consumers read them: `index.html` through an
//! HTML parser, `junit.xml` through a JUnit parser, `summary.md` as text.

use llm_conform::report::{
    BaselineIndex, CompareOptions, Comparison, compare, render_html, render_junit, render_summary,
};
use llm_conform::results::RunResults;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use scraper::{Html, Selector};
use serde_json::{Value, json};

fn case(scenario: &str, provider: &str, stream: bool, status: &str, finish: &str) -> Value {
    let mut c = json!({
        "suite": "basics", "scenario": scenario, "provider": provider, "model": format!("{provider}-small"),
        "stream": stream, "tags": ["basics"], "status": status, "reason": null,
        "fingerprint": {"outcome": "success", "finish_reason": finish, "content": {"present": true}, "usage": true},
        "ttft_ms": if stream { json!(12.5) } else { Value::Null }, "total_ms": 40.0,
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}, "cost_usd": 0.0001,
        "attempts": [{"provider": provider, "model": format!("{provider}-small"), "outcome": "success",
                      "status": 200, "latency_ms": 40.0, "why": "scenario target"}],
        "request": {"model": format!("{provider}-small"), "messages": [{"role": "user", "content": format!("say hi ({scenario})")}]},
    });
    if status == "fail" {
        c["reason"] = json!(format!("finish_reason: expected stop, got {finish}"));
    }
    c
}

fn error_case(scenario: &str, provider: &str) -> Value {
    let mut c = case(scenario, provider, false, "error", "stop");
    c["fingerprint"] = Value::Null;
    c["reason"] = json!("no fixture at fixtures/openai/basics/missing.json; record it with --mode record-missing");
    c["error"] = json!({"kind": "connection", "message": "no fixture"});
    c["attempts"][0]["outcome"] = json!("connection");
    c
}

fn results(run_id: &str, cases: Vec<Value>) -> RunResults {
    serde_json::from_value(json!({"schema": 1, "run_id": run_id, "mode": "replay",
        "started_at": "2026-11-20T05:17:00Z", "duration_ms": 1234.0, "cases": cases}))
    .unwrap()
}

/// Last week: everything passes but one failure. This week: a new failure (regression), a drifted
/// fingerprint, an error that was a pass (regression), a fix, an xfail and a skip.
fn baseline_and_current() -> (RunResults, Comparison) {
    let base = results(
        "last-week",
        vec![
            case("single_turn", "openai", false, "pass", "stop"),
            case("single_turn", "openai", true, "pass", "stop"),
            case("single_turn", "anthropic", false, "pass", "stop"),
            case("stop_sequence", "openai", false, "pass", "stop"),
            case("stop_sequence", "anthropic", false, "fail", "length"),
            case("multi_turn", "openai", false, "pass", "stop"),
            case("unicode", "openai", false, "xfail", "length"),
            case("unicode", "anthropic", false, "skipped", "stop"),
        ],
    );
    let mut drifted = case("single_turn", "openai", true, "pass", "stop");
    drifted["fingerprint"]["usage"] = json!(false);
    let mut xfail = case("unicode", "openai", false, "xfail", "length");
    xfail["reason"] = json!("finish_reason: expected stop, got length (known: truncates)");
    xfail["xfail_link"] = json!("https://example.com/issue/1");
    let cur = results(
        "this-week",
        vec![
            case("single_turn", "openai", false, "fail", "length"),
            drifted,
            case("single_turn", "anthropic", false, "pass", "stop"),
            case("stop_sequence", "openai", false, "pass", "stop"),
            case("stop_sequence", "anthropic", false, "pass", "stop"),
            error_case("multi_turn", "openai"),
            xfail,
            case("unicode", "anthropic", false, "skipped", "stop"),
        ],
    );
    let base = BaselineIndex::from_results(base);
    let cmp = compare(&cur, &base, "reports/baseline/results.json", &CompareOptions::default()).unwrap();
    (cur, cmp)
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text(doc: &Html, s: &str) -> String {
    doc.select(&sel(s)).map(|e| e.text().collect::<String>()).collect::<Vec<_>>().join("\n")
}

#[test]
fn html_report_has_the_regression_summary_matrix_and_case_details() {
    let (cur, cmp) = baseline_and_current();
    let html = render_html(&cur, Some(&cmp)).unwrap();
    let doc = Html::parse_document(&html);

    // Self-contained: no stylesheet links, no external scripts or images.
    assert!(doc.select(&sel("link[rel=stylesheet], script[src], img[src]")).next().is_none());
    assert!(!html.contains("url(") && !html.contains("@import"));

    // The regression summary comes first, says regressions were found and lists them.
    let sections: Vec<String> =
        doc.select(&sel("body > section")).map(|s| s.value().attr("id").unwrap_or("").to_string()).collect();
    assert_eq!(sections.first().map(String::as_str), Some("regressions"), "{sections:?}");
    let summary = text(&doc, "#regressions");
    assert!(summary.contains("Regressions since the baseline"), "{summary}");
    assert!(summary.contains("last-week"), "{summary}");
    let regression_links: Vec<&str> =
        doc.select(&sel("#changes-regression tr.change a")).filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(
        regression_links,
        ["#basics--multi_turn--openai--non_stream", "#basics--single_turn--openai--non_stream"]
    );
    let regression_rows = text(&doc, "#changes-regression tr.change");
    assert!(regression_rows.contains("✓ pass") && regression_rows.contains("✗ fail"), "{regression_rows}");
    assert!(regression_rows.contains("finish_reason: stop → length"), "{regression_rows}");
    assert!(text(&doc, "#changes-fixed").contains("basics/stop_sequence/anthropic/non_stream"));
    assert!(text(&doc, "#changes-drift").contains("usage: true → false"));
    let counts: Vec<(String, String)> = doc
        .select(&sel("#change-counts .chip[data-class]"))
        .map(|c| (c.value().attr("data-class").unwrap().to_string(), text_of(&c, "b")))
        .collect();
    assert!(counts.contains(&("regression".into(), "2".into())), "{counts:?}");
    assert!(counts.contains(&("drift".into(), "1".into())), "{counts:?}");
    assert!(counts.contains(&("fixed".into(), "1".into())), "{counts:?}");

    // The matrix: one table for the suite, a cell per provider and mode, colour class and symbol.
    let matrices: Vec<_> = doc.select(&sel("table.matrix")).collect();
    assert_eq!(matrices.len(), 1);
    let failing = doc
        .select(&sel("table.matrix td.cell"))
        .find(|td| {
            td.select(&sel("a")).any(|a| a.value().attr("href") == Some("#basics--single_turn--openai--non_stream"))
        })
        .expect("the failing case has a matrix cell");
    assert!(failing.value().classes().any(|c| c == "s-fail"));
    assert!(failing.value().classes().any(|c| c == "ch-regression"));
    assert!(failing.text().collect::<String>().contains('✗'));
    let symbols: String = doc.select(&sel("table.matrix td.cell a")).flat_map(|a| a.text()).collect();
    for s in ['✓', '✗', '⊘', 'E', '–'] {
        assert!(symbols.contains(s), "no {s} in the matrix: {symbols}");
    }

    // Per-case details: request, fingerprint, the difference from the baseline, attempts, error.
    let details = doc.select(&sel("details#basics--single_turn--openai--non_stream")).next().unwrap();
    assert!(text_of(&details, "pre.request").contains("say hi (single_turn)"));
    assert!(text_of(&details, "pre.fingerprint").contains("\"finish_reason\": \"length\""));
    let attempt = text_of(&details, "table.attempts");
    assert!(attempt.contains("scenario target") && attempt.contains("40.0 ms") && attempt.contains("200"), "{attempt}");
    let diff = text_of(&details, ".baseline-diff");
    assert!(
        diff.contains("-  \"finish_reason\": \"stop\"") && diff.contains("+  \"finish_reason\": \"length\""),
        "{diff}"
    );
    let err = doc.select(&sel("details#basics--multi_turn--openai--non_stream")).next().unwrap();
    assert!(text_of(&err, "pre.error").contains("\"kind\": \"connection\""));
    let xfail = doc.select(&sel("details#basics--unicode--openai--non_stream")).next().unwrap();
    assert!(xfail.select(&sel("a[href='https://example.com/issue/1']")).next().is_some());
    assert_eq!(doc.select(&sel("details.case")).count(), cur.cases.len());

    // Per provider: the table and the inline SVG charts.
    assert!(text(&doc, "#providers table").contains("anthropic"));
    assert!(doc.select(&sel("#providers svg.chart")).count() >= 5);
}

fn text_of(el: &scraper::ElementRef<'_>, s: &str) -> String {
    el.select(&sel(s)).flat_map(|e| e.text()).collect()
}

#[test]
fn html_without_a_baseline_says_so_and_escapes_text() {
    let mut c = case("single_turn", "openai", false, "fail", "stop");
    c["reason"] = json!("<script>alert(1)</script>");
    c["request"]["messages"][0]["content"] = json!("</pre><script>alert(2)</script> & \"quoted\"");
    let html = render_html(&results("solo", vec![c]), None).unwrap();
    let doc = Html::parse_document(&html);
    assert!(text(&doc, "#regressions").contains("No baseline to compare with"));
    assert!(text(&doc, "#attention").contains("<script>alert(1)</script>"));
    let request = text(&doc, "pre.request");
    assert!(request.contains(r#""content": "</pre><script>alert(2)</script> & \"quoted\"""#), "{request}");
    assert_eq!(doc.select(&sel("script")).count(), 1, "only the report's own filter script");
}

#[test]
fn junit_parses_with_the_expected_counts() {
    let (cur, cmp) = baseline_and_current();
    let xml = render_junit(&cur, Some(&cmp)).unwrap();
    let report = Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(report.tests, 8);
    assert_eq!(report.failures, 1);
    assert_eq!(report.errors, 1);
    assert_eq!(report.skipped, 1);
    let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["anthropic", "openai"]);
    let openai = &report.test_suites[1];
    assert_eq!((openai.tests, openai.failures, openai.errors), (5, 1, 1));
    let by_name = |n: &str| openai.test_cases.iter().find(|t| t.name.as_str() == n).unwrap();

    let failed = by_name("basics/single_turn [non_stream]");
    assert_eq!(failed.classname.as_ref().unwrap().as_str(), "openai.basics");
    match &failed.status {
        TestCaseStatus::NonSuccess { kind: NonSuccessKind::Failure, message, description, .. } => {
            let m = message.as_ref().unwrap().as_str();
            assert_eq!(m, "regression (was pass): fail: finish_reason: expected stop, got length");
            assert!(description.as_ref().unwrap().as_str().contains("+  \"finish_reason\": \"length\""));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(matches!(
        by_name("basics/multi_turn [non_stream]").status,
        TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, .. }
    ));
    let xfail = by_name("basics/unicode [non_stream]");
    assert!(matches!(xfail.status, TestCaseStatus::Success { .. }));
    assert!(xfail.system_out.as_ref().unwrap().as_str().starts_with("xfail: failed as documented"));
    let drift = by_name("basics/single_turn [stream]");
    assert!(drift.system_out.as_ref().unwrap().as_str().contains("usage: true → false"));
    let skipped = &report.test_suites[0].test_cases.iter().find(|t| t.name.as_str() == "basics/unicode [non_stream]");
    assert!(matches!(skipped.unwrap().status, TestCaseStatus::Skipped { .. }));
}

#[test]
fn step_summary_has_the_regression_summary_then_the_matrix() {
    let (cur, cmp) = baseline_and_current();
    let md = render_summary(&cur, Some(&cmp));
    let regression = md.find("## Regression summary").unwrap();
    let matrix = md.find("## Matrix").unwrap();
    assert!(regression < matrix);
    assert!(md.contains("**Regressions found.**"));
    assert!(md.contains("### ✗ New failures (2)"));
    assert!(md.contains(
        "| `basics/single_turn/openai/non_stream` | ✓ pass | ✗ fail | finish_reason: expected stop, got length |"
    ));
    assert!(
        md.contains("| new failures | 2 |") && md.contains("| fixed | 1 |") && md.contains("| fingerprint drift | 1 |")
    );
    // Matrix row: anthropic (non-stream pass, no stream), openai (non-stream fail, stream pass).
    assert!(md.contains("| single_turn | ✓  | ✗✓ |"), "{md}");
}

#[test]
fn a_week_where_every_case_drifted_stays_readable_and_under_3_mb() {
    let providers = ["openai", "anthropic", "gemini", "mistral", "deepseek", "qwen", "cohere", "groq", "openrouter"];
    let mut before = Vec::new();
    let mut after = Vec::new();
    for i in 0..50 {
        for p in providers {
            for stream in [false, true] {
                let mut c = case(&format!("scenario_{i:02}"), p, stream, "pass", "stop");
                // A request the size of the shipped tool scenarios.
                c["request"]["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
                    "description": "Get the current weather for one city.", "parameters": {"type": "object",
                    "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
                    "required": ["city"]}}}]);
                before.push(c.clone());
                c["fingerprint"]["usage"] = json!(false);
                c["fingerprint"]["reasoning"] = json!(true);
                after.push(c);
            }
        }
    }
    let (base, cur) = (results("before", before), results("after", after));
    let cmp = compare(&cur, &BaselineIndex::from_results(base), "b.json", &CompareOptions::default()).unwrap();
    assert_eq!(cmp.changes.len(), 900);
    let html = render_html(&cur, Some(&cmp)).unwrap();
    assert!(html.len() < 3_000_000, "{} bytes", html.len());
    let doc = Html::parse_document(&html);
    assert_eq!(doc.select(&sel("#changes-drift tr.change")).count(), 200, "the summary lists the first 200");
    assert!(text(&doc, "#changes-drift").contains("… and 700 more"));
    assert_eq!(doc.select(&sel("details.case[data-change=drift]")).count(), 900, "every case is tagged");
    assert!(text(&doc, "#changes-drift summary").contains("(900)"));
}
