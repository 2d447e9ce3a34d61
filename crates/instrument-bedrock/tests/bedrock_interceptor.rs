//! The interceptor with the real aws-sdk-bedrockruntime client against a loopback server
//! speaking the Bedrock wire formats (REST-JSON and event-stream frames): every model
//! family and operation, streams read fully, dropped early and failing mid-way, errors,
//! malformed bodies, and byte-identical results for the caller.

#![allow(clippy::unwrap_used)]

#[path = "support/bedrock_mock.rs"]
mod bedrock_mock;
#[path = "../../../tests/support/captured_spans.rs"]
#[allow(dead_code, unreachable_pub)]
mod captured_spans;

use captured_spans::{Telemetry, telemetry};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, GuardrailConfiguration, InferenceConfiguration, Message,
    SystemContentBlock,
};
use bedrock_mock::{BedrockMock, CLAUDE};
use genai_telemetry_bedrock::BedrockTelemetryInterceptor;
use genai_telemetry_core::genai::semconv::{attr, bridge};
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;
use serde_json::json;

impl Telemetry {
    async fn only_span(&self) -> SpanData {
        let mut spans = self.wait_for_spans(1).await;
        assert_eq!(spans.len(), 1, "{spans:#?}");
        spans.remove(0)
    }
}

fn client(mock: &BedrockMock, interceptor: Option<&Telemetry>) -> Client {
    let mut config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&mock.endpoint)
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled());
    if let Some(t) = interceptor {
        config = config.interceptor(BedrockTelemetryInterceptor::new(t.instrumentation.clone()));
    }
    Client::from_conf(config.build())
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn string(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|v| v.as_str().into_owned())
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(i)) => Some(*i),
        _ => None,
    }
}

fn strings(span: &SpanData, key: &str) -> Vec<String> {
    match attribute(span, key) {
        Some(Value::Array(opentelemetry::Array::String(v))) => {
            v.iter().map(|s| s.as_str().to_owned()).collect()
        }
        other => panic!("{key} is not a string array: {other:?}"),
    }
}

fn user(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(text.to_owned()))
        .build()
        .unwrap()
}

async fn converse(c: &Client, model: &str) -> String {
    let result = c
        .converse()
        .model_id(model)
        .system(SystemContentBlock::Text("You are terse.".to_owned()))
        .messages(user("Say hello"))
        .inference_config(
            InferenceConfiguration::builder()
                .max_tokens(256)
                .temperature(0.7)
                .top_p(0.9)
                .stop_sequences("END")
                .build(),
        )
        .guardrail_config(
            GuardrailConfiguration::builder()
                .guardrail_identifier("gr-abc123")
                .guardrail_version("1")
                .build(),
        )
        .send()
        .await;
    format!("{result:?}")
}

async fn converse_stream(c: &Client, model: &str) -> String {
    match c
        .converse_stream()
        .model_id(model)
        .messages(user("Say hello"))
        .send()
        .await
    {
        Ok(mut output) => {
            let mut events = Vec::new();
            loop {
                match output.stream.recv().await {
                    Ok(Some(event)) => events.push(format!("{event:?}")),
                    Ok(None) => break,
                    Err(e) => {
                        events.push(format!("error: {e:?}"));
                        break;
                    }
                }
            }
            format!("{events:?}")
        }
        Err(e) => format!("{e:?}"),
    }
}

fn invoke_body(model: &str) -> serde_json::Value {
    let vendor = model
        .split('.')
        .find(|p| ["anthropic", "amazon", "meta", "cohere", "ai21", "mistral"].contains(p));
    match (vendor, model) {
        (_, m) if m.contains("claude-v2") => {
            json!({"prompt": "\n\nHuman: Say hello\n\nAssistant:", "max_tokens_to_sample": 50, "temperature": 0.1})
        }
        (Some("anthropic"), _) => json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "temperature": 0.3, "top_k": 40,
            "system": "You are terse.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}]
        }),
        (Some("amazon"), m) if m.contains("nova") => json!({
            "schemaVersion": "messages-v1",
            "system": [{"text": "You are terse."}],
            "messages": [{"role": "user", "content": [{"text": "Say hello"}]}],
            "inferenceConfig": {"maxTokens": 64, "temperature": 0.7, "topP": 0.9}
        }),
        (Some("amazon"), m) if m.contains("embed") => json!({"inputText": "hello"}),
        (Some("amazon"), _) => {
            json!({"inputText": "Say hello", "textGenerationConfig": {"maxTokenCount": 64, "temperature": 0.2, "topP": 0.9}})
        }
        (Some("meta"), _) => {
            json!({"prompt": "<|begin_of_text|>Say hello", "max_gen_len": 64, "temperature": 0.5, "top_p": 0.9})
        }
        (Some("cohere"), m) if m.contains("embed") => {
            json!({"texts": ["hello"], "input_type": "search_document"})
        }
        (Some("cohere"), m) if m.contains("command-r") => {
            json!({"message": "Say hello", "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello"}], "max_tokens": 64, "p": 0.9})
        }
        (Some("cohere"), _) => json!({"prompt": "Say hello", "max_tokens": 64, "temperature": 0.4}),
        (Some("ai21"), m) if m.contains("jamba") => {
            json!({"messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 64, "temperature": 0.4})
        }
        (Some("ai21"), _) => json!({"prompt": "Say hello", "maxTokens": 64, "temperature": 0.4}),
        (Some("mistral"), m) if m.contains("large-2407") => {
            json!({"messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 64})
        }
        (Some("mistral"), _) => {
            json!({"prompt": "<s>[INST] Say hello [/INST]", "max_tokens": 64, "temperature": 0.5})
        }
        _ => json!({"anything": true}),
    }
}

async fn invoke(c: &Client, model: &str) -> String {
    let result = c
        .invoke_model()
        .model_id(model)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(invoke_body(model).to_string()))
        .send()
        .await;
    format!("{result:?}")
}

async fn invoke_stream(c: &Client, model: &str) -> String {
    match c
        .invoke_model_with_response_stream()
        .model_id(model)
        .content_type("application/json")
        .body(Blob::new(invoke_body(model).to_string()))
        .send()
        .await
    {
        Ok(mut output) => {
            let mut events = Vec::new();
            loop {
                match output.body.recv().await {
                    Ok(Some(event)) => events.push(format!("{event:?}")),
                    Ok(None) => break,
                    Err(e) => {
                        events.push(format!("error: {e:?}"));
                        break;
                    }
                }
            }
            format!("{events:?}")
        }
        Err(e) => format!("{e:?}"),
    }
}

/// (model id, operation, input tokens, output tokens, finish reason) for every family.
const FAMILIES: &[(&str, &str, i64, i64, &str)] = &[
    (
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "chat",
        110,
        9,
        "stop",
    ),
    ("us.anthropic.claude-v2:1", "text_completion", 11, 4, "stop"),
    ("us.amazon.nova-lite-v1:0", "chat", 7, 4, "stop"),
    (
        "amazon.titan-text-express-v1",
        "text_completion",
        5,
        6,
        "stop",
    ),
    (
        "meta.llama3-1-70b-instruct-v1:0",
        "text_completion",
        8,
        5,
        "stop",
    ),
    ("cohere.command-text-v14", "text_completion", 4, 5, "stop"),
    ("cohere.command-r-plus-v1:0", "chat", 9, 5, "stop"),
    ("ai21.jamba-1-5-mini-v1:0", "chat", 12, 6, "stop"),
    (
        "mistral.mistral-7b-instruct-v0:2",
        "text_completion",
        6,
        4,
        "length",
    ),
    ("mistral.mistral-large-2407-v1:0", "chat", 10, 5, "stop"),
];

#[tokio::test]
async fn converse_becomes_a_chat_span_with_parameters_guardrail_cached_usage_and_cost() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let model = format!("us.{CLAUDE}");
    let out = converse(&client(&mock, Some(&t)), &model).await;
    assert!(out.starts_with("Ok("), "{out}");

    let span = t.only_span().await;
    assert_eq!(span.name, format!("chat {model}"));
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        string(&span, attr::PROVIDER_NAME).as_deref(),
        Some("aws.bedrock")
    );
    assert_eq!(string(&span, attr::REQUEST_MODEL).as_deref(), Some(&*model));
    assert_eq!(
        string(&span, attr::SERVER_ADDRESS).as_deref(),
        Some("127.0.0.1")
    );
    assert!(int(&span, attr::SERVER_PORT).is_some());
    assert_eq!(int(&span, attr::REQUEST_MAX_TOKENS), Some(256));
    // The SDK's f32 parameters read back as the decimals the caller wrote, not as their
    // f32 approximations widened to f64 (0.699999988079071).
    assert_eq!(
        attribute(&span, attr::REQUEST_TEMPERATURE),
        Some(&Value::F64(0.7))
    );
    assert_eq!(
        attribute(&span, attr::REQUEST_TOP_P),
        Some(&Value::F64(0.9))
    );
    assert_eq!(
        string(&span, attr::AWS_BEDROCK_GUARDRAIL_ID).as_deref(),
        Some("gr-abc123")
    );
    assert_eq!(strings(&span, attr::RESPONSE_FINISH_REASONS), ["stop"]);
    // inputTokens 12 excludes the 2000 cache reads and 500 cache writes.
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(2512));
    assert_eq!(int(&span, attr::USAGE_OUTPUT_TOKENS), Some(8));
    assert_eq!(int(&span, attr::USAGE_CACHE_READ_INPUT_TOKENS), Some(2000));
    assert_eq!(
        int(&span, attr::USAGE_CACHE_CREATION_INPUT_TOKENS),
        Some(500)
    );
    // claude-3-5-sonnet: 3 input, 0.3 cache read, 3.75 cache write, 15 output per 1M.
    let cost = match attribute(&span, bridge::COST_TOTAL) {
        Some(Value::F64(c)) => *c,
        other => panic!("no cost: {other:?}"),
    };
    let expected = (12.0 * 3.0 + 2000.0 * 0.3 + 500.0 * 3.75 + 8.0 * 15.0) / 1e6;
    assert!((cost - expected).abs() < 1e-12, "{cost} != {expected}");
    assert_eq!(span.status, Status::Unset);
}

#[tokio::test]
async fn every_model_family_is_parsed_through_invoke_model() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let c = client(&mock, Some(&t));
    for (model, operation, input, output, reason) in FAMILIES {
        let out = invoke(&c, model).await;
        assert!(out.starts_with("Ok("), "{model}: {out}");
        let spans = t.wait_for_spans(1).await;
        t.exporter.reset();
        let span = &spans[0];
        assert_eq!(span.name, format!("{operation} {model}"), "{model}");
        assert_eq!(
            string(span, attr::OPERATION_NAME).as_deref(),
            Some(*operation),
            "{model}"
        );
        assert_eq!(int(span, attr::USAGE_INPUT_TOKENS), Some(*input), "{model}");
        assert_eq!(
            int(span, attr::USAGE_OUTPUT_TOKENS),
            Some(*output),
            "{model}"
        );
        assert_eq!(
            strings(span, attr::RESPONSE_FINISH_REASONS),
            [*reason],
            "{model}"
        );
        assert!(
            matches!(attribute(span, bridge::COST_TOTAL), Some(Value::F64(c)) if *c > 0.0),
            "{model} has no cost"
        );
        assert!(
            int(span, attr::REQUEST_MAX_TOKENS).is_some(),
            "{model} has no max tokens"
        );
    }
}

#[tokio::test]
async fn every_model_family_is_parsed_through_invoke_model_with_response_stream() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let c = client(&mock, Some(&t));
    for (model, operation, input, output, reason) in FAMILIES {
        let out = invoke_stream(&c, model).await;
        assert!(!out.contains("error"), "{model}: {out}");
        let spans = t.wait_for_spans(1).await;
        t.exporter.reset();
        let span = &spans[0];
        assert_eq!(span.name, format!("{operation} {model}"), "{model}");
        assert_eq!(
            attribute(span, attr::REQUEST_STREAM),
            Some(&Value::Bool(true))
        );
        assert_eq!(int(span, attr::USAGE_INPUT_TOKENS), Some(*input), "{model}");
        assert_eq!(
            int(span, attr::USAGE_OUTPUT_TOKENS),
            Some(*output),
            "{model}"
        );
        assert_eq!(
            strings(span, attr::RESPONSE_FINISH_REASONS),
            [*reason],
            "{model}"
        );
        assert!(
            attribute(span, attr::RESPONSE_TIME_TO_FIRST_CHUNK).is_some(),
            "{model} has no time to first chunk"
        );
        assert_eq!(attribute(span, bridge::STREAM_CANCELLED), None, "{model}");
    }
}

#[tokio::test]
async fn embeddings_and_jurassic_take_usage_from_the_body_or_the_token_count_headers() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let c = client(&mock, Some(&t));
    for (model, operation, input, output) in [
        ("amazon.titan-embed-text-v2:0", "embeddings", 6, None),
        ("cohere.embed-english-v3", "embeddings", 3, None),
        ("ai21.j2-ultra-v1", "text_completion", 2, Some(4)),
    ] {
        invoke(&c, model).await;
        let spans = t.wait_for_spans(1).await;
        t.exporter.reset();
        let span = &spans[0];
        assert_eq!(span.name, format!("{operation} {model}"));
        assert_eq!(int(span, attr::USAGE_INPUT_TOKENS), Some(input), "{model}");
        assert_eq!(int(span, attr::USAGE_OUTPUT_TOKENS), output, "{model}");
    }
}

#[tokio::test]
async fn converse_stream_keeps_the_span_open_to_the_metadata_event() {
    let mock = BedrockMock::start().await;
    let t = telemetry(true);
    let out = converse_stream(&client(&mock, Some(&t)), CLAUDE).await;
    assert!(!out.contains("error"), "{out}");
    let span = t.only_span().await;
    assert_eq!(span.name, format!("chat {CLAUDE}"));
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(25));
    assert_eq!(int(&span, attr::USAGE_OUTPUT_TOKENS), Some(14));
    assert_eq!(strings(&span, attr::RESPONSE_FINISH_REASONS), ["tool_call"]);
    assert!(attribute(&span, attr::RESPONSE_TIME_TO_FIRST_CHUNK).is_some());
    let output: serde_json::Value =
        serde_json::from_str(&string(&span, attr::OUTPUT_MESSAGES).unwrap()).unwrap();
    assert_eq!(output[0]["parts"][0]["content"], "Hello!");
    assert_eq!(output[0]["parts"][1]["type"], "tool_call");
    assert_eq!(output[0]["parts"][1]["id"], "tooluse_9");
    assert_eq!(output[0]["parts"][1]["arguments"]["city"], "Paris");
}

#[tokio::test]
async fn a_converse_stream_dropped_early_ends_its_span_marked_cancelled() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let mut output = client(&mock, Some(&t))
        .converse_stream()
        .model_id(CLAUDE)
        .messages(user("Say hello"))
        .send()
        .await
        .unwrap();
    output.stream.recv().await.unwrap().unwrap();
    output.stream.recv().await.unwrap().unwrap();
    // The server keeps the stream open: the span is still running.
    assert!(t.spans().is_empty());
    drop(output);
    let span = t.only_span().await;
    assert_eq!(
        attribute(&span, bridge::STREAM_CANCELLED),
        Some(&Value::Bool(true))
    );
    assert!(attribute(&span, attr::RESPONSE_TIME_TO_FIRST_CHUNK).is_some());
    assert_eq!(span.status, Status::Unset);
}

#[tokio::test]
async fn a_converse_stream_failing_midway_marks_the_span_failed() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let out = converse_stream(&client(&mock, Some(&t)), "fail-midway").await;
    assert!(out.contains("error"), "{out}");
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("response_body_error")
    );
    assert!(matches!(span.status, Status::Error { .. }));
}

#[tokio::test]
async fn an_exception_event_in_a_stream_becomes_error_type_and_status() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let out = converse_stream(&client(&mock, Some(&t)), "stream-exception").await;
    assert!(out.contains("ModelStreamErrorException"), "{out}");
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("modelStreamErrorException")
    );
    assert_eq!(span.status, Status::error("The model stream failed."));
}

#[tokio::test]
async fn http_errors_take_error_type_from_x_amzn_errortype() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let c = client(&mock, Some(&t));
    converse(&c, "throttled").await;
    invoke(&c, "invalid").await;
    converse_stream(&c, "throttled").await;
    let spans = t.wait_for_spans(3).await;
    let kinds: Vec<_> = spans
        .iter()
        .map(|s| string(s, attr::ERROR_TYPE).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ThrottlingException",
            "ValidationException",
            "ThrottlingException"
        ]
    );
    assert_eq!(
        spans[0].status,
        Status::error("Too many requests, please wait before trying again.")
    );
}

#[tokio::test]
async fn a_malformed_body_reaches_the_caller_unchanged_and_marks_the_span() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let c = client(&mock, Some(&t));
    let plain = client(&mock, None);
    assert_eq!(
        converse(&c, "malformed").await,
        converse(&plain, "malformed").await
    );
    // InvokeModel bodies are opaque to the SDK: the caller gets the bytes.
    let out = invoke(&c, "malformed").await;
    assert!(out.starts_with("Ok("), "{out}");
    let spans = t.wait_for_spans(2).await;
    for s in &spans {
        assert_eq!(
            string(s, attr::ERROR_TYPE).as_deref(),
            Some("invalid_response"),
            "{}",
            s.name
        );
    }
}

#[tokio::test]
async fn callers_get_byte_identical_results_with_and_without_the_interceptor() {
    let mock = BedrockMock::start().await;
    let t = telemetry(true);
    let plain = client(&mock, None);
    let instrumented = client(&mock, Some(&t));
    for model in [
        CLAUDE,
        "tool-user",
        "guardrailed",
        "throttled",
        "invalid",
        "malformed",
    ] {
        assert_eq!(
            converse(&plain, model).await,
            converse(&instrumented, model).await,
            "{model}"
        );
    }
    for model in [CLAUDE, "stream-exception", "throttled", "fail-midway"] {
        assert_eq!(
            converse_stream(&plain, model).await,
            converse_stream(&instrumented, model).await,
            "{model}"
        );
    }
    for (model, ..) in FAMILIES {
        assert_eq!(
            invoke(&plain, model).await,
            invoke(&instrumented, model).await
        );
        assert_eq!(
            invoke_stream(&plain, model).await,
            invoke_stream(&instrumented, model).await
        );
    }
}

#[tokio::test]
async fn arns_and_cross_region_profiles_are_priced_like_the_model_behind_them() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    let c = client(&mock, Some(&t));
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-1-70b-instruct-v1:0";
    invoke(&c, arn).await;
    let span = t.only_span().await;
    assert_eq!(string(&span, attr::REQUEST_MODEL).as_deref(), Some(arn));
    assert_eq!(
        string(&span, bridge::PRICING_MODEL).as_deref(),
        Some("llama3-1-70b-instruct")
    );
    // 0.72 per 1M tokens, 8 input + 5 output.
    assert_eq!(
        attribute(&span, bridge::COST_TOTAL),
        Some(&Value::F64(13.0 * 0.72 / 1e6))
    );
}

fn assert_valid(schema: &str, json: &str) {
    let path = format!(
        "{}/../core/tests/schemas/{schema}",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let instance: serde_json::Value = serde_json::from_str(json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{json}: {errors:?}");
}

#[tokio::test]
async fn captured_content_of_converse_and_anthropic_bodies_validates_against_the_schemas() {
    let mock = BedrockMock::start().await;
    let t = telemetry(true);
    let c = client(&mock, Some(&t));
    converse(&c, "tool-user").await;
    invoke(&c, CLAUDE).await;
    let spans = t.wait_for_spans(2).await;
    for span in &spans {
        assert_valid(
            "gen-ai-system-instructions.json",
            &string(span, attr::SYSTEM_INSTRUCTIONS).unwrap(),
        );
        assert_valid(
            "gen-ai-input-messages.json",
            &string(span, attr::INPUT_MESSAGES).unwrap(),
        );
        assert_valid(
            "gen-ai-output-messages.json",
            &string(span, attr::OUTPUT_MESSAGES).unwrap(),
        );
    }
    let tool = &spans[0];
    let output: serde_json::Value =
        serde_json::from_str(&string(tool, attr::OUTPUT_MESSAGES).unwrap()).unwrap();
    assert_eq!(output[0]["parts"][1]["type"], "tool_call");
    assert_eq!(output[0]["parts"][1]["name"], "get_weather");
    assert_eq!(output[0]["finish_reason"], "tool_call");
}

#[tokio::test]
async fn a_guardrail_intervention_is_a_content_filter_finish() {
    let mock = BedrockMock::start().await;
    let t = telemetry(false);
    converse(&client(&mock, Some(&t)), "guardrailed").await;
    let span = t.only_span().await;
    assert_eq!(
        strings(&span, attr::RESPONSE_FINISH_REASONS),
        ["content_filter"]
    );
}
