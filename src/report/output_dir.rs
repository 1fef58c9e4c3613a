use std::path::{Path, PathBuf};

use super::baseline::Comparison;
use super::{render_summary, write_html, write_junit};
use crate::results::RunResults;
use crate::write_guard::{GuardedFile, WriteError, write_file};

/// `reports/<run-id>/`, published as `reports/latest/` when the run ends; the baseline the next
/// run compares with lives in `reports/baseline/`.
///
/// Each run writes into a directory of its own that no other run shares (a suffix is added when
/// the id is taken), and `latest/` is replaced in one atomic step, so a kill at any instant
/// leaves `latest/` holding one complete run: the previous one or this one.
#[derive(Debug, Clone)]
pub struct OutputDir {
    pub root: PathBuf,
    pub run_dir: PathBuf,
    /// The run id actually used (with a suffix when the requested one was taken).
    pub run_id: String,
}

/// Names a run directory may not take: they are the directories every run shares.
const RESERVED: [&str; 2] = ["latest", "baseline"];

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "invalid run id {0:?}: use letters, digits, `.`, `_` and `-` (not leading `.`), at most 100 characters, and not `latest` or `baseline`"
    )]
    InvalidRunId(String),
    #[error("failed to create {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to publish {from} as {to}")]
    Publish {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("failed to render {file}: {message}")]
    Render { file: &'static str, message: String },
}

/// Whether `id` can name a run directory: one path component of plain characters.
pub fn validate_run_id(id: &str) -> Result<(), OutputError> {
    let plain = id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if id.is_empty() || id.len() > 100 || !plain || id.starts_with('.') || RESERVED.contains(&id) {
        return Err(OutputError::InvalidRunId(id.to_string()));
    }
    Ok(())
}

impl OutputDir {
    /// Creates a fresh run directory under `root` named `run_id`, or `run_id-2`, `run_id-3`, ...
    /// when taken. Creation is the claim: two runs started in the same second never share one.
    pub fn create(root: &Path, run_id: &str) -> Result<OutputDir, OutputError> {
        validate_run_id(run_id)?;
        std::fs::create_dir_all(root).map_err(|source| OutputError::Create { path: root.to_path_buf(), source })?;
        for n in 1u32.. {
            let id = if n == 1 { run_id.to_string() } else { format!("{run_id}-{n}") };
            let run_dir = root.join(&id);
            match std::fs::create_dir(&run_dir) {
                Ok(()) => return Ok(OutputDir { root: root.to_path_buf(), run_dir, run_id: id }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => continue,
                Err(source) => return Err(OutputError::Create { path: run_dir, source }),
            }
        }
        unreachable!("the loop returns")
    }

    pub fn latest(&self) -> PathBuf {
        self.root.join("latest")
    }

    /// The default baseline: `<root>/baseline/results.json`.
    pub fn baseline(&self) -> PathBuf {
        default_baseline(&self.root)
    }

    /// Replaces `latest/` with a copy of the run directory in one atomic step.
    pub fn publish_latest(&self) -> Result<(), OutputError> {
        let latest = self.latest();
        let staging = self.root.join(format!(".latest-{}-{}", self.run_id, std::process::id()));
        let fail = |from: &Path, source| OutputError::Publish { from: from.to_path_buf(), to: latest.clone(), source };
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir(&staging).map_err(|e| fail(&staging, e))?;
        for entry in std::fs::read_dir(&self.run_dir).map_err(|e| fail(&self.run_dir, e))? {
            let entry = entry.map_err(|e| fail(&self.run_dir, e))?;
            if entry.file_type().map_err(|e| fail(&entry.path(), e))?.is_file() {
                std::fs::copy(entry.path(), staging.join(entry.file_name())).map_err(|e| fail(&entry.path(), e))?;
            }
        }
        swap_into_place(&staging, &latest).map_err(|e| fail(&staging, e))?;
        let _ = std::fs::remove_dir_all(&staging);
        Ok(())
    }
}

impl OutputDir {
    /// Deletes the oldest run directories so that at most `keep` remain (this run's always
    /// does). `latest/`, `baseline/` and anything hidden are never touched. Returns how many
    /// were removed.
    pub fn prune(&self, keep: usize) -> std::io::Result<usize> {
        let mut runs: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            if !entry.file_type()?.is_dir() || name.starts_with('.') || RESERVED.contains(&name.as_str()) {
                continue;
            }
            // Only directories a run wrote: they hold its results.
            let path = entry.path();
            if path == self.run_dir || !(path.join("results.jsonl").exists() || path.join("results.json").exists()) {
                continue;
            }
            runs.push((entry.metadata()?.modified()?, path));
        }
        runs.sort();
        let excess = (runs.len() + 1).saturating_sub(keep.max(1));
        for (_, path) in runs.iter().take(excess) {
            std::fs::remove_dir_all(path)?;
        }
        Ok(excess.min(runs.len()))
    }
}

/// Puts directory `new` at `target`. Where `target` exists, the two are exchanged atomically
/// (Linux `renameat2(RENAME_EXCHANGE)`), leaving the old one at `new`; elsewhere the old one is
/// moved aside first, which leaves a moment without `target`.
fn swap_into_place(new: &Path, target: &Path) -> std::io::Result<()> {
    if !target.exists() {
        return std::fs::rename(new, target);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let a = std::ffi::CString::new(new.as_os_str().as_bytes())?;
        let b = std::ffi::CString::new(target.as_os_str().as_bytes())?;
        // SAFETY: both pointers are valid NUL-terminated paths that outlive the call.
        let rc =
            unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
        if rc == 0 {
            return Ok(());
        }
    }
    let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let aside = target.with_file_name(format!(".{name}-old-{}", std::process::id()));
    std::fs::rename(target, &aside)?;
    std::fs::rename(new, target)?;
    std::fs::rename(&aside, new)
}

/// `<reports root>/baseline/results.json`.
pub fn default_baseline(root: &Path) -> PathBuf {
    root.join("baseline").join("results.json")
}

/// Report file names, in the order they are written.
pub const REPORT_FILES: [&str; 4] = ["results.json", "index.html", "junit.xml", "summary.md"];

/// Writes `results.json`, `index.html`, `junit.xml` and `summary.md` into `dir`, each whole.
/// The three that grow with the run (results, the page, JUnit) are written as they are rendered,
/// never held whole in memory. The page, the largest, is written on a thread of its own beside
/// the others; the first failure in that order is the one reported.
pub fn write_report_files(
    dir: &Path,
    results: &RunResults,
    comparison: Option<&Comparison>,
) -> Result<(), OutputError> {
    let (json, page, rest) = std::thread::scope(|s| {
        let page = s.spawn(|| {
            write_streamed(&dir.join("index.html"), "index.html", |out| write_html(out, results, comparison))
        });
        let json =
            write_streamed(&dir.join("results.json"), "results.json", |out| serde_json::to_writer_pretty(out, results));
        let rest = if json.is_ok() {
            write_streamed(&dir.join("junit.xml"), "junit.xml", |out| write_junit(out, results, comparison))
                .and_then(|()| Ok(write_file(&dir.join("summary.md"), render_summary(results, comparison).as_bytes())?))
        } else {
            Ok(())
        };
        // A panic in the page's renderer is the same defect on this thread as on its own.
        (json, page.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), rest)
    });
    json?;
    page?;
    rest
}

/// Renders into a [`GuardedFile`] at `path`: in place whole if `render` succeeds and no piece
/// holds a key, absent otherwise (a refused piece is reported as such, not as the render error
/// it caused).
fn write_streamed<E: std::fmt::Display>(
    path: &Path,
    file: &'static str,
    render: impl FnOnce(&mut GuardedFile) -> Result<(), E>,
) -> Result<(), OutputError> {
    let mut out = GuardedFile::create(path)?;
    match render(&mut out) {
        Ok(()) => Ok(out.finish()?),
        Err(e) => {
            out.abandon()?;
            Err(OutputError::Render { file, message: e.to_string() })
        }
    }
}

/// Writes the report files into the run directory, then publishes it as `latest/`.
pub fn write_reports(
    dir: &OutputDir,
    results: &RunResults,
    comparison: Option<&Comparison>,
) -> Result<(), OutputError> {
    write_report_files(&dir.run_dir, results, comparison)?;
    dir.publish_latest()
}

/// Replaces the baseline at `path` with `results` (a [`RunResults`], or the
/// [`super::NextBaseline`] that borrows its rows), whole or not at all.
pub fn write_baseline(path: &Path, results: &impl serde::Serialize) -> Result<(), OutputError> {
    prepare_baseline(path, results)?.commit()
}

/// A baseline written beside its place, not yet in it: prepared while the reports are written,
/// put in place only once they are (a run whose reports failed leaves the old baseline).
pub struct PreparedBaseline(GuardedFile);

impl PreparedBaseline {
    pub fn commit(self) -> Result<(), OutputError> {
        Ok(self.0.finish()?)
    }
}

/// Writes the baseline for `path` into a temporary file beside it, synced to disk; dropped
/// uncommitted, it leaves nothing.
pub fn prepare_baseline(path: &Path, results: &impl serde::Serialize) -> Result<PreparedBaseline, OutputError> {
    let mut out = GuardedFile::create(path)?;
    match serde_json::to_writer_pretty(&mut out, results) {
        Ok(()) => {
            out.sync()?;
            Ok(PreparedBaseline(out))
        }
        Err(e) => {
            out.abandon()?;
            Err(OutputError::Render { file: "baseline results.json", message: e.to_string() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_baseline_replaces_the_old_one_only_when_committed() {
        let root = tempfile::tempdir().unwrap();
        let path = default_baseline(root.path());
        write_baseline(&path, &serde_json::json!({"run": "old"})).unwrap();
        let files = || std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        // Reports failed: the prepared baseline is dropped, the old one stays, nothing is left.
        drop(prepare_baseline(&path, &serde_json::json!({"run": "new"})).unwrap());
        assert!(std::fs::read_to_string(&path).unwrap().contains("old"));
        assert_eq!(files(), 1);
        let prepared = prepare_baseline(&path, &serde_json::json!({"run": "new"})).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("old"), "not in place before commit");
        prepared.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\n  \"run\": \"new\"\n}");
        assert_eq!(files(), 1);
    }

    #[test]
    fn run_ids_are_one_plain_component() {
        for bad in ["", "../../x", "a/b", "latest", "baseline", ".hidden", "a b", "x\\y"] {
            assert!(validate_run_id(bad).is_err(), "{bad:?}");
        }
        for good in ["20261201T120000Z", "ci-42", "shard1of3.retry_2"] {
            validate_run_id(good).unwrap();
        }
    }

    #[test]
    fn pruning_keeps_the_newest_runs_and_never_latest_or_baseline() {
        let root = tempfile::tempdir().unwrap();
        for i in 0..5 {
            let d = OutputDir::create(root.path(), &format!("r{i}")).unwrap();
            std::fs::write(d.run_dir.join("results.jsonl"), "").unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::fs::create_dir_all(root.path().join("baseline")).unwrap();
        std::fs::create_dir_all(root.path().join("notes")).unwrap();
        let current = OutputDir::create(root.path(), "now").unwrap();
        assert_eq!(current.prune(3).unwrap(), 3);
        let mut left: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["baseline", "notes", "now", "r3", "r4"]);
    }

    #[test]
    fn a_taken_id_gets_a_suffix_and_latest_is_swapped_whole() {
        let root = tempfile::tempdir().unwrap();
        let a = OutputDir::create(root.path(), "run").unwrap();
        let b = OutputDir::create(root.path(), "run").unwrap();
        assert_eq!(b.run_id, "run-2");
        std::fs::write(a.run_dir.join("results.json"), "a").unwrap();
        a.publish_latest().unwrap();
        std::fs::write(b.run_dir.join("results.json"), "b").unwrap();
        std::fs::write(b.run_dir.join("index.html"), "b").unwrap();
        b.publish_latest().unwrap();
        let latest = a.latest();
        assert_eq!(std::fs::read_to_string(latest.join("results.json")).unwrap(), "b");
        assert!(latest.join("index.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
