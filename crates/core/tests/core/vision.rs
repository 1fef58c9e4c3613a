//! Images: refused as `unsupported` for models without vision and where tool results are text
//! only (before anything is sent, so a router can move on), passed on as each API takes them
//! otherwise, https URLs included (every API here fetches them itself).

use crate::common::spec;
use llm_conform_core::api::{ChatRequest, ErrorKind};
use llm_conform_core::providers::EncodeError;
use serde_json::{Value, json};

const RED: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42mO4IyKCFTEMLQkAmD9BAeEqE6gAAAAASUVORK5CYII=";

fn encode(provider: &str, model: &str, messages: Value) -> Result<Value, EncodeError> {
    let s = spec(provider);
    let req: ChatRequest = serde_json::from_value(json!({"model": model, "messages": messages,
        "tools": [{"type": "function", "function": {"name": "shot", "parameters": {"type": "object", "properties": {}}}}]}))
    .unwrap();
    s.family.adapter().encode(&req, &s, Some("k")).map(|n| n.body.into())
}

fn look(url: &str) -> Value {
    json!([{"role": "user", "content": [{"type": "text", "text": "Colour?"}, {"type": "image_url", "image_url": {"url": url}}]}])
}

fn screenshot_result() -> Value {
    json!([
        {"role": "user", "content": "Screenshot, please."},
        {"role": "assistant", "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": [{"type": "text", "text": "Here:"}, {"type": "image_url", "image_url": {"url": RED}}]}
    ])
}

/// The catalog's text-only models refuse images before sending: DeepSeek's chat models
/// (<https://api-docs.deepseek.com/api/create-chat-completion>), Groq's and Qwen's text models,
/// Cohere's models other than Command A Vision (<https://docs.cohere.com/docs/image-inputs>).
#[test]
fn images_for_models_without_vision_are_refused_as_unsupported() {
    for (provider, model) in [
        ("deepseek", "deepseek-chat"),
        ("groq", "llama-3.1-8b-instant"),
        ("qwen", "qwen-flash"),
        ("cohere", "command-r7b-12-2024"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    ] {
        let e = encode(provider, model, look(RED)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{provider}");
        assert!(e.message.contains(model) && e.message.contains("no image input"), "{provider}: {e}");
    }
    for (provider, model) in [
        ("openai", "gpt-4.1-nano"),
        ("anthropic", "claude-haiku-4-5"),
        ("gemini", "gemini-2.5-flash-lite"),
        ("mistral", "mistral-small-latest"),
        ("groq", "meta-llama/llama-4-scout-17b-16e-instruct"),
        ("qwen", "qwen-vl-plus"),
        ("cohere", "command-a-vision-07-2025"),
    ] {
        assert!(encode(provider, model, look(RED)).is_ok(), "{provider}/{model} sees");
    }
}

/// OpenAI's tool messages take text parts only, and so do Gemini's function responses and
/// Cohere's tool results: an image there is refused, never dropped. Anthropic takes image blocks
/// in a tool_result (<https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use>).
#[test]
fn images_in_tool_results_are_refused_where_tool_results_are_text_only() {
    for (provider, model) in [
        ("openai", "gpt-4.1-nano"),
        ("gemini", "gemini-2.5-flash"),
        ("mistral", "mistral-small-latest"),
        ("cohere", "command-a-vision-07-2025"),
    ] {
        let e = encode(provider, model, screenshot_result()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{provider}");
        assert!(e.message.contains("only text in tool results"), "{provider}: {e}");
    }
    let b = encode("anthropic", "claude-haiku-4-5", screenshot_result()).unwrap();
    let result = &b["messages"][2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["content"][1]["type"], "image");
    assert_eq!(result["content"][1]["source"]["media_type"], "image/png");
}

/// https images go to each API to fetch: an url source for Anthropic, fileData with a MIME type
/// from the extension for Gemini, the URL as it is for the OpenAI family.
#[test]
fn https_images_are_passed_on_for_the_api_to_fetch() {
    let url = "https://example.com/photos/boardwalk.PNG?size=large";
    let b = encode("anthropic", "claude-haiku-4-5", look(url)).unwrap();
    assert_eq!(b["messages"][0]["content"][1], json!({"type": "image", "source": {"type": "url", "url": url}}));
    let b = encode("gemini", "gemini-2.5-flash", look(url)).unwrap();
    assert_eq!(b["contents"][0]["parts"][1], json!({"fileData": {"mimeType": "image/png", "fileUri": url}}));
    let b = encode("openai", "gpt-4.1-nano", look(url)).unwrap();
    assert_eq!(b["messages"][0]["content"][1], json!({"type": "image_url", "image_url": {"url": url}}));
}
