//! `cargo +nightly fuzz run config_dotenv`: see `fuzz/README.md` and `genai_telemetry_fuzz::config_dotenv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::config_dotenv::check(data));
