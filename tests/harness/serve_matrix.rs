//! The shipped suites run *through* `llm-conform serve` (issue 13, item 2): each provider's
//! fixtures are replayed behind a gateway that the harness calls as an OpenAI-compatible
//! provider, and every case's fingerprint must equal the direct replay's — the suites test what
//! the gateway serves, not only what the adapters decode.
//!
//! Set-up per provider P: replay server ← gateway (P's catalog entry pointed at the replay
//! server; one tier per P model name, so a bare model routes to P; no retries or cooldowns, so
//! one case is one upstream call as in the direct run; the case header forwarded so replay finds
//! the fixture) ← harness in live mode with P redefined as an OpenAI-compatible provider at the
//! gateway. Routed scenarios are left out: their route runs in the harness's own router.
//!
//! What differs, by design, and is compared after mapping:
//! - error statuses: the gateway answers with the status its error kind maps to (`529` →
//!   `503`, upstream 5xx → `502`...), not the provider's own, and an error that came without
//!   one (a 200 whose body is not JSON) gets its kind's;
//! - the bad-key scenarios: the harness's invalid key meets the gateway's client-key check
//!   (`401 invalid_api_key`), not the provider: the error kind is compared;
//! - a client's `stream_options.include_usage` is not forwarded: the gateway asks each provider
//!   for usage as the catalog says (`quirks.stream_usage`) and sends the client the usage chunk
//!   when asked. A provider without the quirk (Mistral, which sends usage unasked) then gets a
//!   request without `stream_options`, which the replay of the one scenario that sets it
//!   (`streaming/stream_include_usage`) rejects as a different body.
//!
//! Pass/fail verdicts are not compared: scenarios that expect a provider's own status (`529`)
//! see the gateway's.
//!
//! Left out: the premium-capability suites (`reasoning`, `vision`, `grounding`, `caching`).
//! Their requests carry what the harness merges into a provider's *native* request — scenario
//! overrides (`thinking`, `google_search` tools), cache breakpoints, signed thinking blocks,
//! images in tool results, refusals decided by a model's catalog capabilities. Through `serve`
//! the harness's native request is the gateway's OpenAI-format one, so those cannot take the
//! same path; the gateway's own tests cover what it passes through.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::support::{fixture_providers, options, replay, routed_excluded, suites};
use llm_conform::fingerprint::Fingerprint;
use llm_conform::replay::ReplayServer;
use llm_conform::runner::{Plan, RunMode, Runner};
use llm_conform::suite::Suite;
use llm_conform_core::providers::{Catalog, Quirks};
use llm_conform_core::router::{RouterPolicy, TierPolicy};
use llm_conform_core::secrets::{KeyRef, KeyStore, Secret};
use llm_conform_core::transport::TransportConfig;
use llm_conform_gateway::{ClientKeys, Gateway, GatewaySetup, ServeConfig, status_for_kind};
use llm_conform_mock::CASE_HEADER;

/// Suites whose requests need a provider's native request (see the module comment).
const NATIVE_SUITES: [&str; 4] = ["reasoning", "vision", "grounding", "caching"];

const GATEWAY_KEY: &str = "gateway-client-key-for-the-matrix";
const UPSTREAM_KEY: &str = "replay-placeholder-key";

/// Every model name a case may send to `provider`: its catalog's, and any a scenario names.
fn model_names(catalog: &Catalog, provider: &str, suites: &[Suite]) -> Vec<String> {
    let spec = catalog.get(provider).unwrap();
    let mut names: Vec<String> = [&spec.models.cheap, &spec.models.default, &spec.models.premium]
        .into_iter()
        .flatten()
        .cloned()
        .chain(spec.prices.keys().cloned())
        .collect();
    for s in suites {
        for sc in &s.scenarios {
            if !sc.request.model.is_empty() {
                names.push(sc.request.model.clone());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// A gateway in front of `replay_uri` for `provider`; returns its URL.
async fn gateway_for(provider: &str, replay_uri: &str, suites: &[Suite]) -> String {
    let mut catalog = Catalog::builtin();
    let spec = catalog.get_mut(provider).unwrap();
    spec.rebase(replay_uri);
    spec.key = Some("env:SERVE_MATRIX_UPSTREAM_KEY".into());
    let keys = KeyStore::new(Duration::from_secs(1));
    keys.insert(KeyRef::parse("env:SERVE_MATRIX_UPSTREAM_KEY").unwrap(), Secret::new(UPSTREAM_KEY));
    let mut policy: RouterPolicy = toml::from_str("[retry]\nmax_retries = 0\n[cooldown]\nfailures = 0\n").unwrap();
    for m in model_names(&catalog, provider, suites) {
        policy.tiers.insert(m.clone(), TierPolicy { candidates: vec![format!("{provider}/{m}")], escalate_to: None });
    }
    let serve = ServeConfig {
        forward_headers: vec![CASE_HEADER.into()],
        access_log: false,
        deadline_s: 60.0,
        ..ServeConfig::default()
    };
    let setup = GatewaySetup {
        serve,
        listen: "127.0.0.1:0".into(),
        catalog,
        policy,
        provider_keys: Arc::new(keys),
        client_keys: ClientKeys::from_secrets(vec![Secret::new(GATEWAY_KEY)]),
        transport: TransportConfig { timeout: Duration::from_secs(60), ..Default::default() },
        log: None,
    };
    let gw = Gateway::bind(setup).await.unwrap();
    let url = format!("http://{}", gw.local_addr());
    tokio::spawn(gw.serve(std::future::pending()));
    url
}

/// The harness's catalog with each provider redefined as an OpenAI-compatible endpoint at its
/// gateway: same name, models and prices, no quirks but asking for the usage chunk.
fn through_gateways(gateways: &HashMap<String, String>) -> Catalog {
    let mut over = toml::Table::new();
    for (name, url) in gateways {
        let spec = Catalog::builtin().get(name).unwrap().clone();
        let text = format!(
            "family = \"openai\"\nbase_url = \"{url}/v1\"\nauth = \"bearer\"\nkey = \"env:SERVE_MATRIX_GATEWAY_KEY\"\nheaders = {{}}\nquirks = {{ stream_usage = true, developer_role = true }}\n"
        );
        let mut t: toml::Table = toml::from_str(&text).unwrap();
        t.insert("models".into(), toml::Value::try_from(&spec.models).unwrap());
        t.insert("prices".into(), toml::Value::try_from(&spec.prices).unwrap());
        over.insert(name.clone(), t.into());
    }
    let mut catalog = Catalog::with_overrides(&over, "serve matrix").unwrap();
    for name in gateways.keys() {
        let spec = catalog.get_mut(name).unwrap();
        // Overrides merge into the built-in entry: drop what the OpenAI-compatible stand-in
        // must not inherit.
        spec.path = None;
        spec.stream_path = None;
        spec.api_version = None;
        spec.headers.clear();
        spec.extra_body.clear();
        spec.extra_headers.clear();
        spec.quirks = Quirks { stream_usage: true, developer_role: true, ..Quirks::default() };
        // Per-model quirks were resolved from the provider's own quirks (Magistral's, say):
        // the stand-in has none of its own.
        spec.model_quirks.clear();
        spec.resolve().unwrap();
    }
    catalog
}

/// The fingerprint as the gateway would present it: error statuses mapped from the kind.
fn as_served(fp: &Fingerprint) -> Fingerprint {
    let mut fp = fp.clone();
    if let Some(e) = &mut fp.error {
        e.status = e.status.map(|_| status_for_kind(e.kind).0);
    }
    fp
}

/// Whether the provider's catalog entry asks for stream usage itself (or its family always
/// sends it), so the request does not depend on the client's `stream_options`.
fn forwards_usage_unasked(provider: &str) -> bool {
    let spec = Catalog::builtin().get(provider).unwrap().clone();
    spec.quirks.stream_usage || spec.family != llm_conform_core::providers::WireFamily::Openai
}

#[test]
fn the_suites_through_serve_fingerprint_as_the_direct_run() {
    let fixtures = crate::common::root().join("fixtures");
    let providers = fixture_providers(&fixtures);
    let suites = suites();
    let direct = replay(&suites, &providers, &routed_excluded(), options(RunMode::Replay, &fixtures));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let via = rt.block_on(async {
        let server = ReplayServer::start(&fixtures).await.unwrap();
        let mut gateways = HashMap::new();
        for p in &providers {
            gateways.insert(p.clone(), gateway_for(p, &server.uri(), &suites).await);
        }
        let keys = Arc::new(KeyStore::new(Duration::from_secs(1)));
        keys.insert(KeyRef::parse("env:SERVE_MATRIX_GATEWAY_KEY").unwrap(), Secret::new(GATEWAY_KEY));
        let plan = Plan::build(&suites, &providers, &routed_excluded(), None).unwrap();
        // Live mode with fault scenarios included: the "provider" is the gateway on 127.0.0.1.
        let runner =
            Runner::new(through_gateways(&gateways), options(RunMode::Live, &fixtures), keys, true).await.unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let results = runner.run(&plan, "serve-matrix", tx).await;
        drop(server);
        results
    });
    assert_eq!(direct.cases.len(), via.cases.len());
    assert!(via.cases.len() >= 500, "{}", via.cases.len());
    let direct_fp: BTreeMap<String, (Option<Fingerprint>, String)> =
        direct.cases.iter().map(|c| (c.case_id(), (c.fingerprint.clone(), c.status.as_str().to_string()))).collect();
    let mut differ = Vec::new();
    for c in &via.cases {
        let (want, status) = &direct_fp[&c.case_id()];
        if &*c.scenario == "stream_include_usage" && !forwards_usage_unasked(&c.provider) {
            continue;
        }
        if NATIVE_SUITES.contains(&&*c.suite) {
            continue;
        }
        let bad_key = c.scenario.contains("key");
        let (a, mut b) = (want.as_ref().map(as_served), c.fingerprint.clone());
        // An error the provider sent without a status (a 200 whose body is not JSON) reaches the
        // client as an HTTP error: the gateway has to pick a status, the kind's.
        if let (Some(Some(ae)), Some(Some(be))) =
            (a.as_ref().map(|f| f.error.as_ref()), b.as_mut().map(|f| f.error.as_mut()))
            && ae.status.is_none()
            && be.status == Some(status_for_kind(be.kind).0)
        {
            be.status = None;
        }
        let same = match (&a, &b) {
            (Some(a), Some(b)) if bad_key => a.error.as_ref().map(|e| e.kind) == b.error.as_ref().map(|e| e.kind),
            _ => a == b,
        };
        if !same {
            differ.push(format!(
                "{} ({} → {}): direct {}\n  through serve {}\n  {}",
                c.case_id(),
                status,
                c.status.as_str(),
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap(),
                c.reason.as_deref().unwrap_or("")
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} case(s) differ through serve:\n{}",
        differ.len(),
        via.cases.len(),
        differ.join("\n")
    );
}
