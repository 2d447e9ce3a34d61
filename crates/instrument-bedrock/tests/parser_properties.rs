//! Property tests of the interceptor's Bedrock parsers (the stable twins of the `fuzz/`
//! targets, with modest case counts): nothing panics on arbitrary bytes, generated valid
//! responses come back as generated, and an event stream adds up to the same thing
//! however its bytes are chunked.

#![allow(unreachable_pub, dead_code, clippy::unwrap_used)]

#[path = "support/bedrock_mock.rs"]
mod bedrock_mock;

#[path = "../../../fuzz/src/bedrock_body.rs"]
mod bedrock_body;
#[path = "../../../fuzz/src/bedrock_event_stream.rs"]
mod bedrock_event_stream;

use aws_smithy_runtime_api::http::Headers;
use genai_telemetry_bedrock::BedrockModelFamily;
use genai_telemetry_bedrock::interceptor::bench_support::{
    read_converse_response, read_invoke_model_response,
};
use genai_telemetry_bedrock::interceptor::fuzz_support::{StreamOperation, read_event_stream};
use genai_telemetry_core::genai::MessagePart;
use proptest::prelude::*;
use serde_json::json;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn json_headers() -> Headers {
    let mut h = Headers::new();
    h.insert("content-type", "application/json");
    h
}

fn text_of(parts: &[MessagePart]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            MessagePart::Text { content } => Some(content.as_str()),
            _ => None,
        })
        .collect()
}

fn cut<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(&body[start..p]);
        start = p;
    }
    out.push(&body[start..]);
    out
}

/// Token counts: small, and anywhere up to `u64::MAX` (sums must not overflow).
fn tokens() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..100_000, any::<u64>()]
}

fn stop_reason() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("end_turn".to_owned()),
        Just("max_tokens".to_owned()),
        Just("tool_use".to_owned()),
        Just("guardrail_intervened".to_owned()),
        "[a-z_]{1,16}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn body_readers_never_panic_on_arbitrary_bytes(
        family in 0usize..bedrock_body::FAMILIES.len(),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut input = bedrock_body::FAMILIES[family].0.as_bytes().to_vec();
        input.push(b'\n');
        input.extend_from_slice(&body);
        bedrock_body::check(&input);
    }

    #[test]
    fn the_event_stream_reader_never_panics_on_arbitrary_bytes(
        data in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        bedrock_event_stream::check(&data);
    }

    #[test]
    fn the_event_stream_reader_never_panics_on_valid_frames_of_arbitrary_json(
        selector in any::<u8>(),
        kinds in prop::collection::vec(prop_oneof![
            Just("chunk"), Just("messageStart"), Just("contentBlockDelta"),
            Just("contentBlockStart"), Just("messageStop"), Just("metadata"), Just("other")], 1..6),
        payloads in prop::collection::vec(prop_oneof![
            Just(json!({"bytes": "eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="})),
            Just(json!({"contentBlockIndex": u64::MAX, "delta": {"text": 1}})),
            Just(json!({"usage": {"inputTokens": u64::MAX, "outputTokens": u64::MAX, "totalTokens": 1,
                                  "cacheReadInputTokens": u64::MAX, "cacheWriteInputTokens": u64::MAX}})),
            Just(json!({"usage": {"inputTokens": -1, "outputTokens": 1.5e300}})),
            Just(json!([])), Just(json!(null)),
        ], 6),
    ) {
        let mut data = vec![selector];
        for (kind, payload) in kinds.iter().zip(&payloads) {
            data.extend(bedrock_mock::event(kind, (*payload).clone()));
        }
        bedrock_event_stream::check(&data);
    }

    #[test]
    fn a_generated_converse_response_is_read_back_as_generated(
        input in tokens(), output in tokens(), reason in stop_reason(), text in "\\PC{0,40}",
    ) {
        let body = json!({
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": reason,
            "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input.saturating_add(output)},
            "metrics": {"latencyMs": 12}
        });
        let response = read_converse_response(&json_headers(), body.to_string().as_bytes(), true).unwrap();
        prop_assert_eq!(response.usage.input_tokens, Some(input));
        prop_assert_eq!(response.usage.output_tokens, Some(output));
        prop_assert_eq!(&response.finish_reasons, &vec![reason]);
        prop_assert_eq!(text_of(&response.output_messages[0].parts), text);
    }

    #[test]
    fn cache_counts_near_the_top_of_u64_do_not_overflow(
        input in tokens(), output in tokens(), read in tokens(), write in tokens(), total in tokens(),
    ) {
        let body = json!({
            "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": total,
                      "cacheReadInputTokens": read, "cacheWriteInputTokens": write}
        });
        let response = read_converse_response(&json_headers(), body.to_string().as_bytes(), false).unwrap();
        // Input tokens include the cached ones (saturating at the top).
        prop_assert!(response.usage.input_tokens.unwrap() >= input);
        prop_assert_eq!(response.usage.output_tokens, Some(output));
    }

    #[test]
    fn a_generated_anthropic_messages_body_is_read_back_as_generated(
        id in "msg_bdrk_[A-Za-z0-9]{1,20}", model in "claude-[a-z0-9.-]{1,20}",
        input in tokens(), output in tokens(), reason in stop_reason(), text in "\\PC{0,40}",
    ) {
        let body = json!({
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": reason, "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": output}
        });
        let response = read_invoke_model_response(
            BedrockModelFamily::AnthropicMessages, &json_headers(), body.to_string().as_bytes(), true,
        ).unwrap();
        prop_assert_eq!(response.id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(response.model.as_deref(), Some(model.as_str()));
        prop_assert_eq!(response.usage.input_tokens, Some(input));
        prop_assert_eq!(response.usage.output_tokens, Some(output));
        prop_assert_eq!(&response.finish_reasons, &vec![reason]);
        prop_assert_eq!(text_of(&response.output_messages[0].parts), text);
    }

    #[test]
    fn a_converse_stream_adds_up_the_same_however_it_is_chunked(
        pieces in prop::collection::vec("\\PC{0,10}", 0..6),
        reason in stop_reason(), input in tokens(), output in tokens(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let mut body = bedrock_mock::event("messageStart", json!({"role": "assistant"})).to_vec();
        for piece in &pieces {
            body.extend(bedrock_mock::event("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"text": piece}})));
        }
        body.extend(bedrock_mock::event("contentBlockStop", json!({"contentBlockIndex": 0})));
        body.extend(bedrock_mock::event("messageStop", json!({"stopReason": reason})));
        body.extend(bedrock_mock::event("metadata", json!({"usage": {"inputTokens": input, "outputTokens": output}, "metrics": {"latencyMs": 1}})));

        let whole = read_event_stream(StreamOperation::ConverseStream, BedrockModelFamily::Unknown, &[&body], true);
        let chunked = read_event_stream(StreamOperation::ConverseStream, BedrockModelFamily::Unknown, &cut(&body, &cuts), true);
        prop_assert_eq!(&chunked.response, &whole.response);
        prop_assert!(whole.complete && chunked.complete);
        prop_assert!(whole.error.is_none());
        prop_assert_eq!(whole.response.usage.input_tokens, Some(input));
        prop_assert_eq!(whole.response.usage.output_tokens, Some(output));
        prop_assert_eq!(&whole.response.finish_reasons, &vec![reason]);
        prop_assert_eq!(text_of(&whole.response.output_messages[0].parts), pieces.concat());
    }
}
