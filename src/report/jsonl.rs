use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::results::CaseResult;

/// Appends one line per finished case and flushes it at once, so an interrupted run keeps every
/// case that finished.
pub struct JsonlWriter {
    out: BufWriter<File>,
}

impl JsonlWriter {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = OpenOptions::new().create(true).truncate(true).write(true).open(path)?;
        Ok(JsonlWriter { out: BufWriter::new(f) })
    }

    pub fn append(&mut self, case: &CaseResult) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, case)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
