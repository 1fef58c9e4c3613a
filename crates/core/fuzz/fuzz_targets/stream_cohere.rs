//! A cohere-family stream body, decoded whole and in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_conform_core::providers::WireFamily;

fuzz_target!(|data: &[u8]| llm_conform_core_fuzz::stream(WireFamily::Cohere, data));
