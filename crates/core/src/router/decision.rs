//! What the router does after each attempt, decided from the policy and what happened alone:
//! no clock, no I/O, so every rule is tested on values (`route.rs` carries the decisions out).

use std::time::Duration;

use super::RouterPolicy;
use super::validator::failed_validation;
use crate::api::{ChatCompletion, ChatRequest, ProviderError};

/// After a response arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum OnSuccess {
    /// It is good enough: return it.
    Return,
    /// It failed a validator and a stronger tier is left to try.
    Escalate { tier: String, why: String },
}

/// After an attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum OnError {
    /// The request itself is at fault (another provider would reject it too): return the error.
    Return { why: String },
    /// Try the same candidate again after `wait`.
    Retry { wait: Duration },
    /// Give up on this candidate; `why` is added to the attempt's reason when set.
    NextCandidate { why: Option<String> },
}

/// Whether `resp` is returned or the request escalates. A tier already visited is never
/// escalated to again, so escalation ends.
pub fn on_success(
    policy: &RouterPolicy,
    req: &ChatRequest,
    resp: &ChatCompletion,
    tier: Option<&str>,
    visited: &[String],
) -> OnSuccess {
    let next = tier.and_then(|t| policy.tiers.get(t)).and_then(|t| t.escalate_to.clone());
    match (failed_validation(&policy.escalation, req, resp), next) {
        (Some(why), Some(next)) if !visited.contains(&next) => {
            OnSuccess::Escalate { why: format!("{why}: escalating to tier {next}"), tier: next }
        }
        _ => OnSuccess::Return,
    }
}

/// Whether a failed attempt is returned, retried or left for the next candidate.
/// `retries_done` counts retries of this candidate so far; `entered_cooldown` says the failure
/// just put the provider into cooldown; `backoff` is the wait when the provider gave no hint.
pub fn on_error(
    policy: &RouterPolicy,
    e: &ProviderError,
    retries_done: u32,
    entered_cooldown: bool,
    backoff: Duration,
) -> OnError {
    if !policy.fallback_on.contains(&e.kind) {
        return OnError::Return { why: format!("{} is not a fallback error: the request itself is at fault", e.kind) };
    }
    let cap = Duration::from_millis(policy.retry.retry_after_cap_ms);
    let can_retry = retries_done < policy.retry.max_retries && !entered_cooldown;
    if entered_cooldown {
        let why = format!("{} consecutive failures: cooling down", policy.cooldown.failures);
        return OnError::NextCandidate { why: Some(why) };
    }
    match e.retry_after {
        Some(hint) if can_retry && hint > cap => OnError::NextCandidate {
            why: Some(format!(
                "Retry-After {:.0}s exceeds the {:.0}s cap: shifting to the next candidate",
                hint.as_secs_f64(),
                cap.as_secs_f64()
            )),
        },
        hint if can_retry => OnError::Retry { wait: hint.unwrap_or(backoff).min(cap) },
        _ => OnError::NextCandidate { why: None },
    }
}

/// Exponential backoff before retry number `retry` (0 for the first), capped, with full jitter
/// drawn from `random` (uniform over `u64`) when the policy asks for it.
pub fn backoff(policy: &RouterPolicy, retry: u32, random: u64) -> Duration {
    let r = &policy.retry;
    let exp = r.base_ms.saturating_mul(1u64 << retry.min(20)).min(r.max_ms);
    let ms = if r.jitter { exp / 2 + (random % (exp / 2 + 1)) } else { exp };
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ErrorKind, FinishReason, ResponseMessage};
    use crate::router::TierPolicy;

    fn policy() -> RouterPolicy {
        let mut p = RouterPolicy::default();
        p.retry.max_retries = 2;
        p.retry.retry_after_cap_ms = 5_000;
        p.tiers
            .insert("cheap".into(), TierPolicy { candidates: vec!["a/m".into()], escalate_to: Some("premium".into()) });
        p.tiers.insert("premium".into(), TierPolicy { candidates: vec!["b/m".into()], escalate_to: None });
        p
    }

    fn err(kind: ErrorKind, retry_after_s: Option<u64>) -> ProviderError {
        let mut e = ProviderError::new(kind, "x");
        e.retry_after = retry_after_s.map(Duration::from_secs);
        e
    }

    #[test]
    fn errors_that_are_the_requests_fault_are_returned() {
        let d = on_error(&policy(), &err(ErrorKind::InvalidRequest, None), 0, false, Duration::ZERO);
        assert!(matches!(d, OnError::Return { .. }), "{d:?}");
    }

    #[test]
    fn transient_errors_retry_with_the_hint_then_move_on() {
        let p = policy();
        let backoff = Duration::from_millis(250);
        assert_eq!(
            on_error(&p, &err(ErrorKind::RateLimited, Some(2)), 0, false, backoff),
            OnError::Retry { wait: Duration::from_secs(2) }
        );
        assert_eq!(
            on_error(&p, &err(ErrorKind::Overloaded, None), 1, false, backoff),
            OnError::Retry { wait: backoff }
        );
        assert_eq!(
            on_error(&p, &err(ErrorKind::Overloaded, None), 2, false, backoff),
            OnError::NextCandidate { why: None }
        );
        let long = on_error(&p, &err(ErrorKind::RateLimited, Some(30)), 0, false, backoff);
        assert!(
            matches!(&long, OnError::NextCandidate { why: Some(w) } if w.contains("exceeds the 5s cap")),
            "{long:?}"
        );
        let cooled = on_error(&p, &err(ErrorKind::ServerError, None), 0, true, backoff);
        assert!(matches!(&cooled, OnError::NextCandidate { why: Some(w) } if w.contains("cooling down")), "{cooled:?}");
    }

    #[test]
    fn invalid_json_escalates_once_per_tier() {
        let p = policy();
        let req: ChatRequest = serde_json::from_value(serde_json::json!({
            "model": "m", "messages": [{"role": "user", "content": "json"}],
            "response_format": {"type": "json_object"}
        }))
        .unwrap();
        let mut m = ResponseMessage::assistant();
        m.content = Some("not json".into());
        let resp = ChatCompletion::single("id", "m", 0, m, FinishReason::Stop, None);
        let d = on_success(&p, &req, &resp, Some("cheap"), &["cheap".into()]);
        assert!(matches!(&d, OnSuccess::Escalate { tier, .. } if tier == "premium"), "{d:?}");
        assert_eq!(on_success(&p, &req, &resp, Some("cheap"), &["cheap".into(), "premium".into()]), OnSuccess::Return);
        assert_eq!(on_success(&p, &req, &resp, None, &[]), OnSuccess::Return);
    }

    #[test]
    fn backoff_grows_is_capped_and_jitters_within_half() {
        let mut p = policy();
        p.retry.base_ms = 100;
        p.retry.max_ms = 1_000;
        p.retry.jitter = false;
        assert_eq!(backoff(&p, 0, 7), Duration::from_millis(100));
        assert_eq!(backoff(&p, 3, 7), Duration::from_millis(800));
        assert_eq!(backoff(&p, 10, 7), Duration::from_millis(1_000));
        p.retry.jitter = true;
        for r in [0, 1, u64::MAX] {
            let b = backoff(&p, 2, r);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&b), "{b:?}");
        }
    }
}
