//! Fingerprint snapshots in insta's format: `cargo test` asserts them with insta, and a CLI run
//! compares against the same files, writing drift as pending `.snap.new` so that
//! `cargo insta review` is how a person accepts a provider's new behaviour.

use std::path::{Path, PathBuf};

use crate::fingerprint::Fingerprint;
use crate::results::SnapshotState;
use crate::suite::CaseId;

/// The test file whose snapshots the CLI shares: insta names files `<test file>__<name>.snap`.
pub const SNAPSHOT_SOURCE: &str = "replay_matrix";

#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
}

impl SnapshotStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SnapshotStore { dir: dir.into() }
    }

    pub fn path_for(&self, case: &CaseId) -> PathBuf {
        self.dir.join(format!("{SNAPSHOT_SOURCE}__{}.snap", case.snapshot_name()))
    }

    /// Compares `fp` with the stored snapshot. The comparison is on JSON values, so formatting
    /// never counts as drift.
    pub fn compare(&self, case: &CaseId, fp: &Fingerprint) -> (SnapshotState, Option<String>) {
        let path = self.path_for(case);
        let Some(stored) = read_contents(&path) else { return (SnapshotState::New, None) };
        let current = serde_json::to_value(fp).unwrap_or_default();
        match serde_json::from_str::<serde_json::Value>(&stored) {
            Ok(v) if v == current => (SnapshotState::Match, None),
            Ok(v) => (SnapshotState::Drift, Some(crate::diff::json_diff(("snapshot", &v), ("this run", &current)))),
            Err(_) => (SnapshotState::Drift, Some(format!("stored snapshot {} is not JSON", path.display()))),
        }
    }

    /// Writes `<snapshot>.snap.new` for `cargo insta review`.
    pub fn write_pending(&self, case: &CaseId, fp: &Fingerprint) -> std::io::Result<PathBuf> {
        let path = self.path_for(case);
        let new_path = path.with_extension("snap.new");
        let body = serde_json::to_string_pretty(fp).unwrap_or_default();
        let text = format!("---\nsource: tests/harness/{SNAPSHOT_SOURCE}.rs\nexpression: fingerprint\n---\n{body}\n");
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(&new_path, text)?;
        Ok(new_path)
    }
}

/// The contents of a `.snap` file, read with insta's own parser.
fn read_contents(path: &Path) -> Option<String> {
    if !path.exists() {
        return None;
    }
    let snap = insta::Snapshot::from_file(path).ok()?;
    snap.contents().as_text().map(|t| t.to_string())
}
