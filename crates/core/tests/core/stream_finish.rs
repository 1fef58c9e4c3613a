//! The chunk view and the reassembled view of a stream agree on the finish reason. Some
//! OpenAI-compatible hosts end a stream with `data: [DONE]` and no chunk carrying a
//! `finish_reason` (OpenAI's own streams always send one:
//! <https://platform.openai.com/docs/api-reference/chat-streaming/streaming>); the reassembled
//! response then says `stop` (or `tool_calls`), and so must a last chunk.

use llm_conform_core::api::{ChatCompletionChunk, FinishReason};
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{OpenAiAdapter, ResponseHints};
use llm_conform_core::transport::decode_stream_bytes;
use serde_json::{Value, json};

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn wire(chunks: &[Value]) -> Vec<u8> {
    let mut sse = String::new();
    for c in chunks {
        encode_event(None, &c.to_string(), &mut sse);
    }
    encode_event(None, "[DONE]", &mut sse);
    sse.into_bytes()
}

fn finishes(chunks: &[ChatCompletionChunk]) -> Vec<(usize, FinishReason)> {
    chunks
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.choices.iter().filter_map(move |ch| ch.finish_reason.map(|f| (i, f))))
        .collect()
}

#[test]
fn done_only_stream_gets_a_finish_chunk_that_agrees_with_the_response() {
    let usage = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "m",
        "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}});
    let r = decode_stream_bytes(
        &OpenAiAdapter,
        &ResponseHints::default(),
        &wire(&[
            chunk(json!({"role": "assistant", "content": "Hel"}), None),
            chunk(json!({"content": "lo"}), None),
            usage,
        ]),
    );
    let resp = r.result.unwrap();
    assert_eq!(resp.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(finishes(&r.chunks), vec![(2, FinishReason::Stop)], "one finish chunk, before the usage chunk");
    let last = &r.chunks[2];
    assert_eq!((&*last.id, &*last.model, last.created), ("chatcmpl-1", "m", 7));
    assert!(r.chunks[3].usage.is_some());
}

#[test]
fn done_only_stream_with_tool_calls_finishes_with_tool_calls_in_both_views() {
    let call = json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "f", "arguments": "{}"}}]});
    let r = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), &wire(&[chunk(call, None)]));
    assert_eq!(r.result.unwrap().finish_reason(), Some(FinishReason::ToolCalls));
    assert_eq!(finishes(&r.chunks), vec![(1, FinishReason::ToolCalls)]);
}

#[test]
fn a_stream_with_its_own_finish_reason_gets_no_extra_chunk() {
    let chunks = [chunk(json!({"content": "Hi"}), None), chunk(json!({}), Some("length"))];
    let r = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), &wire(&chunks));
    assert_eq!(r.result.unwrap().finish_reason(), Some(FinishReason::Length));
    assert_eq!(r.chunks.len(), 2);
    assert_eq!(finishes(&r.chunks), vec![(1, FinishReason::Length)]);
}
