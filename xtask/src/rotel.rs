//! The OTLP gateway the Collector-gateway test (`docs/scaling.md`) runs against: rotel,
//! Streamfold's OpenTelemetry collector written in Rust, installed from PyPI (the `rotel`
//! package bundles its `rotel-agent` binary), at a pinned version, into a virtual
//! environment under `target/`, once.
//!
//! ```text
//! let rotel = rotel::ensure_rotel(&root)?;                // idempotent, seconds the first time
//! run(rotel::gateway_test_command(&root, &rotel, &jobs()), "Collector gateway test")?;
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The PyPI release of `rotel` the gateway test is written against (the newest there; it
/// bundles `rotel-agent` 0.0.1-alpha10).
pub(crate) const ROTEL_VERSION: &str = "0.0.1a15";

/// Environment variable through which the test finds the `rotel-agent` executable.
pub(crate) const ROTEL_BIN_ENV: &str = "ROTEL_BIN";

/// Where the virtual environment lives.
pub(crate) fn venv_dir(root: &Path) -> PathBuf {
    root.join("target").join("rotel-venv")
}

/// Makes sure `rotel==ROTEL_VERSION` is installed in `target/rotel-venv` and returns the
/// path of the `rotel-agent` binary inside the package. Does nothing when that version is
/// already there. Needs `python3` (or the interpreter named by `PYTHON`) and access to PyPI.
pub(crate) fn ensure_rotel(root: &Path) -> Result<PathBuf> {
    let venv = venv_dir(root);
    let marker = venv.join(".rotel-version");
    let agent_path = venv.join(".rotel-agent-path");
    let installed = std::fs::read_to_string(&marker).unwrap_or_default();
    if installed.trim() == ROTEL_VERSION
        && let Ok(path) = std::fs::read_to_string(&agent_path)
    {
        let agent = PathBuf::from(path.trim());
        if agent.is_file() {
            return Ok(agent);
        }
    }

    // The version is a pre-release: naming it exactly is enough for pip.
    let python = crate::pyenv::install(&venv, &format!("rotel=={ROTEL_VERSION}"))?;

    // The binary sits inside the package (`site-packages/rotel/rotel-agent`); ask the
    // interpreter where the package is rather than guessing the site-packages path.
    let output = Command::new(&python)
        .args([
            "-c",
            "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
        ])
        .output()
        .with_context(|| format!("cannot start {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "cannot locate rotel-agent in the rotel package: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let agent = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !agent.is_file() {
        bail!(
            "pip installed rotel {ROTEL_VERSION} but {} is missing",
            agent.display()
        );
    }
    std::fs::write(&agent_path, agent.to_string_lossy().as_bytes())
        .with_context(|| format!("cannot write {}", agent_path.display()))?;
    std::fs::write(&marker, ROTEL_VERSION)
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(agent)
}

/// `cargo test` of the (ignored by default) Collector-gateway test, pointed at `rotel`.
pub(crate) fn gateway_test_command(root: &Path, rotel: &Path, jobs: &str) -> Command {
    crate::pyenv::ignored_test_command(root, jobs, "collector_gateway", ROTEL_BIN_ENV, rotel)
}
