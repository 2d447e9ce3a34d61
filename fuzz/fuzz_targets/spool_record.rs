//! `cargo +nightly fuzz run spool_record`: see `fuzz/README.md` and `genai_telemetry_fuzz::spool_record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| genai_telemetry_fuzz::spool_record::check(data));
