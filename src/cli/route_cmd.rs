//! `llm-conform route`: what the router would do with a request, or does with it live.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::EXIT_FAILURE;
use super::args::GlobalArgs;
use super::console::{errln, out, outln};
use super::input::{parse_request, read_input};
use crate::config::{Config, RunSettings};
use llm_conform_core::providers::Catalog;
use llm_conform_core::router::{CallResult, Candidate, PlannedCandidate, Router, RouterPolicy, SendOutcome, Target};
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::{HttpTransport, TransportConfig};

#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Print the candidates in the order they would be tried, and why; send nothing.
    #[arg(long)]
    pub explain: bool,
    /// Route to this tier (default: the policy's default tier).
    #[arg(long, conflicts_with = "model")]
    pub tier: Option<String>,
    /// Route to this `provider/model`.
    #[arg(long)]
    pub model: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Canonical request file, or - for standard input; optional with --explain.
    pub request: Option<String>,
}

pub fn run(global: &GlobalArgs, args: RouteArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&global.config, global.config != std::path::Path::new("llm-conform.toml"))?;
    let catalog = cfg.catalog()?;
    let providers = cfg.run.providers.clone().unwrap_or_else(|| catalog.names());
    let policy = cfg.router.clone().with_catalog_tiers(&catalog, &providers);
    let target = match (&args.model, &args.tier) {
        (Some(m), _) => {
            let c = Candidate::parse(m)?;
            catalog.get(&c.provider)?;
            Target::Model(c)
        }
        (None, Some(t)) => Target::Tier(t.clone()),
        (None, None) => Target::Tier(policy.default_tier()),
    };
    let router = Router::new(policy.clone(), catalog.clone());
    if args.explain {
        let mut plan = router.plan(&target)?;
        // A candidate without its key would be skipped: say so rather than "ready".
        for p in &mut plan {
            if p.state == "ready" && key_state(&catalog, &p.candidate.provider) == "missing" {
                p.state = "no key".into();
            }
        }
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            out!("{}", explain_text(&policy, &catalog, &target, &plan));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let planned = router.plan(&target)?;
    if !planned.is_empty() && planned.iter().all(|p| key_state(&catalog, &p.candidate.provider) == "missing") {
        let missing: Vec<String> = planned
            .iter()
            .filter_map(|p| Some(format!("{} ({})", p.candidate, catalog.get(&p.candidate.provider).ok()?.key_ref())))
            .collect();
        errln!("error: no candidate has its key: {}", missing.join(", "));
        return Ok(ExitCode::from(super::EXIT_USAGE));
    }
    route_live(&args, &cfg.run, &catalog, &router, &target)
}

/// Sends the request through the router, live, and prints the answer and the attempts.
fn route_live(
    args: &RouteArgs,
    settings: &RunSettings,
    catalog: &Catalog,
    router: &Router,
    target: &Target,
) -> anyhow::Result<ExitCode> {
    let input = args.request.as_deref().context("a request file (or -) is needed unless --explain is given")?;
    let bytes = read_input(input)?;
    let req = parse_request(&bytes, if input == "-" { "standard input" } else { input })?;
    // The same deadlines as `run`: the config's, else the one set of defaults.
    let keys = Arc::new(KeyStore::new(Duration::from_secs_f64(settings.key_timeout_s)));
    let config = TransportConfig { timeout: Duration::from_secs_f64(settings.timeout_s), ..TransportConfig::default() };
    let transport = HttpTransport::new(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let outcome = rt.block_on(router.route(&req, target, |cand, r, deadline, _| {
        let (catalog, keys, transport) = (catalog, keys.clone(), transport.clone());
        async move {
            let Ok(spec) = catalog.get(&cand.provider) else {
                return SendOutcome::Skip(format!("unknown provider `{}`", cand.provider));
            };
            let key = if spec.needs_key() {
                match spec.key_reference().map(|k| keys.get(&k)) {
                    Ok(Ok(Some(k))) => Some(k),
                    Ok(Ok(None)) => return SendOutcome::Skip(format!("no key: {} is not set", spec.key_ref())),
                    Ok(Err(e)) => return SendOutcome::Skip(e.to_string()),
                    Err(e) => return SendOutcome::Skip(e.to_string()),
                }
            } else {
                None
            };
            let adapter = spec.family.adapter();
            let native = match adapter.encode(&r, spec, key.as_ref().map(|k| k.expose())) {
                Ok(n) => n,
                Err(e) => {
                    let result = Err(e.to_provider_error());
                    return SendOutcome::Called(CallResult {
                        result,
                        latency_ms: 0.0,
                        ttft_ms: None,
                        status: None,
                        notes: Vec::new(),
                    });
                }
            };
            let call = transport.call_with_deadline(adapter, &native, deadline).await;
            SendOutcome::Called(CallResult {
                result: call.result,
                latency_ms: call.timings.total_ms,
                ttft_ms: call.timings.ttft_ms,
                status: call.raw.status,
                notes: native.notes,
            })
        }
    }));
    let out = serde_json::json!({
        "response": outcome.result.as_ref().ok(),
        "error": outcome.result.as_ref().err().map(|e| e.to_json()["error"].clone()),
        "served_by": outcome.served_by.as_ref().map(|c| c.to_string()),
        "attempts": outcome.attempts,
    });
    outln!("{}", serde_json::to_string_pretty(&out)?);
    Ok(if outcome.result.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILURE) })
}

fn explain_text(policy: &RouterPolicy, catalog: &Catalog, target: &Target, plan: &[PlannedCandidate]) -> String {
    let mut out = String::new();
    let fallback: Vec<&str> = policy.fallback_on.iter().map(|k| k.as_str()).collect();
    match target {
        Target::Tier(t) => out.push_str(&format!("route to tier `{t}`")),
        Target::Model(c) => out.push_str(&format!("route to model `{c}`")),
    }
    out.push_str(&format!(
        " — profile {}, on_limit {}, fallback on {}\n",
        serde_name(&policy.profile),
        serde_name(&policy.on_limit),
        fallback.join(", ")
    ));
    out.push_str(&format!(
        "{:<3} {:<48} {:<11} {:<17} {:<9} {:<8} WHY\n",
        "#", "CANDIDATE", "KEY", "PRICE IN/OUT $/M", "LATENCY", "STATE"
    ));
    for (i, p) in plan.iter().enumerate() {
        let key = key_state(catalog, &p.candidate.provider);
        let price = p.price.map_or("unknown".to_string(), |(i, o)| format!("{i} / {o}"));
        let latency = p.latency_ewma_ms.map_or("no data".to_string(), |l| format!("{l:.0} ms"));
        out.push_str(&format!(
            "{:<3} {:<48} {:<11} {:<17} {:<9} {:<8} {}\n",
            i + 1,
            p.candidate.to_string(),
            key,
            price,
            latency,
            p.state,
            p.why
        ));
    }
    if let Target::Tier(t) = target
        && let Some(next) = policy.tiers.get(t).and_then(|t| t.escalate_to.as_ref())
    {
        let on: Vec<String> = policy.escalation.on.iter().map(serde_name).collect();
        out.push_str(&format!("escalates to tier `{next}` when a response fails: {}\n", on.join(", ")));
    }
    for (p, l) in &policy.limits {
        let mut parts = Vec::new();
        if let Some(r) = l.rpm {
            parts.push(format!("{r} requests/min, {} at once after a pause", l.burst.unwrap_or(1)));
        }
        if let Some(t) = l.tpm {
            parts.push(format!("{t} tokens/min"));
        }
        if let Some(c) = l.concurrent {
            parts.push(format!("{c} in flight"));
        }
        out.push_str(&format!("limit {p}: {}\n", parts.join(", ")));
    }
    out
}

/// Whether `provider`'s key is there, as far as can be told without running a command:
/// `set`, `missing`, `command` (a `cmd:` reference), `not needed` or `unknown`.
fn key_state(catalog: &Catalog, provider: &str) -> &'static str {
    match catalog.get(provider) {
        Ok(spec) if !spec.needs_key() => "not needed",
        Ok(spec) => match spec.key_reference().ok().and_then(|k| k.is_set_cheaply()) {
            Some(true) => "set",
            Some(false) => "missing",
            None => "command",
        },
        Err(_) => "unknown",
    }
}

/// A unit enum's name as written in config files.
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()
}
