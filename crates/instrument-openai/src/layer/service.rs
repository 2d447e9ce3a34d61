//! [`OpenAiTelemetryService`]: wraps an async-openai HTTP service.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::openai_compat::{
    OpenAiCompatCall, OpenAiCompatConfig, reqwest_error_type,
};
use reqwest::header::HeaderMap;
use tower_service::Service;

use super::ResponseFuture;
use super::body::observe;

/// A service recording every OpenAI LLM call made through `S`.
#[derive(Debug, Clone)]
pub struct OpenAiTelemetryService<S> {
    inner: S,
    instrumentation: GenAiInstrumentation,
    config: OpenAiCompatConfig,
}

impl<S> OpenAiTelemetryService<S> {
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

impl<S> Service<HttpRequestFactory> for OpenAiTelemetryService<S>
where
    S: Service<HttpRequestFactory, Response = reqwest::Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display + Send + 'static,
{
    type Response = reqwest::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        // `inner` was made ready by `poll_ready`; keep that one, leave a clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let instrumentation = self.instrumentation.clone();
        let config = self.config.clone();
        ResponseFuture::new(async move {
            let request = match factory.build().await {
                Ok(request) => request,
                // Let the inner service build (and fail) exactly as it would have.
                Err(_) => return inner.call(factory).await,
            };
            let exchange = OpenAiCompatCall::start(
                &instrumentation,
                &config,
                request.method(),
                request.url(),
                request.body().and_then(|b| b.as_bytes()),
            );
            let Some(exchange) = exchange else {
                return inner.call(replay(request, factory, HeaderMap::new())).await;
            };
            let mut trace_headers = HeaderMap::new();
            exchange.inject(&mut trace_headers);
            match inner.call(replay(request, factory, trace_headers)).await {
                Ok(response) => Ok(observe(exchange, response)),
                Err(error) => {
                    exchange.fail(error_type(&error), error.to_string());
                    Err(error)
                }
            }
        })
    }
}

/// A factory whose first build returns the request already built (no second
/// serialisation) and whose later builds (retries) rebuild from the original factory;
/// every build carries `extra` headers.
fn replay(
    request: reqwest::Request,
    original: HttpRequestFactory,
    extra: HeaderMap,
) -> HttpRequestFactory {
    let first = Arc::new(Mutex::new(Some(request)));
    let extra = Arc::new(extra);
    HttpRequestFactory::new(move || {
        let first = first.lock().unwrap_or_else(PoisonError::into_inner).take();
        let original = original.clone();
        let extra = Arc::clone(&extra);
        async move {
            let mut request = match first {
                Some(request) => request,
                None => original.build().await?,
            };
            for (name, value) in extra.iter() {
                request.headers_mut().insert(name.clone(), value.clone());
            }
            Ok(request)
        }
    })
}

/// `error.type` for a failure before any response: async-openai's error kinds, reqwest's
/// timeout / connect distinctions, `_OTHER` for anything else.
fn error_type(error: &(dyn Any + Send)) -> String {
    let Some(error) = error.downcast_ref::<OpenAIError>() else {
        return "_OTHER".to_owned();
    };
    match error {
        OpenAIError::Reqwest(e) => reqwest_error_type(e).to_owned(),
        OpenAIError::ApiError(api) => api
            .api_error
            .code
            .clone()
            .or_else(|| api.api_error.r#type.clone())
            .unwrap_or_else(|| api.status_code.as_u16().to_string()),
        OpenAIError::Boxed(e) if e.to_string().contains("timed out") => "timeout".to_owned(),
        OpenAIError::InvalidArgument(_) => "invalid_argument".to_owned(),
        _ => "_OTHER".to_owned(),
    }
}
