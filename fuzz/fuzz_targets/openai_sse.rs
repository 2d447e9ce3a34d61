//! `cargo +nightly fuzz run openai_sse`: see `fuzz/README.md` and `genai_telemetry_fuzz::openai_sse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::openai_sse::check(data));
