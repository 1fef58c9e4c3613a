//! Folds the case results of a benchmark into histograms, then into the `bench` section of
//! `results.json`.

use std::collections::BTreeMap;

use super::Recorder;
use crate::fingerprint::Outcome;
use crate::results::{BenchCounts, BenchReport, BenchSettings, BenchStats, CaseResult, CaseStatus};

/// Histograms and counters of one row while the benchmark runs.
#[derive(Debug, Clone)]
struct Accumulator {
    counts: BenchCounts,
    error_kinds: BTreeMap<String, u64>,
    ttft: Recorder,
    total: Recorder,
    tokens_per_s: Recorder,
}

impl Accumulator {
    fn new(sigfig: u8) -> Self {
        Accumulator {
            counts: BenchCounts::default(),
            error_kinds: BTreeMap::new(),
            ttft: Recorder::millis(sigfig),
            total: Recorder::millis(sigfig),
            tokens_per_s: Recorder::rate(sigfig),
        }
    }

    fn record(&mut self, c: &CaseResult) {
        if c.status == CaseStatus::Skipped {
            self.counts.skipped += 1;
            return;
        }
        self.counts.calls += 1;
        if c.status.is_problem() {
            self.counts.unexpected += 1;
        }
        let error_kind = match &c.fingerprint {
            None => Some("harness".to_string()),
            Some(fp) if fp.outcome == Outcome::Error => {
                Some(fp.error.as_ref().map_or_else(|| "unknown".to_string(), |e| e.kind.as_str().to_string()))
            }
            Some(_) => None,
        };
        if let Some(kind) = error_kind {
            self.counts.errors += 1;
            *self.error_kinds.entry(kind).or_default() += 1;
            return;
        }
        self.total.record(c.total_ms);
        if c.stream
            && let Some(t) = c.ttft_ms
        {
            self.ttft.record(t);
        }
        if let Some(u) = &c.usage
            && u.completion_tokens > 0
            && c.total_ms > 0.0
        {
            self.tokens_per_s.record(u.completion_tokens as f64 / (c.total_ms / 1000.0));
        }
    }

    fn stats(&self, provider: &str, scenario: Option<String>, mode: Option<String>) -> BenchStats {
        BenchStats {
            provider: provider.to_string(),
            scenario,
            mode,
            counts: self.counts.clone(),
            error_kinds: self.error_kinds.clone(),
            ttft_ms: self.ttft.summary(),
            total_ms: self.total.summary(),
            tokens_per_s: self.tokens_per_s.summary(),
        }
    }
}

/// Folds the case results of every measured repetition into histograms.
#[derive(Debug, Clone, Default)]
pub struct BenchCollector {
    providers: BTreeMap<String, Accumulator>,
    /// By provider, `suite/scenario` and mode.
    scenarios: BTreeMap<(String, String, &'static str), Accumulator>,
}

impl BenchCollector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&mut self, c: &CaseResult) {
        // Provider rows are few and read first: 0.1 % precision. Scenario rows can number in
        // the thousands: 1 % keeps them small.
        self.providers.entry(c.provider.to_string()).or_insert_with(|| Accumulator::new(3)).record(c);
        let mode = if c.stream { "stream" } else { "non_stream" };
        self.scenarios
            .entry((c.provider.to_string(), format!("{}/{}", c.suite, c.scenario), mode))
            .or_insert_with(|| Accumulator::new(2))
            .record(c);
    }

    /// Calls recorded so far.
    pub fn calls(&self) -> u64 {
        self.providers.values().map(|a| a.counts.calls).sum()
    }

    pub fn finish(self, settings: BenchSettings, started_at: String, duration_ms: f64) -> BenchReport {
        let providers: Vec<BenchStats> = self.providers.iter().map(|(p, a)| a.stats(p, None, None)).collect();
        let scenarios =
            self.scenarios.iter().map(|((p, s, m), a)| a.stats(p, Some(s.clone()), Some((*m).to_string()))).collect();
        let mut totals = BenchCounts::default();
        for p in &providers {
            totals.calls += p.counts.calls;
            totals.errors += p.counts.errors;
            totals.unexpected += p.counts.unexpected;
            totals.skipped += p.counts.skipped;
        }
        let calls_per_s = if duration_ms > 0.0 { totals.calls as f64 / (duration_ms / 1000.0) } else { 0.0 };
        BenchReport {
            settings,
            started_at,
            duration_ms,
            totals,
            calls_per_s: (calls_per_s * 10.0).round() / 10.0,
            providers,
            scenarios,
        }
    }
}
