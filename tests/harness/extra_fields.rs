//! Provider-specific features pass through as per-provider `extra_headers` / `extra_body` from
//! config, never as special cases: Anthropic extended thinking, Gemini grounding.

use llm_conform::config::Config;
use llm_conform_core::api::ChatRequest;

fn request() -> ChatRequest {
    serde_json::from_value(serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}]})).unwrap()
}

#[test]
fn extra_body_and_headers_from_config_reach_the_native_request() {
    let cfg = Config::parse(
        r#"
[providers.anthropic]
extra_headers = { "anthropic-beta" = "interleaved-thinking-2025-05-14" }
extra_body = { thinking = { type = "enabled", budget_tokens = 2048 } }
[providers.gemini]
extra_body = { tools = [{ google_search = {} }] }
"#,
        "llm-conform.toml",
    )
    .unwrap();
    let catalog = cfg.catalog().unwrap();
    let a = catalog.get("anthropic").unwrap();
    let n = a.family.adapter().encode(&request(), a, Some("test-key-not-real")).unwrap();
    assert_eq!(n.body["thinking"]["budget_tokens"], 2048);
    assert_eq!(n.header_value("anthropic-beta"), Some("interleaved-thinking-2025-05-14"));
    assert_eq!(n.header_value("anthropic-version"), Some("2023-06-01"), "fixed headers stay");

    let g = catalog.get("gemini").unwrap();
    let n = g.family.adapter().encode(&request(), g, Some("test-key-not-real")).unwrap();
    let tools = n.body["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2, "grounding joins the function declarations: {tools:?}");
    assert!(tools[0].get("functionDeclarations").is_some());
    assert!(tools[1].get("google_search").is_some());
}
