//! `cargo +nightly fuzz run bedrock_event_stream`: see `fuzz/README.md` and `genai_telemetry_fuzz::bedrock_event_stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::bedrock_event_stream::check(data));
