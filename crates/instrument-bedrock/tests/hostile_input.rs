//! Hostile answers through the real `aws-sdk-bedrockruntime` client and the interceptor,
//! against the mock LLM of `genai-telemetry-receiver` answering scripted raw bodies: a
//! 10 MB prompt, invalid UTF-8, deeply nested JSON, absurd token counts, truncated event
//! streams. The caller gets what the client without the interceptor gets, the span stays
//! bounded and says when the response was malformed, nothing panics.

#![allow(clippy::unwrap_used)]

#[path = "support/bedrock_mock.rs"]
mod bedrock_mock;

#[path = "../../../tests/support/captured_spans.rs"]
#[allow(dead_code, unreachable_pub)]
mod captured_spans;

use captured_spans::{Telemetry, attribute, marked_invalid, telemetry};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
use bytes::Bytes;
use genai_telemetry_bedrock::BedrockTelemetryInterceptor;
use genai_telemetry_core::genai::semconv::attr;
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig, ScriptedResponse};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use serde_json::json;

const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

fn client(llm: &MockLlm, t: Option<&Telemetry>) -> Client {
    let mut config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(llm.endpoint())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled());
    if let Some(t) = t {
        config = config.interceptor(BedrockTelemetryInterceptor::new(t.instrumentation.clone()));
    }
    Client::from_conf(config.build())
}

async fn invoke(c: &Client, prompt: &str) -> String {
    let body = json!({
        "anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
    });
    let result = c
        .invoke_model()
        .model_id(CLAUDE)
        .content_type("application/json")
        .body(Blob::new(body.to_string()))
        .send()
        .await;
    format!("{result:?}")
}

async fn converse(c: &Client) -> String {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("hi".into()))
        .build()
        .unwrap();
    let result = c.converse().model_id(CLAUDE).messages(message).send().await;
    format!("{result:?}")
}

async fn converse_stream(c: &Client) -> String {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("hi".into()))
        .build()
        .unwrap();
    match c
        .converse_stream()
        .model_id(CLAUDE)
        .messages(message)
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

fn json_answer(body: impl Into<Bytes>) -> ScriptedResponse {
    ScriptedResponse::new(200, "application/json").chunk(body)
}

const ANTHROPIC_ANSWER: &str = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":2621440,"output_tokens":1}}"#;

#[tokio::test]
async fn a_10_mb_prompt_gets_the_same_answer_and_a_small_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let prompt = "Lorem ipsum dolor sit amet. ".repeat(10 * 1024 * 1024 / 28 + 1);
    llm.script(json_answer(ANTHROPIC_ANSWER)).unwrap();
    let plain = invoke(&client(&llm, None), &prompt).await;
    llm.script(json_answer(ANTHROPIC_ANSWER)).unwrap();
    let instrumented = invoke(&client(&llm, Some(&t)), &prompt).await;
    assert!(plain.starts_with("Ok("), "{plain}");
    assert_eq!(instrumented, plain);
    let span = t.only_bounded_span().await;
    assert_eq!(span.status, Status::Unset);
    assert_eq!(
        attribute(&span, attr::USAGE_INPUT_TOKENS),
        Some(&Value::I64(2_621_440))
    );
}

#[tokio::test]
async fn invalid_utf8_and_deep_nesting_reach_the_caller_unchanged_and_mark_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let mut invalid = br#"{"id":"msg_1","content":[{"type":"text","text":"caf"#.to_vec();
    invalid.extend_from_slice(&[0xC3, 0x28, 0xFF]);
    invalid.extend_from_slice(br#""}]}"#);
    let nested = format!(
        "{{\"content\":{}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    )
    .into_bytes();
    for body in [invalid, nested] {
        let t = telemetry(false);
        llm.script(json_answer(body.clone())).unwrap();
        let plain = invoke(&client(&llm, None), "hi").await;
        llm.script(json_answer(body)).unwrap();
        let instrumented = invoke(&client(&llm, Some(&t)), "hi").await;
        assert!(plain.starts_with("Ok("), "{plain}");
        assert_eq!(instrumented, plain);
        marked_invalid(&t.only_bounded_span().await);
    }
}

#[tokio::test]
async fn nan_negative_and_huge_token_counts_never_reach_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    for usage in [
        r#"{"inputTokens":NaN,"outputTokens":1,"totalTokens":1}"#,
        r#"{"inputTokens":-5,"outputTokens":-1,"totalTokens":-6}"#,
        r#"{"inputTokens":1e30,"outputTokens":18446744073709551616,"totalTokens":0}"#,
    ] {
        let t = telemetry(false);
        let body = format!(
            r#"{{"output":{{"message":{{"role":"assistant","content":[{{"text":"hi"}}]}}}},"stopReason":"end_turn","usage":{usage},"metrics":{{"latencyMs":1}}}}"#
        );
        llm.script(json_answer(body.clone())).unwrap();
        let plain = converse(&client(&llm, None)).await;
        llm.script(json_answer(body)).unwrap();
        let instrumented = converse(&client(&llm, Some(&t))).await;
        assert_eq!(instrumented, plain, "{usage}");
        let span = t.only_bounded_span().await;
        assert!(
            attribute(&span, attr::USAGE_INPUT_TOKENS).is_none(),
            "{usage}"
        );
        assert!(
            attribute(&span, attr::USAGE_OUTPUT_TOKENS).is_none(),
            "{usage}"
        );
        if plain.starts_with("Err(") {
            marked_invalid(&span);
        }
    }
}

#[tokio::test]
async fn truncated_event_streams_reach_the_caller_unchanged_and_mark_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let start = bedrock_mock::event("messageStart", json!({"role": "assistant"})).to_vec();
    let delta = bedrock_mock::event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"text": "Par"}}),
    )
    .to_vec();
    let metadata = bedrock_mock::event(
        "metadata",
        json!({"usage": {"inputTokens": 3, "outputTokens": 1}}),
    );
    let no_final_event = [start.clone(), delta.clone()].concat();
    let cut_mid_frame = [start, delta, metadata[..metadata.len() / 2].to_vec()].concat();
    for body in [no_final_event, cut_mid_frame] {
        let t = telemetry(false);
        let answer = ScriptedResponse::new(200, "application/vnd.amazon.eventstream").chunk(body);
        llm.script(answer.clone()).unwrap();
        let plain = converse_stream(&client(&llm, None)).await;
        llm.script(answer).unwrap();
        let instrumented = converse_stream(&client(&llm, Some(&t))).await;
        assert_eq!(instrumented, plain);
        marked_invalid(&t.only_bounded_span().await);
    }
}
