//! Head sampling: `TELEMETRY_SAMPLE_RATE` as the SDK's parent-based trace-id ratio sampler,
//! so a trace is kept or dropped whole and a remote parent's decision is honoured.
//!
//! With tail sampling on (`TELEMETRY_TAIL_SAMPLING=true`) the head sampler is parent-based
//! always-on instead, and the rate applies at the tail, in the export pipeline, to the
//! traces no keep-rule matched ([`CountingSampler::for_config`] picks the right one).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};
use serde::Serialize;

use crate::config::BridgeConfig;

/// The sampler for a rate in [0, 1]: always-on at 1, always-off at 0, else parent-based
/// trace-id ratio.
pub fn sampler_for_rate(rate: f64) -> Sampler {
    let root = if rate >= 1.0 {
        Sampler::AlwaysOn
    } else if rate <= 0.0 {
        Sampler::AlwaysOff
    } else {
        Sampler::TraceIdRatioBased(rate)
    };
    Sampler::ParentBased(Box::new(root))
}

/// Sampling decisions counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SamplingCounts {
    /// Spans recorded and sampled.
    pub kept: u64,
    /// Spans dropped by the sampler.
    pub dropped: u64,
}

/// [`sampler_for_rate`] with its decisions counted (two relaxed atomic increments at
/// most per span start).
#[derive(Debug, Clone)]
pub struct CountingSampler {
    inner: Sampler,
    rate: f64,
    tail: bool,
    counts: Arc<(AtomicU64, AtomicU64)>,
}

impl CountingSampler {
    /// A counting, parent-based sampler for this rate.
    pub fn new(rate: f64) -> Self {
        Self {
            inner: sampler_for_rate(rate),
            rate,
            tail: false,
            counts: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
        }
    }

    /// The head sampler under tail sampling: parent-based always-on (a remote parent's
    /// "not sampled" is still honoured), every local root recorded so that the tail can
    /// decide; `rate` is the one applied at the tail, reported by [`rate`](Self::rate).
    pub fn for_tail_sampling(rate: f64) -> Self {
        Self {
            inner: Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            rate,
            tail: true,
            counts: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
        }
    }

    /// The head sampler a configuration asks for: [`for_tail_sampling`](Self::for_tail_sampling)
    /// when `pipeline.tail_sampling` is set, else [`new`](Self::new).
    pub fn for_config(config: &BridgeConfig) -> Self {
        if config.pipeline.tail_sampling.is_some() {
            Self::for_tail_sampling(config.sample_rate)
        } else {
            Self::new(config.sample_rate)
        }
    }

    /// The configured rate (applied at the head, or at the tail under tail sampling).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Whether the rate applies at the tail (tail sampling on) rather than at the head.
    pub fn tail_sampling(&self) -> bool {
        self.tail
    }

    /// Decisions so far (shared by every clone).
    pub fn counts(&self) -> SamplingCounts {
        SamplingCounts {
            kept: self.counts.0.load(Relaxed),
            dropped: self.counts.1.load(Relaxed),
        }
    }
}

impl ShouldSample for CountingSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let result =
            self.inner
                .should_sample(parent_context, trace_id, name, span_kind, attributes, links);
        match result.decision {
            SamplingDecision::RecordAndSample => self.counts.0.fetch_add(1, Relaxed),
            _ => self.counts.1.fetch_add(1, Relaxed),
        };
        result
    }
}
