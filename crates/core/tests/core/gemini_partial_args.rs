//! Streamed Gemini arguments (`functionCall.partialArgs`, each piece a JSON Path per RFC 9535:
//! <https://googleapis.github.io/js-genai/release_docs/interfaces/types.PartialArg.html>) are
//! provider input: deep paths are refused with a typed error instead of overflowing the stack,
//! array padding is bounded so memory follows input size, and the arguments stay an object.

use llm_conform_core::api::{ErrorKind, ProviderError};
use llm_conform_core::providers::{GeminiAdapter, ResponseHints, sse::encode_event};
use llm_conform_core::transport::{StreamResult, decode_stream_bytes};
use serde_json::{Value, json};

fn stream_of(payloads: &[Value]) -> StreamResult {
    let mut sse = String::new();
    for p in payloads {
        encode_event(None, &p.to_string(), &mut sse);
    }
    decode_stream_bytes(&GeminiAdapter, &ResponseHints { stream: true, ..Default::default() }, sse.as_bytes())
}

/// A call started with `args`, one piece at `path`, then the finish.
fn call_with_piece(args: Option<Value>, path: &str) -> StreamResult {
    let mut start = json!({"name": "f", "willContinue": true,
        "partialArgs": [{"jsonPath": path, "stringValue": "x"}]});
    if let Some(a) = args {
        start["args"] = a;
    }
    stream_of(&[
        json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": start}]}}]}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"willContinue": false}}]},
            "finishReason": "STOP"}]}),
    ])
}

fn malformed(r: StreamResult) -> ProviderError {
    let e = r.result.expect_err("a malformed partialArgs stream must fail");
    assert_eq!(e.kind, ErrorKind::MalformedResponse, "{e}");
    e
}

fn arguments(r: StreamResult) -> String {
    let resp = r.result.unwrap();
    resp.message().unwrap().calls()[0].function.arguments.clone()
}

#[test]
fn partial_args_path_of_100000_segments_is_refused_not_a_stack_overflow() {
    let path = format!("${}", ".a".repeat(100_000));
    let e = malformed(call_with_piece(None, &path));
    assert!(e.message.contains("deeper than the 64 accepted"), "{e}");
}

#[test]
fn partial_args_path_of_30000_segments_in_60_kb_is_refused() {
    let path = format!("${}", ".a".repeat(30_000));
    assert!(path.len() >= 60_000);
    malformed(call_with_piece(None, &path));
}

#[test]
fn partial_args_path_of_64_segments_is_accepted() {
    let path = format!("${}", ".a".repeat(64));
    let args: Value = serde_json::from_str(&arguments(call_with_piece(None, &path))).unwrap();
    let mut v = &args;
    for _ in 0..64 {
        v = &v["a"];
    }
    assert_eq!(v, "x");
}

#[test]
fn partial_args_index_4096_repeated_is_refused_not_321_mb() {
    // The 6.3 KB stream of the report: `$[4096]` repeated; here under a key, so only the
    // padding budget (not the root rule or the depth) refuses it.
    let path = format!("$.a{}", "[4096]".repeat(60));
    let e = malformed(call_with_piece(None, &path));
    assert!(e.message.contains("nulls"), "{e}");
    let whole = format!("${}", "[4096]".repeat(1000));
    malformed(call_with_piece(None, &whole));
}

#[test]
fn partial_args_padding_within_the_budget_is_kept() {
    let args: Value = serde_json::from_str(&arguments(call_with_piece(None, "$.a[4096]"))).unwrap();
    let a = args["a"].as_array().unwrap();
    assert_eq!((a.len(), &a[4096]), (4097, &json!("x")));
}

#[test]
fn partial_args_path_whose_root_is_not_an_object_is_refused() {
    for path in ["$[0]", "$[0].a", "$"] {
        let e = malformed(call_with_piece(None, path));
        assert!(e.message.contains("does not start at a member"), "{path}: {e}");
    }
}

#[test]
fn partial_args_on_non_object_args_are_refused_and_non_object_args_are_kept_as_sent() {
    let e = malformed(call_with_piece(Some(json!([1])), "$.a"));
    assert!(e.message.contains("not a JSON object"), "{e}");
    // No pieces: what Gemini sent stays, to be flagged by the fingerprint, not replaced by {}.
    let r = stream_of(&[
        json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "f", "args": [1], "willContinue": true}}]}}]}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"willContinue": false}}]}, "finishReason": "STOP"}]}),
    ]);
    assert_eq!(arguments(r), "[1]");
}

#[test]
fn partial_args_quoted_names_unescape() {
    let args: Value = serde_json::from_str(&arguments(call_with_piece(None, r#"$['it\'s']["a\"b"]"#))).unwrap();
    assert_eq!(args, json!({"it's": {"a\"b": "x"}}));
}
