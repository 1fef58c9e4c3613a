//! API keys: where they come from and how they are kept out of everything written.
//!
//! A key is named by a reference, never written into config: `env:NAME` (the default is
//! `env:<PROVIDER>_API_KEY`), `file:PATH`, or `cmd:COMMAND` — any secrets manager's CLI (Vault,
//! AWS Secrets Manager, 1Password) without linking its SDK. Values live in [`Secret`], which
//! never prints, and [`Redactor`] scrubs them from anything the harness writes.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A credential. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that needs it: the outgoing request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

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

/// Resolves each reference once per run and remembers the values for redaction.
#[derive(Default)]
pub struct KeyStore {
    cache: Mutex<HashMap<KeyRef, Option<Secret>>>,
    timeout: Option<Duration>,
}

impl KeyStore {
    pub fn new(cmd_timeout: Duration) -> Self {
        KeyStore { cache: Mutex::new(HashMap::new()), timeout: Some(cmd_timeout) }
    }

    pub fn get(&self, r: &KeyRef) -> Result<Option<Secret>, SecretError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = cache.get(r) {
            return Ok(v.clone());
        }
        let v = r.resolve(self.timeout.unwrap_or(Duration::from_secs(10)))?;
        cache.insert(r.clone(), v.clone());
        Ok(v)
    }

    /// Pre-sets the value of a reference (fake providers, tests); it is redacted like any other.
    pub fn insert(&self, r: KeyRef, secret: Secret) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(r, Some(secret));
    }

    /// A redactor for every key resolved so far.
    pub fn redactor(&self) -> Redactor {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        Redactor::new(cache.values().flatten().map(|s| s.expose().to_string()))
    }
}

/// Replaces known secret values in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values.into_iter().filter(|v| v.len() >= 4).collect();
        // Longest first, so a key that contains another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Redactor { values }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), crate::providers::REDACTED);
            }
        }
        out
    }

    /// Whether `text` contains any secret value: the final check before anything is written.
    pub fn leaks(&self, text: &[u8]) -> bool {
        self.values.iter().any(|v| memchr::memmem::find(text, v.as_bytes()).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "sk-test-canary-0123456789abcdef";

    #[test]
    fn secret_never_prints() {
        let s = Secret::new(CANARY);
        assert!(!format!("{s:?} {s}").contains(CANARY));
    }

    #[test]
    fn references_parse_and_reject() {
        assert_eq!(KeyRef::parse("env:FOO").unwrap(), KeyRef::Env("FOO".into()));
        assert_eq!(KeyRef::parse("cmd:echo hi").unwrap(), KeyRef::Cmd("echo hi".into()));
        assert!(KeyRef::parse("FOO").is_err());
        assert!(KeyRef::parse("vault:x").is_err());
        assert!(KeyRef::parse("env:").is_err());
    }

    #[test]
    fn cmd_reference_runs_once_and_times_out() {
        let r = KeyRef::Cmd(format!("echo {CANARY}"));
        assert_eq!(r.resolve(Duration::from_secs(5)).unwrap().unwrap().expose(), CANARY);
        let slow = KeyRef::Cmd("sleep 5".into());
        let err = slow.resolve(Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, SecretError::CommandTimeout { .. }), "{err}");
        let failing = KeyRef::Cmd("exit 3".into());
        assert!(failing.resolve(Duration::from_secs(5)).unwrap_err().to_string().contains("failed"));
    }

    #[test]
    fn file_reference_trims() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, format!("{CANARY}\n")).unwrap();
        assert_eq!(KeyRef::File(p).resolve(Duration::from_secs(1)).unwrap().unwrap().expose(), CANARY);
    }

    #[test]
    fn redactor_scrubs_and_detects() {
        let r = Redactor::new([CANARY.to_string()]);
        let text = format!("Authorization: Bearer {CANARY}");
        assert_eq!(r.redact(&text), "Authorization: Bearer <redacted>");
        assert!(r.leaks(text.as_bytes()));
        assert!(!r.leaks(r.redact(&text).as_bytes()));
    }
}
