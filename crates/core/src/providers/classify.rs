//! Error classification shared by every family: each adapter extracts the provider's own fields
//! (type, code, status string, message, retry hint) and this table decides the kind.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::api::{ErrorKind, ProviderError};

/// What a provider said about an error, in its own vocabulary.
#[derive(Debug, Default, Clone)]
pub struct ErrorFields {
    /// Machine-readable identifiers, most specific first (`code`, then `type`, then `status`).
    pub codes: Vec<String>,
    pub message: Option<String>,
    /// A retry hint found in the body (Gemini's `RetryInfo.retryDelay`).
    pub retry_after: Option<Duration>,
}

/// Codes that decide the kind on their own, whatever the message says.
const DECISIVE_CODES: &[(&str, ErrorKind)] = &[
    ("insufficient_quota", ErrorKind::QuotaExhausted),
    ("billing_hard_limit_reached", ErrorKind::QuotaExhausted),
    ("context_length_exceeded", ErrorKind::ContextLengthExceeded),
    ("string_above_max_length", ErrorKind::ContextLengthExceeded),
    ("overloaded_error", ErrorKind::Overloaded),
    ("rate_limit_error", ErrorKind::RateLimited),
    ("rate_limit_exceeded", ErrorKind::RateLimited),
    ("resource_exhausted", ErrorKind::RateLimited),
    ("authentication_error", ErrorKind::Authentication),
    ("invalid_api_key", ErrorKind::Authentication),
    ("api_key_invalid", ErrorKind::Authentication),
    ("unauthenticated", ErrorKind::Authentication),
    ("permission_error", ErrorKind::PermissionDenied),
    ("permission_denied", ErrorKind::PermissionDenied),
    ("model_not_found", ErrorKind::NotFound),
    ("not_found_error", ErrorKind::NotFound),
    ("not_found", ErrorKind::NotFound),
    ("content_filter", ErrorKind::ContentFiltered),
    ("content_policy_violation", ErrorKind::ContentFiltered),
    ("unsupported_parameter", ErrorKind::Unsupported),
    ("unsupported_value", ErrorKind::Unsupported),
    ("unimplemented", ErrorKind::Unsupported),
    ("deadline_exceeded", ErrorKind::Timeout),
    ("unavailable", ErrorKind::Overloaded),
    ("server_is_overloaded", ErrorKind::Overloaded),
    ("service_tier_capacity_exceeded", ErrorKind::Overloaded),
    ("rate_limited", ErrorKind::RateLimited),
    ("invalid_model", ErrorKind::NotFound),
    ("extra_forbidden", ErrorKind::Unsupported),
    ("arrearage", ErrorKind::QuotaExhausted),
    ("data_inspection_failed", ErrorKind::ContentFiltered),
    ("invalid_prompt", ErrorKind::ContentFiltered),
    // What llm-conform's gateway (`serve`) sends for kinds OpenAI has no code for, so they
    // survive a second hop.
    ("upstream_connection_failed", ErrorKind::Connection),
    ("upstream_malformed_response", ErrorKind::MalformedResponse),
];

/// Codes that name a broad class a message may refine (an invalid request that is really a
/// context-length error, say).
const BROAD_CODES: &[(&str, ErrorKind)] = &[
    ("invalid_request_error", ErrorKind::InvalidRequest),
    ("invalid_argument", ErrorKind::InvalidRequest),
    ("failed_precondition", ErrorKind::InvalidRequest),
    ("bad_request", ErrorKind::InvalidRequest),
    ("request_too_large", ErrorKind::InvalidRequest),
    ("api_error", ErrorKind::ServerError),
    ("internal", ErrorKind::ServerError),
    ("internal_error", ErrorKind::ServerError),
    ("server_error", ErrorKind::ServerError),
];

/// Message phrases, for providers that give no better signal.
const MESSAGE_PHRASES: &[(&str, ErrorKind)] = &[
    ("context length", ErrorKind::ContextLengthExceeded),
    ("context_length", ErrorKind::ContextLengthExceeded),
    ("context window", ErrorKind::ContextLengthExceeded),
    ("context limit", ErrorKind::ContextLengthExceeded),
    ("maximum context", ErrorKind::ContextLengthExceeded),
    ("prompt is too long", ErrorKind::ContextLengthExceeded),
    ("too many tokens", ErrorKind::ContextLengthExceeded),
    ("exceeds the maximum number of tokens", ErrorKind::ContextLengthExceeded),
    ("input token count", ErrorKind::ContextLengthExceeded),
    ("insufficient_quota", ErrorKind::QuotaExhausted),
    ("insufficient balance", ErrorKind::QuotaExhausted),
    ("credit balance", ErrorKind::QuotaExhausted),
    ("per-month limit", ErrorKind::QuotaExhausted),
    ("api calls / month", ErrorKind::QuotaExhausted),
    ("is not supported", ErrorKind::Unsupported),
    ("not supported with", ErrorKind::Unsupported),
    ("overloaded", ErrorKind::Overloaded),
    ("rate limit", ErrorKind::RateLimited),
    ("too many requests", ErrorKind::RateLimited),
    ("safety", ErrorKind::ContentFiltered),
    ("model not exist", ErrorKind::NotFound),
    ("invalid model", ErrorKind::NotFound),
    ("content management policy", ErrorKind::ContentFiltered),
    ("content filtering policy", ErrorKind::ContentFiltered),
];

/// Kind from the HTTP status alone, the last resort.
pub fn kind_from_status(status: u16) -> ErrorKind {
    match status {
        401 | 498 => ErrorKind::Authentication,
        402 => ErrorKind::QuotaExhausted,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        408 | 504 => ErrorKind::Timeout,
        413 => ErrorKind::InvalidRequest,
        429 => ErrorKind::RateLimited,
        503 | 529 => ErrorKind::Overloaded,
        500..=599 => ErrorKind::ServerError,
        _ => ErrorKind::InvalidRequest,
    }
}

fn lookup(table: &[(&str, ErrorKind)], code: &str) -> Option<ErrorKind> {
    table.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map(|(_, k)| *k)
}

fn from_message(message: &str) -> Option<ErrorKind> {
    let lower = message.to_ascii_lowercase();
    MESSAGE_PHRASES.iter().find(|(p, _)| lower.contains(p)).map(|(_, k)| *k)
}

/// Decides the kind: a decisive code, then a message phrase refining a broad code or a bare
/// status, then the broad code, then the status.
pub fn classify(status: Option<u16>, fields: &ErrorFields) -> ErrorKind {
    if let Some(k) = fields.codes.iter().find_map(|c| lookup(DECISIVE_CODES, c)) {
        return k;
    }
    // 402 Payment Required means one thing whatever generic code comes with it.
    if status == Some(402) {
        return ErrorKind::QuotaExhausted;
    }
    let broad = fields.codes.iter().find_map(|c| lookup(BROAD_CODES, c));
    let by_message = fields.message.as_deref().and_then(from_message);
    let by_status = status.map(kind_from_status);
    // A phrase may refine an invalid request or fill in for a missing code, but never turns a
    // server-side status into a client error or the other way round.
    if let Some(m) = by_message {
        let compatible = match (broad, by_status) {
            (Some(ErrorKind::InvalidRequest), _) => matches!(
                m,
                ErrorKind::ContextLengthExceeded
                    | ErrorKind::ContentFiltered
                    | ErrorKind::QuotaExhausted
                    | ErrorKind::Unsupported
                    | ErrorKind::NotFound
            ),
            (Some(ErrorKind::ServerError), _) => m == ErrorKind::Overloaded,
            (Some(_), _) => false,
            (None, Some(s)) => {
                s == ErrorKind::InvalidRequest
                    || s == m
                    || (s == ErrorKind::RateLimited && m == ErrorKind::QuotaExhausted)
            }
            (None, None) => true,
        };
        if compatible {
            return m;
        }
    }
    // A generic "invalid request" code says less than a specific client status (404, 401...).
    if broad == Some(ErrorKind::InvalidRequest)
        && let Some(s) = by_status
        && matches!(
            s,
            ErrorKind::Authentication
                | ErrorKind::PermissionDenied
                | ErrorKind::NotFound
                | ErrorKind::RateLimited
                | ErrorKind::QuotaExhausted
        )
    {
        return s;
    }
    broad.or(by_status).unwrap_or(ErrorKind::ServerError)
}

/// Builds the error from extracted fields, headers and status.
pub fn build_error(status: Option<u16>, headers: &HeaderMap, fields: ErrorFields) -> ProviderError {
    let kind = classify(status, &fields);
    let retry_after = retry_after_from_headers(headers).or(fields.retry_after);
    ProviderError {
        kind,
        message: fields.message.unwrap_or_else(|| match status {
            Some(s) => format!("http status {s} with no error message"),
            None => "error with no message".into(),
        }),
        status,
        retry_after,
        provider_code: fields.codes.into_iter().next(),
    }
}

/// For a body that is not JSON (an HTML 502 page from a proxy): the status decides, and the
/// message is a short, tag-free snippet of what came back.
pub fn non_json_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let fields = ErrorFields { codes: Vec::new(), message: Some(snippet(body)), retry_after: None };
    let mut e = build_error(Some(status), headers, fields);
    e.kind = kind_from_status(status);
    e
}

/// Up to 200 characters of text from a body, markup stripped and whitespace folded.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= 200 {
            out.push('…');
            break;
        }
    }
    let s = out.trim().to_string();
    if s.is_empty() { "empty response body".into() } else { format!("non-JSON body: {s}") }
}

/// The longest retry hint kept. Providers send what they like (`Retry-After: 1e300`); a hint
/// at this cap means "at least this long", which any router treats as too long to wait, so a
/// longer one is clamped rather than refused and the error keeps saying a hint was given.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A retry hint in seconds as a provider sent it: `None` unless finite and non-negative,
/// clamped to [`MAX_RETRY_AFTER`] (so `Duration` never sees a value it cannot hold).
pub fn retry_hint_from_secs(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    if secs >= MAX_RETRY_AFTER.as_secs_f64() {
        return Some(MAX_RETRY_AFTER);
    }
    Duration::try_from_secs_f64(secs).ok()
}

/// `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`, clamped to
/// [`MAX_RETRY_AFTER`]; an unreadable value is no hint rather than an error.
pub fn retry_after_from_headers(headers: &HeaderMap) -> Option<Duration> {
    if let Some(hint) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .and_then(|ms| retry_hint_from_secs(ms / 1000.0))
    {
        return Some(hint);
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

/// Parses a `Retry-After` value relative to `now`
/// (<https://www.rfc-editor.org/rfc/rfc9110#field.retry-after>): delay-seconds or an HTTP date.
/// Fractional seconds are accepted because some gateways send them.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = value.parse::<f64>() {
        return retry_hint_from_secs(secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// Google's duration strings (`google.protobuf.Duration` in JSON: `"34.4s"`, `"1s"`, `"0.5s"`),
/// clamped like every other hint.
pub fn parse_google_duration(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().strip_suffix('s')?.parse().ok()?;
    retry_hint_from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(codes: &[&str], message: &str) -> ErrorFields {
        ErrorFields {
            codes: codes.iter().map(|s| s.to_string()).collect(),
            message: Some(message.into()),
            retry_after: None,
        }
    }

    #[test]
    fn decisive_code_wins_over_message() {
        let f = fields(
            &["RESOURCE_EXHAUSTED"],
            "You exceeded your current quota, please check your plan and billing details",
        );
        assert_eq!(classify(Some(429), &f), ErrorKind::RateLimited);
        assert_eq!(classify(Some(429), &fields(&["insufficient_quota"], "")), ErrorKind::QuotaExhausted);
    }

    #[test]
    fn message_refines_an_invalid_request() {
        let f = fields(&["invalid_request_error"], "prompt is too long: 210000 tokens > 200000 maximum");
        assert_eq!(classify(Some(400), &f), ErrorKind::ContextLengthExceeded);
        let f = fields(&["invalid_request_error"], "messages: text content blocks must be non-empty");
        assert_eq!(classify(Some(400), &f), ErrorKind::InvalidRequest);
    }

    #[test]
    fn specific_status_beats_a_generic_invalid_request_code() {
        let f = fields(&["invalid_request_error"], "The model `x` does not exist or you do not have access to it.");
        assert_eq!(classify(Some(404), &f), ErrorKind::NotFound);
        assert_eq!(classify(Some(400), &f), ErrorKind::InvalidRequest);
    }

    #[test]
    fn anthropic_billing_and_filter_messages_refine_invalid_request() {
        let f = fields(
            &["invalid_request_error"],
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        );
        assert_eq!(classify(Some(400), &f), ErrorKind::QuotaExhausted);
        let f = fields(&["invalid_request_error"], "Output blocked by content filtering policy");
        assert_eq!(classify(Some(400), &f), ErrorKind::ContentFiltered);
    }

    #[test]
    fn message_never_turns_a_server_error_into_a_client_error() {
        let f = fields(&[], "upstream said: context length unknown");
        assert_eq!(classify(Some(500), &f), ErrorKind::ServerError);
    }

    #[test]
    fn status_is_the_last_resort() {
        for (s, k) in [
            (401, ErrorKind::Authentication),
            (529, ErrorKind::Overloaded),
            (502, ErrorKind::ServerError),
            (504, ErrorKind::Timeout),
            (418, ErrorKind::InvalidRequest),
        ] {
            assert_eq!(classify(Some(s), &ErrorFields::default()), k, "status {s}");
        }
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_google_duration("34.4s"), Some(Duration::from_secs_f64(34.4)));
    }

    #[test]
    fn html_snippet_is_short_and_tag_free() {
        let body = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let s = snippet(body);
        assert!(s.starts_with("non-JSON body: 502 Bad Gateway"), "{s}");
        assert!(!s.contains('<'));
        assert!(snippet(&[b'x'; 5000]).chars().count() < 220);
    }
}
