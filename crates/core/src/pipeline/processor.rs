//! The hot path: `on_end` puts one `Arc` of the ended span into each destination's queue,
//! or, with tail sampling on, into the tail sampler's queue only (the sampler forwards kept
//! spans the same way later). No I/O, no blocking, no lock, no per-destination copy: a full
//! queue drops and counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use tokio::sync::mpsc::error::TrySendError;

use super::intake::IntakeSender;
use super::ledger::TraceLedger;
use super::{Pipeline, Shared};
use crate::stats::{DestinationStats, DropReason};

/// Where a span bound for export goes: every destination's queue and the ledger's.
/// Shared by `on_end` and the tail sampler task, so both count alike.
#[derive(Debug, Clone)]
pub(crate) struct Fanout {
    pub(crate) lanes: Vec<(IntakeSender, Arc<DestinationStats>)>,
    pub(crate) ledger: Option<(IntakeSender, Arc<TraceLedger>)>,
    pub(crate) spans_after_shutdown: Arc<AtomicU64>,
}

impl Fanout {
    fn send_to_ledger(&self, span: &Arc<SpanData>) {
        if let Some((queue, ledger)) = &self.ledger
            && queue.try_send(Arc::clone(span)).is_err()
        {
            ledger.count_missed();
        }
    }

    /// [`send`](Self::send) for the tail sampler, which runs on the export runtime and may
    /// wait: a full destination queue is retried, sleeping a millisecond at a time so its
    /// worker drains it, for up to `patience` per span before the span is counted as
    /// `queue_full`. A trace decided at once (a large trace, or every waiting trace at
    /// shutdown) can then exceed a queue's capacity without loss.
    pub(crate) async fn send_patiently(&self, span: Arc<SpanData>, patience: Duration) {
        self.send_to_ledger(&span);
        for (queue, stats) in &self.lanes {
            let mut span = Arc::clone(&span);
            let mut give_up_at = None;
            loop {
                match queue.try_send(span) {
                    Ok(()) => {
                        stats.add_enqueued(1);
                        break;
                    }
                    Err(TrySendError::Full(back)) => {
                        let now = Instant::now();
                        if now >= *give_up_at.get_or_insert(now + patience) {
                            stats.add_dropped(DropReason::QueueFull, 1);
                            break;
                        }
                        span = back;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err(TrySendError::Closed(_)) => {
                        self.spans_after_shutdown.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }
    }

    /// Counts one span as dropped at every destination (it was lost before the fan-out).
    pub(crate) fn count_lost(&self, reason: DropReason) {
        for (_, stats) in &self.lanes {
            stats.add_dropped(reason, 1);
        }
    }

    /// Queues `span` for the ledger and every destination, without blocking.
    pub(crate) fn send(&self, span: Arc<SpanData>) {
        self.send_to_ledger(&span);
        for (queue, stats) in &self.lanes {
            match queue.try_send(Arc::clone(&span)) {
                Ok(()) => stats.add_enqueued(1),
                Err(TrySendError::Full(_)) => stats.add_dropped(DropReason::QueueFull, 1),
                Err(TrySendError::Closed(_)) => {
                    self.spans_after_shutdown.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// A `SpanProcessor` that fans every sampled span out to all destinations of a
/// [`Pipeline`]. Register it with `SdkTracerProvider::builder().with_span_processor(..)`.
#[derive(Debug, Clone)]
pub struct FanoutProcessor {
    shared: Arc<Shared>,
}

impl FanoutProcessor {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl SpanProcessor for FanoutProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        if !self.shared.accepting.load(Ordering::Relaxed) {
            self.shared
                .spans_after_shutdown
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        let span = Arc::new(span);
        if let Some(tail) = &self.shared.tail {
            match tail.queue.try_send(span) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    // Lost before any decision, so to every destination: counted in the
                    // tail stats and as each destination's `queue_full`, so that shutdown
                    // reports and `undelivered()` include it.
                    tail.stats.add_queue_full();
                    self.shared.fanout.count_lost(DropReason::QueueFull);
                }
                Err(TrySendError::Closed(_)) => {
                    self.shared
                        .spans_after_shutdown
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            return;
        }
        self.shared.fanout.send(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        let report = self.pipeline().flush(self.shared.settings.shutdown_timeout);
        if report.complete {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(format!(
                "not every destination delivered everything: {:?}",
                report.destinations
            )))
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let report = self.pipeline().shutdown(timeout);
        if report.complete {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(format!(
                "shutdown left {} spans undelivered",
                report.undelivered()
            )))
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.pipeline().set_resource(resource);
    }
}
