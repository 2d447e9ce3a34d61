//! The tower layer for `async_openai::Client::with_http_service`.
//!
//! ```no_run
//! use async_openai::{Client, config::OpenAIConfig, middleware::ReqwestService};
//! use genai_telemetry_openai::{GenAiInstrumentation, OpenAiTelemetryLayer};
//!
//! let instrumentation = GenAiInstrumentation::from_env()?;
//! let service = tower::ServiceBuilder::new()
//!     .layer(OpenAiTelemetryLayer::new(instrumentation))   // one span per logical call
//!     .layer(async_openai::middleware::retry::OpenAIRetryLayer::default())
//!     .service(ReqwestService::new(reqwest::Client::new()));
//! let client = Client::with_config(OpenAIConfig::default()).with_http_service(service);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Put the layer outside a retry layer for one span per logical call (attempts are not
//! spans), inside it for one span per attempt.
//!
//! - [`layer.rs`](OpenAiTelemetryLayer): the layer, a cheap clonable configuration;
//! - [`service.rs`](OpenAiTelemetryService): parses the request, starts the span,
//!   injects `traceparent`;
//! - [`future.rs`](ResponseFuture): hands the response (or the error) to the span;
//! - [`body.rs`](ResponseBody): the response body wrapper that reads usage, finish
//!   reasons and stream chunks as the caller reads, and ends the span.

mod body;
mod future;
#[allow(clippy::module_inception)]
mod layer;
mod service;

pub use body::ResponseBody;
pub use future::ResponseFuture;
pub use layer::OpenAiTelemetryLayer;
pub use service::OpenAiTelemetryService;
