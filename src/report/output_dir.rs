use std::path::{Path, PathBuf};

use super::baseline::Comparison;
use super::{render_html, render_junit, render_summary};
use crate::results::RunResults;

/// `reports/<run-id>/`, mirrored to `reports/latest/` when the run ends; the baseline the next
/// run compares with lives in `reports/baseline/`.
#[derive(Debug, Clone)]
pub struct OutputDir {
    pub root: PathBuf,
    pub run_dir: PathBuf,
}

impl OutputDir {
    pub fn new(root: &Path, run_id: &str) -> Self {
        OutputDir { root: root.to_path_buf(), run_dir: root.join(run_id) }
    }

    pub fn latest(&self) -> PathBuf {
        self.root.join("latest")
    }

    /// The default baseline: `<root>/baseline/results.json`.
    pub fn baseline(&self) -> PathBuf {
        default_baseline(&self.root)
    }
}

/// `<reports root>/baseline/results.json`.
pub fn default_baseline(root: &Path) -> PathBuf {
    root.join("baseline").join("results.json")
}

/// Report file names, in the order they are written.
pub const REPORT_FILES: [&str; 4] = ["results.json", "index.html", "junit.xml", "summary.md"];

fn write(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, contents).map_err(|e| anyhow::anyhow!("failed to write {}: {e}", path.display()))
}

/// Writes `results.json`, `index.html`, `junit.xml` and `summary.md` into `dir`.
pub fn write_report_files(dir: &Path, results: &RunResults, comparison: Option<&Comparison>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("failed to create {}: {e}", dir.display()))?;
    write(&dir.join("results.json"), serde_json::to_string_pretty(results)?.as_bytes())?;
    write(&dir.join("index.html"), render_html(results, comparison)?.as_bytes())?;
    write(&dir.join("junit.xml"), render_junit(results, comparison)?.as_bytes())?;
    write(&dir.join("summary.md"), render_summary(results, comparison).as_bytes())?;
    Ok(())
}

/// Writes the report files into the run directory and copies every file there (with
/// `results.jsonl`) to `latest/`.
pub fn write_reports(dir: &OutputDir, results: &RunResults, comparison: Option<&Comparison>) -> anyhow::Result<()> {
    write_report_files(&dir.run_dir, results, comparison)?;
    let latest = dir.latest();
    if latest != dir.run_dir {
        std::fs::create_dir_all(&latest).map_err(|e| anyhow::anyhow!("failed to create {}: {e}", latest.display()))?;
        for entry in std::fs::read_dir(&dir.run_dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                let to = latest.join(entry.file_name());
                std::fs::copy(entry.path(), &to).map_err(|e| {
                    anyhow::anyhow!("failed to copy {} to {}: {e}", entry.path().display(), to.display())
                })?;
            }
        }
    }
    Ok(())
}

/// Replaces the baseline at `path` with `results`. Written to a temporary file and renamed, so an
/// interrupted write never leaves a half baseline that would break the next run.
pub fn write_baseline(path: &Path, results: &RunResults) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("failed to create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("json.tmp");
    write(&tmp, serde_json::to_string_pretty(results)?.as_bytes())?;
    std::fs::rename(&tmp, path)
        .map_err(|e| anyhow::anyhow!("failed to move {} to {}: {e}", tmp.display(), path.display()))
}
