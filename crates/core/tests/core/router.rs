//! The router on a fake clock: buckets, waiting, retries with Retry-After, cooldown and probe,
//! escalation, latency budgets, profiles; and under real concurrency, no deadlock and no limit
//! exceeded.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use llm_conform_core::api::{
    ChatCompletion, ChatRequest, ErrorKind, FinishReason, ProviderError, ResponseMessage, ToolCall, Usage,
};
use llm_conform_core::providers::Catalog;
use llm_conform_core::router::{
    CallResult, Candidate, Clock, FakeClock, RealClock, Router, RouterClock, RouterPolicy, SendOutcome, Target,
};

fn policy(toml_text: &str) -> RouterPolicy {
    let p: RouterPolicy = toml::from_str(toml_text).unwrap();
    p.validate(&Catalog::builtin()).unwrap();
    p
}

fn request() -> ChatRequest {
    serde_json::from_value(
        serde_json::json!({"model": "", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}),
    )
    .unwrap()
}

fn ok(text: &str) -> Result<ChatCompletion, ProviderError> {
    let mut m = ResponseMessage::assistant();
    m.content = Some(text.to_string());
    Ok(ChatCompletion::single("id", "m", 0, m, FinishReason::Stop, Some(Usage::new(10, 5, 0, 0))))
}

fn err(kind: ErrorKind, retry_after: Option<Duration>) -> Result<ChatCompletion, ProviderError> {
    let mut e = ProviderError::new(kind, format!("{kind} from test"));
    e.retry_after = retry_after;
    Err(e)
}

fn called(result: Result<ChatCompletion, ProviderError>) -> SendOutcome {
    SendOutcome::Called(CallResult { result, latency_ms: 1.0, ttft_ms: None, status: None, notes: Vec::new() })
}

const CHAIN: &str = "tiers.chain = { candidates = [\"openai/gpt-4.1-nano\", \"mistral/mistral-small-latest\"] }\n";

/// Routes `n` requests one after another, answering each provider with `answer`; returns calls
/// per provider and the outcomes.
async fn route_many<C: RouterClock>(
    router: &Router<C>,
    n: usize,
    answer: impl Fn(&Candidate, u32) -> Result<ChatCompletion, ProviderError>,
) -> (HashMap<String, usize>, Vec<llm_conform_core::router::RouteOutcome>) {
    let mut calls: HashMap<String, usize> = HashMap::new();
    let mut outs = Vec::new();
    for _ in 0..n {
        let out = router
            .route(&request(), &Target::Tier("chain".into()), |c, _req, _deadline, k| {
                *calls.entry(c.provider.clone()).or_default() += 1;
                let r = answer(&c, k);
                async move { called(r) }
            })
            .await;
        outs.push(out);
    }
    (calls, outs)
}

#[tokio::test]
async fn rpm_bucket_shifts_the_excess_to_the_next_candidate() {
    let r = 6u32;
    let burst = 2u32;
    let p = policy(&format!("{CHAIN}[limits.openai]\nrpm = {r}\nburst = {burst}\n"));
    let router = Router::with_clock(p, Catalog::builtin(), FakeClock::default());
    let (calls, outs) = route_many(&router, 10 * r as usize, |_, _| ok("fine")).await;
    // `burst` is how many go at once (issue 10: `rpm = 20, burst = 2` once let 22 through in
    // the first second); the clock does not move, so nothing refills.
    assert_eq!(calls.get("openai").copied(), Some(burst as usize), "{calls:?}");
    assert_eq!(calls.get("mistral").copied(), Some((10 * r - burst) as usize));
    assert!(outs.iter().all(|o| o.result.is_ok()), "no request fails while a candidate is available");
    let shifted = &outs.last().unwrap().attempts;
    assert_eq!(shifted[0].outcome, "skipped");
    assert!(shifted[0].why.contains("requests per minute"), "{}", shifted[0].why);
}

#[tokio::test]
async fn wait_mode_delays_instead_of_dropping() {
    let clock = FakeClock::default();
    let p = policy(&format!("on_limit = \"wait\"\n{CHAIN}[limits.openai]\nrpm = 5\n"));
    let router = Router::with_clock(p, Catalog::builtin(), clock.clone());
    let start = clock.now();
    let (calls, outs) = route_many(&router, 20, |_, _| ok("fine")).await;
    assert_eq!(calls.get("openai").copied(), Some(20), "every request waited for openai: {calls:?}");
    assert!(!calls.contains_key("mistral"));
    assert!(outs.iter().all(|o| o.result.is_ok()));
    // One goes at once (the default burst), the other 19 one every 12 s: 228 s of (fake) waiting.
    let waited = clock.since(start);
    assert!(waited >= Duration::from_secs(225) && waited <= Duration::from_secs(235), "{waited:?}");
}

#[tokio::test]
async fn token_bucket_counts_estimated_tokens() {
    // Each request is estimated at 1 prompt token + 10 output tokens = 11 before the call, and
    // corrected to the 15 tokens its usage reports after: 50 tokens/min admits 3, not 4.
    let p = policy(&format!("{CHAIN}[limits.openai]\ntpm = 50\n"));
    let router = Router::with_clock(p, Catalog::builtin(), FakeClock::default());
    let (calls, _) = route_many(&router, 10, |_, _| ok("fine")).await;
    assert_eq!(calls.get("openai").copied(), Some(3), "{calls:?}");
    assert_eq!(calls.get("mistral").copied(), Some(7));
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let clock = FakeClock::default();
    let p = policy(&format!("retry = {{ max_retries = 2, retry_after_cap_ms = 10000 }}\n{CHAIN}"));
    let router = Router::with_clock(p, Catalog::builtin(), clock.clone());
    let start = clock.now();
    let (calls, outs) = route_many(&router, 1, |c, k| {
        if c.provider == "openai" && k == 1 {
            err(ErrorKind::RateLimited, Some(Duration::from_secs(7)))
        } else {
            ok("fine")
        }
    })
    .await;
    assert_eq!(calls.get("openai").copied(), Some(2), "retried the same candidate after waiting");
    assert!(clock.since(start) >= Duration::from_secs(7));
    assert!(outs[0].result.is_ok());
    assert_eq!(outs[0].attempts[1].why, "retry 1 of 2");

    // Over the cap: shift instead of waiting.
    let clock = FakeClock::default();
    let router = Router::with_clock(
        policy(&format!("retry = {{ max_retries = 2, retry_after_cap_ms = 5000 }}\n{CHAIN}")),
        Catalog::builtin(),
        clock.clone(),
    );
    let start = clock.now();
    let (calls, outs) = route_many(&router, 1, |c, _| {
        if c.provider == "openai" { err(ErrorKind::RateLimited, Some(Duration::from_secs(60))) } else { ok("fine") }
    })
    .await;
    assert_eq!((calls.get("openai").copied(), calls.get("mistral").copied()), (Some(1), Some(1)));
    assert!(clock.since(start) < Duration::from_secs(1), "did not wait for the long Retry-After");
    assert!(outs[0].attempts[0].why.contains("exceeds the 5s cap"));
}

#[tokio::test]
async fn cooldown_skips_then_probes_after_the_period() {
    let clock = FakeClock::default();
    let p = policy(&format!("retry = {{ max_retries = 0 }}\ncooldown = {{ failures = 3, period_s = 60 }}\n{CHAIN}"));
    let router = Router::with_clock(p, Catalog::builtin(), clock.clone());
    let answer = |c: &Candidate, _| if c.provider == "openai" { err(ErrorKind::ServerError, None) } else { ok("fine") };
    let (calls, outs) = route_many(&router, 5, answer).await;
    assert_eq!(calls.get("openai").copied(), Some(3), "called until the third failure, then skipped");
    assert_eq!(outs[3].attempts[0].outcome, "skipped");
    assert!(outs[3].attempts[0].why.contains("cooling down"));
    clock.advance(Duration::from_secs(61));
    let (calls, _) = route_many(&router, 1, answer).await;
    assert_eq!(calls.get("openai").copied(), Some(1), "probed again after the cooldown");
}

#[tokio::test]
async fn non_fallback_errors_return_at_once() {
    let router = Router::with_clock(policy(CHAIN), Catalog::builtin(), FakeClock::default());
    let (calls, outs) = route_many(&router, 1, |_, _| err(ErrorKind::InvalidRequest, None)).await;
    assert_eq!(calls.get("mistral"), None);
    assert_eq!(outs[0].result.as_ref().unwrap_err().kind, ErrorKind::InvalidRequest);
    let (_, outs) = route_many(&router, 1, |_, _| err(ErrorKind::Overloaded, None)).await;
    assert_eq!(outs[0].result.as_ref().unwrap_err().kind, ErrorKind::Overloaded, "all candidates overloaded");
}

#[tokio::test]
async fn escalation_on_each_validator() {
    let p = policy(
        "escalation = { on = [\"json\", \"schema\", \"tool_arguments\", \"length\", \"confidence\"], min_confidence = 0.7 }\n\
         retry = { max_retries = 0 }\n\
         tiers.cheap = { candidates = [\"openai/gpt-4.1-nano\"], escalate_to = \"premium\" }\n\
         tiers.premium = { candidates = [\"anthropic/claude-opus-4-1\"] }\n",
    );
    let router = Router::with_clock(p, Catalog::builtin(), FakeClock::default());
    let mut json_req = request();
    json_req.response_format = Some(serde_json::from_value(serde_json::json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}})).unwrap());
    let cheap_answers: Vec<(&str, Result<ChatCompletion, ProviderError>, &str)> = vec![
        ("json", ok("not json"), "content is not valid JSON"),
        ("schema", ok("{\"n\": \"three\"}"), "does not match the requested schema"),
        ("confidence", ok("{\"n\": 3, \"confidence\": 0.2}"), "confidence 0.2 is below 0.7"),
        (
            "length",
            {
                let mut r = ok("{\"n\": 3}").unwrap();
                r.choices[0].finish_reason = FinishReason::Length;
                Ok(r)
            },
            "cut off",
        ),
        (
            "tool_arguments",
            {
                let mut r = ok("").unwrap();
                r.choices[0].message.content = None;
                r.choices[0].message.tool_calls = Some(vec![ToolCall::new("c1", "f", "{broken")]);
                Ok(r)
            },
            "do not parse",
        ),
    ];
    for (name, cheap, why) in cheap_answers {
        let out = router
            .route(&json_req, &Target::Tier("cheap".into()), |c, _, _, _| {
                let r = if c.provider == "openai" { cheap.clone() } else { ok("{\"n\": 3}") };
                async move { called(r) }
            })
            .await;
        assert!(out.result.is_ok(), "{name}");
        assert_eq!(out.attempts[0].outcome, "escalated", "{name}");
        assert!(out.attempts[0].why.contains(why), "{name}: {}", out.attempts[0].why);
        assert_eq!(out.served_by.unwrap().provider, "anthropic", "{name}");
    }
}

#[tokio::test]
async fn latency_budget_stops_the_route() {
    let clock = FakeClock::default();
    let p = policy(&format!(
        "latency_budget_ms = 1000\nretry = {{ max_retries = 5, base_ms = 400, jitter = false }}\n{CHAIN}"
    ));
    let router = Router::with_clock(p, Catalog::builtin(), clock.clone());
    let c2 = clock.clone();
    let out = router
        .route(&request(), &Target::Tier("chain".into()), |_, _, deadline, _| {
            assert!(deadline <= Duration::from_millis(1000), "each attempt gets at most what is left");
            c2.advance(Duration::from_millis(300));
            async move { called(err(ErrorKind::ServerError, None)) }
        })
        .await;
    let e = out.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.message.contains("latency budget"));
}

#[tokio::test]
async fn batch_profile_prefers_the_cheapest_and_realtime_the_fastest() {
    let tiers = "tiers.chain = { candidates = [\"anthropic/claude-opus-4-1\", \"groq/llama-3.1-8b-instant\", \"openai/gpt-4.1\"] }\n";
    let router =
        Router::with_clock(policy(&format!("profile = \"batch\"\n{tiers}")), Catalog::builtin(), FakeClock::default());
    let plan = router.plan(&Target::Tier("chain".into())).unwrap();
    let order: Vec<&str> = plan.iter().map(|p| p.candidate.provider.as_str()).collect();
    assert_eq!(order, ["groq", "openai", "anthropic"]);

    let router = Router::with_clock(
        policy(&format!("profile = \"realtime\"\n{tiers}")),
        Catalog::builtin(),
        FakeClock::default(),
    );
    for (provider, ttft) in [("anthropic", 900.0), ("groq", 40.0), ("openai", 300.0)] {
        let target = Target::Model(Candidate { provider: provider.into(), model: "m".into() });
        router
            .route(&request(), &target, |_, _, _, _| async move {
                SendOutcome::Called(CallResult {
                    result: ok("x"),
                    latency_ms: ttft,
                    ttft_ms: Some(ttft),
                    status: None,
                    notes: Vec::new(),
                })
            })
            .await;
    }
    let plan = router.plan(&Target::Tier("chain".into())).unwrap();
    let order: Vec<&str> = plan.iter().map(|p| p.candidate.provider.as_str()).collect();
    assert_eq!(order, ["groq", "openai", "anthropic"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_requests_never_exceed_limits_or_deadlock() {
    let p = policy(&format!("{CHAIN}[limits.openai]\nconcurrent = 3\nrpm = 40\n"));
    let router = Arc::new(Router::with_clock(p, Catalog::builtin(), RealClock::default()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let openai_calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let (router, in_flight, max_seen, openai_calls) =
            (router.clone(), in_flight.clone(), max_seen.clone(), openai_calls.clone());
        tasks.push(tokio::spawn(async move {
            router
                .route(&request(), &Target::Tier("chain".into()), |c, _, _, _| {
                    let (in_flight, max_seen, openai_calls) =
                        (in_flight.clone(), max_seen.clone(), openai_calls.clone());
                    async move {
                        if c.provider == "openai" {
                            openai_calls.fetch_add(1, Ordering::SeqCst);
                            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            max_seen.fetch_max(now, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                        }
                        called(ok("fine"))
                    }
                })
                .await
        }));
    }
    // A hang guard, not a performance assertion: a deadlock would never finish.
    let all =
        tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(tasks)).await.expect("no deadlock");
    assert!(all.iter().all(|r| r.as_ref().unwrap().result.is_ok()), "every request served");
    assert!(max_seen.load(Ordering::SeqCst) <= 3, "concurrency limit held: {}", max_seen.load(Ordering::SeqCst));
    assert!(openai_calls.load(Ordering::SeqCst) <= 40, "rpm limit held: {}", openai_calls.load(Ordering::SeqCst));
}
