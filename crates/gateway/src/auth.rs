//! Client authentication: `Authorization: Bearer KEY` against the configured keys, compared in
//! constant time so response timing does not reveal how much of a guess was right.

use std::time::Duration;

use axum::http::HeaderMap;
use subtle::{Choice, ConstantTimeEq};

use crate::{ApiError, GatewayError};
use llm_conform_core::secrets::{KeyRef, Secret};

/// The keys clients may present. Empty means open, which the server allows only on loopback.
#[derive(Clone, Default)]
pub struct ClientKeys {
    keys: Vec<Secret>,
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKeys({} configured)", self.keys.len())
    }
}

impl ClientKeys {
    /// Resolves `[serve] keys` references; a reference that resolves to nothing is an error, not
    /// a key fewer (an unset variable must not silently open the gateway).
    pub fn resolve(references: &[String], cmd_timeout: Duration) -> Result<ClientKeys, GatewayError> {
        let mut keys = Vec::new();
        for r in references {
            let parsed = KeyRef::parse(r).map_err(|source| GatewayError::ClientKey { reference: r.clone(), source })?;
            match parsed.resolve(cmd_timeout) {
                Ok(Some(k)) => keys.push(k),
                Ok(None) => return Err(GatewayError::ClientKeyMissing { reference: parsed.describe() }),
                Err(source) => return Err(GatewayError::ClientKey { reference: parsed.describe(), source }),
            }
        }
        Ok(ClientKeys { keys })
    }

    pub fn from_secrets(keys: Vec<Secret>) -> Self {
        ClientKeys { keys }
    }

    pub fn is_open(&self) -> bool {
        self.keys.is_empty()
    }

    /// The values, for redaction: a client key never appears in a log either.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(Secret::expose)
    }

    /// Accepts the request when its bearer token equals one of the keys. Every key is compared,
    /// whatever matched, so timing depends only on the number and lengths of the keys.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let Some(presented) = bearer(headers) else {
            return Err(ApiError::unauthorized("missing API key: send it as `Authorization: Bearer KEY`"));
        };
        let mut ok = Choice::from(0u8);
        for k in &self.keys {
            ok |= k.expose().as_bytes().ct_eq(presented);
        }
        if bool::from(ok) { Ok(()) } else { Err(ApiError::unauthorized("incorrect API key provided")) }
    }
}

/// The token of an `Authorization: Bearer` header (the scheme is case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let v = headers.get("authorization")?.as_bytes();
    let (scheme, rest) = v.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then(|| rest.trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", v.parse().unwrap());
        h
    }

    #[test]
    fn accepts_any_configured_key_and_rejects_others() {
        let keys = ClientKeys::from_secrets(vec![Secret::new("client-key-one"), Secret::new("client-key-two")]);
        assert!(keys.check(&headers("Bearer client-key-two")).is_ok());
        assert!(keys.check(&headers("bearer client-key-one")).is_ok());
        assert_eq!(keys.check(&headers("Bearer client-key-on")).unwrap_err().status, 401);
        assert_eq!(keys.check(&headers("Basic client-key-one")).unwrap_err().status, 401);
        assert_eq!(keys.check(&HeaderMap::new()).unwrap_err().status, 401);
    }

    #[test]
    fn unset_reference_is_an_error_not_an_open_gateway() {
        let e = ClientKeys::resolve(&["env:LLM_CONFORM_TEST_SURELY_UNSET_VAR".into()], Duration::from_secs(1));
        assert!(matches!(e, Err(GatewayError::ClientKeyMissing { .. })), "{e:?}");
    }
}
