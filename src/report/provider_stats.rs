use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::results::{CaseResult, CaseStatus};

/// Per-provider figures: pass rate, latency percentiles, throughput, cost.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProviderStats {
    pub provider: String,
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub pass_rate: f64,
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p95_ms: Option<f64>,
    pub total_p50_ms: Option<f64>,
    pub total_p95_ms: Option<f64>,
    /// Completion tokens per second over successful cases.
    pub tokens_per_s: Option<f64>,
    pub cost_usd: f64,
}

/// Latencies are recorded in microseconds, up to an hour, with three significant figures.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn percentile(h: &Histogram<u64>, q: f64) -> Option<f64> {
    (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
}

/// p95 total latency per provider over the cases that ran (`(provider, status, total_ms)`), as
/// [`ProviderStats::total_p95_ms`] has it: what a baseline comparison sets side by side.
pub fn total_p95_ms<'a>(cases: impl IntoIterator<Item = (&'a str, CaseStatus, f64)>) -> BTreeMap<&'a str, Option<f64>> {
    let mut by: BTreeMap<&str, Histogram<u64>> = BTreeMap::new();
    for (provider, status, total_ms) in cases {
        let h = by.entry(provider).or_insert_with(histogram);
        if status != CaseStatus::Skipped {
            record_ms(h, total_ms);
        }
    }
    by.into_iter().map(|(p, h)| (p, percentile(&h, 0.95))).collect()
}

fn record_ms(h: &mut Histogram<u64>, ms: f64) {
    let _ = h.record((ms * 1000.0).max(1.0) as u64);
}

pub fn provider_stats(cases: &[CaseResult]) -> Vec<ProviderStats> {
    let mut by: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in cases {
        by.entry(&c.provider).or_default().push(c);
    }
    by.into_iter()
        .map(|(provider, cs)| {
            let mut ttft = histogram();
            let mut total = histogram();
            let (mut tokens, mut secs) = (0u64, 0f64);
            for c in &cs {
                if c.status == CaseStatus::Skipped {
                    continue;
                }
                if let Some(t) = c.ttft_ms {
                    record_ms(&mut ttft, t);
                }
                record_ms(&mut total, c.total_ms);
                if let Some(u) = &c.usage {
                    tokens += u.completion_tokens;
                    secs += c.total_ms / 1000.0;
                }
            }
            let ran: Vec<&&CaseResult> = cs.iter().filter(|c| c.status != CaseStatus::Skipped).collect();
            let passed = ran.iter().filter(|c| matches!(c.status, CaseStatus::Pass | CaseStatus::Xfail)).count();
            ProviderStats {
                provider: provider.to_string(),
                cases: ran.len(),
                passed,
                failed: ran.len() - passed,
                pass_rate: if ran.is_empty() { 0.0 } else { passed as f64 / ran.len() as f64 },
                ttft_p50_ms: percentile(&ttft, 0.5),
                ttft_p95_ms: percentile(&ttft, 0.95),
                total_p50_ms: percentile(&total, 0.5),
                total_p95_ms: percentile(&total, 0.95),
                tokens_per_s: (secs > 0.0).then(|| tokens as f64 / secs),
                cost_usd: cs.iter().filter_map(|c| c.cost_usd).sum(),
            }
        })
        .collect()
}
