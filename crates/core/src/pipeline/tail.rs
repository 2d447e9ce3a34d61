//! Tail sampling: spans wait, grouped by trace id, until the trace's local root span ends
//! (a span whose parent is invalid or remote); then the whole local trace is kept or dropped
//! by rules that need the finished trace (error, slow, costly), and the rest is sampled at
//! the configured rate by trace id. Runs as one task on the export runtime: the hot path
//! only puts the span's `Arc` into this task's queue.
//!
//! Memory is bounded: beyond `max_traces` waiting traces or `max_spans` buffered spans the
//! oldest trace is decided at once on what is there, and a trace whose root never ends is
//! decided after `decision_wait`. Spans of a trace already decided follow that decision (the
//! last decisions are remembered), so a trace is never split by this sampler while its
//! decision is remembered.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::Value;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, ShouldSample, SpanData};
use tokio::sync::mpsc;

use super::intake::{IntakeReceiver, IntakeSender, Taken};
use super::processor::Fanout;
use crate::config::TailSamplingSettings;
use crate::genai::semconv::{attr, bridge};
use crate::stats::{EarlyReason, KeepReason, TailSamplingStats};

/// Commands from the pipeline handle to the sampler task.
pub(crate) enum TailControl {
    /// Take everything queued, forward the spans of decided traces, then answer.
    Flush(SyncSender<()>),
    /// Take everything queued, decide every waiting trace, forward, answer and stop.
    Shutdown(SyncSender<()>),
}

/// The pipeline's side of the sampler: its queue, its control channel, its counters.
#[derive(Debug)]
pub(crate) struct TailHandle {
    pub(crate) queue: IntakeSender,
    pub(crate) control: mpsc::UnboundedSender<TailControl>,
    pub(crate) stats: Arc<TailSamplingStats>,
}

/// What the rules look at: facts gathered from a trace's spans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TraceFacts {
    pub(crate) trace_id: TraceId,
    /// Some span had status Error or an `error.type` attribute.
    pub(crate) error: bool,
    /// Sum of `gen_ai.usage.cost` over the spans, USD.
    pub(crate) cost: f64,
    /// The local root's duration; when decided early, the extent of the spans there.
    pub(crate) duration: Duration,
}

/// The rules, in order: error, slow, costly, then the trace-id ratio. `None` = drop.
#[derive(Debug, Clone)]
pub(crate) struct TailRules {
    keep_slower_than: Option<Duration>,
    keep_cost_above: Option<f64>,
    ratio: Sampler,
    rate: f64,
}

impl TailRules {
    pub(crate) fn new(settings: &TailSamplingSettings) -> Self {
        Self {
            keep_slower_than: settings.keep_slower_than,
            keep_cost_above: settings.keep_cost_above,
            ratio: Sampler::TraceIdRatioBased(settings.sample_rate),
            rate: settings.sample_rate,
        }
    }

    pub(crate) fn verdict(&self, facts: &TraceFacts) -> Option<KeepReason> {
        if facts.error {
            Some(KeepReason::Error)
        } else if self
            .keep_slower_than
            .is_some_and(|limit| facts.duration > limit)
        {
            Some(KeepReason::Slow)
        } else if self.keep_cost_above.is_some_and(|limit| facts.cost > limit) {
            Some(KeepReason::Costly)
        } else if self.sampled_by_ratio(facts.trace_id) {
            Some(KeepReason::Sampled)
        } else {
            None
        }
    }

    /// The SDK's own `TraceIdRatioBased` decision for this trace id, so that this process
    /// and any other service head- or tail-sampling at the same rate agree on a trace.
    fn sampled_by_ratio(&self, trace_id: TraceId) -> bool {
        if self.rate >= 1.0 {
            return true;
        }
        if self.rate <= 0.0 {
            return false;
        }
        let result = self
            .ratio
            .should_sample(None, trace_id, "", &SpanKind::Internal, &[], &[]);
        result.decision == SamplingDecision::RecordAndSample
    }
}

/// A span whose parent is not in this process: no parent, or a parent from a remote
/// context. Its end completes the local trace.
pub(crate) fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote
}

fn has_error(span: &SpanData) -> bool {
    matches!(span.status, Status::Error { .. })
        || span
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == attr::ERROR_TYPE)
}

/// The `gen_ai.usage.cost` the GenAI layer records on LLM spans (non-negative, finite).
fn cost(span: &SpanData) -> f64 {
    let value = span
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == bridge::COST_TOTAL)
        .and_then(|kv| match &kv.value {
            Value::F64(f) => Some(*f),
            Value::I64(n) => Some(*n as f64),
            _ => None,
        });
    value.filter(|c| c.is_finite() && *c > 0.0).unwrap_or(0.0)
}

fn duration(span: &SpanData) -> Duration {
    span.end_time
        .duration_since(span.start_time)
        .unwrap_or_default()
}

#[derive(Debug)]
struct Pending {
    seq: u64,
    first_seen: Instant,
    spans: Vec<Arc<SpanData>>,
    error: bool,
    cost: f64,
    earliest_start: SystemTime,
    latest_end: SystemTime,
}

impl Pending {
    fn add(&mut self, span: Arc<SpanData>) {
        self.error |= has_error(&span);
        self.cost += cost(&span);
        self.earliest_start = self.earliest_start.min(span.start_time);
        self.latest_end = self.latest_end.max(span.end_time);
        self.spans.push(span);
    }
}

/// The rule engine with its bounded state; pure logic, driven by [`run`] (and by tests).
#[derive(Debug)]
pub(crate) struct TailSampler {
    rules: TailRules,
    max_traces: usize,
    max_spans: usize,
    decision_wait: Duration,
    pending: HashMap<TraceId, Pending>,
    /// Waiting traces by arrival of their first span: the front is the oldest.
    order: BTreeMap<u64, TraceId>,
    next_seq: u64,
    spans_buffered: usize,
    /// The last decisions (true = kept), for spans that end after their trace was decided.
    decided: HashMap<TraceId, bool>,
    decided_order: VecDeque<TraceId>,
    remember: usize,
    stats: Arc<TailSamplingStats>,
}

/// Decisions remembered for late spans: twice the waiting-trace bound, at least 4,096.
pub(crate) fn remembered_decisions(max_traces: usize) -> usize {
    max_traces.saturating_mul(2).max(4_096)
}

impl TailSampler {
    pub(crate) fn new(settings: &TailSamplingSettings, stats: Arc<TailSamplingStats>) -> Self {
        Self {
            rules: TailRules::new(settings),
            max_traces: settings.max_traces.max(1),
            max_spans: settings.max_spans.max(1),
            decision_wait: settings.decision_wait,
            pending: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            spans_buffered: 0,
            decided: HashMap::new(),
            decided_order: VecDeque::new(),
            remember: remembered_decisions(settings.max_traces),
            stats,
        }
    }

    /// Takes one ended span; spans to forward (of traces kept now, or late spans of kept
    /// traces) are appended to `out`.
    pub(crate) fn accept(
        &mut self,
        span: Arc<SpanData>,
        now: Instant,
        out: &mut Vec<Arc<SpanData>>,
    ) {
        let id = span.span_context.trace_id();
        if let Some(&kept) = self.decided.get(&id) {
            self.stats.add_late(kept);
            if kept {
                out.push(span);
            }
            return;
        }
        let root_duration = is_local_root(&span).then(|| duration(&span));
        let entry = self.pending.entry(id).or_insert_with(|| {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.insert(seq, id);
            Pending {
                seq,
                first_seen: now,
                spans: Vec::new(),
                error: false,
                cost: 0.0,
                earliest_start: span.start_time,
                latest_end: span.end_time,
            }
        });
        entry.add(span);
        self.spans_buffered += 1;
        if let Some(root_duration) = root_duration {
            self.decide(id, Some(root_duration), None, out);
        }
        while self.pending.len() > self.max_traces || self.spans_buffered > self.max_spans {
            let Some((_, oldest)) = self.order.first_key_value() else {
                break;
            };
            let oldest = *oldest;
            self.decide(oldest, None, Some(EarlyReason::Overflow), out);
        }
    }

    /// Decides the traces that waited `decision_wait` for their root.
    pub(crate) fn expire(&mut self, now: Instant, out: &mut Vec<Arc<SpanData>>) {
        while let Some((_, oldest)) = self.order.first_key_value() {
            let oldest = *oldest;
            let due = self
                .pending
                .get(&oldest)
                .is_some_and(|p| now.saturating_duration_since(p.first_seen) >= self.decision_wait);
            if !due {
                return;
            }
            self.decide(oldest, None, Some(EarlyReason::Age), out);
        }
    }

    /// Decides every waiting trace (shutdown: nothing is left behind).
    pub(crate) fn decide_all(&mut self, out: &mut Vec<Arc<SpanData>>) {
        while let Some((_, oldest)) = self.order.first_key_value() {
            let oldest = *oldest;
            self.decide(oldest, None, Some(EarlyReason::Shutdown), out);
        }
    }

    /// Publishes the in-progress gauges.
    pub(crate) fn publish(&self) {
        self.stats
            .set_in_progress(self.pending.len() as u64, self.spans_buffered as u64);
    }

    fn decide(
        &mut self,
        id: TraceId,
        root_duration: Option<Duration>,
        early: Option<EarlyReason>,
        out: &mut Vec<Arc<SpanData>>,
    ) {
        let Some(trace) = self.pending.remove(&id) else {
            return;
        };
        self.order.remove(&trace.seq);
        self.spans_buffered -= trace.spans.len();
        let facts = TraceFacts {
            trace_id: id,
            error: trace.error,
            cost: trace.cost,
            duration: root_duration.unwrap_or_else(|| {
                trace
                    .latest_end
                    .duration_since(trace.earliest_start)
                    .unwrap_or_default()
            }),
        };
        let verdict = self.rules.verdict(&facts);
        self.stats.add_decision(verdict, trace.spans.len() as u64);
        if let Some(reason) = early {
            self.stats.add_early(reason);
        }
        self.remember(id, verdict.is_some());
        if verdict.is_some() {
            out.extend(trace.spans);
        }
    }

    fn remember(&mut self, id: TraceId, kept: bool) {
        if self.decided.insert(id, kept).is_none() {
            self.decided_order.push_back(id);
        }
        while self.decided_order.len() > self.remember {
            if let Some(old) = self.decided_order.pop_front() {
                self.decided.remove(&old);
            }
        }
    }
}

/// The sampler task: takes spans from its queue (woken once per batch's worth, or by the
/// tick), decides, expires old traces, and forwards kept spans through `fanout` exactly as
/// `on_end` does without tail sampling.
pub(crate) async fn run(
    mut sampler: TailSampler,
    mut rx: IntakeReceiver,
    mut control: mpsc::UnboundedReceiver<TailControl>,
    fanout: Fanout,
    chunk: usize,
    tick: Duration,
) {
    let woken = rx.woken();
    let chunk = chunk.max(1);
    let mut incoming = Vec::with_capacity(chunk);
    let mut out = Vec::new();
    loop {
        tokio::select! {
            biased;
            command = control.recv() => match command {
                Some(TailControl::Flush(reply)) => {
                    take_all(&mut sampler, &mut rx, &fanout, &mut incoming, &mut out, chunk).await;
                    sampler.publish();
                    let _ = reply.try_send(());
                    continue;
                }
                Some(TailControl::Shutdown(reply)) => {
                    finish(&mut sampler, &mut rx, &fanout, &mut incoming, &mut out, chunk).await;
                    let _ = reply.try_send(());
                    return;
                }
                // Every pipeline handle is gone: decide what waits and stop.
                None => {
                    finish(&mut sampler, &mut rx, &fanout, &mut incoming, &mut out, chunk).await;
                    return;
                }
            },
            () = woken.notified() => {}
            () = tokio::time::sleep(tick) => {}
        }
        let closed = take_all(
            &mut sampler,
            &mut rx,
            &fanout,
            &mut incoming,
            &mut out,
            chunk,
        )
        .await;
        sampler.expire(Instant::now(), &mut out);
        forward(&fanout, &mut out).await;
        sampler.publish();
        if closed {
            finish(
                &mut sampler,
                &mut rx,
                &fanout,
                &mut incoming,
                &mut out,
                chunk,
            )
            .await;
            return;
        }
    }
}

/// Refuses further spans, takes what is queued, decides everything and forwards it.
async fn finish(
    sampler: &mut TailSampler,
    rx: &mut IntakeReceiver,
    fanout: &Fanout,
    incoming: &mut Vec<Arc<SpanData>>,
    out: &mut Vec<Arc<SpanData>>,
    chunk: usize,
) {
    rx.close();
    take_all(sampler, rx, fanout, incoming, out, chunk).await;
    sampler.decide_all(out);
    forward(fanout, out).await;
    sampler.publish();
}

/// Takes every queued span; `true` once the queue is closed and empty.
async fn take_all(
    sampler: &mut TailSampler,
    rx: &mut IntakeReceiver,
    fanout: &Fanout,
    incoming: &mut Vec<Arc<SpanData>>,
    out: &mut Vec<Arc<SpanData>>,
    chunk: usize,
) -> bool {
    loop {
        let taken = rx.take(incoming, chunk);
        let now = Instant::now();
        for span in incoming.drain(..) {
            sampler.accept(span, now, out);
        }
        forward(fanout, out).await;
        match taken {
            Taken::Full => {}
            Taken::Empty => return false,
            Taken::Closed => return true,
        }
    }
}

/// How long the sampler waits for room in a destination's full queue, per span, before
/// counting the span as `queue_full`: a worker that takes nothing for a second is stuck.
const FORWARD_PATIENCE: Duration = Duration::from_secs(1);

async fn forward(fanout: &Fanout, out: &mut Vec<Arc<SpanData>>) {
    for span in out.drain(..) {
        fanout.send_patiently(span, FORWARD_PATIENCE).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::KeyValue;
    use opentelemetry::trace::{SpanContext, TraceFlags, TraceState};

    fn settings(rate: f64) -> TailSamplingSettings {
        TailSamplingSettings {
            sample_rate: rate,
            keep_slower_than: Some(Duration::from_secs(10)),
            keep_cost_above: Some(0.5),
            max_traces: 100,
            max_spans: 1_000,
            decision_wait: Duration::from_secs(60),
        }
    }

    fn facts(trace: u128) -> TraceFacts {
        TraceFacts {
            trace_id: TraceId::from(trace),
            error: false,
            cost: 0.0,
            duration: Duration::from_millis(100),
        }
    }

    /// A span of `trace`; `parent` 0 makes it a local root. Lasts `ms` milliseconds.
    fn span(trace: u128, id: u64, parent: u64, ms: u64, attrs: Vec<KeyValue>) -> Arc<SpanData> {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        Arc::new(SpanData {
            span_context: SpanContext::new(
                TraceId::from(trace),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: if parent == 0 {
                SpanId::INVALID
            } else {
                SpanId::from(parent)
            },
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "s".into(),
            start_time: start,
            end_time: start + Duration::from_millis(ms),
            attributes: attrs,
            dropped_attributes_count: 0,
            events: opentelemetry_sdk::trace::SpanEvents::default(),
            links: opentelemetry_sdk::trace::SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: opentelemetry::InstrumentationScope::builder("t").build(),
        })
    }

    fn sampler(s: &TailSamplingSettings) -> (TailSampler, Arc<TailSamplingStats>) {
        let stats = Arc::new(TailSamplingStats::default());
        (TailSampler::new(s, Arc::clone(&stats)), stats)
    }

    #[test]
    fn rules_keep_errors_then_slow_then_costly_and_drop_the_rest_at_rate_zero() {
        let rules = TailRules::new(&settings(0.0));
        assert_eq!(rules.verdict(&facts(1)), None);
        let error = TraceFacts {
            error: true,
            duration: Duration::from_secs(60),
            cost: 9.0,
            ..facts(1)
        };
        assert_eq!(rules.verdict(&error), Some(KeepReason::Error));
        let slow = TraceFacts {
            duration: Duration::from_secs(11),
            cost: 9.0,
            ..facts(1)
        };
        assert_eq!(rules.verdict(&slow), Some(KeepReason::Slow));
        let at_threshold = TraceFacts {
            duration: Duration::from_secs(10),
            ..facts(1)
        };
        assert_eq!(
            rules.verdict(&at_threshold),
            None,
            "the threshold itself is not slower"
        );
        let costly = TraceFacts {
            cost: 0.51,
            ..facts(1)
        };
        assert_eq!(rules.verdict(&costly), Some(KeepReason::Costly));
        let off = TailRules::new(&TailSamplingSettings {
            keep_slower_than: None,
            keep_cost_above: None,
            ..settings(0.0)
        });
        assert_eq!(off.verdict(&slow), None, "rules turned off keep nothing");
    }

    #[test]
    fn rate_one_keeps_every_trace_and_the_ratio_agrees_with_the_sdk_sampler() {
        let all = TailRules::new(&settings(1.0));
        assert!((1..200u128).all(|t| all.verdict(&facts(t)) == Some(KeepReason::Sampled)));
        let half = TailRules::new(&settings(0.5));
        let sdk = Sampler::TraceIdRatioBased(0.5);
        let mut kept = 0;
        for i in 0..2_000u128 {
            // Spread the ids over the low 64 bits, which the SDK's ratio reads.
            let id = (i << 64) | (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & u128::from(u64::MAX));
            let ours = half.verdict(&facts(id)).is_some();
            let theirs = sdk
                .should_sample(None, TraceId::from(id), "x", &SpanKind::Client, &[], &[])
                .decision
                == SamplingDecision::RecordAndSample;
            assert_eq!(ours, theirs, "trace {id:x}");
            kept += usize::from(ours);
        }
        assert!((800..1_200).contains(&kept), "kept {kept} of 2000 at 0.5");
    }

    #[test]
    fn a_trace_is_decided_whole_when_its_local_root_ends() {
        let (mut s, stats) = sampler(&settings(0.0));
        let now = Instant::now();
        let mut out = Vec::new();
        let error = vec![KeyValue::new("error.type", "timeout")];
        s.accept(span(1, 2, 1, 5, error), now, &mut out);
        s.accept(span(1, 3, 1, 5, vec![]), now, &mut out);
        assert!(out.is_empty(), "nothing leaves before the root ends");
        s.publish();
        assert_eq!(stats.snapshot().traces_in_progress, 1);
        assert_eq!(stats.snapshot().spans_buffered, 2);
        s.accept(span(1, 1, 0, 20, vec![]), now, &mut out);
        assert_eq!(out.len(), 3, "the whole trace is kept");
        // A fast, cheap trace at rate 0 is dropped whole.
        out.clear();
        s.accept(span(2, 5, 4, 5, vec![]), now, &mut out);
        s.accept(span(2, 4, 0, 20, vec![]), now, &mut out);
        assert!(out.is_empty());
        s.publish();
        let snap = stats.snapshot();
        assert_eq!(snap.kept.error, 1);
        assert_eq!(snap.dropped, 1);
        assert_eq!((snap.spans_kept, snap.spans_dropped), (3, 2));
        assert_eq!((snap.traces_in_progress, snap.spans_buffered), (0, 0));
    }

    #[test]
    fn slow_is_the_roots_duration_and_cost_is_summed_over_the_spans() {
        let (mut s, stats) = sampler(&settings(0.0));
        let now = Instant::now();
        let mut out = Vec::new();
        s.accept(span(1, 1, 0, 10_001, vec![]), now, &mut out);
        assert_eq!(out.len(), 1);
        let cost = |usd: f64| vec![KeyValue::new("gen_ai.usage.cost", usd)];
        s.accept(span(2, 3, 2, 5, cost(0.3)), now, &mut out);
        s.accept(span(2, 4, 2, 5, cost(0.3)), now, &mut out);
        s.accept(span(2, 2, 0, 20, vec![]), now, &mut out);
        assert_eq!(out.len(), 4, "0.3 + 0.3 USD is above 0.5");
        let snap = stats.snapshot();
        assert_eq!((snap.kept.slow, snap.kept.costly), (1, 1));
    }

    #[test]
    fn a_remote_parent_makes_a_local_root() {
        let (mut s, stats) = sampler(&settings(1.0));
        let mut out = Vec::new();
        let mut remote = (*span(1, 1, 99, 5, vec![])).clone();
        remote.parent_span_is_remote = true;
        s.accept(Arc::new(remote), Instant::now(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(stats.snapshot().kept.sampled, 1);
    }

    #[test]
    fn a_trace_whose_root_never_ends_is_decided_by_age() {
        let (mut s, stats) = sampler(&settings(0.0));
        let t0 = Instant::now();
        let mut out = Vec::new();
        s.accept(span(1, 2, 1, 5, vec![]), t0, &mut out);
        s.accept(
            span(2, 3, 1, 5, vec![KeyValue::new("error.type", "x")]),
            t0,
            &mut out,
        );
        s.expire(t0 + Duration::from_secs(59), &mut out);
        assert!(out.is_empty());
        s.expire(t0 + Duration::from_secs(60), &mut out);
        assert_eq!(
            out.len(),
            1,
            "the error trace is kept, the plain one dropped"
        );
        let snap = stats.snapshot();
        assert_eq!(snap.decided_early.age, 2);
        assert_eq!((snap.kept.error, snap.dropped), (1, 1));
    }

    #[test]
    fn overflow_decides_the_oldest_trace_early_by_traces_and_by_spans() {
        let (mut s, stats) = sampler(&TailSamplingSettings {
            max_traces: 2,
            max_spans: 5,
            ..settings(1.0)
        });
        let now = Instant::now();
        let mut out = Vec::new();
        s.accept(span(1, 2, 1, 5, vec![]), now, &mut out);
        s.accept(span(2, 2, 1, 5, vec![]), now, &mut out);
        assert!(out.is_empty());
        s.accept(span(3, 2, 1, 5, vec![]), now, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].span_context.trace_id(), TraceId::from(1u128));
        out.clear();
        for id in 3..7 {
            s.accept(span(3, id, 1, 5, vec![]), now, &mut out);
        }
        // Traces 2 (1 span) and 3 (5 spans): 6 > 5, so trace 2, the oldest, goes.
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].span_context.trace_id(), TraceId::from(2u128));
        let snap = stats.snapshot();
        assert_eq!(snap.decided_early.overflow, 2);
        assert_eq!(snap.kept.sampled, 2);
    }

    #[test]
    fn late_spans_follow_the_decision_of_their_trace() {
        let (mut s, stats) = sampler(&settings(0.0));
        let now = Instant::now();
        let mut out = Vec::new();
        s.accept(
            span(1, 1, 0, 5, vec![KeyValue::new("error.type", "x")]),
            now,
            &mut out,
        );
        s.accept(span(2, 1, 0, 5, vec![]), now, &mut out);
        out.clear();
        s.accept(span(1, 7, 1, 5, vec![]), now, &mut out);
        s.accept(
            span(2, 7, 1, 5, vec![KeyValue::new("error.type", "x")]),
            now,
            &mut out,
        );
        assert_eq!(out.len(), 1, "the kept trace's late span is forwarded");
        assert_eq!(out[0].span_context.trace_id(), TraceId::from(1u128));
        let snap = stats.snapshot();
        assert_eq!((snap.late_spans_kept, snap.late_spans_dropped), (1, 1));
        assert_eq!(snap.traces_in_progress, 0);
    }

    #[test]
    fn decisions_are_remembered_within_their_bound_only() {
        let (mut s, _) = sampler(&settings(1.0));
        let now = Instant::now();
        let mut out = Vec::new();
        let bound = remembered_decisions(100) as u128;
        for t in 1..=bound + 1 {
            s.accept(span(t, 1, 0, 5, vec![]), now, &mut out);
        }
        assert_eq!(s.decided.len(), bound as usize);
        assert!(!s.decided.contains_key(&TraceId::from(1u128)));
        assert!(s.decided.contains_key(&TraceId::from(bound + 1)));
    }

    #[test]
    fn shutdown_decides_everything_waiting() {
        let (mut s, stats) = sampler(&settings(1.0));
        let now = Instant::now();
        let mut out = Vec::new();
        for t in 1..=3 {
            s.accept(span(t, 2, 1, 5, vec![]), now, &mut out);
        }
        s.decide_all(&mut out);
        s.publish();
        assert_eq!(out.len(), 3);
        let snap = stats.snapshot();
        assert_eq!(snap.decided_early.shutdown, 3);
        assert_eq!(snap.traces_in_progress, 0);
    }
}
