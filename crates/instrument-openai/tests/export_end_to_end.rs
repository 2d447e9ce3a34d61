//! From the async-openai client to a real OTLP/HTTP receiver through the bridge's export
//! pipeline: the exported spans carry the GenAI attributes, tokens and cost.

#![allow(clippy::unwrap_used)]

#[path = "support/openai_mock.rs"]
mod openai_mock;

use std::sync::Arc;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequestArgs,
};
use futures_util::StreamExt;
use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::{BridgeConfig, Destination, OtlpDestination, Pipeline};
use genai_telemetry_openai::OpenAiTelemetryLayer;
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use openai_mock::OpenAiMock;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_llm_spans_reach_an_otlp_receiver_with_tokens_and_cost() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new().name("otlp")).unwrap();
    let config = BridgeConfig::builder()
        .otlp_traces_endpoint(receiver.traces_url())
        .build()
        .unwrap();
    let settings = config.pipeline.clone();
    let destination: Arc<dyn Destination> = Arc::new(
        OtlpDestination::new(config.otlp.as_ref().unwrap(), settings.export_timeout).unwrap(),
    );
    let resource = Resource::builder().with_service_name("openai-e2e").build();
    let pipeline = Pipeline::start(vec![destination], settings, &resource).unwrap();
    let provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_span_processor(pipeline.processor())
        .build();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&provider)
        .without_metrics()
        .build();

    let mock = OpenAiMock::start().await;
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(instrumentation))
        .service(ReqwestService::new(reqwest::Client::new()));
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(&mock.base_url)
            .with_api_key("sk-test"),
    )
    .with_http_service(service);
    let request = CreateChatCompletionRequestArgs::default()
        .model("gpt-4o-mini")
        .messages([ChatCompletionRequestUserMessage::from("Say hello").into()])
        .build()
        .unwrap();
    client.chat().create(request.clone()).await.unwrap();
    let mut streamed = request;
    streamed.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: Some(true),
        include_obfuscation: None,
    });
    let _: Vec<_> = client
        .chat()
        .create_stream(streamed)
        .await
        .unwrap()
        .collect()
        .await;

    let received = tokio::task::spawn_blocking(move || {
        assert!(receiver.wait_for_unique_spans(2, Duration::from_secs(20)));
        let report = pipeline.shutdown(Duration::from_secs(5));
        assert!(report.complete, "{report:?}");
        receiver.spans()
    })
    .await
    .unwrap();
    drop(provider);

    assert_eq!(received.len(), 2, "{received:#?}");
    for span in &received {
        assert_eq!(span.name, "chat gpt-4o-mini");
        assert_eq!(span.kind, 3, "CLIENT");
        assert_eq!(span.scope_name, "genai-telemetry");
        assert_eq!(
            span.string_attribute("gen_ai.provider.name"),
            Some("openai")
        );
        assert!(span.int_attribute("gen_ai.usage.input_tokens").unwrap() > 0);
        assert!(span.int_attribute("gen_ai.usage.output_tokens").unwrap() > 0);
        assert!(span.double_attribute("gen_ai.usage.cost").unwrap() > 0.0);
    }
    assert!(received.iter().any(|s| {
        s.double_attribute("gen_ai.response.time_to_first_chunk")
            .is_some()
    }));
}
