//! Phase 3: the fault profile. Both receivers fail a share of requests with 503, answer
//! some with 429 and `Retry-After: 1`, and go down once for the outage window, while the
//! application makes instrumented calls at a steady rate. Afterwards the 503 share and the
//! 429s go on while the bridge drains what it held (so the replay itself meets faults), and
//! every span is counted at the receivers: delivered means decoded by the receiver, lost is
//! produced minus delivered, duplicates are span IDs decoded twice.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use crate::options::FaultProfile;
use crate::progress::Progress;
use crate::setup::{LlmClient, Receivers, fault_profile_manager, wait_until};

/// What one destination went through.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DestinationReliability {
    pub(crate) destination: String,
    /// Spans the application produced (one per instrumented call).
    pub(crate) sent: u64,
    /// Unique span IDs the receiver decoded.
    pub(crate) delivered: u64,
    pub(crate) lost: u64,
    pub(crate) duplicates: u64,
    pub(crate) breaker_opens: u64,
    pub(crate) retries: u64,
    /// Delivered ÷ sent, in percent.
    pub(crate) success_pct: f64,
    /// Export requests the receiver saw, and its answers by status.
    pub(crate) requests: u64,
    pub(crate) status_counts: BTreeMap<u16, u64>,
    /// Spans the bridge dropped, by any reason.
    pub(crate) dropped: u64,
}

/// Runs the profile; returns Langfuse's figures, then Instana's, and the seconds the
/// bridge took to drain, under the same 503 and 429 faults, after the traffic stopped.
pub(crate) async fn measure(
    api_base: &str,
    receivers: &Receivers,
    profile: &FaultProfile,
    progress: &Progress,
) -> Result<(Vec<DestinationReliability>, f64)> {
    receivers.reset();
    for (seed, r) in [(1, &receivers.langfuse), (2, &receivers.instana)] {
        r.faults().set_seed(seed);
        r.faults().set_failure_ratio(profile.failure_ratio, 503);
        r.faults().set_throttle_ratio(profile.throttle_ratio, "1");
    }
    let telemetry = fault_profile_manager("bench-reliability", receivers, profile.breaker_windows)?;
    let client = LlmClient::instrumented(api_base, &telemetry)?;

    let total = profile.before_outage + profile.outage + profile.after_outage;
    let bar = progress.bar("seconds of traffic", total.as_secs().max(1));
    let mut tick = tokio::time::interval(Duration::from_secs(1) / profile.calls_per_sec.max(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = Instant::now();
    let mut outage_started = false;
    let mut produced: u64 = 0;
    while start.elapsed() < total {
        if !outage_started && start.elapsed() >= profile.before_outage {
            for r in receivers.both() {
                r.faults().outage_for(profile.outage);
            }
            outage_started = true;
        }
        tick.tick().await;
        client.call().await?;
        produced += 1;
        bar.set_position(start.elapsed().as_secs());
    }
    bar.finish();

    let traffic_stopped = Instant::now();
    let drained = wait_until(Duration::from_secs(600), || {
        receivers
            .both()
            .iter()
            .all(|r| r.stats().unique_spans >= produced)
            && telemetry
                .stats()
                .destinations
                .iter()
                .all(|d| d.spans_pending() == 0)
    })
    .await;
    let drain_secs = traffic_stopped.elapsed().as_secs_f64();
    for r in receivers.both() {
        r.faults().clear();
    }
    if !drained {
        progress.note("the bridge did not drain within 600 s; counting what arrived");
    }
    let report = telemetry.shutdown(Duration::from_secs(30));

    let out = [
        ("langfuse", &receivers.langfuse),
        ("instana", &receivers.instana),
    ]
    .into_iter()
    .map(|(name, receiver)| {
        let r = receiver.stats();
        let d = report.destination(name);
        #[allow(clippy::cast_precision_loss)]
        let success_pct = if produced == 0 {
            100.0
        } else {
            r.unique_spans as f64 * 100.0 / produced as f64
        };
        DestinationReliability {
            destination: name.to_owned(),
            sent: produced,
            delivered: r.unique_spans,
            lost: produced.saturating_sub(r.unique_spans),
            duplicates: r.duplicate_spans,
            breaker_opens: d.map_or(0, |d| d.breaker_opens),
            retries: d.map_or(0, |d| d.retries),
            success_pct,
            requests: r.requests,
            status_counts: r.status_counts,
            dropped: d.map_or(0, |d| d.dropped.total()),
        }
    })
    .collect();
    Ok((out, drain_secs))
}
