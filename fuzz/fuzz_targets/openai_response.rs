//! `cargo +nightly fuzz run openai_response`: see `fuzz/README.md` and `genai_telemetry_fuzz::openai_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::openai_response::check(data));
