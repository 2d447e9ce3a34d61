//! The GenAI call recorder, seen from the spans and metrics it produces.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use genai_telemetry_core::genai::semconv::{attr, bridge, metric, operation, provider};
use genai_telemetry_core::genai::{
    GenAiInstrumentation, GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage,
    RequestParameters, TokenUsage,
};
use opentelemetry::trace::{Link, SpanKind, Status, TraceId, TraceState};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample,
    SpanData,
};

struct Harness {
    spans: InMemorySpanExporter,
    tracer_provider: SdkTracerProvider,
    metrics: InMemoryMetricExporter,
    meter_provider: SdkMeterProvider,
    instrumentation: GenAiInstrumentation,
}

impl Harness {
    fn new(capture: bool) -> Self {
        Self::with_sampler(capture, None)
    }

    fn with_sampler(capture: bool, sampler: Option<RecordingSampler>) -> Self {
        let spans = InMemorySpanExporter::default();
        let mut builder = SdkTracerProvider::builder().with_simple_exporter(spans.clone());
        if let Some(s) = sampler {
            builder = builder.with_sampler(s);
        }
        let tracer_provider = builder.build();
        let metrics = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        let instrumentation = GenAiInstrumentation::builder()
            .tracer_provider(&tracer_provider)
            .meter_provider(&meter_provider)
            .capture_content(capture)
            .build();
        Self {
            spans,
            tracer_provider,
            metrics,
            meter_provider,
            instrumentation,
        }
    }

    fn spans(&self) -> Vec<SpanData> {
        self.tracer_provider.force_flush().unwrap();
        self.spans.get_finished_spans().unwrap()
    }

    fn only_span(&self) -> SpanData {
        let mut spans = self.spans();
        assert_eq!(spans.len(), 1, "{spans:#?}");
        spans.remove(0)
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

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key) {
        Some(Value::I64(i)) => Some(*i),
        _ => None,
    }
}

fn double(span: &SpanData, key: &str) -> Option<f64> {
    match attribute(span, key) {
        Some(Value::F64(f)) => Some(*f),
        _ => None,
    }
}

fn chat_request(model: &str) -> GenAiRequest {
    let mut request = GenAiRequest::new(operation::CHAT, provider::OPENAI)
        .model(model)
        .server("api.openai.com", Some(443));
    request.parameters = RequestParameters {
        max_tokens: Some(200),
        temperature: Some(0.2),
        top_p: Some(1.0),
        stop_sequences: vec!["END".to_owned()],
        ..RequestParameters::default()
    };
    request
}

fn usage(input: u64, output: u64) -> TokenUsage {
    TokenUsage {
        input_tokens: Some(input),
        output_tokens: Some(output),
        ..TokenUsage::default()
    }
}

#[test]
fn a_chat_call_becomes_one_client_span_named_after_operation_and_model() {
    let h = Harness::new(false);
    let mut call = h.instrumentation.start_call(chat_request("gpt-4o"));
    call.record_response(GenAiResponse {
        id: Some("chatcmpl-123".to_owned()),
        model: Some("gpt-4o-2024-08-06".to_owned()),
        finish_reasons: vec!["tool_calls".to_owned()],
        usage: TokenUsage {
            input_tokens: Some(52),
            output_tokens: Some(47),
            cache_read_input_tokens: Some(10),
            cache_creation_input_tokens: None,
            reasoning_output_tokens: Some(5),
        },
        ..GenAiResponse::default()
    });
    call.end();

    let span = h.only_span();
    assert_eq!(span.name, "chat gpt-4o");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(span.instrumentation_scope.name(), "genai-telemetry");
    assert_eq!(string(&span, attr::OPERATION_NAME).as_deref(), Some("chat"));
    assert_eq!(
        string(&span, attr::PROVIDER_NAME).as_deref(),
        Some("openai")
    );
    assert_eq!(
        string(&span, attr::REQUEST_MODEL).as_deref(),
        Some("gpt-4o")
    );
    assert_eq!(
        string(&span, attr::SERVER_ADDRESS).as_deref(),
        Some("api.openai.com")
    );
    assert_eq!(int(&span, attr::SERVER_PORT), Some(443));
    assert_eq!(int(&span, attr::REQUEST_MAX_TOKENS), Some(200));
    assert_eq!(double(&span, attr::REQUEST_TEMPERATURE), Some(0.2));
    assert_eq!(
        string(&span, attr::RESPONSE_ID).as_deref(),
        Some("chatcmpl-123")
    );
    assert_eq!(
        string(&span, attr::RESPONSE_MODEL).as_deref(),
        Some("gpt-4o-2024-08-06")
    );
    assert_eq!(
        attribute(&span, attr::RESPONSE_FINISH_REASONS),
        Some(&Value::Array(opentelemetry::Array::String(vec![
            "tool_call".into()
        ])))
    );
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(52));
    assert_eq!(int(&span, attr::USAGE_OUTPUT_TOKENS), Some(47));
    assert_eq!(int(&span, attr::USAGE_CACHE_READ_INPUT_TOKENS), Some(10));
    assert_eq!(int(&span, attr::USAGE_REASONING_OUTPUT_TOKENS), Some(5));
    assert_eq!(attribute(&span, attr::REQUEST_STREAM), None);
    assert_eq!(attribute(&span, attr::RESPONSE_TIME_TO_FIRST_CHUNK), None);
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn cost_is_the_total_plus_its_parts_from_the_bundled_prices() {
    let h = Harness::new(false);
    let mut call = h.instrumentation.start_call(chat_request("gpt-4o"));
    call.record_response(GenAiResponse {
        usage: TokenUsage {
            input_tokens: Some(1_000_000),
            output_tokens: Some(100_000),
            cache_read_input_tokens: Some(200_000),
            ..TokenUsage::default()
        },
        ..GenAiResponse::default()
    });
    call.end();
    let span = h.only_span();
    // gpt-4o: 2.5 input, 1.25 cached input, 10 output per 1M tokens.
    let total = double(&span, bridge::COST_TOTAL).unwrap();
    assert!((total - (0.8 * 2.5 + 0.2 * 1.25 + 0.1 * 10.0)).abs() < 1e-9);
    assert!((double(&span, bridge::COST_INPUT).unwrap() - 2.0).abs() < 1e-9);
    assert!((double(&span, bridge::COST_CACHE_READ).unwrap() - 0.25).abs() < 1e-9);
    assert!((double(&span, bridge::COST_OUTPUT).unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(
        string(&span, bridge::COST_SOURCE).as_deref(),
        Some("pricing_table")
    );
    assert_eq!(
        string(&span, bridge::PRICING_MODEL).as_deref(),
        Some("gpt-4o")
    );
}

#[test]
fn an_unknown_model_gets_no_cost_attribute_at_all() {
    let h = Harness::new(false);
    let mut call = h
        .instrumentation
        .start_call(chat_request("acme-private-llm"));
    call.record_response(GenAiResponse {
        usage: usage(10, 10),
        ..GenAiResponse::default()
    });
    call.end();
    let span = h.only_span();
    assert_eq!(attribute(&span, bridge::COST_TOTAL), None);
    assert_eq!(attribute(&span, bridge::COST_INPUT), None);
    assert_eq!(int(&span, attr::USAGE_INPUT_TOKENS), Some(10));
}

#[test]
fn a_failed_call_carries_error_type_and_error_status() {
    let h = Harness::new(false);
    let mut call = h.instrumentation.start_call(chat_request("gpt-4o"));
    call.record_error("rate_limit_exceeded", "Rate limit reached");
    call.end();
    let span = h.only_span();
    assert_eq!(
        string(&span, attr::ERROR_TYPE).as_deref(),
        Some("rate_limit_exceeded")
    );
    assert_eq!(span.status, Status::error("Rate limit reached"));
}

#[test]
fn time_to_first_chunk_is_recorded_for_streams() {
    let h = Harness::new(false);
    let mut request = chat_request("gpt-4o");
    request.stream = true;
    let mut call = h.instrumentation.start_call(request);
    call.record_first_chunk();
    let first = call.time_to_first_chunk().unwrap();
    call.record_first_chunk(); // only the first one counts
    assert_eq!(call.time_to_first_chunk(), Some(first));
    call.end();
    let span = h.only_span();
    assert_eq!(
        attribute(&span, attr::REQUEST_STREAM),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        double(&span, attr::RESPONSE_TIME_TO_FIRST_CHUNK),
        Some(first.as_secs_f64())
    );
}

#[test]
fn a_call_dropped_before_its_end_is_ended_and_marked_cancelled() {
    let h = Harness::new(false);
    let mut call = h.instrumentation.start_call(chat_request("gpt-4o"));
    call.record_response(GenAiResponse {
        id: Some("partial".to_owned()),
        ..GenAiResponse::default()
    });
    drop(call);
    let span = h.only_span();
    assert_eq!(
        attribute(&span, bridge::STREAM_CANCELLED),
        Some(&Value::Bool(true))
    );
    assert_eq!(string(&span, attr::RESPONSE_ID).as_deref(), Some("partial"));
    assert_eq!(span.status, Status::Unset);
}

fn content_request() -> GenAiRequest {
    let mut request = chat_request("gpt-4o");
    request.system_instructions = vec![MessagePart::text("You are terse.")];
    request.input_messages = vec![
        InputMessage::new("system", vec![MessagePart::text("Be brief.")]),
        InputMessage::new(
            "user",
            vec![
                MessagePart::text("What is in this picture?"),
                MessagePart::Uri {
                    mime_type: Some("image/png".to_owned()),
                    modality: "image".to_owned(),
                    uri: "https://example.com/cat.png".to_owned(),
                },
                MessagePart::Blob {
                    mime_type: Some("audio/wav".to_owned()),
                    modality: "audio".to_owned(),
                    content: "UklGRg==".to_owned(),
                },
            ],
        ),
        InputMessage::new(
            "assistant",
            vec![MessagePart::ToolCall {
                id: Some("call_1".to_owned()),
                name: "get_weather".to_owned(),
                arguments: Some(serde_json::json!({"city": "Paris"})),
            }],
        ),
        InputMessage::new(
            "tool",
            vec![MessagePart::ToolCallResponse {
                id: Some("call_1".to_owned()),
                response: serde_json::json!("rainy, 57°F"),
            }],
        ),
    ];
    request
}

fn content_response() -> GenAiResponse {
    GenAiResponse {
        finish_reasons: vec!["stop".to_owned()],
        output_messages: vec![OutputMessage::assistant(
            vec![
                MessagePart::Reasoning {
                    content: "The user wants a description.".to_owned(),
                },
                MessagePart::text("A cat."),
            ],
            "stop",
        )],
        ..GenAiResponse::default()
    }
}

#[test]
fn content_is_not_recorded_unless_capture_is_turned_on() {
    let h = Harness::new(false);
    let mut call = h.instrumentation.start_call(content_request());
    call.record_response(content_response());
    call.end();
    let span = h.only_span();
    for key in [
        attr::SYSTEM_INSTRUCTIONS,
        attr::INPUT_MESSAGES,
        attr::OUTPUT_MESSAGES,
    ] {
        assert_eq!(attribute(&span, key), None, "{key} recorded without opt-in");
    }
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/tests/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, json: &str) {
    let instance: serde_json::Value = serde_json::from_str(json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{json}\n{errors:#?}");
}

#[test]
fn captured_content_is_json_that_validates_against_the_semconv_schemas() {
    let h = Harness::new(true);
    let mut call = h.instrumentation.start_call(content_request());
    call.record_response(content_response());
    call.end();
    let span = h.only_span();

    let system = string(&span, attr::SYSTEM_INSTRUCTIONS).unwrap();
    let input = string(&span, attr::INPUT_MESSAGES).unwrap();
    let output = string(&span, attr::OUTPUT_MESSAGES).unwrap();
    assert_valid(&schema("gen-ai-system-instructions.json"), &system);
    assert_valid(&schema("gen-ai-input-messages.json"), &input);
    assert_valid(&schema("gen-ai-output-messages.json"), &output);

    let input: serde_json::Value = serde_json::from_str(&input).unwrap();
    assert_eq!(input[3]["parts"][0]["type"], "tool_call_response");
    assert_eq!(input[3]["parts"][0]["response"], "rainy, 57°F");
    assert_eq!(input[2]["parts"][0]["arguments"]["city"], "Paris");
    let output: serde_json::Value = serde_json::from_str(&output).unwrap();
    assert_eq!(output[0]["finish_reason"], "stop");
    assert_eq!(output[0]["parts"][1]["content"], "A cat.");
}

#[test]
fn metrics_use_the_semconv_names_units_and_bucket_boundaries() {
    let h = Harness::new(false);
    let mut request = chat_request("gpt-4o");
    request.stream = true;
    let mut call = h.instrumentation.start_call(request);
    call.record_first_chunk();
    call.record_response(GenAiResponse {
        model: Some("gpt-4o-2024-08-06".to_owned()),
        usage: usage(12, 30),
        ..GenAiResponse::default()
    });
    call.end();
    let mut failing = h.instrumentation.start_call(chat_request("gpt-4o"));
    failing.record_error("timeout", "timed out");
    failing.end();

    h.meter_provider.force_flush().unwrap();
    let exported = h.metrics.get_finished_metrics().unwrap();
    let metrics: Vec<_> = exported
        .iter()
        .flat_map(|rm| rm.scope_metrics())
        .flat_map(|sm| sm.metrics())
        .collect();

    let find = |name: &str| {
        *metrics
            .iter()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let tokens = find(metric::CLIENT_TOKEN_USAGE);
    assert_eq!(tokens.unit(), "{token}");
    let AggregatedMetrics::U64(MetricData::Histogram(hist)) = tokens.data() else {
        panic!("token usage is not a u64 histogram");
    };
    let points: Vec<_> = hist.data_points().collect();
    assert_eq!(points.len(), 2, "one point per token type");
    for p in &points {
        assert_eq!(
            p.bounds().collect::<Vec<_>>(),
            metric::TOKEN_USAGE_BOUNDARIES.to_vec()
        );
        let attrs: Vec<&KeyValue> = p.attributes().collect();
        assert!(attrs.iter().any(|kv| kv.key.as_str() == attr::TOKEN_TYPE));
        assert!(
            attrs
                .iter()
                .any(|kv| kv.key.as_str() == attr::RESPONSE_MODEL)
        );
        assert!(
            attrs
                .iter()
                .any(|kv| kv.key.as_str() == attr::OPERATION_NAME)
        );
        assert!(
            attrs
                .iter()
                .any(|kv| kv.key.as_str() == attr::PROVIDER_NAME)
        );
    }

    let duration = find(metric::CLIENT_OPERATION_DURATION);
    assert_eq!(duration.unit(), "s");
    let AggregatedMetrics::F64(MetricData::Histogram(hist)) = duration.data() else {
        panic!("duration is not an f64 histogram");
    };
    let points: Vec<_> = hist.data_points().collect();
    assert_eq!(points.len(), 2, "ok and error calls are separate series");
    assert!(points.iter().any(|p| {
        p.attributes()
            .any(|kv| kv.key.as_str() == attr::ERROR_TYPE && kv.value.as_str() == "timeout")
    }));
    assert_eq!(
        points[0].bounds().collect::<Vec<_>>(),
        metric::DURATION_BOUNDARIES.to_vec()
    );

    let ttfc = find(metric::CLIENT_TIME_TO_FIRST_CHUNK);
    let AggregatedMetrics::F64(MetricData::Histogram(hist)) = ttfc.data() else {
        panic!("time to first chunk is not an f64 histogram");
    };
    assert_eq!(
        hist.data_points().map(|p| p.count()).sum::<u64>(),
        1,
        "only the stream"
    );
}

/// Records the attributes the sampler was given at span creation.
#[derive(Debug, Clone, Default)]
struct RecordingSampler(Arc<Mutex<Vec<Vec<KeyValue>>>>);

impl ShouldSample for RecordingSampler {
    fn should_sample(
        &self,
        _parent: Option<&Context>,
        _trace_id: TraceId,
        _name: &str,
        _kind: &SpanKind,
        attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        self.0.lock().unwrap().push(attributes.to_vec());
        SamplingResult {
            decision: SamplingDecision::RecordAndSample,
            attributes: Vec::new(),
            trace_state: TraceState::default(),
        }
    }
}

#[test]
fn samplers_see_operation_provider_model_and_server_when_the_span_starts() {
    let sampler = RecordingSampler::default();
    let h = Harness::with_sampler(false, Some(sampler.clone()));
    h.instrumentation.start_call(chat_request("gpt-4o")).end();
    let seen = sampler.0.lock().unwrap().clone();
    let keys: Vec<&str> = seen[0].iter().map(|kv| kv.key.as_str()).collect();
    for key in [
        attr::OPERATION_NAME,
        attr::PROVIDER_NAME,
        attr::REQUEST_MODEL,
        attr::SERVER_ADDRESS,
        attr::SERVER_PORT,
    ] {
        assert!(keys.contains(&key), "{key} missing at start: {keys:?}");
    }
}

#[test]
fn traceparent_carries_the_llm_span_ids() {
    let h = Harness::new(false);
    let call = h.instrumentation.start_call(chat_request("gpt-4o"));
    let mut headers = http::HeaderMap::new();
    call.inject_traceparent(&mut headers);
    let sc = call.span_context().unwrap().clone();
    call.end();
    assert_eq!(
        headers.get("traceparent").unwrap().to_str().unwrap(),
        format!("00-{}-{}-01", sc.trace_id(), sc.span_id())
    );
}

#[tokio::test]
async fn a_failing_tool_span_records_the_error_and_nests_the_llm_call_made_inside_it() {
    let h = Harness::new(false);
    let i = h.instrumentation.clone();
    let result: Result<(), std::io::Error> = i
        .tool("get_weather")
        .call_id("call_1")
        .run_fallible(async {
            tokio::task::yield_now().await;
            i.start_call(chat_request("gpt-4o")).end();
            Err(std::io::Error::other("weather service down"))
        })
        .await;
    assert!(result.is_err());
    let spans = h.spans();
    let tool = spans
        .iter()
        .find(|s| s.name == "execute_tool get_weather")
        .unwrap();
    let llm = spans.iter().find(|s| s.name == "chat gpt-4o").unwrap();
    assert_eq!(llm.parent_span_id, tool.span_context.span_id());
    assert_eq!(tool.span_kind, SpanKind::Internal);
    assert_eq!(
        string(tool, attr::TOOL_NAME).as_deref(),
        Some("get_weather")
    );
    assert_eq!(string(tool, attr::TOOL_CALL_ID).as_deref(), Some("call_1"));
    assert_eq!(
        string(tool, attr::OPERATION_NAME).as_deref(),
        Some("execute_tool")
    );
    assert_eq!(string(tool, attr::ERROR_TYPE).as_deref(), Some("Error"));
    assert_eq!(tool.status, Status::error("weather service down"));
}
