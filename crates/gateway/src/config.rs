//! `[serve]` in llm-conform.toml: where the gateway listens, whom it serves, and its limits.

use serde::{Deserialize, Serialize};

use llm_conform_core::secrets::KeyRef;

/// The gateway's settings. Every field has a default, so an empty `[serve]` (or none) works on
/// a loopback address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on when `--listen` is not given.
    #[serde(default)]
    pub listen: Option<String>,
    /// Client keys as references (`env:NAME`, `file:PATH`, `cmd:COMMAND`), never values: a
    /// request must present one as `Authorization: Bearer`. With none, the gateway refuses to
    /// listen anywhere but on a loopback address.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Largest request body accepted, in bytes; larger ones get 413 before they are parsed.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Deadline of one request across every attempt, streams included, in seconds.
    #[serde(default = "default_deadline_s")]
    pub deadline_s: f64,
    /// How long in-flight requests and streams may finish after SIGTERM or SIGINT, in seconds.
    #[serde(default = "default_grace_s")]
    pub grace_s: f64,
    /// Request headers passed on to providers (tracing ids; the case header of local fakes).
    /// Credentials and hop-by-hop headers cannot be listed.
    #[serde(default)]
    pub forward_headers: Vec<String>,
    /// Providers the default tiers are built from when `[router]` names none (default: those of
    /// `[run] providers`, else the whole catalog).
    #[serde(default)]
    pub providers: Option<Vec<String>>,
    /// One line per request on standard error (never a key, never a body).
    #[serde(default = "default_true")]
    pub access_log: bool,
    /// Threads serving requests (default: one per core). On a machine shared with the gateway's
    /// own clients or upstreams fewer can be faster: every hop between two threads is a wake-up
    /// (docs/performance.md: one thread beat two on every figure on a 2-core machine running the
    /// load generator and the upstream too).
    #[serde(default)]
    pub workers: Option<usize>,
}

fn default_max_body_bytes() -> usize {
    4 * 1024 * 1024
}
fn default_deadline_s() -> f64 {
    300.0
}
fn default_grace_s() -> f64 {
    30.0
}
fn default_true() -> bool {
    true
}

impl Default for ServeConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults deserialize")
    }
}

/// A `[serve]` setting that cannot be used, naming the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting `serve.{key}`: {message}")]
pub struct ServeConfigError {
    pub key: String,
    pub message: String,
}

/// The largest body cap accepted: a chat request larger than this is a mistake or an attack.
const MAX_BODY_CAP: usize = 256 * 1024 * 1024;
/// The longest deadline or grace period accepted, in seconds (a day).
const MAX_SECONDS: f64 = 86_400.0;
/// The most worker threads accepted.
const MAX_WORKERS: usize = 1024;

/// Headers that carry credentials or belong to one connection: never forwarded.
const UNFORWARDABLE: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "cookie",
    "host",
    "content-length",
    "content-type",
    "connection",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
];

fn err(key: impl Into<String>, message: impl Into<String>) -> ServeConfigError {
    ServeConfigError { key: key.into(), message: message.into() }
}

impl ServeConfig {
    /// Checks every setting, so a bad one is reported at start-up with its key.
    pub fn validate(&self) -> Result<(), ServeConfigError> {
        for (i, k) in self.keys.iter().enumerate() {
            KeyRef::parse(k).map_err(|e| err(format!("keys[{i}]"), e.to_string()))?;
        }
        if self.workers.is_some_and(|w| w == 0 || w > MAX_WORKERS) {
            return Err(err("workers", format!("must be between 1 and {MAX_WORKERS}")));
        }
        if self.max_body_bytes == 0 || self.max_body_bytes > MAX_BODY_CAP {
            return Err(err("max_body_bytes", format!("must be between 1 and {MAX_BODY_CAP}")));
        }
        for (key, v, min) in [("deadline_s", self.deadline_s, f64::MIN_POSITIVE), ("grace_s", self.grace_s, 0.0)] {
            if !(v.is_finite() && v >= min && v <= MAX_SECONDS) {
                return Err(err(key, format!("must be a number of seconds between {min} and {MAX_SECONDS}")));
            }
        }
        for (i, h) in self.forward_headers.iter().enumerate() {
            let name = h.trim().to_ascii_lowercase();
            if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(err(format!("forward_headers[{i}]"), format!("{h:?} is not a header name")));
            }
            if UNFORWARDABLE.contains(&name.as_str()) {
                return Err(err(
                    format!("forward_headers[{i}]"),
                    format!("`{name}` carries a credential or belongs to one connection: it is never forwarded"),
                ));
            }
        }
        Ok(())
    }

    /// Header names to forward, lowercase.
    pub fn forwarded_names(&self) -> Vec<String> {
        self.forward_headers.iter().map(|h| h.trim().to_ascii_lowercase()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = ServeConfig::default();
        assert!(c.keys.is_empty() && c.access_log);
        assert_eq!(c.max_body_bytes, 4 * 1024 * 1024);
        c.validate().unwrap();
    }

    #[test]
    fn bad_settings_name_their_key() {
        let cases = [
            ("keys = [\"sk-literal\"]", "serve.keys[0]"),
            ("max_body_bytes = 0", "serve.max_body_bytes"),
            ("workers = 0", "serve.workers"),
            ("workers = 100000", "serve.workers"),
            ("deadline_s = 0", "serve.deadline_s"),
            ("grace_s = -1", "serve.grace_s"),
            ("forward_headers = [\"Authorization\"]", "serve.forward_headers[0]"),
            ("forward_headers = [\"bad header\"]", "serve.forward_headers[0]"),
        ];
        for (text, want) in cases {
            let c: ServeConfig = toml::from_str(text).unwrap();
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = toml::from_str::<ServeConfig>("deadline = 3").unwrap_err().to_string();
        assert!(e.contains("deadline"), "{e}");
    }
}
