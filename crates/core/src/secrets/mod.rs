//! API keys: where they come from and how they are kept out of everything written.
//!
//! A key is named by a reference, never written into config: `env:NAME` (the default is
//! `env:<PROVIDER>_API_KEY`), `file:PATH`, or `cmd:COMMAND` — any secrets manager's CLI (Vault,
//! AWS Secrets Manager, 1Password) without linking its SDK. Values live in [`Secret`], which
//! never prints; every value resolved is registered process-wide, and [`Redactor`] scrubs it, in
//! every form it can take ([`key_forms`]), from anything printed or written.

mod key_forms;
mod key_ref;
mod key_store;
mod redactor;
mod registry;
mod secret;
mod stream_scrub;
mod unescape;

pub use key_forms::{MIN_KEY_LEN, key_forms};
pub use key_ref::{KeyRef, SecretError};
pub use key_store::KeyStore;
pub use redactor::Redactor;
pub use registry::{leaks, redactor, register, scrub};
pub use secret::Secret;

/// The placeholder that stands for a credential anywhere it would be shown or written.
pub const REDACTED: &str = "<redacted>";

#[cfg(test)]
mod tests;
