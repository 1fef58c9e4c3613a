use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::write_guard::{WriteError, check};

/// Appends one line per finished case, flushed as soon as no other case is waiting to be written
/// (the caller calls [`JsonlWriter::flush`] then), so an interrupted run keeps every case that
/// finished (`report --results` reads it back) without a write per case when many finish at once.
/// Each line passes the key check first.
pub struct JsonlWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl JsonlWriter {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = OpenOptions::new().create(true).truncate(true).write(true).open(path)?;
        Ok(JsonlWriter { path: path.to_path_buf(), out: BufWriter::new(f) })
    }

    /// Appends a row written as one line of JSON (a [`crate::results::FinishedCase`]'s).
    pub fn append_line(&mut self, row_json: &str) -> Result<(), WriteError> {
        let io = |source| WriteError::Io { path: self.path.clone(), source };
        check(&self.path, row_json.as_bytes())?;
        self.out.write_all(row_json.as_bytes()).map_err(io)?;
        self.out.write_all(b"\n").map_err(io)
    }

    /// Writes out what was appended.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.out.flush().map_err(|source| WriteError::Io { path: self.path.clone(), source })
    }
}
