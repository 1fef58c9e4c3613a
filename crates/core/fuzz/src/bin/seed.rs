//! Writes the seed corpus of every fuzz target from the genuine provider samples in
//! `tests/provider-samples/` (bodies as they are; `*.chunks.txt` framed as the family sends them
//! on the wire). Run from `crates/core/fuzz`: `cargo run --bin seed`.

use std::path::{Path, PathBuf};

use llm_conform_core::providers::sse::encode_event;

/// Sample folder to the fuzz family name, and how the family frames its streams.
const FOLDERS: &[(&str, &str, bool, bool)] = &[
    ("openai", "openai", false, true),
    ("deepseek", "openai", false, true),
    ("mistral", "openai", false, true),
    ("groq", "openai", false, true),
    ("alibaba", "openai", false, true),
    ("anthropic", "anthropic", true, false),
    ("google", "gemini", false, false),
    ("cohere", "cohere", true, false),
];

/// Synthesized seeds (not recordings) for paths the samples never reach: Gemini's streamed
/// `partialArgs`, OpenAI tool-call deltas at odd indices, error events mid-stream.
const SYNTHESIZED: &[(&str, &str, &str)] = &[
    (
        "stream_gemini",
        "synthesized-partial-args.sse",
        concat!(
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\",",
            "\"willContinue\":true,\"partialArgs\":[{\"jsonPath\":\"$.a[1]['b']\",\"stringValue\":\"x\",\"willContinue\":true}]}}]}}]}\n\n",
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"partialArgs\":",
            "[{\"jsonPath\":\"$.a[1]['b']\",\"stringValue\":\"y\"},{\"jsonPath\":\"$.n\",\"numberValue\":1}],\"willContinue\":false}}]},",
            "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":2}}\n\n"
        ),
    ),
    (
        "stream_openai",
        "synthesized-tool-deltas.sse",
        concat!(
            "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":4294967295,",
            "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n",
            "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":4294967295,",
            "\"function\":{\"arguments\":\"1}\"}},{\"index\":7,\"function\":{\"arguments\":null}}]}}]}\n\n",
            "data: [DONE]\n\n"
        ),
    ),
    (
        "stream_anthropic",
        "synthesized-error-event.sse",
        concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\",",
            "\"usage\":{\"input_tokens\":1}}}\n\n",
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
        ),
    ),
    (
        "decode_gemini",
        "synthesized-retry-info.json",
        "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1e300s\"}]}}",
    ),
];

fn frame(text: &str, named: bool, done: bool) -> String {
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let name = named
            .then(|| serde_json::from_str::<serde_json::Value>(line).ok())
            .flatten()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
        encode_event(name.as_deref(), line, &mut out);
    }
    if done {
        encode_event(None, "[DONE]", &mut out);
    }
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)
}

fn main() -> std::io::Result<()> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let samples = here.join("../../../tests/provider-samples");
    let corpus = here.join("corpus");
    for (folder, family, named, done) in FOLDERS {
        for entry in std::fs::read_dir(samples.join(folder))? {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path)?;
            if name.ends_with(".chunks.txt") {
                let framed = frame(&String::from_utf8_lossy(&bytes), *named, *done);
                write(&corpus.join(format!("stream_{family}")), &name, framed.as_bytes())?;
                write(&corpus.join("sse"), &format!("{folder}-{name}"), framed.as_bytes())?;
            } else if name.ends_with(".json") {
                write(&corpus.join(format!("decode_{family}")), &name, &bytes)?;
            }
        }
    }
    for (target, name, text) in SYNTHESIZED {
        write(&corpus.join(target), name, text.as_bytes())?;
    }
    println!("seed corpus written to {}", corpus.display());
    Ok(())
}
