//! `cargo xtask bench`: what the bridge costs an application and what it guarantees,
//! measured through the real instrumented async-openai client against a mock LLM and two
//! OTLP/HTTP receivers on loopback standing in for Langfuse and Instana (each checks its
//! path and auth headers, decodes every request and counts unique span IDs).
//!
//! Four phases, each with its own telemetry managers and the library's default settings
//! unless the run's profile says otherwise:
//!
//! 1. **latency**: per-call latency of baseline / Langfuse only / Instana only / dual /
//!    dual with both back ends down, interleaved in rotating rounds;
//! 2. **memory**: RSS held for N traces during a full outage, and after the drain;
//! 3. **reliability**: the fault profile (503 share, 429 + `Retry-After`, an outage),
//!    sent / delivered / lost / duplicates / breaker opens / retries per destination;
//! 4. **throughput**: spans per second delivered to both destinations.
//!
//! `cargo xtask soak` runs [`soak::run`] instead: sustained traffic under random faults.
//!
//! [`run`] returns the [`report::Report`] (the `report.json` schema) and writes
//! `report.json`, `report.md`, `details.json` and one latency plot per mode.

pub mod options;
pub mod report;
pub mod soak;

mod latency;
mod memory;
mod plot;
mod progress;
mod reliability;
mod setup;
mod throughput;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use genai_telemetry_bridge::BreakerState;
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};
use serde::Serialize;

use crate::options::BenchOptions;
use crate::progress::Progress;
use crate::report::Report;
use crate::setup::{LlmClient, Mode, Receivers, manager, wait_until};

/// What a run produced.
#[derive(Debug, Clone)]
pub struct BenchOutcome {
    /// The figures, in the `report.json` schema.
    pub report: Report,
    /// The markdown tables printed at the end.
    pub markdown: String,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

/// Everything measured, beyond the fixed schema of `report.json` (`details.json`).
#[derive(Debug, Serialize)]
struct Details {
    profile: &'static str,
    started: String,
    seconds: f64,
    cpu_model: Option<String>,
    back_ends: BackEnds,
    rounds: usize,
    calls_per_round: usize,
    latency: Vec<latency::ModeLatency>,
    /// Whether both breakers of the down mode were open when timing began.
    down_breakers_open: bool,
    /// Spans of the latency phase's healthy modes: produced, and decoded per receiver
    /// (or acknowledged, for real back ends).
    latency_delivery: Vec<(String, u64, u64)>,
    memory: memory::MemoryResult,
    reliability: Vec<reliability::DestinationReliability>,
    reliability_drain_seconds: f64,
    fault_profile: String,
    throughput: throughput::ThroughputResult,
}

#[derive(Debug, Serialize)]
struct BackEnds {
    langfuse: String,
    instana: String,
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
}

/// Runs every phase and writes the report files to `options.out_dir`.
pub async fn run(options: &BenchOptions) -> Result<BenchOutcome> {
    let progress = Progress::new(options.progress);
    let started = SystemTime::now();
    let clock = Instant::now();
    std::fs::create_dir_all(&options.out_dir)
        .with_context(|| format!("creating {}", options.out_dir.display()))?;

    let llm = MockLlm::start(MockLlmConfig::new().delay(options.llm_delay))
        .context("starting the mock LLM")?;
    let api_base = llm.openai_base_url();
    let local = Receivers::start("")?;
    let down = Receivers::start("-down")?;
    down.set_outage(true);

    // Phase 1: latency.
    progress.phase(&format!(
        "1/4 latency: {} rounds × {} calls per mode, mock LLM delay {:?}",
        options.rounds, options.calls_per_round, options.llm_delay
    ));
    let langfuse = options
        .real_langfuse
        .clone()
        .unwrap_or_else(|| local.langfuse_target());
    let instana = options
        .real_instana
        .clone()
        .unwrap_or_else(|| local.instana_target());
    let back_ends = BackEnds {
        langfuse: if options.real_langfuse.is_some() {
            format!("real: {}", langfuse.endpoint)
        } else {
            "loopback stand-in".into()
        },
        instana: if options.real_instana.is_some() {
            format!("real: {}", instana.endpoint)
        } else {
            "loopback stand-in".into()
        },
    };
    let langfuse_only = manager("bench-langfuse", Some(&langfuse), None, |_| {})?;
    let instana_only = manager("bench-instana", None, Some(&instana), |_| {})?;
    let dual = manager("bench-dual", Some(&langfuse), Some(&instana), |_| {})?;
    let dual_down = manager(
        "bench-dual-down",
        Some(&down.langfuse_target()),
        Some(&down.instana_target()),
        |_| {},
    )?;
    let clients = vec![
        (Mode::Baseline, LlmClient::plain(&api_base)?),
        (
            Mode::Langfuse,
            LlmClient::instrumented(&api_base, &langfuse_only)?,
        ),
        (
            Mode::Instana,
            LlmClient::instrumented(&api_base, &instana_only)?,
        ),
        (Mode::Dual, LlmClient::instrumented(&api_base, &dual)?),
        (
            Mode::DualDown,
            LlmClient::instrumented(&api_base, &dual_down)?,
        ),
    ];
    // Time the down mode only once both of its breakers are open.
    progress.note("opening the down mode's breakers");
    for _ in 0..options.warmup_calls.max(10) {
        clients[4].1.call().await?;
    }
    let down_breakers_open = wait_until(Duration::from_secs(120), || {
        let stats = dual_down.stats();
        !stats.destinations.is_empty()
            && stats
                .destinations
                .iter()
                .all(|d| d.breaker_state == BreakerState::Open)
    })
    .await;
    if !down_breakers_open {
        progress.note("the down mode's breakers did not both open within 120 s; timing anyway");
    }
    let latencies = latency::measure(
        &clients,
        options.rounds,
        options.calls_per_round,
        options.warmup_calls,
        &progress,
    )
    .await?;
    let per_mode = (options.rounds * options.calls_per_round + options.warmup_calls) as u64;
    let mut latency_delivery = Vec::new();
    for (name, m, produced) in [
        ("langfuse only", &langfuse_only, per_mode),
        ("instana only", &instana_only, per_mode),
        ("dual", &dual, per_mode),
    ] {
        let report = m.shutdown(Duration::from_secs(30));
        for d in report.destinations {
            latency_delivery.push((
                format!("{name} → {}", d.destination),
                produced,
                d.spans_delivered,
            ));
        }
    }
    dual_down.shutdown(Duration::from_millis(500));
    drop(clients);
    if options.real_langfuse.is_none() {
        latency_delivery.push((
            "Langfuse stand-in decoded (langfuse only + dual)".into(),
            2 * per_mode,
            local.langfuse.stats().unique_spans,
        ));
    }
    if options.real_instana.is_none() {
        latency_delivery.push((
            "Instana stand-in decoded (instana only + dual)".into(),
            2 * per_mode,
            local.instana.stats().unique_spans,
        ));
    }

    // Phase 2: memory.
    progress.phase(&format!(
        "2/4 memory: {} traces while both back ends are down, then the drain",
        options.memory_traces
    ));
    let memory = memory::measure(
        &api_base,
        &local,
        options.memory_traces,
        &options.fault,
        &progress,
    )
    .await?;

    // Phase 3: reliability.
    let f = &options.fault;
    let fault_profile = format!(
        "{} calls/s for {:?}; {:.0} % of requests 503, {:.0} % of the rest 429 + Retry-After: 1; one outage of {:?} after {:?}; breaker windows {}",
        f.calls_per_sec,
        f.before_outage + f.outage + f.after_outage,
        f.failure_ratio * 100.0,
        f.throttle_ratio * 100.0,
        f.outage,
        f.before_outage,
        f.breaker_windows
            .map_or("default (30 s, cap 5 min)".to_owned(), |(w, c)| format!(
                "{w:?}, cap {c:?}"
            ))
    );
    progress.phase(&format!("3/4 reliability: {fault_profile}"));
    let (reliability, drain_secs) = reliability::measure(&api_base, &local, f, &progress).await?;

    // Phase 4: throughput.
    progress.phase("4/4 throughput: spans delivered to both destinations per second");
    let throughput = throughput::measure(&local, options.throughput_duration, &progress).await?;

    let report = build_report(options, &latencies, &memory, &reliability, &throughput)?;
    let mut markdown = report.markdown();
    if options.real_langfuse.is_some() || options.real_instana.is_some() {
        use std::fmt::Write as _;
        let _ = writeln!(
            markdown,
            "\nlatency modes against Langfuse: {}, Instana: {} (the other phases on loopback stand-ins); spans acknowledged in the latency phase:",
            back_ends.langfuse, back_ends.instana
        );
        for (what, produced, delivered) in &latency_delivery {
            let _ = writeln!(markdown, "- {what}: {delivered} of {produced}");
        }
    }

    let mut files = Vec::new();
    let write = |name: &str, contents: &[u8], files: &mut Vec<PathBuf>| -> Result<()> {
        let path = options.out_dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
        Ok(())
    };
    write(
        "report.json",
        serde_json::to_string_pretty(&report)?.as_bytes(),
        &mut files,
    )?;
    write("report.md", markdown.as_bytes(), &mut files)?;
    for mode in &latencies {
        let label = Mode::ALL
            .iter()
            .find(|m| m.key() == mode.mode)
            .map_or(mode.mode, |m| m.label());
        let path = options.out_dir.join(format!("latency-{}.svg", mode.mode));
        plot::latency_histogram(&path, label, &mode.samples_us, mode.median_us, mode.p99_us)?;
        files.push(path);
    }
    let details = Details {
        profile: options.profile,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        seconds: clock.elapsed().as_secs_f64(),
        cpu_model: cpu_model(),
        back_ends,
        rounds: options.rounds,
        calls_per_round: options.calls_per_round,
        latency: latencies,
        down_breakers_open,
        latency_delivery,
        memory,
        reliability,
        reliability_drain_seconds: drain_secs,
        fault_profile,
        throughput,
    };
    write(
        "details.json",
        serde_json::to_string_pretty(&details)?.as_bytes(),
        &mut files,
    )?;
    drop(llm);
    Ok(BenchOutcome {
        report,
        markdown,
        files,
    })
}

/// One phase of a run, for [`run_phase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    /// Per-call latency by mode.
    Latency,
    /// Memory held during an outage.
    Memory,
    /// The fault profile.
    Reliability,
    /// Sustained delivery.
    Throughput,
}

/// Runs one phase alone (to investigate or profile it) and returns its detailed figures
/// as JSON; writes nothing.
pub async fn run_phase(options: &BenchOptions, phase: Phase) -> Result<serde_json::Value> {
    let progress = Progress::new(options.progress);
    let llm = MockLlm::start(MockLlmConfig::new().delay(options.llm_delay))
        .context("starting the mock LLM")?;
    let api_base = llm.openai_base_url();
    let local = Receivers::start("")?;
    Ok(match phase {
        Phase::Latency => {
            let dual = manager(
                "bench-dual",
                Some(&local.langfuse_target()),
                Some(&local.instana_target()),
                |_| {},
            )?;
            // The layer with no destination: what instrumenting costs without any export.
            let none = manager("bench-no-export", None, None, |_| {})?;
            let clients = vec![
                (Mode::Baseline, LlmClient::plain(&api_base)?),
                (Mode::NoExport, LlmClient::instrumented(&api_base, &none)?),
                (Mode::Dual, LlmClient::instrumented(&api_base, &dual)?),
            ];
            let l = latency::measure(
                &clients,
                options.rounds,
                options.calls_per_round,
                options.warmup_calls,
                &progress,
            )
            .await?;
            dual.shutdown(Duration::from_secs(10));
            serde_json::to_value(l)?
        }
        Phase::Memory => serde_json::to_value(
            memory::measure(
                &api_base,
                &local,
                options.memory_traces,
                &options.fault,
                &progress,
            )
            .await?,
        )?,
        Phase::Reliability => serde_json::to_value(
            reliability::measure(&api_base, &local, &options.fault, &progress).await?,
        )?,
        Phase::Throughput => serde_json::to_value(
            throughput::measure(&local, options.throughput_duration, &progress).await?,
        )?,
    })
}

fn build_report(
    options: &BenchOptions,
    latencies: &[latency::ModeLatency],
    memory: &memory::MemoryResult,
    reliability: &[reliability::DestinationReliability],
    throughput: &throughput::ThroughputResult,
) -> Result<Report> {
    use report::*;
    let mode = |m: Mode| {
        latencies
            .iter()
            .find(|l| l.mode == m.key())
            .with_context(|| format!("no latency figures for {}", m.key()))
    };
    let single = |m: Mode| -> Result<report::ModeLatency> {
        let l = mode(m)?;
        Ok(report::ModeLatency {
            median_us: l.median_us,
            p99_us: l.p99_us,
            overhead_median_us: l.overhead_median_us,
        })
    };
    let destination = |name: &str| -> Result<DestinationReliability> {
        let d = reliability
            .iter()
            .find(|d| d.destination == name)
            .with_context(|| format!("no reliability figures for {name}"))?;
        Ok(DestinationReliability {
            sent: d.sent,
            delivered: d.delivered,
            lost: d.lost,
            duplicates: d.duplicates,
            breaker_opens: d.breaker_opens,
            retries: d.retries,
        })
    };
    let baseline = mode(Mode::Baseline)?;
    let dual = mode(Mode::Dual)?;
    let down = mode(Mode::DualDown)?;
    Ok(Report {
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            os: std::env::consts::OS.to_owned(),
        },
        latency: Latency {
            delay_ms: u64::try_from(options.llm_delay.as_millis()).unwrap_or(u64::MAX),
            baseline: BaselineLatency {
                median_us: baseline.median_us,
                p99_us: baseline.p99_us,
            },
            langfuse: single(Mode::Langfuse)?,
            instana: single(Mode::Instana)?,
            dual: DualLatency {
                median_us: dual.median_us,
                p99_us: dual.p99_us,
                overhead_median_us: dual.overhead_median_us,
                overhead_p99_us: dual.overhead_p99_us,
            },
            dual_backends_down: DownLatency {
                median_us: down.median_us,
                overhead_median_us: down.overhead_median_us,
            },
        },
        memory: Memory {
            traces: memory.traces,
            outage_held_mb: memory.outage_held_mb,
            after_drain_mb: memory.after_drain_mb,
        },
        reliability: Reliability {
            langfuse: destination("langfuse")?,
            instana: destination("instana")?,
        },
        throughput: Throughput {
            dual_spans_per_sec: throughput.dual_spans_per_sec,
        },
    })
}
