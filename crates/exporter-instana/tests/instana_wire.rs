//! What goes over the wire to Instana: the agent's `/v1/traces`, the acceptor's
//! `x-instana-key` and `x-instana-host`, protobuf, gzip, corporate TLS, and a 400.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::*;
use genai_telemetry_core::TlsOptions;
use genai_telemetry_core::config::InstanaMode;
use genai_telemetry_receiver::{ReceiverConfig, ScriptedResponse, TestCa};

#[test]
fn agent_mode_posts_gzip_protobuf_to_v1_traces_without_acceptor_headers() {
    let receiver = start_receiver(ReceiverConfig::new());
    let settings = settings(&receiver.endpoint());
    assert_eq!(settings.mode, InstanaMode::Agent);
    let h = Harness::instana(&settings, fast_pipeline());
    emit_generation(&h.provider);
    assert!(h.finish().complete);
    let requests = receiver.requests();
    for r in &requests {
        assert_eq!(r.status, 200);
        assert_eq!(r.path, "/v1/traces");
        assert_eq!(r.content_type.as_deref(), Some("application/x-protobuf"));
        assert_eq!(r.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(r.header("x-instana-key"), None);
        assert_eq!(r.header("x-instana-host"), None);
    }
    assert_eq!(receiver.stats().unique_spans, 1);
}

/// Agentless settings pointed at a loopback receiver (the configuration only picks
/// agentless for https endpoints that are not loopback, so the mode is set by hand).
fn agentless(endpoint: &str, host: Option<&str>) -> genai_telemetry_core::config::InstanaSettings {
    let mut settings = settings_with(endpoint, |b| {
        let b = b.instana_api_key(AGENT_KEY);
        match host {
            Some(h) => b.instana_host(h),
            None => b,
        }
    });
    settings.mode = InstanaMode::Agentless;
    settings
}

#[test]
fn agentless_mode_sends_the_agent_key_and_the_host_header() {
    let receiver = start_receiver(
        ReceiverConfig::new()
            .require_header("x-instana-key", AGENT_KEY)
            .require_header("x-instana-host", "host-1"),
    );
    let h = Harness::instana(
        &agentless(&receiver.endpoint(), Some("host-1")),
        fast_pipeline(),
    );
    emit_generation(&h.provider);
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(receiver.stats().unique_spans, 1);
    assert_eq!(receiver.stats().rejected_requests, 0);
}

#[test]
fn agentless_mode_leaves_the_host_header_out_when_the_resource_has_a_host_id() {
    let receiver = start_receiver(ReceiverConfig::new().require_header("x-instana-key", AGENT_KEY));
    let h = Harness::instana_with_resource(
        &agentless(&receiver.endpoint(), Some("host-1")),
        fast_pipeline(),
        resource(&[("host.id", "i-0123456789")]),
    );
    emit_generation(&h.provider);
    assert!(h.finish().complete);
    for r in receiver.requests() {
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-instana-host"), None);
    }
    assert_eq!(receiver.stats().unique_spans, 1);
}

#[test]
fn the_agent_key_is_never_shown_in_debug_output() {
    let receiver = start_receiver(ReceiverConfig::new());
    let destination = genai_telemetry_instana::InstanaDestination::new(
        &agentless(&receiver.endpoint(), Some("host-1")),
        &fast_pipeline(),
    )
    .unwrap();
    let shown = format!("{destination:?}");
    assert!(!shown.contains(AGENT_KEY), "{shown}");
}

#[test]
fn a_400_from_instana_is_dropped_without_retry() {
    let receiver = start_receiver(ReceiverConfig::new());
    receiver
        .faults()
        .respond_next(1, ScriptedResponse::status(400).body("bad payload"));
    let h = Harness::instana(&settings(&receiver.endpoint()), fast_pipeline());
    emit_generation(&h.provider);
    let report = h.finish();
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(
        report
            .destination("instana")
            .unwrap()
            .dropped
            .permanent_error,
        1
    );
}

#[test]
fn spans_reach_an_https_acceptor_trusted_through_the_ca_bundle() {
    let ca = TestCa::generate("Corp Root CA").unwrap();
    let dir = std::env::temp_dir().join(format!("gtb-instana-tls-{}", std::process::id()));
    let bundle = ca.write_ca_bundle(&dir, "corp-ca.pem").unwrap();
    let receiver = start_receiver(
        ReceiverConfig::new()
            .tls(&ca.server_cert_pem, &ca.server_key_pem)
            .require_header("x-instana-key", AGENT_KEY),
    );
    let mut trusting = settings_with(&receiver.endpoint(), |b| {
        b.instana_api_key(AGENT_KEY).instana_tls(TlsOptions {
            verify: None,
            ca_bundle: Some(bundle),
        })
    });
    trusting.mode = InstanaMode::Agentless;
    let h = Harness::instana(&trusting, fast_pipeline());
    emit_generation(&h.provider);
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(receiver.stats().unique_spans, 1);

    // Without the bundle the same server is refused, and the error says why.
    let receiver =
        start_receiver(ReceiverConfig::new().tls(&ca.server_cert_pem, &ca.server_key_pem));
    let h = Harness::instana(&settings(&receiver.endpoint()), fast_pipeline());
    emit_generation(&h.provider);
    eventually("the export fails", || {
        h.pipeline
            .stats()
            .destination("instana")
            .unwrap()
            .last_error
            .is_some()
    });
    let message = h
        .pipeline
        .stats()
        .destination("instana")
        .unwrap()
        .last_error
        .clone()
        .unwrap()
        .message;
    h.pipeline.shutdown(Duration::from_millis(100));
    assert!(message.starts_with("instana: TLS error"), "{message}");
    assert!(message.contains("unknown issuer"), "{message}");
}
