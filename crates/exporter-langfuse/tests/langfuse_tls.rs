//! Corporate TLS towards Langfuse, against an HTTPS receiver whose certificate comes from
//! a CA generated in the test: trusted through `LANGFUSE_SSL_CA_BUNDLE`, refused with a
//! clear error without it, accepted with `LANGFUSE_SSL_VERIFY=false`.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use genai_telemetry_core::TlsOptions;
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig, TestCa};

fn https_receiver(ca: &TestCa) -> OtlpReceiver {
    langfuse_receiver(ReceiverConfig::new().tls(&ca.server_cert_pem, &ca.server_key_pem))
}

fn temp_dir(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("gtb-langfuse-tls-{test}-{}", std::process::id()))
}

#[test]
fn spans_are_delivered_over_https_when_the_ca_bundle_trusts_the_server() {
    let ca = TestCa::generate("Corp Root CA").unwrap();
    let bundle = ca.write_ca_bundle(&temp_dir("ok"), "corp-ca.pem").unwrap();
    let receiver = https_receiver(&ca);
    assert!(receiver.endpoint().starts_with("https://"));
    let settings = settings_with(&receiver.endpoint(), |b| {
        b.langfuse_tls(TlsOptions {
            verify: None,
            ca_bundle: Some(bundle.clone()),
        })
    });
    let h = Harness::langfuse(&settings, fast_pipeline());
    emit_generation(&h.provider);
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(receiver.stats().unique_spans, 1);
}

fn tls_error_after_failed_export(
    settings: &genai_telemetry_core::config::LangfuseSettings,
) -> String {
    let h = Harness::langfuse(settings, fast_pipeline());
    emit_generation(&h.provider);
    eventually("the export fails", || {
        h.pipeline
            .stats()
            .destination("langfuse")
            .unwrap()
            .last_error
            .is_some()
    });
    let stats = h.pipeline.stats().destination("langfuse").unwrap().clone();
    h.pipeline.shutdown(Duration::from_millis(100));
    assert_eq!(stats.spans_delivered, 0);
    stats.last_error.unwrap().message
}

#[test]
fn an_untrusted_server_certificate_fails_with_the_destination_and_unknown_issuer() {
    let ca = TestCa::generate("Corp Root CA").unwrap();
    let receiver = https_receiver(&ca);
    let message = tls_error_after_failed_export(&settings(&receiver.endpoint()));
    assert!(message.starts_with("langfuse: TLS error"), "{message}");
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains("no CA bundle configured"), "{message}");
    assert_eq!(receiver.stats().requests, 0);
}

#[test]
fn a_ca_bundle_of_another_ca_fails_naming_the_file_and_unknown_issuer() {
    let ca = TestCa::generate("Corp Root CA").unwrap();
    let other = TestCa::generate("Some Other CA").unwrap();
    let bundle = other
        .write_ca_bundle(&temp_dir("other"), "other-ca.pem")
        .unwrap();
    let receiver = https_receiver(&ca);
    let settings = settings_with(&receiver.endpoint(), |b| {
        b.langfuse_tls(TlsOptions {
            verify: None,
            ca_bundle: Some(bundle.clone()),
        })
    });
    let message = tls_error_after_failed_export(&settings);
    assert!(message.starts_with("langfuse: TLS error"), "{message}");
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains(&bundle.display().to_string()), "{message}");
}

#[test]
fn verification_off_delivers_to_an_untrusted_server_and_warns() {
    let ca = TestCa::generate("Corp Root CA").unwrap();
    let receiver = https_receiver(&ca);
    let config = genai_telemetry_core::BridgeConfig::builder()
        .langfuse(PUBLIC_KEY, SECRET_KEY)
        .langfuse_endpoint(receiver.endpoint())
        .langfuse_tls(TlsOptions {
            verify: Some(false),
            ca_bundle: None,
        })
        .build()
        .unwrap();
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("LANGFUSE_SSL_VERIFY=false"))
    );
    let h = Harness::langfuse(config.langfuse.as_ref().unwrap(), fast_pipeline());
    emit_generation(&h.provider);
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(receiver.stats().unique_spans, 1);
}
