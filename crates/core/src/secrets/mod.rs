//! API keys: where they come from and how they are kept out of everything written.
//!
//! A key is named by a reference, never written into config: `env:NAME` (the default is
//! `env:<PROVIDER>_API_KEY`), `file:PATH`, or `cmd:COMMAND` — any secrets manager's CLI (Vault,
//! AWS Secrets Manager, 1Password) without linking its SDK. Values live in [`Secret`], which
//! never prints, and [`Redactor`] scrubs them from anything the harness writes.

mod key_ref;
mod key_store;
mod redactor;
mod secret;

pub use key_ref::{KeyRef, SecretError};
pub use key_store::KeyStore;
pub use redactor::Redactor;
pub use secret::Secret;

/// The placeholder that stands for a credential anywhere it would be shown or written.
pub const REDACTED: &str = "<redacted>";

#[cfg(test)]
mod tests;
