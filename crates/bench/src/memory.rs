//! Phase 2: memory held by the application process for N traces while both back ends
//! are down, and after they come back and everything drains.
//!
//! RSS (`VmRSS` of `/proc/self/status`) is read after a warm-up to the steady state, once every span of the N
//! traces sits encoded in the replay buffers (the receivers answer 503 before decoding,
//! so they do not grow), and once all of it was delivered. The receivers keep only
//! counters and unique span IDs. The bridge's own count of bytes held is reported beside.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde::Serialize;

use crate::options::FaultProfile;
use crate::progress::Progress;
use crate::setup::{LlmClient, Receivers, fault_profile_manager, wait_until};

/// What the memory phase measured.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MemoryResult {
    pub(crate) traces: usize,
    pub(crate) rss_before_bytes: u64,
    pub(crate) rss_outage_bytes: u64,
    pub(crate) rss_after_drain_bytes: u64,
    /// Sum over destinations of the replay buffers' encoded bytes at the outage's peak.
    pub(crate) bridge_bytes_held: u64,
    /// Sum over destinations of spans held at the outage's peak.
    pub(crate) bridge_spans_held: u64,
    pub(crate) outage_held_mb: f64,
    pub(crate) after_drain_mb: f64,
}

const MIB: f64 = 1024.0 * 1024.0;

/// Resident set size of this process, from `/proc/self/status` (Linux).
pub(crate) fn rss_bytes() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("reading /proc/self/status (the memory phase needs Linux)")?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .context("no VmRSS line in /proc/self/status")?;
    Ok(kb * 1024)
}

#[allow(clippy::cast_precision_loss)]
fn mib_between(from: u64, to: u64) -> f64 {
    (to as f64 - from as f64) / MIB
}

pub(crate) async fn measure(
    api_base: &str,
    receivers: &Receivers,
    traces: usize,
    fault: &FaultProfile,
    progress: &Progress,
) -> Result<MemoryResult> {
    receivers.reset();
    let telemetry = fault_profile_manager("bench-memory", receivers, fault.breaker_windows)?;
    let client = LlmClient::instrumented(api_base, &telemetry)?;
    // Warm up to the steady state first: full 512-span batches encoded (the export
    // thread's working set) and the diagnostics window of recent traces full, so the
    // reading during the outage shows what holding the undelivered traces costs.
    let warmup = 2_000;
    for _ in 0..warmup {
        client.call().await?;
    }
    telemetry.flush(Duration::from_secs(10));
    let rss_before = rss_bytes()?;

    receivers.set_outage(true);
    let bar = progress.bar("traces during outage", traces as u64);
    for _ in 0..traces {
        client.call().await?;
        bar.inc(1);
    }
    bar.finish();
    let all_held = wait_until(Duration::from_secs(120), || {
        telemetry
            .stats()
            .destinations
            .iter()
            .all(|d| d.spans_pending() == d.spans_held && d.spans_held >= traces as u64)
    })
    .await;
    ensure!(
        all_held,
        "not every span reached the replay buffers: {:?}",
        telemetry.stats()
    );
    let held = telemetry.stats();
    let rss_outage = rss_bytes()?;

    receivers.set_outage(false);
    let expected = (warmup + traces) as u64;
    let drained = wait_until(Duration::from_secs(600), || {
        receivers
            .both()
            .iter()
            .all(|r| r.stats().unique_spans >= expected)
            && telemetry
                .stats()
                .destinations
                .iter()
                .all(|d| d.spans_pending() == 0)
    })
    .await;
    ensure!(
        drained,
        "the replay buffers did not drain: {:?}",
        telemetry.stats()
    );
    let rss_after = rss_bytes()?;
    telemetry.shutdown(Duration::from_secs(10));

    Ok(MemoryResult {
        traces,
        rss_before_bytes: rss_before,
        rss_outage_bytes: rss_outage,
        rss_after_drain_bytes: rss_after,
        bridge_bytes_held: held.destinations.iter().map(|d| d.bytes_held).sum(),
        bridge_spans_held: held.destinations.iter().map(|d| d.spans_held).sum(),
        outage_held_mb: mib_between(rss_before, rss_outage),
        after_drain_mb: mib_between(rss_before, rss_after),
    })
}
