//! Anthropic prompt caching: where `cache_control` breakpoints go.
//!
//! Anthropic caches nothing unless a block says `cache_control: {"type": "ephemeral"}`, and then
//! the whole prefix up to that block (tools, system, messages, in that order). The canonical
//! request marks such a place with OpenAI's `prompt_cache_breakpoint` on a content part; the
//! encoder puts `cache_control` on the block that part became. Where the request marks nothing
//! and the catalog says `cache_system_prompt`, the end of the leading system prompt is marked.
//! At most four breakpoints are allowed: beyond that the earliest are left out, with a note.
//! See <https://docs.claude.com/en/docs/build-with-claude/prompt-caching>.

use serde_json::{Map, Value, json};

/// The most blocks with `cache_control` one request may carry.
const MAX_BREAKPOINTS: usize = 4;

/// Puts a five-minute cache breakpoint on `block`.
pub(super) fn mark(block: &mut Value) {
    if let Value::Object(b) = block {
        b.insert("cache_control".into(), json!({"type": "ephemeral"}));
    }
}

/// Marks the last system block when nothing is marked and the catalog asks for it, then keeps
/// the last four breakpoints. Returns a note when some were left out.
pub(super) fn settle(body: &mut Map<String, Value>, cache_system_prompt: bool) -> Option<String> {
    let mut marked = marked_blocks(body);
    if marked.is_empty() && cache_system_prompt {
        if let Some(last) = body.get_mut("system").and_then(Value::as_array_mut).and_then(|s| s.last_mut()) {
            mark(last);
        }
        return None;
    }
    let excess = marked.len().saturating_sub(MAX_BREAKPOINTS);
    for pointer in marked.drain(..excess) {
        if let Some(Value::Object(b)) = lookup(body, &pointer) {
            b.remove("cache_control");
        }
    }
    (excess > 0).then(|| {
        format!(
            "left out the first {excess} prompt cache breakpoint(s): anthropic takes at most {MAX_BREAKPOINTS}, \
             the last ones were kept"
        )
    })
}

/// Where the marked blocks are, in prefix order: system blocks, then message blocks.
fn marked_blocks(body: &Map<String, Value>) -> Vec<(Option<usize>, usize)> {
    let has_mark = |b: &Value| b.get("cache_control").is_some();
    let mut out = Vec::new();
    for (j, b) in body.get("system").and_then(Value::as_array).into_iter().flatten().enumerate() {
        if has_mark(b) {
            out.push((None, j));
        }
    }
    for (i, m) in body.get("messages").and_then(Value::as_array).into_iter().flatten().enumerate() {
        for (j, b) in m.get("content").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if has_mark(b) {
                out.push((Some(i), j));
            }
        }
    }
    out
}

fn lookup<'a>(body: &'a mut Map<String, Value>, at: &(Option<usize>, usize)) -> Option<&'a mut Value> {
    match at {
        (None, j) => body.get_mut("system")?.get_mut(*j),
        (Some(i), j) => body.get_mut("messages")?.get_mut(*i)?.get_mut("content")?.get_mut(*j),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(body: &Map<String, Value>) -> Vec<(Option<usize>, usize)> {
        marked_blocks(body)
    }

    #[test]
    fn the_system_prompt_is_marked_only_when_asked_and_nothing_else_is() {
        let mut body = json!({"system": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}]});
        let b = body.as_object_mut().unwrap();
        assert_eq!(settle(b, false), None);
        assert!(marks(b).is_empty());
        assert_eq!(settle(b, true), None);
        assert_eq!(marks(b), vec![(None, 1)]);
        let mut body = json!({"system": [{"type": "text", "text": "a"}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "q", "cache_control": {"type": "ephemeral"}}]}]});
        let b = body.as_object_mut().unwrap();
        settle(b, true);
        assert_eq!(marks(b), vec![(Some(0), 0)], "the caller's breakpoint stands alone");
    }

    #[test]
    fn only_the_last_four_breakpoints_are_kept() {
        let block = json!({"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}});
        let mut body = json!({"system": [block.clone(), block.clone()],
            "messages": [{"role": "user", "content": [block.clone(), block.clone(), block.clone()]}]});
        let b = body.as_object_mut().unwrap();
        let note = settle(b, false).unwrap();
        assert!(note.contains("first 1"), "{note}");
        assert_eq!(marks(b), vec![(None, 1), (Some(0), 0), (Some(0), 1), (Some(0), 2)]);
    }
}
