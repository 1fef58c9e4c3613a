//! When a CLI run writes snapshot files, by insta's own rules: `INSTA_UPDATE` (`auto`, `new`,
//! `always`, `unseen`, `no`, `force`) and `INSTA_PENDING_DIR`, as `cargo test` reads them, so a
//! drifted fingerprint ends up where `cargo insta review` looks for it.
//!
//! insta's runtime is built for test functions (it prints to stdout, resolves the workspace with
//! `cargo metadata`, and panics on a mismatch), so the CLI cannot call it; this reads the same
//! variables with the same meanings, and the files it writes are checked with insta's own
//! parser in the tests.

use std::path::{Path, PathBuf};

/// What happens to a snapshot that differs from (or is missing for) a case's fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotUpdate {
    /// Write nothing (`INSTA_UPDATE=no`, and `auto` on CI).
    No,
    /// Write `.snap.new` for review (`new`, and `auto` elsewhere).
    New,
    /// Overwrite the `.snap` itself (`always`, `force`).
    Always,
    /// Write missing snapshots as `.snap`, changed ones as `.snap.new` (`unseen`).
    Unseen,
}

impl SnapshotUpdate {
    /// From `INSTA_UPDATE` and whether this is CI, as insta decides it.
    pub fn from_env() -> SnapshotUpdate {
        let ci = is_ci();
        match std::env::var("INSTA_UPDATE").ok().as_deref().map(str::trim) {
            Some("no") => SnapshotUpdate::No,
            Some("new") => SnapshotUpdate::New,
            Some("always") | Some("force") | Some("1") => SnapshotUpdate::Always,
            Some("unseen") => SnapshotUpdate::Unseen,
            _ if ci => SnapshotUpdate::No,
            _ => SnapshotUpdate::New,
        }
    }

    /// Where a drifted (`exists`) or missing snapshot at `path` is written, if anywhere.
    pub fn target(self, path: &Path, exists: bool) -> Option<PathBuf> {
        let pending = || pending_path(&path.with_extension("snap.new"));
        match (self, exists) {
            (SnapshotUpdate::No, _) => None,
            (SnapshotUpdate::Always, _) | (SnapshotUpdate::Unseen, false) => Some(path.to_path_buf()),
            (SnapshotUpdate::New, _) | (SnapshotUpdate::Unseen, true) => Some(pending()),
        }
    }
}

/// `path` moved under `INSTA_PENDING_DIR` when it is set (keeping its place relative to the
/// current directory, the workspace the CLI runs in), as insta does.
fn pending_path(path: &Path) -> PathBuf {
    let Some(dir) = std::env::var_os("INSTA_PENDING_DIR").filter(|d| !d.is_empty()).map(PathBuf::from) else {
        return path.to_path_buf();
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let relative = path.strip_prefix(&cwd).unwrap_or(path);
    let relative: PathBuf = relative.components().filter(|c| matches!(c, std::path::Component::Normal(_))).collect();
    dir.join(relative)
}

/// The CI markers insta looks at.
fn is_ci() -> bool {
    ["CI", "TF_BUILD", "BUILDKITE", "TRAVIS", "GITHUB_ACTIONS", "GITLAB_CI"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|x| !x.is_empty() && x != "false" && x != "0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_insta() {
        let p = Path::new("tests/snapshots/a.snap");
        assert_eq!(SnapshotUpdate::No.target(p, true), None);
        assert_eq!(SnapshotUpdate::Always.target(p, true), Some(p.to_path_buf()));
        assert_eq!(SnapshotUpdate::Unseen.target(p, false), Some(p.to_path_buf()));
        assert!(SnapshotUpdate::Unseen.target(p, true).unwrap().to_string_lossy().ends_with("a.snap.new"));
        assert!(SnapshotUpdate::New.target(p, false).unwrap().to_string_lossy().ends_with("a.snap.new"));
    }
}
