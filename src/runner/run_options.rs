use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where responses come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    /// Fixtures served on 127.0.0.1; never touches the network. The default.
    Replay,
    /// Live calls, fixtures written.
    Record,
    /// Replay where a fixture exists, record where it does not.
    RecordMissing,
    /// Live calls, nothing written.
    Live,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Replay => "replay",
            RunMode::Record => "record",
            RunMode::RecordMissing => "record-missing",
            RunMode::Live => "live",
        }
    }

    /// Whether this mode calls providers (and so needs keys).
    pub fn is_live(self) -> bool {
        !matches!(self, RunMode::Replay)
    }
}

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: RunMode,
    pub concurrency: usize,
    pub per_provider: usize,
    pub timeout: Duration,
    pub fixtures: PathBuf,
    /// Where insta snapshots live; `None` skips the comparison.
    pub snapshots: Option<PathBuf>,
    /// What is written when a fingerprint drifts from (or has no) snapshot.
    pub snapshot_update: crate::snapshot_update::SnapshotUpdate,
    /// Provenance recorded in fixtures written by this run.
    pub provenance_source: String,
}

impl Default for RunOptions {
    /// The config file's defaults ([`crate::config::RunSettings`]), so there is one set.
    fn default() -> Self {
        let settings = crate::config::RunSettings::default();
        RunOptions {
            mode: RunMode::Replay,
            concurrency: settings.concurrency,
            per_provider: settings.per_provider,
            timeout: Duration::from_secs_f64(settings.timeout_s),
            fixtures: settings.fixtures,
            snapshots: None,
            snapshot_update: crate::snapshot_update::SnapshotUpdate::No,
            provenance_source: "recorded".into(),
        }
    }
}
