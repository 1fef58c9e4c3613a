//! What a provider sent, scrubbed of every known key before anything else sees it: a provider
//! that echoes the key back ("Incorrect API key provided: sk-…") must not put it into an error
//! message, a report, a log or a client's response.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::CallOutcome;
use crate::api::ProviderError;
use crate::secrets::{self, Redactor};

impl CallOutcome {
    /// Removes every form of every registered key from the decoded result and chunks. The raw
    /// exchange is left as received: recording scrubs it on its own terms, as one stream.
    pub fn scrub(&mut self) {
        let r = secrets::redactor();
        if r.is_empty() {
            return;
        }
        match &mut self.result {
            Ok(resp) => scrub_serde(resp, &r),
            Err(e) => scrub_error(e, &r),
        }
        for c in &mut self.chunks {
            scrub_serde(c, &r);
        }
    }
}

/// The error's message and provider code with every known key removed.
pub fn scrub_error(e: &mut ProviderError, r: &Redactor) {
    e.message = r.redact(&e.message).into_owned();
    if let Some(code) = &mut e.provider_code {
        *code = r.redact(code).into_owned();
    }
}

/// Round-trips `v` through JSON only when a key is in it, scrubbing its strings as one document
/// (a key split across text parts is found too).
fn scrub_serde<T: Serialize + DeserializeOwned>(v: &mut T, r: &Redactor) {
    let Ok(text) = serde_json::to_string(v) else { return };
    if !r.leaks(text.as_bytes()) {
        return;
    }
    let mut parts = vec![text];
    r.redact_stream(&mut parts);
    if let Ok(clean) = serde_json::from_str(&parts[0]) {
        *v = clean;
    }
}
