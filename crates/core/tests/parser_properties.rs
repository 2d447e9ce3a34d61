//! Property tests of the OpenAI-compatible parsers and the configuration reader (the
//! stable twins of the `fuzz/` targets, with modest case counts): nothing panics on
//! arbitrary bytes, generated valid responses come back as generated, SSE parsing does not
//! depend on the chunking, and configuration values parse or fail naming their variable.

#![allow(unreachable_pub, dead_code, clippy::unwrap_used)]

#[path = "../../../fuzz/src/config_env.rs"]
mod config_env;
#[path = "../../../fuzz/src/openai_response.rs"]
mod openai_response;
#[path = "../../../fuzz/src/openai_sse.rs"]
mod openai_sse;

use std::collections::HashMap;

use genai_telemetry_core::BridgeConfigBuilder;
use genai_telemetry_core::genai::MessagePart;
use genai_telemetry_core::genai::openai_compat::Endpoint;
use genai_telemetry_core::genai::openai_compat::response::{StreamAccumulator, parse_response};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Arbitrary JSON values, a few levels deep: bodies that parse but are shaped anyhow.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("choices"),
            Just("usage"),
            Just("delta"),
            Just("content"),
            Just("stop"),
            Just("[DONE]"),
            Just("error"),
            Just("output")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("id".to_owned()),
            Just("model".to_owned()),
            Just("choices".to_owned()),
            Just("usage".to_owned()),
            Just("prompt_tokens".to_owned()),
            Just("completion_tokens".to_owned()),
            Just("finish_reason".to_owned()),
            Just("message".to_owned()),
            Just("delta".to_owned()),
            Just("tool_calls".to_owned()),
            Just("index".to_owned()),
            Just("error".to_owned()),
            Just("code".to_owned()),
            Just("output".to_owned()),
            Just("status".to_owned()),
            Just("type".to_owned()),
            Just("cost".to_owned()),
            "\\PC{0,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
struct Choice {
    text: String,
    finish: String,
}

fn finish_reason() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("stop".to_owned()),
        Just("length".to_owned()),
        Just("tool_calls".to_owned()),
        Just("content_filter".to_owned()),
        "[a-z_]{1,12}",
    ]
}

fn choices() -> impl Strategy<Value = Vec<Choice>> {
    prop::collection::vec(
        ("\\PC{0,40}", finish_reason()).prop_map(|(text, finish)| Choice { text, finish }),
        1..4,
    )
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

/// A chat completion stream as OpenAI sends it: role chunk, content chunks (one per
/// piece), finish chunks, the usage chunk, `[DONE]`.
fn chat_stream(
    model: &str,
    pieces: &[Vec<String>],
    finishes: &[String],
    usage: (u64, u64),
    crlf: bool,
) -> Vec<u8> {
    let chunk = |choices: Value, usage: Value| {
        json!({"id": "chatcmpl-p", "object": "chat.completion.chunk", "created": 1,
               "model": model, "choices": choices, "usage": usage})
    };
    let mut events = Vec::new();
    for (i, choice) in pieces.iter().enumerate() {
        events.push(chunk(
            json!([{"index": i, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
            Value::Null,
        ));
        for piece in choice {
            events.push(chunk(
                json!([{"index": i, "delta": {"content": piece}, "finish_reason": null}]),
                Value::Null,
            ));
        }
        events.push(chunk(
            json!([{"index": i, "delta": {}, "finish_reason": finishes[i]}]),
            Value::Null,
        ));
    }
    events.push(chunk(
        json!([]),
        json!({"prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0.saturating_add(usage.1)}),
    ));
    let newline = if crlf { "\r\n" } else { "\n" };
    let mut body = String::new();
    for e in events {
        body.push_str(&format!("data: {e}{newline}{newline}"));
    }
    body.push_str(&format!("data: [DONE]{newline}{newline}"));
    body.into_bytes()
}

/// Cuts `body` at the given positions (any byte: inside a UTF-8 character, between `\r`
/// and `\n`).
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

const VALID: &[(&str, &str)] = &[
    ("OTEL_SERVICE_NAME", "shop"),
    ("OTEL_EXPORTER_LANGFUSE_ENABLED", "true"),
    ("LANGFUSE_ENDPOINT", "https://cloud.langfuse.com"),
    ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
    ("LANGFUSE_SECRET_KEY", "sk-lf-1"),
    ("OTEL_EXPORTER_INSTANA_ENABLED", "true"),
    ("INSTANA_ENDPOINT", "http://instana-agent:4318"),
    ("INSTANA_API_KEY", "agent-key"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
];

#[test]
fn the_baseline_configuration_is_valid() {
    let env: HashMap<&str, &str> = VALID.iter().copied().collect();
    let built = BridgeConfigBuilder::from_lookup(|k| env.get(k).map(|v| (*v).to_owned())).build();
    assert!(built.is_ok(), "{:?}", built.err().map(|e| e.to_string()));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn response_parsers_never_panic_on_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..512)) {
        openai_response::check(&data);
        openai_sse::check(&data);
    }

    #[test]
    fn response_parsers_never_panic_on_arbitrary_json(value in any_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        openai_response::check(&body);
        let sse = format!("data: {}\n\ndata: [DONE]\n\n", String::from_utf8_lossy(&body));
        openai_sse::check(sse.as_bytes());
    }

    #[test]
    fn a_generated_chat_completion_is_read_back_as_generated(
        model in "[a-z0-9.:-]{1,30}",
        id in "chatcmpl-[A-Za-z0-9]{1,20}",
        prompt in any::<u64>(),
        completion in any::<u64>(),
        cached in 0u64..1_000_000,
        choices in choices(),
    ) {
        let body = json!({
            "id": id, "object": "chat.completion", "created": 1, "model": model,
            "choices": choices.iter().enumerate().map(|(i, c)| json!({
                "index": i, "message": {"role": "assistant", "content": c.text},
                "finish_reason": c.finish})).collect::<Vec<_>>(),
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "prompt_tokens_details": {"cached_tokens": cached}},
        });
        let response = parse_response(Endpoint::ChatCompletions, body.to_string().as_bytes(), true, None).unwrap();
        prop_assert_eq!(response.model.as_deref(), Some(model.as_str()));
        prop_assert_eq!(response.id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(response.usage.input_tokens, Some(prompt));
        prop_assert_eq!(response.usage.output_tokens, Some(completion));
        prop_assert_eq!(response.usage.cache_read_input_tokens, (cached > 0).then_some(cached));
        let reasons: Vec<String> = choices.iter().map(|c| c.finish.clone()).collect();
        prop_assert_eq!(&response.finish_reasons, &reasons);
        prop_assert_eq!(response.output_messages.len(), choices.len());
        for (message, choice) in response.output_messages.iter().zip(&choices) {
            prop_assert_eq!(text_of(&message.parts), choice.text.clone());
        }
    }

    #[test]
    fn sse_parsing_does_not_depend_on_the_chunking(
        model in "[a-z0-9.-]{1,20}",
        pieces in prop::collection::vec(prop::collection::vec("\\PC{0,8}", 0..5), 1..3),
        finishes in prop::collection::vec(finish_reason(), 3),
        usage in (any::<u64>(), any::<u64>()),
        crlf in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let body = chat_stream(&model, &pieces, &finishes, usage, crlf);
        let whole = openai_sse::events(&[&body]);
        let chunks = cut(&body, &cuts);
        prop_assert_eq!(&openai_sse::events(&chunks), &whole);

        let mut acc = StreamAccumulator::new(Endpoint::ChatCompletions, true, None);
        for (event, data) in &whole {
            acc.push_event(event.as_deref(), data);
        }
        prop_assert!(acc.is_complete());
        prop_assert!(acc.error().is_none());
        let response = acc.finish();
        prop_assert_eq!(response.model.as_deref(), Some(model.as_str()));
        prop_assert_eq!(response.usage.input_tokens, Some(usage.0));
        prop_assert_eq!(response.usage.output_tokens, Some(usage.1));
        prop_assert_eq!(&response.finish_reasons, &finishes[..pieces.len()].to_vec());
        for (message, choice) in response.output_messages.iter().zip(&pieces) {
            prop_assert_eq!(text_of(&message.parts), choice.concat());
        }
    }

    #[test]
    fn a_truncated_stream_keeps_what_arrived_and_never_claims_completion(
        pieces in prop::collection::vec("\\PC{1,8}", 1..5),
        keep in any::<usize>(),
    ) {
        let body = chat_stream("m", &[pieces], &["stop".to_owned()], (3, 4), false);
        let done = body.len() - "data: [DONE]\n\n".len();
        let truncated = &body[..keep % done];
        let mut acc = StreamAccumulator::new(Endpoint::ChatCompletions, true, None);
        for (event, data) in openai_sse::events(&[truncated]) {
            acc.push_event(event.as_deref(), &data);
        }
        prop_assert!(!acc.is_complete());
        let _ = acc.finish();
    }

    #[test]
    fn configuration_values_parse_or_fail_naming_their_variable(
        pick in any::<prop::sample::Index>(),
        value in prop_oneof![
            "\\PC{0,24}",
            "[0-9_]{0,24}[a-zA-Z ]{0,4}",
            "-?[0-9]{0,6}\\.?[0-9]{0,6}(e[+-]?[0-9]{1,4})?",
            "(https?|ftp|file)://[a-z0-9.:@\\[\\]%-]{0,20}(/[a-z%]{0,8})?",
            "[a-z%0-9]{0,6}=[a-z%0-9 ]{0,6}(,[a-z%0-9]{0,6}=?[a-z%0-9]{0,6}){0,3}",
        ],
    ) {
        let variables = config_env::variables();
        let variable = variables[pick.index(variables.len())];
        // A complete, valid configuration with one value replaced: a problem can only
        // come from that value.
        let mut env: HashMap<&str, &str> = VALID.iter().copied().collect();
        env.insert(variable, value.as_str());
        if let Err(error) = BridgeConfigBuilder::from_lookup(|k| env.get(k).map(|v| (*v).to_owned())).build() {
            prop_assert!(
                error.names(variable),
                "{variable}={value:?} was rejected without naming it: {error}"
            );
            prop_assert!(error.to_string().contains(variable));
        }
        // And the fuzz target's own contract on the same input.
        config_env::check(format!("{variable}={value}").as_bytes());
    }
}
