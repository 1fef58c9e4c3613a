//! `route --explain` as a user reads it: candidate order and why, key state, prices, limits.

use std::process::Command;

#[test]
fn explain_output() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("llm-conform.toml");
    std::fs::write(
        &config,
        r#"
[router]
profile = "batch"
default_tier = "cheap"
[router.tiers.cheap]
candidates = ["anthropic/claude-haiku-4-5", "groq/llama-3.1-8b-instant", "openai/gpt-4.1-nano", "ollama/llama3.2:1b"]
escalate_to = "premium"
[router.tiers.premium]
candidates = ["anthropic/claude-opus-4-1", "openai/gpt-4.1"]
[router.limits.groq]
rpm = 30
burst = 5
concurrent = 4
[router.limits.openai]
tpm = 200000
"#,
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GROQ_API_KEY", "test-key-not-real")
            .args(["--config", config.to_str().unwrap(), "route", "--explain"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    crate::support::snapshot_settings().bind(|| {
        insta::assert_snapshot!("route_explain__explain_cheap_batch", run(&[]));
        insta::assert_snapshot!("route_explain__explain_model", run(&["--model", "mistral/mistral-small-latest"]));
    });

    let out = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
        .args(["--config", config.to_str().unwrap(), "route", "--explain", "--tier", "gold"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown tier `gold`; tiers: cheap, premium"));
}

#[test]
fn bad_policy_names_the_config_key_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[router.tiers.cheap]\ncandidates = [\"nosuch/model\"]\n", "router.tiers.cheap.candidates[0]"),
        (
            "[router]\ndefault_tier = \"a\"\n[router.tiers.a]\ncandidates = [\"openai/x\"]\nescalate_to = \"a\"\n",
            "escalation cycle: a → a",
        ),
        ("[router.tiers.cheap]\ncandidates = []\n", "router.tiers.cheap.candidates"),
        ("[providers.openai]\nkey = \"cmd:exit 7\"\n", "(`providers.openai.key`): key command `exit 7` failed"),
        ("[run]\nkey_timeout_s = 0.5\n[providers.openai]\nkey = \"cmd:sleep 30\"\n", "did not finish within"),
    ];
    for (text, want) in cases {
        let config = dir.path().join("c.toml");
        std::fs::write(&config, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(crate::common::root())
            .args([
                "--config",
                config.to_str().unwrap(),
                "run",
                "--mode",
                "live",
                "--provider",
                "openai",
                "--suite",
                "basics",
            ])
            .args(["--out", dir.path().join("r").to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(want), "{text}: {err}");
    }
}

/// Issue 10: `route --model` without the provider's key said `rate_limited` and exited 1.
#[test]
fn routing_to_a_model_without_its_key_is_a_usage_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("req.json");
    std::fs::write(&req, r#"{"model": "", "messages": [{"role": "user", "content": "hi"}]}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["route", "--model", "mistral/mistral-small-latest", req.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("MISTRAL_API_KEY") && !err.contains("rate_limited"), "{err}");
}
