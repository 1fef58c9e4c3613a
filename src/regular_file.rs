//! Reading files the user points at (suites, config, fixtures, results): only regular files, and
//! only up to a size, so a FIFO named `x.toml` or a multi-gigabyte file is an error, not a hang.

use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("failed to read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a regular file (a directory, FIFO, socket or device); refusing to read it")]
    NotRegular { path: PathBuf },
    #[error("{path} is larger than {limit} bytes; refusing to read it")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
}

impl ReadError {
    /// Whether the file simply is not there (a missing optional file is not an error).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// The size of `path` after checking it is a regular file (symlinks followed) of at most `limit`
/// bytes.
fn checked_len(path: &Path, limit: u64) -> Result<u64, ReadError> {
    let meta = std::fs::metadata(path).map_err(|source| ReadError::Io { path: path.to_path_buf(), source })?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular { path: path.to_path_buf() });
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { path: path.to_path_buf(), limit });
    }
    Ok(meta.len())
}

/// `path` opened for reading piece by piece, with the checks of [`read`]: for a file read once
/// from start to end whose whole text need not be held (a baseline of tens of MiB). A file that
/// grows past `limit` after the check reads as cut off at `limit`.
pub fn open(path: &Path, limit: u64) -> Result<std::io::Take<std::fs::File>, ReadError> {
    checked_len(path, limit)?;
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io { path: path.to_path_buf(), source })?;
    Ok(file.take(limit))
}

/// The bytes of `path`, which must be a regular file (symlinks followed) of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    let mut bytes = Vec::with_capacity(checked_len(path, limit)? as usize);
    // The file may grow between the check and the read: read no more than the limit either way.
    std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { path: path.to_path_buf(), limit });
    }
    Ok(bytes)
}

/// As [`read`], as UTF-8 text.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read(path, limit)?).map_err(|_| ReadError::NotText { path: path.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("suite.toml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert!(matches!(read(&fifo, 10), Err(ReadError::NotRegular { .. })));
        assert!(matches!(read(dir.path(), 10), Err(ReadError::NotRegular { .. })));
    }

    #[test]
    fn sizes_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        assert!(matches!(read(&p, 99), Err(ReadError::TooLarge { .. })));
        assert_eq!(read(&p, 100).unwrap().len(), 100);
        assert!(read(&dir.path().join("missing"), 1).unwrap_err().is_not_found());
    }
}
