//! A response body that shows every frame to an observer on its way to the caller,
//! unchanged, and tells the observer how the body ended: completely, with an error, or
//! dropped early. This is what keeps a streaming call's span open exactly as long as the
//! caller reads.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Sees the bytes of a response body as they pass. Called synchronously from `poll_frame`;
/// implementations must not block.
pub trait BodyObserver: Send + Sync + 'static {
    /// A data frame passed to the caller.
    fn on_data(&mut self, data: &Bytes);
    /// The body failed; `on_end` follows.
    fn on_error(&mut self, message: &str);
    /// The body ended (completely, or after `on_error`).
    fn on_end(&mut self);
    /// The body was dropped before its end.
    fn on_drop(&mut self);
}

pin_project_lite::pin_project! {
    /// `inner`, observed. Frames, errors, size hints and end-of-stream are passed through
    /// as they are.
    pub struct ObservedBody<B: Body, O: BodyObserver> {
        #[pin]
        inner: B,
        observer: Option<O>,
    }

    impl<B: Body, O: BodyObserver> PinnedDrop for ObservedBody<B, O> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(mut observer) = this.observer.take() {
                // A consumer that stops polling once `is_end_stream` is true has read
                // everything: that is an end, not a cancellation.
                if this.inner.is_end_stream() {
                    observer.on_end();
                } else {
                    observer.on_drop();
                }
            }
        }
    }
}

impl<B: Body, O: BodyObserver> ObservedBody<B, O> {
    /// Wraps `inner`.
    pub fn new(inner: B, observer: O) -> Self {
        Self {
            inner,
            observer: Some(observer),
        }
    }
}

impl<B, O> std::fmt::Debug for ObservedBody<B, O>
where
    B: Body,
    O: BodyObserver,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservedBody")
            .field("observing", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl<B, O> Body for ObservedBody<B, O>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
    O: BodyObserver,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(observer) = this.observer.as_mut()
                    && let Some(data) = frame.data_ref()
                {
                    observer.on_data(data);
                }
                if this.inner.is_end_stream()
                    && let Some(mut observer) = this.observer.take()
                {
                    observer.on_end();
                }
            }
            Poll::Ready(Some(Err(error))) => {
                if let Some(mut observer) = this.observer.take() {
                    observer.on_error(&error.to_string());
                    observer.on_end();
                }
            }
            Poll::Ready(None) => {
                if let Some(mut observer) = this.observer.take() {
                    observer.on_end();
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
