//! Retry hints come from servers we do not control: every value is validated (finite,
//! non-negative) and clamped to `MAX_RETRY_AFTER`, a hint "longer than any router waits",
//! never a panic in `Duration::from_secs_f64`.
//!
//! `Retry-After`: <https://www.rfc-editor.org/rfc/rfc9110#field.retry-after>; OpenAI's
//! `retry-after-ms`: <https://platform.openai.com/docs/guides/rate-limits>; Gemini's
//! `google.rpc.RetryInfo.retryDelay` (a `google.protobuf.Duration`, JSON `"<seconds>s"`):
//! <https://cloud.google.com/apis/design/errors#retry_info>.

use std::time::{Duration, SystemTime};

use llm_conform_core::api::ErrorKind;
use llm_conform_core::providers::classify::{MAX_RETRY_AFTER, parse_google_duration, parse_retry_after};
use llm_conform_core::providers::{Adapter, AnthropicAdapter, CohereAdapter, GeminiAdapter, OpenAiAdapter};
use reqwest::header::{HeaderMap, HeaderValue};

fn headers(name: &'static str, value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(name, HeaderValue::from_str(value).unwrap());
    h
}

fn adapters() -> [&'static dyn Adapter; 4] {
    [&OpenAiAdapter, &AnthropicAdapter, &GeminiAdapter, &CohereAdapter]
}

#[test]
fn retry_after_of_1e300_is_capped_not_a_panic() {
    for a in adapters() {
        for value in ["1e300", "1e20", "18446744073709551616", "86401"] {
            let e = a.classify_error(429, &headers("retry-after", value), b"{}");
            assert_eq!(e.kind, ErrorKind::RateLimited, "{:?} {value}", a.family());
            assert_eq!(e.retry_after, Some(MAX_RETRY_AFTER), "{:?} {value}", a.family());
        }
    }
}

#[test]
fn retry_after_ms_of_1e300_is_capped_not_a_panic() {
    for a in adapters() {
        let e = a.classify_error(429, &headers("retry-after-ms", "1e300"), b"{}");
        assert_eq!(e.retry_after, Some(MAX_RETRY_AFTER), "{:?}", a.family());
    }
}

#[test]
fn gemini_retry_delay_of_1e300s_is_capped_not_a_panic() {
    let body = br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1e300s"}]}}"#;
    let e = GeminiAdapter.classify_error(429, &HeaderMap::new(), body);
    assert_eq!((e.kind, e.retry_after), (ErrorKind::RateLimited, Some(MAX_RETRY_AFTER)));
    assert_eq!(parse_google_duration("1e300s"), Some(MAX_RETRY_AFTER));
}

#[test]
fn retry_hints_that_are_not_finite_and_non_negative_are_no_hint() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for value in ["-1", "NaN", "nan", "inf", "-inf", "infinity", "-0.5", "1e-400x", ""] {
        assert_eq!(parse_retry_after(value, now), None, "Retry-After {value:?}");
        assert_eq!(parse_google_duration(&format!("{value}s")), None, "retryDelay {value:?}s");
    }
    for a in adapters() {
        for (name, value) in [("retry-after-ms", "NaN"), ("retry-after-ms", "-5"), ("retry-after", "inf")] {
            let e = a.classify_error(429, &headers(name, value), b"{}");
            assert_eq!(e.retry_after, None, "{:?} {name}: {value}", a.family());
        }
    }
}

#[test]
fn retry_after_http_date_far_in_the_future_is_capped() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_RETRY_AFTER));
    assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now), Some(Duration::ZERO), "a past date: retry now");
}

#[test]
fn ordinary_retry_hints_are_kept_exactly() {
    let now = SystemTime::UNIX_EPOCH;
    assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
    assert_eq!(parse_retry_after("0.25", now), Some(Duration::from_millis(250)));
    assert_eq!(parse_google_duration("34.4s"), Some(Duration::from_secs_f64(34.4)));
    let e = OpenAiAdapter.classify_error(429, &headers("retry-after-ms", "1500"), b"{}");
    assert_eq!(e.retry_after, Some(Duration::from_millis(1500)));
}
