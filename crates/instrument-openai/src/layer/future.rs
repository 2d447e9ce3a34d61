//! [`ResponseFuture`]: the service's response future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Resolves to the inner service's response (its body observed) or its error (recorded on
/// the span), unchanged.
pub struct ResponseFuture<E> {
    inner: Pin<Box<dyn Future<Output = Result<reqwest::Response, E>> + Send>>,
}

impl<E> ResponseFuture<E> {
    pub(crate) fn new(
        future: impl Future<Output = Result<reqwest::Response, E>> + Send + 'static,
    ) -> Self {
        Self {
            inner: Box::pin(future),
        }
    }
}

impl<E> std::fmt::Debug for ResponseFuture<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<E> Future for ResponseFuture<E> {
    type Output = Result<reqwest::Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The request has to be built (asynchronously) before the span can start, so the
        // steps live in one boxed async block rather than a hand-written state machine.
        self.inner.as_mut().poll(cx)
    }
}
