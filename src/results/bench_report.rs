//! The `bench` section of `results.json`: what a benchmark measured, with the settings that
//! give the figures their meaning.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// Percentiles of one measure, in the unit its field name says (`_ms`, `_per_s`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: u64,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// Log-spaced buckets from `min` to `max`, for charts.
    #[serde(default)]
    pub distribution: Vec<Bucket>,
}

/// How many values fell at or below `le` (and above the previous bucket's bound).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub le: f64,
    pub count: u64,
}
