//! Hostile input through the real async-openai client and the layer, against the mock LLM
//! of `genai-telemetry-receiver` answering scripted raw bodies: huge prompts, invalid
//! UTF-8, deeply nested JSON, absurd token counts, truncated streams. The caller gets
//! exactly what the uninstrumented client gets, the span stays bounded and says the
//! response was malformed, nothing panics.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/support/captured_spans.rs"]
#[allow(dead_code, unreachable_pub)]
mod captured_spans;

use captured_spans::{Telemetry, marked_invalid, telemetry};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequest,
    CreateChatCompletionRequestArgs,
};
use futures_util::StreamExt;
use genai_telemetry_core::content::TRUNCATION_MARKER;
use genai_telemetry_core::genai::messages::MAX_CAPTURED_CONTENT_BYTES;
use genai_telemetry_core::genai::semconv::attr;
use genai_telemetry_openai::OpenAiTelemetryLayer;
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig, ScriptedResponse};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;

fn string(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .and_then(|kv| match kv.value {
            Value::I64(i) => Some(i),
            _ => None,
        })
}

fn config(llm: &MockLlm) -> OpenAIConfig {
    OpenAIConfig::new()
        .with_api_base(llm.openai_base_url())
        .with_api_key("sk-test")
}

fn plain_client(llm: &MockLlm) -> Client<OpenAIConfig> {
    Client::with_config(config(llm)).with_http_service(ReqwestService::new(reqwest::Client::new()))
}

fn instrumented_client(llm: &MockLlm, t: &Telemetry) -> Client<OpenAIConfig> {
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(t.instrumentation.clone()))
        .service(ReqwestService::new(reqwest::Client::new()));
    Client::with_config(config(llm)).with_http_service(service)
}

fn chat(prompt: String) -> CreateChatCompletionRequest {
    CreateChatCompletionRequestArgs::default()
        .model("gpt-4o-mini")
        .messages([ChatCompletionRequestUserMessage::from(prompt).into()])
        .build()
        .unwrap()
}

fn streaming(prompt: &str) -> CreateChatCompletionRequest {
    let mut request = chat(prompt.to_owned());
    request.stream = Some(true);
    request.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: Some(true),
        include_obfuscation: None,
    });
    request
}

/// The same scripted answer, once for the plain client and once for the instrumented one:
/// both results, as the caller sees them (`Debug` of the `Result`).
async fn both(llm: &MockLlm, t: &Telemetry, answer: ScriptedResponse) -> (String, String) {
    llm.script(answer.clone()).unwrap();
    let plain = plain_client(llm).chat().create(chat("hi".into())).await;
    llm.script(answer).unwrap();
    let instrumented = instrumented_client(llm, t)
        .chat()
        .create(chat("hi".into()))
        .await;
    (format!("{plain:?}"), format!("{instrumented:?}"))
}

/// What the caller's stream yields, item by item (`Debug` of each `Result`).
async fn stream_items(client: Client<OpenAIConfig>) -> Vec<String> {
    match client.chat().create_stream(streaming("hi")).await {
        Ok(mut stream) => {
            let mut items = Vec::new();
            while let Some(item) = stream.next().await {
                items.push(format!("{item:?}"));
            }
            items
        }
        Err(e) => vec![format!("{e:?}")],
    }
}

async fn both_streams(
    llm: &MockLlm,
    t: &Telemetry,
    answer: ScriptedResponse,
) -> (Vec<String>, Vec<String>) {
    llm.script(answer.clone()).unwrap();
    let plain = stream_items(plain_client(llm)).await;
    llm.script(answer).unwrap();
    let instrumented = stream_items(instrumented_client(llm, t)).await;
    (plain, instrumented)
}

fn json_answer(body: impl Into<bytes::Bytes>) -> ScriptedResponse {
    ScriptedResponse::new(200, "application/json").chunk(body)
}

#[tokio::test]
async fn a_10_mb_prompt_gets_the_same_answer_and_a_small_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let prompt = "Lorem ipsum dolor sit amet. ".repeat(10 * 1024 * 1024 / 28 + 1);
    assert!(prompt.len() >= 10 * 1024 * 1024);
    let plain = plain_client(&llm)
        .chat()
        .create(chat(prompt.clone()))
        .await
        .unwrap();
    let instrumented = instrumented_client(&llm, &t)
        .chat()
        .create(chat(prompt))
        .await
        .unwrap();
    assert_eq!(instrumented.choices, plain.choices);
    assert_eq!(instrumented.usage, plain.usage);
    let span = t.only_bounded_span().await;
    assert_eq!(span.status, Status::Unset);
    let expected = i64::from(plain.usage.unwrap().prompt_tokens);
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(expected));
}

#[tokio::test]
async fn a_10_mb_prompt_with_content_capture_keeps_a_bounded_valid_copy_on_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(true);
    let prompt = "Lorem \"ipsum\" dolor sit amet.\n".repeat(10 * 1024 * 1024 / 30 + 1);
    let plain = plain_client(&llm)
        .chat()
        .create(chat(prompt.clone()))
        .await
        .unwrap();
    let instrumented = instrumented_client(&llm, &t)
        .chat()
        .create(chat(prompt.clone()))
        .await
        .unwrap();
    assert_eq!(instrumented.choices, plain.choices);
    // Not `only_span`: its bound is the destinations' (content is bounded again on export).
    t.provider.force_flush().unwrap();
    let span = t.exporter.get_finished_spans().unwrap().remove(0);
    let captured = string(&span, attr::INPUT_MESSAGES).expect("content captured");
    assert!(
        captured.len() <= MAX_CAPTURED_CONTENT_BYTES,
        "{} bytes",
        captured.len()
    );
    let messages: serde_json::Value = serde_json::from_str(&captured).expect("still JSON");
    assert_eq!(messages[0]["role"], "user");
    let text = messages[0]["parts"][0]["content"]
        .as_str()
        .expect("text part");
    assert!(
        text.len() > MAX_CAPTURED_CONTENT_BYTES / 2,
        "keeps what fits"
    );
    assert!(prompt.starts_with(text.trim_end_matches(TRUNCATION_MARKER)));
    assert!(text.ends_with(TRUNCATION_MARKER));
}

#[tokio::test]
async fn invalid_utf8_in_a_body_gives_the_callers_error_and_a_marked_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let mut body = br#"{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"caf"#.to_vec();
    body.extend_from_slice(&[0xC3, 0x28, 0xFF, 0xFE]);
    body.extend_from_slice(br#""},"finish_reason":"stop"}]}"#);
    let (plain, instrumented) = both(&llm, &t, json_answer(body)).await;
    assert!(plain.starts_with("Err("), "{plain}");
    assert_eq!(instrumented, plain);
    marked_invalid(&t.only_bounded_span().await);
}

#[tokio::test]
async fn deeply_nested_json_gives_the_callers_error_and_a_marked_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let depth = 100_000;
    let body = format!(
        r#"{{"id":"x","model":"m","choices":[{{"index":0,"message":{{"role":"assistant","content":{}{}}},"finish_reason":"stop"}}]}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let (plain, instrumented) = both(&llm, &t, json_answer(body)).await;
    assert!(plain.starts_with("Err("), "{plain}");
    assert_eq!(instrumented, plain);
    marked_invalid(&t.only_bounded_span().await);
}

#[tokio::test]
async fn nan_token_counts_give_the_callers_error_and_a_marked_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let body = r#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":NaN,"completion_tokens":1,"total_tokens":1}}"#;
    let (plain, instrumented) = both(&llm, &t, json_answer(body)).await;
    assert!(plain.starts_with("Err("), "{plain}");
    assert_eq!(instrumented, plain);
    marked_invalid(&t.only_bounded_span().await);
}

#[tokio::test]
async fn negative_and_huge_token_counts_never_reach_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    for (input, output) in [("-5", "-1"), ("1e30", "18446744073709551616")] {
        let t = telemetry(false);
        let body = format!(
            r#"{{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{{"index":0,"message":{{"role":"assistant","content":"hi"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{input},"completion_tokens":{output},"total_tokens":0}}}}"#
        );
        let (plain, instrumented) = both(&llm, &t, json_answer(body)).await;
        assert_eq!(instrumented, plain);
        let span = t.only_bounded_span().await;
        assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), None, "{input}");
        assert_eq!(int(&span, attr::USAGE_OUTPUT_TOKENS), None, "{output}");
    }
}

#[tokio::test]
async fn a_megabyte_model_name_reaches_the_caller_whole_and_the_span_bounded() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let model = "m".repeat(1024 * 1024);
    let body = format!(
        r#"{{"id":"{model}","object":"chat.completion","created":1,"model":"{model}","system_fingerprint":"{model}","choices":[{{"index":0,"message":{{"role":"assistant","content":"hi"}},"finish_reason":"{model}"}}]}}"#
    );
    let (plain, instrumented) = both(&llm, &t, json_answer(body)).await;
    assert!(plain.contains(&model));
    assert_eq!(instrumented, plain);
    let span = t.only_bounded_span().await;
    let recorded = string(&span, attr::RESPONSE_MODEL).unwrap();
    assert!(
        model.starts_with(
            recorded.trim_end_matches(genai_telemetry_core::content::TRUNCATION_MARKER)
        )
    );
}

#[tokio::test]
async fn a_stream_cut_mid_event_gives_the_callers_error_and_a_marked_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let answer = ScriptedResponse::new(200, "text/event-stream")
        .chunk(r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Par"},"finish_reason":null}]}"#.to_owned() + "\n\n")
        .chunk(r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"is"#)
        .abort();
    let (plain, instrumented) = both_streams(&llm, &t, answer).await;
    assert_eq!(instrumented.len(), plain.len());
    assert!(plain.last().unwrap().starts_with("Err("), "{plain:?}");
    assert_eq!(instrumented[..plain.len() - 1], plain[..plain.len() - 1]);
    let span = t.only_bounded_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("response_body_error")
    );
}

#[tokio::test]
async fn a_stream_ending_before_done_is_marked_and_the_caller_sees_the_same_chunks() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let answer = ScriptedResponse::new(200, "text/event-stream").chunk(
        r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Paris"},"finish_reason":null}]}"#.to_owned() + "\n\n",
    );
    let (plain, instrumented) = both_streams(&llm, &t, answer).await;
    assert_eq!(instrumented, plain);
    marked_invalid(&t.only_bounded_span().await);
}

#[tokio::test]
async fn invalid_utf8_inside_a_stream_event_is_marked_and_passed_through() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let mut event = br#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"caf"#.to_vec();
    event.extend_from_slice(&[0xC3]);
    let answer = ScriptedResponse::new(200, "text/event-stream")
        .chunk(event)
        .chunk(&[0x28u8, 0xFF][..])
        .chunk(&b"\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n"[..]);
    let (plain, instrumented) = both_streams(&llm, &t, answer).await;
    assert_eq!(instrumented, plain);
    marked_invalid(&t.only_bounded_span().await);
}
