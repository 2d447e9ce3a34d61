//! The soak's fault schedule: per receiver, rounds of the four phases (healthy, a 503
//! share, 429 throttling with `Retry-After`, a full outage) in a shuffled order, each of
//! a random length, all drawn from one seeded generator so a run can be repeated.

use std::time::Duration;

use genai_telemetry_receiver::{OtlpReceiver, SplitMix64};
use serde::Serialize;

/// The schedule's seeded generator: the receivers' SplitMix64, so a seed repeats a run.
#[derive(Debug, Clone)]
pub(crate) struct Rng(SplitMix64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(SplitMix64::new(seed))
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// Uniform in `[lo, hi]`.
    fn between(&mut self, (lo, hi): (f64, f64)) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        #[allow(clippy::cast_possible_truncation)] // the result is below `n`
        let i = (self.0.next_u64() % n as u64) as usize;
        i
    }
}

/// What a receiver does during one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Every request accepted.
    Healthy,
    /// A share of requests answered 503.
    Failing,
    /// A share of requests answered 429 with `Retry-After: 1`.
    Throttled,
    /// Every request answered 503.
    Outage,
}

impl FaultKind {
    pub(crate) const ALL: [FaultKind; 4] = [
        FaultKind::Healthy,
        FaultKind::Failing,
        FaultKind::Throttled,
        FaultKind::Outage,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FaultKind::Healthy => "healthy",
            FaultKind::Failing => "503 share",
            FaultKind::Throttled => "429 share",
            FaultKind::Outage => "outage",
        }
    }
}

/// One phase of one receiver's schedule.
#[derive(Debug, Clone, Serialize)]
pub struct FaultPhase {
    /// Seconds after the traffic started.
    pub start_s: f64,
    /// Length in seconds (the last phase is cut at the end of the traffic).
    pub seconds: f64,
    /// What the receiver does.
    pub kind: FaultKind,
    /// Share of requests failed (503) or throttled (429); 1 for an outage, 0 when healthy.
    pub ratio: f64,
}

/// Length ranges (seconds) of each phase kind and the ranges of the 503 and 429 shares.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseRanges {
    /// Healthy phase length.
    pub healthy_s: (f64, f64),
    /// 503-share phase length.
    pub failing_s: (f64, f64),
    /// 429-share phase length.
    pub throttled_s: (f64, f64),
    /// Outage length: long enough for the breaker to open (5 consecutive failures).
    pub outage_s: (f64, f64),
    /// Share of requests answered 503 in a failing phase.
    pub failure_ratio: (f64, f64),
    /// Share of requests answered 429 in a throttled phase.
    pub throttle_ratio: (f64, f64),
}

/// Draws phases until `total` is covered: rounds of the four kinds in a shuffled order.
pub(crate) fn draw(rng: &mut Rng, ranges: &PhaseRanges, total: Duration) -> Vec<FaultPhase> {
    let total = total.as_secs_f64();
    let mut phases = Vec::new();
    let mut t = 0.0;
    while t < total {
        let mut round = FaultKind::ALL;
        // Fisher–Yates.
        for i in (1..round.len()).rev() {
            round.swap(i, rng.below(i + 1));
        }
        // No kind twice in a row across rounds (two outages back to back are one long one).
        if phases
            .last()
            .is_some_and(|p: &FaultPhase| p.kind == round[0])
        {
            round.swap(0, 1);
        }
        for kind in round {
            if t >= total {
                break;
            }
            let (length, ratio) = match kind {
                FaultKind::Healthy => (ranges.healthy_s, 0.0),
                FaultKind::Failing => (ranges.failing_s, rng.between(ranges.failure_ratio)),
                FaultKind::Throttled => (ranges.throttled_s, rng.between(ranges.throttle_ratio)),
                FaultKind::Outage => (ranges.outage_s, 1.0),
            };
            let seconds = rng.between(length).min(total - t);
            phases.push(FaultPhase {
                start_s: t,
                seconds,
                kind,
                ratio,
            });
            t += seconds;
        }
    }
    phases
}

/// Puts `receiver` into `phase`'s state (clearing the previous phase's faults first).
pub(crate) fn apply(receiver: &OtlpReceiver, phase: &FaultPhase) {
    let faults = receiver.faults();
    faults.clear();
    match phase.kind {
        FaultKind::Healthy => {}
        FaultKind::Failing => faults.set_failure_ratio(phase.ratio, 503),
        FaultKind::Throttled => faults.set_throttle_ratio(phase.ratio, "1"),
        FaultKind::Outage => faults.set_outage(true),
    }
}

/// Count and seconds per kind, e.g. `healthy 8 × (312 s), outage 8 × (611 s), …`.
pub(crate) fn summary(phases: &[FaultPhase]) -> String {
    FaultKind::ALL
        .iter()
        .map(|&kind| {
            let of_kind: Vec<&FaultPhase> = phases.iter().filter(|p| p.kind == kind).collect();
            // `fold` from +0: an empty `sum` of floats is -0.
            let seconds = of_kind.iter().fold(0.0, |acc, p| acc + p.seconds);
            format!("{} {} × ({seconds:.0} s)", kind.as_str(), of_kind.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kind in force `t` seconds after the traffic started (healthy past the end).
pub(crate) fn kind_at(phases: &[FaultPhase], t: f64) -> FaultKind {
    phases
        .iter()
        .rev()
        .find(|p| p.start_s <= t)
        .filter(|p| t < p.start_s + p.seconds)
        .map_or(FaultKind::Healthy, |p| p.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges() -> PhaseRanges {
        PhaseRanges {
            healthy_s: (1.0, 2.0),
            failing_s: (1.0, 2.0),
            throttled_s: (1.0, 2.0),
            outage_s: (3.0, 4.0),
            failure_ratio: (0.2, 0.5),
            throttle_ratio: (0.1, 0.3),
        }
    }

    #[test]
    fn a_schedule_covers_the_run_exactly_and_repeats_with_its_seed() {
        let total = Duration::from_secs(60);
        let a = draw(&mut Rng::new(7), &ranges(), total);
        let b = draw(&mut Rng::new(7), &ranges(), total);
        let c = draw(&mut Rng::new(8), &ranges(), total);
        let covered: f64 = a.iter().map(|p| p.seconds).sum();
        assert!((covered - 60.0).abs() < 1e-9, "{covered}");
        for w in a.windows(2) {
            assert!((w[0].start_s + w[0].seconds - w[1].start_s).abs() < 1e-9);
        }
        let kinds = |s: &[FaultPhase]| s.iter().map(|p| p.kind).collect::<Vec<_>>();
        assert_eq!(kinds(&a), kinds(&b));
        assert_ne!(
            a.iter().map(|p| p.seconds.to_bits()).collect::<Vec<_>>(),
            c.iter().map(|p| p.seconds.to_bits()).collect::<Vec<_>>()
        );
        // Every full round holds one phase of each kind.
        for round in a.chunks_exact(4) {
            for kind in FaultKind::ALL {
                assert_eq!(round.iter().filter(|p| p.kind == kind).count(), 1);
            }
        }
        for w in a.windows(2) {
            assert_ne!(w[0].kind, w[1].kind);
        }
        for p in &a {
            match p.kind {
                FaultKind::Failing => assert!((0.2..=0.5).contains(&p.ratio)),
                FaultKind::Throttled => assert!((0.1..=0.3).contains(&p.ratio)),
                FaultKind::Outage => assert!(p.seconds >= 3.0 || p.start_s + p.seconds >= 60.0),
                FaultKind::Healthy => assert!(p.ratio == 0.0),
            }
        }
        assert_eq!(kind_at(&a, a[1].start_s + 0.01), a[1].kind);
        assert_eq!(kind_at(&a, 61.0), FaultKind::Healthy);
    }
}
