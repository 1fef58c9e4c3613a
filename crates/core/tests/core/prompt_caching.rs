//! Prompt caching: where Anthropic's `cache_control` goes (from OpenAI's `prompt_cache_breakpoint`
//! on a content part, or the catalog's `cache_system_prompt`), the markers left out where APIs
//! cache on their own, cached and written tokens in usage, and the cost at the cached rates.

use crate::common::spec;
use llm_conform_core::api::{ChatRequest, Usage};
use llm_conform_core::providers::{Adapter, AnthropicAdapter, Catalog, NativeRequest, ResponseHints, WireFamily};
use llm_conform_core::router::cost_usd;
use serde_json::{Value, json};

const MARK: &str = "prompt_cache_breakpoint";

fn encode_with(s: &llm_conform_core::providers::ProviderSpec, v: Value) -> NativeRequest {
    let req: ChatRequest = serde_json::from_value(v).unwrap();
    s.family.adapter().encode(&req, s, Some("k")).unwrap()
}

fn encode(provider: &str, v: Value) -> NativeRequest {
    encode_with(&spec(provider), v)
}

fn marked_request(model: &str) -> Value {
    json!({"model": model, "messages": [
        {"role": "system", "content": [{"type": "text", "text": "Policy.", MARK: {"mode": "explicit"}}]},
        {"role": "user", "content": [
            {"type": "text", "text": "Document:"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}, MARK: {"mode": "explicit"}},
            {"type": "text", "text": "What is in it?"}
        ]}
    ]})
}

fn marked(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (j, b) in body["system"].as_array().into_iter().flatten().enumerate() {
        if b.get("cache_control").is_some() {
            out.push(format!("system.{j}"));
        }
    }
    for (i, m) in body["messages"].as_array().into_iter().flatten().enumerate() {
        for (j, b) in m["content"].as_array().into_iter().flatten().enumerate() {
            if b.get("cache_control").is_some() {
                out.push(format!("messages.{i}.{j}"));
            }
        }
    }
    out
}

/// A marked part becomes a `cache_control: {"type": "ephemeral"}` on the block it became
/// (<https://docs.claude.com/en/docs/build-with-claude/prompt-caching>).
#[test]
fn anthropic_marks_the_block_a_breakpoint_part_became() {
    let b = encode("anthropic", marked_request("claude-sonnet-4-5")).body;
    assert_eq!(marked(&b), ["system.0", "messages.0.1"]);
    assert_eq!(b["system"][0]["cache_control"], json!({"type": "ephemeral"}));
    assert!(!b.to_string().contains(MARK), "the canonical marker never reaches the API");

    // A marked tool result is marked as a whole, not inside.
    let b = encode("anthropic", json!({"model": "claude-sonnet-4-5", "tools": [{"type": "function", "function": {"name": "f"}}], "messages": [
        {"role": "user", "content": "Read it."},
        {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "t1", "content": [{"type": "text", "text": "long result", MARK: {"mode": "explicit"}}]}
    ]}))
    .body;
    assert_eq!(marked(&b), ["messages.2.0"]);
    assert_eq!(b["messages"][2]["content"][0]["type"], "tool_result");
}

/// At most four breakpoints are allowed; the earliest are left out, with a note.
#[test]
fn anthropic_keeps_the_last_four_breakpoints() {
    let part = |t: &str| json!({"type": "text", "text": t, MARK: {"mode": "explicit"}});
    let n = encode(
        "anthropic",
        json!({"model": "claude-sonnet-4-5", "messages": [
            {"role": "system", "content": [part("a")]},
            {"role": "user", "content": [part("b"), part("c"), part("d"), part("e")]}
        ]}),
    );
    assert_eq!(marked(&n.body), ["messages.0.0", "messages.0.1", "messages.0.2", "messages.0.3"]);
    assert!(n.notes.iter().any(|x| x.contains("first 1 prompt cache breakpoint")), "{:?}", n.notes);
}

/// Configured `cache_system_prompt` marks the end of the system prompt when the request marks
/// nothing, so a shared system prompt is cached without callers knowing `cache_control`.
#[test]
fn anthropic_caches_the_system_prompt_when_the_catalog_says_so() {
    let over: toml::Table = toml::from_str("[anthropic]\nquirks = { cache_system_prompt = true }\n").unwrap();
    let catalog = Catalog::with_overrides(&over, "llm-conform.toml").unwrap();
    let s = catalog.get("anthropic").unwrap();
    let plain = json!({"model": "claude-sonnet-4-5", "messages": [
        {"role": "system", "content": "One."}, {"role": "developer", "content": "Two."}, {"role": "user", "content": "Hi"}]});
    assert_eq!(marked(&encode_with(s, plain.clone()).body), ["system.1"]);
    assert!(marked(&encode("anthropic", plain).body).is_empty(), "off by default");
    assert_eq!(marked(&encode_with(s, marked_request("claude-sonnet-4-5")).body), ["system.0", "messages.0.1"]);
}

/// APIs that cache prefixes on their own get no marker (Mistral would refuse an unknown field),
/// with a note; a catalog entry can say the API takes them.
#[test]
fn other_apis_get_no_breakpoint_markers() {
    for (provider, model) in [
        ("openai", "gpt-4.1-mini"),
        ("deepseek", "deepseek-chat"),
        ("mistral", "mistral-small-latest"),
        ("gemini", "gemini-2.5-flash"),
    ] {
        let mut text_only = marked_request(model);
        text_only["messages"][1]["content"][1] =
            json!({"type": "text", "text": "A long document.", MARK: {"mode": "explicit"}});
        let n = encode(provider, text_only);
        assert!(!n.body.to_string().contains(MARK), "{provider}: {}", n.body);
        assert!(n.notes.iter().any(|x| x.contains("prompt_cache_breakpoint")), "{provider}: {:?}", n.notes);
    }
    let over: toml::Table = toml::from_str("[openai]\nquirks = { cache_breakpoints = true }\n").unwrap();
    let catalog = Catalog::with_overrides(&over, "llm-conform.toml").unwrap();
    let n = encode_with(catalog.get("openai").unwrap(), marked_request("gpt-4.1-mini"));
    assert_eq!(n.body["messages"][0]["content"][0][MARK], json!({"mode": "explicit"}));
}

/// Anthropic counts cache reads and writes apart from `input_tokens`; canonical usage has them
/// in the prompt, reads as cached tokens, writes as `cache_write_tokens`, and the cost charges
/// each at its own rate (<https://docs.claude.com/en/docs/build-with-claude/prompt-caching#pricing>).
#[test]
fn anthropic_cache_usage_is_decoded_and_costed_at_the_cached_rates() {
    let body = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Yes."}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 19, "cache_creation_input_tokens": 200, "cache_read_input_tokens": 1357, "output_tokens": 23}});
    let r = AnthropicAdapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap();
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.cached_tokens(), u.completion_tokens), (1576, 1357, 23));
    assert_eq!(u.prompt_tokens_details.as_ref().unwrap().cache_write_tokens, Some(200));
    let price = spec("anthropic").price("claude-sonnet-4-5").unwrap();
    let want = (19.0 * 3.00 + 1357.0 * 0.30 + 200.0 * 3.75 + 23.0 * 15.00) / 1e6;
    assert!((cost_usd(&u, &price) - want).abs() < 1e-12, "{} vs {want}", cost_usd(&u, &price));
}

/// Every provider the caching suite covers prices cached input below input, so a cache hit is
/// cheaper in the report; Anthropic prices cache writes above it.
#[test]
fn cached_input_is_priced_below_input_where_providers_discount_it() {
    let catalog = Catalog::builtin();
    for name in ["openai", "azure-openai", "anthropic", "gemini", "deepseek"] {
        let s = catalog.get(name).unwrap();
        for (_, model) in s.models.iter() {
            let p = s.price(model).unwrap_or_else(|| panic!("{name}/{model} has a price"));
            let cached = p.cached_input.unwrap_or_else(|| panic!("{name}/{model} has a cached price"));
            assert!(cached < p.input, "{name}/{model}");
            let hit = Usage::new(1_000_000, 0, 1_000_000, 0);
            assert!((cost_usd(&hit, &p) - cached).abs() < 1e-9, "{name}/{model}: a full hit costs the cached rate");
            if s.family == WireFamily::Anthropic {
                assert!(p.cache_write.is_some_and(|w| w > p.input), "{name}/{model}");
            }
        }
    }
}
