//! Provider answers in each family's wire format, for the tests' own local servers (the key-echo
//! and fault servers): modelled on the genuine samples in `tests/provider-samples/`, synthesized.

use serde_json::{Value, json};

/// The wire family a request path belongs to, with the base URLs the tests configure:
/// `/v1/messages` Anthropic, `…:generateContent` Gemini, `/v2/chat` Cohere, else OpenAI.
pub fn family_of(path: &str) -> &'static str {
    if path.ends_with("/messages") {
        "anthropic"
    } else if path.contains(':') {
        "gemini"
    } else if path.ends_with("/v2/chat") {
        "cohere"
    } else {
        "openai"
    }
}

/// The base URL each provider is configured with, against a server at `uri`.
pub fn base_url(provider: &str, uri: &str) -> String {
    match provider {
        "gemini" => format!("{uri}/v1beta"),
        "cohere" => format!("{uri}/v2"),
        _ => format!("{uri}/v1"),
    }
}

/// A whole successful answer with `text`.
pub fn answer(family: &str, text: &str) -> Value {
    match family {
        "anthropic" => json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 3, "output_tokens": 9}}),
        "gemini" => json!({"candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 9, "totalTokenCount": 12}, "modelVersion": "m"}),
        "cohere" => json!({"id": "c1", "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": text}]},
            "usage": {"billed_units": {"input_tokens": 3, "output_tokens": 9}, "tokens": {"input_tokens": 3, "output_tokens": 9}}}),
        _ => json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}}),
    }
}

/// A streamed answer whose text deltas are `pieces`, as the SSE events of the family, each
/// event a separate string (so a server can send them apart, or cut the stream between them).
pub fn stream_events(family: &str, pieces: &[&str]) -> Vec<String> {
    match family {
        "anthropic" => anthropic_stream(pieces),
        "gemini" => pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut chunk = json!({"candidates": [{"content": {"parts": [{"text": p}], "role": "model"}, "index": 0}], "modelVersion": "m"});
                if i == pieces.len() - 1 {
                    chunk["candidates"][0]["finishReason"] = json!("STOP");
                    chunk["usageMetadata"] = json!({"promptTokenCount": 3, "candidatesTokenCount": 9, "totalTokenCount": 12});
                }
                format!("data: {chunk}\r\n\r\n")
            })
            .collect(),
        "cohere" => cohere_stream(pieces),
        _ => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            };
            let mut s: Vec<String> =
                pieces.iter().map(|p| format!("data: {}\n\n", chunk(json!({"content": p}), Value::Null))).collect();
            s.push(format!("data: {}\n\n", chunk(json!({}), json!("stop"))));
            let usage = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}});
            s.push(format!("data: {usage}\n\n"));
            s.push("data: [DONE]\n\n".to_string());
            s
        }
    }
}

/// The family's error body for `status` with `message`.
pub fn error_body(family: &str, status: u16, message: &str) -> Value {
    match family {
        "anthropic" => {
            let kind = match status {
                401 => "authentication_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                s if s >= 500 => "api_error",
                _ => "invalid_request_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
        "gemini" => {
            let s = match status {
                401 => "UNAUTHENTICATED",
                429 => "RESOURCE_EXHAUSTED",
                503 | 529 => "UNAVAILABLE",
                s if s >= 500 => "INTERNAL",
                _ => "INVALID_ARGUMENT",
            };
            json!({"error": {"code": status, "message": message, "status": s}})
        }
        "cohere" => json!({"message": message}),
        _ => {
            let kind = match status {
                401 => "invalid_request_error",
                429 => "requests",
                s if s >= 500 => "server_error",
                _ => "invalid_request_error",
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
        }
    }
}

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn anthropic_stream(pieces: &[&str]) -> Vec<String> {
    let mut s = vec![event(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
        "role": "assistant", "model": "m", "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 3, "output_tokens": 1}}}),
    )];
    s.push(event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ));
    for p in pieces {
        s.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}),
        ));
    }
    s.push(event("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
    s.push(event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 9}})));
    s.push(event("message_stop", json!({"type": "message_stop"})));
    s
}

fn cohere_stream(pieces: &[&str]) -> Vec<String> {
    let mut s = vec![event(
        "message-start",
        json!({"type": "message-start", "id": "c1", "delta": {"message": {"role": "assistant",
        "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )];
    s.push(event(
        "content-start",
        json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}),
    ));
    for p in pieces {
        s.push(event(
            "content-delta",
            json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": p}}}}),
        ));
    }
    s.push(event("content-end", json!({"type": "content-end", "index": 0})));
    s.push(event("message-end", json!({"type": "message-end", "delta": {"finish_reason": "COMPLETE",
        "usage": {"billed_units": {"input_tokens": 3, "output_tokens": 9}, "tokens": {"input_tokens": 3, "output_tokens": 9}}}})));
    s
}
