//! The official OpenAI Python SDK drives the gateway (issue 13, item 2): whole and streamed
//! answers from every wire family, tools, JSON mode, a 529 and a 429 that fall back, errors as
//! the SDK's exception classes, and every response and chunk validated by the SDK's own types.
//!
//! The SDK lives in a virtualenv under `target/` (created on first run from `requirements.txt`
//! beside this file), or in the interpreter `LLM_CONFORM_PYTHON` names. If neither works the test fails:
//! a conformance claim about a client that never ran is not one.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::support::*;
use llm_conform_core::api::ErrorKind;
use llm_conform_fakes::{Fault, MockAnswer, MockError, MockToolCall};

const TEXT: &str = "Hello from behind the gateway.";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn has_sdk(python: &Path) -> bool {
    Command::new(python).args(["-c", "import openai"]).output().is_ok_and(|o| o.status.success())
}

/// An interpreter with the `openai` package: `LLM_CONFORM_PYTHON`, or a virtualenv under the
/// target directory, created if needed.
fn python_with_sdk() -> PathBuf {
    if let Ok(p) = std::env::var("LLM_CONFORM_PYTHON") {
        let p = PathBuf::from(p);
        assert!(has_sdk(&p), "LLM_CONFORM_PYTHON={} cannot `import openai`", p.display());
        return p;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let venv = target.join("gateway-pyenv");
    let python = venv.join("bin/python");
    if has_sdk(&python) {
        return python;
    }
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gateway/requirements.txt");
    let steps: [(&str, Vec<&str>); 2] = [
        ("python3", vec!["-m", "venv", venv.to_str().unwrap()]),
        (python.to_str().unwrap(), vec!["-m", "pip", "install", "--quiet", "-r", requirements.to_str().unwrap()]),
    ];
    for (program, args) in steps {
        let out = Command::new(program).args(&args).output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "failed to set up the OpenAI SDK virtualenv at {} ({program} {}): {}\nset LLM_CONFORM_PYTHON to an interpreter that has `openai` installed",
                venv.display(),
                args.join(" "),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => panic!(
                "failed to run {program} to set up the OpenAI SDK virtualenv at {}: {e}\nset LLM_CONFORM_PYTHON to an interpreter that has `openai` installed",
                venv.display()
            ),
        }
    }
    assert!(has_sdk(&python), "the virtualenv at {} still cannot `import openai`", venv.display());
    python
}

fn error(kind: ErrorKind) -> MockAnswer {
    MockAnswer {
        error: Some(MockError { kind, status: None, message: None, retry_after_s: None }),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_official_openai_python_sdk_drives_the_gateway() {
    let python = python_with_sdk();
    let tools = MockAnswer {
        tool_calls: vec![MockToolCall {
            name: "get_weather".into(),
            arguments: Some(json!({"city": "Paris"})),
            arguments_raw: None,
        }],
        ..Default::default()
    };
    let json_answer = text(r#"{"answer": 42}"#);
    let cut = MockAnswer {
        text: Some("an answer that will be cut off half-way".into()),
        fault: Some(Fault::CutStream),
        ..Default::default()
    };
    let common = [("text", text(TEXT)), ("tools", tools), ("json", json_answer)];
    let openai = fake(
        "openai",
        &[&common[..], &[("fallback", text(TEXT)), ("context", error(ErrorKind::ContextLengthExceeded))]].concat(),
    )
    .await;
    let anthropic =
        fake("anthropic", &[&common[..], &[("fallback", error(ErrorKind::Overloaded)), ("cut", cut)]].concat()).await;
    let gemini = fake("gemini", &common).await;
    let cohere = fake("cohere", &common).await;
    let mistral = fake("mistral", &[("fallback", error(ErrorKind::RateLimited))]).await;
    let policy = r#"
        [retry]
        base_ms = 1
        max_ms = 2
        [cooldown]
        failures = 0
        [tiers.cheap]
        candidates = ["openai/gpt-4.1-nano"]
        [tiers.t529]
        candidates = ["anthropic/claude-haiku-4-5", "openai/gpt-4.1-nano"]
        [tiers.t429]
        candidates = ["mistral/mistral-small-latest", "openai/gpt-4.1-nano"]
    "#;
    let gw = Spec::new()
        .provider("openai", &openai.uri())
        .provider("anthropic", &anthropic.uri())
        .provider("gemini", &gemini.uri())
        .provider("cohere", &cohere.uri())
        .provider("mistral", &mistral.uri())
        .policy(policy)
        .start()
        .await;
    let models = [
        "openai/gpt-4.1-nano",
        "anthropic/claude-haiku-4-5",
        "gemini/gemini-2.5-flash-lite",
        "cohere/command-r7b-12-2024",
    ];
    let expect = json!({
        "text": TEXT,
        "models": models,
        "tiers": {"t529": "openai", "t429": "openai"},
        "context_model": "openai/gpt-4.1-nano",
        "cut_model": "anthropic/claude-haiku-4-5",
        "ids": ["cheap", "t529", "t429", "anthropic/claude-haiku-4-5"],
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gateway/sdk_client.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .env("GATEWAY_URL", &gw.url)
        .env("GATEWAY_KEY", CLIENT_KEY)
        .env("GATEWAY_EXPECT", expect.to_string())
        .output()
        .await
        .expect("failed to run the SDK script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the OpenAI SDK script failed:\n{stderr}\n{stdout}\ngateway log:\n{}", gw.log_text());
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["passed"].as_array().unwrap().len(), 6, "{report}");
}
