//! [`LiteLlmTelemetryLayer`]: what to record, shared by every service it wraps.

use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::openai_compat::OpenAiCompatConfig;
use tower_layer::Layer;

use super::LiteLlmTelemetryService;
use crate::headers::litellm_config;

/// Records every LLM call to a LiteLLM proxy made through the wrapped service.
#[derive(Debug, Clone)]
pub struct LiteLlmTelemetryLayer {
    instrumentation: GenAiInstrumentation,
    config: OpenAiCompatConfig,
}

impl LiteLlmTelemetryLayer {
    /// The LiteLLM configuration ([`litellm_config`]).
    pub fn new(instrumentation: GenAiInstrumentation) -> Self {
        Self::with_config(instrumentation, litellm_config())
    }

    /// A custom configuration (provider name, header reader, `traceparent`).
    pub fn with_config(instrumentation: GenAiInstrumentation, config: OpenAiCompatConfig) -> Self {
        Self {
            instrumentation,
            config,
        }
    }
}

impl<S> Layer<S> for LiteLlmTelemetryLayer {
    type Service = LiteLlmTelemetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LiteLlmTelemetryService::new(inner, self.instrumentation.clone(), self.config.clone())
    }
}
