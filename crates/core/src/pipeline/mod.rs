//! The export pipeline: a [`FanoutProcessor`] hands each ended span to every destination's
//! bounded queue; one worker per destination, on a dedicated export thread, does the rest.
//! With tail sampling on, the processor hands the span to the tail sampler's queue instead,
//! and the sampler task (same thread) forwards the spans of kept traces to those queues.

mod intake;
pub mod ledger;
mod processor;
mod replay;
mod tail;
mod worker;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use serde::Serialize;
use tokio::sync::mpsc;

pub use ledger::{TraceDetail, TraceLedger, TraceSummary};
pub use processor::FanoutProcessor;

use crate::config::PipelineSettings;
use crate::destination::Destination;
use crate::error::BridgeError;
use crate::stats::{
    BridgeStats, DestinationSnapshot, DestinationStats, FailureRecord, TailSamplingStats,
};

/// Commands from the handle to a worker.
pub(crate) enum Control {
    Flush(std::sync::mpsc::SyncSender<bool>),
    ResetBreaker(std::sync::mpsc::SyncSender<bool>),
    Shutdown {
        deadline: Instant,
        done: Option<std::sync::mpsc::SyncSender<()>>,
    },
}

/// The resource every request carries; replaceable by the tracer provider's own
/// (`SpanProcessor::set_resource`), read once per batch.
#[derive(Debug)]
pub(crate) struct ResourceCell(Mutex<Arc<ProtoResource>>);

impl ResourceCell {
    fn new(resource: ProtoResource) -> Self {
        Self(Mutex::new(Arc::new(resource)))
    }

    pub(crate) fn get(&self) -> Arc<ProtoResource> {
        match self.0.lock() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub(crate) fn set(&self, resource: ProtoResource) {
        let mut slot = match self.0.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Arc::new(resource);
    }
}

/// One destination's entrance: its control channel, its counters (its queue is in
/// [`processor::Fanout`]).
#[derive(Debug)]
pub(crate) struct Lane {
    pub(crate) name: String,
    pub(crate) endpoint: String,
    control: mpsc::UnboundedSender<Control>,
    pub(crate) stats: Arc<DestinationStats>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) lanes: Vec<Lane>,
    pub(crate) accepting: AtomicBool,
    pub(crate) spans_after_shutdown: Arc<AtomicU64>,
    pub(crate) resource: Arc<ResourceCell>,
    pub(crate) ledger: Option<Arc<TraceLedger>>,
    /// Every destination's queue and the ledger's: where an exported span goes.
    pub(crate) fanout: processor::Fanout,
    /// The tail sampler, when tail sampling is on: spans go to it instead of `fanout`.
    pub(crate) tail: Option<tail::TailHandle>,
    /// The ledger's end of its queue, shared by the ledger task and `flush` (which records
    /// what is queued before it returns, so diagnostics show every flushed span).
    ledger_intake: Option<Arc<Mutex<intake::IntakeReceiver>>>,
    settings: PipelineSettings,
    thread: Mutex<Option<JoinHandle<()>>>,
    report: Mutex<Option<ShutdownReport>>,
}

/// Handle to a running export pipeline. Cheap to clone; every clone controls the same
/// pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    shared: Arc<Shared>,
}

/// Result of [`Pipeline::flush`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlushReport {
    /// True when every destination delivered everything it held before the deadline.
    pub complete: bool,
    /// Per destination: whether it delivered all it held.
    pub destinations: Vec<(String, bool)>,
    /// Counters after the flush.
    pub stats: BridgeStats,
}

/// Result of [`Pipeline::shutdown`]: what was delivered and what was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShutdownReport {
    /// True when every destination finished before the timeout with nothing left behind,
    /// in memory or in the disk spool (spooled spans are kept for the next run, not lost).
    pub complete: bool,
    /// How long the shutdown took.
    pub elapsed_ms: u64,
    /// Spans that ended after shutdown began (not exported).
    pub spans_after_shutdown: u64,
    /// Final counters per destination.
    pub destinations: Vec<DestinationSnapshot>,
}

impl ShutdownReport {
    /// Spans delivered by each destination over the pipeline's life.
    pub fn delivered(&self, destination: &str) -> Option<u64> {
        self.destination(destination).map(|d| d.spans_delivered)
    }

    /// The final counters of one destination.
    pub fn destination(&self, name: &str) -> Option<&DestinationSnapshot> {
        self.destinations.iter().find(|d| d.destination == name)
    }

    /// Spans that were not delivered, over all destinations and reasons.
    pub fn undelivered(&self) -> u64 {
        self.destinations.iter().map(|d| d.dropped.total()).sum()
    }
}

impl Pipeline {
    /// Starts the export thread with one worker per destination. Never contacts a back end:
    /// an unreachable destination shows up later, in stats, not here.
    pub fn start(
        destinations: Vec<Arc<dyn Destination>>,
        settings: PipelineSettings,
        resource: &Resource,
    ) -> Result<Self, BridgeError> {
        let mut names = std::collections::HashSet::new();
        for d in &destinations {
            if !names.insert(d.name().to_owned()) {
                return Err(BridgeError::DuplicateDestination(d.name().to_owned()));
            }
        }
        let resource = Arc::new(ResourceCell::new(crate::destination::resource_to_proto(
            resource,
        )));
        let ledger = (settings.recent_traces > 0).then(|| {
            Arc::new(TraceLedger::new(
                settings.recent_traces,
                destinations.iter().map(|d| d.name().to_owned()).collect(),
            ))
        });
        // Taken here, so a second process on the same directory fails at startup; held by
        // the export thread until its workers have finished with the spool.
        let spool_lock = match &settings.spool {
            Some(spool) => Some(crate::spool::SpoolLock::acquire(&spool.dir)?),
            None => None,
        };
        let spool_share = settings
            .spool
            .as_ref()
            .map(|s| s.max_bytes / destinations.len().max(1) as u64);
        let mut lanes = Vec::new();
        let mut lane_queues = Vec::new();
        let mut workers = Vec::new();
        for (index, destination) in destinations.into_iter().enumerate() {
            let (queue_tx, queue_rx) =
                intake::channel(settings.queue_capacity, settings.batch_max_spans);
            let (control_tx, control_rx) = mpsc::unbounded_channel();
            let stats = Arc::new(DestinationStats::default());
            lane_queues.push((queue_tx, Arc::clone(&stats)));
            lanes.push(Lane {
                name: destination.name().to_owned(),
                endpoint: destination.endpoint(),
                control: control_tx,
                stats: Arc::clone(&stats),
            });
            let spool =
                settings
                    .spool
                    .as_ref()
                    .zip(spool_share)
                    .map(|(s, share)| worker::SpoolPlan {
                        dir: s.destination_dir(destination.name()),
                        max_bytes: share,
                        fsync: s.fsync,
                    });
            workers.push(worker::Worker::new(
                destination,
                Arc::clone(&resource),
                queue_rx,
                control_rx,
                stats,
                settings.clone(),
                ledger.as_ref().map(|l| (Arc::clone(l), index)),
                spool,
            ));
        }

        // The ledger reads spans from a queue of its own, so diagnostics never slow the
        // hot path or a destination; a full ledger queue only loses diagnostics.
        let (ledger_queue, ledger_intake, ledger_task) = match &ledger {
            Some(l) => {
                let (tx, rx) = intake::channel(settings.queue_capacity, settings.batch_max_spans);
                let rx = Arc::new(Mutex::new(rx));
                let task = ledger_task(
                    Arc::clone(l),
                    Arc::clone(&rx),
                    settings.batch_max_spans,
                    intake::tick(settings.batch_timeout),
                );
                (Some(tx), Some(rx), Some(task))
            }
            None => (None, None, None),
        };
        let spans_after_shutdown = Arc::new(AtomicU64::new(0));
        let fanout = processor::Fanout {
            lanes: lane_queues,
            ledger: ledger_queue.zip(ledger.clone()),
            spans_after_shutdown: Arc::clone(&spans_after_shutdown),
        };

        // Tail sampling: one more queue and a task that forwards what it keeps to `fanout`.
        let (tail, tail_task) = match &settings.tail_sampling {
            Some(tail_settings) => {
                let (queue, rx) =
                    intake::channel(settings.queue_capacity, settings.batch_max_spans);
                let (control, control_rx) = mpsc::unbounded_channel();
                let stats = Arc::new(TailSamplingStats::default());
                let task = tail::run(
                    tail::TailSampler::new(tail_settings, Arc::clone(&stats)),
                    rx,
                    control_rx,
                    fanout.clone(),
                    settings.batch_max_spans,
                    intake::tick(settings.batch_timeout),
                );
                (
                    Some(tail::TailHandle {
                        queue,
                        control,
                        stats,
                    }),
                    Some(task),
                )
            }
            None => (None, None),
        };

        let threads = settings.export_threads.max(1);
        let runtime = if threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("genai-telemetry-export")
                .on_thread_start(yield_to_the_application)
                .enable_all()
                .build()
        }
        .map_err(|e| BridgeError::ExportThread(e.to_string()))?;
        let thread = std::thread::Builder::new()
            .name("genai-telemetry-export".to_owned())
            .spawn(move || {
                yield_to_the_application();
                runtime.block_on(async move {
                    if let Some(task) = ledger_task {
                        tokio::spawn(task);
                    }
                    if let Some(task) = tail_task {
                        tokio::spawn(task);
                    }
                    let handles: Vec<_> =
                        workers.into_iter().map(|w| tokio::spawn(w.run())).collect();
                    for h in handles {
                        let _ = h.await;
                    }
                });
                drop(spool_lock);
            })
            .map_err(|e| BridgeError::ExportThread(e.to_string()))?;

        Ok(Self {
            shared: Arc::new(Shared {
                lanes,
                accepting: AtomicBool::new(true),
                spans_after_shutdown,
                resource,
                ledger,
                fanout,
                tail,
                ledger_intake,
                settings,
                thread: Mutex::new(Some(thread)),
                report: Mutex::new(None),
            }),
        })
    }

    /// The span processor to register with an `SdkTracerProvider`.
    pub fn processor(&self) -> FanoutProcessor {
        FanoutProcessor::new(Arc::clone(&self.shared))
    }

    /// Names of the destinations, in order.
    pub fn destination_names(&self) -> Vec<String> {
        self.shared.lanes.iter().map(|l| l.name.clone()).collect()
    }

    /// Endpoint of each destination (no secrets), in order.
    pub fn destination_endpoints(&self) -> Vec<(String, String)> {
        self.shared
            .lanes
            .iter()
            .map(|l| (l.name.clone(), l.endpoint.clone()))
            .collect()
    }

    /// The settings the pipeline runs with.
    pub fn settings(&self) -> &PipelineSettings {
        &self.shared.settings
    }

    /// A snapshot of every counter.
    pub fn stats(&self) -> BridgeStats {
        BridgeStats {
            spans_after_shutdown: self.shared.spans_after_shutdown.load(Ordering::Relaxed),
            destinations: self
                .shared
                .lanes
                .iter()
                .map(|l| l.stats.snapshot(&l.name))
                .collect(),
            tail_sampling: self.shared.tail.as_ref().map(|t| t.stats.snapshot()),
        }
    }

    /// Asks the tail sampler (when on) to take what is queued and forward the spans of
    /// decided traces, or to decide everything and stop; waits until `deadline`.
    fn settle_tail(&self, command: fn(SyncSender<()>) -> tail::TailControl, deadline: Instant) {
        let Some(tail) = &self.shared.tail else {
            return;
        };
        let (tx, rx) = sync_channel(1);
        if tail.control.send(command(tx)).is_ok() {
            let _ = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        }
    }

    /// Sends everything queued, batched and held now, and waits up to `timeout` for it to
    /// be delivered. Blocks the calling thread (safe inside async code: the export runs on
    /// its own thread), so prefer calling it from `spawn_blocking` in hot async paths.
    ///
    /// With tail sampling on, the sampler first takes every span queued for it and
    /// forwards the spans of traces decided by then (their local root ended), so a flush
    /// is exact for finished traces; traces still in progress keep waiting for their root
    /// (or their decision wait) and are not part of the flush.
    pub fn flush(&self, timeout: Duration) -> FlushReport {
        let deadline = Instant::now() + timeout;
        self.settle_tail(tail::TailControl::Flush, deadline);
        if let (Some(ledger), Some(rx)) = (&self.shared.ledger, &self.shared.ledger_intake) {
            let mut spans = Vec::new();
            drain_ledger(ledger, rx, self.shared.settings.batch_max_spans, &mut spans);
        }
        let waits: Vec<(String, Option<Receiver<bool>>)> = self
            .shared
            .lanes
            .iter()
            .map(|lane| {
                let (tx, rx) = sync_channel(1);
                let sent = lane.control.send(Control::Flush(tx)).is_ok();
                (lane.name.clone(), sent.then_some(rx))
            })
            .collect();
        let destinations: Vec<(String, bool)> = waits
            .into_iter()
            .map(|(name, rx)| {
                let ok = rx.is_some_and(|rx| {
                    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                        .unwrap_or(false)
                });
                (name, ok)
            })
            .collect();
        FlushReport {
            complete: destinations.iter().all(|(_, ok)| *ok),
            destinations,
            stats: self.stats(),
        }
    }

    /// Closes a destination's circuit breaker by hand. False when no such destination.
    pub fn reset_breaker(&self, destination: &str) -> bool {
        let Some(lane) = self.shared.lanes.iter().find(|l| l.name == destination) else {
            return false;
        };
        let (tx, rx) = sync_channel(1);
        if lane.control.send(Control::ResetBreaker(tx)).is_err() {
            return false;
        }
        rx.recv_timeout(Duration::from_secs(5)).unwrap_or(false)
    }

    /// Stops intake, delivers what it can within `timeout`, stops the export thread and
    /// reports what was delivered and what was not. Idempotent: later calls return the
    /// first report.
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let mut report_slot = match self.shared.report.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(report) = report_slot.as_ref() {
            return report.clone();
        }
        let started = Instant::now();
        let deadline = started + timeout;
        self.shared.accepting.store(false, Ordering::SeqCst);
        // Tail sampling: every waiting trace is decided and its kept spans queued for the
        // destinations before they are told to stop.
        self.settle_tail(tail::TailControl::Shutdown, deadline);
        let waits: Vec<Option<Receiver<()>>> = self
            .shared
            .lanes
            .iter()
            .map(|lane| {
                let (tx, rx) = sync_channel(1);
                lane.control
                    .send(Control::Shutdown {
                        deadline,
                        done: Some(tx),
                    })
                    .is_ok()
                    .then_some(rx)
            })
            .collect();
        let mut complete = true;
        for rx in waits.into_iter().flatten() {
            // Workers stop by the deadline themselves; the margin covers a request that
            // was in flight when it passed.
            let wait =
                deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(250);
            if rx.recv_timeout(wait).is_err() {
                complete = false;
            }
        }
        if complete {
            let handle = self.shared.thread.lock().ok().and_then(|mut t| t.take());
            if let Some(handle) = handle {
                let _ = handle.join();
            }
        }
        let stats = self.stats();
        let complete = complete
            && stats
                .destinations
                .iter()
                .all(|d| d.dropped.shutdown == 0 && d.spans_held == 0 && d.spool.spans == 0);
        let report = ShutdownReport {
            complete,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            spans_after_shutdown: stats.spans_after_shutdown,
            destinations: stats.destinations,
        };
        *report_slot = Some(report.clone());
        report
    }

    /// The most recent traces (newest first) with per-destination delivery status; empty
    /// when `recent_traces` is 0.
    pub fn recent_traces(&self, limit: usize) -> Vec<TraceSummary> {
        self.shared
            .ledger
            .as_ref()
            .map(|l| l.recent(limit))
            .unwrap_or_default()
    }

    /// One recent trace with its spans, by 32-digit hex id.
    pub fn trace(&self, trace_id: &str) -> Option<TraceDetail> {
        let id = ledger::parse_trace_id(trace_id)?;
        self.shared.ledger.as_ref()?.trace(&id)
    }

    /// The trace ledger, when enabled (GenAI usage aggregates, missed spans).
    pub fn ledger(&self) -> Option<&TraceLedger> {
        self.shared.ledger.as_deref()
    }

    /// Recent export failures of every destination, newest first.
    pub fn recent_failures(&self, limit: usize) -> Vec<FailureRecord> {
        let mut all: Vec<FailureRecord> = self
            .shared
            .lanes
            .iter()
            .flat_map(|l| l.stats.recent_failures(&l.name))
            .collect();
        all.sort_by_key(|f| std::cmp::Reverse(f.at_unix_ms));
        all.truncate(limit);
        all
    }

    /// Whether shutdown has begun.
    pub fn is_shut_down(&self) -> bool {
        !self.shared.accepting.load(Ordering::SeqCst)
    }

    /// Replaces the resource sent with every batch.
    pub fn set_resource(&self, resource: &Resource) {
        self.shared
            .resource
            .set(crate::destination::resource_to_proto(resource));
    }
}

/// Lowers the calling thread's scheduling priority (about nice 9 on Linux), so that when
/// the application and the export compete for cores, the application's threads win:
/// encoding a batch is then done in the cores' spare time instead of delaying requests
/// (`cargo xtask bench` measured the dual-export p99 overhead falling about threefold on 2
/// cores). The export still gets its share under sustained load, and held data is bounded
/// as always. Where the platform refuses, the thread keeps its priority.
fn yield_to_the_application() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    // 25 of 0..=99 maps to nice 9 on Linux (the crate spreads the range over -20..=19).
    let lower = ThreadPriorityValue::try_from(25u8).map(ThreadPriority::Crossplatform);
    match lower.map(set_current_thread_priority) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!("export thread keeps its priority: {e:?}"),
        Err(e) => tracing::debug!("export thread keeps its priority: {e}"),
    }
}

async fn ledger_task(
    ledger: Arc<TraceLedger>,
    rx: Arc<Mutex<intake::IntakeReceiver>>,
    chunk: usize,
    tick: Duration,
) {
    let woken = rx.lock().unwrap_or_else(PoisonError::into_inner).woken();
    let mut spans = Vec::with_capacity(chunk.max(1));
    loop {
        tokio::select! {
            () = woken.notified() => {}
            () = tokio::time::sleep(tick) => {}
        }
        if !drain_ledger(&ledger, &rx, chunk, &mut spans) {
            return;
        }
    }
}

/// Records every span queued for the ledger; `false` once the queue is closed and empty.
fn drain_ledger(
    ledger: &TraceLedger,
    rx: &Mutex<intake::IntakeReceiver>,
    chunk: usize,
    spans: &mut Vec<Arc<SpanData>>,
) -> bool {
    let mut rx = rx.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let taken = rx.take(spans, chunk.max(1));
        if !spans.is_empty() {
            ledger.record(spans);
            spans.clear();
        }
        match taken {
            intake::Taken::Full => {}
            intake::Taken::Empty => return true,
            intake::Taken::Closed => return false,
        }
    }
}
