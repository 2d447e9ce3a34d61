//! `cargo xtask soak --minutes N`: sustained instrumented traffic while both back ends go
//! through random faults, to show that memory stays flat and nothing is lost over time.
//!
//! Two processes. This one (the harness) runs the mock LLM and the Langfuse and Instana
//! stand-ins, and drives each receiver through its own seeded [fault schedule](schedule):
//! rounds of healthy, a 503 share, 429 throttling with `Retry-After: 1`, and outages long
//! enough that the breakers open and later close. The application process
//! ([`app`], the same binary's hidden `soak-app` command) makes real async-openai calls
//! through `OpenAiTelemetryLayer` and a `TelemetryManager` exporting to both stand-ins, at
//! a steady rate, and prints a sample of its counters and resident set every few seconds.
//! Keeping the receivers out of the application process matters: they remember every span
//! ID they decoded (to count duplicates), which would otherwise show as growth.
//!
//! After the traffic the faults are turned off and the bridge drains; then the totals per
//! destination: sent, delivered (unique span IDs decoded by the receiver), drops the
//! bridge counted by reason, unexplained loss (sent − delivered − counted drops),
//! duplicates, breaker opens and closes, retries. [`run`] writes `soak.json`, `soak.md`
//! and `soak.svg` (resident set and bytes held over time).

pub mod app;
mod plot;
pub mod schedule;

use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail, ensure};
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};
use serde::Serialize;

use self::app::{AppSample, SAMPLE_PREFIX, Stage};
use self::schedule::{FaultKind, FaultPhase, PhaseRanges, Rng};
use crate::memory::rss_bytes;
use crate::setup::{Receivers, wait_until};

/// What one soak run does.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// How long the application makes calls.
    pub traffic: Duration,
    /// Instrumented calls per second (one span each).
    pub calls_per_sec: u32,
    /// Seed of the fault schedules and of the receivers' 503/429 draws.
    pub seed: u64,
    /// How often the application reports a sample.
    pub sample_every: Duration,
    /// Phase lengths and fault shares.
    pub ranges: PhaseRanges,
    /// Breaker recovery window and its cap, when not the library's defaults (30 s doubling
    /// up to 5 min; the breaker opens after 5 consecutive failed exports either way).
    pub breaker_windows: Option<(Duration, Duration)>,
    /// Batch timeout, when not the library's default (1 s).
    pub batch_timeout: Option<Duration>,
    /// Longest wait for the drain after the traffic (faults off).
    pub drain_timeout: Duration,
    /// Share of the traffic time excluded from the RSS trend (allocator and buffers
    /// reaching their working size).
    pub warmup_share: f64,
    /// A progress line on stderr this often (`None`: quiet).
    pub progress_every: Option<Duration>,
    /// Where `soak.json`, `soak.md` and `soak.svg` go.
    pub out_dir: PathBuf,
    /// The `genai-telemetry-bench` executable, run as the application process.
    pub app_exe: PathBuf,
}

impl SoakOptions {
    /// The real soak: `minutes` of traffic at 150 calls/s, the library's default
    /// pipeline settings (breaker 5 failures, 30 s window doubling up to 5 min), phases of
    /// 20–60 s healthy, 30–90 s at 20–50 % 503, 30–90 s at 10–40 % 429, 45–120 s outage.
    pub fn minutes(minutes: u64, out_dir: PathBuf, app_exe: PathBuf) -> Self {
        Self {
            traffic: Duration::from_secs(minutes * 60),
            calls_per_sec: 150,
            seed: 0x50A4,
            sample_every: Duration::from_secs(5),
            ranges: PhaseRanges {
                healthy_s: (20.0, 60.0),
                failing_s: (30.0, 90.0),
                throttled_s: (30.0, 90.0),
                outage_s: (45.0, 120.0),
                failure_ratio: (0.2, 0.5),
                throttle_ratio: (0.1, 0.4),
            },
            breaker_windows: None,
            batch_timeout: None,
            // The breaker may wait up to its 5 min cap before the next probe.
            drain_timeout: Duration::from_secs(7 * 60),
            warmup_share: 0.15,
            progress_every: Some(Duration::from_secs(60)),
            out_dir,
            app_exe,
        }
    }

    /// A few seconds of the same, scaled down (what the test suite runs): 50 calls/s,
    /// phases of 0.5–2.5 s, breaker window 300 ms up to 1 s, batch timeout 200 ms.
    pub fn seconds(seconds: u64, out_dir: PathBuf, app_exe: PathBuf) -> Self {
        Self {
            traffic: Duration::from_secs(seconds),
            calls_per_sec: 50,
            sample_every: Duration::from_millis(250),
            ranges: PhaseRanges {
                healthy_s: (0.5, 1.0),
                failing_s: (0.5, 1.5),
                throttled_s: (0.5, 1.5),
                outage_s: (2.0, 2.5),
                failure_ratio: (0.2, 0.5),
                throttle_ratio: (0.1, 0.4),
            },
            breaker_windows: Some((Duration::from_millis(300), Duration::from_secs(1))),
            batch_timeout: Some(Duration::from_millis(200)),
            drain_timeout: Duration::from_secs(30),
            warmup_share: 0.25,
            progress_every: None,
            ..Self::minutes(0, out_dir, app_exe)
        }
    }

    fn breaker_text(&self) -> String {
        match self.breaker_windows {
            None => "library defaults: opens after 5 consecutive failed exports, 30 s window doubling after each failed probe up to 5 min".to_owned(),
            Some((w, c)) => format!(
                "opens after 5 consecutive failed exports, window {w:?} doubling up to {c:?} (scaled down)"
            ),
        }
    }
}

/// One receiver's side of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiverSample {
    /// Fault phase in force.
    pub fault: FaultKind,
    /// Unique span IDs decoded so far.
    pub unique_spans: u64,
    /// Span IDs decoded again.
    pub duplicate_spans: u64,
}

/// One point of the time series.
#[derive(Debug, Clone, Serialize)]
pub struct SoakSample {
    /// The application's sample.
    #[serde(flatten)]
    pub app: AppSample,
    /// Resident set of the harness (receivers, mock LLM), for contrast.
    pub harness_rss_bytes: u64,
    /// Langfuse stand-in, then Instana stand-in.
    pub receivers: Vec<ReceiverSample>,
}

/// Totals of one destination.
#[derive(Debug, Clone, Serialize)]
pub struct DestinationTotals {
    /// `langfuse` or `instana`.
    pub destination: String,
    /// Spans produced (one per instrumented call).
    pub sent: u64,
    /// Unique span IDs the receiver decoded.
    pub delivered: u64,
    /// Spans the bridge saw acknowledged.
    pub bridge_delivered: u64,
    /// Dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Dropped because the replay buffer was full (the oldest batches).
    pub dropped_overflow: u64,
    /// Dropped after a permanent refusal.
    pub dropped_permanent: u64,
    /// Dropped at shutdown.
    pub dropped_shutdown: u64,
    /// sent − delivered − every counted drop: spans gone without a count (must be 0).
    pub unexplained_loss: i64,
    /// Span IDs decoded more than once.
    pub duplicates: u64,
    /// Times the breaker opened (re-opening after a failed probe included).
    pub breaker_opens: u64,
    /// Times the breaker closed again.
    pub breaker_closes: u64,
    /// Re-sent batches.
    pub retries: u64,
    /// Largest replay buffer seen in a sample, bytes.
    pub max_bytes_held: u64,
    /// Export requests the receiver saw, and its answers by status.
    pub requests: u64,
    /// Answers by HTTP status.
    pub status_counts: std::collections::BTreeMap<u16, u64>,
}

/// The application's resident set over the run.
#[derive(Debug, Clone, Serialize)]
pub struct RssSummary {
    /// Seconds of traffic excluded as warm-up.
    pub warmup_s: f64,
    /// First sample.
    pub first_mb: f64,
    /// First sample after the warm-up.
    pub start_mb: f64,
    /// Last sample of the traffic.
    pub end_mb: f64,
    /// After the drain.
    pub after_drain_mb: f64,
    /// Smallest and largest after the warm-up.
    pub min_mb: f64,
    /// See `min_mb`.
    pub max_mb: f64,
    /// Least-squares slope of RSS over time after the warm-up, every sample.
    pub slope_kb_per_min: f64,
    /// The same over the samples where neither destination held anything (what the
    /// process costs at rest, without the replay buffers' content).
    pub idle_slope_kb_per_min: Option<f64>,
    /// Samples after the warm-up, and how many of them idle.
    pub samples: usize,
    /// See `samples`.
    pub idle_samples: usize,
    /// Whether the slope is within [`FLAT_KB_PER_MIN`].
    pub flat: bool,
    /// The verdict in words.
    pub verdict: String,
}

/// A slope of RSS below this (either way) counts as flat: 100 KB/min is 6 MB an hour.
pub const FLAT_KB_PER_MIN: f64 = 100.0;

/// Everything a soak run measured (`soak.json`).
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// RFC 3339 start time.
    pub started: String,
    /// CPU count, OS, CPU model.
    pub machine: Machine,
    /// Traffic time, seconds.
    pub traffic_s: f64,
    /// Drain time after the traffic (faults off), seconds.
    pub drain_s: f64,
    /// Calls per second asked for.
    pub target_calls_per_sec: u32,
    /// Calls per second made.
    pub achieved_calls_per_sec: f64,
    /// Seed of the schedules.
    pub seed: u64,
    /// Breaker settings in words.
    pub breaker: String,
    /// Batch timeout, when not the default.
    pub batch_timeout_ms: Option<u64>,
    /// The ranges the phases were drawn from.
    pub ranges: PhaseRanges,
    /// Per receiver: a summary and the phases.
    pub schedules: Vec<ReceiverSchedule>,
    /// The application's resident set.
    pub rss: RssSummary,
    /// Totals per destination.
    pub destinations: Vec<DestinationTotals>,
    /// The time series: every sample of the traffic and the drain, and the final one after shutdown.
    pub samples: Vec<SoakSample>,
}

/// The machine the run was made on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// `linux`, …
    pub os: String,
    /// From `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
}

/// One receiver's fault schedule.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiverSchedule {
    /// `langfuse` or `instana`.
    pub receiver: String,
    /// Count and seconds per kind.
    pub summary: String,
    /// Every phase.
    pub phases: Vec<FaultPhase>,
}

/// What a soak run produced.
#[derive(Debug, Clone)]
pub struct SoakOutcome {
    /// The figures.
    pub report: SoakReport,
    /// The tables of `soak.md`.
    pub markdown: String,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

/// Kills the application process if the harness gives up early.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

const MIB: f64 = 1024.0 * 1024.0;

#[allow(clippy::cast_precision_loss)]
fn mb(bytes: u64) -> f64 {
    bytes as f64 / MIB
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Least-squares slope of `(x, y)`; `None` below two distinct x.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Runs the soak and writes `soak.json`, `soak.md` and `soak.svg` to `options.out_dir`.
pub async fn run(options: &SoakOptions) -> Result<SoakOutcome> {
    ensure!(
        options.calls_per_sec > 0,
        "the call rate must be at least 1/s"
    );
    ensure!(
        !options.traffic.is_zero(),
        "the soak needs some traffic time"
    );
    std::fs::create_dir_all(&options.out_dir)
        .with_context(|| format!("creating {}", options.out_dir.display()))?;
    let started = SystemTime::now();

    let llm = MockLlm::start(MockLlmConfig::new()).context("starting the mock LLM")?;
    let receivers = Receivers::start("-soak")?;
    let mut rng = Rng::new(options.seed);
    let schedules: Vec<Vec<FaultPhase>> = (0..2)
        .map(|_| schedule::draw(&mut rng, &options.ranges, options.traffic))
        .collect();
    for (i, r) in receivers.both().iter().enumerate() {
        r.faults().set_seed(options.seed.wrapping_add(1 + i as u64));
    }

    let mut cmd = Command::new(&options.app_exe);
    cmd.arg("soak-app")
        .arg("--langfuse")
        .arg(receivers.langfuse.endpoint())
        .arg("--instana")
        .arg(receivers.instana.endpoint())
        .arg("--llm")
        .arg(llm.openai_base_url())
        .arg("--rate")
        .arg(options.calls_per_sec.to_string())
        .arg("--traffic-ms")
        .arg(options.traffic.as_millis().to_string())
        .arg("--sample-ms")
        .arg(options.sample_every.as_millis().to_string())
        .arg("--drain-timeout-ms")
        .arg(options.drain_timeout.as_millis().to_string());
    if let Some((window, cap)) = options.breaker_windows {
        cmd.arg("--breaker-window-ms")
            .arg(window.as_millis().to_string())
            .arg("--breaker-cap-ms")
            .arg(cap.as_millis().to_string());
    }
    if let Some(t) = options.batch_timeout {
        cmd.arg("--batch-timeout-ms").arg(t.as_millis().to_string());
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = ChildGuard(
        cmd.spawn()
            .with_context(|| format!("starting {}", options.app_exe.display()))?,
    );
    let stdout = child
        .0
        .stdout
        .take()
        .context("no stdout from the application process")?;
    // Its stdout is read on a plain thread (tokio's `process` feature is not enabled in the
    // workspace) and handed over as lines.
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    let mut samples: Vec<SoakSample> = Vec::new();
    // When the schedules started (with the first sample, as the traffic starts), and the
    // next phase of each receiver; `None` once the traffic ended.
    let mut origin: Option<tokio::time::Instant> = None;
    let mut next_phase = [0usize; 2];
    let mut traffic_end: Option<(Instant, f64)> = None;
    let mut final_sample: Option<AppSample> = None;
    let mut next_progress: Option<f64> = None;
    loop {
        let due = origin.filter(|_| traffic_end.is_none()).and_then(|o| {
            next_phase
                .iter()
                .zip(&schedules)
                .filter_map(|(&i, phases)| phases.get(i))
                .map(|p| o + Duration::from_secs_f64(p.start_s))
                .min()
        });
        let line = tokio::select! {
            line = lines.recv() => line,
            () = sleep_until_some(due) => {
                let now = tokio::time::Instant::now();
                if let Some(o) = origin {
                    for ((receiver, phases), next) in
                        receivers.both().into_iter().zip(&schedules).zip(&mut next_phase)
                    {
                        while let Some(p) = phases.get(*next) {
                            if o + Duration::from_secs_f64(p.start_s) > now {
                                break;
                            }
                            schedule::apply(receiver, p);
                            *next += 1;
                        }
                    }
                }
                continue;
            }
        };
        let Some(line) = line else { break };
        let Some(json) = line.strip_prefix(SAMPLE_PREFIX) else {
            continue;
        };
        let app: AppSample = serde_json::from_str(json)
            .with_context(|| format!("a sample from the application process: {json}"))?;
        if origin.is_none() && app.stage == Stage::Traffic {
            origin = Some(
                tokio::time::Instant::now()
                    - Duration::from_secs_f64(app.t_s.min(options.traffic.as_secs_f64())),
            );
        }
        if app.stage == Stage::Drain && traffic_end.is_none() {
            for r in receivers.both() {
                r.faults().clear();
            }
            traffic_end = Some((Instant::now(), app.t_s));
        }
        if let Some(every) = options.progress_every
            && next_progress.is_none_or(|at| app.t_s >= at)
        {
            next_progress = Some(app.t_s + every.as_secs_f64());
            progress_line(&app, &receivers, &schedules, traffic_end.is_some());
        }
        samples.push(SoakSample {
            receivers: receivers
                .both()
                .iter()
                .zip(&schedules)
                .map(|(r, phases)| {
                    let s = r.stats();
                    ReceiverSample {
                        fault: if traffic_end.is_some() {
                            FaultKind::Healthy
                        } else {
                            schedule::kind_at(phases, app.t_s)
                        },
                        unique_spans: s.unique_spans,
                        duplicate_spans: s.duplicate_spans,
                    }
                })
                .collect(),
            harness_rss_bytes: rss_bytes().unwrap_or(0),
            app: app.clone(),
        });
        if app.stage == Stage::Final {
            final_sample = Some(app);
            break;
        }
    }
    for r in receivers.both() {
        r.faults().clear();
    }
    let status = tokio::task::spawn_blocking(move || child.0.wait())
        .await
        .context("waiting for the application process")??;
    let _ = reader.join();
    if !status.success() {
        bail!("the application process failed ({status})");
    }
    let last = final_sample.context("the application process ended without its final sample")?;
    let (traffic_ended, traffic_s) =
        traffic_end.context("the application process never reported the end of its traffic")?;
    // What the bridge saw acknowledged has been decoded by then; wait briefly anyway.
    let produced = last.produced;
    wait_until(Duration::from_secs(10), || {
        receivers
            .both()
            .iter()
            .all(|r| r.stats().unique_spans >= produced)
    })
    .await;
    let drain_s = traffic_ended.elapsed().as_secs_f64();

    let report = build_report(
        options, started, &receivers, schedules, samples, last, traffic_s, drain_s,
    )?;
    let markdown = markdown(&report);
    let mut files = Vec::new();
    for (name, contents) in [
        ("soak.json", serde_json::to_string_pretty(&report)?),
        ("soak.md", markdown.clone()),
    ] {
        let path = options.out_dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
    }
    let svg = options.out_dir.join("soak.svg");
    plot::rss_and_held(&svg, &report)?;
    files.push(svg);
    drop(llm);
    Ok(SoakOutcome {
        report,
        markdown,
        files,
    })
}

#[allow(clippy::print_stderr)] // progress of a long run
fn progress_line(
    app: &AppSample,
    receivers: &Receivers,
    schedules: &[Vec<FaultPhase>],
    drain: bool,
) {
    let mut line = format!(
        "soak: {:>6.0} s {} {} calls, RSS {:.1} MB",
        app.t_s,
        if drain { "drain" } else { "traffic" },
        app.produced,
        mb(app.rss_bytes)
    );
    for ((d, r), phases) in app.destinations.iter().zip(receivers.both()).zip(schedules) {
        let fault = if drain {
            FaultKind::Healthy
        } else {
            schedule::kind_at(phases, app.t_s)
        };
        let _ = write!(
            line,
            "; {} [{}] breaker {} (opened {}, closed {}), held {:.1} MB, decoded {}",
            d.name,
            fault.as_str(),
            d.breaker_state,
            d.breaker_opens,
            d.breaker_closes,
            mb(d.bytes_held),
            r.stats().unique_spans
        );
    }
    eprintln!("{line}");
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    options: &SoakOptions,
    started: SystemTime,
    receivers: &Receivers,
    schedules: Vec<Vec<FaultPhase>>,
    samples: Vec<SoakSample>,
    last: AppSample,
    traffic_s: f64,
    drain_s: f64,
) -> Result<SoakReport> {
    let warmup_s = options.traffic.as_secs_f64() * options.warmup_share;
    let traffic: Vec<&SoakSample> = samples
        .iter()
        .filter(|s| s.app.stage == Stage::Traffic)
        .collect();
    ensure!(
        !traffic.is_empty(),
        "no sample was taken during the traffic"
    );
    let steady: Vec<&SoakSample> = traffic
        .iter()
        .copied()
        .filter(|s| s.app.t_s >= warmup_s)
        .collect();
    let point = |s: &&SoakSample| (s.app.t_s / 60.0, mb(s.app.rss_bytes) * 1024.0);
    let all_points: Vec<(f64, f64)> = steady.iter().map(point).collect();
    let idle_points: Vec<(f64, f64)> = steady
        .iter()
        .filter(|s| {
            s.app
                .destinations
                .iter()
                .all(|d| d.bytes_held == 0 && d.spans_held == 0)
        })
        .map(point)
        .collect();
    let slope_all = slope(&all_points).unwrap_or(0.0);
    let idle_slope = if idle_points.len() >= 10 {
        slope(&idle_points)
    } else {
        None
    };
    let (min_mb, max_mb) = steady
        .iter()
        .map(|s| mb(s.app.rss_bytes))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (min_mb, max_mb) = if steady.is_empty() {
        (0.0, 0.0)
    } else {
        (min_mb, max_mb)
    };
    let deciding = idle_slope.unwrap_or(slope_all);
    let flat = deciding.abs() <= FLAT_KB_PER_MIN && !steady.is_empty();
    let basis = if idle_slope.is_some() {
        format!(
            "over the {} of {} samples where neither destination held anything",
            idle_points.len(),
            all_points.len()
        )
    } else {
        format!(
            "over all {} samples (too few with nothing held to fit those alone)",
            all_points.len()
        )
    };
    let verdict = format!(
        "{}: after the {warmup_s:.0} s warm-up, RSS moved {deciding:+.1} KB/min {basis}, {slope_all:+.1} KB/min over every sample; range {min_mb:.1}–{max_mb:.1} MB ({:.1} MB); flat means within ±{FLAT_KB_PER_MIN:.0} KB/min",
        if flat { "flat" } else { "NOT flat" },
        max_mb - min_mb,
    );
    let rss = RssSummary {
        warmup_s,
        first_mb: mb(traffic[0].app.rss_bytes),
        start_mb: steady.first().map_or(0.0, |s| mb(s.app.rss_bytes)),
        end_mb: traffic.last().map_or(0.0, |s| mb(s.app.rss_bytes)),
        after_drain_mb: mb(last.rss_bytes),
        min_mb,
        max_mb,
        slope_kb_per_min: slope_all,
        idle_slope_kb_per_min: idle_slope,
        samples: all_points.len(),
        idle_samples: idle_points.len(),
        flat,
        verdict,
    };

    let mut destinations = Vec::new();
    for (name, receiver) in [
        ("langfuse", &receivers.langfuse),
        ("instana", &receivers.instana),
    ] {
        let d = last
            .destinations
            .iter()
            .find(|d| d.name == name)
            .with_context(|| format!("no final counters for {name}"))?;
        let r = receiver.stats();
        let sent = last.produced;
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        destinations.push(DestinationTotals {
            destination: name.to_owned(),
            sent,
            delivered: r.unique_spans,
            bridge_delivered: d.delivered,
            dropped_queue_full: d.dropped_queue_full,
            dropped_overflow: d.dropped_overflow,
            dropped_permanent: d.dropped_permanent,
            dropped_shutdown: d.dropped_shutdown,
            unexplained_loss: as_i64(sent) - as_i64(r.unique_spans) - as_i64(d.dropped()),
            duplicates: r.duplicate_spans,
            breaker_opens: d.breaker_opens,
            breaker_closes: d.breaker_closes,
            retries: d.retries,
            max_bytes_held: samples
                .iter()
                .filter_map(|s| s.app.destinations.iter().find(|x| x.name == name))
                .map(|x| x.bytes_held)
                .max()
                .unwrap_or(0),
            requests: r.requests,
            status_counts: r.status_counts,
        });
    }

    #[allow(clippy::cast_precision_loss)]
    let achieved = if traffic_s > 0.0 {
        last.produced as f64 / traffic_s
    } else {
        0.0
    };
    Ok(SoakReport {
        started: humantime::format_rfc3339_seconds(started).to_string(),
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            os: std::env::consts::OS.to_owned(),
            cpu_model: cpu_model(),
        },
        traffic_s,
        drain_s,
        target_calls_per_sec: options.calls_per_sec,
        achieved_calls_per_sec: achieved,
        seed: options.seed,
        breaker: options.breaker_text(),
        batch_timeout_ms: options
            .batch_timeout
            .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        ranges: options.ranges.clone(),
        schedules: ["langfuse", "instana"]
            .into_iter()
            .zip(schedules)
            .map(|(receiver, phases)| ReceiverSchedule {
                receiver: receiver.to_owned(),
                summary: schedule::summary(&phases),
                phases,
            })
            .collect(),
        rss,
        destinations,
        samples,
    })
}

/// The tables of `soak.md`.
pub fn markdown(r: &SoakReport) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Soak started {}: {:.0} s of traffic at {:.1} calls/s (asked {}), seed {:#x}, drain {:.1} s; {} CPUs{}.",
        r.started,
        r.traffic_s,
        r.achieved_calls_per_sec,
        r.target_calls_per_sec,
        r.seed,
        r.drain_s,
        r.machine.cpus,
        r.machine
            .cpu_model
            .as_ref()
            .map_or(String::new(), |m| format!(" ({m})"))
    );
    let _ = writeln!(md, "\nBreaker: {}.", r.breaker);
    for s in &r.schedules {
        let _ = writeln!(md, "Faults at {}: {}.", s.receiver, s.summary);
    }
    let x = &r.rss;
    let _ = writeln!(md, "\n| application process RSS | MB |");
    let _ = writeln!(md, "|---|---|");
    let _ = writeln!(md, "| first sample | {:.1} |", x.first_mb);
    let _ = writeln!(
        md,
        "| after the warm-up ({:.0} s) | {:.1} |",
        x.warmup_s, x.start_mb
    );
    let _ = writeln!(md, "| end of traffic | {:.1} |", x.end_mb);
    let _ = writeln!(md, "| after drain and shutdown | {:.1} |", x.after_drain_mb);
    let _ = writeln!(
        md,
        "| min – max after the warm-up | {:.1} – {:.1} |",
        x.min_mb, x.max_mb
    );
    let _ = writeln!(
        md,
        "| slope after the warm-up, every sample | {:+.1} KB/min |",
        x.slope_kb_per_min
    );
    let _ = writeln!(
        md,
        "| slope after the warm-up, nothing held ({} samples) | {} |",
        x.idle_samples,
        x.idle_slope_kb_per_min
            .map_or("too few samples".to_owned(), |s| format!("{s:+.1} KB/min"))
    );
    let _ = writeln!(md, "\nVerdict: {}.", x.verdict);
    let _ = writeln!(
        md,
        "\n| destination | sent | delivered | overflow drops | other drops | unexplained loss | duplicates | breaker opens / closes | retries | max held | requests (statuses) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|");
    for d in &r.destinations {
        let statuses = d
            .status_counts
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {:.1} MB | {} ({statuses}) |",
            d.destination,
            d.sent,
            d.delivered,
            d.dropped_overflow,
            d.dropped_queue_full + d.dropped_permanent + d.dropped_shutdown,
            d.unexplained_loss,
            d.duplicates,
            d.breaker_opens,
            d.breaker_closes,
            d.retries,
            mb(d.max_bytes_held),
            d.requests,
        );
    }
    let _ = writeln!(
        md,
        "\nDelivered = unique span IDs the receiver decoded; unexplained loss = sent − delivered − every drop the bridge counted; breaker opens include re-opening after a failed probe."
    );
    md
}
