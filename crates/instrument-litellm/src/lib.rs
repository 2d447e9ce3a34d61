//! OpenTelemetry GenAI spans, metrics and cost for calls to a
//! [LiteLLM proxy](https://docs.litellm.ai/docs/simple_proxy) (OpenAI-compatible HTTP).
//!
//! Everything the OpenAI instrumentation records (the parsing is the same code, in
//! `genai_telemetry_core::genai::openai_compat`), plus LiteLLM's response headers: the
//! proxy's own price of the call (`x-litellm-response-cost`, or `usage.cost` in the last
//! stream chunk) as the cost, the deployment (`x-litellm-model-id`), model group, call id,
//! attempted retries and fallbacks.
//!
//! | module | feature | what |
//! |---|---|---|
//! | [`layer`] | `tower` (default) | [`LiteLlmTelemetryLayer`] for services of `reqwest::Request` |
//! | [`middleware`] | `reqwest-middleware` (default) | [`LiteLlmTelemetryMiddleware`] |
//! | [`async_openai`] | `async-openai` | the async-openai layer configured for LiteLLM |
//! | [`headers`] | always | LiteLLM response headers → attributes and cost |

#[cfg(feature = "async-openai")]
pub mod async_openai;
pub mod headers;
#[cfg(feature = "tower")]
pub mod layer;
#[cfg(feature = "reqwest-middleware")]
pub mod middleware;

pub use genai_telemetry_core::genai::GenAiInstrumentation;
pub use headers::litellm_config;
#[cfg(feature = "tower")]
pub use layer::{LiteLlmTelemetryLayer, LiteLlmTelemetryService};
#[cfg(feature = "reqwest-middleware")]
pub use middleware::LiteLlmTelemetryMiddleware;
