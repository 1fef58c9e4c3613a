use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionDef,
}

pub(crate) fn function_type() -> String {
    "function".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON schema; absent means the function takes no arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl FunctionDef {
    /// The parameters schema, with the empty object schema standing in for "no parameters":
    /// several providers reject a function without one.
    pub fn parameters_or_empty(&self) -> Value {
        self.parameters.clone().unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
    /// Provider data that must go back with the call in the next request, in the field Gemini's
    /// OpenAI-compatible endpoint uses for it: `{"google": {"thought_signature": "..."}}`.
    /// Gemini 3 rejects a tool history whose calls lost their signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_content: Option<Value>,
}

impl ToolCall {
    pub fn new(id: impl Into<String>, name: impl Into<String>, arguments: impl Into<String>) -> Self {
        ToolCall {
            id: id.into(),
            kind: function_type(),
            function: FunctionCall { name: name.into(), arguments: arguments.into() },
            extra_content: None,
        }
    }

    /// The call with a Google thought signature carried along.
    pub fn with_thought_signature(mut self, signature: Option<String>) -> Self {
        if let Some(sig) = signature.filter(|s| !s.is_empty()) {
            self.extra_content = Some(google_signature(&sig));
        }
        self
    }

    /// The Google thought signature the call carries, if any.
    pub fn thought_signature(&self) -> Option<&str> {
        thought_signature_in(self.extra_content.as_ref())
    }
}

/// `{"google": {"thought_signature": sig}}`, the shape of Gemini's `extra_content`.
pub fn google_signature(sig: &str) -> Value {
    serde_json::json!({"google": {"thought_signature": sig}})
}

/// The thought signature inside an `extra_content` value.
pub fn thought_signature_in(extra: Option<&Value>) -> Option<&str> {
    extra?.get("google")?.get("thought_signature")?.as_str().filter(|s| !s.is_empty())
}

/// `{"anthropic": {"thinking_blocks": [...]}}`: the thinking (and redacted thinking) blocks of
/// the assistant turn that made the call, with their signatures, which Anthropic wants back
/// unchanged before the call's `tool_use` when the conversation goes on with its result.
/// Carried on the turn's first call, as Gemini's thought signature is.
pub fn anthropic_thinking(blocks: Vec<Value>) -> Value {
    serde_json::json!({"anthropic": {"thinking_blocks": blocks}})
}

/// The Anthropic thinking blocks inside an `extra_content` value.
pub fn anthropic_thinking_in(extra: Option<&Value>) -> &[Value] {
    extra
        .and_then(|e| e.get("anthropic"))
        .and_then(|a| a.get("thinking_blocks"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// Always a JSON object serialised as a string once normalised.
    #[serde(default)]
    pub arguments: String,
}

/// `tool_choice`: a mode string, or a named function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolChoiceMode),
    Named(NamedFunction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoiceMode {
    None,
    Auto,
    Required,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFunction {
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: NamedFunctionName,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFunctionName {
    pub name: String,
}

impl ToolChoice {
    /// The forced function's name, for a named choice.
    pub fn named(&self) -> Option<&str> {
        match self {
            ToolChoice::Named(n) => Some(&n.function.name),
            ToolChoice::Mode(_) => None,
        }
    }
}
