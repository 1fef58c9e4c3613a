//! The `bench` section of `results.json`, and the collector that folds case results into it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::histogram::{Recorder, Summary};
use crate::fingerprint::Outcome;
use crate::runner::{CaseResult, CaseStatus};

/// How a benchmark was run and what it measured, per provider and per scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub settings: BenchSettings,
    pub started_at: String,
    /// Wall time of the measured repetitions (warm-up excluded).
    pub duration_ms: f64,
    pub totals: BenchCounts,
    /// Calls per second of wall time over the measured repetitions.
    pub calls_per_s: f64,
    pub providers: Vec<BenchStats>,
    /// One row per provider, scenario and mode.
    pub scenarios: Vec<BenchStats>,
}

/// The knobs of a benchmark, kept with its figures so a number is never read without them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchSettings {
    /// `replay` or `live`.
    pub mode: String,
    /// Whether stream events were served at their recorded offsets.
    pub replay_timing: bool,
    pub repetitions: u32,
    pub warmup: u32,
    /// Case groups (a scenario on one provider, its modes in turn) in flight at once.
    pub concurrency: u32,
    /// Distinct cases in one repetition.
    pub cases_per_repetition: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchCounts {
    /// Calls made (skipped cases excluded).
    pub calls: u64,
    /// Calls that ended in an error: a provider error (also the ones a scenario expects) or a
    /// harness error. Their latency is not in the histograms.
    pub errors: u64,
    /// Cases whose verdict was a problem (fail, xpass, error): the setup, not the provider, is
    /// what needs looking at before the figures mean anything.
    pub unexpected: u64,
    pub skipped: u64,
}

/// The figures of one provider, or of one scenario on one provider in one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchStats {
    pub provider: String,
    /// `suite/scenario`, on per-scenario rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// `stream` or `non_stream`, on per-scenario rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(flatten)]
    pub counts: BenchCounts,
    /// Error kinds (`harness` for harness errors) and how often each happened.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_kinds: BTreeMap<String, u64>,
    /// Time to the first chunk with output, successful streams only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<Summary>,
    /// Whole-call time, successful calls only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<Summary>,
    /// Completion tokens over whole-call time, successful calls that reported usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_s: Option<Summary>,
}

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
        self.providers.entry(c.provider.clone()).or_insert_with(|| Accumulator::new(3)).record(c);
        let mode = if c.stream { "stream" } else { "non_stream" };
        self.scenarios
            .entry((c.provider.clone(), format!("{}/{}", c.suite, c.scenario), mode))
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
