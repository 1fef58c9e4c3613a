//! Fingerprint snapshots in insta's format: `cargo test` asserts them with insta, and a CLI run
//! compares against the same files, writing drift as pending `.snap.new` so that
//! `cargo insta review` is how a person accepts a provider's new behaviour.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fingerprint::Fingerprint;
use crate::results::SnapshotState;
use crate::snapshot_update::SnapshotUpdate;
use crate::suite::CaseId;

/// The test file whose snapshots the CLI shares: insta names files `<test file>__<name>.snap`.
pub const SNAPSHOT_SOURCE: &str = "replay_matrix";

#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
    update: SnapshotUpdate,
    /// Files written for review so far (`.snap.new`), shared by clones.
    pending: Arc<AtomicUsize>,
    /// Snapshots written in place (`INSTA_UPDATE=always`).
    accepted: Arc<AtomicUsize>,
}

impl SnapshotStore {
    pub fn new(dir: impl Into<PathBuf>, update: SnapshotUpdate) -> Self {
        SnapshotStore { dir: dir.into(), update, pending: Arc::default(), accepted: Arc::default() }
    }

    /// How many `.snap.new` files this store wrote for `cargo insta review`.
    pub fn pending_written(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// How many snapshots this store overwrote (`INSTA_UPDATE=always`).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
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

    /// Writes a drifted or new fingerprint where the update policy says (`.snap.new` for
    /// `cargo insta review`, or the `.snap` itself); `None` when the policy writes nothing.
    pub fn record(&self, case: &CaseId, fp: &Fingerprint, state: SnapshotState) -> std::io::Result<Option<PathBuf>> {
        if state == SnapshotState::Match {
            return Ok(None);
        }
        let path = self.path_for(case);
        let Some(target) = self.update.target(&path, state == SnapshotState::Drift) else { return Ok(None) };
        let body = serde_json::to_string_pretty(fp).unwrap_or_default();
        let text = format!("---\nsource: tests/harness/{SNAPSHOT_SOURCE}.rs\nexpression: fingerprint\n---\n{body}\n");
        crate::write_guard::write_file(&target, text.as_bytes()).map_err(std::io::Error::other)?;
        let counter = if target == path { &self.accepted } else { &self.pending };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(Some(target))
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
