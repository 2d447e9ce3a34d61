//! Hostile answers from a "LiteLLM proxy" (the mock LLM of `genai-telemetry-receiver`
//! with scripted raw answers) through reqwest and the LiteLLM middleware: the caller gets
//! the byte-identical body (or the same error) as without the middleware, the span stays
//! bounded and says when the response was malformed, absurd header values are ignored.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/support/captured_spans.rs"]
#[allow(dead_code, unreachable_pub)]
mod captured_spans;

use captured_spans::{Telemetry, attribute, marked_invalid, telemetry};

use genai_telemetry_core::genai::semconv::{bridge, litellm};
use genai_telemetry_litellm::LiteLlmTelemetryMiddleware;
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig, ScriptedResponse};
use opentelemetry::Value;
use opentelemetry::trace::Status;

const CHAT: &str = r#"{"model":"fake-gpt","messages":[{"role":"user","content":"hi"}]}"#;

/// `(status, headers, body bytes)` or the error text, as the caller sees it.
async fn call(
    client: &reqwest_middleware::ClientWithMiddleware,
    llm: &MockLlm,
    body: String,
) -> Result<(u16, Vec<u8>), String> {
    let response = client
        .post(format!("{}/chat/completions", llm.openai_base_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| format!("body: {e}"))?;
    Ok((status, bytes.to_vec()))
}

/// The same scripted answer for the plain client and the instrumented one.
async fn both(
    llm: &MockLlm,
    t: &Telemetry,
    answer: ScriptedResponse,
) -> (
    Result<(u16, Vec<u8>), String>,
    Result<(u16, Vec<u8>), String>,
) {
    let plain = reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).build();
    let instrumented = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(LiteLlmTelemetryMiddleware::new(t.instrumentation.clone()))
        .build();
    llm.script(answer.clone()).unwrap();
    let a = call(&plain, llm, CHAT.to_owned()).await;
    llm.script(answer).unwrap();
    let b = call(&instrumented, llm, CHAT.to_owned()).await;
    (a, b)
}

#[tokio::test]
async fn invalid_utf8_and_deep_nesting_reach_the_caller_byte_identical_and_mark_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let mut invalid = br#"{"choices":[{"message":{"content":"caf"#.to_vec();
    invalid.extend_from_slice(&[0xC3, 0x28, 0xFF]);
    invalid.extend_from_slice(br#""}}]}"#);
    let nested = format!(
        "{{\"choices\":{}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    )
    .into_bytes();
    for body in [invalid, nested] {
        let t = telemetry(false);
        let answer = ScriptedResponse::new(200, "application/json").chunk(body.clone());
        let (plain, instrumented) = both(&llm, &t, answer).await;
        assert_eq!(plain, Ok((200, body)));
        assert_eq!(instrumented, plain);
        marked_invalid(&t.only_bounded_span().await);
    }
}

#[tokio::test]
async fn absurd_cost_and_count_headers_are_ignored_and_the_body_is_untouched() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let body = br#"{"id":"c","object":"chat.completion","created":1,"model":"fake-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;
    for (cost, retries) in [
        ("NaN", "1e3"),
        ("-0.5", "-1"),
        ("1e999", "99999999999999999999"),
        ("inf", "x"),
    ] {
        let t = telemetry(false);
        let answer = ScriptedResponse::new(200, "application/json")
            .header("x-litellm-response-cost", cost)
            .header("x-litellm-attempted-retries", retries)
            .header("x-litellm-model-id", &"d".repeat(64 * 1024))
            .chunk(&body[..]);
        let (plain, instrumented) = both(&llm, &t, answer).await;
        assert_eq!(plain, Ok((200, body.to_vec())));
        assert_eq!(instrumented, plain);
        let span = t.only_bounded_span().await;
        assert_eq!(span.status, Status::Unset);
        // No price from the header: the cost (if any) is the pricing table's, never NaN or negative.
        if let Some(Value::F64(total)) = attribute(&span, bridge::COST_TOTAL) {
            assert!(total.is_finite() && *total >= 0.0, "{cost}: {total}");
        }
        assert_ne!(
            attribute(&span, bridge::COST_SOURCE)
                .map(|v| v.as_str().into_owned())
                .as_deref(),
            Some("litellm"),
            "{cost}"
        );
        assert!(
            attribute(&span, litellm::ATTEMPTED_RETRIES).is_none(),
            "{retries}"
        );
        assert!(attribute(&span, litellm::MODEL_ID).is_some());
    }
}

#[tokio::test]
async fn a_truncated_stream_reaches_the_caller_as_sent_and_marks_the_span() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let t = telemetry(false);
    let events = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\ndata: {\"id\":\"c\",\"choi";
    let answer = ScriptedResponse::new(200, "text/event-stream").chunk(events);
    let (plain, instrumented) = both(&llm, &t, answer).await;
    assert_eq!(plain, Ok((200, events.as_bytes().to_vec())));
    assert_eq!(instrumented, plain);
    marked_invalid(&t.only_bounded_span().await);
}
