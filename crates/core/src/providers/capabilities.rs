//! What a model can take at all, checked before encoding for every family: a request a model
//! cannot serve is refused as `unsupported` (another candidate may serve it) rather than sent
//! to be rejected, or worse, quietly answered without the part it could not see.

use super::{EncodeError, ProviderSpec};
use crate::api::{ChatRequest, Role};

/// Refuses images for a model whose quirks say it has no vision, naming the first message with
/// one.
pub(crate) fn check_vision(req: &ChatRequest, spec: &ProviderSpec) -> Result<(), EncodeError> {
    if spec.quirks_for(&req.model).vision {
        return Ok(());
    }
    match req.messages.iter().position(|m| m.content.as_ref().is_some_and(|c| c.has_image())) {
        Some(i) => Err(EncodeError::unsupported(
            spec,
            format!("message {i}: {} model {} takes no image input", spec.name, req.model),
        )),
        None => Ok(()),
    }
}

/// Refuses images in tool results, for APIs whose tool results are text only (OpenAI's chat
/// completions, Gemini's function responses): dropping the image would answer without it.
pub(crate) fn check_text_only_tool_results(req: &ChatRequest, spec: &ProviderSpec) -> Result<(), EncodeError> {
    let with_image =
        req.messages.iter().position(|m| m.role == Role::Tool && m.content.as_ref().is_some_and(|c| c.has_image()));
    match with_image {
        Some(i) => Err(EncodeError::unsupported(
            spec,
            format!("message {i}: {} takes only text in tool results; send the image in a user message", spec.name),
        )),
        None => Ok(()),
    }
}
