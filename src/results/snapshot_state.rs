use serde::{Deserialize, Serialize};

/// How the fingerprint compares with the stored snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotState {
    Match,
    Drift,
    New,
}
