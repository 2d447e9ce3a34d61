//! Recent traces for diagnostics: what each span was and, per destination, whether it was
//! delivered, is held for replay, or was dropped; plus cumulative GenAI usage per model.
//! Fed off the hot path (its own queue, read on the export thread); bounded in traces and spans.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Array, Value};
use opentelemetry_sdk::trace::SpanData;
use serde::Serialize;

/// Spans kept per trace; further spans of the same trace are counted, not stored.
const MAX_SPANS_PER_TRACE: usize = 512;
/// Spans kept over all traces: the oldest traces are forgotten beyond it, so traces with
/// many spans cannot grow the ledger past a few MB whatever `recent_traces` says.
const MAX_STORED_SPANS: usize = 4_096;
/// Estimated bytes of span data kept over all traces (see [`estimated_bytes`]): with content
/// capture on, one span can carry megabytes of prompt and completion, so a count of spans
/// alone would allow gigabytes. The oldest traces are forgotten beyond it; a single trace
/// keeps no further spans once it alone reaches it.
const MAX_STORED_BYTES: usize = 32 * 1024 * 1024;

/// Token-count histogram boundaries of `gen_ai.client.token.usage` (semconv v1.41).
pub const TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
/// Duration histogram boundaries (seconds) of `gen_ai.client.operation.duration` (v1.41).
pub const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// How a trace stands at one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Every span of the trace seen so far was delivered.
    Delivered,
    /// Some spans are queued or batched, none failed yet.
    Pending,
    /// Some spans failed to send and wait in the replay buffer.
    Held,
    /// Some spans were dropped (overflow, permanent error, shutdown).
    Dropped,
}

/// Span counts of one trace at one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceDelivery {
    /// Destination name.
    pub destination: String,
    /// Summary status.
    pub status: DeliveryStatus,
    /// Spans delivered.
    pub delivered: u64,
    /// Spans held for replay after a failed attempt.
    pub held: u64,
    /// Spans dropped.
    pub dropped: u64,
    /// Spans neither delivered, held nor dropped yet.
    pub pending: u64,
}

/// One span as diagnostics show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRecord {
    /// Hex trace id.
    pub trace_id: String,
    /// Hex span id.
    pub span_id: String,
    /// Hex parent span id, if any.
    pub parent_span_id: Option<String>,
    /// Span name.
    pub name: String,
    /// `client`, `server`, `internal`, `producer`, `consumer`.
    pub kind: String,
    /// Start, nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// End, nanoseconds since the Unix epoch.
    pub end_unix_nano: u64,
    /// `unset`, `ok` or `error`.
    pub status: String,
    /// Error description, when the status is `error`.
    pub status_message: String,
    /// Attributes as JSON values (content attributes included when captured).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Number of span events.
    pub events: usize,
}

impl SpanRecord {
    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano) as f64 / 1e6
    }

    /// An integer attribute.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.attributes.get(key).and_then(serde_json::Value::as_i64)
    }

    /// A float attribute (integers are converted).
    pub fn float(&self, key: &str) -> Option<f64> {
        self.attributes.get(key).and_then(serde_json::Value::as_f64)
    }

    /// A string attribute.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(serde_json::Value::as_str)
    }
}

/// One recent trace, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSummary {
    /// Hex trace id.
    pub trace_id: String,
    /// Name of the root span (or the earliest span when the root is not local).
    pub root_name: String,
    /// Spans seen (including any beyond the per-trace storage bound).
    pub span_count: u64,
    /// Start of the earliest span, nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// From the earliest start to the latest end, in milliseconds.
    pub duration_ms: f64,
    /// Sum of `gen_ai.usage.input_tokens`.
    pub input_tokens: i64,
    /// Sum of `gen_ai.usage.output_tokens`.
    pub output_tokens: i64,
    /// Sum of `gen_ai.usage.cost` where present (None when no span carried a cost).
    pub cost: Option<f64>,
    /// Spans with an error status.
    pub errors: u64,
    /// Delivery per destination.
    pub delivery: Vec<TraceDelivery>,
}

/// A recent trace with its spans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceDetail {
    /// The summary.
    pub summary: TraceSummary,
    /// Its spans, in the order they ended.
    pub spans: Vec<SpanRecord>,
}

/// A cumulative histogram with fixed boundaries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Upper bounds of the buckets (a last, unbounded bucket follows).
    pub bounds: &'static [f64],
    /// Count per bucket (`bounds.len() + 1` entries, not cumulative).
    pub counts: Vec<u64>,
    /// Sum of the observations.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        let idx = self.bounds.partition_point(|b| *b < value);
        self.counts[idx] += 1;
        self.sum += value;
        self.count += 1;
    }
}

/// Cumulative GenAI usage of one (operation, provider, model), read from ended spans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenAiUsage {
    /// `gen_ai.operation.name`.
    pub operation: String,
    /// `gen_ai.provider.name`.
    pub provider: String,
    /// `gen_ai.response.model`, else `gen_ai.request.model`.
    pub model: String,
    /// Calls seen.
    pub calls: u64,
    /// Calls that ended in error.
    pub errors: u64,
    /// Input tokens per call.
    pub input_tokens: Histogram,
    /// Output tokens per call.
    pub output_tokens: Histogram,
    /// Call duration, seconds.
    pub duration_seconds: Histogram,
    /// Time to first chunk of streams, seconds.
    pub time_to_first_chunk_seconds: Histogram,
    /// Total `gen_ai.usage.cost`.
    pub cost: f64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    delivered: u64,
    held: u64,
    dropped: u64,
}

impl Counts {
    fn apply(&mut self, n: u64, mark: Mark) {
        match mark {
            Mark::Delivered { was_held } => {
                if was_held {
                    self.held = self.held.saturating_sub(n);
                }
                self.delivered += n;
            }
            Mark::Held => self.held += n,
            Mark::Dropped { was_held } => {
                if was_held {
                    self.held = self.held.saturating_sub(n);
                }
                self.dropped += n;
            }
        }
    }
}

#[derive(Debug)]
struct TraceEntry {
    /// The spans themselves, shared with the export path (no copy); turned into
    /// [`SpanRecord`]s only when diagnostics read them.
    spans: Vec<std::sync::Arc<SpanData>>,
    /// Estimated size of `spans`.
    bytes: usize,
    span_count: u64,
    delivery: Vec<Counts>,
}

#[derive(Debug, Default)]
struct LedgerState {
    traces: HashMap<[u8; 16], TraceEntry>,
    order: VecDeque<[u8; 16]>,
    /// Spans stored over all traces (bounded by `MAX_STORED_SPANS`).
    stored_spans: usize,
    /// Their estimated size (bounded by `MAX_STORED_BYTES`).
    stored_bytes: usize,
    /// One entry per (operation, provider, model): few, so a scan with `&str` keys beats
    /// building three `String`s per span to look a map up.
    usage: Vec<GenAiUsage>,
    /// Marks that arrived before the ledger task recorded their trace (a worker can deliver
    /// a batch before the ledger's own queue is read); applied when the trace appears.
    early: HashMap<[u8; 16], Vec<(usize, u32, Mark)>>,
    early_order: VecDeque<[u8; 16]>,
}

impl LedgerState {
    fn forget_oldest(&mut self) {
        if let Some(old) = self.order.pop_front()
            && let Some(entry) = self.traces.remove(&old)
        {
            self.stored_spans -= entry.spans.len();
            self.stored_bytes -= entry.bytes;
        }
    }

    fn over_budget(&self) -> bool {
        self.stored_spans > MAX_STORED_SPANS || self.stored_bytes > MAX_STORED_BYTES
    }
}

/// A cheap estimate of the memory a span holds: its strings (name, attribute keys and
/// values, events) plus a fixed allowance for the structure. Computed once per span on the
/// export thread; exact accounting would need the allocator.
fn estimated_bytes(span: &SpanData) -> usize {
    const SPAN_OVERHEAD: usize = 512;
    const ATTRIBUTE_OVERHEAD: usize = 48;
    fn value_bytes(value: &Value) -> usize {
        match value {
            Value::String(s) => s.as_str().len(),
            Value::Array(Array::String(items)) => items.iter().map(|s| s.as_str().len()).sum(),
            Value::Array(Array::Bool(items)) => items.len(),
            Value::Array(Array::I64(items)) => items.len() * 8,
            Value::Array(Array::F64(items)) => items.len() * 8,
            _ => 8,
        }
    }
    let attributes = |kvs: &[opentelemetry::KeyValue]| -> usize {
        kvs.iter()
            .map(|kv| ATTRIBUTE_OVERHEAD + kv.key.as_str().len() + value_bytes(&kv.value))
            .sum()
    };
    SPAN_OVERHEAD
        + span.name.len()
        + attributes(&span.attributes)
        + span
            .events
            .iter()
            .map(|e| ATTRIBUTE_OVERHEAD + e.name.len() + attributes(&e.attributes))
            .sum::<usize>()
        + span
            .links
            .iter()
            .map(|l| ATTRIBUTE_OVERHEAD + attributes(&l.attributes))
            .sum::<usize>()
}

/// What the workers report about a batch's traces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mark {
    /// Delivered; `was_held` when the batch had failed before.
    Delivered { was_held: bool },
    /// First failure: now waiting for replay.
    Held,
    /// Dropped; `was_held` when the batch had failed before.
    Dropped { was_held: bool },
}

/// The ledger shared by the pipeline's ledger task, its workers and diagnostics readers.
#[derive(Debug)]
pub struct TraceLedger {
    capacity: usize,
    destinations: Vec<String>,
    state: Mutex<LedgerState>,
    spans_missed: AtomicU64,
}

impl TraceLedger {
    pub(crate) fn new(capacity: usize, destinations: Vec<String>) -> Self {
        Self {
            capacity,
            destinations,
            state: Mutex::new(LedgerState::default()),
            spans_missed: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LedgerState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Spans the ledger's queue was too full to take (diagnostics only; export unaffected).
    pub fn spans_missed(&self) -> u64 {
        self.spans_missed.load(Ordering::Relaxed)
    }

    pub(crate) fn count_missed(&self) {
        self.spans_missed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record(&self, spans: &[std::sync::Arc<SpanData>]) {
        let mut guard = self.lock();
        let state = &mut *guard;
        for span in spans {
            let trace_id = span.span_context.trace_id().to_bytes();
            update_usage(&mut state.usage, span);
            if !state.traces.contains_key(&trace_id) {
                state.order.push_back(trace_id);
                let mut delivery = vec![Counts::default(); self.destinations.len()];
                if let Some(marks) = state.early.remove(&trace_id) {
                    for (destination, n, mark) in marks {
                        if let Some(c) = delivery.get_mut(destination) {
                            c.apply(u64::from(n), mark);
                        }
                    }
                }
                state.traces.insert(
                    trace_id,
                    TraceEntry {
                        spans: Vec::new(),
                        bytes: 0,
                        span_count: 0,
                        delivery,
                    },
                );
                while state.order.len() > self.capacity {
                    state.forget_oldest();
                }
            }
            if let Some(entry) = state.traces.get_mut(&trace_id) {
                entry.span_count += 1;
                let bytes = estimated_bytes(span);
                if entry.spans.len() < MAX_SPANS_PER_TRACE
                    && entry.bytes + bytes <= MAX_STORED_BYTES
                {
                    entry.spans.push(std::sync::Arc::clone(span));
                    entry.bytes += bytes;
                    state.stored_spans += 1;
                    state.stored_bytes += bytes;
                }
            }
            // Never the trace just written to: it may be the oldest one left.
            while state.over_budget()
                && state
                    .order
                    .front()
                    .is_some_and(|oldest| *oldest != trace_id)
            {
                state.forget_oldest();
            }
        }
    }

    pub(crate) fn mark(&self, destination: usize, traces: &[([u8; 16], u32)], mark: Mark) {
        let mut state = self.lock();
        for (trace_id, n) in traces {
            if let Some(entry) = state.traces.get_mut(trace_id) {
                if let Some(c) = entry.delivery.get_mut(destination) {
                    c.apply(u64::from(*n), mark);
                }
                continue;
            }
            if !state.early.contains_key(trace_id) {
                state.early_order.push_back(*trace_id);
                // Bounded like the ledger itself: marks of traces never recorded (the ledger
                // queue was full) age out.
                while state.early_order.len() > self.capacity {
                    if let Some(old) = state.early_order.pop_front() {
                        state.early.remove(&old);
                    }
                }
            }
            state
                .early
                .entry(*trace_id)
                .or_default()
                .push((destination, *n, mark));
        }
    }

    /// The most recent traces, newest first.
    pub fn recent(&self, limit: usize) -> Vec<TraceSummary> {
        let state = self.lock();
        state
            .order
            .iter()
            .rev()
            .take(limit)
            .filter_map(|id| state.traces.get(id).map(|e| self.summary(id, e)))
            .collect()
    }

    /// One recent trace by id.
    pub fn trace(&self, trace_id: &[u8; 16]) -> Option<TraceDetail> {
        let state = self.lock();
        state.traces.get(trace_id).map(|e| TraceDetail {
            summary: self.summary(trace_id, e),
            spans: e.spans.iter().map(|s| span_record(s)).collect(),
        })
    }

    /// Cumulative GenAI usage per (operation, provider, model).
    pub fn genai_usage(&self) -> Vec<GenAiUsage> {
        let mut usage = self.lock().usage.clone();
        usage.sort_by(|a, b| {
            (&a.operation, &a.provider, &a.model).cmp(&(&b.operation, &b.provider, &b.model))
        });
        usage
    }

    fn summary(&self, trace_id: &[u8; 16], e: &TraceEntry) -> TraceSummary {
        let spans: Vec<SpanRecord> = e.spans.iter().map(|s| span_record(s)).collect();
        let start = spans.iter().map(|s| s.start_unix_nano).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end_unix_nano).max().unwrap_or(0);
        let local_ids: std::collections::HashSet<&str> =
            spans.iter().map(|s| s.span_id.as_str()).collect();
        let root = spans
            .iter()
            .filter(|s| {
                s.parent_span_id
                    .as_deref()
                    .is_none_or(|p| !local_ids.contains(p))
            })
            .min_by_key(|s| s.start_unix_nano);
        let costs: Vec<f64> = spans
            .iter()
            .filter_map(|s| s.float("gen_ai.usage.cost"))
            .collect();
        TraceSummary {
            trace_id: hex(trace_id),
            root_name: root.map(|s| s.name.clone()).unwrap_or_default(),
            span_count: e.span_count,
            start_unix_nano: start,
            duration_ms: end.saturating_sub(start) as f64 / 1e6,
            input_tokens: spans
                .iter()
                .filter_map(|s| s.int("gen_ai.usage.input_tokens"))
                .sum(),
            output_tokens: spans
                .iter()
                .filter_map(|s| s.int("gen_ai.usage.output_tokens"))
                .sum(),
            cost: (!costs.is_empty()).then(|| costs.iter().sum()),
            errors: spans.iter().filter(|s| s.status == "error").count() as u64,
            delivery: self
                .destinations
                .iter()
                .zip(&e.delivery)
                .map(|(name, c)| {
                    let pending = e
                        .span_count
                        .saturating_sub(c.delivered + c.held + c.dropped);
                    let status = if c.dropped > 0 {
                        DeliveryStatus::Dropped
                    } else if c.held > 0 {
                        DeliveryStatus::Held
                    } else if pending > 0 {
                        DeliveryStatus::Pending
                    } else {
                        DeliveryStatus::Delivered
                    };
                    TraceDelivery {
                        destination: name.clone(),
                        status,
                        delivered: c.delivered,
                        held: c.held,
                        dropped: c.dropped,
                        pending,
                    }
                })
                .collect(),
        }
    }
}

/// Parses a 32-digit hex trace id.
pub fn parse_trace_id(hex_id: &str) -> Option<[u8; 16]> {
    let v = u128::from_str_radix(hex_id, 16).ok()?;
    (hex_id.len() == 32).then(|| v.to_be_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Bool(b) => (*b).into(),
        Value::I64(i) => (*i).into(),
        Value::F64(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::String(s) => s.as_str().into(),
        Value::Array(Array::Bool(a)) => a.clone().into(),
        Value::Array(Array::I64(a)) => a.clone().into(),
        Value::Array(Array::F64(a)) => a.iter().map(|f| json_value(&Value::F64(*f))).collect(),
        Value::Array(Array::String(a)) => a
            .iter()
            .map(|s| serde_json::Value::from(s.as_str()))
            .collect(),
        other => other.to_string().into(),
    }
}

fn span_record(s: &SpanData) -> SpanRecord {
    let (status, status_message) = match &s.status {
        Status::Unset => ("unset", String::new()),
        Status::Ok => ("ok", String::new()),
        Status::Error { description } => ("error", description.to_string()),
    };
    SpanRecord {
        trace_id: hex(&s.span_context.trace_id().to_bytes()),
        span_id: hex(&s.span_context.span_id().to_bytes()),
        parent_span_id: (s.parent_span_id != SpanId::INVALID)
            .then(|| hex(&s.parent_span_id.to_bytes())),
        name: s.name.to_string(),
        kind: format!("{:?}", s.span_kind).to_ascii_lowercase(),
        start_unix_nano: nanos(s.start_time),
        end_unix_nano: nanos(s.end_time),
        status: status.to_owned(),
        status_message,
        attributes: s
            .attributes
            .iter()
            .map(|kv| (kv.key.as_str().to_owned(), json_value(&kv.value)))
            .collect(),
        events: s.events.len(),
    }
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn str_attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a str> {
    match attribute(span, key)? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn int_attribute(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Value::I64(n) => Some(*n),
        _ => None,
    }
}

fn float_attribute(span: &SpanData, key: &str) -> Option<f64> {
    match attribute(span, key)? {
        Value::F64(f) => Some(*f),
        Value::I64(n) => Some(*n as f64),
        _ => None,
    }
}

/// Adds one span to the cumulative usage, reading the span as the export path has it.
fn update_usage(usage: &mut Vec<GenAiUsage>, span: &SpanData) {
    let Some(operation) = str_attribute(span, "gen_ai.operation.name") else {
        return;
    };
    let provider = str_attribute(span, "gen_ai.provider.name")
        .or_else(|| str_attribute(span, "gen_ai.system"))
        .unwrap_or("unknown");
    let model = str_attribute(span, "gen_ai.response.model")
        .or_else(|| str_attribute(span, "gen_ai.request.model"))
        .unwrap_or("unknown");
    let index = match usage
        .iter()
        .position(|u| u.operation == operation && u.provider == provider && u.model == model)
    {
        Some(index) => index,
        None => {
            usage.push(GenAiUsage {
                operation: operation.to_owned(),
                provider: provider.to_owned(),
                model: model.to_owned(),
                calls: 0,
                errors: 0,
                input_tokens: Histogram::new(TOKEN_BUCKETS),
                output_tokens: Histogram::new(TOKEN_BUCKETS),
                duration_seconds: Histogram::new(DURATION_BUCKETS),
                time_to_first_chunk_seconds: Histogram::new(DURATION_BUCKETS),
                cost: 0.0,
            });
            usage.len() - 1
        }
    };
    let entry = &mut usage[index];
    entry.calls += 1;
    if matches!(span.status, Status::Error { .. }) || attribute(span, "error.type").is_some() {
        entry.errors += 1;
    }
    if let Some(n) = int_attribute(span, "gen_ai.usage.input_tokens") {
        entry.input_tokens.observe(n as f64);
    }
    if let Some(n) = int_attribute(span, "gen_ai.usage.output_tokens") {
        entry.output_tokens.observe(n as f64);
    }
    let duration = span
        .end_time
        .duration_since(span.start_time)
        .unwrap_or_default();
    entry.duration_seconds.observe(duration.as_secs_f64());
    if let Some(t) = float_attribute(span, "gen_ai.response.time_to_first_chunk") {
        entry.time_to_first_chunk_seconds.observe(t);
    }
    if let Some(c) = float_attribute(span, "gen_ai.usage.cost") {
        entry.cost += c;
    }
}

/// A plain ended span with these IDs, for the pipeline's unit tests.
#[cfg(test)]
pub(crate) fn test_span(trace: u128, span: u64) -> std::sync::Arc<SpanData> {
    use opentelemetry::trace::{SpanContext, SpanKind, TraceFlags, TraceId, TraceState};
    let now = SystemTime::now();
    std::sync::Arc::new(SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: "chat".into(),
        start_time: now,
        end_time: now,
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: opentelemetry_sdk::trace::SpanEvents::default(),
        links: opentelemetry_sdk::trace::SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: opentelemetry::InstrumentationScope::builder("t").build(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_puts_values_in_the_first_bucket_whose_bound_is_not_below() {
        let mut h = Histogram::new(&[1.0, 4.0]);
        for v in [0.5, 1.0, 2.0, 4.0, 5.0, f64::NAN, -1.0] {
            h.observe(v);
        }
        assert_eq!(h.counts, vec![2, 2, 1]);
        assert_eq!(h.count, 5);
    }

    fn span(trace: u128, span: u64) -> std::sync::Arc<SpanData> {
        test_span(trace, span)
    }

    #[test]
    fn a_delivery_reported_before_the_trace_is_recorded_is_not_lost() {
        let ledger = TraceLedger::new(10, vec!["a".into()]);
        let id = 7_u128.to_be_bytes();
        ledger.mark(0, &[(id, 1)], Mark::Delivered { was_held: false });
        ledger.record(&[span(7, 1)]);
        let summary = &ledger.recent(1)[0];
        assert_eq!(summary.delivery[0].status, DeliveryStatus::Delivered);
        assert_eq!(summary.delivery[0].delivered, 1);
    }

    #[test]
    fn early_marks_are_bounded_like_the_ledger() {
        let ledger = TraceLedger::new(2, vec!["a".into()]);
        for t in 0..5_u128 {
            ledger.mark(0, &[(t.to_be_bytes(), 1)], Mark::Held);
        }
        let state = ledger.lock();
        assert_eq!(state.early.len(), 2);
    }

    /// A span carrying `content_bytes` of captured content, like a chat with capture on.
    fn span_with_content(trace: u128, span: u64, content_bytes: usize) -> std::sync::Arc<SpanData> {
        let mut data = std::sync::Arc::unwrap_or_clone(test_span(trace, span));
        data.attributes.push(opentelemetry::KeyValue::new(
            "gen_ai.input.messages",
            "m".repeat(content_bytes),
        ));
        std::sync::Arc::new(data)
    }

    #[test]
    fn stored_bytes_are_bounded_over_all_traces_by_forgetting_the_oldest() {
        let ledger = TraceLedger::new(100_000, vec!["a".into()]);
        // 100 traces of one span with 1 MiB of content: 100 MiB offered, few spans.
        for trace in 1..=100u128 {
            ledger.record(&[span_with_content(trace, 1, 1024 * 1024)]);
        }
        let state = ledger.lock();
        assert!(
            state.stored_bytes <= MAX_STORED_BYTES,
            "{}",
            state.stored_bytes
        );
        assert!(state.stored_bytes > MAX_STORED_BYTES - 2 * 1024 * 1024);
        let kept = state.traces.len();
        assert!((25..=32).contains(&kept), "{kept} traces kept");
        let actual: usize = state.traces.values().map(|e| e.bytes).sum();
        assert_eq!(actual, state.stored_bytes);
        drop(state);
        assert_eq!(ledger.recent(1)[0].trace_id, hex(&100u128.to_be_bytes()));
        assert!(ledger.trace(&1u128.to_be_bytes()).is_none());
    }

    #[test]
    fn one_trace_stops_storing_spans_at_the_byte_bound_but_counts_them_all() {
        let ledger = TraceLedger::new(100, vec!["a".into()]);
        let spans: Vec<_> = (1..=100u64)
            .map(|i| span_with_content(7, i, 1024 * 1024))
            .collect();
        ledger.record(&spans);
        let detail = ledger
            .trace(&7u128.to_be_bytes())
            .expect("the trace is kept");
        assert!(
            detail.spans.len() < 32,
            "{} spans stored",
            detail.spans.len()
        );
        assert!(
            detail.spans.len() >= 25,
            "{} spans stored",
            detail.spans.len()
        );
        assert_eq!(ledger.recent(1)[0].span_count, 100);
        assert!(ledger.lock().stored_bytes <= MAX_STORED_BYTES);
    }

    #[test]
    fn stored_spans_are_bounded_over_all_traces_by_forgetting_the_oldest() {
        let ledger = TraceLedger::new(100_000, vec!["a".into()]);
        // 20 traces of 300 spans: 6,000 spans, more than the ledger keeps.
        for trace in 1..=20u128 {
            let spans: Vec<_> = (1..=300u64).map(|i| span(trace, i)).collect();
            ledger.record(&spans);
        }
        let recent = ledger.recent(100);
        let stored: u64 = recent.iter().map(|t| t.span_count).sum();
        assert!(stored as usize <= MAX_STORED_SPANS, "{stored} spans kept");
        assert_eq!(recent.len(), MAX_STORED_SPANS / 300);
        // The newest traces are the ones kept, each whole.
        assert_eq!(recent[0].trace_id, hex(&20u128.to_be_bytes()));
        assert!(recent.iter().all(|t| t.span_count == 300));
        assert!(ledger.trace(&1u128.to_be_bytes()).is_none());
        assert_eq!(ledger.lock().stored_spans, stored as usize);
    }

    #[test]
    fn trace_ids_parse_only_from_32_hex_digits() {
        assert_eq!(
            parse_trace_id("0af7651916cd43dd8448eb211c80319c").map(|b| b[0]),
            Some(0x0a)
        );
        assert!(parse_trace_id("0af7").is_none());
        assert!(parse_trace_id("zz").is_none());
    }
}
