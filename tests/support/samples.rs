//! Genuine provider samples as the tests of every crate read them: shared by path
//! (`#[path]`), so no test binary keeps its own copy.
#![allow(dead_code)]

use std::path::PathBuf;

use llm_conform_core::providers::{Catalog, ProviderSpec, sse::encode_event};

/// The workspace root, where `tests/provider-samples/`, `suites/` and `fixtures/` live, whichever
/// crate's tests ask.
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().find(|p| p.join("tests/provider-samples").is_dir()).map(PathBuf::from).unwrap_or(manifest)
}

pub fn sample(rel: &str) -> Vec<u8> {
    let p = root().join("tests/provider-samples").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// Frames a `*.chunks.txt` sample as it was on the wire: one `data:` per line, `event:` lines
/// named after the payload's `type` when the family names its events, `[DONE]` when it ends so.
pub fn sse_from_chunks(rel: &str, named_events: bool, done_marker: bool) -> Vec<u8> {
    let text = String::from_utf8(sample(rel)).unwrap();
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let event = if named_events {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        } else {
            None
        };
        encode_event(event.as_deref(), line, &mut out);
    }
    if done_marker {
        encode_event(None, "[DONE]", &mut out);
    }
    out.into_bytes()
}

pub fn spec(name: &str) -> ProviderSpec {
    Catalog::builtin().get(name).unwrap().clone()
}
