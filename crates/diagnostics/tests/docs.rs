//! `docs/diagnostics.md` stays true: every endpoint the router lists has a section, and every
//! variable this crate reads is documented.

#![allow(clippy::unwrap_used)]

mod support;

use genai_telemetry_diagnostics::{DiagnosticsSettings, ENV_VARIABLES};
use support::{Bridge, call};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/diagnostics.md");
    std::fs::read_to_string(path).expect("docs/diagnostics.md exists")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_the_router_lists_has_a_section_in_the_docs() {
    let bridge = Bridge::start();
    let index = call(
        &bridge.router(DiagnosticsSettings::default()),
        "GET",
        "/",
        None,
    )
    .await
    .json();
    let doc = doc();
    let missing: Vec<String> = index["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let path = e["path"].as_str().unwrap();
            let path = path.split('?').next().unwrap();
            format!("### `{} {path}", e["method"].as_str().unwrap())
        })
        .filter(|heading| !doc.lines().any(|l| l.starts_with(heading.as_str())))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented in docs/diagnostics.md: {missing:?}"
    );
}

#[test]
fn every_variable_is_documented() {
    let doc = doc();
    let missing: Vec<&str> = ENV_VARIABLES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented in docs/diagnostics.md: {missing:?}"
    );
}
