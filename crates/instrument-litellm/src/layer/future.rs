//! [`ResponseFuture`]: hands the response (or the error) to the call's span.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use genai_telemetry_core::genai::openai_compat::{OpenAiCompatCall, reqwest_error_type};

pin_project_lite::pin_project! {
    /// Resolves to the inner service's response, its body observed, or to its error,
    /// recorded on the span; both unchanged.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<OpenAiCompatCall>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, call: Option<OpenAiCompatCall>) -> Self {
        Self { inner, call }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("instrumented", &self.call.is_some())
            .finish_non_exhaustive()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<reqwest::Response, E>>,
    E: std::fmt::Display + 'static,
{
    type Output = Result<reqwest::Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(response)) => Poll::Ready(Ok(match this.call.take() {
                Some(call) => call.observe_reqwest(response),
                None => response,
            })),
            Poll::Ready(Err(error)) => {
                if let Some(call) = this.call.take() {
                    let kind = (&error as &dyn Any)
                        .downcast_ref::<reqwest::Error>()
                        .map_or("_OTHER", reqwest_error_type);
                    call.fail(kind, error.to_string());
                }
                Poll::Ready(Err(error))
            }
        }
    }
}
