//! Every input kept under `fuzz/corpus` and `fuzz/regressions` for the Bedrock targets,
//! replayed through the fuzz targets' own checks (the same files, on the stable
//! toolchain): no panic, and the contract each check asserts.

#![allow(unreachable_pub, dead_code)]

#[path = "../../../fuzz/src/bedrock_body.rs"]
mod bedrock_body;
#[path = "../../../fuzz/src/bedrock_event_stream.rs"]
mod bedrock_event_stream;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;

use std::path::Path;

fn fuzz_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz"))
}

#[test]
fn bedrock_body_inputs_replay_cleanly() {
    replay::replay(fuzz_dir(), "bedrock_body", bedrock_body::check);
}

#[test]
fn bedrock_event_stream_inputs_replay_cleanly() {
    replay::replay(
        fuzz_dir(),
        "bedrock_event_stream",
        bedrock_event_stream::check,
    );
}

/// The seeds are real streams: the Converse one adds up to what its events say.
#[test]
fn the_converse_seed_is_a_complete_stream() {
    use genai_telemetry_bedrock::interceptor::fuzz_support::{StreamOperation, read_event_stream};
    let data = std::fs::read(fuzz_dir().join("corpus/bedrock_event_stream/seed-converse"))
        .unwrap_or_default();
    let outcome = read_event_stream(
        StreamOperation::ConverseStream,
        genai_telemetry_bedrock::BedrockModelFamily::Unknown,
        &[&data[1..]],
        true,
    );
    assert!(outcome.complete && outcome.saw_content && outcome.error.is_none());
    assert_eq!(outcome.response.usage.input_tokens, Some(25));
    assert_eq!(outcome.response.usage.output_tokens, Some(14));
    assert_eq!(outcome.response.finish_reasons, vec!["tool_use".to_owned()]);
}
