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

/// Fuzz and property-test entry points: the interceptor's parsers of what Bedrock sends
/// back that no public function reaches (error bodies, event streams). Hidden from the
/// documentation and not part of the public API (no stability promise). The unary body
/// readers are in [`bench_support`].
#[doc(hidden)]
pub mod fuzz_support {
    use aws_smithy_runtime_api::http::Headers;
    use genai_telemetry_core::genai::GenAiResponse;

    use super::body::EventStreamReader;
    use super::request::Operation;
    use super::response;
    use crate::BedrockModelFamily;

    /// `(error.type, message)` the interceptor records for an error response.
    pub fn read_error_response(status: u16, headers: &Headers, body: &[u8]) -> (String, String) {
        response::error_of(status, headers, Some(body))
    }

    /// Which streaming operation an event stream answers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum StreamOperation {
        /// `ConverseStream` (Converse events: `messageStart`, `contentBlockDelta`, …).
        ConverseStream,
        /// `InvokeModelWithResponseStream` (`chunk` events with the family's JSON).
        InvokeModelWithResponseStream,
    }

    /// What an event stream added up to, as the interceptor records it.
    #[derive(Debug)]
    pub struct StreamOutcome {
        /// The response gathered from the events.
        pub response: GenAiResponse,
        /// `(error.type, message)` of an exception event or an undecodable frame.
        pub error: Option<(String, String)>,
        /// The stream's terminal event arrived.
        pub complete: bool,
        /// A content event arrived (the interceptor records time to first chunk then).
        pub saw_content: bool,
    }

    /// Feeds `chunks` (the body as it arrived, in pieces) to the interceptor's event-stream
    /// reader, stopping where the interceptor would end the call.
    pub fn read_event_stream(
        op: StreamOperation,
        family: BedrockModelFamily,
        chunks: &[&[u8]],
        capture: bool,
    ) -> StreamOutcome {
        let op = match op {
            StreamOperation::ConverseStream => Operation::ConverseStream,
            StreamOperation::InvokeModelWithResponseStream => {
                Operation::InvokeModelWithResponseStream
            }
        };
        let mut reader = EventStreamReader::new(op, family, capture);
        let mut saw_content = false;
        for chunk in chunks {
            let fed = reader.feed(chunk);
            saw_content |= fed.first_content;
            if fed.over {
                break;
            }
        }
        let complete = reader.is_complete();
        let (response, error) = reader.finish();
        StreamOutcome {
            response,
            error,
            complete,
            saw_content,
        }
    }
}
