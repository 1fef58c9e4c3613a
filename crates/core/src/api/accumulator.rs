use std::collections::HashMap;

use super::{
    ChatCompletion, ChatCompletionChunk, ErrorKind, FinishReason, ProviderError, ResponseMessage, ToolCall, Usage,
    normalize_response,
};

/// Distinct tool calls one streamed response may carry by default. Models emit a handful of
/// parallel calls; thousands are not a response but a flood.
pub const DEFAULT_MAX_TOOL_CALLS: usize = 1024;

/// Most annotations kept from one stream, whatever the decoders let through.
const MAX_ANNOTATIONS: usize = 1024;

/// Folds canonical chunks into the response the non-streaming call would have given.
///
/// This is the one reassembly rule for every family: text and reasoning concatenate, tool calls
/// are keyed by `index`, an id or name is taken from the first piece that carries a non-empty
/// one (continuations often repeat them empty), and the last usage seen wins (providers report
/// cumulative totals). Work is linear in the number of pieces, and the number of distinct calls
/// is capped, because indices come from the provider.
#[derive(Debug)]
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
    /// Provider index to position in `calls`.
    call_at: HashMap<u32, usize>,
    max_tool_calls: usize,
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

impl Default for StreamAccumulator {
    fn default() -> Self {
        Self::with_max_tool_calls(DEFAULT_MAX_TOOL_CALLS)
    }
}

impl StreamAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// An accumulator refusing more than `max` distinct tool-call indices.
    pub fn with_max_tool_calls(max: usize) -> Self {
        StreamAccumulator {
            id: String::new(),
            model: String::new(),
            created: 0,
            content: String::new(),
            saw_content: false,
            reasoning: String::new(),
            refusal: None,
            calls: Vec::new(),
            call_at: HashMap::new(),
            max_tool_calls: max,
            finish: None,
            usage: None,
            annotations: Vec::new(),
            chunks: 0,
        }
    }

    /// Folds one chunk in. A tool-call index beyond the cap is a `malformed_response` error;
    /// the chunk's other pieces have been taken by then, but the response should be dropped.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) -> Result<(), ProviderError> {
        self.chunks += 1;
        if self.id.is_empty() && !chunk.id.is_empty() {
            self.id = chunk.id.to_string();
        }
        if self.model.is_empty() && !chunk.model.is_empty() {
            self.model = chunk.model.to_string();
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
                let call = self.call(tc.index)?;
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
        Ok(())
    }

    /// The call with provider index `index`, started if new and the cap allows.
    fn call(&mut self, index: u32) -> Result<&mut PendingCall, ProviderError> {
        let pos = match self.call_at.get(&index) {
            Some(&p) => p,
            None => {
                if self.calls.len() >= self.max_tool_calls {
                    return Err(ProviderError::new(
                        ErrorKind::MalformedResponse,
                        format!(
                            "failed to reassemble stream: more than {} distinct tool calls (index {index})",
                            self.max_tool_calls
                        ),
                    ));
                }
                self.calls.push(PendingCall { index, ..Default::default() });
                self.call_at.insert(index, self.calls.len() - 1);
                self.calls.len() - 1
            }
        };
        Ok(&mut self.calls[pos])
    }

    pub fn chunk_count(&self) -> usize {
        self.chunks
    }

    /// Whether a finish reason arrived. Some OpenAI-compatible hosts end with `[DONE]` alone;
    /// the stream driver then adds the finish chunk so chunks and response agree.
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
