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

/// A file written in pieces (a report of any size without holding it in memory), with the
/// guarantees of [`write_file`]: each piece is checked for keys before it reaches the disk, with
/// enough of the previous piece carried along that a key split between two is found; the file
/// appears under its name, whole, only at [`GuardedFile::finish`]. Dropped unfinished, or after
/// a refused piece, it leaves nothing behind.
pub struct GuardedFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
    /// Written, not yet checked.
    pending: Vec<u8>,
    /// The end of what was checked and written, checked again with the next piece.
    carry: Vec<u8>,
    leaked: bool,
}

/// Bytes gathered before a check and a write.
const PIECE: usize = 64 * 1024;

impl GuardedFile {
    pub fn create(path: &Path) -> Result<GuardedFile, WriteError> {
        let io = |source| WriteError::Io { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = temp_beside(path);
        let file = std::fs::File::create(&tmp).map_err(io)?;
        Ok(GuardedFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(file),
            pending: Vec::with_capacity(PIECE),
            carry: Vec::new(),
            leaked: false,
        })
    }

    /// Checks and writes what is pending.
    fn drain(&mut self) -> std::io::Result<()> {
        if self.leaked {
            return Err(std::io::Error::other("refused: the text would contain an API key"));
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let redactor = secrets::redactor();
        // A key straddling the previous piece starts within its last `longest_form` bytes;
        // twice that leaves room for a percent-escape cut at the window's start.
        let keep = 2 * redactor.longest_form();
        if keep > 0 {
            self.carry.extend_from_slice(&self.pending);
            if redactor.leaks(&self.carry) {
                self.leaked = true;
                return Err(std::io::Error::other("refused: the text would contain an API key"));
            }
            let cut = self.carry.len().saturating_sub(keep);
            self.carry.drain(..cut);
        }
        let file = self.file.as_mut().ok_or_else(|| std::io::Error::other("file already closed"))?;
        file.write_all(&self.pending)?;
        self.pending.clear();
        Ok(())
    }

    /// Checks and writes the rest and syncs it to disk, without putting the file in place: a
    /// file prepared on one thread then costs [`GuardedFile::finish`] little more than a rename.
    pub fn sync(&mut self) -> Result<(), WriteError> {
        let drained = self.drain();
        if self.leaked {
            return Err(WriteError::WouldLeak { path: self.path.clone() });
        }
        let io = |source| WriteError::Io { path: self.path.clone(), source };
        drained.map_err(io)?;
        self.file.as_ref().ok_or_else(|| io(std::io::Error::other("file already closed")))?.sync_all().map_err(io)
    }

    /// Checks and writes the rest, syncs, and renames the file into place.
    pub fn finish(mut self) -> Result<(), WriteError> {
        let drained = self.drain();
        if self.leaked {
            return Err(WriteError::WouldLeak { path: self.path.clone() });
        }
        let io = |source| WriteError::Io { path: self.path.clone(), source };
        drained.map_err(io)?;
        let file = self.file.take().ok_or_else(|| io(std::io::Error::other("file already closed")))?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(io)
    }

    /// Gives the file up (its rendering failed): `WouldLeak` if a piece was refused, so that
    /// is what gets reported, else nothing.
    pub fn abandon(self) -> Result<(), WriteError> {
        if self.leaked { Err(WriteError::WouldLeak { path: self.path.clone() }) } else { Ok(()) }
    }
}

impl Write for GuardedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.leaked {
            return Err(std::io::Error::other("refused: the text would contain an API key"));
        }
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= PIECE {
            self.drain()?;
        }
        Ok(buf.len())
    }

    /// Pieces are written when full or at [`GuardedFile::finish`]; nothing else to flush.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for GuardedFile {
    fn drop(&mut self) {
        // Unfinished (the temporary file is still there): remove it.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
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

    #[test]
    fn a_file_written_in_pieces_is_whole_or_absent_even_with_a_key_split_between_pieces() {
        let key = "sk-guarded-file-canary-444555666";
        secrets::register(key);
        let dir = tempfile::tempdir().unwrap();
        let listing = || std::fs::read_dir(dir.path()).unwrap().count();

        let clean = dir.path().join("clean.txt");
        let mut f = GuardedFile::create(&clean).unwrap();
        let text: Vec<u8> = (0..3 * PIECE + 17).map(|i| b'a' + (i % 26) as u8).collect();
        for chunk in text.chunks(1000) {
            f.write_all(chunk).unwrap();
        }
        assert!(!clean.exists(), "not in place before finish");
        f.finish().unwrap();
        assert_eq!(std::fs::read(&clean).unwrap(), text);
        assert_eq!(listing(), 1, "no temporary file left");

        // The key's first half ends one piece, its second half (percent-encoded, as in a URL)
        // starts the next.
        let leaky = dir.path().join("leaky.txt");
        let mut f = GuardedFile::create(&leaky).unwrap();
        let (a, b) = key.split_at(10);
        let encoded: String = b.bytes().map(|c| format!("%{c:02X}")).collect();
        f.write_all(&vec![b'x'; PIECE - a.len()]).unwrap();
        f.write_all(a.as_bytes()).unwrap();
        let second = f.write_all(encoded.as_bytes()).and_then(|_| f.write_all(&vec![b'y'; PIECE]));
        assert!(second.is_err(), "the piece completing the key is refused");
        assert!(matches!(f.finish(), Err(WriteError::WouldLeak { .. })));
        assert!(!leaky.exists());
        assert_eq!(listing(), 1, "no temporary file left");

        // A key in the last piece is found at finish, or at sync; an abandoned file leaves
        // nothing.
        let mut f = GuardedFile::create(&leaky).unwrap();
        f.write_all(format!("tail {key}").as_bytes()).unwrap();
        assert!(matches!(f.finish(), Err(WriteError::WouldLeak { .. })));
        let mut f = GuardedFile::create(&leaky).unwrap();
        f.write_all(format!("tail {key}").as_bytes()).unwrap();
        assert!(matches!(f.sync(), Err(WriteError::WouldLeak { .. })));
        assert!(matches!(f.finish(), Err(WriteError::WouldLeak { .. })));
        let mut f = GuardedFile::create(&clean).unwrap();
        f.write_all(b"synced, then in place").unwrap();
        f.sync().unwrap();
        f.finish().unwrap();
        assert_eq!(std::fs::read(&clean).unwrap(), b"synced, then in place");
        let mut f = GuardedFile::create(&leaky).unwrap();
        f.write_all(b"half a report").unwrap();
        f.abandon().unwrap();
        assert!(!leaky.exists());
        assert_eq!(listing(), 1);
    }

    fn base64_of(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    }
}
