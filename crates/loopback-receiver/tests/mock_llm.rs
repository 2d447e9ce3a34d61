//! The mock LLM over real HTTP: the OpenAI-compatible and Bedrock shapes the instrumented
//! clients parse, streaming, the configurable delay and extra headers.

#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};
use serde_json::{Value, json};

async fn post(url: String, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn chat_completions_answer_with_the_requested_model_and_usage_that_grows_with_the_prompt() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let ask = |text: &str| json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]});
    let short: Value = post(
        format!("{}/chat/completions", llm.openai_base_url()),
        ask("Hi"),
    )
    .await
    .text()
    .await
    .map(|t| serde_json::from_str::<Value>(&t).unwrap())
    .unwrap();
    let long: Value = post(
        format!("{}/chat/completions", llm.openai_base_url()),
        ask(&"a much longer prompt ".repeat(20)),
    )
    .await
    .text()
    .await
    .map(|t| serde_json::from_str::<Value>(&t).unwrap())
    .unwrap();
    assert_eq!(short["object"], "chat.completion");
    assert_eq!(short["model"], "gpt-4o-mini");
    assert_eq!(short["choices"][0]["finish_reason"], "stop");
    assert!(
        short["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("Paris")
    );
    assert_ne!(short["id"], long["id"], "every answer has its own id");
    let tokens = |v: &Value| v["usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(tokens(&long) > tokens(&short));
    assert_eq!(
        short["usage"]["total_tokens"].as_u64().unwrap(),
        tokens(&short) + short["usage"]["completion_tokens"].as_u64().unwrap()
    );
    assert_eq!(llm.requests(), 2);
}

#[tokio::test]
async fn streaming_sends_server_sent_events_ending_with_usage_and_done() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let response = post(
        format!("{}/chat/completions", llm.openai_base_url()),
        json!({"model": "gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "Capital of France?"}]}),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").unwrap())
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "Paris is the capital of France.");
    let usage = &chunks.last().unwrap()["usage"];
    assert!(usage["completion_tokens"].as_u64().unwrap() > 0);
    assert_eq!(chunks.last().unwrap()["choices"], json!([]));
}

#[tokio::test]
async fn bedrock_converse_and_invoke_answer_in_the_runtime_shapes() {
    let llm = MockLlm::start(MockLlmConfig::new()).unwrap();
    let converse: Value = post(
        format!("{}/model/amazon.nova-lite-v1%3A0/converse", llm.endpoint()),
        json!({"messages": [{"role": "user", "content": [{"text": "Capital of France?"}]}]}),
    )
    .await
    .text()
    .await
    .map(|t| serde_json::from_str::<Value>(&t).unwrap())
    .unwrap();
    assert_eq!(converse["stopReason"], "end_turn");
    assert_eq!(converse["output"]["message"]["role"], "assistant");
    assert!(converse["usage"]["inputTokens"].as_u64().unwrap() > 0);

    let invoke = post(
        format!(
            "{}/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
            llm.endpoint()
        ),
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
               "messages": [{"role": "user", "content": "Capital of France?"}]}),
    )
    .await;
    assert!(
        invoke
            .headers()
            .contains_key("x-amzn-bedrock-input-token-count")
    );
    let body: Value = serde_json::from_str(&invoke.text().await.unwrap()).unwrap();
    assert_eq!(body["type"], "message");
    assert_eq!(body["stop_reason"], "end_turn");

    let unknown = post(
        format!("{}/model/vendor.unknown-model/invoke", llm.endpoint()),
        json!({"prompt": "hi"}),
    )
    .await;
    assert_eq!(unknown.status(), 400);
    assert!(
        unknown.headers()["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("ValidationException")
    );
}

#[tokio::test]
async fn the_delay_holds_every_answer_back_and_headers_are_added() {
    let llm = MockLlm::start(
        MockLlmConfig::new()
            .delay(Duration::from_millis(150))
            .response_header("x-litellm-model-id", "model-123"),
    )
    .unwrap();
    let body = json!({"model": "m", "messages": []});
    let started = Instant::now();
    let response = post(
        format!("{}/chat/completions", llm.openai_base_url()),
        body.clone(),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(response.headers()["x-litellm-model-id"], "model-123");

    llm.set_delay(Duration::ZERO);
    let bad = post(
        format!("{}/chat/completions", llm.openai_base_url()),
        json!({"messages": []}),
    )
    .await;
    assert_eq!(
        bad.status(),
        400,
        "a request without a model is refused as OpenAI does"
    );
}
