//! The OpenAI wire family on genuine payloads from OpenAI, DeepSeek, Mistral, Groq and Qwen, and
//! the catalog quirks on encode.

use crate::common::{sample, spec, sse_from_chunks};
use llm_conform_core::api::{ChatRequest, ErrorKind, FinishReason};
use llm_conform_core::providers::{Adapter, OpenAiAdapter, ResponseHints};
use llm_conform_core::transport::decode_stream_bytes;
use serde_json::{Value, json};

fn decode(rel: &str) -> llm_conform_core::api::ChatCompletion {
    OpenAiAdapter.decode(&sample(rel), &ResponseHints::default()).unwrap()
}

fn stream(rel: &str) -> llm_conform_core::transport::StreamResult {
    decode_stream_bytes(
        &OpenAiAdapter,
        &ResponseHints { stream: true, ..Default::default() },
        &sse_from_chunks(rel, false, true),
    )
}

fn args(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn openai_text_body_and_stream() {
    let r = decode("openai/openai-text.json");
    assert!(r.message().unwrap().content.as_deref().unwrap().starts_with("**Holiday Name:** Galaxy Day"));
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (16, 363, 379));

    let s = stream("openai/openai-text.chunks.txt");
    let r = s.result.unwrap();
    let text = r.message().unwrap().content.clone().unwrap();
    assert!(text.starts_with("**Holiday Name:** Harmony Day"), "{text}");
    assert_eq!(r.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(r.usage.unwrap().completion_tokens, 300);
    assert!(s.chunks.last().unwrap().choices.is_empty(), "usage chunk comes last, without choices");
}

#[test]
fn deepseek_reasoning_and_tool_call() {
    let r = decode("deepseek/deepseek-tool-call.json");
    let m = r.message().unwrap();
    assert!(m.reasoning_content.as_deref().unwrap().starts_with("The user is asking for the weather"));
    assert_eq!(m.content, None, "empty content next to tool calls is no content");
    assert_eq!(m.calls()[0].function.name, "weather");
    assert_eq!(args(&m.calls()[0].function.arguments), json!({"location": "San Francisco"}));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.cached_tokens(), u.reasoning_tokens()), (339, 320, 48));

    let r = stream("deepseek/deepseek-tool-call.chunks.txt").result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    assert!(m.reasoning_content.as_deref().unwrap().starts_with("The user"));
    assert_eq!(m.calls().len(), 1);
    assert_eq!(args(&m.calls()[0].function.arguments), json!({"location": "San Francisco"}));
    assert!(!m.calls()[0].id.is_empty());

    let r = decode("deepseek/deepseek-text.json");
    assert!(r.message().unwrap().content.as_deref().unwrap().starts_with("## **Holiday Name"));
    let r = stream("deepseek/deepseek-text.chunks.txt").result.unwrap();
    assert!(r.message().unwrap().content.as_deref().unwrap().starts_with("## **H"));
    assert!(r.usage.is_some());
}

#[test]
fn mistral_tool_call_without_index_or_type() {
    let r = decode("mistral/mistral-tool-call.json");
    let call = &r.message().unwrap().calls()[0];
    assert_eq!((call.id.as_str(), call.function.name.as_str()), ("gSIMJiOkT", "weather"));
    assert_eq!(call.kind, "function");
    let s = stream("mistral/mistral-tool-call.chunks.txt");
    let r = s.result.unwrap();
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
    assert_eq!(r.message().unwrap().calls()[0].id, "gSIMJiOkT");
    assert_eq!(r.usage.unwrap().prompt_tokens, 124);

    let r = stream("mistral/mistral-text.chunks.txt").result.unwrap();
    assert_eq!(r.message().unwrap().content.as_deref(), Some("Hello, world! This is a test response."));
    assert_eq!(r.usage.unwrap().completion_tokens, 8);
    assert!(decode("mistral/mistral-text.json").message().unwrap().content.as_deref().unwrap().contains("Kindness"));
}

#[test]
fn groq_usage_in_x_groq_and_empty_arguments() {
    let r = decode("groq/groq-tool-call.json");
    assert_eq!(r.message().unwrap().calls()[0].function.arguments, "{}");
    assert_eq!(r.usage.unwrap().prompt_tokens, 218);
    let r = stream("groq/groq-tool-call.chunks.txt").result.unwrap();
    assert_eq!(r.message().unwrap().calls()[0].function.name, "weather");
    assert_eq!(r.usage.unwrap().total_tokens, 225);
}

#[test]
fn qwen_text() {
    let r = decode("alibaba/alibaba-text.json");
    assert!(r.message().unwrap().content.as_deref().unwrap().starts_with("## The Festival of Forgotten Things"));
    let r = stream("alibaba/alibaba-text.chunks.txt").result.unwrap();
    assert!(r.message().unwrap().content.as_deref().unwrap().starts_with("## The Festival of Shared Stories"));
}

#[test]
fn openai_unsupported_parameter_error() {
    let body = sample("openai/reasoning-model-legacy-parameter-error.json");
    let e = OpenAiAdapter.classify_error(400, &Default::default(), &body);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert_eq!(e.provider_code.as_deref(), Some("unsupported_parameter"));
    assert_eq!(e.status, Some(400));
}

#[test]
fn error_kinds_by_code_and_status() {
    let cases = [
        (
            429,
            json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}),
            ErrorKind::QuotaExhausted,
        ),
        (
            429,
            json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
            ErrorKind::RateLimited,
        ),
        (
            401,
            json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
            ErrorKind::Authentication,
        ),
        (
            404,
            json!({"error": {"message": "The model `gpt-9` does not exist", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}),
            ErrorKind::NotFound,
        ),
        (
            400,
            json!({"error": {"message": "This model's maximum context length is 128000 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}),
            ErrorKind::ContextLengthExceeded,
        ),
        (
            400,
            json!({"error": {"message": "Invalid schema for function", "type": "invalid_request_error", "param": null, "code": null}}),
            ErrorKind::InvalidRequest,
        ),
        (
            422,
            json!({"object": "error", "message": "Prompt contains 140000 tokens, too many tokens for model", "type": "invalid_request_error"}),
            ErrorKind::ContextLengthExceeded,
        ),
        (
            500,
            json!({"error": {"message": "The server had an error", "type": "server_error", "param": null, "code": null}}),
            ErrorKind::ServerError,
        ),
        (503, json!({"error": "upstream unavailable"}), ErrorKind::Overloaded),
    ];
    for (status, body, kind) in cases {
        let e = OpenAiAdapter.classify_error(status, &Default::default(), body.to_string().as_bytes());
        assert_eq!(e.kind, kind, "{body}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn mid_stream_error_is_an_error_not_a_truncated_success() {
    let sse = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\ndata: {\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\"}}\n\n";
    let r = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), sse.as_bytes());
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::Overloaded, "an overloaded server_error is overloaded");
    let cut = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";
    let r = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), cut.as_bytes());
    assert_eq!(r.result.unwrap_err().kind, ErrorKind::Connection);
}

#[test]
fn continuation_deltas_with_empty_id_or_name_do_not_overwrite() {
    let chunks = [
        json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}),
        json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"lookup","arguments":""}}]},"finish_reason":null}]}),
        json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"","function":{"name":"","arguments":"{\"q\":"}}]},"finish_reason":null}]}),
        json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}]}),
        json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
    ];
    let mut sse = String::new();
    for c in &chunks {
        llm_conform_core::providers::sse::encode_event(None, &c.to_string(), &mut sse);
    }
    sse.push_str("data: [DONE]\n\n");
    let r = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), sse.as_bytes()).result.unwrap();
    let call = &r.message().unwrap().calls()[0];
    assert_eq!(
        (call.id.as_str(), call.function.name.as_str(), call.function.arguments.as_str()),
        ("call_1", "lookup", "{\"q\":1}")
    );
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

#[test]
fn encode_applies_catalog_quirks() {
    let req = request(json!({
        "model": "m",
        "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "", "tool_calls": []},
            {"role": "assistant", "tool_calls": [{"id": "call_abc_0123456789", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_abc_0123456789", "content": "ok"}
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": "required",
        "max_tokens": 50,
        "stream": true,
        "logit_bias": {"50256": -100}
    }));
    let mistral = OpenAiAdapter.encode(&req, &spec("mistral"), Some("k")).unwrap();
    let b = &mistral.body;
    assert_eq!(mistral.url, "https://api.mistral.ai/v1/chat/completions");
    assert_eq!(b["messages"][0]["role"], "system", "mistral has no developer role");
    assert!(b["messages"][2].get("tool_calls").is_none(), "tool_calls: [] is dropped");
    let id = b["messages"][3]["tool_calls"][0]["id"].as_str().unwrap();
    assert_eq!(id.len(), 9);
    assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(b["messages"][4]["tool_call_id"], id, "results keep pointing at their call");
    assert_eq!(b["tool_choice"], "any");
    assert_eq!(b["max_tokens"], 50);
    assert_eq!(b["logit_bias"], json!({"50256": -100}), "unknown fields pass through");
    assert_eq!(mistral.header_value("authorization"), Some("Bearer k"));

    let openai = OpenAiAdapter.encode(&req, &spec("openai"), Some("k")).unwrap();
    assert_eq!(openai.body["messages"][0]["role"], "developer");
    assert_eq!(openai.body["max_completion_tokens"], 50);
    assert!(openai.body.get("max_tokens").is_none());
    assert_eq!(openai.body["tool_choice"], "required");
    assert_eq!(openai.body["stream_options"], json!({"include_usage": true}));
    assert_eq!(openai.redacted().header_value("authorization"), Some("Bearer <redacted>"));

    let azure = OpenAiAdapter.encode(&req, &spec("azure-openai"), Some("k")).unwrap();
    assert_eq!(
        azure.url,
        "https://YOUR-RESOURCE.openai.azure.com/openai/deployments/m/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(azure.header_value("api-key"), Some("k"));
    assert!(azure.header_value("authorization").is_none());

    let ollama = OpenAiAdapter.encode(&req, &spec("ollama"), None).unwrap();
    assert!(ollama.header_value("authorization").is_none());
}

#[test]
fn encode_keeps_images_json_schema_and_stop() {
    let req = request(json!({
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}
        ]}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "strict": true, "schema": {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}, "additionalProperties": false}}, "additionalProperties": false, "required": ["a"]}}},
        "stop": ["END", "STOP"]
    }));
    let n = OpenAiAdapter.encode(&req, &spec("openai"), None).unwrap();
    assert_eq!(n.body["messages"][0]["content"][1]["image_url"]["detail"], "low");
    assert_eq!(n.body["response_format"]["json_schema"]["schema"]["properties"]["a"]["additionalProperties"], false);
    assert_eq!(n.body["stop"], json!(["END", "STOP"]));
}

/// Magistral and reasoning-mode Mistral models answer with `content` as a list of chunks, a
/// `thinking` chunk (itself a list of text chunks) before the `text`; the thinking is reasoning,
/// in both modes (genuine recordings).
/// <https://docs.mistral.ai/capabilities/reasoning/>
#[test]
fn mistral_thinking_chunks_become_reasoning_content() {
    let r = decode("mistral/mistral-reasoning.json");
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("2 + 2 = 4"));
    assert_eq!(m.reasoning_content.as_deref(), Some("The user is asking for 2+2. This is basic arithmetic. 2+2=4."));

    let s = stream("mistral/mistral-reasoning.chunks.txt");
    let r = s.result.unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.content.as_deref(), Some("2 + 2 = 4"));
    assert_eq!(m.reasoning_content.as_deref(), Some("The user is asking for 2+2. This is basic arithmetic. 2+2=4."));
    assert!(s.chunks.iter().any(|c| c.choices.iter().any(|ch| ch.delta.reasoning_content.is_some())));
}

/// Mistral reports cached prompt tokens as `usage.num_cached_tokens` in most responses.
/// Wire-accurate synthesized body (Mistral's field names and order).
/// <https://docs.mistral.ai/capabilities/completion/prompt_caching/>
#[test]
fn mistral_num_cached_tokens_are_cached_prompt_tokens() {
    let body = json!({"id": "5a1c9b0e7d2f4e3a9c8b7a6d5e4f3a2b", "created": 1764000123, "model": "mistral-small-latest",
        "usage": {"prompt_tokens": 1200, "total_tokens": 1210, "completion_tokens": 10, "num_cached_tokens": 1024},
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "tool_calls": null, "content": "Yes."}}]});
    let r = OpenAiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.cached_tokens(), u.total_tokens), (1200, 1024, 1210));
}

/// Gemini's OpenAI-compatible endpoint counts hidden reasoning in `total_tokens` (35 + 12 -> 109);
/// the provider's total is what it bills, so it is kept rather than recomputed. Wire-accurate
/// synthesized body. <https://ai.google.dev/gemini-api/docs/openai>
#[test]
fn provider_total_tokens_is_kept_not_recomputed() {
    let body = json!({"choices": [{"finish_reason": "stop", "index": 0, "message": {"content": "Four.", "role": "assistant"}}],
        "created": 1764000456, "id": "u3ElaZ2nBeOnz7IPq8-1oAg", "model": "gemini-2.5-flash", "object": "chat.completion",
        "usage": {"completion_tokens": 12, "prompt_tokens": 35, "total_tokens": 109}});
    let r = OpenAiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (35, 12, 109));
}

/// The same endpoint puts a tool call's thought signature in `extra_content`; it is kept on the
/// canonical call, whole and streamed, so the next turn can send it back.
/// <https://ai.google.dev/gemini-api/docs/thought-signatures>
#[test]
fn tool_call_extra_content_is_kept_on_decode() {
    let body = json!({"choices": [{"finish_reason": "tool_calls", "index": 0, "message": {"role": "assistant", "tool_calls": [
        {"extra_content": {"google": {"thought_signature": "CrICAdHtim827fQ"}}, "function": {"arguments": "{\"city\":\"Paris\"}", "name": "get_weather"}, "id": "function-call-1", "type": "function"}]}}],
        "created": 1764000456, "id": "x", "model": "gemini-3-pro-preview", "object": "chat.completion"});
    let r = OpenAiAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    assert_eq!(r.message().unwrap().calls()[0].thought_signature(), Some("CrICAdHtim827fQ"));

    let chunk = json!({"choices": [{"delta": {"role": "assistant", "tool_calls": [{"extra_content": {"google": {"thought_signature": "Sig2"}},
        "function": {"arguments": "{}", "name": "now"}, "id": "function-call-2", "index": 0, "type": "function"}]}, "finish_reason": "tool_calls", "index": 0}],
        "created": 1, "id": "y", "model": "gemini-3-pro-preview", "object": "chat.completion.chunk"});
    let mut sse = String::new();
    llm_conform_core::providers::sse::encode_event(None, &chunk.to_string(), &mut sse);
    sse.push_str("data: [DONE]\n\n");
    let r = decode_stream_bytes(&OpenAiAdapter, &ResponseHints::default(), sse.as_bytes()).result.unwrap();
    assert_eq!(r.message().unwrap().calls()[0].thought_signature(), Some("Sig2"));
}
