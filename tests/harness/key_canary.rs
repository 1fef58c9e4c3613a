//! A canary key given through each reference kind (env, file, cmd) is used to call the
//! provider, and never appears in any output, log, fixture or report.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use llm_conform::suite::MockBook;
use llm_conform_core::providers::WireFamily;
use llm_conform_fakes::FakeProvider;

const CANARY: &str = "sk-canary-0000-llm-conform-must-not-leak-7d1e";

fn all_text(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            all_text(&e.path(), out);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()));
        }
    }
}

#[test]
fn canary_key_never_leaks_through_any_reference_kind() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let suites = crate::support::suites();
    let book = Arc::new(MockBook::from_suites(&suites, &["openai".to_string()]));
    let fake = rt.block_on(FakeProvider::start("openai", WireFamily::Openai, book));
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key.txt");
    std::fs::write(&key_file, format!("{CANARY}\n")).unwrap();
    let refs = [
        ("env", "env:LLM_CONFORM_CANARY_KEY".to_string()),
        ("file", format!("file:{}", key_file.display())),
        // What a secrets manager's CLI does: print a value the command line does not contain.
        ("cmd", format!("cmd:tr -d '\\n' < {}", key_file.display())),
    ];
    let mut outputs = String::new();
    for (kind, key_ref) in refs {
        let work = dir.path().join(kind);
        std::fs::create_dir_all(&work).unwrap();
        let config = work.join("llm-conform.toml");
        std::fs::write(&config, format!("[providers.openai]\nbase_url = \"{}/v1\"\nkey = \"{key_ref}\"\n", fake.uri()))
            .unwrap();
        for mode in ["record", "live"] {
            let out = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
                .current_dir(&work)
                .env("LLM_CONFORM_CANARY_KEY", CANARY)
                .args(["--config", config.to_str().unwrap(), "run", "--mode", mode, "--provider", "openai"])
                .args([
                    "--suite",
                    "basics,errors",
                    "--suites-dir",
                    crate::common::root().join("suites").to_str().unwrap(),
                ])
                .args(["--fixtures", "fixtures", "--out", "reports", "--no-snapshots"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            assert_eq!(out.status.code(), Some(0), "{kind} {mode}: {stderr}");
            outputs.push_str(&stderr);
            outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        }
        let results = std::fs::read_to_string(work.join("reports/latest/results.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&results).unwrap();
        let passed = v["cases"].as_array().unwrap().iter().filter(|c| c["status"] == "pass").count();
        assert!(passed > 10, "{kind}: the key reached the fake provider and cases passed");
        let out = Command::new(env!("CARGO_BIN_EXE_llm-conform"))
            .current_dir(&work)
            .env("LLM_CONFORM_CANARY_KEY", CANARY)
            .args(["--config", config.to_str().unwrap(), "providers", "--json"])
            .output()
            .unwrap();
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        outputs.push_str(&String::from_utf8_lossy(&out.stderr));
        all_text(&work.join("fixtures"), &mut outputs);
        all_text(&work.join("reports"), &mut outputs);
    }
    assert!(outputs.len() > 100_000, "outputs were collected");
    if let Some(i) = outputs.find(CANARY) {
        let from = outputs.floor_char_boundary(i.saturating_sub(300));
        let to = outputs.ceil_char_boundary((i + 100).min(outputs.len()));
        panic!("the canary key leaked: …{}…", &outputs[from..to]);
    }
    assert!(outputs.contains("Bearer <redacted>"), "fixtures show the auth style with the value redacted");
    drop(fake);
}
