//! Counters of the bridge itself, per destination: what was enqueued, delivered, dropped
//! (by reason), retried, held, and what the breaker did. Cheap to update, cheap to snapshot.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::resilience::BreakerState;

/// Why spans were dropped instead of delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The destination's queue was full when the span ended.
    QueueFull,
    /// The replay buffer reached its byte bound; the oldest batches were dropped.
    Overflow,
    /// The back end refused the payload for good (400, 413 on a single span, 422, ...).
    PermanentError,
    /// Shutdown's deadline passed before the spans could be delivered, or spans ended
    /// after shutdown began.
    Shutdown,
    /// A disk spool record was found damaged when read back for sending.
    SpoolDamaged,
}

impl DropReason {
    /// Stable snake_case name used in stats and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::Overflow => "overflow",
            DropReason::PermanentError => "permanent_error",
            DropReason::Shutdown => "shutdown",
            DropReason::SpoolDamaged => "spool_damaged",
        }
    }
}

/// Live counters of one destination, shared by the hot path and its export worker.
#[derive(Debug, Default)]
pub struct DestinationStats {
    spans_enqueued: AtomicU64,
    spans_delivered: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_overflow: AtomicU64,
    dropped_permanent: AtomicU64,
    dropped_shutdown: AtomicU64,
    dropped_spool_damaged: AtomicU64,
    batches_ok: AtomicU64,
    batches_failed: AtomicU64,
    retries: AtomicU64,
    splits: AtomicU64,
    breaker_state: AtomicU8,
    breaker_opens: AtomicU64,
    last_success_unix_ms: AtomicU64,
    bytes_held: AtomicU64,
    batches_held: AtomicU64,
    spans_held: AtomicU64,
    spool_spans_written: AtomicU64,
    spool_batches_written: AtomicU64,
    spool_spans_recovered: AtomicU64,
    spool_damaged_records: AtomicU64,
    spool_errors: AtomicU64,
    spool_bytes: AtomicU64,
    spool_batches: AtomicU64,
    spool_spans: AtomicU64,
    last_error: Mutex<Option<LastError>>,
    recent_failures: Mutex<VecDeque<FailureRecord>>,
}

/// Failures kept per destination for diagnostics.
const RECENT_FAILURES: usize = 100;

/// One failed export attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureRecord {
    /// Destination name.
    pub destination: String,
    /// When, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Outcome class: `transient`, `throttled`, `rejected`, `too_large`, `unauthorized`.
    pub kind: String,
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub message: String,
}

/// The most recent export failure of a destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastError {
    /// When it happened, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Outcome class: `transient`, `throttled`, `rejected`, `too_large`, `unauthorized`.
    pub kind: String,
    /// What went wrong, with the server's error text when there was one.
    pub message: String,
}

pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

impl DestinationStats {
    pub(crate) fn add_enqueued(&self, n: u64) {
        self.spans_enqueued.fetch_add(n, Relaxed);
    }

    pub(crate) fn add_delivered(&self, spans: u64) {
        self.spans_delivered.fetch_add(spans, Relaxed);
        self.batches_ok.fetch_add(1, Relaxed);
        self.last_success_unix_ms
            .store(unix_ms(SystemTime::now()), Relaxed);
    }

    pub(crate) fn add_dropped(&self, reason: DropReason, spans: u64) {
        let counter = match reason {
            DropReason::QueueFull => &self.dropped_queue_full,
            DropReason::Overflow => &self.dropped_overflow,
            DropReason::PermanentError => &self.dropped_permanent,
            DropReason::Shutdown => &self.dropped_shutdown,
            DropReason::SpoolDamaged => &self.dropped_spool_damaged,
        };
        counter.fetch_add(spans, Relaxed);
    }

    pub(crate) fn add_failed_batch(&self, kind: &str, status: Option<u16>, message: &str) {
        self.batches_failed.fetch_add(1, Relaxed);
        let at_unix_ms = unix_ms(SystemTime::now());
        let record = LastError {
            at_unix_ms,
            kind: kind.to_owned(),
            message: message.to_owned(),
        };
        // Never on the hot path: only the export worker writes here.
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = Some(record);
        }
        if let Ok(mut ring) = self.recent_failures.lock() {
            if ring.len() == RECENT_FAILURES {
                ring.pop_front();
            }
            ring.push_back(FailureRecord {
                destination: String::new(),
                at_unix_ms,
                kind: kind.to_owned(),
                status,
                message: message.to_owned(),
            });
        }
    }

    /// The most recent failures of this destination, newest first.
    pub fn recent_failures(&self, destination: &str) -> Vec<FailureRecord> {
        self.recent_failures
            .lock()
            .map(|ring| {
                ring.iter()
                    .rev()
                    .map(|f| FailureRecord {
                        destination: destination.to_owned(),
                        ..f.clone()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn add_retry(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_split(&self) {
        self.splits.fetch_add(1, Relaxed);
    }

    pub(crate) fn set_breaker_state(&self, state: BreakerState) {
        self.breaker_state.store(state.to_u8(), Relaxed);
        if state == BreakerState::Open {
            self.breaker_opens.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn set_held(&self, bytes: u64, batches: u64, spans: u64) {
        self.bytes_held.store(bytes, Relaxed);
        self.batches_held.store(batches, Relaxed);
        self.spans_held.store(spans, Relaxed);
    }

    pub(crate) fn add_spooled(&self, spans: u64) {
        self.spool_spans_written.fetch_add(spans, Relaxed);
        self.spool_batches_written.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_spool_recovered(&self, spans: u64, damaged: u64) {
        self.spool_spans_recovered.fetch_add(spans, Relaxed);
        self.spool_damaged_records.fetch_add(damaged, Relaxed);
    }

    pub(crate) fn add_spool_damaged(&self) {
        self.spool_damaged_records.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_spool_error(&self) {
        self.spool_errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn set_spooled(&self, bytes: u64, batches: u64, spans: u64) {
        self.spool_bytes.store(bytes, Relaxed);
        self.spool_batches.store(batches, Relaxed);
        self.spool_spans.store(spans, Relaxed);
    }

    /// Consistent-enough copy of every counter (each counter is read atomically).
    pub fn snapshot(&self, destination: &str) -> DestinationSnapshot {
        let last_success = self.last_success_unix_ms.load(Relaxed);
        DestinationSnapshot {
            destination: destination.to_owned(),
            spans_enqueued: self.spans_enqueued.load(Relaxed),
            spans_delivered: self.spans_delivered.load(Relaxed),
            dropped: DroppedCounts {
                queue_full: self.dropped_queue_full.load(Relaxed),
                overflow: self.dropped_overflow.load(Relaxed),
                permanent_error: self.dropped_permanent.load(Relaxed),
                shutdown: self.dropped_shutdown.load(Relaxed),
                spool_damaged: self.dropped_spool_damaged.load(Relaxed),
            },
            batches_ok: self.batches_ok.load(Relaxed),
            batches_failed: self.batches_failed.load(Relaxed),
            retries: self.retries.load(Relaxed),
            splits: self.splits.load(Relaxed),
            breaker_state: BreakerState::from_u8(self.breaker_state.load(Relaxed)),
            breaker_opens: self.breaker_opens.load(Relaxed),
            last_success_unix_ms: (last_success != 0).then_some(last_success),
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
            bytes_held: self.bytes_held.load(Relaxed),
            batches_held: self.batches_held.load(Relaxed),
            spans_held: self.spans_held.load(Relaxed),
            spool: SpoolCounts {
                spans_written: self.spool_spans_written.load(Relaxed),
                batches_written: self.spool_batches_written.load(Relaxed),
                spans_recovered: self.spool_spans_recovered.load(Relaxed),
                damaged_records: self.spool_damaged_records.load(Relaxed),
                errors: self.spool_errors.load(Relaxed),
                bytes: self.spool_bytes.load(Relaxed),
                batches: self.spool_batches.load(Relaxed),
                spans: self.spool_spans.load(Relaxed),
            },
        }
    }
}

/// What one destination's disk spool did and holds (all zero when the spool is off).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpoolCounts {
    /// Spans written to the spool: each is on disk (as far as the fsync policy promises)
    /// until delivered.
    pub spans_written: u64,
    /// Records (batches) written to the spool.
    pub batches_written: u64,
    /// Spans found in the spool at startup, left undelivered by an earlier run.
    pub spans_recovered: u64,
    /// Torn or corrupted records skipped, at startup or when read back.
    pub damaged_records: u64,
    /// Spool I/O errors (the batch then stayed in memory).
    pub errors: u64,
    /// Bytes of spool segment files on disk now.
    pub bytes: u64,
    /// Batches in the spool waiting for delivery now.
    pub batches: u64,
    /// Spans in the spool waiting for delivery now.
    pub spans: u64,
}

/// Spans dropped by one destination, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DroppedCounts {
    /// See [`DropReason::QueueFull`].
    pub queue_full: u64,
    /// See [`DropReason::Overflow`].
    pub overflow: u64,
    /// See [`DropReason::PermanentError`].
    pub permanent_error: u64,
    /// See [`DropReason::Shutdown`].
    pub shutdown: u64,
    /// See [`DropReason::SpoolDamaged`].
    pub spool_damaged: u64,
}

impl DroppedCounts {
    /// All dropped spans, whatever the reason.
    pub fn total(&self) -> u64 {
        self.queue_full + self.overflow + self.permanent_error + self.shutdown + self.spool_damaged
    }
}

/// A point-in-time copy of one destination's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestinationSnapshot {
    /// Destination name (`langfuse`, `instana`, `otlp`, ...).
    pub destination: String,
    /// Spans accepted into the destination's queue.
    pub spans_enqueued: u64,
    /// Spans in batches the back end answered with 2xx.
    pub spans_delivered: u64,
    /// Spans dropped, by reason.
    pub dropped: DroppedCounts,
    /// Export requests answered with 2xx.
    pub batches_ok: u64,
    /// Export attempts that failed (any reason).
    pub batches_failed: u64,
    /// Attempts that re-sent a batch after a transient failure.
    pub retries: u64,
    /// Batches split in two after a 413.
    pub splits: u64,
    /// Current circuit breaker state.
    pub breaker_state: BreakerState,
    /// How many times the breaker opened.
    pub breaker_opens: u64,
    /// Last delivery, in milliseconds since the Unix epoch.
    pub last_success_unix_ms: Option<u64>,
    /// Most recent failure.
    pub last_error: Option<LastError>,
    /// Encoded bytes waiting in the replay buffer.
    pub bytes_held: u64,
    /// Batches waiting in the replay buffer.
    pub batches_held: u64,
    /// Spans waiting in the replay buffer.
    pub spans_held: u64,
    /// The disk spool (all zero when it is off).
    pub spool: SpoolCounts,
}

impl DestinationSnapshot {
    /// Spans accepted (or recovered from the spool) but neither delivered nor dropped yet:
    /// in the queue, in the batch being built, in flight, held for replay or spooled.
    pub fn spans_pending(&self) -> u64 {
        (self.spans_enqueued + self.spool.spans_recovered)
            .saturating_sub(self.spans_delivered)
            .saturating_sub(self.dropped.total() - self.dropped.queue_full)
    }
}

/// Stats of the whole bridge: one snapshot per destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BridgeStats {
    /// Spans that ended after shutdown began (never enqueued anywhere).
    pub spans_after_shutdown: u64,
    /// One entry per destination, in configuration order.
    pub destinations: Vec<DestinationSnapshot>,
    /// Tail sampling decisions, when tail sampling is on.
    pub tail_sampling: Option<TailSamplingSnapshot>,
}

/// Why tail sampling kept a trace (the first rule that matched, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepReason {
    /// A span had status Error or an `error.type` attribute.
    Error,
    /// The local root lasted longer than `TELEMETRY_TAIL_KEEP_SLOWER_THAN`.
    Slow,
    /// The spans' `gen_ai.usage.cost` added up to more than `TELEMETRY_TAIL_KEEP_COST_ABOVE`.
    Costly,
    /// No rule matched; the trace id fell within `TELEMETRY_SAMPLE_RATE`.
    Sampled,
}

/// Why a trace was decided before its local root ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EarlyReason {
    /// It waited `TELEMETRY_TAIL_DECISION_WAIT` without its root ending.
    Age,
    /// Traces or buffered spans exceeded their bound; the oldest trace went first.
    Overflow,
    /// The pipeline shut down.
    Shutdown,
}

/// Live tail sampling counters: written by the sampler task (and by `on_end` for a full
/// queue), read by snapshots.
#[derive(Debug, Default)]
pub(crate) struct TailSamplingStats {
    kept_error: AtomicU64,
    kept_slow: AtomicU64,
    kept_costly: AtomicU64,
    kept_sampled: AtomicU64,
    dropped: AtomicU64,
    spans_kept: AtomicU64,
    spans_dropped: AtomicU64,
    early_age: AtomicU64,
    early_overflow: AtomicU64,
    early_shutdown: AtomicU64,
    late_spans_kept: AtomicU64,
    late_spans_dropped: AtomicU64,
    spans_queue_full: AtomicU64,
    traces_in_progress: AtomicU64,
    spans_buffered: AtomicU64,
}

impl TailSamplingStats {
    pub(crate) fn add_decision(&self, kept: Option<KeepReason>, spans: u64) {
        let counter = match kept {
            Some(KeepReason::Error) => &self.kept_error,
            Some(KeepReason::Slow) => &self.kept_slow,
            Some(KeepReason::Costly) => &self.kept_costly,
            Some(KeepReason::Sampled) => &self.kept_sampled,
            None => &self.dropped,
        };
        counter.fetch_add(1, Relaxed);
        let spans_counter = if kept.is_some() {
            &self.spans_kept
        } else {
            &self.spans_dropped
        };
        spans_counter.fetch_add(spans, Relaxed);
    }

    pub(crate) fn add_early(&self, reason: EarlyReason) {
        let counter = match reason {
            EarlyReason::Age => &self.early_age,
            EarlyReason::Overflow => &self.early_overflow,
            EarlyReason::Shutdown => &self.early_shutdown,
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_late(&self, kept: bool) {
        let counter = if kept {
            &self.late_spans_kept
        } else {
            &self.late_spans_dropped
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_queue_full(&self) {
        self.spans_queue_full.fetch_add(1, Relaxed);
    }

    pub(crate) fn set_in_progress(&self, traces: u64, spans: u64) {
        self.traces_in_progress.store(traces, Relaxed);
        self.spans_buffered.store(spans, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> TailSamplingSnapshot {
        TailSamplingSnapshot {
            kept: TailKeptCounts {
                error: self.kept_error.load(Relaxed),
                slow: self.kept_slow.load(Relaxed),
                costly: self.kept_costly.load(Relaxed),
                sampled: self.kept_sampled.load(Relaxed),
            },
            dropped: self.dropped.load(Relaxed),
            spans_kept: self.spans_kept.load(Relaxed),
            spans_dropped: self.spans_dropped.load(Relaxed),
            decided_early: TailEarlyCounts {
                age: self.early_age.load(Relaxed),
                overflow: self.early_overflow.load(Relaxed),
                shutdown: self.early_shutdown.load(Relaxed),
            },
            late_spans_kept: self.late_spans_kept.load(Relaxed),
            late_spans_dropped: self.late_spans_dropped.load(Relaxed),
            spans_queue_full: self.spans_queue_full.load(Relaxed),
            traces_in_progress: self.traces_in_progress.load(Relaxed),
            spans_buffered: self.spans_buffered.load(Relaxed),
        }
    }
}

/// Traces tail sampling kept, by the rule that kept them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TailKeptCounts {
    /// See [`KeepReason::Error`].
    pub error: u64,
    /// See [`KeepReason::Slow`].
    pub slow: u64,
    /// See [`KeepReason::Costly`].
    pub costly: u64,
    /// See [`KeepReason::Sampled`].
    pub sampled: u64,
}

impl TailKeptCounts {
    /// Traces kept, whatever the rule.
    pub fn total(&self) -> u64 {
        self.error + self.slow + self.costly + self.sampled
    }
}

/// Traces decided before their local root ended, by reason (each is also counted once as
/// kept or dropped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TailEarlyCounts {
    /// See [`EarlyReason::Age`].
    pub age: u64,
    /// See [`EarlyReason::Overflow`].
    pub overflow: u64,
    /// See [`EarlyReason::Shutdown`].
    pub shutdown: u64,
}

/// A point-in-time copy of the tail sampling counters. Trace counts are local traces (the
/// spans of one trace id in this process); span counts add up: every span that reached the
/// sampler is in `spans_kept`, `spans_dropped`, a `late_spans_*` counter or
/// `spans_buffered`, and `spans_queue_full` never reached it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TailSamplingSnapshot {
    /// Traces kept, by rule.
    pub kept: TailKeptCounts,
    /// Traces dropped (no rule matched and the trace id fell outside the sample rate).
    pub dropped: u64,
    /// Spans of kept traces forwarded to the destinations when their trace was decided.
    pub spans_kept: u64,
    /// Spans of dropped traces.
    pub spans_dropped: u64,
    /// Traces decided before their root ended, by reason.
    pub decided_early: TailEarlyCounts,
    /// Spans that ended after their trace was kept, forwarded at once.
    pub late_spans_kept: u64,
    /// Spans that ended after their trace was dropped, dropped too.
    pub late_spans_dropped: u64,
    /// Spans lost because the sampler's queue was full when they ended.
    pub spans_queue_full: u64,
    /// Traces waiting for a decision now.
    pub traces_in_progress: u64,
    /// Spans of those traces.
    pub spans_buffered: u64,
}

impl BridgeStats {
    /// The snapshot of the destination with this name.
    pub fn destination(&self, name: &str) -> Option<&DestinationSnapshot> {
        self.destinations.iter().find(|d| d.destination == name)
    }
}
