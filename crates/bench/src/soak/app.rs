//! The soak's application process: an instrumented async-openai client making calls at
//! a steady rate through one `TelemetryManager` that exports to both stand-ins. It runs
//! apart from the receivers and the mock LLM (which keep every span ID they decoded and
//! so grow with the run), so its resident set is the application's and the bridge's
//! alone. It prints one JSON sample per line on stdout, prefixed with `soak-sample `.

#![allow(clippy::print_stdout, clippy::print_stderr)] // stdout is the channel to the harness, stderr its log

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use genai_telemetry_bridge::{BreakerState, TelemetryManager};
use serde::{Deserialize, Serialize};

use crate::memory::rss_bytes;
use crate::setup::{LlmClient, instana_stand_in, langfuse_stand_in, manager, wait_until};

/// Marks the lines of stdout that are samples.
pub(crate) const SAMPLE_PREFIX: &str = "soak-sample ";

/// What the application process is told to do.
#[derive(Debug, Clone)]
pub struct AppArgs {
    /// Base URL of the Langfuse stand-in.
    pub langfuse: String,
    /// Base URL of the Instana stand-in.
    pub instana: String,
    /// OpenAI base URL of the mock LLM.
    pub llm: String,
    /// Instrumented calls per second.
    pub calls_per_sec: u32,
    /// How long to make calls.
    pub traffic: Duration,
    /// How often to print a sample.
    pub sample_every: Duration,
    /// Breaker recovery window and its cap, when not the library's (30 s, 5 min).
    pub breaker_windows: Option<(Duration, Duration)>,
    /// Batch timeout, when not the library's (1 s).
    pub batch_timeout: Option<Duration>,
    /// Longest wait, after the traffic, for everything to be delivered.
    pub drain_timeout: Duration,
}

/// Where the process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Making calls.
    Traffic,
    /// Calls stopped; waiting for the bridge to deliver what it holds.
    Drain,
    /// After shutdown: the final counters.
    Final,
}

/// One destination's counters in a sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppDestination {
    /// `langfuse` or `instana`.
    pub name: String,
    /// Spans accepted into the destination's queue.
    pub enqueued: u64,
    /// Spans the bridge saw acknowledged (2xx).
    pub delivered: u64,
    /// Dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Dropped because the replay buffer reached its byte bound.
    pub dropped_overflow: u64,
    /// Dropped because the back end refused them for good.
    pub dropped_permanent: u64,
    /// Dropped at shutdown.
    pub dropped_shutdown: u64,
    /// Re-sent batches.
    pub retries: u64,
    /// Current breaker state (`closed`, `open`, `half_open`).
    pub breaker_state: String,
    /// Times the breaker opened (re-opening after a failed probe included).
    pub breaker_opens: u64,
    /// Times the breaker was seen closed again after being open (polled every 50 ms).
    pub breaker_closes: u64,
    /// Encoded bytes held for replay.
    pub bytes_held: u64,
    /// Spans held for replay.
    pub spans_held: u64,
    /// Spans neither delivered nor dropped yet.
    pub pending: u64,
}

impl AppDestination {
    /// Every span the bridge counted as dropped, by any reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full
            + self.dropped_overflow
            + self.dropped_permanent
            + self.dropped_shutdown
    }
}

/// One line of the application's stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppSample {
    /// Seconds since the traffic started.
    pub t_s: f64,
    /// Where the process is.
    pub stage: Stage,
    /// Instrumented calls completed (one span each).
    pub produced: u64,
    /// Resident set of the application process.
    pub rss_bytes: u64,
    /// Per destination, in configuration order.
    pub destinations: Vec<AppDestination>,
}

/// Breaker closes seen so far, per destination, by polling the state.
#[derive(Debug, Default)]
struct CloseCounter {
    last: Vec<(String, BreakerState)>,
    closes: Vec<(String, u64)>,
}

impl CloseCounter {
    fn observe(&mut self, telemetry: &TelemetryManager) {
        for d in telemetry.stats().destinations {
            let closed_again = match self.last.iter_mut().find(|(n, _)| *n == d.destination) {
                Some((_, last)) => {
                    let closed_again =
                        *last != BreakerState::Closed && d.breaker_state == BreakerState::Closed;
                    *last = d.breaker_state;
                    closed_again
                }
                None => {
                    self.last.push((d.destination.clone(), d.breaker_state));
                    false
                }
            };
            if closed_again {
                self.count(&d.destination);
            }
        }
    }

    fn count(&mut self, name: &str) {
        match self.closes.iter_mut().find(|(n, _)| n == name) {
            Some((_, c)) => *c += 1,
            None => self.closes.push((name.to_owned(), 1)),
        }
    }

    fn closes(&self, name: &str) -> u64 {
        self.closes
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, c)| *c)
    }
}

fn sample(
    stage: Stage,
    started: Instant,
    produced: u64,
    destinations: &[genai_telemetry_bridge::DestinationSnapshot],
    closes: &CloseCounter,
) -> AppSample {
    AppSample {
        t_s: started.elapsed().as_secs_f64(),
        stage,
        produced,
        rss_bytes: rss_bytes().unwrap_or(0),
        destinations: destinations
            .iter()
            .map(|d| AppDestination {
                name: d.destination.clone(),
                enqueued: d.spans_enqueued,
                delivered: d.spans_delivered,
                dropped_queue_full: d.dropped.queue_full,
                dropped_overflow: d.dropped.overflow,
                dropped_permanent: d.dropped.permanent_error,
                dropped_shutdown: d.dropped.shutdown,
                retries: d.retries,
                breaker_state: d.breaker_state.as_str().to_owned(),
                breaker_opens: d.breaker_opens,
                breaker_closes: closes.closes(&d.destination),
                bytes_held: d.bytes_held,
                spans_held: d.spans_held,
                pending: d.spans_pending(),
            })
            .collect(),
    }
}

fn emit(sample: &AppSample) {
    match serde_json::to_string(sample) {
        Ok(line) => println!("{SAMPLE_PREFIX}{line}"),
        Err(e) => eprintln!("soak-app: cannot encode a sample: {e}"),
    }
}

/// Runs the application: traffic, then the drain, then shutdown; a sample every
/// `sample_every`, one as the traffic ends and one final sample.
pub async fn run(args: AppArgs) -> Result<()> {
    let windows = args.breaker_windows;
    let batch_timeout = args.batch_timeout;
    let telemetry = Arc::new(manager(
        "soak",
        Some(&langfuse_stand_in(args.langfuse.clone())),
        Some(&instana_stand_in(args.instana.clone())),
        |p| {
            if let Some((window, cap)) = windows {
                p.breaker.recovery_window = window;
                p.breaker.max_recovery_window = cap;
            }
            if let Some(t) = batch_timeout {
                p.batch_timeout = t;
            }
        },
    )?);
    let client = LlmClient::instrumented(&args.llm, &telemetry)?;
    let produced = Arc::new(AtomicU64::new(0));
    let draining = Arc::new(AtomicBool::new(false));
    let closes = Arc::new(Mutex::new(CloseCounter::default()));
    let started = Instant::now();

    // The watcher: breaker states every 50 ms, a sample every `sample_every`.
    let watcher = {
        let telemetry = Arc::clone(&telemetry);
        let produced = Arc::clone(&produced);
        let draining = Arc::clone(&draining);
        let closes = Arc::clone(&closes);
        let sample_every = args.sample_every;
        tokio::spawn(async move {
            let mut poll = tokio::time::interval(Duration::from_millis(50));
            poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut next_sample = Instant::now();
            loop {
                poll.tick().await;
                let mut c = closes
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                c.observe(&telemetry);
                if Instant::now() >= next_sample {
                    next_sample += sample_every;
                    let stage = if draining.load(Ordering::SeqCst) {
                        Stage::Drain
                    } else {
                        Stage::Traffic
                    };
                    let stats = telemetry.stats();
                    emit(&sample(
                        stage,
                        started,
                        produced.load(Ordering::SeqCst),
                        &stats.destinations,
                        &c,
                    ));
                }
            }
        })
    };

    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.calls_per_sec.max(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failed: Option<anyhow::Error> = None;
    while started.elapsed() < args.traffic {
        tick.tick().await;
        if let Err(e) = client.call().await {
            failed = Some(e);
            break;
        }
        produced.fetch_add(1, Ordering::SeqCst);
    }
    let now_sample = |stage| {
        let c = closes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sample(
            stage,
            started,
            produced.load(Ordering::SeqCst),
            &telemetry.stats().destinations,
            &c,
        )
    };
    draining.store(true, Ordering::SeqCst);
    // Tells the harness the traffic is over (it then turns the faults off).
    emit(&now_sample(Stage::Drain));
    if let Some(e) = failed {
        watcher.abort();
        return Err(e.context("an instrumented call failed"));
    }

    let drained = wait_until(args.drain_timeout, || {
        telemetry
            .stats()
            .destinations
            .iter()
            .all(|d| d.spans_pending() == 0)
    })
    .await;
    if !drained {
        eprintln!(
            "soak-app: not everything was delivered within {:?} after the traffic",
            args.drain_timeout
        );
    }
    watcher.abort();
    let _ = watcher.await;
    closes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .observe(&telemetry);
    let report = telemetry.shutdown(Duration::from_secs(30));
    let c = closes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    emit(&sample(
        Stage::Final,
        started,
        produced.load(Ordering::SeqCst),
        &report.destinations,
        &c,
    ));
    Ok(())
}
