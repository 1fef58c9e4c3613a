//! The providers behind the gateway: their keys (resolved once, at start-up), encoding a request
//! for one candidate, and the HTTP call.

use std::collections::HashMap;
use std::time::Duration;

use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::{Adapter, Catalog, NativeRequest};
use llm_conform_core::router::{CallResult, Candidate, SendOutcome};
use llm_conform_core::secrets::{KeyStore, Redactor, Secret};
use llm_conform_core::transport::{HttpTransport, StreamStart};

use crate::prepare_error::PrepareError;

/// Provider keys and the shared HTTP client.
pub struct Upstream {
    catalog: Catalog,
    /// Per provider: its key, none needed (`Ok(None)`), or why there is none.
    keys: HashMap<String, Result<Option<Secret>, String>>,
    transport: HttpTransport,
    redactor: Redactor,
}

impl Upstream {
    /// Resolves every provider's key now, so a `cmd:` reference runs once and every value is
    /// known to the redactor before the first request; `extra_secrets` (the client keys) are
    /// redacted too.
    pub fn new<'a>(
        catalog: Catalog,
        store: &KeyStore,
        transport: HttpTransport,
        extra_secrets: impl Iterator<Item = &'a str>,
    ) -> Upstream {
        let mut keys = HashMap::new();
        for spec in catalog.iter() {
            let key = if !spec.needs_key() {
                Ok(None)
            } else {
                match spec.key_reference() {
                    Err(e) => Err(e.to_string()),
                    Ok(r) => match store.get(&r) {
                        Ok(Some(k)) => Ok(Some(k)),
                        Ok(None) => Err(format!("no key: {} is not set", r.describe())),
                        Err(e) => Err(e.to_string()),
                    },
                }
            };
            keys.insert(spec.name.clone(), key);
        }
        let mut values: Vec<String> =
            keys.values().filter_map(|k| k.as_ref().ok().cloned().flatten()).map(|s| s.expose().to_string()).collect();
        values.extend(extra_secrets.map(str::to_string));
        Upstream { catalog, keys, transport, redactor: Redactor::new(values) }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Scrubs every provider and client key from text bound for a client, a log or a metric.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The native request for `cand`, or why it cannot be called (a skip, not a failure).
    pub fn prepare(
        &self,
        cand: &Candidate,
        req: &ChatRequest,
        forward: &[(String, String)],
    ) -> Result<(&'static dyn Adapter, NativeRequest), PrepareError> {
        let spec = self.catalog.get(&cand.provider).map_err(|e| PrepareError::UnknownProvider(e.to_string()))?;
        let key = match self.keys.get(&cand.provider) {
            Some(Ok(k)) => k.as_ref(),
            Some(Err(why)) => return Err(PrepareError::KeyUnavailable { why: why.clone() }),
            None => return Err(PrepareError::NoKeyEntry { provider: cand.provider.clone() }),
        };
        let adapter = spec.family.adapter();
        let mut native = adapter
            .encode(req, spec, key.map(Secret::expose))
            .map_err(|e| PrepareError::Encode(self.redactor.redact(&e.to_string()).into_owned()))?;
        for (k, v) in forward {
            native.header(k, v.clone());
        }
        Ok((adapter, native))
    }

    /// One whole (non-streamed) attempt.
    pub async fn call(
        &self,
        cand: &Candidate,
        req: &ChatRequest,
        deadline: Duration,
        forward: &[(String, String)],
    ) -> SendOutcome {
        let (adapter, native) = match self.prepare(cand, req, forward) {
            Ok(p) => p,
            Err(why) => return SendOutcome::Skip(why.to_string()),
        };
        let call = self.transport.call_with_deadline(adapter, &native, deadline).await;
        SendOutcome::Called(CallResult {
            result: call.result,
            latency_ms: call.timings.total_ms,
            ttft_ms: call.timings.ttft_ms,
            status: call.raw.status,
            notes: native.notes,
        })
    }

    /// Opens one streamed attempt.
    pub async fn open_stream(&self, adapter: &dyn Adapter, native: &NativeRequest, deadline: Duration) -> StreamStart {
        self.transport.open_stream(adapter, native, deadline).await
    }
}
