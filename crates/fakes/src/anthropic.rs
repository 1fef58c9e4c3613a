//! Fake Anthropic Messages (`POST /v1/messages`), modelled on the recorded payloads in
//! `tests/provider-samples/anthropic/` and Anthropic's error reference.
//!
//! Rendering decisions:
//! - Ids: `msg_01` and `toolu_01` followed by 22 letters and digits, `req_011C` followed by 20 for
//!   the `request_id` of errors (also sent as the `request-id` header, on every answer).
//! - Content blocks come in the order a model writes them: `thinking` (the mock's reasoning,
//!   with a seed-derived base64 `signature`, only when the request turns thinking on), the mock's
//!   server tools (each a `server_tool_use`
//!   and its `<name>_tool_result`, or for a tool named `mcp:<server>/<tool>` an `mcp_tool_use`
//!   and its `mcp_tool_result`, streamed with `input_json_delta` as the genuine recordings),
//!   `text` (when the mock has non-empty text), then one `tool_use` per call. A mock with
//!   nothing at all has `content: []`, as a refusal does. A mock's `native_finish` is sent as the
//!   `stop_reason` (`pause_turn`).
//! - JSON mode: when the request forces `tool_choice {"type":"tool","name":"json"}` (how the
//!   adapter asks for JSON output) and the mock text parses as a JSON object, the text is sent as
//!   the input of a `tool_use` block named `json` with `stop_reason: "tool_use"`, as the real
//!   model answers. Text that is not a JSON object stays a text block.
//! - Tool input: `arguments` is the `input` object; no arguments is `{}`. `arguments_raw` is
//!   streamed byte for byte; whole, it is sent parsed when it is a JSON object and as `{}`
//!   otherwise (the real API's `input` is always an object, e.g. after a cut at `max_tokens`).
//! - `stop_reason`: stop -> `end_turn`, length -> `max_tokens`, tool_calls -> `tool_use`,
//!   content_filter -> `refusal`. When the request has `stop_sequences` and the mock text
//!   contains one, the text is cut before the first occurrence and the answer ends with
//!   `stop_reason: "stop_sequence"` and `stop_sequence` naming it, as the API never returns the
//!   sequence itself; otherwise `stop_sequence` is `null`. Refusals carry no `stop_details`.
//! - Web search: when the request offers a `web_search_*` tool, a `web_search` server tool's
//!   result lists the mock's cited pages and the text block carries `citations`
//!   (`web_search_result_location`), streamed as `citations_delta` after the text
//!   (`anthropic_search.rs`); usage counts the searches in `server_tool_use`.
//! - Usage: `input_tokens` is the mock's prompt minus its cached and written tokens (Anthropic
//!   counts cache reads and writes apart), `cache_read_input_tokens` the cached tokens,
//!   `cache_creation_input_tokens` the written ones (both from the prompt cache of
//!   `prompt_cache.rs` for mocks that ask for it), and `service_tier` is `standard`.
//! - Streams are named events (`event:` = payload `type`): `message_start` (usage with
//!   `output_tokens: 1`), then per block `content_block_start`, deltas (`thinking_delta` and a
//!   `signature_delta`, `text_delta`, or an empty `input_json_delta` followed by the argument
//!   pieces), `content_block_stop`, with a `ping` after the first block start, then
//!   `message_delta` (stop reason and cumulative usage) and `message_stop`. No `[DONE]`.
//!   Streamed tool input is written with `", "` and `": "` separators, as the API streams it.
//! - Errors are `{"type":"error","error":{"type","message"},"request_id"}`: 400
//!   `invalid_request_error` (also context length, "prompt is too long: ...", and an exhausted
//!   credit balance, which Anthropic reports as a 400), 401 `authentication_error`, 403
//!   `permission_error`, 404 `not_found_error` ("model: X"), 413 `request_too_large` (whenever
//!   the mock's status is 413), 429 `rate_limit_error` with `retry-after` (whole seconds, rounded
//!   up; 20 when the mock gives none: Anthropic always sends one) and `anthropic-ratelimit-*`
//!   headers, 500 `api_error`, 504 `timeout_error`, 529 `overloaded_error`. Content filtering is
//!   the 400 "Output blocked by content filtering policy"; kinds with no Anthropic error of their
//!   own (unsupported, connection) are a 400 `invalid_request_error` and a 502 `api_error`.
//! - Validation rejects, with a 400 `invalid_request_error` and the API's own wording: a missing
//!   `model`, `messages` or `max_tokens`; a role other than user/assistant (with the API's hint
//!   for `system`); empty content except in a final assistant turn; empty or whitespace-only text
//!   blocks (in `messages` and in `system`); a final assistant turn ending in whitespace;
//!   `tool_use` ids and `tool_use_id`s outside `^[a-zA-Z0-9_-]+$`; `tool_use`/`tool_result`
//!   blocks without `tools`; a `tool_result` whose id is not a `tool_use` of the immediately
//!   preceding assistant turn; `tool_use` blocks not answered in the next turn; image sources
//!   with a media type the API does not take; a malformed web search tool; and extended
//!   thinking's rules (`anthropic_thinking.rs`: budget, sampling, forced tool use, the signed
//!   thinking block a tool turn must open with). By the model's catalog quirks: images where the
//!   model has no `vision`, `temperature` with `top_p` where `exclusive_sampling` ("cannot both
//!   be specified for this model"), and `output_config.format` where the model has no
//!   `output_format` or the schema leaves an object open (`additionalProperties` not `false`).

use chrono::{DateTime, SecondsFormat};
use serde_json::{Value, json};

use super::fake_family::{ALNUM, argument_pieces, fake_id, text_pieces};
use super::{FakeCtx, FakeEvent, FakeFamily, FakeResponse};
use llm_conform_core::api::{ErrorKind, FinishReason};
use llm_conform_mock::{MockAnswer, MockCitation, MockError, MockToolCall, MockUsage};

/// The tool the adapter forces to obtain JSON output.
const JSON_TOOL: &str = "json";

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const SALT_MESSAGE_ID: u64 = 1;
const SALT_REQUEST_ID: u64 = 2;
const SALT_SIGNATURE: u64 = 3;
const SALT_ORG: u64 = 4;
const SALT_CALL_ID: u64 = 100;
const SALT_SERVER_ID: u64 = 200;

/// Seconds of `retry-after` on a 429 when the mock gives no hint.
const DEFAULT_RETRY_AFTER_S: u64 = 20;

pub struct FakeAnthropic;

impl FakeFamily for FakeAnthropic {
    fn validate(&self, ctx: &FakeCtx) -> Result<(), FakeResponse> {
        check_request(&ctx.request)
            .and_then(|()| check_model_rules(ctx))
            .map_err(|message| invalid_request(ctx, &message))
    }

    fn success(&self, mock: &MockAnswer, ctx: &FakeCtx, stream: bool) -> FakeResponse {
        let answer = Answer::new(mock, ctx);
        let resp = if stream { answer.events(ctx) } else { answer.body(ctx) };
        resp.with_header("request-id", request_id(ctx.seed))
    }

    fn error(&self, err: &MockError, ctx: &FakeCtx) -> FakeResponse {
        let (status, kind, default_message) = match err.kind {
            ErrorKind::Authentication => (401, "authentication_error", "invalid x-api-key".to_string()),
            ErrorKind::PermissionDenied => (
                403,
                "permission_error",
                "Your API key does not have permission to use the specified resource.".to_string(),
            ),
            ErrorKind::NotFound => (404, "not_found_error", format!("model: {}", ctx.model)),
            ErrorKind::InvalidRequest => {
                (400, "invalid_request_error", "max_tokens: Input should be greater than or equal to 1".to_string())
            }
            ErrorKind::ContextLengthExceeded => {
                (400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum".to_string())
            }
            ErrorKind::QuotaExhausted => (
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade \
                 or purchase credits."
                    .to_string(),
            ),
            ErrorKind::ContentFiltered => {
                (400, "invalid_request_error", "Output blocked by content filtering policy".to_string())
            }
            ErrorKind::Unsupported => (
                400,
                "invalid_request_error",
                format!("{}: this model does not support the requested feature", ctx.model),
            ),
            ErrorKind::RateLimited => (
                429,
                "rate_limit_error",
                format!(
                    "This request would exceed the rate limit for your organization ({}) of 50 requests per minute. \
                     For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response \
                     headers for current usage. Please reduce the prompt length or the maximum tokens requested, or \
                     try again later. You may also contact sales at https://www.anthropic.com/contact-sales to \
                     discuss your options for a rate limit increase.",
                    uuid(ctx.seed, SALT_ORG)
                ),
            ),
            ErrorKind::Overloaded => (529, "overloaded_error", "Overloaded".to_string()),
            ErrorKind::ServerError | ErrorKind::MalformedResponse => {
                (500, "api_error", "Internal server error".to_string())
            }
            ErrorKind::Timeout => (504, "timeout_error", "Request timed out".to_string()),
            ErrorKind::Connection => (502, "api_error", "Bad gateway".to_string()),
        };
        let status = err.status.unwrap_or(status);
        // Cloudflare answers an oversized body before the API sees it, with its own type.
        let (kind, default_message) = if status == 413 {
            ("request_too_large", "Request exceeds the maximum allowed number of bytes.".to_string())
        } else {
            (kind, default_message)
        };
        let message = err.message.clone().unwrap_or(default_message);
        let mut resp = error_response(ctx, status, kind, &message);
        if err.kind == ErrorKind::RateLimited {
            let secs = err
                .retry_after_s
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map_or(DEFAULT_RETRY_AFTER_S, |s| s.ceil() as u64);
            resp = rate_limit_headers(resp, ctx.seed, secs);
        }
        resp
    }
}

/// Anthropic's error body, with its request id also in the `request-id` header.
fn error_response(ctx: &FakeCtx, status: u16, kind: &str, message: &str) -> FakeResponse {
    let id = request_id(ctx.seed);
    FakeResponse::json(status, json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": id}))
        .with_header("request-id", id)
}

fn invalid_request(ctx: &FakeCtx, message: &str) -> FakeResponse {
    error_response(ctx, 400, "invalid_request_error", message)
}

/// `retry-after` and the `anthropic-ratelimit-*` headers of a 429: the request budget is spent
/// and resets when the retry hint says; token budgets are untouched.
fn rate_limit_headers(resp: FakeResponse, seed: u64, retry_after: u64) -> FakeResponse {
    let now = fixed_time(seed);
    let requests_reset = rfc3339(now.saturating_add(retry_after as i64));
    let tokens_reset = rfc3339(now);
    resp.with_header("retry-after", retry_after.to_string())
        .with_header("anthropic-ratelimit-requests-limit", "50")
        .with_header("anthropic-ratelimit-requests-remaining", "0")
        .with_header("anthropic-ratelimit-requests-reset", requests_reset)
        .with_header("anthropic-ratelimit-input-tokens-limit", "30000")
        .with_header("anthropic-ratelimit-input-tokens-remaining", "30000")
        .with_header("anthropic-ratelimit-input-tokens-reset", tokens_reset.clone())
        .with_header("anthropic-ratelimit-output-tokens-limit", "8000")
        .with_header("anthropic-ratelimit-output-tokens-remaining", "8000")
        .with_header("anthropic-ratelimit-output-tokens-reset", tokens_reset.clone())
        .with_header("anthropic-ratelimit-tokens-limit", "38000")
        .with_header("anthropic-ratelimit-tokens-remaining", "38000")
        .with_header("anthropic-ratelimit-tokens-reset", tokens_reset)
}

/// A fixed "now" for the case, so regenerated fixtures are identical.
fn fixed_time(seed: u64) -> i64 {
    1_764_000_000 + (seed % 1_000_000) as i64
}

fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

fn request_id(seed: u64) -> String {
    format!("req_011C{}", fake_id(seed, SALT_REQUEST_ID, 20, ALNUM))
}

/// A lowercase UUID from the seed, as Anthropic's organization ids.
fn uuid(seed: u64, salt: u64) -> String {
    let hex = fake_id(seed, salt, 32, super::fake_family::HEX);
    let (a, rest) = hex.split_at(8);
    let (b, rest) = rest.split_at(4);
    let (c, rest) = rest.split_at(4);
    let (d, e) = rest.split_at(4);
    format!("{a}-{b}-{c}-{d}-{e}")
}

// ---------------------------------------------------------------------------------------------
// Validation

/// The first rule the request breaks, in the API's words.
fn check_request(body: &Value) -> Result<(), String> {
    if body.get("model").is_none_or(Value::is_null) {
        return Err("model: Field required".into());
    }
    let Some(messages) = body.get("messages") else { return Err("messages: Field required".into()) };
    let Some(messages) = messages.as_array() else { return Err("messages: Input should be a valid list".into()) };
    if body.get("max_tokens").is_none_or(Value::is_null) {
        return Err("max_tokens: Field required".into());
    }
    let last = messages.len().saturating_sub(1);
    for (i, m) in messages.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or_default();
        match role {
            "user" | "assistant" => {}
            "system" => {
                return Err("messages: Unexpected role \"system\". The Messages API accepts a top-level `system` \
                            parameter, not \"system\" as an input message role."
                    .into());
            }
            _ => return Err(format!("messages.{i}.role: Input should be 'user' or 'assistant'")),
        }
        let final_assistant = i == last && role == "assistant";
        check_content(m.get("content"), i, final_assistant)?;
    }
    if let Some(Value::Array(blocks)) = body.get("system") {
        check_text_blocks(blocks, "system")?;
    }
    let has_tool_blocks =
        messages.iter().any(|m| blocks(m).iter().any(|b| matches!(block_type(b), "tool_use" | "tool_result")));
    let has_tools = body.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty());
    if has_tool_blocks && !has_tools {
        return Err("Requests which include `tool_use` or `tool_result` blocks must define tools.".into());
    }
    check_tool_pairs(messages)?;
    check_images(messages)?;
    super::anthropic_search::check_tool(body)?;
    super::anthropic_thinking::check(body)
}

/// What only some models reject, as the catalog's quirks for the model say: `temperature`
/// together with `top_p`, and structured outputs (`output_config.format`) where the model has
/// none or the schema leaves an object open.
fn check_model_rules(ctx: &FakeCtx) -> Result<(), String> {
    let body = &ctx.request;
    let q = ctx.quirks();
    if !q.vision
        && let Some(i) = body
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|ms| ms.iter().position(|m| blocks(m).iter().any(|b| block_type(b) == "image")))
    {
        return Err(format!("messages.{i}: '{}' does not support image input.", ctx.model));
    }
    if q.exclusive_sampling && body.get("temperature").is_some() && body.get("top_p").is_some() {
        return Err("`temperature` and `top_p` cannot both be specified for this model. Please use only one.".into());
    }
    let Some(format) = body.get("output_config").and_then(|c| c.get("format")) else { return Ok(()) };
    if !q.output_format {
        return Err(format!("'{}' does not support structured outputs (output_config.format).", ctx.model));
    }
    if format.get("type").and_then(Value::as_str) != Some("json_schema") {
        return Err("output_config.format.type: Input should be 'json_schema'".into());
    }
    match format.get("schema") {
        Some(schema) => open_object(schema, 0).map_or(Ok(()), Err),
        None => Err("output_config.format.schema: Field required".into()),
    }
}

/// The first object in a schema that is not closed with `additionalProperties: false`, which
/// structured outputs require of every object.
fn open_object(schema: &Value, depth: usize) -> Option<String> {
    let Value::Object(m) = schema else { return None };
    if depth > 64 {
        return None;
    }
    let is_object = m.get("type").and_then(Value::as_str) == Some("object") || m.contains_key("properties");
    if is_object && m.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Some(
            "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
                .into(),
        );
    }
    m.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("properties" | "$defs", Value::Object(props)) => props.values().find_map(|p| open_object(p, depth + 1)),
        ("items", item) => open_object(item, depth + 1),
        ("anyOf" | "allOf", Value::Array(vs)) => vs.iter().find_map(|p| open_object(p, depth + 1)),
        _ => None,
    })
}

/// One message's content: present, non-empty text, well-formed tool ids.
fn check_content(content: Option<&Value>, i: usize, final_assistant: bool) -> Result<(), String> {
    let empty = || {
        format!(
            "messages.{i}: all messages must have non-empty content except for the optional final assistant message"
        )
    };
    match content {
        None | Some(Value::Null) => Err(format!("messages.{i}.content: Field required")),
        Some(Value::String(s)) => {
            if s.is_empty() {
                return if final_assistant { Ok(()) } else { Err(empty()) };
            }
            if s.trim().is_empty() {
                return Err("messages: text content blocks must contain non-whitespace text".into());
            }
            if final_assistant && s.trim_end() != s {
                return Err("messages: final assistant content cannot end with trailing whitespace".into());
            }
            Ok(())
        }
        Some(Value::Array(blocks)) => {
            if blocks.is_empty() {
                return if final_assistant { Ok(()) } else { Err(empty()) };
            }
            check_text_blocks(blocks, "messages")?;
            for (j, b) in blocks.iter().enumerate() {
                let (field, id) = match block_type(b) {
                    "tool_use" => ("tool_use.id", b.get("id")),
                    "tool_result" => ("tool_result.tool_use_id", b.get("tool_use_id")),
                    _ => continue,
                };
                if !id.and_then(Value::as_str).is_some_and(valid_id) {
                    return Err(format!(
                        "messages.{i}.content.{j}.{field}: String should match pattern '^[a-zA-Z0-9_-]+$'"
                    ));
                }
            }
            if final_assistant
                && let Some(Value::String(t)) =
                    blocks.last().filter(|b| block_type(b) == "text").and_then(|b| b.get("text"))
                && t.trim_end() != t
            {
                return Err("messages: final assistant content cannot end with trailing whitespace".into());
            }
            Ok(())
        }
        Some(_) => Err(format!("messages.{i}.content: Input should be a valid list")),
    }
}

/// Text blocks must hold some non-whitespace text; `place` is `messages` or `system`.
fn check_text_blocks(blocks: &[Value], place: &str) -> Result<(), String> {
    for b in blocks.iter().filter(|b| block_type(b) == "text") {
        let text = b.get("text").and_then(Value::as_str).unwrap_or_default();
        if text.is_empty() {
            return Err(format!("{place}: text content blocks must be non-empty"));
        }
        if text.trim().is_empty() {
            return Err(format!("{place}: text content blocks must contain non-whitespace text"));
        }
    }
    Ok(())
}

/// Every `tool_result` answers a `tool_use` of the turn just before it; then every `tool_use` is
/// answered in the turn just after it (when there is one).
fn check_tool_pairs(messages: &[Value]) -> Result<(), String> {
    for (i, m) in messages.iter().enumerate() {
        let results = ids_of(m, "tool_result", "tool_use_id");
        if results.is_empty() {
            continue;
        }
        let previous = match i.checked_sub(1).and_then(|p| messages.get(p)) {
            Some(p) if p.get("role").and_then(Value::as_str) == Some("assistant") => ids_of(p, "tool_use", "id"),
            _ => Vec::new(),
        };
        let unexpected: Vec<&str> = results.iter().copied().filter(|id| !previous.contains(id)).collect();
        if let Some(first) = unexpected.first() {
            let j = blocks(m)
                .iter()
                .position(|b| {
                    block_type(b) == "tool_result" && b.get("tool_use_id").and_then(Value::as_str) == Some(first)
                })
                .unwrap_or(0);
            return Err(format!(
                "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {}. Each \
                 `tool_result` block must have a corresponding `tool_use` block in the previous message.",
                unexpected.join(", ")
            ));
        }
    }
    for (i, m) in messages.iter().enumerate() {
        if m.get("role").and_then(Value::as_str) != Some("assistant") {
            continue;
        }
        let Some(next) = messages.get(i + 1) else { continue };
        let answered = ids_of(next, "tool_result", "tool_use_id");
        let missing: Vec<&str> = ids_of(m, "tool_use", "id").into_iter().filter(|id| !answered.contains(id)).collect();
        if !missing.is_empty() {
            return Err(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. \
                 Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                missing.join(", ")
            ));
        }
    }
    Ok(())
}

/// Media types the API takes for images (<https://docs.claude.com/en/docs/build-with-claude/vision>).
const IMAGE_MEDIA_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Base64 image sources name a media type the API takes and carry data; URL sources an http(s)
/// URL. Images inside tool results are checked as well.
fn check_images(messages: &[Value]) -> Result<(), String> {
    for (i, m) in messages.iter().enumerate() {
        for (j, b) in blocks(m).iter().enumerate() {
            let inner = b.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            for img in std::iter::once(b).chain(inner).filter(|b| block_type(b) == "image") {
                let source = img.get("source").unwrap_or(&Value::Null);
                let at = format!("messages.{i}.content.{j}.image.source");
                match source.get("type").and_then(Value::as_str) {
                    Some("base64") => {
                        let media = source.get("media_type").and_then(Value::as_str).unwrap_or_default();
                        if !IMAGE_MEDIA_TYPES.contains(&media) {
                            return Err(format!(
                                "{at}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or \
                                 'image/webp'"
                            ));
                        }
                        if source.get("data").and_then(Value::as_str).is_none_or(str::is_empty) {
                            return Err(format!("{at}.base64.data: Field required"));
                        }
                    }
                    Some("url") => {
                        let url = source.get("url").and_then(Value::as_str).unwrap_or_default();
                        if !(url.starts_with("https://") || url.starts_with("http://")) {
                            return Err(format!("{at}.url.url: URL must use the http or https scheme"));
                        }
                    }
                    _ => {
                        return Err(format!(
                            "{at}: Input tag does not match any of the expected tags: 'base64', 'url'"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn blocks(m: &Value) -> &[Value] {
    m.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn block_type(b: &Value) -> &str {
    b.get("type").and_then(Value::as_str).unwrap_or_default()
}

fn ids_of<'a>(m: &'a Value, kind: &str, field: &str) -> Vec<&'a str> {
    blocks(m).iter().filter(|b| block_type(b) == kind).filter_map(|b| b.get(field).and_then(Value::as_str)).collect()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

// ---------------------------------------------------------------------------------------------
// Answers

enum Block {
    Thinking {
        thinking: String,
        signature: String,
    },
    /// Text and the web-search citations it carries.
    Text(String, Vec<Value>),
    ToolUse {
        id: String,
        name: String,
        input: Value,
        streamed: String,
    },
    /// A tool Anthropic ran itself, and its result: web search, or an MCP server's tool.
    ServerTool {
        id: String,
        name: String,
        input: Value,
        streamed: String,
    },
    ServerResult {
        tool_use_id: String,
        name: String,
        /// The pages a web search found, when it found the cited ones.
        results: Option<Vec<Value>>,
    },
}

/// A mock answer resolved into Anthropic's terms, rendered whole or as events.
struct Answer {
    id: String,
    blocks: Vec<Block>,
    stop_reason: String,
    stop_sequence: Option<String>,
    usage: MockUsage,
    /// Web searches run for the answer, counted in usage.
    web_searches: u64,
}

impl Answer {
    fn new(mock: &MockAnswer, ctx: &FakeCtx) -> Self {
        let mut blocks = Vec::new();
        let thinking = super::anthropic_thinking::thinking_on(&ctx.request);
        if let Some(r) = mock.reasoning.as_deref().filter(|r| !r.is_empty() && thinking) {
            let signature = format!("Eo{}", fake_id(ctx.seed, SALT_SIGNATURE, 174, BASE64));
            blocks.push(Block::Thinking { thinking: r.to_string(), signature });
        }
        let finish = mock.finish_or_default();
        let mut text = mock.text.clone().unwrap_or_default();
        let mut stop_sequence = None;
        if finish == FinishReason::Stop
            && let Some((at, seq)) = first_stop_sequence(&text, &ctx.request)
        {
            text.truncate(at);
            stop_sequence = Some(seq);
        }
        let searched = super::anthropic_search::offered(&ctx.request);
        let cited: &[MockCitation] = if searched { &mock.citations } else { &[] };
        let mut web_searches = 0;
        for (i, c) in mock.server_tools.iter().enumerate() {
            let prefix = if c.name.starts_with("mcp:") { "mcptoolu_01" } else { "srvtoolu_01" };
            let id = format!("{prefix}{}", fake_id(ctx.seed, SALT_SERVER_ID + i as u64, 22, ALNUM));
            blocks.push(Block::ServerTool {
                id: id.clone(),
                name: c.name.clone(),
                input: whole_input(c),
                streamed: streamed_input(c),
            });
            web_searches += u64::from(c.name == "web_search");
            let results = (c.name == "web_search" && !cited.is_empty())
                .then(|| super::anthropic_search::results(cited, ctx.seed));
            blocks.push(Block::ServerResult { tool_use_id: id, name: c.name.clone(), results });
        }
        let json_input = forces_json_tool(&ctx.request)
            .then(|| serde_json::from_str::<Value>(&text).ok().filter(Value::is_object))
            .flatten();
        let json_mode = json_input.is_some();
        let mut calls: Vec<(String, Value, String)> = Vec::new();
        match json_input {
            Some(input) => {
                let streamed = spaced_json(&input);
                calls.push((JSON_TOOL.to_string(), input, streamed));
            }
            None if !text.is_empty() => {
                let citations = super::anthropic_search::text_citations(cited, &text, ctx.seed);
                blocks.push(Block::Text(text, citations));
            }
            None => {}
        }
        calls.extend(mock.tool_calls.iter().map(|c| (c.name.clone(), whole_input(c), streamed_input(c))));
        for (i, (name, input, streamed)) in calls.into_iter().enumerate() {
            let id = format!("toolu_01{}", fake_id(ctx.seed, SALT_CALL_ID + i as u64, 22, ALNUM));
            blocks.push(Block::ToolUse { id, name, input, streamed });
        }
        let stop_reason = match finish {
            _ if mock.native_finish.is_some() => "",
            FinishReason::Stop if stop_sequence.is_some() => "stop_sequence",
            FinishReason::Stop if json_mode => "tool_use",
            FinishReason::Stop => "end_turn",
            FinishReason::Length => "max_tokens",
            FinishReason::ToolCalls => "tool_use",
            FinishReason::ContentFilter => "refusal",
        };
        Answer {
            id: format!("msg_01{}", fake_id(ctx.seed, SALT_MESSAGE_ID, 22, ALNUM)),
            blocks,
            stop_reason: mock.native_finish.clone().unwrap_or_else(|| stop_reason.to_string()),
            stop_sequence,
            usage: mock.usage_or_estimate(),
            web_searches,
        }
    }

    fn content(&self) -> Vec<Value> {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Thinking { thinking, signature } => {
                    json!({"type": "thinking", "thinking": thinking, "signature": signature})
                }
                Block::Text(t, c) if c.is_empty() => json!({"type": "text", "text": t}),
                Block::Text(t, c) => json!({"type": "text", "text": t, "citations": c}),
                Block::ToolUse { id, name, input, .. } => {
                    json!({"type": "tool_use", "id": id, "name": name, "input": input})
                }
                Block::ServerTool { id, name, input, .. } => server_tool_block(id, name, input),
                Block::ServerResult { tool_use_id, name, results } => {
                    server_result_block(tool_use_id, name, results.as_deref())
                }
            })
            .collect()
    }

    fn full_usage(&self, output_tokens: u64) -> Value {
        let u = self.usage;
        let mut usage = json!({
            "input_tokens": u.prompt.saturating_sub(u.cached).saturating_sub(u.cache_write),
            "cache_creation_input_tokens": u.cache_write,
            "cache_read_input_tokens": u.cached,
            "cache_creation": {"ephemeral_5m_input_tokens": u.cache_write, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output_tokens,
            "service_tier": "standard",
        });
        if self.web_searches > 0 {
            usage["server_tool_use"] = json!({"web_search_requests": self.web_searches});
        }
        usage
    }

    fn body(&self, ctx: &FakeCtx) -> FakeResponse {
        FakeResponse::json(
            200,
            json!({
                "model": ctx.model,
                "id": self.id,
                "type": "message",
                "role": "assistant",
                "content": self.content(),
                "stop_reason": self.stop_reason,
                "stop_sequence": self.stop_sequence,
                "usage": self.full_usage(self.usage.completion),
            }),
        )
    }

    fn events(&self, ctx: &FakeCtx) -> FakeResponse {
        let ping = || FakeEvent::typed(&json!({"type": "ping"}));
        let mut events = vec![FakeEvent::typed(&json!({
            "type": "message_start",
            "message": {
                "model": ctx.model,
                "id": self.id,
                "type": "message",
                "role": "assistant",
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": self.full_usage(1),
            },
        }))];
        if self.blocks.is_empty() {
            events.push(ping());
        }
        for (index, block) in self.blocks.iter().enumerate() {
            let (start, deltas) = block_events(index, block);
            events.push(FakeEvent::typed(
                &json!({"type": "content_block_start", "index": index, "content_block": start}),
            ));
            if index == 0 {
                events.push(ping());
            }
            events.extend(deltas);
            events.push(FakeEvent::typed(&json!({"type": "content_block_stop", "index": index})));
        }
        let u = self.usage;
        events.push(FakeEvent::typed(&json!({
            "type": "message_delta",
            "delta": {"stop_reason": self.stop_reason, "stop_sequence": self.stop_sequence},
            "usage": self.delta_usage(u),
        })));
        events.push(FakeEvent::typed(&json!({"type": "message_stop"})));
        FakeResponse::events(events)
    }
}

impl Answer {
    /// The cumulative usage of the closing `message_delta`.
    fn delta_usage(&self, u: MockUsage) -> Value {
        let mut usage = json!({
            "input_tokens": u.prompt.saturating_sub(u.cached).saturating_sub(u.cache_write),
            "cache_creation_input_tokens": u.cache_write,
            "cache_read_input_tokens": u.cached,
            "output_tokens": u.completion,
        });
        if self.web_searches > 0 {
            usage["server_tool_use"] = json!({"web_search_requests": self.web_searches});
        }
        usage
    }
}

/// One block's start payload and its delta events, as the API streams it.
fn block_events(index: usize, block: &Block) -> (Value, Vec<FakeEvent>) {
    let delta = |d: Value| FakeEvent::typed(&json!({"type": "content_block_delta", "index": index, "delta": d}));
    // The API opens every tool input with an empty piece, and sends only that one for a call
    // without arguments.
    let input_deltas = |streamed: &str| {
        let mut d = vec![delta(json!({"type": "input_json_delta", "partial_json": ""}))];
        d.extend(
            argument_pieces(streamed)
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(|p| delta(json!({"type": "input_json_delta", "partial_json": p}))),
        );
        d
    };
    match block {
        Block::Thinking { thinking, signature } => {
            let mut d: Vec<FakeEvent> = text_pieces(thinking)
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(|p| delta(json!({"type": "thinking_delta", "thinking": p})))
                .collect();
            d.push(delta(json!({"type": "signature_delta", "signature": signature})));
            (json!({"type": "thinking", "thinking": "", "signature": ""}), d)
        }
        Block::Text(t, citations) => {
            let mut d: Vec<FakeEvent> = text_pieces(t)
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(|p| delta(json!({"type": "text_delta", "text": p})))
                .collect();
            d.extend(citations.iter().map(|c| delta(json!({"type": "citations_delta", "citation": c}))));
            let start = if citations.is_empty() {
                json!({"type": "text", "text": ""})
            } else {
                json!({"type": "text", "text": "", "citations": []})
            };
            (start, d)
        }
        Block::ToolUse { id, name, streamed, .. } => {
            (json!({"type": "tool_use", "id": id, "name": name, "input": {}}), input_deltas(streamed))
        }
        Block::ServerTool { id, name, streamed, .. } => {
            (server_tool_block(id, name, &json!({})), input_deltas(streamed))
        }
        // A result arrives whole in its start event.
        Block::ServerResult { tool_use_id, name, results } => {
            (server_result_block(tool_use_id, name, results.as_deref()), Vec::new())
        }
    }
}

/// A server tool's use block: `mcp_tool_use` for a tool named `mcp:<server>/<tool>` (the mock's
/// way to name an MCP tool), `server_tool_use` otherwise (web search and the other tools
/// Anthropic runs). See <https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool>.
fn server_tool_block(id: &str, name: &str, input: &Value) -> Value {
    match name.strip_prefix("mcp:").and_then(|r| r.split_once('/')) {
        Some((server, tool)) => {
            json!({"type": "mcp_tool_use", "id": id, "name": tool, "input": input, "server_name": server})
        }
        None => json!({"type": "server_tool_use", "id": id, "name": name, "input": input}),
    }
}

/// The result block of a server tool: an MCP text result, or a search result list (the pages
/// found, when the answer cites them).
fn server_result_block(tool_use_id: &str, name: &str, results: Option<&[Value]>) -> Value {
    if name.starts_with("mcp:") {
        return json!({"type": "mcp_tool_result", "tool_use_id": tool_use_id, "is_error": false,
            "content": [{"type": "text", "text": "ok"}]});
    }
    if let Some(results) = results {
        return json!({"type": format!("{name}_tool_result"), "tool_use_id": tool_use_id, "content": results});
    }
    json!({"type": format!("{name}_tool_result"), "tool_use_id": tool_use_id, "content": [{
        "type": "web_search_result", "title": "Example result", "url": "https://example.com/result",
        "encrypted_content": "EqoBCioIBhgCIiQ0NGFlNjc2Yy05NThmLTRkNjUtYWEwYS1iNmY1YmQ0MmU5YjESDGZha2UtcmVzdWx0", "page_age": null}]})
}

/// Whether the request forces the tool the adapter adds for JSON output.
fn forces_json_tool(request: &Value) -> bool {
    let choice = request.get("tool_choice");
    choice.and_then(|c| c.get("type")).and_then(Value::as_str) == Some("tool")
        && choice.and_then(|c| c.get("name")).and_then(Value::as_str) == Some(JSON_TOOL)
}

/// Where the text would have stopped on one of the request's stop sequences, and which.
fn first_stop_sequence(text: &str, request: &Value) -> Option<(usize, String)> {
    let seqs = request.get("stop_sequences").and_then(Value::as_array)?;
    seqs.iter()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s).map(|at| (at, s.to_string())))
        .min_by_key(|(at, _)| *at)
}

/// A call's `input` in a whole message: always an object.
fn whole_input(c: &MockToolCall) -> Value {
    match (&c.arguments_raw, &c.arguments) {
        (Some(raw), _) => serde_json::from_str::<Value>(raw).ok().filter(Value::is_object).unwrap_or_else(|| json!({})),
        (None, Some(v @ Value::Object(_))) => v.clone(),
        (None, _) => json!({}),
    }
}

/// A call's input as streamed: the raw bytes if the mock fixes them, else the object spaced as
/// the API streams it; empty without arguments.
fn streamed_input(c: &MockToolCall) -> String {
    match (&c.arguments_raw, &c.arguments) {
        (Some(raw), _) => raw.clone(),
        (None, Some(v @ Value::Object(m))) if !m.is_empty() => spaced_json(v),
        (None, _) => String::new(),
    }
}

/// JSON with `", "` and `": "` separators, as Anthropic streams `partial_json`.
fn spaced_json(v: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Spaced);
    if serde::Serialize::serialize(v, &mut ser).is_err() {
        return v.to_string();
    }
    String::from_utf8(out).unwrap_or_else(|_| v.to_string())
}

struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_json_matches_the_streamed_shape() {
        let v = json!({"elements": [{"location": "San Francisco", "temperature": 58}], "ok": true});
        assert_eq!(spaced_json(&v), r#"{"elements": [{"location": "San Francisco", "temperature": 58}], "ok": true}"#);
        assert_eq!(serde_json::from_str::<Value>(&spaced_json(&v)).unwrap(), v);
    }

    #[test]
    fn ids_have_the_api_shape() {
        let r = request_id(7);
        assert!(r.starts_with("req_011C") && r.len() == 28, "{r}");
        assert_eq!(r, request_id(7));
        assert_eq!(uuid(7, SALT_ORG).len(), 36);
        assert_eq!(rfc3339(1_764_000_000), "2025-11-24T16:00:00Z");
    }

    #[test]
    fn stop_sequence_cuts_at_the_first_occurrence() {
        let req = json!({"stop_sequences": ["four", "two"]});
        assert_eq!(first_stop_sequence("one two three four", &req), Some((4, "two".to_string())));
        assert_eq!(first_stop_sequence("one", &req), None);
        assert_eq!(first_stop_sequence("one", &json!({})), None);
    }
}
