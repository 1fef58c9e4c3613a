//! `GET /metrics` in the Prometheus text format (version 0.0.4): requests, attempts and errors
//! by provider and kind, latency histograms, tokens and cost, and the router's view of every
//! candidate (cooling down, busy, recent latency).
//!
//! Written by hand rather than with a metrics crate: a dozen fixed families, label values that
//! all come from the catalog and the error taxonomy (never from a request, so cardinality is
//! bounded), one short lock per request, and about as many lines as the registration code a
//! crate would need. Format: <https://prometheus.io/docs/instrumenting/exposition_formats/>.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use llm_conform_core::router::PlannedCandidate;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 16] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

type Labels = Vec<(&'static str, String)>;

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, v: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| v <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += v;
    }
}

#[derive(Default)]
struct Families {
    counters: BTreeMap<(&'static str, Labels), f64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

/// What one finished chat request adds to the metrics.
#[derive(Debug, Default)]
pub struct RequestRecord<'a> {
    pub status: u16,
    pub stream: bool,
    pub seconds: f64,
    /// `(provider, outcome, latency seconds when called)` per attempt.
    pub attempts: Vec<(&'a str, &'a str, Option<f64>)>,
    /// `(provider or "gateway", kind)` of the error returned, if any.
    pub error: Option<(&'a str, &'a str)>,
    pub served_by: Option<&'a str>,
    pub ttft_seconds: Option<f64>,
    pub tokens: Option<(u64, u64)>,
    pub cost_usd: Option<f64>,
}

const HELP: &[(&str, &str, &str)] = &[
    ("llm_conform_gateway_requests_total", "counter", "Requests answered, by endpoint and HTTP status."),
    (
        "llm_conform_gateway_request_duration_seconds",
        "histogram",
        "Time to answer a request, streams to their last byte.",
    ),
    (
        "llm_conform_gateway_attempts_total",
        "counter",
        "Provider attempts by outcome: success, an error kind, skipped or escalated.",
    ),
    (
        "llm_conform_gateway_errors_total",
        "counter",
        "Errors returned to clients, by the provider tried last and error kind.",
    ),
    ("llm_conform_gateway_upstream_duration_seconds", "histogram", "Duration of provider calls."),
    ("llm_conform_gateway_ttft_seconds", "histogram", "Time to first streamed chunk sent to the client."),
    ("llm_conform_gateway_tokens_total", "counter", "Tokens used, by provider and direction."),
    ("llm_conform_gateway_cost_usd_total", "counter", "Estimated cost in US dollars from catalog prices."),
];

/// The gateway's counters and histograms.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Families>,
}

impl Metrics {
    /// Counts a request to an endpoint other than chat completions.
    pub fn record_simple(&self, endpoint: &'static str, status: u16, seconds: f64) {
        let mut f = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let labels = vec![("endpoint", endpoint.to_string()), ("status", status.to_string())];
        *f.counters.entry(("llm_conform_gateway_requests_total", labels)).or_default() += 1.0;
        let labels = vec![("endpoint", endpoint.to_string())];
        f.histograms.entry(("llm_conform_gateway_request_duration_seconds", labels)).or_default().observe(seconds);
    }

    pub fn record_chat(&self, r: &RequestRecord<'_>) {
        let endpoint = if r.stream { "chat_completions_stream" } else { "chat_completions" };
        self.record_simple(endpoint, r.status, r.seconds);
        let mut f = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for (provider, outcome, secs) in &r.attempts {
            let labels = vec![("provider", provider.to_string()), ("outcome", outcome.to_string())];
            *f.counters.entry(("llm_conform_gateway_attempts_total", labels)).or_default() += 1.0;
            if let Some(s) = secs {
                let labels = vec![("provider", provider.to_string())];
                f.histograms.entry(("llm_conform_gateway_upstream_duration_seconds", labels)).or_default().observe(*s);
            }
        }
        if let Some((provider, kind)) = r.error {
            let labels = vec![("provider", provider.to_string()), ("kind", kind.to_string())];
            *f.counters.entry(("llm_conform_gateway_errors_total", labels)).or_default() += 1.0;
        }
        let Some(p) = r.served_by else { return };
        if let Some(t) = r.ttft_seconds {
            f.histograms
                .entry(("llm_conform_gateway_ttft_seconds", vec![("provider", p.to_string())]))
                .or_default()
                .observe(t);
        }
        if let Some((prompt, completion)) = r.tokens {
            for (dir, n) in [("prompt", prompt), ("completion", completion)] {
                let labels = vec![("provider", p.to_string()), ("direction", dir.to_string())];
                *f.counters.entry(("llm_conform_gateway_tokens_total", labels)).or_default() += n as f64;
            }
        }
        if let Some(c) = r.cost_usd {
            *f.counters
                .entry(("llm_conform_gateway_cost_usd_total", vec![("provider", p.to_string())]))
                .or_default() += c;
        }
    }

    /// The exposition text: recorded families, then gauges for requests in flight and for each
    /// candidate's state as the router plans it now.
    pub fn render(&self, in_flight: usize, draining: bool, candidates: &[PlannedCandidate]) -> String {
        let f = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::with_capacity(4096);
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((n, labels), v) in f.counters.range((*name, Vec::new())..) {
                if n != name {
                    break;
                }
                let _ = writeln!(out, "{name}{} {v}", label_text(labels, None));
            }
            for ((n, labels), h) in f.histograms.range((*name, Vec::new())..) {
                if n != name {
                    break;
                }
                write_histogram(&mut out, name, labels, h);
            }
        }
        drop(f);
        let _ = writeln!(
            out,
            "# HELP llm_conform_gateway_in_flight Requests being served, streams until their last byte.\n# TYPE llm_conform_gateway_in_flight gauge\nllm_conform_gateway_in_flight {in_flight}"
        );
        let _ = writeln!(
            out,
            "# HELP llm_conform_gateway_draining 1 while shutting down.\n# TYPE llm_conform_gateway_draining gauge\nllm_conform_gateway_draining {}",
            u8::from(draining)
        );
        write_candidates(&mut out, candidates);
        out
    }
}

fn write_histogram(out: &mut String, name: &str, labels: &Labels, h: &Histogram) {
    let mut cumulative = 0;
    for (b, c) in BUCKETS.iter().zip(h.counts) {
        cumulative += c;
        let _ = writeln!(out, "{name}_bucket{} {cumulative}", label_text(labels, Some(&b.to_string())));
    }
    let _ = writeln!(out, "{name}_bucket{} {}", label_text(labels, Some("+Inf")), h.count);
    let _ = writeln!(out, "{name}_sum{} {}", label_text(labels, None), h.sum);
    let _ = writeln!(out, "{name}_count{} {}", label_text(labels, None), h.count);
}

fn write_candidates(out: &mut String, candidates: &[PlannedCandidate]) {
    out.push_str("# HELP llm_conform_gateway_candidate_state 1 for the state the router sees a candidate in now: ready, cooling_down or busy.\n# TYPE llm_conform_gateway_candidate_state gauge\n");
    for p in candidates {
        let state = candidate_state(&p.state);
        for s in ["ready", "cooling_down", "busy"] {
            let labels = vec![
                ("provider", p.candidate.provider.clone()),
                ("model", p.candidate.model.clone()),
                ("state", s.to_string()),
            ];
            let _ = writeln!(
                out,
                "llm_conform_gateway_candidate_state{} {}",
                label_text(&labels, None),
                u8::from(s == state)
            );
        }
    }
    out.push_str("# HELP llm_conform_gateway_candidate_latency_ewma_seconds Recent time to first token (or whole response) the router ranks on.\n# TYPE llm_conform_gateway_candidate_latency_ewma_seconds gauge\n");
    for p in candidates {
        if let Some(ms) = p.latency_ewma_ms {
            let labels = vec![("provider", p.candidate.provider.clone()), ("model", p.candidate.model.clone())];
            let _ = writeln!(
                out,
                "llm_conform_gateway_candidate_latency_ewma_seconds{} {}",
                label_text(&labels, None),
                ms / 1000.0
            );
        }
    }
}

/// The router's plan state (`ready`, `cooling down (...)`, `busy (...)`) as a label value.
fn candidate_state(state: &str) -> &'static str {
    if state.starts_with("cooling down") {
        "cooling_down"
    } else if state.starts_with("busy") {
        "busy"
    } else {
        "ready"
    }
}

fn label_text(labels: &Labels, le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut s = String::from("{");
    let mut first = true;
    for (k, v) in labels.iter().map(|(k, v)| (*k, v.as_str())).chain(le.map(|l| ("le", l))) {
        if !first {
            s.push(',');
        }
        first = false;
        let _ = write!(s, "{k}=\"");
        for ch in v.chars() {
            match ch {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        let rec = RequestRecord {
            status: 200,
            seconds: 0.002,
            attempts: vec![("open\"ai", "success", Some(0.0004)), ("open\"ai", "success", Some(3.0))],
            served_by: Some("open\"ai"),
            tokens: Some((10, 5)),
            ..Default::default()
        };
        m.record_chat(&rec);
        let text = m.render(0, false, &[]);
        assert!(
            text.contains("llm_conform_gateway_attempts_total{provider=\"open\\\"ai\",outcome=\"success\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "llm_conform_gateway_upstream_duration_seconds_bucket{provider=\"open\\\"ai\",le=\"0.0005\"} 1"
            )
        );
        assert!(
            text.contains("llm_conform_gateway_upstream_duration_seconds_bucket{provider=\"open\\\"ai\",le=\"5\"} 2")
        );
        assert!(text.contains("llm_conform_gateway_upstream_duration_seconds_count{provider=\"open\\\"ai\"} 2"));
        assert!(text.contains("llm_conform_gateway_tokens_total{provider=\"open\\\"ai\",direction=\"completion\"} 5"));
        assert!(text.contains("llm_conform_gateway_requests_total{endpoint=\"chat_completions\",status=\"200\"} 1"));
    }
}
