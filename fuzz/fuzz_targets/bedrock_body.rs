//! `cargo +nightly fuzz run bedrock_body`: see `fuzz/README.md` and `genai_telemetry_fuzz::bedrock_body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::bedrock_body::check(data));
