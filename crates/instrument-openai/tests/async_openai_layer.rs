//! The layer with the real async-openai client against a loopback server speaking the
//! OpenAI wire format: spans, byte-identical results, streams, errors.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/support/captured_spans.rs"]
#[allow(dead_code, unreachable_pub)]
mod captured_spans;
#[path = "support/openai_mock.rs"]
mod openai_mock;

use captured_spans::{Telemetry, telemetry};
use std::sync::Arc;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestToolMessage, ChatCompletionRequestUserMessage,
    ChatCompletionStreamOptions, ChatCompletionTool, ChatCompletionTools,
    CreateChatCompletionRequest, CreateChatCompletionRequestArgs, FunctionObject,
};
use async_openai::types::completions::CreateCompletionRequestArgs;
use async_openai::types::embeddings::CreateEmbeddingRequestArgs;
use async_openai::types::responses::CreateResponseArgs;

use futures_util::StreamExt;
use genai_telemetry_core::genai::semconv::{attr, bridge};
use genai_telemetry_openai::OpenAiTelemetryLayer;
use openai_mock::OpenAiMock;
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;

impl Telemetry {
    async fn only_span(&self) -> SpanData {
        let mut spans = self.wait_for_spans(1).await;
        assert_eq!(spans.len(), 1, "{spans:#?}");
        spans.remove(0)
    }
}

fn config(mock: &OpenAiMock) -> OpenAIConfig {
    OpenAIConfig::new()
        .with_api_base(&mock.base_url)
        .with_api_key("sk-test")
}

/// The uninstrumented client (no retries: a 429 must come back at once).
fn plain_client(mock: &OpenAiMock) -> Client<OpenAIConfig> {
    Client::with_config(config(mock)).with_http_service(ReqwestService::new(reqwest::Client::new()))
}

fn instrumented_client(mock: &OpenAiMock, t: &Telemetry) -> Client<OpenAIConfig> {
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(t.instrumentation.clone()))
        .service(ReqwestService::new(reqwest::Client::new()));
    Client::with_config(config(mock)).with_http_service(service)
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

fn chat(model: &str) -> CreateChatCompletionRequest {
    CreateChatCompletionRequestArgs::default()
        .model(model)
        .max_completion_tokens(200u32)
        .temperature(0.5)
        .messages([
            ChatCompletionRequestSystemMessage::from("You are terse.").into(),
            ChatCompletionRequestUserMessage::from("Say hello").into(),
        ])
        .build()
        .unwrap()
}

fn streaming_chat(model: &str) -> CreateChatCompletionRequest {
    let mut request = chat(model);
    request.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: Some(true),
        include_obfuscation: None,
    });
    request
}

#[tokio::test]
async fn a_chat_completion_becomes_a_client_span_with_usage_finish_reason_and_cost() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let response = instrumented_client(&mock, &t)
        .chat()
        .create(chat("gpt-4o-mini"))
        .await
        .unwrap();
    assert_eq!(response.model, "gpt-4o-mini-2024-07-18");

    let span = t.only_span().await;
    assert_eq!(span.name, "chat gpt-4o-mini");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(string(&span, attr::OPERATION_NAME).as_deref(), Some("chat"));
    assert_eq!(
        string(&span, attr::PROVIDER_NAME).as_deref(),
        Some("openai")
    );
    assert_eq!(
        string(&span, attr::SERVER_ADDRESS).as_deref(),
        Some("127.0.0.1")
    );
    assert!(int(&span, attr::SERVER_PORT).is_some());
    assert_eq!(int(&span, attr::REQUEST_MAX_TOKENS), Some(200));
    assert_eq!(
        string(&span, attr::OPENAI_API_TYPE).as_deref(),
        Some("chat_completions")
    );
    assert_eq!(
        string(&span, attr::RESPONSE_ID).as_deref(),
        Some("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
    );
    assert_eq!(
        string(&span, attr::RESPONSE_MODEL).as_deref(),
        Some("gpt-4o-mini-2024-07-18")
    );
    assert_eq!(strings(&span, attr::RESPONSE_FINISH_REASONS), ["stop"]);
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(19));
    assert_eq!(int(&span, attr::USAGE_OUTPUT_TOKENS), Some(10));
    assert_eq!(int(&span, attr::USAGE_CACHE_READ_INPUT_TOKENS), Some(6));
    assert_eq!(int(&span, attr::USAGE_REASONING_OUTPUT_TOKENS), Some(2));
    assert_eq!(
        string(&span, attr::OPENAI_RESPONSE_SYSTEM_FINGERPRINT).as_deref(),
        Some("fp_06737a9306")
    );
    assert_eq!(
        string(&span, attr::OPENAI_RESPONSE_SERVICE_TIER).as_deref(),
        Some("default")
    );
    assert!(matches!(attribute(&span, bridge::COST_TOTAL), Some(Value::F64(c)) if *c > 0.0));
    assert_eq!(span.status, Status::Unset);
}

#[tokio::test]
async fn the_request_carries_a_traceparent_naming_the_llm_span() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    instrumented_client(&mock, &t)
        .chat()
        .create(chat("gpt-4o-mini"))
        .await
        .unwrap();
    let span = t.only_span().await;
    let sent = mock.requests();
    let traceparent = sent[0]
        .headers
        .get("traceparent")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(
        traceparent,
        format!(
            "00-{}-{}-01",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    );
}

/// Runs `scenario` with the plain and the instrumented client and compares what the
/// caller sees, in full.
async fn same_for_caller<F, Fut>(scenario: F)
where
    F: Fn(Client<OpenAIConfig>) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let mock = OpenAiMock::start().await;
    let t = telemetry(true);
    let plain = scenario(plain_client(&mock)).await;
    let instrumented = scenario(instrumented_client(&mock, &t)).await;
    assert_eq!(plain, instrumented);
}

async fn chat_result(client: Client<OpenAIConfig>, model: &str) -> String {
    format!("{:?}", client.chat().create(chat(model)).await)
}

async fn stream_result(client: Client<OpenAIConfig>, model: &str) -> String {
    match client.chat().create_stream(streaming_chat(model)).await {
        Ok(stream) => format!(
            "{:?}",
            stream
                .map(|item| format!("{item:?}"))
                .collect::<Vec<_>>()
                .await
        ),
        Err(e) => format!("{e:?}"),
    }
}

#[tokio::test]
async fn callers_get_byte_identical_results_with_and_without_the_layer() {
    for model in [
        "gpt-4o-mini",
        "tool-caller",
        "rate-limited",
        "server-error",
        "malformed",
    ] {
        same_for_caller(|c| async move { chat_result(c, model).await }).await;
    }
    for model in [
        "gpt-4o-mini",
        "tool-caller",
        "malformed",
        "stream-error",
        "rate-limited",
        "fail-midway",
    ] {
        same_for_caller(|c| async move { stream_result(c, model).await }).await;
    }
    same_for_caller(|c| async move {
        let request = CreateCompletionRequestArgs::default()
            .model("gpt-3.5-turbo-instruct")
            .prompt("Say this is a test")
            .max_tokens(7u32)
            .build()
            .unwrap();
        format!("{:?}", c.completions().create(request).await)
    })
    .await;
    same_for_caller(|c| async move {
        let request = CreateEmbeddingRequestArgs::default()
            .model("text-embedding-3-small")
            .input("The food was delicious")
            .build()
            .unwrap();
        format!("{:?}", c.embeddings().create(request).await)
    })
    .await;
    same_for_caller(|c| async move {
        let request = CreateResponseArgs::default()
            .model("gpt-4.1")
            .input("Tell me a story")
            .build()
            .unwrap();
        format!("{:?}", c.responses().create(request).await)
    })
    .await;
    same_for_caller(|c| async move {
        let request = CreateResponseArgs::default()
            .model("gpt-4.1")
            .input("Tell me a story")
            .build()
            .unwrap();
        match c.responses().create_stream(request).await {
            Ok(s) => format!(
                "{:?}",
                s.map(|i| format!("{i:?}")).collect::<Vec<_>>().await
            ),
            Err(e) => format!("{e:?}"),
        }
    })
    .await;
    same_for_caller(|c| async move { format!("{:?}", c.models().list().await) }).await;
}

#[tokio::test]
async fn a_stream_read_to_the_end_records_usage_from_the_final_chunk_and_time_to_first_chunk() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let stream = instrumented_client(&mock, &t)
        .chat()
        .create_stream(streaming_chat("gpt-4o-mini"))
        .await
        .unwrap();
    let items: Vec<_> = stream.collect().await;
    assert!(items.iter().all(Result::is_ok));

    let span = t.only_span().await;
    assert_eq!(span.name, "chat gpt-4o-mini");
    assert_eq!(
        attribute(&span, attr::REQUEST_STREAM),
        Some(&Value::Bool(true))
    );
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(9));
    assert_eq!(int(&span, attr::USAGE_OUTPUT_TOKENS), Some(2));
    assert_eq!(strings(&span, attr::RESPONSE_FINISH_REASONS), ["stop"]);
    assert_eq!(
        string(&span, attr::RESPONSE_ID).as_deref(),
        Some("chatcmpl-stream1")
    );
    assert!(matches!(
        attribute(&span, attr::RESPONSE_TIME_TO_FIRST_CHUNK),
        Some(Value::F64(s)) if *s >= 0.0
    ));
    assert!(matches!(attribute(&span, bridge::COST_TOTAL), Some(Value::F64(c)) if *c > 0.0));
    assert_eq!(attribute(&span, bridge::STREAM_CANCELLED), None);
}

#[tokio::test]
async fn a_stream_dropped_early_ends_its_span_marked_cancelled() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(true);
    let mut stream = instrumented_client(&mock, &t)
        .chat()
        .create_stream(streaming_chat("never-ends"))
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    stream.next().await.unwrap().unwrap();
    // The server keeps the stream open: the span must still be running.
    assert!(t.spans().is_empty());
    drop(stream);

    let span = t.only_span().await;
    assert_eq!(
        attribute(&span, bridge::STREAM_CANCELLED),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        string(&span, attr::RESPONSE_ID).as_deref(),
        Some("chatcmpl-stream1")
    );
    assert!(attribute(&span, attr::RESPONSE_TIME_TO_FIRST_CHUNK).is_some());
    assert_eq!(span.status, Status::Unset);
    // What had arrived is kept as the (partial) output.
    let output = string(&span, attr::OUTPUT_MESSAGES).unwrap();
    assert!(output.contains("Hel"), "{output}");
}

#[tokio::test]
async fn a_stream_failing_midway_marks_the_span_failed() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let stream = instrumented_client(&mock, &t)
        .chat()
        .create_stream(streaming_chat("fail-midway"))
        .await
        .unwrap();
    let items: Vec<_> = stream.collect().await;
    assert!(items.last().unwrap().is_err(), "{items:?}");

    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("response_body_error")
    );
    assert!(matches!(span.status, Status::Error { .. }));
}

#[tokio::test]
async fn an_error_event_inside_a_stream_sets_error_type_from_its_code() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let stream = instrumented_client(&mock, &t)
        .chat()
        .create_stream(streaming_chat("stream-error"))
        .await
        .unwrap();
    let _: Vec<_> = stream.collect().await;
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("server_error")
    );
    assert_eq!(
        span.status,
        Status::error("The server had an error while processing your request.")
    );
}

#[tokio::test]
async fn an_openai_error_body_becomes_error_type_and_status() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let error = instrumented_client(&mock, &t)
        .chat()
        .create(chat("rate-limited"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Rate limit reached"));
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("rate_limit_exceeded")
    );
    assert!(
        matches!(&span.status, Status::Error { description } if description.contains("Rate limit reached"))
    );
}

#[tokio::test]
async fn a_server_error_without_json_uses_the_status_code_as_error_type() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    instrumented_client(&mock, &t)
        .chat()
        .create(chat("server-error"))
        .await
        .unwrap_err();
    let span = t.only_span().await;
    assert_eq!(string(&span, attr::ERROR_TYPE).as_deref(), Some("500"));
    assert!(matches!(span.status, Status::Error { .. }));
}

#[tokio::test]
async fn a_malformed_body_reaches_the_caller_unchanged_and_marks_the_span() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let error = instrumented_client(&mock, &t)
        .chat()
        .create(chat("malformed"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("failed to deserialize"));
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("invalid_response")
    );
}

#[tokio::test]
async fn a_malformed_stream_event_marks_the_span_and_the_stream_goes_on() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let items: Vec<_> = instrumented_client(&mock, &t)
        .chat()
        .create_stream(streaming_chat("malformed"))
        .await
        .unwrap()
        .collect()
        .await;
    assert!(items[0].is_ok() && items[1].is_err(), "{items:?}");
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("invalid_response")
    );
}

fn weather_tool() -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: "get_weather".to_owned(),
            description: Some("Current weather".to_owned()),
            parameters: Some(serde_json::json!({
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"]
            })),
            strict: None,
        },
    })
}

fn validator(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/../core/tests/schemas/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(name: &str, json: &str) {
    let instance: serde_json::Value = serde_json::from_str(json).unwrap();
    let v = validator(name);
    let errors: Vec<String> = v.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{json}: {errors:?}");
}

#[tokio::test]
async fn tool_calls_are_recorded_as_tool_call_parts_when_content_is_captured() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(true);
    let mut request = chat("tool-caller");
    request.tools = Some(vec![weather_tool()]);
    request.messages.push(ChatCompletionRequestMessage::Tool(
        ChatCompletionRequestToolMessage {
            content: "{\"temperature\": 21}".into(),
            tool_call_id: "call_prev".to_owned(),
        },
    ));
    let client = instrumented_client(&mock, &t);
    client.chat().create(request.clone()).await.unwrap();
    let mut streamed = request;
    streamed.stream = Some(true);
    let _: Vec<_> = client
        .chat()
        .create_stream(streamed)
        .await
        .unwrap()
        .collect()
        .await;

    let spans = t.wait_for_spans(2).await;
    for span in &spans {
        assert_eq!(strings(span, attr::RESPONSE_FINISH_REASONS), ["tool_call"]);
        let output = string(span, attr::OUTPUT_MESSAGES).unwrap();
        assert_valid("gen-ai-output-messages.json", &output);
        let output: serde_json::Value = serde_json::from_str(&output).unwrap();
        let part = &output[0]["parts"][0];
        assert_eq!(part["type"], "tool_call");
        assert_eq!(part["id"], "call_abc");
        assert_eq!(part["name"], "get_weather");
        assert_eq!(part["arguments"]["city"], "Paris");
        assert_eq!(output[0]["finish_reason"], "tool_call");

        let input = string(span, attr::INPUT_MESSAGES).unwrap();
        assert_valid("gen-ai-input-messages.json", &input);
        let input: serde_json::Value = serde_json::from_str(&input).unwrap();
        assert_eq!(input[0]["role"], "system");
        assert_eq!(input[1]["parts"][0]["content"], "Say hello");
        assert_eq!(input[2]["parts"][0]["type"], "tool_call_response");
        assert_eq!(input[2]["parts"][0]["response"]["temperature"], 21);
        let tools = string(span, attr::TOOL_DEFINITIONS).unwrap();
        assert!(tools.contains("get_weather"));
    }
}

#[tokio::test]
async fn completions_embeddings_and_responses_get_their_own_operation_names() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let client = instrumented_client(&mock, &t);
    client
        .completions()
        .create(
            CreateCompletionRequestArgs::default()
                .model("gpt-3.5-turbo-instruct")
                .prompt("Say this is a test")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    client
        .embeddings()
        .create(
            CreateEmbeddingRequestArgs::default()
                .model("text-embedding-3-small")
                .input("The food was delicious")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    client
        .responses()
        .create(
            CreateResponseArgs::default()
                .model("gpt-4.1")
                .input("Tell me a story")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let _: Vec<_> = client
        .responses()
        .create_stream(
            CreateResponseArgs::default()
                .model("gpt-4.1")
                .input("Tell me a story")
                .build()
                .unwrap(),
        )
        .await
        .unwrap()
        .collect()
        .await;

    let spans = t.wait_for_spans(4).await;
    let by_name = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name}: {spans:#?}"))
    };
    let completion = by_name("text_completion gpt-3.5-turbo-instruct");
    assert_eq!(int(completion, attr::USAGE_OUTPUT_TOKENS), Some(7));
    assert_eq!(
        strings(completion, attr::RESPONSE_FINISH_REASONS),
        ["length"]
    );

    let embeddings = by_name("embeddings text-embedding-3-small");
    assert_eq!(int(embeddings, attr::USAGE_INPUT_TOKENS), Some(8));
    assert_eq!(attribute(embeddings, attr::USAGE_OUTPUT_TOKENS), None);
    assert!(matches!(
        attribute(embeddings, bridge::COST_TOTAL),
        Some(Value::F64(_))
    ));

    let responses: Vec<_> = spans.iter().filter(|s| s.name == "chat gpt-4.1").collect();
    assert_eq!(responses.len(), 2);
    for r in responses {
        assert_eq!(
            string(r, attr::OPENAI_API_TYPE).as_deref(),
            Some("responses")
        );
        assert_eq!(
            string(r, attr::RESPONSE_ID).as_deref(),
            Some("resp_67ccd2bed1ec8190b14f964abc054267")
        );
        assert_eq!(int(r, attr::USAGE_INPUT_TOKENS), Some(36));
        assert_eq!(int(r, attr::USAGE_OUTPUT_TOKENS), Some(87));
        assert_eq!(strings(r, attr::RESPONSE_FINISH_REASONS), ["stop"]);
    }
}

#[tokio::test]
async fn requests_that_are_not_llm_calls_pass_through_without_a_span() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    instrumented_client(&mock, &t)
        .models()
        .list()
        .await
        .unwrap();
    assert!(t.spans().is_empty());
    assert!(
        mock.requests().is_empty(),
        "GET /models is not recorded by the mock"
    );
}

#[tokio::test]
async fn a_connection_failure_is_returned_unchanged_and_recorded() {
    // A port that was just closed: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let t = telemetry(false);
    let config = OpenAIConfig::new()
        .with_api_base(format!("http://{closed}/v1"))
        .with_api_key("sk-test");
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(t.instrumentation.clone()))
        .service(ReqwestService::new(reqwest::Client::new()));
    let instrumented = Client::with_config(config.clone()).with_http_service(service);
    let plain =
        Client::with_config(config).with_http_service(ReqwestService::new(reqwest::Client::new()));
    let a = format!("{:?}", plain.chat().create(chat("gpt-4o-mini")).await);
    let b = format!(
        "{:?}",
        instrumented.chat().create(chat("gpt-4o-mini")).await
    );
    assert_eq!(a, b);
    let span = t.only_span().await;
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("connection_error")
    );
}

#[tokio::test]
async fn llm_spans_nest_under_agent_and_tool_spans_across_await_and_spawn() {
    let mock = OpenAiMock::start().await;
    let t = telemetry(false);
    let client = Arc::new(instrumented_client(&mock, &t));
    let i = t.instrumentation.clone();
    i.workflow("trip")
        .run(async {
            i.agent("planner")
                .run(async {
                    client.chat().create(chat("gpt-4o-mini")).await.unwrap();
                    let c = Arc::clone(&client);
                    genai_telemetry_core::genai::spawn_in_current_context(async move {
                        c.chat().create(chat("gpt-4o-mini")).await.unwrap();
                    })
                    .await
                    .unwrap();
                })
                .await;
        })
        .await;
    let spans = t.wait_for_spans(4).await;
    let find = |name: &str| spans.iter().find(|s| s.name == name).unwrap();
    let workflow = find("invoke_workflow trip");
    let agent = find("invoke_agent planner");
    assert_eq!(agent.parent_span_id, workflow.span_context.span_id());
    let llm: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "chat gpt-4o-mini")
        .collect();
    assert_eq!(llm.len(), 2);
    for s in llm {
        assert_eq!(s.parent_span_id, agent.span_context.span_id());
        assert_eq!(s.span_context.trace_id(), workflow.span_context.trace_id());
        assert_eq!(string(s, bridge::WORKFLOW_NAME).as_deref(), Some("trip"));
    }
}
