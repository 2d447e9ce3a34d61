//! [`OpenAiTelemetryLayer`]: what to record, shared by every service it wraps.

use std::borrow::Cow;

use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::openai_compat::OpenAiCompatConfig;
use tower_layer::Layer;

use super::OpenAiTelemetryService;

/// Records every OpenAI LLM call made through the wrapped service. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct OpenAiTelemetryLayer {
    instrumentation: GenAiInstrumentation,
    config: OpenAiCompatConfig,
}

impl OpenAiTelemetryLayer {
    /// Provider `openai`, `traceparent` injected.
    pub fn new(instrumentation: GenAiInstrumentation) -> Self {
        Self::with_config(instrumentation, OpenAiCompatConfig::openai())
    }

    /// A layer for any OpenAI-compatible server (LiteLLM, Azure OpenAI, vLLM, …), with
    /// its own provider name and response-header reader.
    pub fn with_config(instrumentation: GenAiInstrumentation, config: OpenAiCompatConfig) -> Self {
        Self {
            instrumentation,
            config,
        }
    }

    /// Sets `gen_ai.provider.name` (default `openai`), e.g. `azure.ai.openai`.
    pub fn provider(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.config = self.config.provider(name);
        self
    }

    /// Turns W3C `traceparent` injection on (default) or off.
    pub fn inject_traceparent(mut self, on: bool) -> Self {
        self.config = self.config.inject_traceparent(on);
        self
    }
}

impl<S> Layer<S> for OpenAiTelemetryLayer {
    type Service = OpenAiTelemetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OpenAiTelemetryService::new(inner, self.instrumentation.clone(), self.config.clone())
    }
}
