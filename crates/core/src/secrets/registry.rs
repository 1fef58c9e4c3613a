//! The keys this process knows, for scrubbing text that is printed or written anywhere.
//!
//! A key resolved by any [`super::KeyStore`] is registered here, so that code far from the store
//! — an error printed at the CLI edge, a panic message, a report writer, a gateway log line — can
//! scrub it without being handed the store. Registering only ever adds: more redaction is never
//! wrong.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use super::Redactor;

struct Known {
    values: Vec<String>,
    redactor: Arc<Redactor>,
}

static KNOWN: RwLock<Option<Known>> = RwLock::new(None);

/// Adds a key value to the process-wide set.
pub fn register(value: &str) {
    if value.len() < super::key_forms::MIN_KEY_LEN {
        return;
    }
    let mut guard = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    let known = guard.get_or_insert_with(|| Known { values: Vec::new(), redactor: Arc::new(Redactor::default()) });
    if known.values.iter().any(|v| v == value) {
        return;
    }
    known.values.push(value.to_string());
    known.redactor = Arc::new(Redactor::new(known.values.iter().cloned()));
}

/// A redactor for every key registered so far.
pub fn redactor() -> Arc<Redactor> {
    let guard = KNOWN.read().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().map_or_else(|| Arc::new(Redactor::default()), |k| k.redactor.clone())
}

/// `text` with every known key, in every form, replaced by `<redacted>`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let r = redactor();
    match r.redact(text) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// Whether `bytes` hold any known key in any form: the last check before a write.
pub fn leaks(bytes: &[u8]) -> bool {
    redactor().leaks(bytes)
}
