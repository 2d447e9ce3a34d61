//! `report.json` in exactly the schema of the project's benchmark specification, and the
//! markdown tables printed at the end of a run: our figures beside the original Python
//! bridge's published ones, and a plain verdict per target.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The machine the run was made on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs available to the process.
    pub cpus: usize,
    /// `std::env::consts::OS`.
    pub os: String,
}

/// Median and p99 of the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineLatency {
    /// Median of round medians, µs.
    pub median_us: f64,
    /// p99 over all samples, µs.
    pub p99_us: f64,
}

/// A single-destination mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeLatency {
    /// Median of round medians, µs.
    pub median_us: f64,
    /// p99 over all samples, µs.
    pub p99_us: f64,
    /// Median over rounds of (round median − baseline round median), µs.
    pub overhead_median_us: f64,
}

/// The dual-export mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DualLatency {
    /// Median of round medians, µs.
    pub median_us: f64,
    /// p99 over all samples, µs.
    pub p99_us: f64,
    /// Median over rounds of (round median − baseline round median), µs.
    pub overhead_median_us: f64,
    /// p99 − baseline p99, µs.
    pub overhead_p99_us: f64,
}

/// Dual export with both back ends down and their breakers open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownLatency {
    /// Median of round medians, µs.
    pub median_us: f64,
    /// Median over rounds of (round median − baseline round median), µs.
    pub overhead_median_us: f64,
}

/// Per-call latency by mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Delay of the mock LLM before each answer, ms.
    pub delay_ms: u64,
    /// No telemetry.
    pub baseline: BaselineLatency,
    /// Langfuse only.
    pub langfuse: ModeLatency,
    /// Instana only.
    pub instana: ModeLatency,
    /// Both.
    pub dual: DualLatency,
    /// Both, both down.
    pub dual_backends_down: DownLatency,
}

/// Memory of the process for N traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Traces sent during the outage.
    pub traces: usize,
    /// RSS growth while they were held, MiB.
    pub outage_held_mb: f64,
    /// RSS growth left after everything drained, MiB.
    pub after_drain_mb: f64,
}

/// One destination under the fault profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationReliability {
    /// Spans produced by the application.
    pub sent: u64,
    /// Unique spans decoded by the receiver.
    pub delivered: u64,
    /// Sent − delivered.
    pub lost: u64,
    /// Spans decoded more than once.
    pub duplicates: u64,
    /// Times the breaker opened.
    pub breaker_opens: u64,
    /// Export attempts retried.
    pub retries: u64,
}

/// Both destinations under the fault profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// The Langfuse stand-in.
    pub langfuse: DestinationReliability,
    /// The Instana stand-in.
    pub instana: DestinationReliability,
}

/// Sustained delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Spans decoded by both receivers per second.
    pub dual_spans_per_sec: f64,
}

/// The whole of `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// Per-call latency.
    pub latency: Latency,
    /// Memory held during an outage and after drain.
    pub memory: Memory,
    /// The fault profile.
    pub reliability: Reliability,
    /// Sustained delivery.
    pub throughput: Throughput,
}

/// The original Python bridge's published figures (their machine, Jaeger for Instana).
pub mod original {
    /// Baseline per-call latency, ms.
    pub const BASELINE_MS: f64 = 11.94;
    /// Langfuse-only per-call latency, ms.
    pub const LANGFUSE_MS: f64 = 12.58;
    /// Instana-only per-call latency, ms.
    pub const INSTANA_MS: f64 = 12.80;
    /// Dual-export per-call latency, ms.
    pub const DUAL_MS: f64 = 13.06;
    /// Memory claimed for 10,000 traces, MB.
    pub const MEMORY_MB: f64 = 10.0;
}

/// The targets of this project.
pub mod target {
    /// Dual-export overhead, median, µs.
    pub const DUAL_OVERHEAD_MEDIAN_US: f64 = 30.0;
    /// Dual-export overhead, p99, µs.
    pub const DUAL_OVERHEAD_P99_US: f64 = 150.0;
    /// Overhead with both back ends down, as a multiple of the healthy dual overhead.
    pub const DOWN_OVERHEAD_FACTOR: f64 = 1.1;
    /// Memory for 10,000 traces during a full outage, MB.
    pub const OUTAGE_MEMORY_MB: f64 = 5.0;
    /// Sustained delivery to both destinations, spans/s.
    pub const DUAL_SPANS_PER_SEC: f64 = 100_000.0;
}

/// One target and whether this run met it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// What is measured.
    pub figure: String,
    /// The target, as text.
    pub target: String,
    /// What this run measured, as text.
    pub ours: String,
    /// The original's figure, as text.
    pub original: String,
    /// Whether the target was met.
    pub met: bool,
}

fn us(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.2} ms", v / 1000.0)
    } else {
        format!("{v:.1} µs")
    }
}

fn signed_us(v: f64) -> String {
    if v >= 0.0 {
        format!("+{}", us(v))
    } else {
        format!("−{}", us(-v))
    }
}

fn thousands(v: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = v.max(0.0).round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    /// Every target of the specification with this run's figure and verdict.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let l = &self.latency;
        let r = &self.reliability;
        let down_limit = target::DOWN_OVERHEAD_FACTOR * l.dual.overhead_median_us.max(0.0);
        let lost = r.langfuse.lost + r.instana.lost;
        let dup = r.langfuse.duplicates + r.instana.duplicates;
        vec![
            Verdict {
                figure: "dual-export overhead per instrumented LLM call (median)".into(),
                target: format!("≤ {}", us(target::DUAL_OVERHEAD_MEDIAN_US)),
                ours: us(l.dual.overhead_median_us),
                original: "1,120 µs".into(),
                met: l.dual.overhead_median_us <= target::DUAL_OVERHEAD_MEDIAN_US,
            },
            Verdict {
                figure: "same, p99".into(),
                target: format!("≤ {}", us(target::DUAL_OVERHEAD_P99_US)),
                ours: us(l.dual.overhead_p99_us),
                original: "—".into(),
                met: l.dual.overhead_p99_us <= target::DUAL_OVERHEAD_P99_US,
            },
            Verdict {
                figure: "overhead while both back ends are down (breakers open)".into(),
                target: format!("≤ 1.1 × the healthy overhead ({})", us(down_limit)),
                ours: us(l.dual_backends_down.overhead_median_us),
                original: "—".into(),
                met: l.dual_backends_down.overhead_median_us <= down_limit,
            },
            Verdict {
                figure: format!(
                    "memory held for {} traces during a full outage",
                    thousands(self.memory.traces as f64)
                ),
                target: format!("≤ {} MB", target::OUTAGE_MEMORY_MB),
                ours: format!("{:.2} MB", self.memory.outage_held_mb),
                original: format!("~{} MB (on paper)", original::MEMORY_MB),
                met: self.memory.outage_held_mb <= target::OUTAGE_MEMORY_MB,
            },
            Verdict {
                figure: "sustained delivery to both destinations".into(),
                target: format!("≥ {} spans/s", thousands(target::DUAL_SPANS_PER_SEC)),
                ours: format!("{} spans/s", thousands(self.throughput.dual_spans_per_sec)),
                original: "—".into(),
                met: self.throughput.dual_spans_per_sec >= target::DUAL_SPANS_PER_SEC,
            },
            Verdict {
                figure: "spans lost under the fault profile, within the buffer bound".into(),
                target: "0".into(),
                ours: format!(
                    "{} (Langfuse) / {} (Instana)",
                    r.langfuse.lost, r.instana.lost
                ),
                original: "\"0 events\"".into(),
                met: lost == 0,
            },
            Verdict {
                figure: "spans delivered twice".into(),
                target: "0".into(),
                ours: format!(
                    "{} (Langfuse) / {} (Instana)",
                    r.langfuse.duplicates, r.instana.duplicates
                ),
                original: "—".into(),
                met: dup == 0,
            },
        ]
    }

    /// The latency table (ours beside the original's) and the targets table.
    pub fn markdown(&self) -> String {
        let l = &self.latency;
        let mut md = String::new();
        let pct = |ms: f64| (ms - original::BASELINE_MS) / original::BASELINE_MS * 100.0;
        let orig = |ms: f64| format!("+{:.1} % (+{:.2} ms)", pct(ms), ms - original::BASELINE_MS);
        let ours_pct = |overhead: f64| {
            if l.baseline.median_us > 0.0 {
                format!(" ({:+.1} %)", overhead / l.baseline.median_us * 100.0)
            } else {
                String::new()
            }
        };
        let _ = writeln!(
            md,
            "| mode | per-call latency (median) | p99 | overhead (median) | original latency | original overhead |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        let _ = writeln!(
            md,
            "| baseline, no telemetry | {} | {} | | {:.2} ms | |",
            us(l.baseline.median_us),
            us(l.baseline.p99_us),
            original::BASELINE_MS
        );
        for (label, m, orig_ms) in [
            (
                "single export (Langfuse)",
                &l.langfuse,
                original::LANGFUSE_MS,
            ),
            ("single export (Instana)", &l.instana, original::INSTANA_MS),
        ] {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {}{} | {orig_ms:.2} ms | {} |",
                us(m.median_us),
                us(m.p99_us),
                signed_us(m.overhead_median_us),
                ours_pct(m.overhead_median_us),
                orig(orig_ms)
            );
        }
        let _ = writeln!(
            md,
            "| dual export | {} | {} | {}{}; p99 {} | {:.2} ms | {} |",
            us(l.dual.median_us),
            us(l.dual.p99_us),
            signed_us(l.dual.overhead_median_us),
            ours_pct(l.dual.overhead_median_us),
            signed_us(l.dual.overhead_p99_us),
            original::DUAL_MS,
            orig(original::DUAL_MS)
        );
        let _ = writeln!(
            md,
            "| dual export, both back ends down | {} | | {}{} | — | — |",
            us(l.dual_backends_down.median_us),
            signed_us(l.dual_backends_down.overhead_median_us),
            ours_pct(l.dual_backends_down.overhead_median_us)
        );
        let _ = writeln!(md);
        let _ = writeln!(md, "| figure | target | ours | original | verdict |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for v in self.verdicts() {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                v.figure,
                v.target,
                v.ours,
                v.original,
                if v.met { "met" } else { "**NOT MET**" }
            );
        }
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "| fault profile | sent | delivered | success | lost | duplicates | breaker opens | retries |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
        for (name, d) in [
            ("Langfuse", &self.reliability.langfuse),
            ("Instana", &self.reliability.instana),
        ] {
            #[allow(clippy::cast_precision_loss)]
            let success = if d.sent == 0 {
                100.0
            } else {
                d.delivered as f64 * 100.0 / d.sent as f64
            };
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {success:.2} % | {} | {} | {} | {} |",
                d.sent, d.delivered, d.lost, d.duplicates, d.breaker_opens, d.retries
            );
        }
        let _ = writeln!(
            md,
            "\nmemory: {:.2} MB held during the outage, {:.2} MB after drain (RSS growth over the warmed-up process); throughput: {} spans/s to both destinations.",
            self.memory.outage_held_mb,
            self.memory.after_drain_mb,
            thousands(self.throughput.dual_spans_per_sec)
        );
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(123_456_789.0), "123,456,789");
    }

    #[test]
    fn microseconds_switch_to_milliseconds_above_a_thousand() {
        assert_eq!(us(12.34), "12.3 µs");
        assert_eq!(us(1_120.0), "1.12 ms");
        assert_eq!(signed_us(-3.0), "−3.0 µs");
    }
}
