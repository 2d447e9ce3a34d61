//! The LiteLLM tower layer, middleware and async-openai layer against a loopback server
//! speaking the OpenAI wire format with LiteLLM's response headers.

#![allow(clippy::unwrap_used)]

#[path = "../../instrument-openai/tests/support/openai_mock.rs"]
mod openai_mock;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::semconv::{attr, bridge, litellm};
use genai_telemetry_litellm::{LiteLlmTelemetryLayer, LiteLlmTelemetryMiddleware};
use openai_mock::OpenAiMock;
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tower::{Service, ServiceExt};

const LITELLM_HEADERS: &[(&str, &str)] = &[
    ("x-litellm-call-id", "2b9f1c3a-call"),
    ("x-litellm-model-id", "deployment-7"),
    ("x-litellm-model-group", "fake-gpt"),
    ("x-litellm-model-api-base", "https://api.openai.com"),
    ("x-litellm-attempted-retries", "1"),
    ("x-litellm-attempted-fallbacks", "0"),
    ("x-litellm-response-cost", "0.000123"),
];

struct Telemetry {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    instrumentation: GenAiInstrumentation,
}

fn telemetry() -> Telemetry {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&provider)
        .without_metrics()
        .build();
    Telemetry {
        exporter,
        provider,
        instrumentation,
    }
}

impl Telemetry {
    async fn wait_for_spans(&self, n: usize) -> Vec<SpanData> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.provider.force_flush().unwrap();
            let spans = self.exporter.get_finished_spans().unwrap();
            if spans.len() >= n {
                return spans;
            }
            assert!(Instant::now() < deadline, "only {} spans", spans.len());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
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

fn chat_body(model: &str, stream: bool) -> String {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hi"}],
        "stream": stream,
        "stream_options": if stream { serde_json::json!({"include_usage": true}) } else { serde_json::Value::Null },
    })
    .to_string()
}

fn request(base: &str, path: &str, body: String) -> reqwest::Request {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth("sk-test-master")
        .header("content-type", "application/json")
        .body(body)
        .build()
        .unwrap()
}

fn assert_litellm_span(span: &SpanData) {
    assert_eq!(span.name, "chat fake-gpt");
    assert_eq!(
        string(span, attr::PROVIDER_NAME).as_deref(),
        Some("litellm")
    );
    assert_eq!(
        string(span, litellm::MODEL_ID).as_deref(),
        Some("deployment-7")
    );
    assert_eq!(
        string(span, litellm::MODEL_GROUP).as_deref(),
        Some("fake-gpt")
    );
    assert_eq!(
        string(span, litellm::CALL_ID).as_deref(),
        Some("2b9f1c3a-call")
    );
    assert_eq!(
        attribute(span, litellm::ATTEMPTED_RETRIES),
        Some(&Value::I64(1))
    );
    assert_eq!(
        attribute(span, litellm::ATTEMPTED_FALLBACKS),
        Some(&Value::I64(0))
    );
    assert_eq!(
        attribute(span, bridge::COST_TOTAL),
        Some(&Value::F64(0.000123))
    );
    assert_eq!(
        string(span, bridge::COST_SOURCE).as_deref(),
        Some("litellm")
    );
    assert_eq!(
        attribute(span, attr::USAGE_INPUT_TOKENS),
        Some(&Value::I64(19))
    );
}

#[tokio::test]
async fn the_tower_layer_records_litellm_routing_headers_and_takes_the_proxy_cost() {
    let mock = OpenAiMock::start_with_headers(LITELLM_HEADERS.to_vec()).await;
    let t = telemetry();
    let mut service = tower::ServiceBuilder::new()
        .layer(LiteLlmTelemetryLayer::new(t.instrumentation.clone()))
        .service(reqwest::Client::new());
    let response = service
        .ready()
        .await
        .unwrap()
        .call(request(
            &mock.base_url,
            "/chat/completions",
            chat_body("fake-gpt", false),
        ))
        .await
        .unwrap();
    let body = response.bytes().await.unwrap();
    assert_eq!(body.as_ref(), openai_mock::CHAT_COMPLETION.as_bytes());
    let spans = t.wait_for_spans(1).await;
    assert_litellm_span(&spans[0]);
    let sent = mock.requests();
    assert!(sent[0].headers.contains_key("traceparent"));
}

#[tokio::test]
async fn the_middleware_records_the_same_and_leaves_the_response_untouched() {
    let mock = OpenAiMock::start_with_headers(LITELLM_HEADERS.to_vec()).await;
    let t = telemetry();
    let instrumented = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(LiteLlmTelemetryMiddleware::new(t.instrumentation.clone()))
        .build();
    let plain = reqwest::Client::new();
    let send = |c: reqwest::RequestBuilder| async move {
        let r = c
            .bearer_auth("sk-test-master")
            .header("content-type", "application/json")
            .body(chat_body("fake-gpt", false))
            .send()
            .await
            .unwrap();
        (r.status(), r.headers().clone(), r.bytes().await.unwrap())
    };
    let url = format!("{}/chat/completions", mock.base_url);
    let (status_a, headers_a, body_a) = send(plain.post(&url)).await;
    let r = instrumented
        .post(&url)
        .bearer_auth("sk-test-master")
        .header("content-type", "application/json")
        .body(chat_body("fake-gpt", false))
        .send()
        .await
        .unwrap();
    let (status_b, headers_b, body_b) = (r.status(), r.headers().clone(), r.bytes().await.unwrap());
    assert_eq!(status_a, status_b);
    assert_eq!(body_a, body_b);
    assert_eq!(
        headers_a.get("x-litellm-response-cost"),
        headers_b.get("x-litellm-response-cost")
    );
    let spans = t.wait_for_spans(1).await;
    assert_litellm_span(&spans[0]);

    // Not an LLM call: no span.
    instrumented
        .get(format!("{}/models", mock.base_url))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(t.wait_for_spans(1).await.len(), 1);
}

#[tokio::test]
async fn a_streamed_call_takes_its_cost_from_the_usage_of_the_last_chunk() {
    // LiteLLM cannot price a stream in its headers; it adds `cost` to the final usage.
    let mock = OpenAiMock::start().await;
    let t = telemetry();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(LiteLlmTelemetryMiddleware::new(t.instrumentation.clone()))
        .build();
    let response = client
        .post(format!("{}/chat/completions", mock.base_url))
        .body(chat_body("litellm-stream", true))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        chunk.unwrap();
    }
    let spans = t.wait_for_spans(1).await;
    let span = &spans[0];
    assert_eq!(
        attribute(span, bridge::COST_TOTAL),
        Some(&Value::F64(6.15e-06))
    );
    assert_eq!(
        string(span, bridge::COST_SOURCE).as_deref(),
        Some("litellm")
    );
    assert_eq!(
        attribute(span, attr::USAGE_OUTPUT_TOKENS),
        Some(&Value::I64(2))
    );
    assert!(attribute(span, attr::RESPONSE_TIME_TO_FIRST_CHUNK).is_some());
}

#[tokio::test]
async fn a_transport_error_is_returned_unchanged_and_recorded() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let t = telemetry();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(LiteLlmTelemetryMiddleware::new(t.instrumentation.clone()))
        .build();
    let error = client
        .post(format!("http://{closed}/v1/chat/completions"))
        .body(chat_body("fake-gpt", false))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error}");
    let spans = t.wait_for_spans(1).await;
    assert_eq!(
        string(&spans[0], attr::ERROR_TYPE).as_deref(),
        Some("connection_error")
    );
}

#[cfg(feature = "async-openai")]
#[tokio::test]
async fn async_openai_pointed_at_litellm_records_the_litellm_headers() {
    use async_openai::Client;
    use async_openai::config::OpenAIConfig;
    use async_openai::middleware::ReqwestService;
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs,
    };

    let mock = OpenAiMock::start_with_headers(LITELLM_HEADERS.to_vec()).await;
    let t = telemetry();
    let service = tower::ServiceBuilder::new()
        .layer(genai_telemetry_litellm::async_openai::layer(
            t.instrumentation.clone(),
        ))
        .service(ReqwestService::new(reqwest::Client::new()));
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(&mock.base_url)
            .with_api_key("sk-test-master"),
    )
    .with_http_service(service);
    client
        .chat()
        .create(
            CreateChatCompletionRequestArgs::default()
                .model("fake-gpt")
                .messages([ChatCompletionRequestUserMessage::from("Say hi").into()])
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let spans = t.wait_for_spans(1).await;
    assert_litellm_span(&spans[0]);
}
