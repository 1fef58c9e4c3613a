//! `llm-conform serve` as a process: it starts from a config file, refuses to listen openly off
//! loopback, answers, and drains and exits 0 on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn serve(dir: &std::path::Path, config: &str, listen: &str) -> Command {
    std::fs::write(dir.join("c.toml"), config).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_llm-conform"));
    c.current_dir(dir).args(["--config", "c.toml", "serve", "--listen", listen]);
    c
}

#[test]
fn an_open_gateway_off_loopback_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve(dir.path(), "[serve]\naccess_log = false\n", "0.0.0.0:0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen") && err.contains("[serve] keys"), "{err}");
}

#[test]
fn a_bad_serve_setting_names_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve(dir.path(), "[serve]\ndeadline_s = -1\n", "127.0.0.1:0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("c.toml") && err.contains("serve.deadline_s"), "{err}");
    let out = serve(dir.path(), "[serve]\nworkers = 0\n", "127.0.0.1:0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("serve.workers"));
    let out = serve(dir.path(), "", "127.0.0.1:0").args(["--workers", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workers"));
}

#[test]
fn serve_answers_then_drains_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // One worker thread: `[serve] workers` is honoured and a single thread serves.
    let config = "[serve]\nkeys = [\"env:SERVE_CLI_TEST_KEY\"]\ngrace_s = 5\nworkers = 1\n";
    let mut child = serve(dir.path(), config, "127.0.0.1:0")
        .env("SERVE_CLI_TEST_KEY", "serve-cli-test-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // A failed assertion must not leave the server running.
    let mut reaper = Reaper(Some(pid));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line:?}")).to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        assert_eq!(c.get(format!("{url}/health")).send().await.unwrap().status(), 200);
        assert_eq!(c.get(format!("{url}/v1/models")).send().await.unwrap().status(), 401);
        let models = c.get(format!("{url}/v1/models")).bearer_auth("serve-cli-test-key").send().await.unwrap();
        assert_eq!(models.status(), 200);
    });
    #[cfg(target_os = "linux")]
    {
        let workers = std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .flatten()
            .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with("serve-worker")))
            .count();
        assert_eq!(workers, 1, "[serve] workers = 1 gives one worker thread");
    }
    assert!(Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            // Reaped: its id may be reused from now on, so it must not be signalled again.
            reaper.0 = None;
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("drained and stopped"), "{err}");
}

/// Kills the server by its id if the test ends before it was reaped.
struct Reaper(Option<u32>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
        }
    }
}
