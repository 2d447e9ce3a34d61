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

/// Makes sure `litellm[proxy]==LITELLM_VERSION` is installed in `target/litellm-venv` and
/// returns the path of its `litellm` executable. Does nothing when that version is already
/// there. Needs `python3` (or the interpreter named by `PYTHON`) and access to PyPI.
pub(crate) fn ensure_litellm(root: &Path) -> Result<PathBuf> {
    let venv = venv_dir(root);
    let litellm = crate::pyenv::venv_bin(&venv, "litellm");
    let marker = venv.join(".litellm-version");
    let installed = std::fs::read_to_string(&marker).unwrap_or_default();
    if litellm.exists() && installed.trim() == LITELLM_VERSION {
        return Ok(litellm);
    }

    crate::pyenv::install(&venv, &format!("litellm[proxy]=={LITELLM_VERSION}"))?;
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
    crate::pyenv::ignored_test_command(root, jobs, "litellm_proxy", LITELLM_BIN_ENV, litellm)
}
