//! HDR histograms and the percentile summaries written to `results.json`.
//!
//! Values are recorded as integers in a fixed sub-unit (microseconds for latencies, hundredths
//! for rates) so that a histogram keeps its precision over six orders of magnitude: a replayed
//! call takes a few hundred microseconds, a live one tens of seconds.

use hdrhistogram::Histogram;

use crate::results::{Bucket, Summary};

/// Bars in a summary's distribution: enough to show a shape in a small chart, few enough that
/// `results.json` stays readable.
const DISTRIBUTION_BUCKETS: usize = 24;

/// A histogram of one measure, with the scale between recorded integers and reported units.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Created on the first value, so rows that never see a measure (TTFT of a non-stream case)
    /// cost nothing.
    hist: Option<Histogram<u64>>,
    /// Recorded integers per reported unit (1000 for milliseconds recorded as microseconds).
    scale: f64,
    sigfig: u8,
}

/// The largest recordable integer (about 12 days in microseconds): bounds the auto-resizing
/// histogram, whose growth would otherwise be driven by whatever a broken clock reports.
const MAX_RECORDED: u64 = 1 << 40;

impl Recorder {
    /// Latencies in milliseconds, kept to the microsecond. `sigfig` trades memory for precision:
    /// per-provider rows use 3 (0.1 %), per-scenario rows 2 (1 %) because there are hundreds.
    pub fn millis(sigfig: u8) -> Recorder {
        Recorder::with_scale(1000.0, sigfig)
    }

    /// Rates (tokens per second), kept to the hundredth.
    pub fn rate(sigfig: u8) -> Recorder {
        Recorder::with_scale(100.0, sigfig)
    }

    fn with_scale(scale: f64, sigfig: u8) -> Recorder {
        Recorder { hist: None, scale, sigfig: sigfig.clamp(1, 5) }
    }

    /// Records one value in reported units; negative and non-finite values are ignored because
    /// they can only come from a clock that went backwards.
    pub fn record(&mut self, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        if self.hist.is_none() {
            // Auto-resizing, so memory follows the largest value seen rather than a fixed bound.
            self.hist = Histogram::new(self.sigfig).ok();
        }
        if let Some(h) = &mut self.hist {
            let _ = h.record(((value * self.scale).round() as u64).min(MAX_RECORDED));
        }
    }

    pub fn count(&self) -> u64 {
        self.hist.as_ref().map_or(0, Histogram::len)
    }

    /// Percentiles and the distribution, in reported units; `None` when nothing was recorded.
    pub fn summary(&self) -> Option<Summary> {
        let h = self.hist.as_ref().filter(|h| !h.is_empty())?;
        let unit = |v: u64| round3(v as f64 / self.scale);
        Some(Summary {
            count: h.len(),
            min: unit(h.min()),
            mean: round3(h.mean() / self.scale),
            p50: unit(h.value_at_quantile(0.50)),
            p90: unit(h.value_at_quantile(0.90)),
            p95: unit(h.value_at_quantile(0.95)),
            p99: unit(h.value_at_quantile(0.99)),
            max: unit(h.max()),
            distribution: self.distribution(h),
        })
    }

    /// Counts in log-spaced buckets between the smallest and largest value: latency
    /// distributions are skewed, and a log axis shows both the body and the tail.
    fn distribution(&self, h: &Histogram<u64>) -> Vec<Bucket> {
        let lo = h.min().max(1) as f64;
        let hi = h.max().max(1) as f64;
        if hi <= lo || h.equivalent(h.min(), h.max()) {
            return vec![Bucket { le: round3(hi / self.scale), count: h.len() }];
        }
        let ratio = (hi / lo).ln();
        let mut counts = vec![0u64; DISTRIBUTION_BUCKETS];
        for v in h.iter_recorded() {
            let x = (v.value_iterated_to().max(1) as f64).clamp(lo, hi);
            let pos = ((x / lo).ln() / ratio * DISTRIBUTION_BUCKETS as f64).floor() as usize;
            if let Some(c) = counts.get_mut(pos.min(DISTRIBUTION_BUCKETS - 1)) {
                *c += v.count_at_value();
            }
        }
        counts
            .into_iter()
            .enumerate()
            .map(|(i, count)| {
                let edge = lo * (ratio * (i + 1) as f64 / DISTRIBUTION_BUCKETS as f64).exp();
                Bucket { le: round3(edge / self.scale), count }
            })
            .collect()
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_in_reported_units() {
        let mut r = Recorder::millis(3);
        for i in 1..=100 {
            r.record(i as f64);
        }
        let s = r.summary().unwrap();
        assert_eq!(s.count, 100);
        assert!((s.p50 - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.p99 - 99.0).abs() < 0.1, "{s:?}");
        assert!((s.max - 100.0).abs() < 0.1, "{s:?}");
        assert_eq!(s.distribution.iter().map(|b| b.count).sum::<u64>(), 100);
        assert_eq!(s.distribution.len(), DISTRIBUTION_BUCKETS);
    }

    #[test]
    fn one_value_is_one_bucket_and_bad_values_are_ignored() {
        let mut r = Recorder::rate(2);
        r.record(f64::NAN);
        r.record(-1.0);
        assert!(r.summary().is_none());
        r.record(12.5);
        r.record(12.5);
        let s = r.summary().unwrap();
        assert_eq!(s.distribution.len(), 1, "{s:?}");
        assert_eq!(s.distribution[0].count, 2);
        // Two significant figures: within 1 %.
        assert!((s.p50 - 12.5).abs() <= 0.125, "{s:?}");
    }
}
