//! `genai-telemetry-bench`: the binary behind `cargo xtask bench`.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: printing is its job

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use genai_telemetry_bench::Phase;
use genai_telemetry_bench::options::{BenchOptions, InstanaTarget, LangfuseTarget};
use genai_telemetry_bench::soak::SoakOptions;
use genai_telemetry_bench::soak::app::AppArgs;

/// Measures the bridge's overhead, memory, reliability and throughput through the real
/// instrumented client path, against a mock LLM and loopback stand-ins for Langfuse and
/// Instana. No accounts, no network beyond loopback.
#[derive(Debug, Parser)]
#[command(
    name = "genai-telemetry-bench",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Every phase scaled down to finish in under two minutes.
    #[arg(long, conflicts_with = "smoke")]
    quick: bool,
    /// A few seconds of everything (what the test suite runs).
    #[arg(long, hide = true)]
    smoke: bool,
    /// Where report.json, report.md, details.json and the plots go.
    #[arg(long, value_name = "DIR", default_value = "target/bench")]
    out_dir: PathBuf,
    /// Delay of the mock LLM before each answer (0 isolates the overhead; ~10 mirrors the
    /// original's baseline).
    #[arg(long, value_name = "MS")]
    delay_ms: Option<u64>,
    /// Interleaved rounds of the latency phase.
    #[arg(long, value_name = "N")]
    rounds: Option<usize>,
    /// Calls per mode per round.
    #[arg(long, value_name = "N")]
    calls_per_round: Option<usize>,
    /// A real Langfuse (base URL) for the latency modes; keys from LANGFUSE_PUBLIC_KEY and
    /// LANGFUSE_SECRET_KEY. Also read from LANGFUSE_ENDPOINT, LANGFUSE_HOST or
    /// LANGFUSE_BASE_URL.
    #[arg(long, value_name = "URL")]
    langfuse_endpoint: Option<String>,
    /// A real Instana agent or acceptor (base URL) for the latency modes; key from
    /// INSTANA_API_KEY (or INSTANA_AGENT_KEY). Also read from INSTANA_ENDPOINT.
    #[arg(long, value_name = "URL")]
    instana_endpoint: Option<String>,
    /// No progress bars (phase lines are still printed).
    #[arg(long)]
    no_progress: bool,
    /// Exit with status 1 when a target is not met.
    #[arg(long)]
    strict: bool,
    /// Run one phase alone and print its detailed figures as JSON (writes no report):
    /// to investigate or profile a figure. Latency then compares baseline and dual only.
    #[arg(long, value_enum, value_name = "PHASE")]
    only: Option<Phase>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Sustained instrumented traffic while both back ends go through random faults:
    /// RSS over time, spans lost, duplicates, breaker cycles (`cargo xtask soak`).
    Soak(SoakCli),
    /// The soak's application process (started by `soak`).
    #[command(hide = true)]
    SoakApp(SoakAppCli),
}

#[derive(Debug, clap::Args)]
struct SoakCli {
    /// Minutes of traffic.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 30,
        conflicts_with = "seconds"
    )]
    minutes: u64,
    /// Seconds of traffic, everything scaled down (what the test suite runs).
    #[arg(long, value_name = "N", hide = true)]
    seconds: Option<u64>,
    /// Instrumented calls per second (default 150; 50 with --seconds).
    #[arg(long, value_name = "N")]
    rate: Option<u32>,
    /// Seed of the fault schedules.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Where soak.json, soak.md and soak.svg go.
    #[arg(long, value_name = "DIR", default_value = "target/soak")]
    out_dir: PathBuf,
}

#[derive(Debug, clap::Args)]
struct SoakAppCli {
    #[arg(long)]
    langfuse: String,
    #[arg(long)]
    instana: String,
    #[arg(long)]
    llm: String,
    #[arg(long)]
    rate: u32,
    #[arg(long)]
    traffic_ms: u64,
    #[arg(long)]
    sample_ms: u64,
    #[arg(long)]
    drain_timeout_ms: u64,
    #[arg(long, requires = "breaker_cap_ms")]
    breaker_window_ms: Option<u64>,
    #[arg(long, requires = "breaker_window_ms")]
    breaker_cap_ms: Option<u64>,
    #[arg(long)]
    batch_timeout_ms: Option<u64>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start a Tokio runtime")
}

fn soak(cli: SoakCli) -> Result<bool> {
    let exe = std::env::current_exe().context("locating this executable")?;
    let mut options = match cli.seconds {
        Some(s) => SoakOptions::seconds(s, cli.out_dir, exe),
        None => SoakOptions::minutes(cli.minutes, cli.out_dir, exe),
    };
    if let Some(rate) = cli.rate {
        options.calls_per_sec = rate;
    }
    if let Some(seed) = cli.seed {
        options.seed = seed;
    }
    eprintln!(
        "soak: {:?} of traffic at {} calls/s, seed {:#x}; a sample every {:?}",
        options.traffic, options.calls_per_sec, options.seed, options.sample_every
    );
    let outcome = runtime()?.block_on(genai_telemetry_bench::soak::run(&options))?;
    println!("\n{}", outcome.markdown);
    for file in &outcome.files {
        println!("wrote {}", file.display());
    }
    let broken: Vec<String> = outcome
        .report
        .destinations
        .iter()
        .filter(|d| d.unexplained_loss != 0 || d.duplicates != 0)
        .map(|d| {
            format!(
                "{}: {} unexplained loss, {} duplicates",
                d.destination, d.unexplained_loss, d.duplicates
            )
        })
        .collect();
    if broken.is_empty() {
        println!("no unexplained loss, no duplicates");
        Ok(true)
    } else {
        println!("INVARIANTS BROKEN: {}", broken.join("; "));
        Ok(false)
    }
}

fn soak_app(cli: SoakAppCli) -> Result<()> {
    let ms = Duration::from_millis;
    let args = AppArgs {
        langfuse: cli.langfuse,
        instana: cli.instana,
        llm: cli.llm,
        calls_per_sec: cli.rate,
        traffic: ms(cli.traffic_ms),
        sample_every: ms(cli.sample_ms.max(1)),
        breaker_windows: cli
            .breaker_window_ms
            .zip(cli.breaker_cap_ms)
            .map(|(w, c)| (ms(w), ms(c))),
        batch_timeout: cli.batch_timeout_ms.map(ms),
        drain_timeout: ms(cli.drain_timeout_ms),
    };
    runtime()?.block_on(genai_telemetry_bench::soak::app::run(args))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str, why: &str) -> Result<String> {
    env(name).with_context(|| format!("{name} is not set: {why}"))
}

impl Cli {
    fn options(self) -> Result<BenchOptions> {
        let mut o = if self.smoke {
            BenchOptions::smoke(self.out_dir)
        } else if self.quick {
            BenchOptions::quick(self.out_dir)
        } else {
            BenchOptions::full(self.out_dir)
        };
        if let Some(ms) = self.delay_ms {
            o.llm_delay = Duration::from_millis(ms);
        }
        if let Some(n) = self.rounds {
            if n == 0 {
                bail!("--rounds must be at least 1");
            }
            o.rounds = n;
        }
        if let Some(n) = self.calls_per_round {
            if n == 0 {
                bail!("--calls-per-round must be at least 1");
            }
            o.calls_per_round = n;
        }
        o.progress = !self.no_progress;
        let langfuse = self
            .langfuse_endpoint
            .or_else(|| env("LANGFUSE_ENDPOINT"))
            .or_else(|| env("LANGFUSE_HOST"))
            .or_else(|| env("LANGFUSE_BASE_URL"));
        if let Some(endpoint) = langfuse {
            let why = "a real Langfuse endpoint was given, and it needs the project's key pair";
            o.real_langfuse = Some(LangfuseTarget {
                endpoint,
                public_key: required("LANGFUSE_PUBLIC_KEY", why)?,
                secret_key: required("LANGFUSE_SECRET_KEY", why)?,
            });
        }
        if let Some(endpoint) = self.instana_endpoint.or_else(|| env("INSTANA_ENDPOINT")) {
            o.real_instana = Some(InstanaTarget {
                endpoint,
                key: env("INSTANA_API_KEY").or_else(|| env("INSTANA_AGENT_KEY")),
            });
        }
        Ok(o)
    }
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    match cli.command.take() {
        Some(Command::Soak(soak_cli)) => {
            return match soak(soak_cli) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("genai-telemetry-bench soak: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::SoakApp(app_cli)) => {
            return match soak_app(app_cli) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("genai-telemetry-bench soak-app: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        None => {}
    }
    let strict = cli.strict;
    let only = cli.only;
    let options = match cli.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("genai-telemetry-bench: {e:#}");
            return ExitCode::from(2);
        }
    };
    for (what, real) in [
        (
            "Langfuse",
            options.real_langfuse.as_ref().map(|t| &t.endpoint),
        ),
        (
            "Instana",
            options.real_instana.as_ref().map(|t| &t.endpoint),
        ),
    ] {
        if let Some(endpoint) = real {
            eprintln!(
                "bench: latency modes send to a REAL {what} at {endpoint}; the other phases stay on loopback"
            );
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("genai-telemetry-bench: cannot start a Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(phase) = only {
        return match runtime.block_on(genai_telemetry_bench::run_phase(&options, phase)) {
            Ok(figures) => {
                println!("{figures:#}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("genai-telemetry-bench: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(genai_telemetry_bench::run(&options)) {
        Ok(outcome) => {
            println!("\n{}", outcome.markdown);
            for file in &outcome.files {
                println!("wrote {}", file.display());
            }
            let unmet: Vec<String> = outcome
                .report
                .verdicts()
                .into_iter()
                .filter(|v| !v.met)
                .map(|v| v.figure)
                .collect();
            if unmet.is_empty() {
                println!("every target met");
                ExitCode::SUCCESS
            } else {
                println!("targets NOT met: {}", unmet.join("; "));
                if strict {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
        }
        Err(e) => {
            eprintln!("genai-telemetry-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
