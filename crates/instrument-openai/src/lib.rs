//! OpenTelemetry GenAI spans, metrics and cost for [`async-openai`](async_openai): one
//! tower layer for `Client::with_http_service` (async-openai's `middleware` feature).
//!
//! Every chat-completions, completions, embeddings and responses call becomes one CLIENT
//! span `"{operation} {model}"` with the GenAI semantic conventions v1.41; streams keep
//! the span open until they end or are dropped. Other requests (files, models, …) pass
//! through untouched. The caller receives exactly what the uninstrumented client returns.
//!
//! | module | feature | what |
//! |---|---|---|
//! | [`layer`] | `layer` (default) | [`OpenAiTelemetryLayer`], its service, future and response body |

#[cfg(feature = "layer")]
pub mod layer;

#[cfg(feature = "layer")]
pub use layer::{OpenAiTelemetryLayer, OpenAiTelemetryService};

pub use genai_telemetry_core::genai::GenAiInstrumentation;
