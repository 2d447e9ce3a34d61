//! [`LiteLlmTelemetryMiddleware`]: the same recording for a
//! `reqwest_middleware::ClientWithMiddleware`.
//!
//! ```no_run
//! use genai_telemetry_litellm::{GenAiInstrumentation, LiteLlmTelemetryMiddleware};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(LiteLlmTelemetryMiddleware::new(GenAiInstrumentation::from_env()?))
//!     .build();
//! let response = client
//!     .post("http://127.0.0.1:4000/v1/chat/completions")
//!     .bearer_auth("sk-litellm")
//!     .body(r#"{"model":"fake-gpt","messages":[{"role":"user","content":"hi"}]}"#)
//!     .send()
//!     .await?; // span "chat fake-gpt", ended when the body is read or dropped
//! # let _ = response; Ok(()) }
//! ```

use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::openai_compat::{
    OpenAiCompatCall, OpenAiCompatConfig, reqwest_error_type,
};
use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::headers::litellm_config;

/// Records every LLM call to a LiteLLM proxy made through the client.
#[derive(Debug, Clone)]
pub struct LiteLlmTelemetryMiddleware {
    instrumentation: GenAiInstrumentation,
    config: OpenAiCompatConfig,
}

impl LiteLlmTelemetryMiddleware {
    /// The LiteLLM configuration ([`litellm_config`]).
    pub fn new(instrumentation: GenAiInstrumentation) -> Self {
        Self::with_config(instrumentation, litellm_config())
    }

    /// A custom configuration.
    pub fn with_config(instrumentation: GenAiInstrumentation, config: OpenAiCompatConfig) -> Self {
        Self {
            instrumentation,
            config,
        }
    }
}

#[async_trait::async_trait]
impl Middleware for LiteLlmTelemetryMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let call = OpenAiCompatCall::start(
            &self.instrumentation,
            &self.config,
            request.method(),
            request.url(),
            request.body().and_then(|b| b.as_bytes()),
        );
        let Some(call) = call else {
            return next.run(request, extensions).await;
        };
        call.inject(request.headers_mut());
        match next.run(request, extensions).await {
            Ok(response) => Ok(call.observe_reqwest(response)),
            Err(error) => {
                let kind = match &error {
                    reqwest_middleware::Error::Reqwest(e) => reqwest_error_type(e),
                    reqwest_middleware::Error::Middleware(_) => "_OTHER",
                };
                call.fail(kind, error.to_string());
                Err(error)
            }
        }
    }
}
