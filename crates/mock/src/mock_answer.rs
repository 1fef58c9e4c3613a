use serde::{Deserialize, Serialize};

use llm_conform_core::api::{ErrorKind, FinishReason};

/// What a fake provider answers for a scenario, in provider-neutral terms; each family's fake
/// renders it in its native wire format. Used to synthesize fixtures and in self-tests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockAnswer {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub tool_calls: Vec<MockToolCall>,
    /// Tools the provider ran itself (Anthropic's web search, an MCP server), answered before
    /// the text; the families without such tools leave them out.
    #[serde(default)]
    pub server_tools: Vec<MockToolCall>,
    /// Web sources the answer cites when the request turned on the provider's search (Gemini's
    /// `google_search` grounding, Anthropic's web search tool); without it there is nothing to
    /// cite and the fakes send none.
    #[serde(default)]
    pub citations: Vec<MockCitation>,
    /// Whether the fake counts the prompt from the request and caches its prefix as the provider
    /// does (a repeat of the same prefix reads it back), instead of taking `usage.prompt`.
    #[serde(default)]
    pub prompt_cache: bool,
    #[serde(default)]
    pub finish: Option<FinishReason>,
    /// The provider's own finish reason (`MODEL_ARMOR`, `pause_turn`), sent as it is by the
    /// family whose word it is, in place of its spelling of `finish`.
    #[serde(default)]
    pub native_finish: Option<String>,
    #[serde(default)]
    pub usage: Option<MockUsage>,
    #[serde(default)]
    pub error: Option<MockError>,
    #[serde(default)]
    pub fault: Option<Fault>,
    /// Delay before the response starts, in milliseconds.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockToolCall {
    pub name: String,
    /// The arguments object; absent means the model sent none.
    #[serde(default)]
    pub arguments: Option<serde_json::Value>,
    /// Arguments exactly as sent, for malformed or empty-string cases; wins over `arguments`.
    #[serde(default)]
    pub arguments_raw: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockUsage {
    pub prompt: u64,
    pub completion: u64,
    #[serde(default)]
    pub cached: u64,
    /// The part of `prompt` that is tool results fed back to the model (Gemini reports it apart,
    /// as `toolUsePromptTokenCount`).
    #[serde(default)]
    pub tool_prompt: u64,
    /// The part of `prompt` written to the cache (Anthropic reports it apart, as
    /// `cache_creation_input_tokens`).
    #[serde(default)]
    pub cache_write: u64,
}

/// A web source an answer cites, and the words of the answer it supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockCitation {
    pub url: String,
    pub title: String,
    /// The part of the answer text the source supports; the whole text when absent or not in it.
    #[serde(default)]
    pub cited_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockError {
    pub kind: ErrorKind,
    /// HTTP status; each family's usual one for the kind when absent.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub retry_after_s: Option<f64>,
}

/// Transport-level misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The stream stops half-way, without its end marker.
    CutStream,
    /// A 500 with an HTML page from a proxy.
    #[serde(rename = "html_500")]
    Html500,
    /// A 502 with an HTML page from a proxy.
    #[serde(rename = "html_502")]
    Html502,
    /// No answer within the case's deadline.
    Timeout,
    /// A 200 whose body is not JSON.
    NotJson,
}

impl MockAnswer {
    /// Usage as the fake reports it: given, or estimated from the text (four characters a token).
    pub fn usage_or_estimate(&self) -> MockUsage {
        self.usage.unwrap_or_else(|| {
            let out = self.text.as_deref().map_or(0, str::len) + self.reasoning.as_deref().map_or(0, str::len);
            let calls: usize = self.tool_calls.iter().map(|c| c.name.len() + 16).sum();
            MockUsage {
                prompt: 24,
                completion: ((out + calls) as u64).div_ceil(4).max(1),
                cached: 0,
                tool_prompt: 0,
                cache_write: 0,
            }
        })
    }

    /// The finish reason the mock implies.
    pub fn finish_or_default(&self) -> FinishReason {
        self.finish.unwrap_or(if self.tool_calls.is_empty() { FinishReason::Stop } else { FinishReason::ToolCalls })
    }
}

impl MockCitation {
    /// Where the cited words sit in `text`, in bytes: their first occurrence, else all of it.
    pub fn span_in(&self, text: &str) -> (usize, usize) {
        match self.cited_text.as_deref().filter(|c| !c.is_empty()).and_then(|c| text.find(c).map(|at| (at, c.len()))) {
            Some((at, len)) => (at, at + len),
            None => (0, text.len()),
        }
    }
}

impl MockToolCall {
    /// The arguments string as the provider would send it.
    pub fn arguments_string(&self) -> String {
        match (&self.arguments_raw, &self.arguments) {
            (Some(raw), _) => raw.clone(),
            (None, Some(v)) => v.to_string(),
            (None, None) => String::new(),
        }
    }
}
