//! Bedrock event streams (`ConverseStream`, `InvokeModelWithResponseStream` per family):
//! frames decoded by `aws-smithy-eventstream`, events read by the interceptor
//! (`genai_telemetry_bedrock::interceptor::fuzz_support::read_event_stream`).
//!
//! Input: one selector byte (bit 0: Converse or InvokeModel; the rest: the model family,
//! as in [`crate::bedrock_body::FAMILIES`]), then the raw `application/vnd.amazon.eventstream`
//! body. The second byte also picks where to cut the body into chunks.

use genai_telemetry_bedrock::interceptor::fuzz_support::{
    StreamOperation, StreamOutcome, read_event_stream,
};

use crate::bedrock_body::FAMILIES;

fn summary(o: &StreamOutcome) -> impl PartialEq + std::fmt::Debug + '_ {
    (&o.response, &o.error, o.complete, o.saw_content)
}

/// Checks one input.
pub fn check(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let op = if selector & 1 == 0 {
        StreamOperation::ConverseStream
    } else {
        StreamOperation::InvokeModelWithResponseStream
    };
    let family = FAMILIES[usize::from(selector >> 1) % FAMILIES.len()].1;
    let whole = read_event_stream(op, family, &[body], true);
    // What the stream adds up to does not depend on how the body arrived.
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    let by_byte = read_event_stream(op, family, &bytes, true);
    assert_eq!(
        summary(&by_byte),
        summary(&whole),
        "byte-at-a-time chunking changed the outcome"
    );
    if let Some(&second) = body.first() {
        let cut = usize::from(second) * body.len() / 256;
        let (a, b) = body.split_at(cut);
        let split = read_event_stream(op, family, &[a, b], true);
        assert_eq!(
            summary(&split),
            summary(&whole),
            "a cut at {cut} changed the outcome"
        );
    }
    let plain = read_event_stream(op, family, &[body], false);
    assert!(
        plain.response.output_messages.is_empty(),
        "content without capture"
    );
    assert_eq!(plain.response.usage, whole.response.usage);
    assert_eq!(plain.error, whole.error);
    if let Some((kind, _)) = &whole.error {
        assert!(!kind.is_empty(), "empty error.type");
    }
}
