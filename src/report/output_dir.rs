use std::path::{Path, PathBuf};

use super::render_html;
use crate::runner::RunResults;

/// `reports/<run-id>/`, mirrored to `reports/latest/` when the run ends.
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
}

/// Writes `results.json` and `index.html` into the run directory and copies them to `latest/`.
pub fn write_reports(dir: &OutputDir, results: &RunResults) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir.run_dir)?;
    let json = serde_json::to_string_pretty(results)?;
    std::fs::write(dir.run_dir.join("results.json"), json)?;
    std::fs::write(dir.run_dir.join("index.html"), render_html(results)?)?;
    let latest = dir.latest();
    if latest != dir.run_dir {
        std::fs::create_dir_all(&latest)?;
        for entry in std::fs::read_dir(&dir.run_dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), latest.join(entry.file_name()))?;
            }
        }
    }
    Ok(())
}
