//! Outages, said once per provider: "anthropic unavailable in 12 cases: overloaded". An outage
//! is not a conformance result, so it has its own line in every summary rather than a place
//! among failures.

use std::collections::BTreeMap;

use crate::results::{CaseStatus, RunResults};

/// One line per provider with unavailable cases, with the error kinds that kept it away.
pub fn unavailability(results: &RunResults) -> Vec<String> {
    let mut by_provider: BTreeMap<&str, (usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for c in results.cases.iter().filter(|c| c.status == CaseStatus::Unavailable) {
        let provider =
            c.attempts.iter().rev().find(|a| a.outcome.called()).map_or(&*c.provider, |a| a.provider.as_str());
        let entry = by_provider.entry(provider).or_default();
        entry.0 += 1;
        let kind = c
            .error
            .as_ref()
            .and_then(|e| e.to_value().ok())
            .and_then(|e| e["kind"].as_str().map(str::to_string))
            .unwrap_or_else(|| "cooling down".to_string());
        *entry.1.entry(kind).or_default() += 1;
    }
    by_provider
        .into_iter()
        .map(|(p, (n, kinds))| {
            let kinds: Vec<String> =
                kinds.into_iter().map(|(k, n)| if n > 1 { format!("{k} ×{n}") } else { k }).collect();
            format!("{p} unavailable in {n} case{}: {}", if n == 1 { "" } else { "s" }, kinds.join(", "))
        })
        .collect()
}
