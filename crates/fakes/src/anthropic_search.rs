//! Anthropic's web search tool as the fake answers it: whether the request offers the tool, the
//! result block listing the pages found, and the citations of the text that draws on them.
//! Shapes follow <https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool>:
//! `web_search_tool_result` content is a list of `web_search_result` (url, title,
//! `encrypted_content`, `page_age`), and a text block built on them carries `citations` of type
//! `web_search_result_location` (url, title, `encrypted_index`, `cited_text`). Usage counts the
//! searches in `server_tool_use.web_search_requests`.

use serde_json::{Value, json};

use super::fake_family::{ALNUM, fake_id};
use llm_conform_mock::MockCitation;

const SALT_ENCRYPTED: u64 = 300;

/// Whether the request offers the web search tool (any version of it).
pub(super) fn offered(body: &Value) -> bool {
    body.get("tools").and_then(Value::as_array).is_some_and(|tools| {
        tools.iter().any(|t| t.get("type").and_then(Value::as_str).is_some_and(|k| k.starts_with("web_search_")))
    })
}

/// The web search tool definition's first problem, in the API's words.
pub(super) fn check_tool(body: &Value) -> Result<(), String> {
    let tools = body.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, t) in tools.iter().enumerate() {
        let Some(kind) = t.get("type").and_then(Value::as_str).filter(|k| k.starts_with("web_search_")) else {
            continue;
        };
        if !matches!(kind, "web_search_20250305" | "web_search_20260209") {
            return Err(format!(
                "tools.{i}.type: Input tag '{kind}' found using 'type' does not match any of the expected tags"
            ));
        }
        if t.get("name").and_then(Value::as_str) != Some("web_search") {
            return Err(format!("tools.{i}.{kind}.name: Input should be 'web_search'"));
        }
        if t.get("max_uses").is_some_and(|m| m.as_u64().is_none_or(|n| n == 0)) {
            return Err(format!("tools.{i}.{kind}.max_uses: Input should be greater than 0"));
        }
    }
    Ok(())
}

/// An opaque, stable stand-in for the encrypted page content and citation index.
fn encrypted(seed: u64, n: usize) -> String {
    format!("Eq{}", fake_id(seed, SALT_ENCRYPTED + n as u64, 62, ALNUM))
}

/// The `web_search_result` entries a search returned: the cited pages.
pub(super) fn results(citations: &[MockCitation], seed: u64) -> Vec<Value> {
    citations
        .iter()
        .enumerate()
        .map(|(n, c)| {
            json!({"type": "web_search_result", "title": c.title, "url": c.url,
                "encrypted_content": encrypted(seed, n), "page_age": null})
        })
        .collect()
}

/// The `citations` of a text block drawing on the results.
pub(super) fn text_citations(citations: &[MockCitation], text: &str, seed: u64) -> Vec<Value> {
    citations
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let (start, end) = c.span_in(text);
            json!({"type": "web_search_result_location", "cited_text": &text[start..end], "url": c.url,
                "title": c.title, "encrypted_index": encrypted(seed, n + 100)})
        })
        .collect()
}
