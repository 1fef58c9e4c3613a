//! Anthropic web-search citations as the canonical `annotations`.
//!
//! A text block of an answer grounded by web search carries `citations`, each a
//! `web_search_result_location` naming the page (url, title) and the text it supports. Each one
//! becomes a `url_citation` over the characters of `content` that the text block contributed,
//! so both families' citations are found in one place (OpenAI's). Citations of documents (no
//! url) carry nothing a url citation can hold and are left out.
//! See <https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool#citations>.

use serde_json::Value;

use crate::api::Annotation;

/// Most citations kept per text block, and per message; more is not citation but abuse.
const MAX_PER_BLOCK: usize = 64;
pub(super) const MAX_PER_MESSAGE: usize = 256;

/// The url citations of one text block spanning characters `start..end` of the content.
pub(super) fn url_citations(citations: &[Value], start: u64, end: u64) -> Vec<Annotation> {
    citations
        .iter()
        .filter_map(|c| {
            let url = c.get("url").and_then(Value::as_str).filter(|u| !u.is_empty())?;
            let title = c.get("title").and_then(Value::as_str).unwrap_or_default();
            Some(Annotation::url_citation(url, title, start, end))
        })
        .take(MAX_PER_BLOCK)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn web_results_become_url_citations_over_the_block() {
        let c = [
            json!({"type": "web_search_result_location", "url": "https://a.example", "title": "A", "cited_text": "x", "encrypted_index": "E"}),
            json!({"type": "char_location", "cited_text": "y", "document_index": 0}),
        ];
        let a = url_citations(&c, 4, 10);
        assert_eq!(a, vec![Annotation::url_citation("https://a.example", "A", 4, 10)]);
    }
}
