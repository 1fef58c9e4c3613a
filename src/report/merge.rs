//! Joining the results of shards (`report merge`): CI fans a run out over jobs with
//! `run --shard K/N` or `--provider`, and the merge job needs one report.
//!
//! A case in two inputs is refused: it means two shards overlapped (or one file was passed twice),
//! and picking either silently would hide a broken fan-out. The merged run's metadata:
//! `run_id` is the shards' common id without its `-shardKofN` suffix (or the ids joined with `+`),
//! `mode` is the common mode (or the modes joined with `+`), `started_at` is the earliest start,
//! `duration_ms` the wall-clock span from the first start to the last end (shards run in
//! parallel, so summing would overstate it).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset};

use crate::results::RunResults;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("failed to merge: no results given")]
    Empty,
    #[error("failed to merge: case {case} is in both {first} and {second}; shards must not overlap")]
    Duplicate { case: String, first: String, second: String },
}

/// `id` without a trailing `-shardKofN`.
fn strip_shard_suffix(id: &str) -> &str {
    if let Some(pos) = id.rfind("-shard") {
        let tail = &id[pos + "-shard".len()..];
        if let Some((k, n)) = tail.split_once("of")
            && !k.is_empty()
            && !n.is_empty()
            && k.chars().all(|c| c.is_ascii_digit())
            && n.chars().all(|c| c.is_ascii_digit())
        {
            return &id[..pos];
        }
    }
    id
}

fn join_distinct<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let distinct: BTreeSet<&str> = values.collect();
    distinct.into_iter().collect::<Vec<_>>().join("+")
}

/// Merges shard results; `inputs` pairs each file's name (for errors) with its results.
pub fn merge_results(inputs: &[(String, RunResults)]) -> Result<RunResults, MergeError> {
    let ((_, first), rest) = inputs.split_first().ok_or(MergeError::Empty)?;
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (name, r) in inputs {
        for c in &r.cases {
            let id = c.case_id();
            if let Some(prev) = seen.insert(id.clone(), name) {
                return Err(MergeError::Duplicate { case: id, first: prev.to_string(), second: name.clone() });
            }
        }
    }
    // Start from a copy of the first input so fields added to RunResults later carry over.
    let mut merged = first.clone();
    for (_, r) in rest {
        merged.cases.extend(r.cases.iter().cloned());
    }
    merged.cases.sort_by_key(|c| c.case_id());
    merged.run_id = join_distinct(inputs.iter().map(|(_, r)| strip_shard_suffix(&r.run_id)));
    merged.mode = join_distinct(inputs.iter().map(|(_, r)| r.mode.as_str()));
    let parsed: Option<Vec<(DateTime<FixedOffset>, f64)>> = inputs
        .iter()
        .map(|(_, r)| DateTime::parse_from_rfc3339(&r.started_at).ok().map(|t| (t, r.duration_ms)))
        .collect();
    match parsed {
        Some(spans) => {
            let start = spans.iter().map(|(t, _)| *t).min();
            let end = spans.iter().map(|(t, d)| *t + chrono::Duration::microseconds((d * 1000.0).round() as i64)).max();
            if let (Some(start), Some(end)) = (start, end) {
                merged.started_at = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                merged.duration_ms = (end - start).num_microseconds().map_or(0.0, |us| us as f64 / 1000.0);
            }
        }
        None => {
            // Unparsable times: keep the smallest start text and the longest shard.
            merged.started_at = inputs.iter().map(|(_, r)| r.started_at.clone()).min().unwrap_or_default();
            merged.duration_ms = inputs.iter().map(|(_, r)| r.duration_ms).fold(0.0, f64::max);
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(run_id: &str, started_at: &str, duration_ms: f64, cases: &[&str]) -> RunResults {
        let cases: Vec<serde_json::Value> = cases
            .iter()
            .map(|s| {
                serde_json::json!({"suite":"basics","scenario":s,"provider":"openai","model":"m","stream":false,
                    "tags":[],"status":"pass","reason":null,"fingerprint":null,"ttft_ms":null,"total_ms":1.0,
                    "usage":null,"cost_usd":null,"attempts":[]})
            })
            .collect();
        serde_json::from_value(serde_json::json!({"schema":1,"run_id":run_id,"mode":"live",
            "started_at":started_at,"duration_ms":duration_ms,"cases":cases}))
        .unwrap()
    }

    #[test]
    fn metadata_is_combined() {
        let a = results("20260101T000000Z-shard1of2", "2026-01-01T00:00:00Z", 10_000.0, &["b"]);
        let b = results("20260101T000000Z-shard2of2", "2026-01-01T00:00:05Z", 10_000.0, &["a"]);
        let m = merge_results(&[("a.json".into(), a), ("b.json".into(), b)]).unwrap();
        assert_eq!(m.run_id, "20260101T000000Z");
        assert_eq!(m.mode, "live");
        assert_eq!(m.started_at, "2026-01-01T00:00:00Z");
        assert_eq!(m.duration_ms, 15_000.0);
        assert_eq!(m.cases.iter().map(|c| &*c.scenario).collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn duplicates_are_refused_by_name() {
        let a = results("x", "2026-01-01T00:00:00Z", 1.0, &["a"]);
        let e = merge_results(&[("a.json".into(), a.clone()), ("b.json".into(), a)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to merge: case basics/a/openai/non_stream is in both a.json and b.json; shards must not overlap"
        );
        assert_eq!(strip_shard_suffix("run-shard"), "run-shard");
        assert_eq!(strip_shard_suffix("run-shard3of"), "run-shard3of");
    }
}
