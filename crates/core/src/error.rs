//! Errors at the core's public boundary: invalid configuration (naming the variable, the
//! problem and the fix) and failures to set a destination up.

use std::fmt;

use thiserror::Error;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The environment variable (or its builder equivalent) at fault.
    pub variable: String,
    /// What is wrong with it.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.variable, self.problem, self.fix)
    }
}

/// Invalid configuration: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct ConfigError {
    /// The problems, in the order they were found.
    pub problems: Vec<ConfigProblem>,
}

impl ConfigError {
    /// True when a problem names this variable.
    pub fn names(&self, variable: &str) -> bool {
        self.problems.iter().any(|p| p.variable == variable)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "invalid telemetry configuration: {one}"),
            many => {
                write!(
                    f,
                    "invalid telemetry configuration ({} problems):",
                    many.len()
                )?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// Errors of the bridge's setup and lifecycle.
#[derive(Debug, Error)]
pub enum BridgeError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A destination's HTTP client could not be built (TLS setup, header values).
    #[error("destination {destination}: cannot build its HTTP client: {message}")]
    HttpClient {
        /// Destination name.
        destination: String,
        /// The cause.
        message: String,
    },
    /// The export thread could not be started.
    #[error("cannot start the telemetry export thread: {0}")]
    ExportThread(String),
    /// The disk spool directory cannot be used: not creatable, not writable, or locked by
    /// another process.
    #[error("{variable}={}: {message}", dir.display())]
    Spool {
        /// The variable that set the directory (`TELEMETRY_SPOOL_DIR`).
        variable: &'static str,
        /// The directory.
        dir: std::path::PathBuf,
        /// What is wrong, and what to do.
        message: String,
    },
    /// Two destinations share a name, so their stats would be indistinguishable.
    #[error("two destinations are named {0:?}; give each a distinct name")]
    DuplicateDestination(String),
}
