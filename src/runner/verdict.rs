//! The verdict on a case, decided once from everything known about it: whether it ran, whether
//! the provider was there, the expectations it missed, the stream/non-stream comparison, whether
//! it needed a retry, and the scenario's documented divergences.

use llm_conform_core::api::ErrorKind;

use super::judge::Judgement;
use super::provider_call::CaseStop;
use crate::results::CaseStatus;
use crate::suite::Xfail;

/// How one mode of a case ended.
#[derive(Debug, Clone)]
pub enum Evidence {
    Stopped(CaseStop),
    /// The provider kept failing with a transient kind: an outage, not a conformance result.
    Unavailable(String),
    Judged(Judgement),
}

/// The error kinds that say a provider is not there right now rather than how it behaves.
pub const OUTAGE_KINDS: [ErrorKind; 5] =
    [ErrorKind::RateLimited, ErrorKind::Overloaded, ErrorKind::ServerError, ErrorKind::Timeout, ErrorKind::Connection];

/// Everything the verdict depends on.
pub struct VerdictInputs<'a> {
    pub evidence: &'a Evidence,
    /// This mode's side of a stream/non-stream disagreement, already blamed on it.
    pub disagreement: Option<&'a str>,
    /// A transient failure was retried before the answer came.
    pub retried: bool,
    pub xfail: Option<&'a Xfail>,
}

/// The status and the reason it is given.
pub fn decide(i: &VerdictInputs<'_>) -> (CaseStatus, Option<String>) {
    let judgement = match i.evidence {
        Evidence::Stopped(CaseStop::Skipped(why)) => return (CaseStatus::Skipped, Some(why.clone())),
        Evidence::Stopped(CaseStop::HarnessError(why)) => return (CaseStatus::Error, Some(why.clone())),
        Evidence::Unavailable(why) => return (CaseStatus::Unavailable, Some(why.clone())),
        Evidence::Judged(j) => j,
    };
    // Expectations first, then the disagreement: the missed expectation is the news.
    let mut reasons: Vec<String> = judgement.failures.clone();
    if let Some(said) = &judgement.provider_said {
        if let Some(last) = reasons.last_mut() {
            last.push_str(&format!(" — provider said: {said}"));
        }
    }
    reasons.extend(i.disagreement.map(str::to_string));
    let failed = !reasons.is_empty();
    match (failed, i.xfail) {
        (true, Some(x)) => (CaseStatus::Xfail, Some(format!("{} (known: {})", reasons.join("; "), x.reason))),
        (true, None) => (CaseStatus::Fail, Some(reasons.join("; "))),
        (false, Some(x)) => {
            (CaseStatus::Xpass, Some(format!("expected to fail ({}) but passed: remove the xfail", x.reason)))
        }
        (false, None) if i.retried => {
            (CaseStatus::Flaky, Some("passed after a retry; the attempts say what failed first".into()))
        }
        (false, None) => (CaseStatus::Pass, None),
    }
}

#[cfg(test)]
mod tests {
    use llm_conform_core::api::{ChatCompletion, FinishReason, ResponseMessage};

    use super::*;
    use crate::fingerprint::{Fingerprint, FingerprintInput};

    fn judged(failures: &[&str]) -> Evidence {
        let ok = Ok(ChatCompletion::single("id", "m", 0, ResponseMessage::assistant(), FinishReason::Stop, None));
        let input = FingerprintInput { result: &ok, stream_chunks: None, want_json: false, schema: None };
        Evidence::Judged(Judgement {
            fingerprint: Fingerprint::compute(&input),
            failures: failures.iter().map(|s| s.to_string()).collect(),
            provider_said: None,
            snapshot: None,
        })
    }

    fn inputs<'a>(e: &'a Evidence, dis: Option<&'a str>, retried: bool, x: Option<&'a Xfail>) -> VerdictInputs<'a> {
        VerdictInputs { evidence: e, disagreement: dis, retried, xfail: x }
    }

    #[test]
    fn expectation_failures_come_before_the_disagreement() {
        let e = judged(&["tool_calls: expected [get_weather], got [get_wether]"]);
        let (s, r) = decide(&inputs(&e, Some("stream and non-stream disagree"), false, None));
        assert_eq!(s, CaseStatus::Fail);
        assert!(r.unwrap().starts_with("tool_calls:"));
    }

    #[test]
    fn a_retried_pass_is_flaky_and_an_outage_is_unavailable() {
        let e = judged(&[]);
        assert_eq!(decide(&inputs(&e, None, true, None)).0, CaseStatus::Flaky);
        assert_eq!(decide(&inputs(&e, None, false, None)).0, CaseStatus::Pass);
        let down = Evidence::Unavailable("anthropic unavailable: overloaded after 3 attempts".into());
        assert_eq!(decide(&inputs(&down, None, true, None)).0, CaseStatus::Unavailable);
    }

    #[test]
    fn xfail_flips_fail_and_pass() {
        let x = Xfail { provider: "p".into(), reason: "known".into(), link: None, mode: None };
        assert_eq!(decide(&inputs(&judged(&["bad"]), None, false, Some(&x))).0, CaseStatus::Xfail);
        assert_eq!(decide(&inputs(&judged(&[]), None, false, Some(&x))).0, CaseStatus::Xpass);
        let skipped = Evidence::Stopped(CaseStop::Skipped("no key".into()));
        assert_eq!(decide(&inputs(&skipped, None, false, Some(&x))).0, CaseStatus::Skipped);
    }
}
