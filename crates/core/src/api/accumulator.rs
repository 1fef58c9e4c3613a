use super::{ChatCompletion, ChatCompletionChunk, FinishReason, ResponseMessage, ToolCall, Usage, normalize_response};

/// Most annotations kept from one stream, whatever the decoders let through.
const MAX_ANNOTATIONS: usize = 1024;

/// Folds canonical chunks into the response the non-streaming call would have given.
///
/// This is the one reassembly rule for every family: text and reasoning concatenate, tool calls
/// are keyed by `index`, an id or name is taken from the first piece that carries a non-empty
/// one (continuations often repeat them empty), and the last usage seen wins (providers report
/// cumulative totals).
#[derive(Debug, Default)]
pub struct StreamAccumulator {
    id: String,
    model: String,
    created: i64,
    content: String,
    saw_content: bool,
    reasoning: String,
    refusal: Option<String>,
    annotations: Vec<super::Annotation>,
    calls: Vec<PendingCall>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    chunks: usize,
}

#[derive(Debug, Default)]
struct PendingCall {
    index: u32,
    id: String,
    name: String,
    arguments: String,
    extra_content: Option<serde_json::Value>,
}

impl StreamAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, chunk: &ChatCompletionChunk) {
        self.chunks += 1;
        if self.id.is_empty() && !chunk.id.is_empty() {
            self.id = chunk.id.clone();
        }
        if self.model.is_empty() && !chunk.model.is_empty() {
            self.model = chunk.model.clone();
        }
        if self.created == 0 {
            self.created = chunk.created;
        }
        if let Some(u) = &chunk.usage {
            self.usage = Some(u.clone());
        }
        for choice in &chunk.choices {
            let d = &choice.delta;
            if let Some(c) = &d.content {
                self.saw_content = true;
                self.content.push_str(c);
            }
            if let Some(r) = &d.reasoning_content {
                self.reasoning.push_str(r);
            }
            if let Some(r) = &d.refusal {
                self.refusal.get_or_insert_with(String::new).push_str(r);
            }
            let room = MAX_ANNOTATIONS.saturating_sub(self.annotations.len());
            self.annotations.extend(d.annotations.iter().take(room).cloned());
            for tc in &d.tool_calls {
                let pos = match self.calls.iter().position(|c| c.index == tc.index) {
                    Some(p) => p,
                    None => {
                        self.calls.push(PendingCall { index: tc.index, ..Default::default() });
                        self.calls.len() - 1
                    }
                };
                let call = &mut self.calls[pos];
                if let Some(id) = tc.id.as_deref().filter(|s| !s.is_empty())
                    && call.id.is_empty()
                {
                    call.id = id.to_string();
                }
                if call.extra_content.is_none() {
                    call.extra_content.clone_from(&tc.extra_content);
                }
                if let Some(f) = &tc.function {
                    if let Some(name) = f.name.as_deref().filter(|s| !s.is_empty())
                        && call.name.is_empty()
                    {
                        call.name = name.to_string();
                    }
                    if let Some(a) = &f.arguments {
                        call.arguments.push_str(a);
                    }
                }
            }
            if let Some(f) = choice.finish_reason {
                self.finish = Some(f);
            }
        }
    }

    pub fn chunk_count(&self) -> usize {
        self.chunks
    }

    /// Whether a finish reason arrived; a stream without one was cut off.
    pub fn is_finished(&self) -> bool {
        self.finish.is_some()
    }

    pub fn finish(mut self) -> ChatCompletion {
        self.calls.sort_by_key(|c| c.index);
        let calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .map(|c| {
                let mut call = ToolCall::new(c.id, c.name, c.arguments);
                call.extra_content = c.extra_content;
                call
            })
            .collect();
        let mut message = ResponseMessage::assistant();
        message.content = self.saw_content.then_some(self.content).filter(|s| !s.is_empty());
        message.reasoning_content = Some(self.reasoning).filter(|s| !s.is_empty());
        message.refusal = self.refusal;
        message.annotations = (!self.annotations.is_empty()).then_some(self.annotations);
        message.tool_calls = (!calls.is_empty()).then_some(calls);
        let mut resp = ChatCompletion::single(
            self.id,
            self.model,
            self.created,
            message,
            self.finish.unwrap_or(FinishReason::Stop),
            self.usage,
        );
        normalize_response(&mut resp);
        resp
    }
}
