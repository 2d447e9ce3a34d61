//! What the Python-installed test servers (LiteLLM proxy, rotel) share: a virtual
//! environment under `target/` with one pinned PyPI requirement, and the `cargo test`
//! command of the ignored test that runs against the installed executable.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use crate::run;

/// `name`'s path in a virtual environment's scripts directory.
pub(crate) fn venv_bin(venv: &Path, name: &str) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join(format!("{name}.exe"))
    } else {
        venv.join("bin").join(name)
    }
}

/// Creates the virtual environment when missing (with `python3`, or the interpreter named by
/// `PYTHON`) and `pip install`s `requirement` into it. Returns the venv's Python.
pub(crate) fn install(venv: &Path, requirement: &str) -> Result<PathBuf> {
    let python = venv_bin(venv, "python");
    if !python.exists() {
        let system_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let mut create = Command::new(&system_python);
        create.arg("-m").arg("venv").arg(venv);
        run(
            create,
            &format!("create a virtual environment with {system_python}"),
        )?;
    }
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        requirement,
    ]);
    run(pip, &format!("pip install {requirement} (from PyPI)"))?;
    Ok(python)
}

/// `cargo test` of the ignored end-to-end test target `test`, with the server's executable
/// passed in `bin_env`.
///
/// Built with `--workspace --all-features`, the feature set of the whole suite that runs after
/// it, so the two share every artifact: `-p <package>` resolves features for that package alone
/// and rebuilt the workspace's crates a second time (gigabytes of `target/` on a cold CI run).
/// Test target names are unique in the workspace, so `--test` selects exactly one.
pub(crate) fn ignored_test_command(
    root: &Path,
    jobs: &str,
    test: &str,
    bin_env: &str,
    bin: &Path,
) -> Command {
    let mut cmd = crate::cargo(root);
    cmd.args([
        "test",
        "-j",
        jobs,
        "--workspace",
        "--all-features",
        "--test",
        test,
        "--",
        "--ignored",
    ])
    .env(bin_env, bin);
    cmd
}
