//! The interceptor for `aws-sdk-bedrockruntime`: one GenAI span per `Converse`,
//! `ConverseStream`, `InvokeModel` and `InvokeModelWithResponseStream` call.
//!
//! ```no_run
//! use aws_sdk_bedrockruntime::Client;
//! use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
//! use genai_telemetry_bedrock::{BedrockTelemetryInterceptor, GenAiInstrumentation};
//!
//! let config = aws_sdk_bedrockruntime::Config::builder() // or Builder::from(&sdk_config)
//!     .behavior_version(BehaviorVersion::latest())
//!     .region(Region::new("us-east-1"))
//!     .interceptor(BedrockTelemetryInterceptor::new(GenAiInstrumentation::from_env()?))
//!     .build();
//! let client = Client::from_conf(config);
//! // client.converse() / converse_stream() / invoke_model() / invoke_model_with_response_stream()
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Streams need nothing more: the interceptor wraps the event-stream body the SDK reads
//! from, so the span stays open while the application receives events, takes usage from
//! the final `metadata` event (or the invocation metrics of the last chunk), records time
//! to first chunk, and ends when the stream ends, fails, or is dropped early.
//!
//! - [`interceptor.rs`](BedrockTelemetryInterceptor): the `Intercept` hooks;
//! - `request.rs`: what a call asks for (model id from the URL, body by operation and
//!   model family, guardrail);
//! - `response.rs`: what a unary call got back (body, token-count headers, errors);
//! - `body.rs`: the event-stream body wrapper that keeps stream spans open.

mod body;
#[allow(clippy::module_inception)]
mod interceptor;
mod request;
mod response;

pub use interceptor::BedrockTelemetryInterceptor;

/// Bench-only: the interceptor's unary response parsing, reachable from
/// `benches/parse.rs` of `genai-telemetry-bridge`. Hidden from the documentation and not
/// part of the public API (no stability promise); applications never need it.
#[doc(hidden)]
pub mod bench_support {
    use aws_smithy_runtime_api::http::Headers;
    use genai_telemetry_core::genai::GenAiResponse;

    use super::request::Operation;
    use super::response;
    use crate::BedrockModelFamily;

    /// What the interceptor reads from a successful `InvokeModel` response of `family`
    /// (the same function it calls after the SDK got the response): the body parsed as
    /// JSON, the family's reader, then the `x-amzn-bedrock-*-token-count` headers for any
    /// count the body lacks. `Err` when the body is not the JSON the family documents.
    pub fn read_invoke_model_response(
        family: BedrockModelFamily,
        headers: &Headers,
        body: &[u8],
        capture: bool,
    ) -> Result<GenAiResponse, &'static str> {
        response::read(Operation::InvokeModel, family, headers, Some(body), capture)
    }

    /// Same for a `Converse` response body.
    pub fn read_converse_response(
        headers: &Headers,
        body: &[u8],
        capture: bool,
    ) -> Result<GenAiResponse, &'static str> {
        response::read(
            Operation::Converse,
            BedrockModelFamily::Unknown,
            headers,
            Some(body),
            capture,
        )
    }
}
