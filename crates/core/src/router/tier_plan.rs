//! The policy's tiers parsed once, when a router is built: every route plans its candidate order,
//! and re-parsing `provider/model` strings, looking up prices and sorting by price on each call
//! cost tens of microseconds for a large tier. Only what changes between calls (health, for the
//! realtime profile) is read per call; reason strings are left to the explain path.

use std::collections::{BTreeMap, HashMap};

use super::health::Health;
use super::{Candidate, RouterPolicy};
use crate::providers::Catalog;

/// One candidate of a tier with what planning needs of it.
#[derive(Debug, Clone)]
pub(crate) struct PlanEntry {
    pub candidate: Candidate,
    /// Input and output price per million tokens, from the catalog.
    pub price: Option<(f64, f64)>,
    /// The provider's slot in the router's [`HealthTable`].
    pub slot: usize,
    /// Position in the tier as configured (0-based): what the explain path calls "listed".
    pub listed: usize,
}

/// A tier's candidates as configured, and in batch order.
#[derive(Debug, Clone)]
pub(crate) struct TierPlan {
    pub entries: Vec<PlanEntry>,
    /// Indices into `entries`, cheapest first (ties keep the configured order; unpriced last).
    pub by_price: Vec<usize>,
}

/// Every tier of a policy, planned.
#[derive(Debug, Clone)]
pub(crate) struct PlanTable {
    pub tiers: BTreeMap<String, TierPlan>,
}

impl PlanTable {
    /// Plans every tier of `policy`, registering each candidate's provider in `health`. Entries
    /// that are not `provider/model` are left out, as a route would skip them (a validated
    /// policy has none).
    pub fn new<I>(policy: &RouterPolicy, catalog: &Catalog, health: &mut HealthTable<I>) -> PlanTable {
        let tiers = policy
            .tiers
            .iter()
            .map(|(name, tier)| {
                let entries: Vec<PlanEntry> = tier
                    .candidates
                    .iter()
                    .filter_map(|c| Candidate::parse(c).ok())
                    .enumerate()
                    .map(|(listed, candidate)| {
                        let price = catalog
                            .get(&candidate.provider)
                            .ok()
                            .and_then(|s| s.price(&candidate.model))
                            .map(|p| (p.input, p.output));
                        let slot = health.slot(&candidate.provider);
                        PlanEntry { candidate, price, slot, listed }
                    })
                    .collect();
                let mut by_price: Vec<usize> = (0..entries.len()).collect();
                let cost = |e: &PlanEntry| e.price.map_or(f64::INFINITY, |(i, o)| i + o);
                // Stable: equal prices keep the configured order.
                by_price.sort_by(|&a, &b| cost(&entries[a]).total_cmp(&cost(&entries[b])));
                (name.clone(), TierPlan { entries, by_price })
            })
            .collect();
        PlanTable { tiers }
    }

    pub fn tier(&self, name: &str) -> Option<&TierPlan> {
        self.tiers.get(name)
    }

    /// Tier names, for the error naming an unknown one.
    pub fn known(&self) -> String {
        self.tiers.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// The router's health records, one slot per provider: the providers of the policy's tiers get
/// theirs at construction, so planning reads them by index instead of hashing names; any other
/// provider (a request for one model) gets one on first use.
#[derive(Debug)]
pub(crate) struct HealthTable<I> {
    index: HashMap<String, usize>,
    slots: Vec<Health<I>>,
}

impl<I> Default for HealthTable<I> {
    fn default() -> Self {
        HealthTable { index: HashMap::new(), slots: Vec::new() }
    }
}

impl<I> HealthTable<I> {
    /// The slot of `provider`, created (healthy, no history) if it has none.
    pub fn slot(&mut self, provider: &str) -> usize {
        if let Some(&i) = self.index.get(provider) {
            return i;
        }
        self.slots.push(Health::default());
        self.index.insert(provider.to_string(), self.slots.len() - 1);
        self.slots.len() - 1
    }

    pub fn get(&self, provider: &str) -> Option<&Health<I>> {
        self.index.get(provider).map(|&i| &self.slots[i])
    }

    pub fn at(&self, slot: usize) -> Option<&Health<I>> {
        self.slots.get(slot)
    }

    pub fn entry(&mut self, provider: &str) -> &mut Health<I> {
        let i = self.slot(provider);
        &mut self.slots[i]
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::api::{ChatCompletion, ChatRequest, ErrorKind, FinishReason, ProviderError, ResponseMessage, Usage};
    use crate::providers::Catalog;
    use crate::router::{CallResult, Candidate, FakeClock, RouteError, Router, RouterPolicy, SendOutcome, Target};

    /// Providers `pa`…`pd` priced here (not by the built-in catalog, whose prices change):
    /// `pc/m` cheapest, `pb/m` and `pd/m` tied, `pa/m` dearest, `pa/unpriced` without a price;
    /// `not a candidate` does not parse.
    const TIER: &str =
        r#"tiers.t = { candidates = ["pa/m", "pa/unpriced", "pb/m", "not a candidate", "pc/m", "pd/m"] }"#;

    fn catalog() -> Catalog {
        let overrides: toml::Table = toml::from_str(
            r#"
            pa = { family = "openai", base_url = "http://127.0.0.1:9/a/v1", prices.m = { input = 5.0, output = 5.0 } }
            pb = { family = "openai", base_url = "http://127.0.0.1:9/b/v1", prices.m = { input = 1.0, output = 2.0 } }
            pc = { family = "openai", base_url = "http://127.0.0.1:9/c/v1", prices.m = { input = 0.1, output = 0.2 } }
            pd = { family = "openai", base_url = "http://127.0.0.1:9/d/v1", prices.m = { input = 2.0, output = 1.0 } }
            "#,
        )
        .unwrap();
        Catalog::with_overrides(&overrides, "test").unwrap()
    }

    fn router(profile: &str) -> Router<FakeClock> {
        let policy: RouterPolicy = toml::from_str(&format!("profile = \"{profile}\"\n{TIER}\n")).unwrap();
        Router::with_clock(policy, catalog(), FakeClock::default())
    }

    fn request() -> ChatRequest {
        serde_json::from_value(serde_json::json!({"model": "", "messages": [{"role": "user", "content": "hi"}]}))
            .unwrap()
    }

    fn answer(result: Result<ChatCompletion, ProviderError>, ttft_ms: f64) -> SendOutcome {
        SendOutcome::Called(CallResult {
            result,
            latency_ms: ttft_ms,
            ttft_ms: Some(ttft_ms),
            status: None,
            notes: vec![],
        })
    }

    fn ok() -> Result<ChatCompletion, ProviderError> {
        let mut m = ResponseMessage::assistant();
        m.content = Some("x".into());
        Ok(ChatCompletion::single("id", "m", 0, m, FinishReason::Stop, Some(Usage::new(1, 1, 0, 0))))
    }

    /// Latency history for three providers (`pc` fastest, then `pa`, then `pb`) and a cooldown
    /// for the fourth (`pd`, three failures in a row).
    async fn with_history(r: &Router<FakeClock>) {
        for (provider, ttft) in [("pc", 20.0), ("pb", 300.0), ("pa", 90.0)] {
            let target = Target::Model(Candidate { provider: provider.into(), model: "m".into() });
            r.route(&request(), &target, |_, _, _, _| async move { answer(ok(), ttft) }).await;
        }
        for _ in 0..3 {
            let target = Target::Model(Candidate { provider: "pd".into(), model: "m".into() });
            r.route(&request(), &target, |_, _, _, _| async move {
                answer(Err(ProviderError::new(ErrorKind::Overloaded, "busy")), 5.0)
            })
            .await;
        }
    }

    fn order(plan: &[crate::router::PlannedCandidate]) -> Vec<String> {
        plan.iter().map(|p| p.candidate.to_string()).collect()
    }

    fn fast_order(r: &Router<FakeClock>, target: &Target) -> Vec<String> {
        r.candidates(target).unwrap().iter().map(|c| c.to_string()).collect()
    }

    #[tokio::test]
    async fn routing_order_equals_the_explained_plan_in_every_profile() {
        for profile in ["ordered", "batch", "realtime"] {
            let r = router(profile);
            let target = Target::Tier("t".into());
            assert_eq!(fast_order(&r, &target), order(&r.plan(&target).unwrap()), "{profile}, no history");
            with_history(&r).await;
            let fast = fast_order(&r, &target);
            assert_eq!(fast, order(&r.plan(&target).unwrap()), "{profile}");
            assert_eq!(fast.len(), 5, "the entry that is not provider/model is left out: {fast:?}");
        }
    }

    #[tokio::test]
    async fn batch_order_is_cheapest_first_with_unpriced_last_and_ties_as_listed() {
        let r = router("batch");
        let plan = r.plan(&Target::Tier("t".into())).unwrap();
        assert_eq!(order(&plan), ["pc/m", "pb/m", "pd/m", "pa/m", "pa/unpriced"]);
        assert_eq!(plan[1].price, Some((1.0, 2.0)));
        assert_eq!(plan[4].price, None);
        assert!(plan.iter().all(|p| p.why == "batch profile: cheapest first"));
    }

    #[tokio::test]
    async fn realtime_order_reads_the_latency_history_of_each_call() {
        let r = router("realtime");
        let target = Target::Tier("t".into());
        assert_eq!(fast_order(&r, &target), ["pa/m", "pa/unpriced", "pb/m", "pc/m", "pd/m"], "no history: as listed");
        with_history(&r).await;
        // `pd` has no latency (it only failed), so it goes last; `pa`'s two models share one
        // history and keep their listed order.
        assert_eq!(fast_order(&r, &target), ["pc/m", "pa/m", "pa/unpriced", "pb/m", "pd/m"]);
    }

    #[tokio::test]
    async fn explained_plan_keeps_its_reasons_and_states() {
        let r = router("ordered");
        with_history(&r).await;
        let plan = r.plan(&Target::Tier("t".into())).unwrap();
        let whys: Vec<&str> = plan.iter().map(|p| p.why.as_str()).collect();
        assert_eq!(
            whys,
            [
                "listed first in tier t",
                "listed second in tier t",
                "listed third in tier t",
                "listed 4th in tier t",
                "listed 5th in tier t"
            ]
        );
        let states: Vec<&str> = plan.iter().map(|p| p.state.as_str()).collect();
        assert_eq!(
            states,
            ["ready", "ready", "ready", "ready", "cooling down (60s left after 3 consecutive failures)"]
        );
        assert_eq!(plan[0].latency_ewma_ms, Some(90.0));
        r.clock().advance(Duration::from_secs(61));
        assert!(r.plan(&Target::Tier("t".into())).unwrap().iter().all(|p| p.state == "ready"));
        let model = Target::Model(Candidate { provider: "pc".into(), model: "m".into() });
        let one = r.plan(&model).unwrap();
        assert_eq!(
            (one.len(), one[0].tier.as_str(), one[0].why.as_str()),
            (1, "(model)", "listed first in tier (model)")
        );
        assert_eq!((one[0].latency_ewma_ms, one[0].price), (Some(20.0), Some((0.1, 0.2))));
        assert_eq!(fast_order(&r, &model), ["pc/m"]);
    }

    #[test]
    fn an_unknown_tier_is_the_same_error_on_both_paths() {
        let r = router("ordered");
        let target = Target::Tier("nope".into());
        let want = RouteError::UnknownTier { tier: "nope".into(), known: "t".into() };
        assert_eq!(r.candidates(&target).unwrap_err(), want);
        assert_eq!(r.plan(&target).unwrap_err(), want);
    }
}
