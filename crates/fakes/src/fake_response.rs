use serde_json::Value;

/// A native response a fake provider sends.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: FakeBody,
    pub delay_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FakeBody {
    Json(Value),
    Text {
        content_type: String,
        text: String,
    },
    /// Server-sent events, framed on the way out (`event:` line when named).
    Events(Vec<FakeEvent>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeEvent {
    pub event: Option<String>,
    pub data: String,
}

impl FakeEvent {
    /// A data-only event with a JSON payload.
    pub fn json(v: &Value) -> Self {
        FakeEvent { event: None, data: v.to_string() }
    }

    /// An event named after its payload's `type`, as Anthropic and Cohere send them.
    pub fn typed(v: &Value) -> Self {
        FakeEvent { event: v.get("type").and_then(Value::as_str).map(str::to_string), data: v.to_string() }
    }
}

impl FakeResponse {
    pub fn json(status: u16, body: Value) -> Self {
        FakeResponse { status, headers: Vec::new(), body: FakeBody::Json(body), delay_ms: 0 }
    }

    pub fn events(events: Vec<FakeEvent>) -> Self {
        FakeResponse { status: 200, headers: Vec::new(), body: FakeBody::Events(events), delay_ms: 0 }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The body bytes and content type as sent.
    pub fn render(&self) -> (Vec<u8>, String) {
        match &self.body {
            FakeBody::Json(v) => (serde_json::to_vec(v).unwrap_or_default(), "application/json".into()),
            FakeBody::Text { content_type, text } => (text.clone().into_bytes(), content_type.clone()),
            FakeBody::Events(events) => {
                let mut out = String::new();
                for e in events {
                    llm_conform_core::providers::sse::encode_event(e.event.as_deref(), &e.data, &mut out);
                }
                (out.into_bytes(), "text/event-stream".into())
            }
        }
    }
}
