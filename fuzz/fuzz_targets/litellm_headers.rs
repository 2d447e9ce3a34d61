//! `cargo +nightly fuzz run litellm_headers`: see `fuzz/README.md` and `genai_telemetry_fuzz::litellm_headers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::litellm_headers::check(data));
