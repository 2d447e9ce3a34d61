//! The export worker of one destination: batches spans from its queue, encodes them with the
//! destination's view, and sends them one request at a time (while batching goes on), with
//! retry, circuit breaker and replay buffer. Runs on the export runtime, never on the app's.

use std::collections::VecDeque;
use std::path::PathBuf;
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
use crate::spool::{DestinationSpool, FsyncPolicy, SpooledBatch};
use crate::stats::{DestinationStats, DropReason};

/// Where a destination's spool lives; opened by the worker on the export thread.
pub(crate) struct SpoolPlan {
    pub(crate) dir: PathBuf,
    pub(crate) max_bytes: u64,
    pub(crate) fsync: FsyncPolicy,
}

/// Where the batch in flight came from, which decides what its outcome does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The in-memory replay buffer.
    Memory,
    /// The disk spool's head record, by seq (acknowledged once delivered or dropped).
    Spool(u64),
    /// A part of a split spool record (the record is acknowledged when all parts are done).
    Front,
}

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
    sending_origin: Origin,
    /// The disk spool, when configured: while it holds anything (or the breaker is not
    /// closed), new batches go to it, so it always holds the oldest batches.
    spool: Option<DestinationSpool>,
    spool_plan: Option<SpoolPlan>,
    /// Failed attempts of the spool's head record.
    spool_attempts: u32,
    /// Parts of a spool record split after a 413, sent before anything else, and the
    /// record they came from.
    front: VecDeque<HeldBatch>,
    front_record: Option<u64>,
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
    #[expect(
        clippy::too_many_arguments,
        reason = "one constructor, called once per destination by Pipeline::start"
    )]
    pub(crate) fn new(
        destination: Arc<dyn Destination>,
        resource: Arc<ResourceCell>,
        queue: IntakeReceiver,
        control: mpsc::UnboundedReceiver<Control>,
        stats: Arc<DestinationStats>,
        settings: PipelineSettings,
        ledger: Option<(Arc<TraceLedger>, usize)>,
        spool_plan: Option<SpoolPlan>,
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
            sending_origin: Origin::Memory,
            spool: None,
            spool_plan,
            spool_attempts: 0,
            front: VecDeque::new(),
            front_record: None,
            retry_at: None,
            flush_waiters: Vec::new(),
            shutdown: None,
            intake_closed: false,
            control_closed: false,
            ledger,
        }
    }

    pub(crate) async fn run(mut self) {
        self.open_spool();
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
        let to_spool = self.spool_is_taking();
        for batch in encoded {
            if to_spool {
                self.spool_or_hold(HeldBatch::new(batch));
            } else {
                let dropped = self.buffer.push_back(HeldBatch::new(batch));
                self.count_overflow(&dropped);
            }
        }
        self.publish_held();
    }

    fn open_spool(&mut self) {
        let Some(plan) = self.spool_plan.take() else {
            return;
        };
        match DestinationSpool::open(plan.dir.clone(), plan.max_bytes, plan.fsync) {
            Ok((spool, recovered)) => {
                self.stats
                    .add_spool_recovered(recovered.spans, recovered.damaged);
                if recovered.batches > 0 || recovered.damaged > 0 {
                    tracing::info!(
                        destination = self.destination.name(),
                        spans = recovered.spans,
                        batches = recovered.batches,
                        damaged = recovered.damaged,
                        "spool holds spans from an earlier run: replaying them first"
                    );
                }
                self.spool = Some(spool);
            }
            Err(e) => {
                self.stats.add_spool_error();
                tracing::error!(
                    destination = self.destination.name(),
                    dir = %plan.dir.display(),
                    "cannot open the disk spool, holding batches in memory only: {e}"
                );
            }
        }
        self.publish_held();
    }

    /// New batches go to the spool while it holds older ones (order is kept) or while the
    /// back end is failing (the breaker is not closed).
    fn spool_is_taking(&self) -> bool {
        self.spool
            .as_ref()
            .is_some_and(|spool| !spool.is_empty() || self.breaker.state() != BreakerState::Closed)
    }

    /// Writes a batch to the spool; on an I/O error it is held in memory instead.
    fn spool_or_hold(&mut self, held: HeldBatch) {
        let Some(spool) = self.spool.as_mut() else {
            let dropped = self.buffer.push_back(held);
            self.count_overflow(&dropped);
            return;
        };
        let was_empty = spool.is_empty();
        match spool.append(&held.batch) {
            Ok(evicted) => {
                if was_empty {
                    self.spool_attempts = held.attempts;
                }
                self.stats.add_spooled(held.spans());
                self.count_spool_eviction(&evicted);
            }
            Err(e) => {
                self.stats.add_spool_error();
                tracing::warn!(
                    destination = self.destination.name(),
                    "cannot write to the disk spool, holding the batch in memory: {e}"
                );
                let dropped = self.buffer.push_back(held);
                self.count_overflow(&dropped);
            }
        }
    }

    /// After a failure: everything held in memory moves to the spool, oldest first.
    fn spill_to_spool(&mut self) {
        if self.spool.is_none() {
            return;
        }
        for held in self.buffer.drain_all() {
            self.spool_or_hold(held);
        }
    }

    fn count_spool_eviction(&mut self, evicted: &[SpooledBatch]) {
        let in_flight = match self.sending_origin {
            Origin::Spool(seq) if self.sending.is_some() => Some(seq),
            _ => None,
        };
        // The record in flight is counted by its outcome instead.
        let spans: u64 = evicted
            .iter()
            .filter(|b| Some(b.seq) != in_flight)
            .map(|b| u64::from(b.span_count))
            .sum();
        if let Some((ledger, index)) = &self.ledger {
            for b in evicted.iter().filter(|b| Some(b.seq) != in_flight) {
                ledger.mark(*index, &b.traces, Mark::Dropped { was_held: true });
            }
        }
        if spans > 0 {
            self.stats.add_dropped(DropReason::Overflow, spans);
            tracing::warn!(
                destination = self.destination.name(),
                spans,
                "disk spool full: oldest segment dropped"
            );
        }
    }

    /// Reads the spool's head for sending; damaged records are skipped and counted.
    fn read_spool_head(&mut self) -> Option<(HeldBatch, u64)> {
        loop {
            let spool = self.spool.as_mut()?;
            let head = spool.head()?.clone();
            match spool.read(&head) {
                Ok(batch) => {
                    return Some((
                        HeldBatch {
                            batch,
                            attempts: self.spool_attempts,
                        },
                        head.seq,
                    ));
                }
                Err(e) => {
                    let acknowledged = spool.acknowledge(head.seq);
                    self.stats.add_spool_damaged();
                    self.stats
                        .add_dropped(DropReason::SpoolDamaged, u64::from(head.span_count));
                    self.spool_attempts = 0;
                    tracing::warn!(
                        destination = self.destination.name(),
                        spans = head.span_count,
                        "spool record unreadable, skipped: {e}"
                    );
                    if let Err(e) = acknowledged {
                        self.stats.add_spool_error();
                        tracing::warn!("cannot update the spool's cursor: {e}");
                        return None;
                    }
                }
            }
        }
    }

    /// A spool record is done (delivered or dropped): the spool forgets it.
    fn acknowledge_spooled(&mut self, seq: u64) {
        self.spool_attempts = 0;
        if let Some(spool) = self.spool.as_mut()
            && let Err(e) = spool.acknowledge(seq)
        {
            self.stats.add_spool_error();
            tracing::warn!(
                destination = self.destination.name(),
                "cannot update the spool's cursor (the batch may be sent again after a restart): {e}"
            );
        }
    }

    /// The batch that was in flight is done with; release whatever its origin holds.
    fn settle(&mut self, origin: Origin) {
        match origin {
            Origin::Memory => {}
            Origin::Spool(seq) => self.acknowledge_spooled(seq),
            Origin::Front => {
                if self.front.is_empty()
                    && let Some(seq) = self.front_record.take()
                {
                    self.acknowledge_spooled(seq);
                }
            }
        }
    }

    fn start_send(&mut self, now: Instant) -> Option<SendFuture> {
        let spool_waiting = self.spool.as_ref().is_some_and(|s| !s.is_empty());
        if (self.buffer.is_empty() && self.front.is_empty() && !spool_waiting)
            || self.retry_at.is_some_and(|at| at > now)
            || self.breaker.open_until().is_some_and(|until| until > now)
        {
            return None;
        }
        // Oldest first: parts of a split spool record, then the spool, then memory.
        let (held, origin) = if !self.front.is_empty() {
            (self.front.pop_front()?, Origin::Front)
        } else if spool_waiting {
            match self.read_spool_head() {
                Some((held, seq)) => (held, Origin::Spool(seq)),
                None => {
                    self.publish_held();
                    return None;
                }
            }
        } else {
            let held = self.buffer.checkout()?;
            (held, Origin::Memory)
        };
        let (allowed, transition) = self.breaker.try_acquire(now);
        self.note_transition(transition, None);
        if !allowed {
            match origin {
                Origin::Memory => {
                    self.buffer.check_in(&held);
                    let dropped = self.buffer.push_front(held);
                    self.count_overflow(&dropped);
                }
                Origin::Front => self.front.push_front(held),
                // Still on disk: read again next time.
                Origin::Spool(_) => {}
            }
            return None;
        }
        if held.attempts > 0 {
            self.stats.add_retry();
        }
        let future = self.destination.send(&held.batch);
        self.sending = Some(held);
        self.sending_origin = origin;
        self.publish_held();
        Some(future)
    }

    /// Holds a batch that failed transiently or was throttled and schedules the next
    /// attempt after the backoff, or the server's `Retry-After` when that is longer.
    fn retry_later(
        &mut self,
        mut held: HeldBatch,
        origin: Origin,
        reason: &str,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        held.attempts += 1;
        if held.attempts == 1 {
            self.mark(&held, Mark::Held);
        }
        let delay = self.settings.retry.delay_after(held.attempts, retry_after);
        self.retry_at = Some(now + delay);
        tracing::debug!(
            destination = self.destination.name(),
            attempts = held.attempts,
            ?delay,
            "export failed, will retry: {reason}"
        );
        self.hold_for_retry(held, origin);
        self.fail_flush_waiters();
    }

    fn on_outcome(&mut self, outcome: ExportOutcome, now: Instant) {
        let Some(mut held) = self.sending.take() else {
            return;
        };
        let origin = self.sending_origin;
        if origin == Origin::Memory {
            self.buffer.check_in(&held);
        }
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
                self.settle(origin);
            }
            ExportOutcome::Transient {
                reason,
                retry_after,
            } => {
                self.stats.add_failed_batch("transient", None, &reason);
                let t = self.breaker.record_failure(now);
                self.note_transition(t, Some(&reason));
                self.retry_later(held, origin, &reason, retry_after, now);
            }
            ExportOutcome::Throttled {
                reason,
                retry_after,
            } => {
                // The back end is up and asked us to slow down: wait as it says, without
                // counting it as a failure of the back end (see `record_throttled`).
                self.stats.add_failed_batch("throttled", Some(429), &reason);
                let t = self.breaker.record_throttled();
                self.note_transition(t, None);
                self.retry_later(held, origin, &reason, retry_after, now);
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
                self.hold_for_retry(held, origin);
                self.fail_flush_waiters();
            }
            ExportOutcome::TooLarge { reason } => {
                self.stats.add_failed_batch("too_large", Some(413), &reason);
                match split_batch(&held.batch) {
                    Some((first, second)) => {
                        self.stats.add_split();
                        let attempts = held.attempts;
                        let first = HeldBatch {
                            batch: first,
                            attempts,
                        };
                        let second = HeldBatch {
                            batch: second,
                            attempts,
                        };
                        match origin {
                            Origin::Memory => {
                                let mut dropped = self.buffer.push_front(second);
                                dropped.extend(self.buffer.push_front(first));
                                self.count_overflow(&dropped);
                            }
                            // The record stays on disk until every part is done.
                            Origin::Spool(seq) => {
                                self.front_record = Some(seq);
                                self.front.push_back(first);
                                self.front.push_back(second);
                            }
                            Origin::Front => {
                                self.front.push_front(second);
                                self.front.push_front(first);
                            }
                        }
                    }
                    None => {
                        self.drop_permanent(&held, &reason);
                        self.settle(origin);
                    }
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
                self.settle(origin);
            }
        }
        self.publish_held();
    }

    /// A batch that failed for now goes back to the head of where it came from; with a
    /// spool, what memory held moves to disk (the back end is failing).
    fn hold_for_retry(&mut self, held: HeldBatch, origin: Origin) {
        match origin {
            Origin::Memory => {
                let dropped = self.buffer.push_front(held);
                self.count_overflow(&dropped);
                self.spill_to_spool();
            }
            Origin::Spool(seq) => {
                self.spool_attempts = held.attempts;
                if !self.spool.as_ref().is_some_and(|s| s.holds(seq)) {
                    // Evicted from the full spool while it was in flight.
                    self.count_overflow(std::slice::from_ref(&held));
                }
            }
            Origin::Front => self.front.push_front(held),
        }
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
        // A spool record in flight is counted in the spool, not in memory.
        let sending = self
            .sending
            .as_ref()
            .filter(|_| !matches!(self.sending_origin, Origin::Spool(_)));
        let front_bytes: usize = self.front.iter().map(|h| h.batch.body.len()).sum();
        let front_spans: u64 = self.front.iter().map(HeldBatch::spans).sum();
        let batches = self.buffer.len() + self.front.len() + usize::from(sending.is_some());
        let spans = self.buffer.spans() + front_spans + sending.map_or(0, HeldBatch::spans);
        let extra = if self.sending_origin == Origin::Front {
            sending.map_or(0, |h| h.batch.body.len())
        } else {
            0
        };
        self.stats.set_held(
            (self.buffer.bytes() + front_bytes + extra) as u64,
            batches as u64,
            spans,
        );
        if let Some(spool) = &self.spool {
            self.stats
                .set_spooled(spool.bytes(), spool.len() as u64, spool.spans());
        }
    }

    /// Nothing waits anywhere: memory, split parts, spool, or in flight.
    fn all_sent(&self) -> bool {
        self.buffer.is_empty()
            && self.front.is_empty()
            && self.sending.is_none()
            && self.spool.as_ref().is_none_or(DestinationSpool::is_empty)
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
        if !self.flush_waiters.is_empty() && self.all_sent() {
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
        if self.all_sent() && self.batch.is_empty() {
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
        let mut leftovers = Vec::new();
        if request_in_flight && let Some(held) = self.sending.take() {
            match self.sending_origin {
                Origin::Memory => {
                    self.buffer.check_in(&held);
                    leftovers.push(held);
                }
                // Its record is still on disk, not acknowledged: the next run sends it.
                Origin::Spool(_) | Origin::Front => {}
            }
        }
        leftovers.extend(self.buffer.drain_all());
        if self.spool.is_some() {
            // Parts of a split record: the record itself is still on disk.
            self.front.clear();
            // Kept for the next run instead of dropped.
            for held in std::mem::take(&mut leftovers) {
                self.spool_or_hold(held);
            }
            leftovers.extend(self.buffer.drain_all());
            if let Some(spool) = self.spool.as_mut()
                && let Err(e) = spool.sync()
            {
                self.stats.add_spool_error();
                tracing::warn!("cannot sync the disk spool at shutdown: {e}");
            }
            let left = self.spool.as_ref().map_or(0, DestinationSpool::spans);
            if left > 0 {
                tracing::info!(
                    destination = self.destination.name(),
                    spans = left,
                    "undelivered spans kept in the disk spool for the next run"
                );
            }
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
        if !sending && !self.all_sent() {
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
