//! Fake providers: small servers on 127.0.0.1 that answer scenario mocks in each family's
//! native wire format, and reject requests the way the real API does (empty Anthropic text
//! blocks, `additionalProperties` in Gemini schemas, Mistral's tool-call ids).
//!
//! Premium features follow the request as the real APIs do: thinking only when turned on, search
//! citations only when search is offered, prompt caches written and read per case
//! (`prompt_cache.rs`).
//!
//! What a provider's API rejects is not restated here: each fake reads the provider's catalog
//! entry (the same typed quirks the adapters encode by, config overrides included), so the
//! catalog and the fakes cannot drift apart. `tests/fakes/catalog_agreement.rs` checks, for
//! every catalog provider and model, that what the adapter sends its fake accepts and that the
//! fake rejects exactly what the quirks say the API rejects.
//!
//! They stand in for live providers where there is no network: fixtures are synthesized by
//! recording against them, and the record/replay round trip is tested on them. Their wire shapes
//! follow the genuine recorded payloads in `tests/provider-samples/`.
//!
//! What they answer is described in `llm-conform-mock`'s vocabulary, which the harness shares;
//! this crate is a dev-dependency of the harness, linked into its CLI only with the `fakes`
//! feature.

mod anthropic;
mod anthropic_search;
mod anthropic_thinking;
mod cohere;
mod fake_family;
mod fake_response;
mod gemini;
mod gemini_premium;
mod openai;
mod openai_reasoning;
mod openai_validation;
mod prompt_cache;
mod server;

pub use fake_family::{FakeCtx, FakeFamily, family_for};
pub use fake_response::{FakeBody, FakeEvent, FakeResponse};
pub use server::{FakeProvider, status_for};

pub use llm_conform_mock::{
    AnswerBook, CASE_HEADER, Fault, INVALID_KEY, MockAnswer, MockCitation, MockError, MockToolCall, MockUsage,
};
