//! The LiteLLM proxy the end-to-end test runs against: installed from PyPI, at a pinned
//! version, into a virtual environment under `target/`, once.
//!
//! ```text
//! let litellm = litellm::ensure_litellm(&root)?;           // idempotent, ~1 min the first time
//! run(litellm::proxy_test_command(&root, &litellm, &jobs()), "LiteLLM proxy end-to-end test")?;
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The LiteLLM release the end-to-end test is written against.
pub(crate) const LITELLM_VERSION: &str = "1.106.2";

/// Environment variable through which the test finds the `litellm` executable.
pub(crate) const LITELLM_BIN_ENV: &str = "LITELLM_BIN";

/// Where the virtual environment lives.
pub(crate) fn venv_dir(root: &Path) -> PathBuf {
    root.join("target").join("litellm-venv")
}

fn venv_bin(venv: &Path, name: &str) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join(format!("{name}.exe"))
    } else {
        venv.join("bin").join(name)
    }
}

/// Makes sure `litellm[proxy]==LITELLM_VERSION` is installed in `target/litellm-venv` and
/// returns the path of its `litellm` executable. Does nothing when that version is already
/// there. Needs `python3` (or the interpreter named by `PYTHON`) and access to PyPI.
pub(crate) fn ensure_litellm(root: &Path) -> Result<PathBuf> {
    let venv = venv_dir(root);
    let litellm = venv_bin(&venv, "litellm");
    let marker = venv.join(".litellm-version");
    let installed = std::fs::read_to_string(&marker).unwrap_or_default();
    if litellm.exists() && installed.trim() == LITELLM_VERSION {
        return Ok(litellm);
    }

    let python = venv_bin(&venv, "python");
    if !python.exists() {
        let system_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let mut create = Command::new(&system_python);
        create.arg("-m").arg("venv").arg(&venv);
        run(
            create,
            &format!("create a virtual environment with {system_python}"),
        )?;
    }
    let mut install = Command::new(&python);
    install.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        &format!("litellm[proxy]=={LITELLM_VERSION}"),
    ]);
    run(
        install,
        &format!("pip install litellm[proxy]=={LITELLM_VERSION} (from PyPI)"),
    )?;
    if !litellm.exists() {
        bail!(
            "pip installed litellm {LITELLM_VERSION} but {} is missing",
            litellm.display()
        );
    }
    std::fs::write(&marker, LITELLM_VERSION)
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(litellm)
}

/// `cargo test` of the (ignored by default) LiteLLM proxy test, pointed at `litellm`.
pub(crate) fn proxy_test_command(root: &Path, litellm: &Path, jobs: &str) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root)
        .args([
            "test",
            "-j",
            jobs,
            "-p",
            "genai-telemetry-litellm",
            "--all-features",
            "--test",
            "litellm_proxy",
            "--",
            "--ignored",
        ])
        .env(LITELLM_BIN_ENV, litellm);
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start: {what}"))?;
    if !status.success() {
        bail!("failed ({status}): {what}");
    }
    Ok(())
}
