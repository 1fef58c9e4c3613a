//! Routing policy: which provider and model serve a request — tiers and escalation, fallback,
//! retries with backoff, cooldowns, per-provider buckets, latency budgets — and what it cost.

mod attempt;
mod candidate;
mod clock;
mod cost;
mod decision;
mod health;
mod limiters;
mod limits;
mod policy;
mod route;
mod tier_plan;
mod validator;

pub use attempt::{Attempt, AttemptOutcome};
pub use candidate::{Candidate, CandidateError};
pub use clock::{FakeClock, RealClock, RouterClock};
pub use cost::cost_usd;
pub use decision::{OnError, OnSuccess, backoff, on_error, on_success};
/// The clock trait the router reads time through (governor's).
pub use governor::clock::Clock;
pub use limiters::Limiters;
pub use limits::{LimitState, ProviderLimits};
pub use policy::{
    CooldownPolicy, EscalationPolicy, LimitPolicy, OnLimit, PolicyError, Profile, RetryPolicy, RouterPolicy,
    TierPolicy, Validator,
};
pub use route::{CallResult, PlannedCandidate, RouteError, RouteOutcome, Router, SendOutcome, Target, estimate_tokens};
pub use validator::failed_validation;
