use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{KeyRef, Redactor, Secret, SecretError};

/// Resolves each reference once per run and remembers the values for redaction.
#[derive(Default)]
pub struct KeyStore {
    cache: Mutex<HashMap<KeyRef, Option<Secret>>>,
    timeout: Option<Duration>,
}

impl KeyStore {
    pub fn new(cmd_timeout: Duration) -> Self {
        KeyStore { cache: Mutex::new(HashMap::new()), timeout: Some(cmd_timeout) }
    }

    pub fn get(&self, r: &KeyRef) -> Result<Option<Secret>, SecretError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = cache.get(r) {
            return Ok(v.clone());
        }
        let v = r.resolve(self.timeout.unwrap_or(Duration::from_secs(10)))?;
        if let Some(s) = &v {
            super::register(s.expose());
        }
        cache.insert(r.clone(), v.clone());
        Ok(v)
    }

    /// Pre-sets the value of a reference (fake providers, tests); it is redacted like any other.
    pub fn insert(&self, r: KeyRef, secret: Secret) {
        super::register(secret.expose());
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(r, Some(secret));
    }

    /// A redactor for every key resolved so far.
    pub fn redactor(&self) -> Redactor {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        Redactor::new(cache.values().flatten().map(|s| s.expose().to_string()))
    }
}
