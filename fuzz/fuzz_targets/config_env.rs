//! `cargo +nightly fuzz run config_env`: see `fuzz/README.md` and `genai_telemetry_fuzz::config_env`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::config_env::check(data));
