//! A whole response as OpenAI stream chunks, for a provider that answered a stream request with
//! one body: the client asked for a stream and gets one.

use std::sync::Arc;

use llm_conform_core::api::{ChatCompletion, ChatCompletionChunk, Delta, ToolCallDelta};

pub fn chunks_of(resp: &ChatCompletion) -> Vec<ChatCompletionChunk> {
    let mut out = Vec::new();
    let Some(choice) = resp.choices.first() else { return out };
    let m = &choice.message;
    let delta = Delta {
        role: Some("assistant".into()),
        content: m.content.clone(),
        reasoning_content: m.reasoning_content.clone(),
        refusal: m.refusal.clone(),
        tool_calls: m
            .calls()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut piece = ToolCallDelta::start(i as u32, &c.id, &c.function.name, &c.function.arguments);
                piece.extra_content = c.extra_content.clone();
                piece
            })
            .collect(),
        annotations: m.annotations.clone().unwrap_or_default(),
    };
    let (id, model) = (Arc::<str>::from(resp.id.as_str()), Arc::<str>::from(resp.model.as_str()));
    out.push(ChatCompletionChunk::delta(id.clone(), model.clone(), resp.created, delta, None));
    out.push(ChatCompletionChunk::delta(
        id.clone(),
        model.clone(),
        resp.created,
        Delta::default(),
        Some(choice.finish_reason),
    ));
    if let Some(u) = &resp.usage {
        out.push(ChatCompletionChunk::usage(id, model, resp.created, u.clone()));
    }
    out
}
