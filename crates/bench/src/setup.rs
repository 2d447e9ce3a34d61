//! What a run talks to: loopback receivers standing in for Langfuse and Instana (checking
//! what the real servers check), telemetry managers per mode, and the instrumented
//! async-openai client whose calls are timed.

use std::time::Duration;

use anyhow::{Context, Result};
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, CreateChatCompletionRequestArgs,
};
use genai_telemetry_bridge::genai::GenAiInstrumentation;
use genai_telemetry_bridge::openai::OpenAiTelemetryLayer;
use genai_telemetry_bridge::{PipelineSettings, TelemetryManager};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};

use crate::options::{InstanaTarget, LangfuseTarget};

/// Key pair the Langfuse stand-in demands (Basic auth).
const LANGFUSE_PUBLIC_KEY: &str = "pk-lf-bench";
const LANGFUSE_SECRET_KEY: &str = "sk-lf-bench";
/// Agent key the Instana stand-in demands (`x-instana-key`).
const INSTANA_KEY: &str = "bench-agent-key";

/// The model the client asks for (priced in the bundled table, so cost is computed).
pub(crate) const MODEL: &str = "gpt-4o-mini";

/// A Langfuse stand-in and an Instana stand-in on loopback. They keep counters and
/// unique span IDs only, so millions of spans do not grow the bench's memory.
pub(crate) struct Receivers {
    pub(crate) langfuse: OtlpReceiver,
    pub(crate) instana: OtlpReceiver,
}

impl Receivers {
    /// Starts both; `suffix` tells apart several pairs in logs.
    pub(crate) fn start(suffix: &str) -> Result<Self> {
        let langfuse = OtlpReceiver::start(
            ReceiverConfig::langfuse(LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY)
                .name(&format!("langfuse{suffix}"))
                .keep_records(false),
        )
        .context("starting the Langfuse stand-in")?;
        let instana = OtlpReceiver::start(
            ReceiverConfig::instana(INSTANA_KEY)
                .name(&format!("instana{suffix}"))
                .keep_records(false),
        )
        .context("starting the Instana stand-in")?;
        Ok(Self { langfuse, instana })
    }

    pub(crate) fn langfuse_target(&self) -> LangfuseTarget {
        langfuse_stand_in(self.langfuse.endpoint())
    }

    pub(crate) fn instana_target(&self) -> InstanaTarget {
        instana_stand_in(self.instana.endpoint())
    }

    pub(crate) fn both(&self) -> [&OtlpReceiver; 2] {
        [&self.langfuse, &self.instana]
    }

    pub(crate) fn set_outage(&self, down: bool) {
        for r in self.both() {
            r.faults().set_outage(down);
        }
    }

    pub(crate) fn reset(&self) {
        for r in self.both() {
            r.faults().clear();
            r.reset();
        }
    }
}

/// The Langfuse stand-in at `endpoint`, with the key pair it demands (for a process
/// other than the one running the receivers: the soak's application process).
pub(crate) fn langfuse_stand_in(endpoint: String) -> LangfuseTarget {
    LangfuseTarget {
        endpoint,
        public_key: LANGFUSE_PUBLIC_KEY.to_owned(),
        secret_key: LANGFUSE_SECRET_KEY.to_owned(),
    }
}

/// The Instana stand-in at `endpoint`, with the agent key it demands.
pub(crate) fn instana_stand_in(endpoint: String) -> InstanaTarget {
    InstanaTarget {
        endpoint,
        key: Some(INSTANA_KEY.to_owned()),
    }
}

/// One of the compared configurations of the same client code path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// No layer, no telemetry.
    Baseline,
    /// The layer, exporting to Langfuse only.
    Langfuse,
    /// The layer, exporting to Instana only.
    Instana,
    /// The layer, exporting to both.
    Dual,
    /// The layer, exporting to both while both are down and their breakers are open.
    DualDown,
    /// The layer with no destination (`--only latency`): instrumentation without export.
    NoExport,
}

impl Mode {
    pub(crate) const ALL: [Mode; 5] = [
        Mode::Baseline,
        Mode::Langfuse,
        Mode::Instana,
        Mode::Dual,
        Mode::DualDown,
    ];

    /// The key used in `report.json` and file names.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Mode::Baseline => "baseline",
            Mode::Langfuse => "langfuse",
            Mode::Instana => "instana",
            Mode::Dual => "dual",
            Mode::DualDown => "dual_backends_down",
            Mode::NoExport => "no_export",
        }
    }

    /// The row label of the markdown table.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Mode::Baseline => "baseline, no telemetry",
            Mode::Langfuse => "single export (Langfuse)",
            Mode::Instana => "single export (Instana)",
            Mode::Dual => "dual export",
            Mode::DualDown => "dual export, both back ends down",
            Mode::NoExport => "instrumented, no destination",
        }
    }
}

/// A telemetry manager exporting to the given destinations, with the library's default
/// pipeline settings changed only by `tune`.
pub(crate) fn manager(
    service: &str,
    langfuse: Option<&LangfuseTarget>,
    instana: Option<&InstanaTarget>,
    tune: impl FnOnce(&mut PipelineSettings),
) -> Result<TelemetryManager> {
    let service = service.to_owned();
    let manager = TelemetryManager::builder()
        .configure(move |mut b| {
            b = b
                .service_name(service)
                .service_version(env!("CARGO_PKG_VERSION"))
                .deployment_environment("bench")
                .tune(tune);
            if let Some(l) = langfuse {
                b = b
                    .langfuse(l.public_key.clone(), l.secret_key.clone())
                    .langfuse_endpoint(l.endpoint.clone());
            }
            if let Some(i) = instana {
                b = b.instana(i.endpoint.clone());
                if let Some(key) = &i.key {
                    b = b.instana_api_key(key.clone());
                }
            }
            b
        })
        .install_global(false)
        .build()
        .context("configuring the telemetry bridge")?;
    Ok(manager)
}

/// A dual manager on `receivers` with the library's defaults, except the breaker windows
/// when the fault profile scales them down (`(recovery window, cap)`).
pub(crate) fn fault_profile_manager(
    service: &str,
    receivers: &Receivers,
    breaker_windows: Option<(Duration, Duration)>,
) -> Result<TelemetryManager> {
    manager(
        service,
        Some(&receivers.langfuse_target()),
        Some(&receivers.instana_target()),
        |p| {
            if let Some((window, cap)) = breaker_windows {
                p.breaker.recovery_window = window;
                p.breaker.max_recovery_window = cap;
            }
        },
    )
}

/// The async-openai client of one mode and the request every call sends.
pub(crate) struct LlmClient {
    client: Client<OpenAIConfig>,
    request: CreateChatCompletionRequest,
}

impl LlmClient {
    fn config(api_base: &str) -> OpenAIConfig {
        OpenAIConfig::new()
            .with_api_base(api_base)
            .with_api_key("sk-bench-not-a-real-key")
    }

    fn request() -> Result<CreateChatCompletionRequest> {
        Ok(CreateChatCompletionRequestArgs::default()
            .model(MODEL)
            .temperature(0.2)
            .max_completion_tokens(64u32)
            .messages([
                ChatCompletionRequestSystemMessage::from(
                    "You are a concise travel assistant. Answer in one sentence.",
                )
                .into(),
                ChatCompletionRequestUserMessage::from("What is the capital of France?").into(),
            ])
            .build()?)
    }

    /// The client without any layer: the baseline.
    pub(crate) fn plain(api_base: &str) -> Result<Self> {
        let service = ReqwestService::new(reqwest::Client::new());
        Ok(Self {
            client: Client::with_config(Self::config(api_base)).with_http_service(service),
            request: Self::request()?,
        })
    }

    /// The same client with the telemetry layer, spans (and, with Instana, GenAI metrics)
    /// going to `telemetry`.
    pub(crate) fn instrumented(api_base: &str, telemetry: &TelemetryManager) -> Result<Self> {
        let mut instrumentation =
            GenAiInstrumentation::builder().tracer_provider(telemetry.tracer_provider());
        instrumentation = match telemetry.instana_meter_provider() {
            Some(meters) => instrumentation.meter_provider(meters),
            None => instrumentation.without_metrics(),
        };
        let service = tower::ServiceBuilder::new()
            .layer(OpenAiTelemetryLayer::new(instrumentation.build()))
            .service(ReqwestService::new(reqwest::Client::new()));
        Ok(Self {
            client: Client::with_config(Self::config(api_base)).with_http_service(service),
            request: Self::request()?,
        })
    }

    /// One chat completion, checked to carry an answer.
    pub(crate) async fn call(&self) -> Result<()> {
        let response = self
            .client
            .chat()
            .create(self.request.clone())
            .await
            .context("chat completion against the mock LLM")?;
        anyhow::ensure!(
            !response.choices.is_empty(),
            "the mock LLM answered without choices"
        );
        Ok(())
    }
}

/// Polls `done` every 10 ms until it holds (`true`) or `timeout` passes (`false`).
pub(crate) async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
