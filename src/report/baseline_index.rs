//! The baseline a run is compared with, held as an index rather than as rows: per case its
//! verdict, a digest of its fingerprint, its latency and its provider, about a tenth of a row.
//! A weekly run compares every case but needs a whole baseline row only where something changed
//! (to show a fingerprint's diff) or where the next baseline keeps the old row (a case skipped or
//! unavailable this time); those few are read from the file again. Holding the baseline's rows
//! beside the run's own doubled the memory of a run (issue 13: 5.7 KB a case instead of 3.5).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::results_file::{LoadError, resolve_results_path};
use super::results_stream::{ResultsHeader, stream_results};
use crate::fingerprint_digest::FingerprintDigest;
use crate::results::{CaseResult, CaseStatus, RunResults};

/// What the comparison needs of one baseline case.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// `suite/scenario/provider/mode`.
    pub id: Box<str>,
    pub provider: Arc<str>,
    pub status: CaseStatus,
    pub fingerprint: Option<FingerprintDigest>,
    pub total_ms: f64,
    pub reason: Option<Box<str>>,
}

/// A baseline run's verdicts, sorted by case id, and where to read its rows again.
#[derive(Debug)]
pub struct BaselineIndex {
    pub run_id: String,
    pub mode: String,
    pub started_at: String,
    entries: Vec<IndexEntry>,
    rows: RowSource,
}

#[derive(Debug)]
enum RowSource {
    File(PathBuf),
    /// Rows already in memory (a baseline built by a caller, not read from a file).
    Memory(Vec<CaseResult>),
}

impl BaselineIndex {
    /// Indexes the `results.json` at `path` (or in the directory `path`), reading it one row at a
    /// time. Where the file has a case twice, the later row counts, as it would in a map.
    pub fn load(path: &Path) -> Result<BaselineIndex, LoadError> {
        let file = resolve_results_path(path);
        let mut indexer = Indexer::default();
        let header = stream_results(&file, &mut |row| indexer.add(&row))?;
        Ok(BaselineIndex::new(header, indexer, RowSource::File(file)))
    }

    /// The index of rows already in memory.
    pub fn from_results(results: RunResults) -> BaselineIndex {
        let mut indexer = Indexer::default();
        results.cases.iter().for_each(|row| indexer.add(row));
        let header = ResultsHeader { run_id: results.run_id, mode: results.mode, started_at: results.started_at };
        BaselineIndex::new(header, indexer, RowSource::Memory(results.cases))
    }

    fn new(header: ResultsHeader, indexer: Indexer, rows: RowSource) -> BaselineIndex {
        let mut entries: Vec<IndexEntry> = indexer.by_id.into_values().collect();
        entries.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        entries.shrink_to_fit();
        BaselineIndex { run_id: header.run_id, mode: header.mode, started_at: header.started_at, entries, rows }
    }

    /// Every case, sorted by id.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&IndexEntry> {
        self.entries.binary_search_by(|e| (*e.id).cmp(id)).ok().map(|i| &self.entries[i])
    }

    /// The whole rows of the `wanted` cases, by id. Read again from the file, each is checked
    /// against its entry: a baseline replaced while the run went on is an error, not a comparison
    /// with a mix of two runs.
    pub fn rows(&self, wanted: &HashSet<&str>) -> Result<HashMap<String, CaseResult>, LoadError> {
        let mut found: HashMap<String, CaseResult> = HashMap::new();
        let mut take = |row: CaseResult| {
            let id = row.case_id();
            if wanted.contains(id.as_str()) {
                found.insert(id, row);
            }
        };
        let path = match &self.rows {
            RowSource::Memory(rows) => {
                rows.iter().cloned().for_each(take);
                return Ok(found);
            }
            RowSource::File(path) => {
                stream_results(path, &mut take)?;
                path
            }
        };
        let mut providers = HashSet::new();
        let mut same = |id: &str| {
            let entry = self.get(id);
            found.get(id).is_some_and(|row| entry == Some(&IndexEntry::of(row, &mut providers)))
        };
        match wanted.iter().find(|id| !same(id)) {
            None => Ok(found),
            Some(id) => Err(LoadError::Changed { path: path.display().to_string(), case: id.to_string() }),
        }
    }

    /// The ids of the cases whose status `pick` selects.
    pub fn ids_where(&self, pick: impl Fn(CaseStatus) -> bool) -> impl Iterator<Item = &str> {
        self.entries.iter().filter(move |e| pick(e.status)).map(|e| &*e.id)
    }
}

/// Entries as rows come, one per case (the later row of a case counts), providers shared.
#[derive(Default)]
struct Indexer {
    providers: HashSet<Arc<str>>,
    by_id: HashMap<Box<str>, IndexEntry>,
}

impl Indexer {
    fn add(&mut self, row: &CaseResult) {
        let entry = IndexEntry::of(row, &mut self.providers);
        self.by_id.insert(entry.id.clone(), entry);
    }
}

impl IndexEntry {
    /// The entry of `row`; providers are shared through `providers` (a run has a handful).
    fn of(row: &CaseResult, providers: &mut HashSet<Arc<str>>) -> IndexEntry {
        let provider = match providers.get(&*row.provider) {
            Some(p) => p.clone(),
            None => {
                providers.insert(row.provider.clone());
                row.provider.clone()
            }
        };
        IndexEntry {
            id: row.case_id().into_boxed_str(),
            provider,
            status: row.status,
            fingerprint: row.fingerprint.as_ref().map(FingerprintDigest::of),
            total_ms: row.total_ms,
            reason: row.reason.as_deref().map(Box::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(scenario: &str, status: &str, finish: &str) -> serde_json::Value {
        json!({"suite": "s", "scenario": scenario, "provider": "p", "model": "m", "stream": false, "tags": [],
            "status": status, "reason": null, "total_ms": 2.0, "attempts": [],
            "fingerprint": {"outcome": "success", "finish_reason": finish, "content": {"present": true},
                "reasoning": false, "tool_calls": [], "usage": true, "stream": null, "error": null, "route": []}})
    }

    fn write(dir: &Path, rows: Vec<serde_json::Value>) -> PathBuf {
        let path = dir.join("results.json");
        let run =
            json!({"schema": 1, "run_id": "r", "mode": "replay", "started_at": "t", "duration_ms": 1.0, "cases": rows});
        std::fs::write(&path, serde_json::to_string_pretty(&run).unwrap()).unwrap();
        path
    }

    #[test]
    fn rows_are_read_again_only_for_the_cases_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path =
            write(dir.path(), vec![row("b", "pass", "stop"), row("a", "fail", "length"), row("b", "xfail", "stop")]);
        let index = BaselineIndex::load(&path).unwrap();
        let ids: Vec<&str> = index.entries().iter().map(|e| &*e.id).collect();
        assert_eq!(ids, ["s/a/p/non_stream", "s/b/p/non_stream"], "sorted, one entry a case");
        assert_eq!(index.get("s/b/p/non_stream").unwrap().status, CaseStatus::Xfail, "the later row counts");
        let wanted: HashSet<&str> = ["s/a/p/non_stream"].into();
        let rows = index.rows(&wanted).unwrap();
        assert_eq!(rows.keys().collect::<Vec<_>>(), ["s/a/p/non_stream"]);
        assert_eq!(rows["s/a/p/non_stream"].status, CaseStatus::Fail);
    }

    #[test]
    fn a_baseline_replaced_during_the_run_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), vec![row("a", "pass", "stop")]);
        let index = BaselineIndex::load(&path).unwrap();
        write(dir.path(), vec![row("a", "pass", "length")]);
        let wanted: HashSet<&str> = ["s/a/p/non_stream"].into();
        let e = index.rows(&wanted).unwrap_err().to_string();
        assert!(e.contains("changed while this run went on") && e.contains("s/a/p/non_stream"), "{e}");
    }
}
