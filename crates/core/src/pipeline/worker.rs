//! The export worker of one destination: batches spans from its queue, encodes them with the
//! destination's view, and sends them one request at a time (while batching goes on), with
//! retry, circuit breaker and replay buffer. Runs on the export runtime, never on the app's.

use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use tokio::sync::mpsc;

use super::intake::{self, IntakeReceiver, Taken};
use super::ledger::{Mark, TraceLedger};
use super::replay::{HeldBatch, ReplayBuffer};
use super::{Control, ResourceCell};
use crate::config::PipelineSettings;
use crate::destination::{BatchEncoder, Destination, SendFuture, split_batch};
use crate::resilience::{BreakerState, CircuitBreaker, ExportOutcome, Transition};
use crate::stats::{DestinationStats, DropReason};

pub(crate) struct Worker {
    destination: Arc<dyn Destination>,
    encoder: BatchEncoder,
    resource: Arc<ResourceCell>,
    queue: IntakeReceiver,
    /// When the queue is next looked at if no batch's worth wakes the worker first.
    next_intake: Instant,
    control: mpsc::UnboundedReceiver<Control>,
    stats: Arc<DestinationStats>,
    settings: PipelineSettings,
    breaker: CircuitBreaker,
    buffer: ReplayBuffer,
    batch: Vec<Arc<SpanData>>,
    batch_bytes: usize,
    batch_deadline: Option<Instant>,
    /// The batch whose request is in flight (its future lives in `run`).
    sending: Option<HeldBatch>,
    /// Earliest time the head of the buffer may be (re)sent after a transient failure.
    retry_at: Option<Instant>,
    flush_waiters: Vec<SyncSender<bool>>,
    shutdown: Option<(Instant, SyncSender<()>)>,
    intake_closed: bool,
    control_closed: bool,
    /// The trace ledger and this destination's index in it.
    ledger: Option<(Arc<TraceLedger>, usize)>,
}

impl Worker {
    pub(crate) fn new(
        destination: Arc<dyn Destination>,
        resource: Arc<ResourceCell>,
        queue: IntakeReceiver,
        control: mpsc::UnboundedReceiver<Control>,
        stats: Arc<DestinationStats>,
        settings: PipelineSettings,
        ledger: Option<(Arc<TraceLedger>, usize)>,
    ) -> Self {
        Self {
            encoder: BatchEncoder::for_destination(destination.as_ref()),
            breaker: CircuitBreaker::new(settings.breaker.clone()),
            buffer: ReplayBuffer::new(settings.replay_buffer_bytes),
            batch: Vec::with_capacity(settings.batch_max_spans),
            destination,
            resource,
            queue,
            next_intake: Instant::now(),
            control,
            stats,
            settings,
            batch_bytes: 0,
            batch_deadline: None,
            sending: None,
            retry_at: None,
            flush_waiters: Vec::new(),
            shutdown: None,
            intake_closed: false,
            control_closed: false,
            ledger,
        }
    }

    pub(crate) async fn run(mut self) {
        let mut in_flight: Option<SendFuture> = None;
        let mut incoming: Vec<Arc<SpanData>> = Vec::with_capacity(self.settings.batch_max_spans);
        let woken = self.queue.woken();
        let tick = intake::tick(self.settings.batch_timeout);
        loop {
            if in_flight.is_none() {
                in_flight = self.start_send(Instant::now());
            }
            if in_flight.is_none() {
                self.answer_flush_waiters();
            }
            if self.shutdown_finished(Instant::now(), in_flight.is_some()) {
                break;
            }
            let wake = self.next_wake(in_flight.is_some());
            let limit = self.settings.batch_max_spans.max(1);
            tokio::select! {
                biased;
                command = self.control.recv(), if !self.control_closed => match command {
                    Some(command) => self.on_control(command),
                    // Every pipeline handle is gone without a shutdown: nothing can ask for
                    // more, so deliver what we can within the shutdown timeout and stop.
                    None => {
                        self.control_closed = true;
                        self.on_control(Control::Shutdown {
                            deadline: Instant::now() + self.settings.shutdown_timeout,
                            done: None,
                        });
                    }
                },
                outcome = async { match in_flight.as_mut() { Some(f) => f.await, None => std::future::pending().await } },
                    if in_flight.is_some() => {
                    in_flight = None;
                    self.on_outcome(outcome, Instant::now());
                }
                () = woken.notified(), if !self.intake_closed => {
                    self.take_intake(&mut incoming, limit, tick);
                }
                () = sleep_until(Some(self.next_intake)), if !self.intake_closed => {
                    self.take_intake(&mut incoming, limit, tick);
                }
                () = sleep_until(wake), if wake.is_some() => {
                    let now = Instant::now();
                    if self.batch_deadline.is_some_and(|d| d <= now) {
                        self.seal_batch();
                    }
                }
            }
        }
        self.finish_shutdown(in_flight.is_some());
    }

    fn add_to_batch(&mut self, span: Arc<SpanData>) {
        if self.batch.is_empty() {
            self.batch_deadline = Some(Instant::now() + self.settings.batch_timeout);
        }
        self.batch_bytes += estimate_span_bytes(&span);
        self.batch.push(span);
        if self.batch.len() >= self.settings.batch_max_spans
            || self.batch_bytes >= self.settings.batch_max_bytes
        {
            self.seal_batch();
        }
    }

    /// Encodes the batch being built and appends it to the replay buffer's tail.
    fn seal_batch(&mut self) {
        self.batch_deadline = None;
        self.batch_bytes = 0;
        if self.batch.is_empty() {
            return;
        }
        let resource = self.resource.get();
        let encoded = self
            .encoder
            .encode(&self.batch, &resource, self.destination.as_ref());
        self.batch.clear();
        for batch in encoded {
            let dropped = self.buffer.push_back(HeldBatch::new(batch));
            self.count_overflow(&dropped);
        }
        self.publish_held();
    }

    fn start_send(&mut self, now: Instant) -> Option<SendFuture> {
        if self.buffer.is_empty() || self.retry_at.is_some_and(|at| at > now) {
            return None;
        }
        let (allowed, transition) = self.breaker.try_acquire(now);
        self.note_transition(transition, None);
        if !allowed {
            return None;
        }
        let held = self.buffer.checkout()?;
        if held.attempts > 0 {
            self.stats.add_retry();
        }
        let future = self.destination.send(&held.batch);
        self.sending = Some(held);
        self.publish_held();
        Some(future)
    }

    fn on_outcome(&mut self, outcome: ExportOutcome, now: Instant) {
        let Some(mut held) = self.sending.take() else {
            return;
        };
        self.buffer.check_in(&held);
        match outcome {
            ExportOutcome::Delivered => {
                self.stats.add_delivered(held.spans());
                self.mark(
                    &held,
                    Mark::Delivered {
                        was_held: held.attempts > 0,
                    },
                );
                self.retry_at = None;
                let t = self.breaker.record_success();
                self.note_transition(t, None);
            }
            ExportOutcome::Transient {
                reason,
                retry_after,
            } => {
                self.stats.add_failed_batch("transient", None, &reason);
                held.attempts += 1;
                if held.attempts == 1 {
                    self.mark(&held, Mark::Held);
                }
                let delay = self.settings.retry.delay_after(held.attempts, retry_after);
                self.retry_at = Some(now + delay);
                let t = self.breaker.record_failure(now);
                self.note_transition(t, Some(&reason));
                tracing::debug!(
                    destination = self.destination.name(),
                    attempts = held.attempts,
                    ?delay,
                    "export failed, will retry: {reason}"
                );
                let dropped = self.buffer.push_front(held);
                self.count_overflow(&dropped);
                self.fail_flush_waiters();
            }
            ExportOutcome::Unauthorized { status, reason } => {
                self.stats
                    .add_failed_batch("unauthorized", Some(status), &reason);
                held.attempts += 1;
                if held.attempts == 1 {
                    self.mark(&held, Mark::Held);
                }
                self.retry_at = None;
                let t = self.breaker.force_open(now);
                self.note_transition(
                    t,
                    Some(&format!("credentials refused (HTTP {status}): {reason}")),
                );
                let dropped = self.buffer.push_front(held);
                self.count_overflow(&dropped);
                self.fail_flush_waiters();
            }
            ExportOutcome::TooLarge { reason } => {
                self.stats.add_failed_batch("too_large", Some(413), &reason);
                match split_batch(&held.batch) {
                    Some((first, second)) => {
                        self.stats.add_split();
                        let attempts = held.attempts;
                        let mut dropped = self.buffer.push_front(HeldBatch {
                            batch: second,
                            attempts,
                        });
                        dropped.extend(self.buffer.push_front(HeldBatch {
                            batch: first,
                            attempts,
                        }));
                        self.count_overflow(&dropped);
                    }
                    None => self.drop_permanent(&held, &reason),
                }
                // The back end answered: it is up.
                let t = self.breaker.record_success();
                self.note_transition(t, None);
            }
            ExportOutcome::Rejected { status, reason } => {
                self.stats
                    .add_failed_batch("rejected", Some(status), &reason);
                self.drop_permanent(&held, &format!("HTTP {status}: {reason}"));
                let t = self.breaker.record_success();
                self.note_transition(t, None);
            }
        }
        self.publish_held();
    }

    fn mark(&self, held: &HeldBatch, mark: Mark) {
        if let Some((ledger, index)) = &self.ledger {
            ledger.mark(*index, &held.batch.traces, mark);
        }
    }

    fn drop_permanent(&mut self, held: &HeldBatch, reason: &str) {
        self.stats
            .add_dropped(DropReason::PermanentError, held.spans());
        self.mark(
            held,
            Mark::Dropped {
                was_held: held.attempts > 0,
            },
        );
        tracing::warn!(
            destination = self.destination.name(),
            spans = held.spans(),
            "batch rejected for good and dropped: {reason}"
        );
    }

    fn count_overflow(&mut self, dropped: &[HeldBatch]) {
        let spans: u64 = dropped.iter().map(HeldBatch::spans).sum();
        for held in dropped {
            self.mark(
                held,
                Mark::Dropped {
                    was_held: held.attempts > 0,
                },
            );
        }
        if spans > 0 {
            self.stats.add_dropped(DropReason::Overflow, spans);
            tracing::warn!(
                destination = self.destination.name(),
                spans,
                bound = self.settings.replay_buffer_bytes,
                "replay buffer full: oldest spans dropped"
            );
        }
    }

    fn note_transition(&mut self, transition: Option<Transition>, reason: Option<&str>) {
        let Some(t) = transition else { return };
        self.stats.set_breaker_state(t.to);
        let name = self.destination.name();
        match t.to {
            BreakerState::Open => tracing::warn!(
                destination = name,
                window = ?self.breaker.recovery_window(),
                "circuit breaker opened: {}",
                reason.unwrap_or("consecutive failures")
            ),
            BreakerState::HalfOpen => {
                tracing::info!(destination = name, "circuit breaker half-open: probing")
            }
            BreakerState::Closed => {
                tracing::info!(
                    destination = name,
                    "circuit breaker closed: back end recovered"
                )
            }
        }
    }

    fn publish_held(&self) {
        let sending = self.sending.as_ref();
        let batches = self.buffer.len() + usize::from(sending.is_some());
        let spans = self.buffer.spans() + sending.map_or(0, HeldBatch::spans);
        self.stats
            .set_held(self.buffer.bytes() as u64, batches as u64, spans);
    }

    fn on_control(&mut self, command: Control) {
        match command {
            Control::Flush(reply) => {
                self.drain_queue();
                self.seal_batch();
                // A flush asks for delivery now: skip the backoff wait (not the breaker).
                self.retry_at = None;
                if self.breaker.state() == BreakerState::Open {
                    let _ = reply.try_send(false);
                } else {
                    self.flush_waiters.push(reply);
                }
            }
            Control::ResetBreaker(reply) => {
                let t = self.breaker.reset();
                self.retry_at = None;
                self.note_transition(t, None);
                let _ = reply.try_send(true);
            }
            Control::Shutdown { deadline, done } => {
                self.queue.close();
                self.drain_queue();
                self.intake_closed = true;
                self.seal_batch();
                if let Some(done) = done {
                    self.shutdown = Some((deadline, done));
                } else if self.shutdown.is_none() {
                    let (tx, _rx) = std::sync::mpsc::sync_channel(1);
                    self.shutdown = Some((deadline, tx));
                }
            }
        }
    }

    fn drain_queue(&mut self) {
        while let Some(span) = self.queue.try_recv() {
            self.add_to_batch(span);
        }
    }

    /// Moves what is queued into batches, at most `limit` spans at a time so control
    /// commands and send outcomes are not starved under a flood.
    fn take_intake(&mut self, incoming: &mut Vec<Arc<SpanData>>, limit: usize, tick: Duration) {
        let taken = self.queue.take(incoming, limit);
        for span in incoming.drain(..) {
            self.add_to_batch(span);
        }
        match taken {
            // More is waiting: come back at once (the select sees an expired deadline).
            Taken::Full => self.next_intake = Instant::now(),
            Taken::Empty => self.next_intake = Instant::now() + tick,
            Taken::Closed => {
                self.intake_closed = true;
                self.seal_batch();
            }
        }
    }

    fn answer_flush_waiters(&mut self) {
        if !self.flush_waiters.is_empty() && self.buffer.is_empty() && self.sending.is_none() {
            for waiter in self.flush_waiters.drain(..) {
                let _ = waiter.try_send(true);
            }
        }
    }

    fn fail_flush_waiters(&mut self) {
        for waiter in self.flush_waiters.drain(..) {
            let _ = waiter.try_send(false);
        }
    }

    /// Shutdown is finished when everything is delivered, or when the deadline passed, or
    /// when nothing more can be sent before it (breaker open or backoff past the deadline).
    fn shutdown_finished(&self, now: Instant, sending: bool) -> bool {
        let Some((deadline, _)) = &self.shutdown else {
            return false;
        };
        if now >= *deadline {
            return true;
        }
        if sending {
            return false;
        }
        if self.buffer.is_empty() && self.batch.is_empty() {
            return true;
        }
        let blocked_until = self
            .retry_at
            .into_iter()
            .chain(self.breaker.open_until())
            .max();
        blocked_until.is_some_and(|t| t > *deadline)
    }

    fn finish_shutdown(&mut self, request_in_flight: bool) {
        let mut leftovers = self.buffer.drain_all();
        if request_in_flight && let Some(held) = self.sending.take() {
            self.buffer.check_in(&held);
            leftovers.push(held);
        }
        let mut undelivered = self.batch.len() as u64;
        if let Some((ledger, index)) = &self.ledger {
            let mut unsealed: Vec<([u8; 16], u32)> = Vec::new();
            for span in &self.batch {
                let id = span.span_context.trace_id().to_bytes();
                match unsealed.iter_mut().find(|(t, _)| *t == id) {
                    Some((_, n)) => *n += 1,
                    None => unsealed.push((id, 1)),
                }
            }
            ledger.mark(*index, &unsealed, Mark::Dropped { was_held: false });
        }
        self.batch.clear();
        for held in &leftovers {
            undelivered += held.spans();
            self.mark(
                held,
                Mark::Dropped {
                    was_held: held.attempts > 0,
                },
            );
        }
        if undelivered > 0 {
            self.stats.add_dropped(DropReason::Shutdown, undelivered);
            tracing::warn!(
                destination = self.destination.name(),
                spans = undelivered,
                "shutdown deadline reached: spans not delivered"
            );
        }
        self.publish_held();
        self.fail_flush_waiters();
        if let Some((_, done)) = self.shutdown.take() {
            let _ = done.try_send(());
        }
    }

    fn next_wake(&self, sending: bool) -> Option<Instant> {
        let mut wake = self.batch_deadline;
        if !sending && !self.buffer.is_empty() {
            let resume = self
                .retry_at
                .into_iter()
                .chain(self.breaker.open_until())
                .max();
            wake = min_opt(wake, resume);
        }
        if let Some((deadline, _)) = &self.shutdown {
            wake = min_opt(wake, Some(*deadline));
        }
        wake
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// A cheap upper-bound guess of a span's protobuf size, for the batch byte bound.
fn estimate_span_bytes(span: &SpanData) -> usize {
    fn value_bytes(v: &Value) -> usize {
        match v {
            Value::String(s) => s.as_str().len() + 4,
            Value::Array(a) => a.to_string().len() + 8,
            _ => 10,
        }
    }
    let attrs: usize = span
        .attributes
        .iter()
        .map(|kv| kv.key.as_str().len() + value_bytes(&kv.value) + 6)
        .sum();
    let events: usize = span
        .events
        .iter()
        .map(|e| {
            e.name.len()
                + 16
                + e.attributes
                    .iter()
                    .map(|kv| kv.key.as_str().len() + value_bytes(&kv.value) + 6)
                    .sum::<usize>()
        })
        .sum();
    80 + span.name.len() + attrs + events + span.links.len() * 48
}
