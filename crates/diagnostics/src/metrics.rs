//! `/metrics`: the bridge's own counters per destination and the cumulative GenAI usage
//! histograms, encoded in the OpenMetrics/Prometheus text format by `prometheus-client`.
//!
//! Nothing is counted here: a [`Collector`] reads one snapshot of the pipeline per scrape,
//! so the hot path pays nothing for the endpoint's existence.

use genai_telemetry_core::BridgeStats;
use genai_telemetry_core::pipeline::ledger::{GenAiUsage, Histogram};
use genai_telemetry_core::resilience::BreakerState;
use genai_telemetry_core::sampling::SamplingCounts;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

/// Content type of the exposition (Prometheus negotiates OpenMetrics and parses it).
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;

/// One scrape's worth of data.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) stats: BridgeStats,
    pub(crate) usage: Vec<GenAiUsage>,
    pub(crate) sampling: Option<SamplingCounts>,
    pub(crate) sample_rate: f64,
    pub(crate) ledger_spans_missed: Option<u64>,
    /// Per destination: reachable per the last probe (None: not probed yet).
    pub(crate) reachability: Vec<(String, Option<bool>)>,
}

/// Encodes a snapshot as a complete exposition (ending in `# EOF`).
pub(crate) fn encode(snapshot: Snapshot) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(snapshot));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

/// One metric family: descriptor, then each sample.
fn family<F>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    metric_type: MetricType,
    samples: F,
) -> Result<(), std::fmt::Error>
where
    F: FnOnce(&mut MetricEncoder<'_>) -> Result<(), std::fmt::Error>,
{
    let mut metric = encoder.encode_descriptor(name, help, unit, metric_type)?;
    samples(&mut metric)
}

fn counter(m: &mut MetricEncoder<'_>, labels: &Labels, v: u64) -> Result<(), std::fmt::Error> {
    if labels.is_empty() {
        // No `{}` on unlabelled samples.
        return m.encode_counter::<NoLabelSet, u64, u64>(&v, None);
    }
    m.encode_family(labels)?
        .encode_counter::<NoLabelSet, u64, u64>(&v, None)
}

fn counter_f64(m: &mut MetricEncoder<'_>, labels: &Labels, v: f64) -> Result<(), std::fmt::Error> {
    m.encode_family(labels)?
        .encode_counter::<NoLabelSet, f64, u64>(&v, None)
}

fn gauge<V: prometheus_client::encoding::EncodeGaugeValue>(
    m: &mut MetricEncoder<'_>,
    labels: &Labels,
    v: V,
) -> Result<(), std::fmt::Error> {
    if labels.is_empty() {
        return m.encode_gauge(&v);
    }
    m.encode_family(labels)?.encode_gauge(&v)
}

fn histogram(
    m: &mut MetricEncoder<'_>,
    labels: &impl EncodeLabelSet,
    h: &Histogram,
) -> Result<(), std::fmt::Error> {
    let buckets: Vec<(f64, u64)> = h
        .bounds
        .iter()
        .copied()
        .chain(std::iter::once(f64::INFINITY))
        .zip(h.counts.iter().copied())
        .collect();
    m.encode_family(labels)?
        .encode_histogram::<NoLabelSet>(h.sum, h.count, &buckets, None)
}

fn dest(name: &str) -> Labels {
    vec![("destination", name.to_owned())]
}

impl Collector for Snapshot {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let d = &self.stats.destinations;
        let e = &mut e;
        use MetricType::{Counter, Gauge};

        family(
            e,
            "genai_telemetry_spans_enqueued",
            "Spans accepted into the destination's queue.",
            None,
            Counter,
            |m| {
                d.iter()
                    .try_for_each(|s| counter(m, &dest(&s.destination), s.spans_enqueued))
            },
        )?;
        family(
            e,
            "genai_telemetry_spans_delivered",
            "Spans in batches the back end answered with 2xx.",
            None,
            Counter,
            |m| {
                d.iter()
                    .try_for_each(|s| counter(m, &dest(&s.destination), s.spans_delivered))
            },
        )?;
        family(
            e,
            "genai_telemetry_spans_dropped",
            "Spans dropped instead of delivered, by reason.",
            None,
            Counter,
            |m| {
                d.iter().try_for_each(|s| {
                    [
                        ("queue_full", s.dropped.queue_full),
                        ("overflow", s.dropped.overflow),
                        ("permanent_error", s.dropped.permanent_error),
                        ("shutdown", s.dropped.shutdown),
                        ("spool_damaged", s.dropped.spool_damaged),
                    ]
                    .into_iter()
                    .try_for_each(|(reason, n)| {
                        let mut l = dest(&s.destination);
                        l.push(("reason", reason.to_owned()));
                        counter(m, &l, n)
                    })
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_spool_spans_written",
            "Spans written to the disk spool (TELEMETRY_SPOOL_DIR).",
            None,
            Counter,
            |m| {
                d.iter()
                    .try_for_each(|s| counter(m, &dest(&s.destination), s.spool.spans_written))
            },
        )?;
        family(
            e,
            "genai_telemetry_spool_spans",
            "Spans waiting in the disk spool.",
            None,
            Gauge,
            |m| {
                d.iter()
                    .try_for_each(|s| gauge(m, &dest(&s.destination), s.spool.spans))
            },
        )?;
        family(
            e,
            "genai_telemetry_spool_held",
            "Bytes of disk spool segment files.",
            Some(&Unit::Bytes),
            Gauge,
            |m| {
                d.iter()
                    .try_for_each(|s| gauge(m, &dest(&s.destination), s.spool.bytes))
            },
        )?;
        family(
            e,
            "genai_telemetry_spans_pending",
            "Spans accepted but neither delivered nor dropped yet.",
            None,
            Gauge,
            |m| {
                d.iter()
                    .try_for_each(|s| gauge(m, &dest(&s.destination), s.spans_pending()))
            },
        )?;
        family(
            e,
            "genai_telemetry_export_batches",
            "Export requests, by outcome (ok: 2xx; failed: any failure).",
            None,
            Counter,
            |m| {
                d.iter().try_for_each(|s| {
                    [("ok", s.batches_ok), ("failed", s.batches_failed)]
                        .into_iter()
                        .try_for_each(|(outcome, n)| {
                            let mut l = dest(&s.destination);
                            l.push(("outcome", outcome.to_owned()));
                            counter(m, &l, n)
                        })
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_export_retries",
            "Attempts that re-sent a batch after a transient failure.",
            None,
            Counter,
            |m| {
                d.iter()
                    .try_for_each(|s| counter(m, &dest(&s.destination), s.retries))
            },
        )?;
        family(
            e,
            "genai_telemetry_export_splits",
            "Batches split in two after a 413.",
            None,
            Counter,
            |m| {
                d.iter()
                    .try_for_each(|s| counter(m, &dest(&s.destination), s.splits))
            },
        )?;
        family(
            e,
            "genai_telemetry_breaker_state",
            "Circuit breaker state: 1 for the current state, 0 for the others.",
            None,
            Gauge,
            |m| {
                d.iter().try_for_each(|s| {
                    [
                        BreakerState::Closed,
                        BreakerState::Open,
                        BreakerState::HalfOpen,
                    ]
                    .into_iter()
                    .try_for_each(|state| {
                        let mut l = dest(&s.destination);
                        l.push(("state", state.as_str().to_owned()));
                        gauge(m, &l, u64::from(s.breaker_state == state))
                    })
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_breaker_opens",
            "Times the circuit breaker opened.",
            None,
            Counter,
            |m| {
                d.iter()
                    .try_for_each(|s| counter(m, &dest(&s.destination), s.breaker_opens))
            },
        )?;
        family(
            e,
            "genai_telemetry_replay_held",
            "Encoded bytes waiting in the replay buffer.",
            Some(&Unit::Bytes),
            Gauge,
            |m| {
                d.iter()
                    .try_for_each(|s| gauge(m, &dest(&s.destination), s.bytes_held))
            },
        )?;
        family(
            e,
            "genai_telemetry_replay_held_batches",
            "Batches waiting in the replay buffer.",
            None,
            Gauge,
            |m| {
                d.iter()
                    .try_for_each(|s| gauge(m, &dest(&s.destination), s.batches_held))
            },
        )?;
        family(
            e,
            "genai_telemetry_replay_held_spans",
            "Spans waiting in the replay buffer.",
            None,
            Gauge,
            |m| {
                d.iter()
                    .try_for_each(|s| gauge(m, &dest(&s.destination), s.spans_held))
            },
        )?;
        family(
            e,
            "genai_telemetry_last_success_timestamp",
            "Time of the last delivery, Unix seconds (absent before the first).",
            Some(&Unit::Seconds),
            Gauge,
            |m| {
                d.iter().try_for_each(|s| match s.last_success_unix_ms {
                    Some(ms) => gauge(m, &dest(&s.destination), ms as f64 / 1000.0),
                    None => Ok(()),
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_destination_reachable",
            "1 when the last TCP connect probe succeeded, 0 when it failed (absent before the first probe).",
            None,
            Gauge,
            |m| {
                self.reachability.iter().try_for_each(|(name, r)| match r {
                    Some(ok) => gauge(m, &dest(name), u64::from(*ok)),
                    None => Ok(()),
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_spans_after_shutdown",
            "Spans that ended after shutdown began (never exported).",
            None,
            Counter,
            |m| counter(m, &Vec::new(), self.stats.spans_after_shutdown),
        )?;
        family(
            e,
            "genai_telemetry_sample_ratio",
            "Configured sampling ratio (TELEMETRY_SAMPLE_RATE), at the head or, under tail sampling, at the tail.",
            None,
            Gauge,
            |m| gauge(m, &Vec::new(), self.sample_rate),
        )?;
        if let Some(counts) = self.sampling {
            family(
                e,
                "genai_telemetry_sampling_decisions",
                "Head-sampling decisions, by decision.",
                None,
                Counter,
                |m| {
                    counter(m, &vec![("decision", "kept".to_owned())], counts.kept)?;
                    counter(m, &vec![("decision", "dropped".to_owned())], counts.dropped)
                },
            )?;
        }
        if let Some(t) = &self.stats.tail_sampling {
            let kept = |reason: &str| {
                vec![
                    ("decision", "kept".to_owned()),
                    ("reason", reason.to_owned()),
                ]
            };
            family(
                e,
                "genai_telemetry_tail_sampling_traces",
                "Local traces tail sampling decided, by decision and the rule that kept them.",
                None,
                Counter,
                |m| {
                    counter(m, &kept("error"), t.kept.error)?;
                    counter(m, &kept("slow"), t.kept.slow)?;
                    counter(m, &kept("costly"), t.kept.costly)?;
                    counter(m, &kept("sampled"), t.kept.sampled)?;
                    counter(
                        m,
                        &vec![
                            ("decision", "dropped".to_owned()),
                            ("reason", "none".to_owned()),
                        ],
                        t.dropped,
                    )
                },
            )?;
            family(
                e,
                "genai_telemetry_tail_sampling_spans",
                "Spans tail sampling kept or dropped, late spans (their trace already decided) apart.",
                None,
                Counter,
                |m| {
                    let labels = |decision: &str, late: bool| {
                        vec![
                            ("decision", decision.to_owned()),
                            ("late", late.to_string()),
                        ]
                    };
                    counter(m, &labels("kept", false), t.spans_kept)?;
                    counter(m, &labels("dropped", false), t.spans_dropped)?;
                    counter(m, &labels("kept", true), t.late_spans_kept)?;
                    counter(m, &labels("dropped", true), t.late_spans_dropped)
                },
            )?;
            family(
                e,
                "genai_telemetry_tail_sampling_early_decisions",
                "Traces decided before their local root ended, by reason.",
                None,
                Counter,
                |m| {
                    let reason = |r: &str| vec![("reason", r.to_owned())];
                    counter(m, &reason("age"), t.decided_early.age)?;
                    counter(m, &reason("overflow"), t.decided_early.overflow)?;
                    counter(m, &reason("shutdown"), t.decided_early.shutdown)
                },
            )?;
            family(
                e,
                "genai_telemetry_tail_sampling_spans_queue_full",
                "Spans lost because the tail sampler's queue was full when they ended.",
                None,
                Counter,
                |m| counter(m, &Vec::new(), t.spans_queue_full),
            )?;
            family(
                e,
                "genai_telemetry_tail_sampling_traces_in_progress",
                "Local traces waiting for their root to end.",
                None,
                Gauge,
                |m| gauge(m, &Vec::new(), t.traces_in_progress),
            )?;
            family(
                e,
                "genai_telemetry_tail_sampling_spans_buffered",
                "Spans of the traces waiting for a tail decision.",
                None,
                Gauge,
                |m| gauge(m, &Vec::new(), t.spans_buffered),
            )?;
        }
        if let Some(missed) = self.ledger_spans_missed {
            family(
                e,
                "genai_telemetry_ledger_spans_missed",
                "Spans the diagnostics trace ledger was too busy to record (exports unaffected).",
                None,
                Counter,
                |m| counter(m, &Vec::new(), missed),
            )?;
        }
        self.encode_genai(e)
    }
}

impl Snapshot {
    /// The GenAI client metrics of the semantic conventions, named the way OpenTelemetry's
    /// Prometheus exporters name them (dots to underscores, unit suffix).
    fn encode_genai(&self, e: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        use MetricType::{Counter, Histogram as Hist};
        let u = &self.usage;
        let base = |x: &GenAiUsage| -> Labels {
            vec![
                ("gen_ai_operation_name", x.operation.clone()),
                ("gen_ai_provider_name", x.provider.clone()),
                ("gen_ai_response_model", x.model.clone()),
            ]
        };
        family(
            e,
            "gen_ai_client_token_usage",
            "Number of input and output tokens used (gen_ai.client.token.usage), per call.",
            None,
            Hist,
            |m| {
                u.iter().try_for_each(|x| {
                    for (token_type, h) in
                        [("input", &x.input_tokens), ("output", &x.output_tokens)]
                    {
                        if h.count > 0 {
                            let mut l = base(x);
                            l.push(("gen_ai_token_type", token_type.to_owned()));
                            histogram(m, &l, h)?;
                        }
                    }
                    Ok(())
                })
            },
        )?;
        family(
            e,
            "gen_ai_client_operation_duration",
            "GenAI operation duration (gen_ai.client.operation.duration).",
            Some(&Unit::Seconds),
            Hist,
            |m| {
                u.iter()
                    .try_for_each(|x| histogram(m, &base(x), &x.duration_seconds))
            },
        )?;
        family(
            e,
            "gen_ai_client_operation_time_to_first_chunk",
            "Time to receive the first chunk of a streaming operation (gen_ai.client.operation.time_to_first_chunk).",
            Some(&Unit::Seconds),
            Hist,
            |m| {
                u.iter().try_for_each(|x| {
                    if x.time_to_first_chunk_seconds.count > 0 {
                        histogram(m, &base(x), &x.time_to_first_chunk_seconds)?;
                    }
                    Ok(())
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_genai_calls",
            "LLM calls seen, by outcome.",
            None,
            Counter,
            |m| {
                u.iter().try_for_each(|x| {
                    let mut ok = base(x);
                    ok.push(("outcome", "ok".to_owned()));
                    counter(m, &ok, x.calls.saturating_sub(x.errors))?;
                    let mut err = base(x);
                    err.push(("outcome", "error".to_owned()));
                    counter(m, &err, x.errors)
                })
            },
        )?;
        family(
            e,
            "genai_telemetry_genai_cost_usd",
            "Estimated cost of the LLM calls seen (gen_ai.usage.cost), USD.",
            None,
            Counter,
            |m| u.iter().try_for_each(|x| counter_f64(m, &base(x), x.cost)),
        )
    }
}
