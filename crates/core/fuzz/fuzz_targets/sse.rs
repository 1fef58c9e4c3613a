//! The SSE reader alone.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| llm_conform_core_fuzz::sse(data));
