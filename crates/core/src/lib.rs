//! llm-conform-core: what an application or a gateway embeds to speak the OpenAI
//! chat-completions format to many LLM providers.
//!
//! The canonical types (`api`), one adapter per wire family and the catalog of providers as data
//! (`providers`), the HTTP transport (`transport`), the router (`router`) and key handling
//! (`secrets`). It knows nothing of suites, fingerprints or reports: the harness builds on it,
//! and so can a production router.

pub mod api;
pub mod providers;
pub mod router;
pub mod secrets;
pub mod transport;
