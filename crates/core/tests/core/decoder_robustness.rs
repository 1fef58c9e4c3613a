//! Decoders never panic: random bytes, truncated genuine payloads and mutated SSE streams all
//! come back as a response or a classified error.

use llm_conform_core::providers::{
    Adapter, AnthropicAdapter, CohereAdapter, GeminiAdapter, OpenAiAdapter, ResponseHints,
};
use llm_conform_core::transport::decode_stream_bytes;
use proptest::prelude::*;

fn adapters() -> [&'static dyn Adapter; 4] {
    [&OpenAiAdapter, &AnthropicAdapter, &GeminiAdapter, &CohereAdapter]
}

fn all_paths(bytes: &[u8]) {
    let hints = [
        ResponseHints::default(),
        ResponseHints { json_tool: Some("json".into()), stream: true, ..Default::default() },
    ];
    for a in adapters() {
        for h in &hints {
            let _ = a.decode(bytes, h);
            let _ = decode_stream_bytes(a, h, bytes);
        }
        let _ = a.classify_error(500, &Default::default(), bytes);
    }
}

/// Every sample, as a body and framed as a stream, for the fuzz corpus.
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Vec<Vec<u8>> {
    let root = crate::common::root().join("tests/provider-samples");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let rel = format!("{}/{}", dir.file_name().to_string_lossy(), f.file_name().to_string_lossy());
            if rel.ends_with(".chunks.txt") {
                out.push(crate::common::sse_from_chunks(&rel, true, true));
            } else {
                out.push(crate::common::sample(&rel));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        all_paths(&bytes);
    }

    #[test]
    fn sse_shaped_noise(parts in proptest::collection::vec(prop_oneof![
        Just("data: ".to_string()), Just("event: message_start\n".to_string()), Just("\n".to_string()),
        Just("\r\n".to_string()), Just("data: [DONE]\n\n".to_string()), Just(": comment\n".to_string()),
        Just("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}".to_string()),
        Just("{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"partialArgs\":[{\"jsonPath\":\"$.a[3].b\",\"stringValue\":\"x\",\"willContinue\":true}],\"willContinue\":true}}]}}]}".to_string()),
        Just("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":4294967295,\"function\":{\"arguments\":null}}]},\"finish_reason\":\"tool_calls\"}]}".to_string()),
        Just("{\"type\":\"tool-call-delta\",\"index\":-1,\"delta\":{\"message\":{\"tool_calls\":{\"function\":{\"arguments\":\"}\"}}}}}".to_string()),
        Just("{\"error\":{\"code\":429}}".to_string()),
        "[a-z{}\\[\\]\":,0-9 ]{0,20}",
    ], 0..40)) {
        all_paths(parts.concat().as_bytes());
    }

    #[test]
    fn truncated_and_mutated_samples(pick in 0usize..64, cut in 0.0f64..1.0, flip in 0usize..4096, byte in any::<u8>()) {
        let corpus = corpus();
        let mut bytes = corpus[pick % corpus.len()].clone();
        let at = ((bytes.len() as f64) * cut) as usize;
        bytes.truncate(at.max(1));
        if !bytes.is_empty() {
            let i = flip % bytes.len();
            bytes[i] = byte;
        }
        all_paths(&bytes);
    }
}
