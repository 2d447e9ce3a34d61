//! End to end against a REAL LiteLLM proxy (installed from PyPI by `cargo xtask`), with
//! `mock_response` models so nothing leaves the machine: the spans exported through the
//! bridge's pipeline to an OTLP receiver carry tokens and LiteLLM's cost.
//!
//! Ignored by plain `cargo test`, which has no proxy. Run it with the project's tooling,
//! which installs the pinned LiteLLM into `target/litellm-venv` and sets `LITELLM_BIN`:
//!
//! ```text
//! cargo xtask test
//! ```
//!
//! or by hand: `LITELLM_BIN=/path/to/litellm cargo test -p genai-telemetry-litellm
//! --all-features --test litellm_proxy -- --ignored`.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::{BridgeConfig, Destination, OtlpDestination, Pipeline};
use genai_telemetry_litellm::{LiteLlmTelemetryLayer, LiteLlmTelemetryMiddleware};
use genai_telemetry_receiver::{OtlpReceiver, ReceivedSpan, ReceiverConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tower::{Service, ServiceExt};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs,
};

const MASTER_KEY: &str = "sk-test-master";

const CONFIG: &str = r#"
model_list:
  - model_name: fake-gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-fake
      mock_response: "Hello from the LiteLLM mock!"
  - model_name: fake-claude
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
      mock_response: "Hello from a mocked Bedrock model"
litellm_settings:
  telemetry: false
general_settings:
  master_key: sk-test-master
"#;

/// The proxy process; killed (by its own id) when dropped.
struct Proxy {
    child: tokio::process::Child,
    base: String,
    log: PathBuf,
}

impl Proxy {
    async fn start() -> Proxy {
        let bin = std::env::var("LITELLM_BIN").unwrap_or_else(|_| {
            panic!(
                "LITELLM_BIN is not set. This test needs a real LiteLLM proxy: run \
                 `cargo xtask test`, which installs litellm[proxy] from PyPI into \
                 target/litellm-venv and sets LITELLM_BIN"
            )
        });
        let dir = std::env::temp_dir().join(format!("litellm-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.yaml");
        std::fs::write(&config, CONFIG).unwrap();
        let log = dir.join("litellm.log");
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let out = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(&bin)
            .args(["--config"])
            .arg(&config)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // The cost map ships with the package; never fetch it from GitHub.
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("LITELLM_TELEMETRY", "False")
            .env("NO_DOCS", "True")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let mut proxy = Proxy {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        proxy.wait_until_ready().await;
        proxy
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        let http = reqwest::Client::new();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "litellm exited ({status}) before it was ready:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            let health = http
                .get(format!("{}/health/liveliness", self.base))
                .send()
                .await;
            if matches!(health, Ok(r) if r.status().is_success()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "litellm not ready:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // `kill_on_drop` also does this; being explicit documents that the process we
        // started, and only it, is stopped.
        let _ = self.child.start_kill();
    }
}

fn chat_body(model: &str, stream: bool) -> String {
    let mut body = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hi"}],
    });
    if stream {
        body["stream"] = true.into();
        body["stream_options"] = serde_json::json!({"include_usage": true});
    }
    body.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real LiteLLM proxy: run `cargo xtask test` (installs it from PyPI, sets LITELLM_BIN)"]
async fn spans_of_calls_through_a_real_litellm_proxy_carry_tokens_and_cost() {
    let proxy = Proxy::start().await;

    let receiver = OtlpReceiver::start(ReceiverConfig::new().name("otlp")).unwrap();
    let config = BridgeConfig::builder()
        .otlp_traces_endpoint(receiver.traces_url())
        .build()
        .unwrap();
    let settings = config.pipeline.clone();
    let destination: Arc<dyn Destination> = Arc::new(
        OtlpDestination::new(config.otlp.as_ref().unwrap(), settings.export_timeout).unwrap(),
    );
    let resource = Resource::builder().with_service_name("litellm-e2e").build();
    let pipeline = Pipeline::start(vec![destination], settings, &resource).unwrap();
    let provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_span_processor(pipeline.processor())
        .build();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&provider)
        .without_metrics()
        .build();

    let url = format!("{}/v1/chat/completions", proxy.base);

    // 1. reqwest-middleware, not streamed: the proxy prices the call in its headers.
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(LiteLlmTelemetryMiddleware::new(instrumentation.clone()))
        .build();
    let response = client
        .post(&url)
        .bearer_auth(MASTER_KEY)
        .header("content-type", "application/json")
        .body(chat_body("fake-gpt", false))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        json["choices"][0]["message"]["content"],
        "Hello from the LiteLLM mock!"
    );

    // 2. tower layer over reqwest::Client, streamed with usage: cost in the last chunk.
    let http = reqwest::Client::new();
    let mut service = tower::ServiceBuilder::new()
        .layer(LiteLlmTelemetryLayer::new(instrumentation.clone()))
        .service(http.clone());
    let request = http
        .post(&url)
        .bearer_auth(MASTER_KEY)
        .header("content-type", "application/json")
        .body(chat_body("fake-gpt", true))
        .build()
        .unwrap();
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }

    // 3. async-openai through the proxy to a model LiteLLM does not price (a mocked
    //    Bedrock model): the bundled table prices it from `x-litellm-model-name`.
    let service = tower::ServiceBuilder::new()
        .layer(genai_telemetry_litellm::async_openai::layer(
            instrumentation.clone(),
        ))
        .service(ReqwestService::new(reqwest::Client::new()));
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(format!("{}/v1", proxy.base))
            .with_api_key(MASTER_KEY),
    )
    .with_http_service(service);
    let answer = client
        .chat()
        .create(
            CreateChatCompletionRequestArgs::default()
                .model("fake-claude")
                .messages([ChatCompletionRequestUserMessage::from("Say hi").into()])
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        answer.choices[0].message.content.as_deref(),
        Some("Hello from a mocked Bedrock model")
    );

    let received: Vec<ReceivedSpan> = tokio::task::spawn_blocking(move || {
        assert!(receiver.wait_for_unique_spans(3, Duration::from_secs(30)));
        let report = pipeline.shutdown(Duration::from_secs(5));
        assert!(report.complete, "{report:?}");
        receiver.spans()
    })
    .await
    .unwrap();
    drop(provider);
    drop(proxy);

    assert_eq!(received.len(), 3, "{received:#?}");
    for span in &received {
        assert_eq!(span.kind, 3, "CLIENT");
        assert_eq!(
            span.string_attribute("gen_ai.provider.name"),
            Some("litellm")
        );
        assert_eq!(span.string_attribute("gen_ai.operation.name"), Some("chat"));
        assert!(
            span.int_attribute("gen_ai.usage.input_tokens").unwrap() > 0,
            "{span:#?}"
        );
        assert!(
            span.int_attribute("gen_ai.usage.output_tokens").unwrap() > 0,
            "{span:#?}"
        );
        assert!(
            span.double_attribute("gen_ai.usage.cost")
                .unwrap_or_else(|| panic!("no cost: {span:#?}"))
                > 0.0,
            "{span:#?}"
        );
        assert_eq!(span.status_code, 0, "{span:#?}");
        assert!(span.string_attribute("litellm.call_id").is_some());
    }
    let gpt: Vec<_> = received
        .iter()
        .filter(|s| s.name == "chat fake-gpt")
        .collect();
    assert_eq!(gpt.len(), 2);
    for span in gpt {
        // LiteLLM priced these (header, or `usage.cost` for the stream).
        assert_eq!(
            span.string_attribute("genai_telemetry.cost.source"),
            Some("litellm")
        );
        assert_eq!(
            span.string_attribute("litellm.model_group"),
            Some("fake-gpt")
        );
    }
    let streamed = received
        .iter()
        .find(|s| s.bool_attribute("gen_ai.request.stream") == Some(true))
        .unwrap();
    assert!(
        streamed
            .double_attribute("gen_ai.response.time_to_first_chunk")
            .is_some()
    );
    let claude = received
        .iter()
        .find(|s| s.name == "chat fake-claude")
        .unwrap();
    assert_eq!(
        claude.string_attribute("genai_telemetry.cost.source"),
        Some("pricing_table")
    );
    assert_eq!(
        claude.string_attribute("genai_telemetry.pricing.model"),
        Some("claude-3-haiku-20240307")
    );
}
