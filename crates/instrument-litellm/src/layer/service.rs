//! [`LiteLlmTelemetryService`]: wraps a `reqwest::Request` service.

use std::task::{Context, Poll};

use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::openai_compat::{OpenAiCompatCall, OpenAiCompatConfig};
use tower_service::Service;

use super::ResponseFuture;

/// A service recording every LLM call to a LiteLLM proxy made through `S`.
#[derive(Debug, Clone)]
pub struct LiteLlmTelemetryService<S> {
    inner: S,
    instrumentation: GenAiInstrumentation,
    config: OpenAiCompatConfig,
}

impl<S> LiteLlmTelemetryService<S> {
    pub(crate) fn new(
        inner: S,
        instrumentation: GenAiInstrumentation,
        config: OpenAiCompatConfig,
    ) -> Self {
        Self {
            inner,
            instrumentation,
            config,
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S> Service<reqwest::Request> for LiteLlmTelemetryService<S>
where
    S: Service<reqwest::Request, Response = reqwest::Response>,
    S::Error: std::fmt::Display + 'static,
{
    type Response = reqwest::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: reqwest::Request) -> Self::Future {
        let call = OpenAiCompatCall::start(
            &self.instrumentation,
            &self.config,
            request.method(),
            request.url(),
            request.body().and_then(|b| b.as_bytes()),
        );
        if let Some(call) = &call {
            call.inject(request.headers_mut());
        }
        ResponseFuture::new(self.inner.call(request), call)
    }
}
