//! Every genuine provider payload through the `decode` command, as a user would run it: the
//! printed OpenAI object carries the right text, tool calls, finish reason, usage and error kind,
//! and validates against OpenAI's published schema.

use std::process::Command;

use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_llm-conform"))
}

/// Runs `decode`, returning the exit code and the parsed JSON (or JSON lines) on stdout.
fn decode(provider: &str, sample: &str, extra: &[&str]) -> (i32, String) {
    let path = crate::common::root().join("tests/provider-samples").join(sample);
    let framed;
    let input = if extra.contains(&"--stream") {
        let named = matches!(provider, "anthropic" | "cohere");
        let done = !matches!(provider, "anthropic" | "cohere" | "gemini");
        framed = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(framed.path(), crate::common::sse_from_chunks(sample, named, done)).unwrap();
        framed.path().to_path_buf()
    } else {
        path
    };
    let out = bin().args(["decode", "--provider", provider]).args(extra).arg(&input).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

fn json_out(provider: &str, sample: &str, extra: &[&str]) -> Value {
    let (code, out) = decode(provider, sample, extra);
    assert_eq!(code, 0, "decode {provider} {sample} {extra:?} failed: {out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

struct Facts {
    provider: &'static str,
    sample: &'static str,
    text_prefix: Option<&'static str>,
    calls: &'static [(&'static str, &'static str)],
    finish: &'static str,
    usage: Option<(u64, u64)>,
}

const FACTS: &[Facts] = &[
    Facts {
        provider: "openai",
        sample: "openai/openai-text.json",
        text_prefix: Some("**Holiday Name:** Galaxy Day"),
        calls: &[],
        finish: "stop",
        usage: Some((16, 363)),
    },
    Facts {
        provider: "openai",
        sample: "openai/openai-text.chunks.txt",
        text_prefix: Some("**Holiday Name:** Harmony Day"),
        calls: &[],
        finish: "stop",
        usage: Some((16, 300)),
    },
    Facts {
        provider: "deepseek",
        sample: "deepseek/deepseek-text.json",
        text_prefix: Some("## **Holiday Name: Gratitude"),
        calls: &[],
        finish: "length",
        usage: None,
    },
    Facts {
        provider: "deepseek",
        sample: "deepseek/deepseek-tool-call.json",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: Some((339, 92)),
    },
    Facts {
        provider: "deepseek",
        sample: "deepseek/deepseek-tool-call.chunks.txt",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: None,
    },
    Facts {
        provider: "deepseek",
        sample: "deepseek/deepseek-text.chunks.txt",
        text_prefix: Some("## **H"),
        calls: &[],
        finish: "length",
        usage: None,
    },
    Facts {
        provider: "mistral",
        sample: "mistral/mistral-text.json",
        text_prefix: Some("**Holiday Name: \"World Kindness"),
        calls: &[],
        finish: "stop",
        usage: Some((13, 434)),
    },
    Facts {
        provider: "mistral",
        sample: "mistral/mistral-reasoning.json",
        text_prefix: Some("2 + 2 = 4"),
        calls: &[],
        finish: "stop",
        usage: Some((10, 46)),
    },
    Facts {
        provider: "mistral",
        sample: "mistral/mistral-reasoning.chunks.txt",
        text_prefix: Some("2 + 2 = 4"),
        calls: &[],
        finish: "stop",
        usage: Some((10, 46)),
    },
    Facts {
        provider: "mistral",
        sample: "mistral/mistral-text.chunks.txt",
        text_prefix: Some("Hello, world! This is a test response."),
        calls: &[],
        finish: "stop",
        usage: Some((13, 8)),
    },
    Facts {
        provider: "mistral",
        sample: "mistral/mistral-tool-call.json",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: Some((124, 22)),
    },
    Facts {
        provider: "mistral",
        sample: "mistral/mistral-tool-call.chunks.txt",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: Some((124, 22)),
    },
    Facts {
        provider: "groq",
        sample: "groq/groq-tool-call.json",
        text_prefix: None,
        calls: &[("weather", "{}")],
        finish: "tool_calls",
        usage: Some((218, 15)),
    },
    Facts {
        provider: "groq",
        sample: "groq/groq-tool-call.chunks.txt",
        text_prefix: None,
        calls: &[("weather", "{}")],
        finish: "tool_calls",
        usage: Some((210, 15)),
    },
    Facts {
        provider: "qwen",
        sample: "alibaba/alibaba-text.json",
        text_prefix: Some("## The Festival of Forgotten Things"),
        calls: &[],
        finish: "stop",
        usage: None,
    },
    Facts {
        provider: "qwen",
        sample: "alibaba/alibaba-text.chunks.txt",
        text_prefix: Some("## The Festival of Shared Stories"),
        calls: &[],
        finish: "stop",
        usage: None,
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-text.json",
        text_prefix: Some("Hello! I'm doing well, thanks for asking."),
        calls: &[],
        finish: "stop",
        usage: Some((12, 29)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-text.chunks.txt",
        text_prefix: Some("Hello! I'm doing well, thank you for asking."),
        calls: &[],
        finish: "stop",
        usage: Some((12, 30)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-tool-no-args.json",
        text_prefix: Some("<thinking>"),
        calls: &[("updateIssueList", "{}")],
        finish: "tool_calls",
        usage: Some((602, 93)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-tool-no-args.chunks.txt",
        text_prefix: Some("I'll update the issue list for you."),
        calls: &[("updateIssueList", "{}")],
        finish: "tool_calls",
        usage: Some((565, 48)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-json-tool.1.json",
        text_prefix: None,
        calls: &[("json", "")],
        finish: "tool_calls",
        usage: Some((1151, 87)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-json-tool.1.chunks.txt",
        text_prefix: None,
        calls: &[("json", "")],
        finish: "tool_calls",
        usage: Some((849, 47)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-mcp.1.json",
        text_prefix: Some("The echo tool responded back with"),
        calls: &[],
        finish: "stop",
        usage: Some((1250, 88)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-mcp.1.chunks.txt",
        text_prefix: Some("The echo tool responded back with"),
        calls: &[],
        finish: "stop",
        usage: Some((1250, 83)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-json-output-format.1.json",
        text_prefix: Some("{\"recipe\":{\"name\":\"Classic Lasagna\""),
        calls: &[],
        finish: "stop",
        usage: Some((371, 629)),
    },
    Facts {
        provider: "anthropic",
        sample: "anthropic/anthropic-refusal.json",
        text_prefix: None,
        calls: &[],
        finish: "content_filter",
        usage: Some((18, 5)),
    },
    Facts {
        provider: "gemini",
        sample: "google/google-text.json",
        text_prefix: Some("There are **3** r's in strawberry."),
        calls: &[],
        finish: "stop",
        usage: None,
    },
    Facts {
        provider: "gemini",
        sample: "google/google-text.chunks.txt",
        text_prefix: Some("There are **3** \"r\"s in strawberry."),
        calls: &[],
        finish: "stop",
        usage: None,
    },
    Facts {
        provider: "gemini",
        sample: "google/google-tool-call.json",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: None,
    },
    Facts {
        provider: "gemini",
        sample: "google/google-tool-call.chunks.txt",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: None,
    },
    Facts {
        provider: "gemini",
        sample: "google/google-stream-no-args-tool-call.chunks.txt",
        text_prefix: None,
        calls: &[
            ("read_theme", "{}"),
            ("read_screen", r#"{"id":"A"}"#),
            ("read_screen", r#"{"id":"B"}"#),
            ("read_screen", r#"{"id":"C"}"#),
        ],
        finish: "tool_calls",
        usage: Some((249, 241)),
    },
    Facts {
        provider: "cohere",
        sample: "cohere/cohere-text.json",
        text_prefix: Some("The capital of France is Paris."),
        calls: &[],
        finish: "stop",
        usage: Some((507, 10)),
    },
    Facts {
        provider: "cohere",
        sample: "cohere/cohere-text.chunks.txt",
        text_prefix: Some("The capital of France is Paris."),
        calls: &[],
        finish: "stop",
        usage: Some((507, 10)),
    },
    Facts {
        provider: "cohere",
        sample: "cohere/cohere-tool-call.json",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#), ("cityAttractions", r#"{"city":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: Some((1549, 103)),
    },
    Facts {
        provider: "cohere",
        sample: "cohere/cohere-tool-call.chunks.txt",
        text_prefix: None,
        calls: &[("weather", r#"{"location":"San Francisco"}"#), ("cityAttractions", r#"{"city":"San Francisco"}"#)],
        finish: "tool_calls",
        usage: Some((1549, 95)),
    },
];

#[test]
fn every_success_sample_decodes_to_its_facts() {
    let validator = response_validator();
    for f in FACTS {
        let stream = f.sample.ends_with(".chunks.txt");
        let args: &[&str] = if stream { &["--stream"] } else { &[] };
        let v = json_out(f.provider, f.sample, args);
        let ctx = format!("{} {}", f.provider, f.sample);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{ctx}: not a valid chat.completion: {errors:?}");
        let msg = &v["choices"][0]["message"];
        match f.text_prefix {
            Some(p) => {
                let text = msg["content"].as_str().unwrap_or_else(|| panic!("{ctx}: no content"));
                assert!(text.starts_with(p), "{ctx}: content {text:?} does not start with {p:?}");
            }
            None => assert!(msg["content"].is_null(), "{ctx}: unexpected content {}", msg["content"]),
        }
        let calls = msg["tool_calls"].as_array().cloned().unwrap_or_default();
        assert_eq!(calls.len(), f.calls.len(), "{ctx}: tool calls {calls:?}");
        for (call, (name, args)) in calls.iter().zip(f.calls) {
            assert_eq!(call["function"]["name"], *name, "{ctx}");
            assert!(!call["id"].as_str().unwrap().is_empty(), "{ctx}: empty tool-call id");
            let got: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
            assert!(got.is_object(), "{ctx}: arguments are not an object");
            if !args.is_empty() {
                assert_eq!(got, serde_json::from_str::<Value>(args).unwrap(), "{ctx}");
            }
        }
        assert_eq!(v["choices"][0]["finish_reason"], f.finish, "{ctx}");
        if let Some((p, c)) = f.usage {
            assert_eq!(
                (v["usage"]["prompt_tokens"].as_u64(), v["usage"]["completion_tokens"].as_u64()),
                (Some(p), Some(c)),
                "{ctx}"
            );
        }
    }
}

#[test]
fn every_sample_file_is_covered() {
    let root = crate::common::root().join("tests/provider-samples");
    for dir in std::fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let rel = format!("{}/{}", dir.file_name().to_string_lossy(), f.file_name().to_string_lossy());
            let known = FACTS.iter().any(|x| x.sample == rel) || rel.contains("error") || rel.contains("429");
            assert!(known, "sample {rel} has no facts asserted");
        }
    }
}

#[test]
fn error_samples_print_the_error_object_and_exit_1() {
    let (code, out) = decode("gemini", "google/google-429-retry-info.json", &["--status", "429"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!({"error": {"kind": "rate_limited", "message": "You exceeded your current quota, please check your plan.", "status": 429, "retry_after_s": 34.4, "provider_code": "RESOURCE_EXHAUSTED"}})
    );

    let (code, out) = decode("openai", "openai/reasoning-model-legacy-parameter-error.json", &["--status", "400"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "unsupported");
    assert_eq!(v["error"]["provider_code"], "unsupported_parameter");
    assert_eq!(v["error"]["status"], 400);

    // Without --status the error body is still recognised for what it is.
    let (code, out) = decode("gemini", "google/google-429-retry-info.json", &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["error"]["kind"], "rate_limited");
}

#[test]
fn chunks_flag_prints_canonical_chunks_as_json_lines() {
    let (code, out) = decode("anthropic", "anthropic/anthropic-tool-no-args.chunks.txt", &["--stream", "--chunks"]);
    assert_eq!(code, 0);
    let chunks: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    let tool_deltas = chunks
        .iter()
        .flat_map(|c| c["choices"].as_array().cloned().unwrap_or_default())
        .filter(|c| !c["delta"]["tool_calls"].is_null())
        .count();
    assert!(tool_deltas > 0, "no tool-call deltas in {out}");
    assert!(chunks.last().unwrap()["usage"]["completion_tokens"] == 48);
}

#[test]
fn json_mode_request_turns_the_json_tool_into_content() {
    let req = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(req.path(), json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "weather as JSON"}], "response_format": {"type": "json_object"}}).to_string()).unwrap();
    let v = json_out("anthropic", "anthropic/anthropic-json-tool.1.json", &["--request", req.path().to_str().unwrap()]);
    let content: Value = serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["elements"].as_array().unwrap().len(), 4);
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
}

#[test]
fn bad_input_gets_clear_errors() {
    let out = bin().args(["decode", "--provider", "opneai", "/dev/null"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown provider `opneai`") && err.contains("openai"), "{err}");

    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), r#"{"choices": "nope"}"#).unwrap();
    let out = bin().args(["decode", "--provider", "openai"]).arg(f.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "malformed_response");
    assert!(v["error"]["message"].as_str().unwrap().contains("choices"), "{v}");
}

#[test]
fn encode_prints_native_request_with_key_redacted() {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), json!({"model": "claude-haiku-4-5", "messages": [{"role": "system", "content": "be terse"}, {"role": "user", "content": "hi"}]}).to_string()).unwrap();
    let out = bin().args(["encode", "--provider", "anthropic"]).arg(f.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["url"], "https://api.anthropic.com/v1/messages");
    assert_eq!(v["headers"]["x-api-key"], "<redacted>");
    assert_eq!(v["headers"]["anthropic-version"], "2023-06-01");
    assert_eq!(v["body"]["system"][0]["text"], "be terse");
    assert!(v["body"]["max_tokens"].as_u64().unwrap() > 0);

    std::fs::write(f.path(), r#"{"model": "x", "messages": [{"role": "wizard", "content": "hi"}]}"#).unwrap();
    let out = bin().args(["encode", "--provider", "openai"]).arg(f.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("messages[0].role") && err.contains("wizard"), "{err}");
}

/// OpenAI's published schema for `chat.completion`, from the spec file, with OpenAPI's
/// `nullable` turned into JSON Schema.
fn response_validator() -> jsonschema::Validator {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::root().join("tests/specs/openai-chat-completions.schemas.json"))
            .unwrap(),
    )
    .unwrap();
    let mut schemas = spec["components"]["schemas"].clone();
    fix_nullable(&mut schemas);
    let schema =
        json!({"$ref": "#/components/schemas/CreateChatCompletionResponse", "components": {"schemas": schemas}});
    jsonschema::validator_for(&schema).unwrap()
}

fn fix_nullable(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.remove("nullable") == Some(Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(o));
                o.insert("anyOf".into(), json!([inner, {"type": "null"}]));
            }
            for x in o.values_mut() {
                fix_nullable(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(fix_nullable),
        _ => {}
    }
}
