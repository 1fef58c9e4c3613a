use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SpecError;

/// How a provider (or one of its models) deviates from its wire family, as data.
///
/// The adapters read these to decide what to send, and the fake providers read the same table
/// to decide what to reject, so the two cannot drift apart. Every field is typed and checked when
/// the catalog (and any config override) loads; a misspelt value is a load error naming the
/// provider and the key. A field only matters to the families that mention it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// The tool-call ids the API accepts in a history (OpenAI family).
    pub tool_call_id: ToolCallIdFormat,
    /// How the API spells `tool_choice: "required"` (OpenAI family).
    pub tool_choice_required: RequiredChoice,
    /// Ask for a usage chunk on streams (`stream_options.include_usage`) even when the caller
    /// did not, so streamed cases are costed too (OpenAI family).
    pub stream_usage: bool,
    /// Which field carries the output cap (OpenAI family).
    pub max_tokens_param: MaxTokensParam,
    /// Whether the `developer` role is accepted; otherwise it is sent as `system` (OpenAI family).
    pub developer_role: bool,
    /// The first api-version that accepts `developer` (Azure OpenAI): with an older configured
    /// `api_version` the role is sent as `system` even when `developer_role` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer_role_since: Option<ApiVersion>,
    /// Output cap sent when the caller gave none, for APIs that require one (Anthropic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_max_tokens: Option<u32>,
    /// Where a system or developer message after the first turn goes (OpenAI family; the
    /// Anthropic and Gemini encoders always fold it into the user turn).
    pub late_system: LateSystem,
    /// Whether a user message may directly follow tool results. Older releases of Mistral's
    /// validator refused it; the current one accepts it, so no built-in provider sets this off.
    pub user_after_tool: bool,
    /// How a final assistant message (a prefill the model continues) is marked (OpenAI family).
    pub final_assistant: FinalAssistant,
    /// Request fields the API rejects; the encoder leaves them out (OpenAI family).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsupported_fields: Vec<String>,
    /// Request fields the API spells differently, canonical name to native name (OpenAI family).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub renamed_fields: BTreeMap<String, String>,
    /// Whether every function needs a `parameters` schema (Mistral): the empty object schema
    /// is sent for a function without one.
    pub tool_parameters_required: bool,
    /// What `response_format: json_schema` becomes (OpenAI family).
    pub json_schema: JsonSchemaSupport,
    /// Whether `tool_choice` is accepted at all (Cohere models before Command R7B: no).
    pub tool_choice: bool,
    /// Whether `temperature` and `top_p` may not be sent together (newer Claude models).
    pub exclusive_sampling: bool,
    /// Whether JSON-schema output is native (`output_config.format`) instead of a forced tool
    /// (Anthropic).
    pub output_format: bool,
    /// Whether schemas go as full JSON Schema in `parametersJsonSchema` / `responseJsonSchema`
    /// instead of the reduced OpenAPI subset (Gemini).
    pub json_schema_fields: bool,
    /// Whether function calls and responses carry their ids back to the API (Gemini 3).
    pub function_call_ids: bool,
    /// Whether the API rejects a history whose current-turn function call lost its thought
    /// signature (Gemini 3); the adapter always sends signatures back, the fakes enforce this.
    pub thought_signatures_required: bool,
    /// Whether tool calls in a history keep their `extra_content` (Gemini's OpenAI-compatible
    /// endpoint carries thought signatures there); other APIs do not know the field.
    pub tool_call_extra_content: bool,
    /// Whether the model takes image input. An image for a model without it is refused as
    /// `unsupported` before anything is sent, so a router can pick a model that sees.
    pub vision: bool,
    /// How the model reasons, and so what a request may ask of it.
    pub reasoning: Reasoning,
    /// Whether assistant messages of a history keep their `reasoning_content` (OpenAI family):
    /// DeepSeek's thinking mode wants it back on tool-call turns; APIs that do not know the field
    /// get the history without it.
    pub reasoning_history: bool,
    /// Whether content parts may carry `prompt_cache_breakpoint` (OpenAI family). Where not, the
    /// marker is left out: those APIs cache prompt prefixes on their own.
    pub cache_breakpoints: bool,
    /// Whether the end of the leading system prompt becomes a cache breakpoint when the request
    /// marks none (Anthropic), so a long shared system prompt is cached without the caller
    /// knowing `cache_control`.
    pub cache_system_prompt: bool,
    /// The shortest prompt prefix, in tokens, the provider caches for the model; none where it
    /// reports no cached tokens. The fake providers cache by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_min_tokens: Option<u32>,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            tool_call_id: ToolCallIdFormat::Any,
            tool_choice_required: RequiredChoice::Required,
            stream_usage: false,
            max_tokens_param: MaxTokensParam::MaxTokens,
            developer_role: false,
            developer_role_since: None,
            default_max_tokens: None,
            late_system: LateSystem::InPlace,
            user_after_tool: true,
            final_assistant: FinalAssistant::AsIs,
            unsupported_fields: Vec::new(),
            renamed_fields: BTreeMap::new(),
            tool_parameters_required: false,
            json_schema: JsonSchemaSupport::Native,
            tool_choice: true,
            exclusive_sampling: false,
            output_format: false,
            json_schema_fields: false,
            function_call_ids: false,
            thought_signatures_required: false,
            tool_call_extra_content: false,
            vision: true,
            reasoning: Reasoning::OnRequest,
            reasoning_history: false,
            cache_breakpoints: false,
            cache_system_prompt: false,
            prompt_cache_min_tokens: None,
        }
    }
}

impl Quirks {
    /// Whether the API rejects `field` in a request body, removed or renamed.
    pub fn rejects_field(&self, field: &str) -> bool {
        self.unsupported_fields.iter().any(|f| f == field) || self.renamed_fields.contains_key(field)
    }

    /// Whether `developer` is accepted under `api_version` (the provider's configured one).
    pub fn accepts_developer(&self, api_version: Option<&str>) -> bool {
        match (&self.developer_role_since, api_version.map(ApiVersion::parse)) {
            _ if !self.developer_role => false,
            (Some(since), Some(Ok(v))) => v >= *since,
            // Without a version to compare the newest API is assumed; an unreadable one is older.
            (Some(_), Some(Err(_))) => false,
            _ => true,
        }
    }
}

/// The tool-call ids an API accepts in a history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallIdFormat {
    /// Whatever the caller sent.
    #[default]
    Any,
    /// Exactly nine letters and digits (Mistral): other ids are rewritten, the same way on a
    /// call and on its result.
    Alnum9,
}

impl ToolCallIdFormat {
    pub fn accepts(self, id: &str) -> bool {
        match self {
            ToolCallIdFormat::Any => true,
            ToolCallIdFormat::Alnum9 => id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
        }
    }
}

/// The spelling of "a tool call is required".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredChoice {
    #[default]
    Required,
    /// Mistral's `any`.
    Any,
}

impl RequiredChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            RequiredChoice::Required => "required",
            RequiredChoice::Any => "any",
        }
    }
}

/// The request field that carries the output cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensParam {
    #[default]
    MaxTokens,
    MaxCompletionTokens,
}

impl MaxTokensParam {
    pub fn as_str(self) -> &'static str {
        match self {
            MaxTokensParam::MaxTokens => "max_tokens",
            MaxTokensParam::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// Where a system message that follows the conversation's first turn is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateSystem {
    /// As a system message where it stands.
    #[default]
    InPlace,
    /// As user content `<system>…</system>` where it stands (Mistral rejects a system message
    /// after an assistant or tool message). Hoisting it to the top would make it apply from the
    /// first turn instead of from where it was said.
    UserTurn,
}

/// How a final assistant message, which the model is to continue, is marked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalAssistant {
    /// Sent as it is.
    #[default]
    AsIs,
    /// With `prefix: true` (Mistral): without it the API rejects a conversation that does not
    /// end on a user or tool message.
    Prefix,
}

/// What `response_format: {"type": "json_schema"}` becomes where the API lacks it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonSchemaSupport {
    /// Sent as it is.
    #[default]
    Native,
    /// `json_object`, with the schema given to the model in a system message (DeepSeek, most
    /// Groq models): JSON is still guaranteed, schema conformance is the model's best effort.
    JsonObject,
    /// Refused with an `unsupported` error before anything is sent.
    Unsupported,
}

/// How a model reasons before it answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reasoning {
    /// When the request turns it on in the API's own terms (Anthropic `thinking`, Gemini
    /// `thinkingConfig`, DeepSeek `thinking`); the reasoning comes back then.
    #[default]
    OnRequest,
    /// Never: `reasoning_effort` is left out, as such models reject it (OpenAI family).
    None,
    /// Always, and it cannot be turned off (DeepSeek's reasoner, Magistral, Gemini 2.5 Pro).
    Always,
    /// Always, but only a count comes back, never the text (OpenAI's o-series and GPT-5). Such
    /// models take `reasoning_effort` and only the default sampling: `temperature` and `top_p`
    /// are left out (OpenAI family).
    Hidden,
}

impl Reasoning {
    /// Whether the model may return reasoning text at all.
    pub fn shows_reasoning(self) -> bool {
        matches!(self, Reasoning::OnRequest | Reasoning::Always)
    }
}

/// An Azure-style api-version, `YYYY-MM-DD` with an optional `-preview` suffix. Versions order
/// by date; on the same date the preview comes before the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    text: String,
}

impl ApiVersion {
    pub fn parse(s: &str) -> Result<ApiVersion, SpecError> {
        let date = s.get(..10).unwrap_or_default();
        let rest = s.get(10..).unwrap_or_default();
        let digits =
            date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if date.len() != 10 || !digits || !(rest.is_empty() || rest.starts_with('-')) {
            return Err(SpecError::ApiVersion(s.to_string()));
        }
        Ok(ApiVersion { text: s.to_string() })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn date(&self) -> &str {
        &self.text[..10]
    }

    fn is_release(&self) -> bool {
        self.text.len() == 10
    }
}

impl PartialOrd for ApiVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ApiVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.date(), self.is_release(), &self.text).cmp(&(other.date(), other.is_release(), &other.text))
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ApiVersion::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_order_by_date_then_release() {
        let v = |s: &str| ApiVersion::parse(s).unwrap();
        assert!(v("2024-10-21") < v("2024-12-01-preview"));
        assert!(v("2024-12-01-preview") < v("2024-12-01"));
        assert!(v("2025-04-01-preview") > v("2024-12-01-preview"));
        assert!(ApiVersion::parse("2024-1-21").is_err());
        assert!(ApiVersion::parse("latest").is_err());
        assert!(ApiVersion::parse("2024-10-21x").is_err());
    }

    #[test]
    fn developer_role_follows_the_api_version() {
        let q = Quirks {
            developer_role: true,
            developer_role_since: Some(ApiVersion::parse("2024-12-01-preview").unwrap()),
            ..Quirks::default()
        };
        assert!(!q.accepts_developer(Some("2024-10-21")));
        assert!(q.accepts_developer(Some("2025-04-01-preview")));
        assert!(q.accepts_developer(None));
        assert!(!q.accepts_developer(Some("garbage")));
        assert!(!Quirks::default().accepts_developer(None));
    }

    #[test]
    fn alnum9_ids() {
        assert!(ToolCallIdFormat::Alnum9.accepts("gSIMJiOkT"));
        assert!(!ToolCallIdFormat::Alnum9.accepts("call_abc"));
        assert!(ToolCallIdFormat::Any.accepts("call_abc"));
    }
}
