//! The tower layer for services of `reqwest::Request` → `reqwest::Response` (a
//! `reqwest::Client` is one) calling a LiteLLM proxy.
//!
//! ```no_run
//! use genai_telemetry_litellm::{GenAiInstrumentation, LiteLlmTelemetryLayer};
//! use tower::{Service, ServiceExt};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let http = reqwest::Client::new();
//! let mut proxy = tower::ServiceBuilder::new()
//!     .layer(LiteLlmTelemetryLayer::new(GenAiInstrumentation::from_env()?))
//!     .service(http.clone());
//! let request = http.post("http://127.0.0.1:4000/v1/chat/completions")
//!     .bearer_auth("sk-litellm")
//!     .body(r#"{"model":"fake-gpt","messages":[{"role":"user","content":"hi"}]}"#)
//!     .build()?;
//! let response = proxy.ready().await?.call(request).await?; // span "chat fake-gpt"
//! # let _ = response; Ok(()) }
//! ```
//!
//! - [`layer.rs`](LiteLlmTelemetryLayer): the layer;
//! - [`service.rs`](LiteLlmTelemetryService): starts the span, injects `traceparent`;
//! - [`future.rs`](ResponseFuture): wraps the response body (see
//!   `genai_telemetry_core::genai::body`), which ends the span when read or dropped.

mod future;
#[allow(clippy::module_inception)]
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::LiteLlmTelemetryLayer;
pub use service::LiteLlmTelemetryService;
