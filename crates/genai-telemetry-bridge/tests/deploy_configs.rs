//! The gateway configurations in `deploy/` and what `docs/scaling.md` shows of them.
//!
//! The rotel files run for real in `tests/collector_gateway.rs` (through `cargo xtask test`).
//! The OpenTelemetry Collector file cannot run here (no trusted Collector binary installs on
//! this project's machines), so this checks what can be checked without one: it parses as
//! YAML, every component a pipeline names is defined, every exporter queues on disk and
//! retries without a time limit, the back-end headers are the ones the destinations send, and
//! the documentation shows the files exactly as they are.

#![allow(clippy::unwrap_used)]

use yaml_rust2::{Yaml, YamlLoader};

const OTELCOL: &str = include_str!("../../../deploy/otelcol-gateway.yaml");
const ROTEL_LANGFUSE: &str = include_str!("../../../deploy/rotel/langfuse.env");
const ROTEL_INSTANA: &str = include_str!("../../../deploy/rotel/instana.env");
const SCALING_DOC: &str = include_str!("../../../docs/scaling.md");

fn otelcol() -> Yaml {
    let mut docs = YamlLoader::load_from_str(OTELCOL).unwrap();
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

/// The keys of a mapping, as strings.
fn keys(node: &Yaml) -> Vec<String> {
    node.as_hash()
        .unwrap_or_else(|| panic!("not a mapping: {node:?}"))
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

fn strings(node: &Yaml) -> Vec<String> {
    node.as_vec()
        .unwrap_or_else(|| panic!("not a list: {node:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_component_a_pipeline_names_is_defined() {
    let config = otelcol();
    let service = &config["service"];
    for extension in strings(&service["extensions"]) {
        assert!(
            keys(&config["extensions"]).contains(&extension),
            "service.extensions names {extension}, which is not defined"
        );
    }
    let pipelines = &service["pipelines"];
    assert!(!keys(pipelines).is_empty());
    for name in keys(pipelines) {
        let pipeline = &pipelines[name.as_str()];
        for (kind, section) in [
            ("receivers", "receivers"),
            ("processors", "processors"),
            ("exporters", "exporters"),
        ] {
            if pipeline[kind].is_badvalue() {
                assert_eq!(kind, "processors", "pipeline {name} has no {kind}");
                continue;
            }
            for component in strings(&pipeline[kind]) {
                assert!(
                    keys(&config[section]).contains(&component),
                    "pipeline {name} names {component}, which is not under {section}"
                );
            }
        }
        // The batch processor acknowledges what the persistent queue does not hold yet.
        if !pipeline["processors"].is_badvalue() {
            assert!(
                !strings(&pipeline["processors"])
                    .iter()
                    .any(|p| p == "batch" || p.starts_with("batch/")),
                "pipeline {name} batches in memory before the persistent queue"
            );
        }
    }
}

#[test]
fn both_back_ends_receive_every_span_from_one_receiver() {
    let config = otelcol();
    let pipelines = &config["service"]["pipelines"];
    let mut trace_exporters = Vec::new();
    for name in keys(pipelines) {
        if name == "traces" || name.starts_with("traces/") {
            assert_eq!(strings(&pipelines[name.as_str()]["receivers"]), ["otlp"]);
            trace_exporters.extend(strings(&pipelines[name.as_str()]["exporters"]));
        }
    }
    trace_exporters.sort();
    assert_eq!(trace_exporters, ["otlp_http/instana", "otlp_http/langfuse"]);
    // The bridge's generic OTLP destination speaks OTLP/HTTP to /v1/traces.
    assert!(
        config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
            .as_str()
            .unwrap()
            .ends_with(":4318")
    );
}

#[test]
fn every_exporter_queues_on_disk_and_retries_without_a_time_limit() {
    let config = otelcol();
    let extensions = strings(&config["service"]["extensions"]);
    for name in keys(&config["exporters"]) {
        let exporter = &config["exporters"][name.as_str()];
        let queue = &exporter["sending_queue"];
        assert_eq!(queue["enabled"].as_bool(), Some(true), "{name}");
        let storage = queue["storage"].as_str().unwrap_or_else(|| {
            panic!("{name}: sending_queue.storage is not set (the queue would be in memory)")
        });
        assert!(storage.starts_with("file_storage"), "{name}: {storage}");
        assert!(
            extensions.iter().any(|e| e == storage),
            "{name}: {storage} is not enabled in service.extensions"
        );
        assert!(queue["queue_size"].as_i64().unwrap() > 0, "{name}");
        let retry = &exporter["retry_on_failure"];
        assert_eq!(retry["enabled"].as_bool(), Some(true), "{name}");
        assert_eq!(
            retry["max_elapsed_time"].as_i64(),
            Some(0),
            "{name}: a finite max_elapsed_time drops a batch after that long an outage"
        );
    }
    let storage = &config["extensions"]["file_storage/queue"];
    assert!(storage["directory"].as_str().unwrap().starts_with('/'));
}

#[test]
fn each_back_end_gets_the_headers_its_destination_sends() {
    let config = otelcol();
    let langfuse = &config["exporters"]["otlp_http/langfuse"];
    assert!(
        langfuse["endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/api/public/otel"),
        "otlp_http appends /v1/traces"
    );
    assert_eq!(
        langfuse["headers"]["Authorization"].as_str(),
        Some("Basic ${env:LANGFUSE_BASIC_AUTH}")
    );
    assert_eq!(
        langfuse["headers"]["x-langfuse-ingestion-version"].as_str(),
        Some("4"),
        "a string: a YAML number would not be a header value"
    );
    let instana = &config["exporters"]["otlp_http/instana"];
    assert_eq!(
        instana["headers"]["x-instana-key"].as_str(),
        Some("${env:INSTANA_AGENT_KEY}")
    );
    for exporter in [langfuse, instana] {
        assert_eq!(exporter["compression"].as_str(), Some("gzip"));
    }
}

#[test]
fn the_rotel_files_carry_the_same_back_end_settings() {
    for (file, wants) in [
        (
            ROTEL_LANGFUSE,
            &[
                "ROTEL_OTLP_EXPORTER_ENDPOINT=\"${LANGFUSE_ENDPOINT}/api/public/otel\"",
                "Authorization=Basic ${LANGFUSE_BASIC_AUTH}",
                "x-langfuse-ingestion-version=4",
            ][..],
        ),
        (
            ROTEL_INSTANA,
            &[
                "ROTEL_OTLP_EXPORTER_ENDPOINT=\"${INSTANA_OTLP_ENDPOINT}\"",
                "x-instana-key=${INSTANA_AGENT_KEY}",
            ][..],
        ),
    ] {
        for want in wants {
            assert!(file.contains(want), "missing {want}");
        }
    }
}

#[test]
fn docs_scaling_shows_each_deploy_file_exactly() {
    for (path, content) in [
        ("deploy/otelcol-gateway.yaml", OTELCOL),
        ("deploy/rotel/langfuse.env", ROTEL_LANGFUSE),
        ("deploy/rotel/instana.env", ROTEL_INSTANA),
    ] {
        assert!(
            SCALING_DOC.contains(content),
            "docs/scaling.md does not show {path} as it is; paste the file into its code block"
        );
    }
}
