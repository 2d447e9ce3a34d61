//! The configuration reference stays true: every variable the bridge reads is documented.

use genai_telemetry_core::config::ENV_VARIABLES;

#[test]
fn every_environment_variable_is_documented_in_the_configuration_reference() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let doc = std::fs::read_to_string(path).expect("docs/configuration.md exists");
    let missing: Vec<&str> = ENV_VARIABLES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented in docs/configuration.md: {missing:?}"
    );
}
