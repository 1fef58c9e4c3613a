//! The terminal table a `bench` run ends with.

use std::fmt::Write;

use crate::results::{BenchReport, BenchStats, Summary};

/// Milliseconds with a precision that suits their size: sub-millisecond replay figures keep
/// their microseconds, live ones do not pretend to them.
pub fn format_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn cells(s: Option<&Summary>) -> [String; 5] {
    match s {
        Some(s) => [format_ms(s.p50), format_ms(s.p90), format_ms(s.p95), format_ms(s.p99), format_ms(s.max)],
        None => std::array::from_fn(|_| "–".to_string()),
    }
}

fn row(out: &mut String, name: &str, s: &BenchStats) {
    let ttft = cells(s.ttft_ms.as_ref());
    let total = cells(s.total_ms.as_ref());
    let tps = s.tokens_per_s.as_ref().map_or("–".to_string(), |t| format!("{:.0}", t.p50));
    let _ = writeln!(
        out,
        "{name:<16} {:>6} {:>5} │ {:>7} {:>7} {:>7} {:>7} {:>7} │ {:>7} {:>7} {:>7} {:>7} {:>7} │ {:>9}",
        s.counts.calls,
        s.counts.errors,
        ttft[0],
        ttft[1],
        ttft[2],
        ttft[3],
        ttft[4],
        total[0],
        total[1],
        total[2],
        total[3],
        total[4],
        tps
    );
}

/// One row per provider (milliseconds unless marked `s`), then the run's totals.
pub fn render_table(report: &BenchReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:>6} {:>5} │ {:^39} │ {:^39} │ {:>9}",
        "", "", "", "time to first token (ms)", "total time (ms)", ""
    );
    let _ = writeln!(
        out,
        "{:<16} {:>6} {:>5} │ {:>7} {:>7} {:>7} {:>7} {:>7} │ {:>7} {:>7} {:>7} {:>7} {:>7} │ {:>9}",
        "PROVIDER", "CALLS", "ERR", "p50", "p90", "p95", "p99", "max", "p50", "p90", "p95", "p99", "max", "tok/s p50"
    );
    for p in &report.providers {
        row(&mut out, &p.provider, p);
    }
    let s = &report.settings;
    let _ = writeln!(
        out,
        "\n{} calls in {:.2}s ({:.0} calls/s) — {} mode{}, {} repetition(s) of {} case(s), concurrency {}, {} warm-up; {} error(s), {} unexpected, {} skipped",
        report.totals.calls,
        report.duration_ms / 1000.0,
        report.calls_per_s,
        s.mode,
        if s.replay_timing { " with recorded timing" } else { "" },
        s.repetitions,
        s.cases_per_repetition,
        s.concurrency,
        s.warmup,
        report.totals.errors,
        report.totals.unexpected,
        report.totals.skipped,
    );
    out
}
