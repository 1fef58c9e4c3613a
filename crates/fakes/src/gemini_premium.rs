//! What the fake Gemini API makes of thinking, search grounding and images.
//!
//! - Thinking: thought parts come back only when `thinkingConfig.includeThoughts` is true (the
//!   model may think either way, and counts it in `thoughtsTokenCount`); a `thinkingBudget` of 0
//!   is refused where the catalog says the model always thinks ("Budget 0 is invalid. This model
//!   only works in thinking mode."). See <https://ai.google.dev/gemini-api/docs/thinking>.
//! - Grounding: with a `google_search` tool, the candidate carries `groundingMetadata`: the
//!   queries run (the mock's `web_search` server tools), a `searchEntryPoint`, one
//!   `groundingChunks[].web` per cited page and one `groundingSupports[]` per citation over the
//!   byte span of the text it supports. See
//!   <https://ai.google.dev/gemini-api/docs/google-search#understanding-the-grounding-response>.
//! - Images: `inlineData` needs a `mimeType` and data, `fileData` a `fileUri`; a model without
//!   vision in the catalog refuses image parts.

use serde_json::{Value, json};

use llm_conform_core::providers::{Quirks, Reasoning};
use llm_conform_mock::MockAnswer;

/// A field under its camelCase or its snake_case name; the API takes both.
fn field<'a>(obj: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    obj.get(camel).or_else(|| obj.get(snake))
}

fn thinking_config(body: &Value) -> Option<&Value> {
    field(body, "generationConfig", "generation_config").and_then(|c| field(c, "thinkingConfig", "thinking_config"))
}

/// Whether the request asks for thought summaries in the answer.
pub(super) fn include_thoughts(body: &Value) -> bool {
    thinking_config(body).and_then(|t| field(t, "includeThoughts", "include_thoughts")).and_then(Value::as_bool)
        == Some(true)
}

/// Whether the request offers Google Search grounding.
pub(super) fn grounded(body: &Value) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| tools.iter().any(|t| field(t, "googleSearch", "google_search").is_some()))
}

/// The first thinking or image rule the request breaks, in the API's words.
pub(super) fn check(body: &Value, q: &Quirks) -> Result<(), String> {
    let budget = thinking_config(body).and_then(|t| field(t, "thinkingBudget", "thinking_budget"));
    if q.reasoning == Reasoning::Always && budget.and_then(Value::as_i64) == Some(0) {
        return Err("Budget 0 is invalid. This model only works in thinking mode.".into());
    }
    let contents = body.get("contents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, content) in contents.iter().enumerate() {
        for (j, part) in content.get("parts").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let at = format!("contents[{i}].parts[{j}]");
            if let Some(inline) = field(part, "inlineData", "inline_data") {
                let mime = field(inline, "mimeType", "mime_type").and_then(Value::as_str).unwrap_or_default();
                if mime.is_empty() || inline.get("data").and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(format!(
                        "* GenerateContentRequest.{at}.inline_data: mime_type and data are required\n"
                    ));
                }
                if mime.starts_with("image/") && !q.vision {
                    return Err(format!("Image input modality is not enabled for this model ({at})."));
                }
            }
            if let Some(file) = field(part, "fileData", "file_data") {
                if field(file, "fileUri", "file_uri").and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(format!("* GenerateContentRequest.{at}.file_data.file_uri: file_uri is required\n"));
                }
                if !q.vision {
                    return Err(format!("Image input modality is not enabled for this model ({at})."));
                }
            }
        }
    }
    Ok(())
}

/// The candidate's `groundingMetadata` for `text`, citing the mock's pages.
pub(super) fn grounding_metadata(mock: &MockAnswer, text: &str) -> Value {
    let queries: Vec<Value> = mock
        .server_tools
        .iter()
        .filter(|t| t.name == "web_search")
        .filter_map(|t| t.arguments.as_ref().and_then(|a| a.get("query")).cloned())
        .collect();
    let chunks: Vec<Value> = mock.citations.iter().map(|c| json!({"web": {"uri": c.url, "title": c.title}})).collect();
    let supports: Vec<Value> = mock
        .citations
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let (start, end) = c.span_in(text);
            let mut segment = json!({"endIndex": end, "text": &text[start..end]});
            if start > 0 {
                segment["startIndex"] = json!(start);
            }
            json!({"segment": segment, "groundingChunkIndices": [n]})
        })
        .collect();
    let rendered = "<style>\n.container { display: flex; }\n</style>\n<div class=\"container\">\
                    <div class=\"chip\">synthesized search suggestion</div></div>\n";
    json!({
        "searchEntryPoint": {"renderedContent": rendered},
        "groundingChunks": chunks,
        "groundingSupports": supports,
        "webSearchQueries": queries,
    })
}
