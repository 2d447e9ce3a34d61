//! The `.env` file reader: `BridgeConfigBuilder::from_env_and_dotenv` (dotenvy's parser, then
//! the same value parsers as the environment), and `build`.
//!
//! Input: the file's bytes. Inputs that mention variables naming files (CA bundles,
//! certificates, the pricing file) are skipped: the fuzzer must not read arbitrary files.

use std::path::PathBuf;

use genai_telemetry_core::BridgeConfigBuilder;
use genai_telemetry_core::config::ENV_VARIABLES;

fn scratch_file() -> PathBuf {
    std::env::temp_dir().join(format!("genai-telemetry-fuzz-{}.env", std::process::id()))
}

/// Checks one input.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data).to_ascii_uppercase();
    if ["BUNDLE", "CERTIFICATE", "PRICING", "DOTENV"]
        .iter()
        .any(|w| text.contains(w))
    {
        return;
    }
    let path = scratch_file();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let result = BridgeConfigBuilder::from_env_and_dotenv(Some(&path), true).build();
    let _ = std::fs::remove_file(&path);
    if let Err(error) = result {
        assert!(!error.problems.is_empty(), "an error without a problem");
        for problem in &error.problems {
            assert!(
                problem.variable == "TELEMETRY_DOTENV_PATH"
                    || ENV_VARIABLES
                        .iter()
                        .any(|(name, _)| *name == problem.variable)
                    || problem.variable.starts_with("OTEL_")
                    || problem.variable.starts_with("LANGFUSE_")
                    || problem.variable.starts_with("INSTANA_")
                    || problem.variable.starts_with("TELEMETRY_"),
                "problem names {:?}: {problem}",
                problem.variable
            );
            assert!(
                !problem.problem.is_empty() && !problem.fix.is_empty(),
                "{problem}"
            );
        }
    }
}
