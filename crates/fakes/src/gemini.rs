//! Fake Gemini API (`models/{model}:generateContent` and `:streamGenerateContent?alt=sse`),
//! modelled on the recorded payloads in `tests/provider-samples/google/` and Google's error model
//! (`{"error": {code, message, status, details}}`).
//!
//! Rendering decisions:
//! - Body: `candidates[0]` is `{content: {parts, role: "model"}, finishReason, index: 0}`, then
//!   `usageMetadata`, `modelVersion` (the model from the URL) and `responseId` (23 base64url
//!   characters from the seed). Keys follow the proto field order, as Google's JSON does.
//! - Parts: reasoning is a `{text, thought: true}` part first (only when the request asks for
//!   `thinkingConfig.includeThoughts`; the thinking is counted either way), then the text, then one
//!   `{functionCall: {name, args}}` part per call. Calls carry no `id` (the Gemini API sends
//!   none, for models whose catalog quirks do not say `function_call_ids`; Gemini 3 calls carry a
//!   seed-derived `id`); the first one carries a `thoughtSignature`, as in the samples. A call without
//!   arguments has no `args` key. `arguments_raw` that is a JSON value is sent as that value
//!   (an object normally), an empty one as no `args`, anything else as a JSON string in `args`
//!   (Gemini cannot send broken JSON; this is the closest rendering of such a mock).
//! - An answer with nothing to say has one empty text part.
//! - `finishReason`: stop and tool_calls -> `STOP` (Gemini says STOP for function calls; the whole
//!   body then adds `finishMessage: "Model generated function call(s)."`), length ->
//!   `MAX_TOKENS`, content_filter -> `SAFETY` with `safetyRatings`; a mock's `native_finish`
//!   (`MODEL_ARMOR`, `MALFORMED_FUNCTION_CALL`) is sent as it is. A stop other than `STOP` or
//!   `MAX_TOKENS` with nothing generated has no `content`.
//! - Usage: `promptTokenCount` is the mock's prompt (cache reads included, as Gemini counts) less
//!   its `tool_prompt`, which is `toolUsePromptTokenCount` (and counts in `totalTokenCount`),
//!   `cachedContentTokenCount`/`cacheTokensDetails` when cached tokens are given. The mock's
//!   completion is split into `candidatesTokenCount` and `thoughtsTokenCount` (an estimate of
//!   the reasoning text, four characters a token) so that the two add up to it.
//!   `totalTokenCount` is their sum with the prompt. Zero counts are omitted as proto3 JSON does,
//!   except `promptTokenCount`, which is always sent.
//! - Streams: data-only events with no end marker, each a partial response with the running
//!   `usageMetadata`: reasoning pieces, then text pieces (one chunk each), then all calls whole
//!   in one chunk, then a last chunk with an empty text part, `finishReason` and the final usage.
//!   No `finishMessage` in streams (the samples have none).
//! - Errors: `{"error": {code, message, status, details?}}`. authentication -> 400
//!   `INVALID_ARGUMENT` "API key not valid..." with an `ErrorInfo` `API_KEY_INVALID` (what Google
//!   sends for a bad key; a mock status of 401 gives `UNAUTHENTICATED` instead), permission 403
//!   `PERMISSION_DENIED`, not found 404 `NOT_FOUND` naming `models/<model>`, invalid request and
//!   context length 400 `INVALID_ARGUMENT`, rate limited 429 `RESOURCE_EXHAUSTED` with a per-minute
//!   `QuotaFailure`, quota exhausted the same with a per-day quota, overloaded 503 `UNAVAILABLE`,
//!   server error 500 `INTERNAL`, timeout 504 `DEADLINE_EXCEEDED`, unsupported 400
//!   `INVALID_ARGUMENT` "Function calling is not enabled for models/<model>" (Gemini has no
//!   distinct code for it), connection 503 `UNAVAILABLE`. A retry hint is a `RetryInfo` detail
//!   whose `retryDelay` is the seconds with an `s` (`"34.4s"`, `"2s"`); Gemini sends no
//!   `retry-after` header. A mock status other than the kind's usual one picks the RPC status
//!   Google pairs with that HTTP code.
//! - Content filtering is not an error on Gemini: a blocked prompt is a 200 with
//!   `promptFeedback.blockReason: "SAFETY"` and no candidates (one such event when streaming).
//!   That is what the fake sends for a content_filtered mock error without a status; with a
//!   status it sends a Google error naming the safety filters.
//! - Grounding: with a `google_search` tool the finishing candidate carries `groundingMetadata`
//!   built from the mock's citations and searches (`gemini_premium.rs`).
//! - Validation (400 `INVALID_ARGUMENT`, Google's messages): thinking budgets and images as
//!   `gemini_premium.rs` says; unknown `Schema` fields such as
//!   `additionalProperties` in function parameters or `responseSchema` (a JSON-parse error with
//!   a `BadRequest` detail; `parametersJsonSchema`/`responseJsonSchema` are not checked, they take
//!   full JSON Schema); empty or missing `contents`; a content without parts; a part with no data
//!   (`{"text": ""}`); an OBJECT schema without properties at any depth; a function declaration or
//!   `functionResponse` without a name; a role other than `user`/`model`; a function-call turn
//!   that does not follow a user turn; and a function-call turn whose next content is not a user
//!   turn with exactly as many `functionResponse` parts as it has calls. By the model's catalog
//!   quirks: where `thought_signatures_required` (Gemini 3), a function-call step of the current
//!   turn whose first call has no `thoughtSignature` ("Function call is missing a
//!   thought_signature ..."; any non-empty signature passes); where `function_call_ids`, a
//!   function response whose `id` names no call of the turn before it. Both camelCase and
//!   snake_case field names are accepted, as the API does.

use serde_json::{Map, Value, json};

use super::fake_family::{ALNUM, fake_id, text_pieces};
use super::{FakeCtx, FakeEvent, FakeFamily, FakeResponse};
use llm_conform_core::api::{ErrorKind, FinishReason};
use llm_conform_core::providers::Quirks;
use llm_conform_mock::{MockAnswer, MockError, MockToolCall, MockUsage};

const SALT_RESPONSE_ID: u64 = 1;
const SALT_SIGNATURE: u64 = 2;
const SALT_CALL_ID: u64 = 100;

/// Length of the synthesized function-call ids of models that send ids.
const CALL_ID_LEN: usize = 8;

/// Length of Gemini's `responseId`.
const RESPONSE_ID_LEN: usize = 23;
/// Length of the fake `thoughtSignature` (real ones are opaque base64 of varying length).
const SIGNATURE_LEN: usize = 128;

/// Prompt tokens reported with a blocked prompt, which has no mock usage.
const BLOCKED_PROMPT_TOKENS: u64 = 24;

pub struct FakeGemini;

impl FakeFamily for FakeGemini {
    fn validate(&self, ctx: &FakeCtx) -> Result<(), FakeResponse> {
        validate_request(&ctx.request, ctx.quirks())
            .and_then(|()| super::gemini_premium::check(&ctx.request, ctx.quirks()).map_err(Rejection::plain))
            .map_err(|r| r.response())
    }

    fn success(&self, mock: &MockAnswer, ctx: &FakeCtx, stream: bool) -> FakeResponse {
        let answer = Answer::new(mock, ctx);
        if stream { answer.events() } else { answer.body() }
    }

    fn error(&self, err: &MockError, ctx: &FakeCtx) -> FakeResponse {
        if err.kind == ErrorKind::ContentFiltered && err.status.is_none_or(|s| s == 200) {
            return blocked_prompt(ctx);
        }
        let (status, rpc, default_message) = documented_error(err.kind, err.status, &ctx.model);
        let code = err.status.unwrap_or(status);
        let rpc = if code == status { rpc } else { rpc_status(code).unwrap_or(rpc) };
        let message = err.message.clone().unwrap_or(default_message);
        let mut details = error_details(err.kind, code, &message);
        if let Some(secs) = err.retry_after_s.filter(|s| s.is_finite() && *s >= 0.0) {
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": google_duration(secs),
            }));
        }
        FakeResponse::json(code, error_body(code, &message, rpc, details))
    }
}

/// Google's documented status, RPC status and message for a kind (`status` tells Gemini's two
/// authentication failures apart).
fn documented_error(kind: ErrorKind, status: Option<u16>, model: &str) -> (u16, &'static str, String) {
    match kind {
        ErrorKind::Authentication if status == Some(401) => (
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or \
             other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project."
                .to_string(),
        ),
        ErrorKind::Authentication => {
            (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.".to_string())
        }
        ErrorKind::PermissionDenied => (403, "PERMISSION_DENIED", "The caller does not have permission".to_string()),
        ErrorKind::NotFound => (
            404,
            "NOT_FOUND",
            format!(
                "models/{model} is not found for API version v1beta, or is not supported for generateContent. \
                 Call ListModels to see the list of available models and their supported methods."
            ),
        ),
        ErrorKind::InvalidRequest => (400, "INVALID_ARGUMENT", "Request contains an invalid argument.".to_string()),
        ErrorKind::ContextLengthExceeded => (
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).".to_string(),
        ),
        ErrorKind::ContentFiltered => {
            (400, "INVALID_ARGUMENT", "The request was blocked by the safety filters (blockReason SAFETY).".to_string())
        }
        ErrorKind::RateLimited | ErrorKind::QuotaExhausted => (
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details. For more information \
             on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
                .to_string(),
        ),
        ErrorKind::Overloaded => (503, "UNAVAILABLE", "The model is overloaded. Please try again later.".to_string()),
        ErrorKind::ServerError | ErrorKind::MalformedResponse => (
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in \
             https://developers.generativeai.google/guide/troubleshooting"
                .to_string(),
        ),
        ErrorKind::Timeout => {
            (504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.".to_string())
        }
        ErrorKind::Connection => (503, "UNAVAILABLE", "The service is currently unavailable.".to_string()),
        ErrorKind::Unsupported => {
            (400, "INVALID_ARGUMENT", format!("Function calling is not enabled for models/{model}"))
        }
    }
}

/// The `details` Google attaches: `ErrorInfo` and a localized message for a bad key, a
/// `QuotaFailure` naming the quota for a 429.
fn error_details(kind: ErrorKind, code: u16, message: &str) -> Vec<Value> {
    let mut details = Vec::new();
    match kind {
        ErrorKind::Authentication if code == 400 => {
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }));
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            }));
        }
        ErrorKind::RateLimited | ErrorKind::QuotaExhausted if code == 429 => {
            let quota = if kind == ErrorKind::QuotaExhausted {
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
            } else {
                "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            };
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{"quotaId": quota}],
            }));
        }
        _ => {}
    }
    details
}

/// The canonical RPC status Google pairs with an HTTP code.
fn rpc_status(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => return None,
    })
}

fn error_body(code: u16, message: &str, rpc: &str, details: Vec<Value>) -> Value {
    let mut e = Map::new();
    e.insert("code".into(), json!(code));
    e.insert("message".into(), json!(message));
    e.insert("status".into(), json!(rpc));
    if !details.is_empty() {
        e.insert("details".into(), Value::Array(details));
    }
    json!({"error": Value::Object(e)})
}

/// A `google.protobuf.Duration` in JSON: seconds with an `s`, fraction only when there is one.
fn google_duration(secs: f64) -> String {
    let ms = (secs * 1000.0).round() / 1000.0;
    format!("{ms}s")
}

/// Base64url, the alphabet of Gemini's `responseId`.
fn b64url_alphabet() -> Vec<u8> {
    let mut a = ALNUM.to_vec();
    a.extend_from_slice(b"-_");
    a
}

/// Standard base64, the alphabet of `thoughtSignature`.
fn b64_alphabet() -> Vec<u8> {
    let mut a = ALNUM.to_vec();
    a.extend_from_slice(b"+/");
    a
}

fn safety_ratings(blocked: bool) -> Value {
    let mut harassment = json!({"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"});
    if blocked {
        harassment = json!({"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true});
    }
    json!([
        {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
        harassment,
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
    ])
}

/// Gemini's answer to a prompt its safety filters block: a 200 without candidates.
fn blocked_prompt(ctx: &FakeCtx) -> FakeResponse {
    let tokens = Tokens { prompt: BLOCKED_PROMPT_TOKENS, cached: 0, candidates: 0, thoughts: 0, tool_prompt: 0 };
    let body = json!({
        "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": safety_ratings(true)},
        "usageMetadata": tokens.json(),
        "modelVersion": ctx.model,
        "responseId": fake_id(ctx.seed, SALT_RESPONSE_ID, RESPONSE_ID_LEN, &b64url_alphabet()),
    });
    if ctx.path.contains(":streamGenerateContent") {
        FakeResponse::events(vec![FakeEvent::json(&body)])
    } else {
        FakeResponse::json(200, body)
    }
}

/// Token counts in Gemini's terms.
#[derive(Debug, Clone, Copy)]
struct Tokens {
    /// Every prompt token, tool results included.
    prompt: u64,
    cached: u64,
    candidates: u64,
    thoughts: u64,
    /// The part of `prompt` that is tool results, reported as `toolUsePromptTokenCount`.
    tool_prompt: u64,
}

impl Tokens {
    fn new(u: MockUsage, reasoning_chars: usize, visible_output: bool) -> Self {
        let thoughts = if reasoning_chars == 0 {
            0
        } else {
            let estimate = (reasoning_chars as u64).div_ceil(4).max(1);
            let room = if visible_output { u.completion.saturating_sub(1) } else { u.completion };
            estimate.min(room)
        };
        Tokens {
            prompt: u.prompt,
            cached: u.cached,
            candidates: u.completion.saturating_sub(thoughts),
            thoughts,
            tool_prompt: u.tool_prompt.min(u.prompt),
        }
    }

    /// `usageMetadata`, in Google's field order; zero counts omitted as proto3 JSON does.
    fn json(&self) -> Value {
        let mut m = Map::new();
        let own_prompt = self.prompt - self.tool_prompt;
        m.insert("promptTokenCount".into(), json!(own_prompt));
        if self.candidates > 0 {
            m.insert("candidatesTokenCount".into(), json!(self.candidates));
        }
        m.insert("totalTokenCount".into(), json!(self.prompt + self.candidates + self.thoughts));
        if self.cached > 0 {
            m.insert("cachedContentTokenCount".into(), json!(self.cached));
        }
        if self.tool_prompt > 0 {
            m.insert("toolUsePromptTokenCount".into(), json!(self.tool_prompt));
        }
        m.insert("promptTokensDetails".into(), json!([{"modality": "TEXT", "tokenCount": own_prompt}]));
        if self.tool_prompt > 0 {
            m.insert(
                "toolUsePromptTokensDetails".into(),
                json!([{"modality": "TEXT", "tokenCount": self.tool_prompt}]),
            );
        }
        if self.cached > 0 {
            m.insert("cacheTokensDetails".into(), json!([{"modality": "TEXT", "tokenCount": self.cached}]));
        }
        if self.thoughts > 0 {
            m.insert("thoughtsTokenCount".into(), json!(self.thoughts));
        }
        Value::Object(m)
    }

    /// The running counts once `done` of `total` characters of a phase are out.
    fn share(whole: u64, done: usize, total: usize) -> u64 {
        if total == 0 {
            return whole;
        }
        (whole * done as u64).div_ceil(total as u64).min(whole)
    }
}

/// A mock answer resolved into Gemini's terms, rendered whole or as events.
struct Answer {
    response_id: String,
    model: String,
    reasoning: Option<String>,
    text: Option<String>,
    /// The `functionCall` parts, the first with its `thoughtSignature`.
    calls: Vec<Value>,
    finish: String,
    finish_message: bool,
    tokens: Tokens,
    /// `groundingMetadata`, when the request asked for search grounding.
    grounding: Option<Value>,
}

impl Answer {
    fn new(mock: &MockAnswer, ctx: &FakeCtx) -> Self {
        let finish = match mock.finish_or_default() {
            _ if mock.native_finish.is_some() => mock.native_finish.clone().unwrap_or_default(),
            FinishReason::Stop | FinishReason::ToolCalls => "STOP".into(),
            FinishReason::Length => "MAX_TOKENS".into(),
            FinishReason::ContentFilter => "SAFETY".into(),
        };
        let signature = fake_id(ctx.seed, SALT_SIGNATURE, SIGNATURE_LEN, &b64_alphabet());
        let with_ids = ctx.quirks().function_call_ids;
        let calls: Vec<Value> = mock
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut part = Map::new();
                let mut call = function_call(c);
                if with_ids && let Value::Object(m) = &mut call {
                    let id = fake_id(ctx.seed, SALT_CALL_ID + i as u64, CALL_ID_LEN, &b64url_alphabet());
                    m.insert("id".into(), json!(id));
                }
                part.insert("functionCall".into(), call);
                if i == 0 {
                    part.insert("thoughtSignature".into(), json!(signature));
                }
                Value::Object(part)
            })
            .collect();
        let thought = mock.reasoning.clone().filter(|r| !r.is_empty());
        let visible = mock.text.as_deref().is_some_and(|t| !t.is_empty()) || !calls.is_empty();
        let tokens =
            Tokens::new(mock.usage_or_estimate(), thought.as_deref().map_or(0, |r| r.chars().count()), visible);
        // The model may think either way; the thoughts come back only when asked for.
        let reasoning = thought.filter(|_| super::gemini_premium::include_thoughts(&ctx.request));
        let grounding = super::gemini_premium::grounded(&ctx.request)
            .then(|| super::gemini_premium::grounding_metadata(mock, mock.text.as_deref().unwrap_or_default()));
        Answer {
            response_id: fake_id(ctx.seed, SALT_RESPONSE_ID, RESPONSE_ID_LEN, &b64url_alphabet()),
            model: ctx.model.clone(),
            reasoning,
            text: mock.text.clone(),
            finish_message: !calls.is_empty() && finish == "STOP",
            calls,
            finish,
            tokens,
            grounding,
        }
    }

    fn parts(&self) -> Vec<Value> {
        let mut parts = Vec::new();
        if let Some(r) = &self.reasoning {
            parts.push(json!({"text": r, "thought": true}));
        }
        if let Some(t) = &self.text {
            parts.push(json!({"text": t}));
        }
        parts.extend(self.calls.iter().cloned());
        parts
    }

    /// One candidate; `content` is left out only when a stop other than `STOP` or `MAX_TOKENS`
    /// (a block, a malformed call) came with nothing generated, as Gemini sends it.
    fn candidate(&self, parts: Vec<Value>, finish: Option<&str>, finish_message: bool) -> Value {
        let mut c = Map::new();
        let safety = finish == Some("SAFETY");
        let abnormal = finish.is_some_and(|f| !matches!(f, "STOP" | "MAX_TOKENS"));
        if !(abnormal && parts.is_empty()) {
            let parts = if parts.is_empty() { vec![json!({"text": ""})] } else { parts };
            c.insert("content".into(), json!({"parts": parts, "role": "model"}));
        }
        if let Some(f) = finish {
            c.insert("finishReason".into(), json!(f));
            if let Some(g) = &self.grounding {
                c.insert("groundingMetadata".into(), g.clone());
            }
        }
        c.insert("index".into(), json!(0));
        if finish_message {
            c.insert("finishMessage".into(), json!("Model generated function call(s)."));
        }
        if safety {
            c.insert("safetyRatings".into(), safety_ratings(true));
        }
        Value::Object(c)
    }

    fn response(&self, candidate: Value, tokens: Tokens) -> Value {
        json!({
            "candidates": [candidate],
            "usageMetadata": tokens.json(),
            "modelVersion": self.model,
            "responseId": self.response_id,
        })
    }

    fn body(&self) -> FakeResponse {
        let parts = self.parts();
        let abnormal = !matches!(self.finish.as_str(), "STOP" | "MAX_TOKENS");
        let parts = if abnormal && self.text.as_deref().is_none_or(str::is_empty) && self.calls.is_empty() {
            // Nothing visible was generated before the stop: Gemini sends no content.
            parts.into_iter().filter(|p| p.get("thought").is_some()).collect()
        } else {
            parts
        };
        let candidate = self.candidate(parts, Some(self.finish.as_str()), self.finish_message);
        FakeResponse::json(200, self.response(candidate, self.tokens))
    }

    fn events(&self) -> FakeResponse {
        let mut events = Vec::new();
        let full = self.tokens;
        let mut running = Tokens { candidates: 0, thoughts: 0, ..full };
        if let Some(r) = &self.reasoning {
            let total = r.chars().count();
            let mut done = 0;
            for piece in text_pieces(r).into_iter().filter(|p| !p.is_empty()) {
                done += piece.chars().count();
                running.thoughts = Tokens::share(full.thoughts, done, total);
                let c = self.candidate(vec![json!({"text": piece, "thought": true})], None, false);
                events.push(FakeEvent::json(&self.response(c, running)));
            }
        }
        running.thoughts = full.thoughts;
        let text = self.text.as_deref().unwrap_or_default();
        // With calls after it, the text earns only part of the candidate tokens.
        let text_share = if self.calls.is_empty() { full.candidates } else { full.candidates / 2 };
        let total = text.chars().count();
        let mut done = 0;
        for piece in text_pieces(text).into_iter().filter(|p| !p.is_empty()) {
            done += piece.chars().count();
            running.candidates = Tokens::share(text_share, done, total);
            let c = self.candidate(vec![json!({"text": piece})], None, false);
            events.push(FakeEvent::json(&self.response(c, running)));
        }
        if !self.calls.is_empty() {
            let c = self.candidate(self.calls.clone(), None, false);
            events.push(FakeEvent::json(&self.response(c, full)));
        }
        let last_parts =
            if matches!(self.finish.as_str(), "STOP" | "MAX_TOKENS") { vec![json!({"text": ""})] } else { Vec::new() };
        let c = self.candidate(last_parts, Some(self.finish.as_str()), false);
        events.push(FakeEvent::json(&self.response(c, full)));
        FakeResponse::events(events)
    }
}

/// `{name, args}`; no `args` when the call has no arguments, and never an `id`.
fn function_call(c: &MockToolCall) -> Value {
    let args = match (&c.arguments_raw, &c.arguments) {
        (Some(raw), _) if raw.trim().is_empty() => None,
        (Some(raw), _) => Some(serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.clone()))),
        (None, Some(Value::Null)) | (None, None) => None,
        (None, Some(v)) => Some(v.clone()),
    };
    match args {
        Some(a) => json!({"name": c.name, "args": a}),
        None => json!({"name": c.name}),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// A 400 `INVALID_ARGUMENT` the way the Gemini API phrases it.
#[derive(Debug)]
struct Rejection {
    message: String,
    details: Vec<Value>,
}

impl Rejection {
    fn plain(message: impl Into<String>) -> Self {
        Rejection { message: message.into(), details: Vec::new() }
    }

    fn response(self) -> FakeResponse {
        FakeResponse::json(400, error_body(400, &self.message, "INVALID_ARGUMENT", self.details))
    }
}

/// A field under its camelCase or its snake_case name; the API takes both.
fn field<'a>(obj: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    obj.get(camel).or_else(|| obj.get(snake))
}

/// Fields of Gemini's `Schema` (camelCase and snake_case); anything else fails JSON parsing.
const SCHEMA_FIELDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "max_items",
    "minItems",
    "min_items",
    "properties",
    "required",
    "minProperties",
    "min_properties",
    "maxProperties",
    "max_properties",
    "minLength",
    "min_length",
    "maxLength",
    "max_length",
    "pattern",
    "example",
    "anyOf",
    "any_of",
    "propertyOrdering",
    "property_ordering",
    "default",
    "items",
    "minimum",
    "maximum",
];

/// Data fields of a `Part`; a part needs exactly one of them set.
const PART_DATA_FIELDS: &[(&str, &str)] = &[
    ("text", "text"),
    ("inlineData", "inline_data"),
    ("functionCall", "function_call"),
    ("functionResponse", "function_response"),
    ("fileData", "file_data"),
    ("executableCode", "executable_code"),
    ("codeExecutionResult", "code_execution_result"),
];

fn validate_request(body: &Value, q: &Quirks) -> Result<(), Rejection> {
    check_unknown_schema_fields(body)?;

    let mut violations = Vec::new();
    let contents = body.get("contents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if contents.is_empty() {
        violations.push("contents: contents is not specified".to_string());
    }
    for (i, content) in contents.iter().enumerate() {
        let parts = content.get("parts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        if parts.is_empty() {
            violations.push(format!("contents[{i}].parts: contents.parts must not be empty."));
        }
        for (j, part) in parts.iter().enumerate() {
            let has_data = PART_DATA_FIELDS.iter().any(|(camel, snake)| match field(part, camel, snake) {
                None | Some(Value::Null) => false,
                Some(Value::String(s)) => !s.is_empty(),
                Some(_) => true,
            });
            if !has_data {
                violations.push(format!(
                    "contents[{i}].parts[{j}].data: required oneof field 'data' must have one initialized field"
                ));
            }
            if let Some(fr) = field(part, "functionResponse", "function_response")
                && fr.get("name").and_then(Value::as_str).is_none_or(str::is_empty)
            {
                violations.push(format!("contents[{i}].parts[{j}].function_response.name: Name cannot be empty."));
            }
        }
    }
    for (t, tool) in body.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let decls = field(tool, "functionDeclarations", "function_declarations").and_then(Value::as_array);
        for (d, decl) in decls.into_iter().flatten().enumerate() {
            let at = format!("tools[{t}].function_declarations[{d}]");
            if decl.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
                violations.push(format!("{at}.name: Name cannot be empty."));
            }
            if let Some(params) = decl.get("parameters") {
                empty_objects(params, &format!("{at}.parameters"), &mut violations);
            }
        }
    }
    if let Some(schema) =
        field(body, "generationConfig", "generation_config").and_then(|c| field(c, "responseSchema", "response_schema"))
    {
        empty_objects(schema, "generation_config.response_schema", &mut violations);
    }
    if !violations.is_empty() {
        let message: String = violations.iter().map(|v| format!("* GenerateContentRequest.{v}\n")).collect();
        return Err(Rejection::plain(message));
    }

    for content in contents {
        if let Some(role) = content.get("role").and_then(Value::as_str)
            && role != "user"
            && role != "model"
        {
            return Err(Rejection::plain("Please use a valid role: user, model."));
        }
    }
    check_call_turns(contents)?;
    if q.thought_signatures_required {
        check_signatures(contents)?;
    }
    if q.function_call_ids {
        check_response_ids(contents)?;
    }
    Ok(())
}

/// Where calls carry ids, each function response must name the id of a call in the model turn
/// before it.
fn check_response_ids(contents: &[Value]) -> Result<(), Rejection> {
    for pair in contents.windows(2) {
        let ids: Vec<&str> = parts_of(&pair[0])
            .iter()
            .filter_map(|p| field(p, "functionCall", "function_call"))
            .filter_map(|c| c.get("id").and_then(Value::as_str))
            .collect();
        if ids.is_empty() {
            continue;
        }
        for fr in parts_of(&pair[1]).iter().filter_map(|p| field(p, "functionResponse", "function_response")) {
            let id = fr.get("id").and_then(Value::as_str).unwrap_or_default();
            if !ids.contains(&id) {
                return Err(Rejection::plain(format!(
                    "Function response id '{id}' does not match the id of any function call in the previous turn."
                )));
            }
        }
    }
    Ok(())
}

fn parts_of(content: &Value) -> &[Value] {
    content.get("parts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Gemini 3 models require the `thoughtSignature` of the first function call of every step of
/// the current turn (everything after the last user content that is not only function
/// responses). Any non-empty signature passes here; the real API also checks it is genuine or
/// one of its documented placeholders.
fn check_signatures(contents: &[Value]) -> Result<(), Rejection> {
    let start = contents
        .iter()
        .rposition(|c| {
            role(c) == "user"
                && c.get("parts").and_then(Value::as_array).is_some_and(|parts| {
                    parts.iter().any(|p| field(p, "functionResponse", "function_response").is_none())
                })
        })
        .unwrap_or(0);
    for (i, content) in contents.iter().enumerate().skip(start) {
        if role(content) != "model" {
            continue;
        }
        let parts = content.get("parts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let Some(first_call) = parts.iter().find(|p| field(p, "functionCall", "function_call").is_some()) else {
            continue;
        };
        let signed = field(first_call, "thoughtSignature", "thought_signature")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        if !signed {
            let name = field(first_call, "functionCall", "function_call")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(Rejection::plain(format!(
                "Function call is missing a thought_signature in functionCall parts. This is required for tools to \
                 work correctly, and missing thought_signature may lead to degraded model performance. Additional \
                 data, function call `default_api:{name}` , position {}. Please refer to \
                 https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                i + 1
            )));
        }
    }
    Ok(())
}

fn count_parts(content: &Value, camel: &str, snake: &str) -> usize {
    content
        .get("parts")
        .and_then(Value::as_array)
        .map_or(0, |parts| parts.iter().filter(|p| field(p, camel, snake).is_some()).count())
}

fn role(content: &Value) -> &str {
    content.get("role").and_then(Value::as_str).unwrap_or("user")
}

/// A function-call turn follows a user turn and is answered, in the next turn, by exactly as
/// many function responses as it has calls.
fn check_call_turns(contents: &[Value]) -> Result<(), Rejection> {
    for (i, content) in contents.iter().enumerate() {
        let calls = count_parts(content, "functionCall", "function_call");
        if calls == 0 || role(content) != "model" {
            continue;
        }
        if i == 0 || contents.get(i - 1).is_some_and(|prev| role(prev) != "user") {
            return Err(Rejection::plain(
                "Please ensure that function call turn comes immediately after a user turn or after a function \
                 response turn.",
            ));
        }
        if let Some(next) = contents.get(i + 1) {
            let responses = count_parts(next, "functionResponse", "function_response");
            if role(next) != "user" || responses != calls {
                return Err(Rejection::plain(
                    "Please ensure that the number of function response parts is equal to the number of function \
                     call parts of the function call turn.",
                ));
            }
        }
    }
    Ok(())
}

/// Every OBJECT schema needs properties (an empty map is no map in proto); paths name map
/// entries by key, as Gemini's validator does.
fn empty_objects(schema: &Value, at: &str, out: &mut Vec<String>) {
    let Value::Object(o) = schema else { return };
    let properties = o.get("properties").and_then(Value::as_object);
    let is_object = o.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("object"));
    if is_object && properties.is_none_or(Map::is_empty) {
        out.push(format!("{at}.properties: should be non-empty for OBJECT type"));
    }
    for (name, p) in properties.into_iter().flatten() {
        empty_objects(p, &format!("{at}.properties[{name}]"), out);
    }
    if let Some(items) = o.get("items") {
        empty_objects(items, &format!("{at}.items"), out);
    }
    for (k, v) in field(schema, "anyOf", "any_of").and_then(Value::as_array).into_iter().flatten().enumerate() {
        empty_objects(v, &format!("{at}.any_of[{k}]"), out);
    }
}

/// Unknown `Schema` fields (`additionalProperties`, `$schema`, ...) fail the request at JSON
/// parsing, one line per field, with a `BadRequest` detail per field.
fn check_unknown_schema_fields(body: &Value) -> Result<(), Rejection> {
    let mut found: Vec<(String, String)> = Vec::new();
    for (t, tool) in body.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let decls = field(tool, "functionDeclarations", "function_declarations").and_then(Value::as_array);
        for (d, decl) in decls.into_iter().flatten().enumerate() {
            if let Some(params) = decl.get("parameters") {
                unknown_fields(params, &format!("tools[{t}].function_declarations[{d}].parameters"), &mut found);
            }
        }
    }
    if let Some(schema) =
        field(body, "generationConfig", "generation_config").and_then(|c| field(c, "responseSchema", "response_schema"))
    {
        unknown_fields(schema, "generation_config.response_schema", &mut found);
    }
    if found.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = found
        .iter()
        .map(|(name, at)| {
            format!("Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field.")
        })
        .collect();
    let violations: Vec<Value> = found
        .iter()
        .zip(&lines)
        .map(|((_, at), description)| json!({"field": at, "description": description}))
        .collect();
    Err(Rejection {
        message: lines.join("\n"),
        details: vec![json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations})],
    })
}

/// Proto JSON paths: map entries (`properties`) are `properties[<n>].value`, repeated fields
/// `any_of[<n>]`.
fn unknown_fields(schema: &Value, at: &str, out: &mut Vec<(String, String)>) {
    let Value::Object(o) = schema else { return };
    for k in o.keys() {
        if !SCHEMA_FIELDS.contains(&k.as_str()) {
            out.push((k.clone(), at.to_string()));
        }
    }
    if let Some(Value::Object(props)) = o.get("properties") {
        for (n, p) in props.values().enumerate() {
            unknown_fields(p, &format!("{at}.properties[{n}].value"), out);
        }
    }
    if let Some(items) = o.get("items") {
        unknown_fields(items, &format!("{at}.items"), out);
    }
    for (n, v) in field(schema, "anyOf", "any_of").and_then(Value::as_array).into_iter().flatten().enumerate() {
        unknown_fields(v, &format!("{at}.any_of[{n}]"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_google_style() {
        assert_eq!(google_duration(34.4), "34.4s");
        assert_eq!(google_duration(2.0), "2s");
        assert_eq!(google_duration(0.5), "0.5s");
    }

    #[test]
    fn completion_split_adds_up() {
        let u = MockUsage { prompt: 10, completion: 5, cached: 0, tool_prompt: 0, cache_write: 0 };
        let t = Tokens::new(u, 400, true);
        assert_eq!((t.candidates, t.thoughts), (1, 4));
        let t = Tokens::new(u, 0, true);
        assert_eq!((t.candidates, t.thoughts), (5, 0));
        let t =
            Tokens::new(MockUsage { prompt: 1, completion: 0, cached: 0, tool_prompt: 0, cache_write: 0 }, 10, true);
        assert_eq!((t.candidates, t.thoughts), (0, 0));
    }

    #[test]
    fn unknown_schema_fields_are_located() {
        let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "tools": [{"functionDeclarations": [
            {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": false}}, "additionalProperties": false}}
        ]}]});
        let err = validate_request(&body, &Quirks::default()).unwrap_err();
        assert_eq!(
            err.message,
            "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters': Cannot find field.\nInvalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters.properties[0].value': Cannot find field."
        );
    }
}
