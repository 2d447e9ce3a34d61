//! Phase 1: per-call latency of the same instrumented client code path in each mode,
//! interleaved in rounds (the order rotates every round) so machine drift cancels.
//!
//! Per mode: the median of round medians, the spread of round medians, and p99 over all
//! samples. A mode's overhead is the median over rounds of (its round median − the
//! baseline's round median in the same round): paired per round, so a slow round slows
//! both sides of the difference.

use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use crate::progress::Progress;
use crate::setup::{LlmClient, Mode};

/// Samples and summary of one mode.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ModeLatency {
    /// `Mode::key`.
    pub(crate) mode: &'static str,
    /// Every timed call, µs, in the order taken.
    #[serde(skip)]
    pub(crate) samples_us: Vec<f64>,
    /// Median of each round, µs.
    pub(crate) round_medians_us: Vec<f64>,
    /// Median of the round medians, µs.
    pub(crate) median_us: f64,
    /// 99th percentile over all samples, µs.
    pub(crate) p99_us: f64,
    /// Median over rounds of (round median − baseline round median), µs.
    pub(crate) overhead_median_us: f64,
    /// p99 of this mode − p99 of the baseline, µs.
    pub(crate) overhead_p99_us: f64,
    /// Smallest and largest round median, µs.
    pub(crate) spread_us: (f64, f64),
    /// CPU time of all the process's threads per call, µs (Linux schedstat; the mock
    /// LLM and the receivers run in this process too).
    pub(crate) process_cpu_per_call_us: f64,
    /// Time threads spent runnable but waiting for a core, per call, µs.
    pub(crate) run_queue_wait_per_call_us: f64,
}

/// Sums (on-CPU ns, run-queue wait ns) over every thread of this process, from
/// `/proc/self/task/*/schedstat`; zero where that is not available.
fn schedstat() -> (u64, u64) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return (0, 0);
    };
    let mut total = (0, 0);
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        let mut fields = text
            .split_whitespace()
            .map(|f| f.parse::<u64>().unwrap_or(0));
        total.0 += fields.next().unwrap_or(0);
        total.1 += fields.next().unwrap_or(0);
    }
    total
}

/// The value at quantile `q` (0..=1) of `values`, by the nearest-rank method.
pub(crate) fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub(crate) fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// Times `rounds × calls_per_round` calls per mode after `warmup` untimed calls each.
pub(crate) async fn measure(
    clients: &[(Mode, LlmClient)],
    rounds: usize,
    calls_per_round: usize,
    warmup: usize,
    progress: &Progress,
) -> Result<Vec<ModeLatency>> {
    for (_, client) in clients {
        for _ in 0..warmup {
            client.call().await?;
        }
    }
    let bar = progress.bar(
        "latency rounds",
        (rounds * calls_per_round * clients.len()) as u64,
    );
    let mut samples: Vec<Vec<f64>> =
        vec![Vec::with_capacity(rounds * calls_per_round); clients.len()];
    let mut round_medians: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); clients.len()];
    let mut sched: Vec<(u64, u64)> = vec![(0, 0); clients.len()];
    for round in 0..rounds {
        for k in 0..clients.len() {
            let index = (k + round) % clients.len();
            let client = &clients[index].1;
            let mut round_samples = Vec::with_capacity(calls_per_round);
            let before = schedstat();
            for _ in 0..calls_per_round {
                let start = Instant::now();
                client.call().await?;
                round_samples.push(start.elapsed().as_secs_f64() * 1e6);
            }
            let after = schedstat();
            sched[index].0 += after.0.saturating_sub(before.0);
            sched[index].1 += after.1.saturating_sub(before.1);
            bar.inc(calls_per_round as u64);
            round_medians[index].push(median(&round_samples));
            samples[index].extend(round_samples);
        }
    }
    bar.finish();

    let baseline = clients
        .iter()
        .position(|(m, _)| *m == Mode::Baseline)
        .ok_or_else(|| anyhow::anyhow!("the latency phase needs the baseline mode"))?;
    let baseline_p99 = quantile(&samples[baseline], 0.99);
    let out = clients
        .iter()
        .enumerate()
        .map(|(i, (mode, _))| {
            let paired: Vec<f64> = round_medians[i]
                .iter()
                .zip(&round_medians[baseline])
                .map(|(m, b)| m - b)
                .collect();
            let p99 = quantile(&samples[i], 0.99);
            let lo = round_medians[i]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            let hi = round_medians[i]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            #[allow(clippy::cast_precision_loss)]
            let calls = (rounds * calls_per_round).max(1) as f64;
            #[allow(clippy::cast_precision_loss)]
            let (cpu, wait) = (
                sched[i].0 as f64 / calls / 1e3,
                sched[i].1 as f64 / calls / 1e3,
            );
            ModeLatency {
                process_cpu_per_call_us: cpu,
                run_queue_wait_per_call_us: wait,
                mode: mode.key(),
                median_us: median(&round_medians[i]),
                p99_us: p99,
                overhead_median_us: median(&paired),
                overhead_p99_us: p99 - baseline_p99,
                spread_us: (lo, hi),
                round_medians_us: round_medians[i].clone(),
                samples_us: std::mem::take(&mut samples[i]),
            }
        })
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles_pick_sample_values() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
