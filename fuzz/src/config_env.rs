//! Configuration values from the environment: `BridgeConfigBuilder::from_lookup` (the
//! reader `from_env` uses, with every value parser of `config/parse.rs`) and `build`.
//!
//! Input: `NAME=value` lines. A line that does not start with a known variable picks one
//! from its first byte and takes the rest of the line as the value. Variables naming
//! files (CA bundles, certificates, the pricing file, the `.env` path) are never set: the
//! fuzzer must not read arbitrary files.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use genai_telemetry_core::BridgeConfigBuilder;
use genai_telemetry_core::config::ENV_VARIABLES;

/// The variables the target may set.
pub fn variables() -> Vec<&'static str> {
    ENV_VARIABLES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            !(name.ends_with("_CA_BUNDLE")
                || name.ends_with("_CERTIFICATE")
                || *name == "GENAI_PRICING_FILE"
                || *name == "TELEMETRY_DOTENV_PATH")
        })
        .collect()
}

/// The environment an input stands for.
pub fn environment(data: &[u8]) -> BTreeMap<String, String> {
    let names = variables();
    let mut env = BTreeMap::new();
    for line in data.split(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let named = text
            .split_once('=')
            .filter(|(name, _)| names.contains(name))
            .map(|(name, value)| (name.to_owned(), value.to_owned()));
        let (name, value) = match named {
            Some(pair) => pair,
            None => match line.split_first() {
                Some((&first, rest)) => (
                    names[usize::from(first) % names.len()].to_owned(),
                    String::from_utf8_lossy(rest).into_owned(),
                ),
                None => continue,
            },
        };
        env.insert(name, value);
    }
    env
}

/// Checks one input.
pub fn check(data: &[u8]) {
    let env = environment(data);
    let asked = RefCell::new(BTreeSet::new());
    let result = BridgeConfigBuilder::from_lookup(|name| {
        asked.borrow_mut().insert(name.to_owned());
        env.get(name).cloned()
    })
    .build();
    let asked = asked.into_inner();
    if let Err(error) = result {
        assert!(!error.problems.is_empty(), "an error without a problem");
        let text = error.to_string();
        for problem in &error.problems {
            // Every problem names a variable the reader knows (and so the documentation).
            assert!(
                asked.contains(&problem.variable),
                "problem names {:?}, which is not a variable: {problem}",
                problem.variable
            );
            assert!(
                !problem.problem.is_empty() && !problem.fix.is_empty(),
                "{problem}"
            );
            assert!(
                text.contains(&problem.variable),
                "the message omits {}",
                problem.variable
            );
        }
    }
}
