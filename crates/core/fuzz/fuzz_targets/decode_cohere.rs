//! A whole cohere-family response or error body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_conform_core::providers::WireFamily;

fuzz_target!(|data: &[u8]| llm_conform_core_fuzz::body(WireFamily::Cohere, data));
