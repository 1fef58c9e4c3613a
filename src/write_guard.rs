//! Every file the harness writes passes through here: refused if it would hold a known key in any
//! form, and written to a temporary file then renamed into place, so that no reader (a person, CI,
//! the next run) ever sees half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use llm_conform_core::secrets;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("refusing to write {path}: it would contain an API key (in some encoding)")]
    WouldLeak { path: PathBuf },
    #[error("failed to write {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Fails if `bytes` hold any known key in any form.
pub fn check(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if secrets::leaks(bytes) { Err(WriteError::WouldLeak { path: path.to_path_buf() }) } else { Ok(()) }
}

/// Writes `bytes` to `path` whole or not at all: checked for keys, written beside it, synced,
/// then renamed over it. Parent directories are created.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    check(path, bytes)?;
    let io = |source| WriteError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = temp_beside(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// A hidden name in the same directory (a rename is atomic only within one file system).
pub fn temp_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_key_in_any_form_and_writes_whole_files() {
        let key = "sk-write-guard-canary-000111222";
        secrets::register(key);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.txt");
        let b64 = base64_of(&format!("x:{key}"));
        for bad in [format!("key {key}"), format!("Basic {b64}")] {
            let e = write_file(&p, bad.as_bytes()).unwrap_err();
            assert!(matches!(e, WriteError::WouldLeak { .. }), "{e}");
            assert!(!p.exists());
        }
        write_file(&p, b"clean").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"clean");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }

    fn base64_of(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    }
}
