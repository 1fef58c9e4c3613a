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

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecretError {
    /// The offending text is never echoed: what was written where a reference belongs is most
    /// often the key itself.
    #[error(
        "failed to read a key reference: expected env:NAME, file:PATH or cmd:COMMAND (a key value itself is never accepted; the text given is not shown)"
    )]
    BadReference,
    #[error("failed to read key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("key command `{command}` failed: {reason}")]
    Command { command: String, reason: String },
    #[error("key command `{command}` did not finish within {seconds}s")]
    CommandTimeout { command: String, seconds: f64 },
}

impl KeyRef {
    pub fn parse(s: &str) -> Result<KeyRef, SecretError> {
        let bad = || SecretError::BadReference;
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
                let file_error = |reason: String| SecretError::File { path: path.display().to_string(), reason };
                // Bounded like a command's output: `file:/dev/zero` must not fill memory.
                let mut text = String::new();
                std::fs::File::open(path)
                    .and_then(|f| f.take(MAX_COMMAND_OUTPUT + 1).read_to_string(&mut text))
                    .map_err(|e| file_error(e.to_string()))?;
                if text.len() as u64 > MAX_COMMAND_OUTPUT {
                    return Err(file_error(format!("holds more than {MAX_COMMAND_OUTPUT} bytes; a key is short")));
                }
                let v = text.trim();
                if v.is_empty() {
                    return Err(file_error("file is empty".into()));
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

/// Most a key command may print or a key file hold: a key is short, and a runaway command or
/// an endless file must not fill memory.
const MAX_COMMAND_OUTPUT: u64 = 64 * 1024;

/// Runs `sh -c command` and takes its trimmed stdout as the key. Stderr is discarded: a secrets
/// CLI may echo what it fetched there.
///
/// The command runs in a process group of its own, and the whole group is killed at the
/// timeout: a command that leaves a child holding stdout open (`echo k; sleep 20 &`) must not
/// hold the run past `key_timeout_s`.
fn run_command(command: &str, timeout: Duration) -> Result<Secret, SecretError> {
    let fail = |reason: String| SecretError::Command { command: command.to_string(), reason };
    let timed_out = || SecretError::CommandTimeout { command: command.to_string(), seconds: timeout.as_secs_f64() };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| fail(format!("failed to start: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| fail("no stdout".into()))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = stdout.take(MAX_COMMAND_OUTPUT).read_to_string(&mut buf);
        let _ = tx.send(buf);
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_group(&mut child);
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                kill_group(&mut child);
                return Err(fail(e.to_string()));
            }
        }
    };
    // The shell is done, but a child it left may still hold stdout open.
    let out = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(out) => out,
        Err(_) => {
            kill_group(&mut child);
            return Err(timed_out());
        }
    };
    if !status.success() {
        return Err(fail(format!("exited with {status}")));
    }
    let v = out.trim();
    if v.is_empty() {
        return Err(fail("printed nothing".into()));
    }
    Ok(Secret::new(v))
}

/// Kills the command's whole process group, then reaps the shell.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the command was started
        // in (`process_group(0)` made the shell its leader); it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
