//! Every input kept under `fuzz/corpus` and `fuzz/regressions` for the OpenAI and
//! configuration targets and the disk spool's record reader, replayed through the fuzz targets' own checks (the same files,
//! on the stable toolchain): no panic, and the contract each check asserts.

#![allow(unreachable_pub, dead_code)]

#[path = "../../../fuzz/src/config_dotenv.rs"]
mod config_dotenv;
#[path = "../../../fuzz/src/config_env.rs"]
mod config_env;
#[path = "../../../fuzz/src/openai_response.rs"]
mod openai_response;
#[path = "../../../fuzz/src/openai_sse.rs"]
mod openai_sse;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/spool_record.rs"]
mod spool_record;

use std::path::Path;

fn fuzz_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz"))
}

#[test]
fn openai_response_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "openai_response", openai_response::check);
}

#[test]
fn openai_sse_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "openai_sse", openai_sse::check);
}

#[test]
fn config_env_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "config_env", config_env::check);
}

#[test]
fn config_dotenv_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "config_dotenv", config_dotenv::check);
}

#[test]
fn spool_record_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "spool_record", spool_record::check);
}
