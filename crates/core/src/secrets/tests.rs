use std::time::Duration;

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
    // A child left holding stdout does not hold the caller past the timeout.
    let start = std::time::Instant::now();
    let lingering = KeyRef::Cmd(format!("echo {CANARY}; sleep 20 &"));
    let err = lingering.resolve(Duration::from_millis(300)).unwrap_err();
    assert!(matches!(err, SecretError::CommandTimeout { .. }), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5), "waited {:?}", start.elapsed());
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

/// `file:/dev/zero` (or any endless file) is refused after a bounded read, not read forever.
#[test]
fn endless_key_file_is_refused() {
    let err = KeyRef::File("/dev/zero".into()).resolve(Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("more than"), "{err}");
}

#[test]
fn redactor_scrubs_and_detects() {
    let r = Redactor::new([CANARY.to_string()]);
    let text = format!("Authorization: Bearer {CANARY}");
    assert_eq!(r.redact(&text), "Authorization: Bearer <redacted>");
    assert!(r.leaks(text.as_bytes()));
    assert!(!r.leaks(r.redact(&text).as_bytes()));
}
