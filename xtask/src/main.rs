//! `cargo xtask`: the project's developer tasks as ordinary Rust (no shell scripts).
//!
//! - `cargo xtask bench [--quick] [ARGS]`: the main job. Builds the bench in release mode and
//!   runs it against embedded loopback back ends; writes `target/bench/report.json`,
//!   `report.md`, `details.json` and one latency plot per mode. `ARGS` go to the bench
//!   (`--help` lists them).
//! - `cargo xtask soak [--minutes N] [ARGS]`: sustained instrumented traffic under random
//!   faults at both loopback back ends (release build); writes `target/soak/soak.json`,
//!   `soak.md` and `soak.svg`. `ARGS` go to the bench's `soak` command.
//! - `cargo xtask test`: the whole test suite, including what it needs installed first (a
//!   pinned LiteLLM proxy from PyPI for the end-to-end test against a real proxy, and a
//!   pinned rotel collector from PyPI for the Collector-gateway test).
//! - `cargo xtask ci`: formatting check, clippy with warnings denied, then `test`, all without
//!   incremental compilation (a clean clone builds once; the caches would only take disk).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: printing is its job

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

mod litellm;
mod pyenv;
mod rotel;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  bench   measure overhead, memory, reliability and throughput (release build; --quick
          for a run under two minutes; `cargo xtask bench --help` for its options)
  soak    sustained traffic under random faults at both back ends: RSS over time, spans
          lost, duplicates, breaker cycles (release build; --minutes N, default 30)
  test    run the whole test suite (installs what the tests need first)
  ci      cargo fmt --check, cargo clippy -D warnings, then the whole test suite
";

fn main() -> Result<()> {
    let root = workspace_root()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench(&root, &args[1..]),
        Some("soak") => soak(&root, &args[1..]),
        Some("test") => test(&root),
        Some("ci") => {
            CI_BUILD.store(true, Ordering::Relaxed);
            report_free_disk(&root);
            fmt_check(&root)?;
            clippy(&root)?;
            test(&root)
        }
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
        None => bail!("no task given\n\n{USAGE}"),
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask lives one level below the workspace root")
}

/// Set by `cargo xtask ci`: its cargo commands build without incremental compilation.
///
/// A CI run starts from a clean clone and builds everything once, so the incremental caches
/// (2.6 GB of `target/debug/incremental` on a cold run) buy nothing there and cost disk a CI
/// machine may not have. `cargo xtask test` keeps cargo's default for developers who iterate.
static CI_BUILD: AtomicBool = AtomicBool::new(false);

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root);
    if CI_BUILD.load(Ordering::Relaxed) && std::env::var_os("CARGO_INCREMENTAL").is_none() {
        cmd.env("CARGO_INCREMENTAL", "0");
    }
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start: {what}"))?;
    if !status.success() {
        bail!("failed ({status}): {what}");
    }
    Ok(())
}

fn jobs() -> String {
    std::env::var("XTASK_JOBS").unwrap_or_else(|_| "2".to_owned())
}

fn fmt_check(root: &Path) -> Result<()> {
    let mut cmd = cargo(root);
    cmd.args(["fmt", "--all", "--", "--check"]);
    run(cmd, "cargo fmt --all -- --check")
}

fn clippy(root: &Path) -> Result<()> {
    let mut cmd = cargo(root);
    cmd.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "-j",
        &jobs(),
        "--",
        "-D",
        "warnings",
    ]);
    run(
        cmd,
        "cargo clippy --workspace --all-targets --all-features -- -D warnings",
    )
}

fn test(root: &Path) -> Result<()> {
    // Install first, so a missing Python or PyPI fails fast and before an hour of building.
    let litellm = litellm::ensure_litellm(root)?;
    let rotel = rotel::ensure_rotel(root)?;
    run(
        litellm::proxy_test_command(root, &litellm, &jobs()),
        "end-to-end test against a real LiteLLM proxy",
    )?;
    run(
        rotel::gateway_test_command(root, &rotel, &jobs()),
        "Collector gateway test: the bridge through a real rotel gateway",
    )?;
    // The whole suite last: its closing line is what CI reads.
    let mut cmd = cargo(root);
    cmd.args(["test", "--workspace", "--all-features", "-j", &jobs()]);
    run(cmd, "cargo test --workspace --all-features")
}

/// What a cold `cargo xtask ci` wrote to `target/` (measured 2026-12-01 on a clean clone:
/// 3.5 GB with the profile settings of the workspace's Cargo.toml).
const CI_TARGET_BYTES: u64 = 3_500_000_000;

/// Says how much disk is free where `target/` is, and warns when a cold CI build may not
/// fit: running out of disk shows up much later, as a linker crash ("Bus error").
fn report_free_disk(root: &Path) {
    let dir = target_dir(root);
    let probe = if dir.exists() {
        dir
    } else {
        root.to_path_buf()
    };
    // `df -Pk` (POSIX output, KiB) rather than statvfs: no unsafe and no extra crate for
    // one figure; where df is missing the check is skipped.
    let Ok(output) = Command::new("df").arg("-Pk").arg(&probe).output() else {
        return;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let free_kib = text
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|field| field.parse::<u64>().ok());
    let Some(free_kib) = free_kib else {
        return;
    };
    let free = free_kib.saturating_mul(1024);
    #[allow(clippy::cast_precision_loss)] // for display
    let gb = |bytes: u64| bytes as f64 / 1e9;
    eprintln!(
        "xtask: {:.1} GB free at {}; a cold build writes about {:.1} GB",
        gb(free),
        probe.display(),
        gb(CI_TARGET_BYTES)
    );
    if free < CI_TARGET_BYTES {
        eprintln!(
            "xtask: warning: that may not be enough disk; a full disk fails the build at link time"
        );
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn bench(root: &Path, args: &[String]) -> Result<()> {
    bench_binary(root, &[], args, "bench")
}

fn soak(root: &Path, args: &[String]) -> Result<()> {
    bench_binary(root, &["soak"], args, "soak")
}

/// Runs the bench binary in release, with `command` then `args`, writing to
/// `target/<out>` unless `--out-dir` is given.
fn bench_binary(root: &Path, command: &[&str], args: &[String], out: &str) -> Result<()> {
    let mut cmd = cargo(root);
    cmd.args([
        "run",
        "--release",
        "--quiet",
        "-j",
        &jobs(),
        "--package",
        "genai-telemetry-bench",
        "--",
    ]);
    cmd.args(command);
    if !args
        .iter()
        .any(|a| a == "--out-dir" || a.starts_with("--out-dir="))
    {
        cmd.arg("--out-dir").arg(target_dir(root).join(out));
    }
    cmd.args(args);
    let what = format!(
        "cargo run --release --package genai-telemetry-bench -- {}",
        command.join(" ")
    );
    run(cmd, what.trim_end())
}
