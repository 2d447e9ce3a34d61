//! Every input kept under `fuzz/corpus` and `fuzz/regressions` for the LiteLLM header
//! target, replayed through the fuzz target's own check (the same file, on the stable
//! toolchain): no panic, and the contract the check asserts.

#![allow(unreachable_pub, dead_code)]

#[path = "../../../fuzz/src/litellm_headers.rs"]
mod litellm_headers;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;

use std::path::Path;

fn fuzz_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz"))
}

#[test]
fn litellm_headers_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "litellm_headers", litellm_headers::check);
}
