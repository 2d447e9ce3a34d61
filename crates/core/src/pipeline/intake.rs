//! The hand-off from span end to an export task: a bounded queue whose consumer is woken
//! once per batch's worth of spans, or by a short tick, instead of once per span.
//!
//! A tokio channel wakes a receiver parked in `recv` on every send: per ended span, one
//! unpark of the export thread (a futex syscall on the application's thread) and one
//! context switch of the export thread, for each destination and the ledger. On a 2-core
//! machine that cost the application more than enqueueing itself (`cargo xtask bench`,
//! `docs/benchmarks.md`). Here the consumer never parks in `recv`: it waits for a
//! [`Notify`] raised when a batch's worth is queued, or for its tick, then drains with
//! `try_recv`. A send with no waiter to wake is a few atomic operations.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_sdk::trace::SpanData;
use tokio::sync::Notify;
use tokio::sync::mpsc::{self, error::TryRecvError, error::TrySendError};

/// How often a consumer looks at its queue when fewer than a batch's worth arrived:
/// a quarter of the batch timeout, between 5 and 100 ms. A span therefore waits at most
/// this long on top of the batch timeout.
pub(crate) fn tick(batch_timeout: Duration) -> Duration {
    (batch_timeout / 4).clamp(Duration::from_millis(5), Duration::from_millis(100))
}

/// A bounded span queue: `capacity` spans, the consumer woken at `wake_at` queued spans.
pub(crate) fn channel(capacity: usize, wake_at: usize) -> (IntakeSender, IntakeReceiver) {
    let capacity = capacity.max(1);
    let (tx, rx) = mpsc::channel(capacity);
    let wake = Arc::new(Notify::new());
    (
        IntakeSender {
            queue: tx,
            wake: Arc::clone(&wake),
            wake_at: wake_at.clamp(1, capacity),
        },
        IntakeReceiver { queue: rx, wake },
    )
}

/// The application's end of an intake.
#[derive(Debug, Clone)]
pub(crate) struct IntakeSender {
    queue: mpsc::Sender<Arc<SpanData>>,
    wake: Arc<Notify>,
    wake_at: usize,
}

impl IntakeSender {
    /// Queues `span` without blocking; wakes the consumer once a batch's worth waits.
    pub(crate) fn try_send(&self, span: Arc<SpanData>) -> Result<(), TrySendError<Arc<SpanData>>> {
        self.queue.try_send(span)?;
        let queued = self.queue.max_capacity() - self.queue.capacity();
        if queued >= self.wake_at {
            self.wake.notify_one();
        }
        Ok(())
    }
}

/// The export task's end of an intake.
#[derive(Debug)]
pub(crate) struct IntakeReceiver {
    queue: mpsc::Receiver<Arc<SpanData>>,
    wake: Arc<Notify>,
}

/// What [`IntakeReceiver::take`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// The queue is empty for now.
    Empty,
    /// `max` spans were taken; more may be queued.
    Full,
    /// Every sender is gone and the queue is empty: nothing will come any more.
    Closed,
}

impl IntakeReceiver {
    /// The notification raised when a batch's worth is queued (a permit is kept when
    /// nobody waits, so a wake-up is never lost).
    pub(crate) fn woken(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Moves up to `max` queued spans into `out`.
    pub(crate) fn take(&mut self, out: &mut Vec<Arc<SpanData>>, max: usize) -> Taken {
        for _ in 0..max {
            match self.queue.try_recv() {
                Ok(span) => out.push(span),
                Err(TryRecvError::Empty) => return Taken::Empty,
                Err(TryRecvError::Disconnected) => return Taken::Closed,
            }
        }
        Taken::Full
    }

    /// One queued span, if any.
    pub(crate) fn try_recv(&mut self) -> Option<Arc<SpanData>> {
        self.queue.try_recv().ok()
    }

    /// Refuses further spans (senders then see `Closed`); queued ones stay takeable.
    pub(crate) fn close(&mut self) {
        self.queue.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(i: u64) -> Arc<SpanData> {
        crate::pipeline::ledger::test_span(u128::from(i) + 1, i + 1)
    }

    #[tokio::test]
    async fn the_consumer_is_woken_only_once_a_batch_is_queued() {
        let (tx, mut rx) = channel(16, 4);
        let woken = rx.woken();
        for i in 0..3 {
            tx.try_send(span(i))
                .unwrap_or_else(|_| panic!("queue has room"));
        }
        let early = tokio::time::timeout(Duration::from_millis(30), woken.notified()).await;
        assert!(
            early.is_err(),
            "three spans of a four-span batch wake nobody"
        );
        tx.try_send(span(3))
            .unwrap_or_else(|_| panic!("queue has room"));
        let on_time = tokio::time::timeout(Duration::from_secs(5), woken.notified()).await;
        assert!(on_time.is_ok(), "the fourth span wakes the consumer");
        let mut out = Vec::new();
        assert_eq!(rx.take(&mut out, 3), Taken::Full);
        assert_eq!(rx.take(&mut out, 3), Taken::Empty);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn a_full_queue_refuses_and_a_dropped_sender_closes_after_the_queue_is_taken() {
        let (tx, mut rx) = channel(2, 10);
        assert!(tx.try_send(span(0)).is_ok());
        assert!(tx.try_send(span(1)).is_ok());
        assert!(matches!(tx.try_send(span(2)), Err(TrySendError::Full(_))));
        drop(tx);
        let mut out = Vec::new();
        assert_eq!(rx.take(&mut out, 10), Taken::Closed);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn the_tick_is_a_quarter_of_the_batch_timeout_within_bounds() {
        assert_eq!(tick(Duration::from_secs(1)), Duration::from_millis(100));
        assert_eq!(tick(Duration::from_millis(200)), Duration::from_millis(50));
        assert_eq!(tick(Duration::from_millis(1)), Duration::from_millis(5));
    }
}
