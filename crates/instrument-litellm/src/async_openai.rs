//! async-openai pointed at a LiteLLM proxy: the OpenAI layer with the LiteLLM
//! configuration.
//!
//! ```no_run
//! use async_openai::{Client, config::OpenAIConfig, middleware::ReqwestService};
//! use genai_telemetry_litellm::GenAiInstrumentation;
//!
//! let service = tower::ServiceBuilder::new()
//!     .layer(genai_telemetry_litellm::async_openai::layer(GenAiInstrumentation::from_env()?))
//!     .service(ReqwestService::new(reqwest::Client::new()));
//! let client = Client::with_config(OpenAIConfig::new().with_api_base("http://127.0.0.1:4000/v1"))
//!     .with_http_service(service);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use genai_telemetry_core::genai::GenAiInstrumentation;
pub use genai_telemetry_openai::OpenAiTelemetryLayer;

use crate::headers::litellm_config;

/// The async-openai layer, recording LiteLLM's headers and cost.
pub fn layer(instrumentation: GenAiInstrumentation) -> OpenAiTelemetryLayer {
    OpenAiTelemetryLayer::with_config(instrumentation, litellm_config())
}
