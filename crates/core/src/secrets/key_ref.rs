use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Secret;

/// Where a key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyRef {
    Env(String),
    File(PathBuf),
    Cmd(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("invalid key reference {0:?}: expected env:NAME, file:PATH or cmd:COMMAND")]
    BadReference(String),
    #[error("failed to read key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("key command `{command}` failed: {reason}")]
    Command { command: String, reason: String },
    #[error("key command `{command}` did not finish within {seconds}s")]
    CommandTimeout { command: String, seconds: u64 },
}

impl KeyRef {
    pub fn parse(s: &str) -> Result<KeyRef, SecretError> {
        let bad = || SecretError::BadReference(s.to_string());
        let (scheme, rest) = s.split_once(':').ok_or_else(bad)?;
        let rest = rest.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        match scheme {
            "env" => Ok(KeyRef::Env(rest.to_string())),
            "file" => Ok(KeyRef::File(PathBuf::from(rest))),
            "cmd" => Ok(KeyRef::Cmd(rest.to_string())),
            _ => Err(bad()),
        }
    }

    /// A description safe to print: never the value.
    pub fn describe(&self) -> String {
        match self {
            KeyRef::Env(n) => format!("env:{n}"),
            KeyRef::File(p) => format!("file:{}", p.display()),
            KeyRef::Cmd(c) => format!("cmd:{c}"),
        }
    }

    /// Resolves the key; `Ok(None)` when an environment variable is unset or empty.
    pub fn resolve(&self, timeout: Duration) -> Result<Option<Secret>, SecretError> {
        match self {
            KeyRef::Env(name) => Ok(std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(Secret::new)),
            KeyRef::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| SecretError::File { path: path.display().to_string(), reason: e.to_string() })?;
                let v = text.trim();
                if v.is_empty() {
                    return Err(SecretError::File { path: path.display().to_string(), reason: "file is empty".into() });
                }
                Ok(Some(Secret::new(v)))
            }
            KeyRef::Cmd(command) => run_command(command, timeout).map(Some),
        }
    }

    /// Whether the key is available without running anything (for `providers`): env and file
    /// are checked, a command is reported as unknown.
    pub fn is_set_cheaply(&self) -> Option<bool> {
        match self {
            KeyRef::Env(name) => Some(std::env::var(name).is_ok_and(|v| !v.trim().is_empty())),
            KeyRef::File(path) => Some(path.is_file()),
            KeyRef::Cmd(_) => None,
        }
    }
}

/// Runs `sh -c command` and takes its trimmed stdout as the key. Stderr is discarded: a secrets
/// CLI may echo what it fetched there.
fn run_command(command: &str, timeout: Duration) -> Result<Secret, SecretError> {
    let fail = |reason: String| SecretError::Command { command: command.to_string(), reason };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("failed to start: {e}")))?;
    let mut stdout = child.stdout.take().ok_or_else(|| fail("no stdout".into()))?;
    let reader = std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = stdout.read_to_string(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SecretError::CommandTimeout { command: command.to_string(), seconds: timeout.as_secs() });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(fail(e.to_string())),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(fail(format!("exited with {status}")));
    }
    let v = out.trim();
    if v.is_empty() {
        return Err(fail("printed nothing".into()));
    }
    Ok(Secret::new(v))
}
