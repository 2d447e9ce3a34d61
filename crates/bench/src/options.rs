//! What one bench run does: sizes of each phase, the fault profile, where to write, and
//! which back ends to use (embedded loopback receivers unless real endpoints are given).

use std::path::PathBuf;
use std::time::Duration;

/// A Langfuse project to send to: endpoint (base URL) and key pair.
#[derive(Clone)]
pub struct LangfuseTarget {
    /// Base URL, e.g. `https://cloud.langfuse.com`.
    pub endpoint: String,
    /// `pk-lf-…`
    pub public_key: String,
    /// `sk-lf-…`
    pub secret_key: String,
}

impl std::fmt::Debug for LangfuseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangfuseTarget")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// An Instana agent or serverless acceptor to send to.
#[derive(Clone)]
pub struct InstanaTarget {
    /// Base URL of the agent's OTLP/HTTP port or of the acceptor.
    pub endpoint: String,
    /// Agent key (`x-instana-key`), required by the agentless acceptor.
    pub key: Option<String>,
}

impl std::fmt::Debug for InstanaTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanaTarget")
            .field("endpoint", &self.endpoint)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The fault profile of the reliability phase, applied to both loopback receivers.
#[derive(Debug, Clone)]
pub struct FaultProfile {
    /// Traffic before the outage starts.
    pub before_outage: Duration,
    /// Length of the one outage (every request answered 503).
    pub outage: Duration,
    /// Traffic after the outage ends.
    pub after_outage: Duration,
    /// Instrumented LLM calls per second during the whole profile.
    pub calls_per_sec: u32,
    /// Fraction of requests answered 503 outside the outage.
    pub failure_ratio: f64,
    /// Fraction of the remaining requests answered 429 with `Retry-After: 1`.
    pub throttle_ratio: f64,
    /// Breaker recovery window and its cap, when not the defaults (30 s, 5 min): a
    /// scaled-down outage needs a scaled-down window to recover within the run.
    pub breaker_windows: Option<(Duration, Duration)>,
}

/// Everything one run does.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Label of the run in the report: `full`, `quick` or `smoke`.
    pub profile: &'static str,
    /// Interleaved rounds of the latency phase.
    pub rounds: usize,
    /// Calls per mode per round.
    pub calls_per_round: usize,
    /// Calls per mode before the first round (connections, caches, breakers).
    pub warmup_calls: usize,
    /// Delay of the mock LLM before each answer.
    pub llm_delay: Duration,
    /// Traces (one instrumented call each) sent during the memory phase's outage.
    pub memory_traces: usize,
    /// The reliability phase.
    pub fault: FaultProfile,
    /// How long spans are generated in the throughput phase.
    pub throughput_duration: Duration,
    /// Where `report.json`, `report.md`, `details.json` and the plots go.
    pub out_dir: PathBuf,
    /// A real Langfuse for the latency modes instead of the loopback stand-in.
    pub real_langfuse: Option<LangfuseTarget>,
    /// A real Instana for the latency modes instead of the loopback stand-in.
    pub real_instana: Option<InstanaTarget>,
    /// Show progress bars on stderr (they also hide themselves when stderr is no terminal).
    pub progress: bool,
}

impl BenchOptions {
    /// The default run: enough samples for stable medians and p99, the fault profile of
    /// BENCHMARKS.md (30 % 503, some 429, one 60 s outage, default breaker windows).
    pub fn full(out_dir: PathBuf) -> Self {
        Self {
            profile: "full",
            rounds: 20,
            calls_per_round: 1_000,
            warmup_calls: 1_000,
            llm_delay: Duration::ZERO,
            memory_traces: 10_000,
            fault: FaultProfile {
                before_outage: Duration::from_secs(20),
                outage: Duration::from_secs(60),
                after_outage: Duration::from_secs(20),
                calls_per_sec: 200,
                failure_ratio: 0.30,
                throttle_ratio: 0.05,
                breaker_windows: None,
            },
            throughput_duration: Duration::from_secs(15),
            out_dir,
            real_langfuse: None,
            real_instana: None,
            progress: true,
        }
    }

    /// `--quick`: the same phases scaled down to finish in under two minutes (the outage
    /// is 8 s and the breaker windows 1 s / 4 s so recovery fits in the run).
    pub fn quick(out_dir: PathBuf) -> Self {
        Self {
            profile: "quick",
            rounds: 8,
            calls_per_round: 300,
            warmup_calls: 300,
            fault: FaultProfile {
                before_outage: Duration::from_secs(3),
                outage: Duration::from_secs(8),
                after_outage: Duration::from_secs(3),
                breaker_windows: Some((Duration::from_secs(1), Duration::from_secs(4))),
                ..Self::full(PathBuf::new()).fault
            },
            throughput_duration: Duration::from_secs(4),
            ..Self::full(out_dir)
        }
    }

    /// A few seconds of everything, for the test suite (debug builds): checks that every
    /// phase runs and the report holds what ran, not that targets are met.
    pub fn smoke(out_dir: PathBuf) -> Self {
        Self {
            profile: "smoke",
            rounds: 2,
            calls_per_round: 20,
            warmup_calls: 20,
            memory_traces: 300,
            fault: FaultProfile {
                before_outage: Duration::from_millis(500),
                outage: Duration::from_millis(1_500),
                after_outage: Duration::from_millis(500),
                calls_per_sec: 100,
                breaker_windows: Some((Duration::from_millis(300), Duration::from_secs(1))),
                ..Self::full(PathBuf::new()).fault
            },
            throughput_duration: Duration::from_millis(500),
            progress: false,
            ..Self::full(out_dir)
        }
    }
}
