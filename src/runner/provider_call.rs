//! One call to one provider: the source (replay, live, record), the key, the native request,
//! the send, and the fixture when recording. Direct and routed cases both call through here.

use std::time::Duration;

use llm_conform_core::api::{ChatRequest, ErrorKind};
use llm_conform_core::transport::CallOutcome;
use llm_conform_mock::{CASE_HEADER, INVALID_KEY};

use super::exec_context::{ExecContext, REPLAY_KEY, Source};
use crate::replay::{Provenance, REPLAY_ERROR_HEADER, fixture_from_exchange, write_fixture};
use crate::suite::{CaseId, Scenario};

/// Why a case stopped before the provider had its say.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseStop {
    /// Not run: no key, or a fault only a stand-in can produce.
    Skipped(String),
    /// The harness could not run it: missing fixture, encode error, request drift.
    HarnessError(String),
}

/// What one call came to, with the adapter's notes on what it changed to fit the API.
pub struct ProviderCall {
    pub outcome: CallOutcome,
    pub notes: Vec<String>,
}

pub async fn call_provider(
    ctx: &ExecContext,
    id: &CaseId,
    scenario: &Scenario,
    req: &ChatRequest,
    deadline: Duration,
) -> Result<ProviderCall, CaseStop> {
    let source = ctx.source(id).map_err(|e| CaseStop::HarnessError(e.to_string()))?;
    if let Source::Live { .. } = source
        && scenario.replay_only
        && !ctx.local_upstream
    {
        return Err(CaseStop::Skipped("replay only: a fault that cannot be provoked on a live provider".into()));
    }
    let spec = source.spec();
    let key = key_for(ctx, scenario, source)?;
    let adapter = spec.family.adapter();
    let mut native = match adapter.encode(req, spec, key.as_deref()) {
        Ok(n) => n,
        // A request the model cannot take is refused before sending, as in production: that is
        // the provider's answer to judge, not the harness failing.
        Err(e) if e.kind == ErrorKind::Unsupported => {
            return Ok(ProviderCall { outcome: CallOutcome::refused(e.to_provider_error()), notes: Vec::new() });
        }
        Err(e) => return Err(CaseStop::HarnessError(e.to_string())),
    };
    for o in scenario.overrides_for(&spec.name, spec.family) {
        native.apply_overrides(&o.body, &o.headers);
    }
    // Only local servers learn which case a request belongs to; a real provider never does.
    if is_loopback(&native.url) {
        native.header(CASE_HEADER, id.to_string());
    }
    let _slot = match ctx.in_flight.get(&id.provider) {
        Some(sem) => sem.clone().acquire_owned().await.ok(),
        None => None,
    };
    // Held until the call has ended: the server it went to lives at least that long.
    let _lease = match (&ctx.replay_pool, source) {
        (Some(pool), Source::Replay(_)) => {
            let lease = pool
                .lease()
                .await
                .map_err(|e| CaseStop::HarnessError(format!("failed to start a replay server: {e}")))?;
            native.url = pool.redirect(&native.url, &lease);
            Some(lease)
        }
        _ => None,
    };
    if scenario.warm_up {
        // The first of two identical calls, for what it leaves behind (a prompt cache).
        ctx.transport.call_with_deadline(adapter, &native, deadline).await;
    }
    let outcome = ctx.transport.call_with_deadline(adapter, &native, deadline).await;
    if outcome.raw.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(REPLAY_ERROR_HEADER)) {
        let message = String::from_utf8_lossy(&outcome.raw.body);
        return Err(CaseStop::HarnessError(llm_conform_core::secrets::scrub(&message).into_owned()));
    }
    if let Source::Live { record: true, .. } = source {
        record(ctx, id, &native, &outcome, deadline)?;
    }
    Ok(ProviderCall { outcome, notes: native.notes })
}

/// Whether `url` is on this machine (the replay server, a fake provider, a local model server).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| &h[1..]).unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The key the request is sent with: a deliberately wrong one for bad-key scenarios, a
/// placeholder in replay, the provider's own live.
fn key_for(ctx: &ExecContext, scenario: &Scenario, source: Source<'_>) -> Result<Option<String>, CaseStop> {
    let spec = source.spec();
    if scenario.key.as_deref() == Some("invalid") {
        return Ok(Some(INVALID_KEY.to_string()));
    }
    if !spec.needs_key() {
        return Ok(None);
    }
    if let Source::Replay(_) = source {
        return Ok(Some(REPLAY_KEY.to_string()));
    }
    let key_ref = spec.key_reference().map_err(|e| CaseStop::HarnessError(format!("provider `{}`: {e}", spec.name)))?;
    match ctx.keys.get(&key_ref) {
        Ok(Some(k)) => Ok(Some(k.expose().to_string())),
        Ok(None) => Err(CaseStop::Skipped(format!("no key: {} is not set", key_ref.describe()))),
        Err(e) => Err(CaseStop::HarnessError(e.to_string())),
    }
}

/// Writes the exchange as the case's fixture, scrubbed.
fn record(
    ctx: &ExecContext,
    id: &CaseId,
    native: &llm_conform_core::providers::NativeRequest,
    call: &CallOutcome,
    deadline: Duration,
) -> Result<(), CaseStop> {
    let model = call.result.as_ref().ok().map(|r| r.model.clone()).filter(|m| !m.is_empty());
    let synthesized = ctx.options.provenance_source == "synthesized";
    let provenance = Provenance {
        source: ctx.options.provenance_source.clone(),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        model,
        note: synthesized.then(|| {
            "synthesized by llm-conform's fake provider from the documented wire format; not a live recording"
                .to_string()
        }),
    };
    let timed_out =
        matches!(&call.result, Err(e) if e.kind == ErrorKind::Timeout).then_some(deadline.as_secs_f64() * 1000.0);
    let redactor = ctx.keys.redactor();
    let fixture =
        fixture_from_exchange(&id.to_string(), &native.redacted(), &call.raw, timed_out, provenance, &redactor);
    let path = ctx.options.fixtures.join(id.fixture_path());
    write_fixture(&path, &fixture, &redactor).map_err(|e| CaseStop::HarnessError(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_hosts_are_local() {
        for local in ["http://127.0.0.1:8080/v1", "http://localhost/x", "http://[::1]:9/v1", "http://127.9.9.9"] {
            assert!(super::is_loopback(local), "{local}");
        }
        for remote in ["https://api.openai.com/v1", "https://127.0.0.1.evil.com/v1", "http://user@10.0.0.1/"] {
            assert!(!super::is_loopback(remote), "{remote}");
        }
    }
}
