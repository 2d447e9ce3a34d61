//! `doctor` against loopback receivers: success, refused credentials, wrong path, nothing
//! listening, TLS with an untrusted CA, an expired certificate and a name mismatch.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use genai_telemetry_core::{
    BridgeConfig, BridgeConfigBuilder, Destination, OtlpDestination, TlsOptions,
};
use genai_telemetry_diagnostics::doctor::{self, DoctorReport, Verdict};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig, ScriptedResponse, TestCa};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

fn otlp_destinations(config: &BridgeConfig) -> Vec<Arc<dyn Destination>> {
    let otlp = config.otlp.as_ref().unwrap();
    vec![Arc::new(
        OtlpDestination::new(otlp, Duration::from_secs(5)).unwrap(),
    )]
}

fn diagnose(builder: BridgeConfigBuilder) -> DoctorReport {
    let config = builder.build().unwrap();
    doctor::run(&config, otlp_destinations(&config))
}

fn only(report: &DoctorReport) -> &doctor::DestinationCheck {
    assert_eq!(report.destinations.len(), 1, "{report:#?}");
    &report.destinations[0]
}

fn temp_dir(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "genai-telemetry-doctor-{}-{test}",
        std::process::id()
    ))
}

#[test]
fn a_destination_that_accepts_the_empty_test_request_is_ok_and_receives_no_spans() {
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().require_header("authorization", "Bearer good"))
            .unwrap();
    let report = diagnose(
        BridgeConfig::builder()
            .service_name("doctor-test")
            .otlp_endpoint(receiver.endpoint())
            .otlp_header("authorization", "Bearer good"),
    );
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Ok, "{report:#?}");
    assert_eq!(check.endpoint, receiver.traces_url());
    assert_eq!(report.exit_code(), doctor::EXIT_OK);
    assert!(report.to_text().contains("✓ ok"), "{}", report.to_text());
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        receiver.spans().is_empty(),
        "the test request creates no data"
    );
}

#[test]
fn refused_credentials_are_reported_as_auth_rejected_with_the_variable_to_fix() {
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().require_header("authorization", "Bearer good"))
            .unwrap();
    let report = diagnose(
        BridgeConfig::builder()
            .otlp_endpoint(receiver.endpoint())
            .otlp_header("authorization", "Bearer stale"),
    );
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::AuthRejected, "{report:#?}");
    assert_eq!(check.status, Some(401));
    assert!(
        check
            .fix
            .as_deref()
            .unwrap()
            .contains("OTEL_EXPORTER_OTLP_HEADERS")
    );
    assert_eq!(report.exit_code(), doctor::EXIT_DESTINATION_FAILED);
    let text = report.to_text();
    assert!(text.contains("✗ auth rejected: HTTP 401"), "{text}");
    assert!(
        !text.contains("stale"),
        "credentials are never printed: {text}"
    );
}

#[test]
fn a_wrong_path_is_reported_with_how_the_url_is_built() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let report = diagnose(
        BridgeConfig::builder()
            .otlp_traces_endpoint(format!("{}/otlp/traces", receiver.endpoint())),
    );
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::WrongPath, "{report:#?}");
    assert_eq!(check.status, Some(404));
    let fix = check.fix.as_deref().unwrap();
    assert!(fix.contains("appends /v1/traces"), "{fix}");
    assert!(fix.contains("4318"), "{fix}");
}

#[test]
fn a_port_nobody_listens_on_is_reported_as_unreachable() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let report =
        diagnose(BridgeConfig::builder().otlp_endpoint(format!("http://127.0.0.1:{port}")));
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Unreachable, "{report:#?}");
    assert_eq!(
        check.summary,
        format!("connection refused by 127.0.0.1:{port}")
    );
    assert!(check.fix.as_deref().unwrap().contains("nothing listens on"));
    assert_eq!(report.exit_code(), doctor::EXIT_DESTINATION_FAILED);
}

#[test]
fn a_server_error_is_reported_as_other_with_its_status() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    receiver
        .faults()
        .respond_next(1, ScriptedResponse::status(503).body("maintenance"));
    let report = diagnose(BridgeConfig::builder().otlp_endpoint(receiver.endpoint()));
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Other, "{report:#?}");
    assert_eq!(check.status, Some(503));
    assert!(check.cause.contains("maintenance"));
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_a_tls_unknown_issuer_verdict() {
    let ca = TestCa::generate("doctor test CA").unwrap();
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().tls(&ca.server_cert_pem, &ca.server_key_pem))
            .unwrap();
    let report = diagnose(BridgeConfig::builder().otlp_endpoint(receiver.endpoint()));
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Tls, "{report:#?}");
    assert!(
        check.summary.starts_with("unknown issuer"),
        "{}",
        check.summary
    );
    assert!(
        check
            .summary
            .contains("OTEL_EXPORTER_OTLP_CERTIFICATE is not set")
    );
    assert!(
        check
            .fix
            .as_deref()
            .unwrap()
            .contains("set OTEL_EXPORTER_OTLP_CERTIFICATE")
    );
}

#[test]
fn a_ca_bundle_without_the_servers_ca_is_named_in_the_tls_verdict() {
    let server_ca = TestCa::generate("server CA").unwrap();
    let other_ca = TestCa::generate("some other CA").unwrap();
    let dir = temp_dir("wrong-bundle");
    let bundle = other_ca.write_ca_bundle(&dir, "corporate-ca.pem").unwrap();
    let receiver = OtlpReceiver::start(
        ReceiverConfig::new().tls(&server_ca.server_cert_pem, &server_ca.server_key_pem),
    )
    .unwrap();
    let report = diagnose(
        BridgeConfig::builder()
            .otlp_endpoint(receiver.endpoint())
            .otlp_tls(TlsOptions {
                verify: None,
                ca_bundle: Some(bundle.clone()),
            }),
    );
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Tls, "{report:#?}");
    let path = bundle.display().to_string();
    assert!(check.summary.contains(&path), "{}", check.summary);
    assert!(check.fix.as_deref().unwrap().contains(&path));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn trusting_the_servers_ca_makes_the_tls_destination_ok() {
    let ca = TestCa::generate("trusted CA").unwrap();
    let dir = temp_dir("right-bundle");
    let bundle = ca.write_ca_bundle(&dir, "ca.pem").unwrap();
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().tls(&ca.server_cert_pem, &ca.server_key_pem))
            .unwrap();
    let report = diagnose(
        BridgeConfig::builder()
            .otlp_endpoint(receiver.endpoint())
            .otlp_tls(TlsOptions {
                verify: None,
                ca_bundle: Some(bundle),
            }),
    );
    assert_eq!(only(&report).verdict, Verdict::Ok, "{report:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A CA (PEM, for the client) and a server identity it signed (PEM chain and key).
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki(server_names: &[&str], expired: bool) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "doctor PKI");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(
        server_names
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn diagnose_tls(pki: &Pki, test: &str) -> DoctorReport {
    let dir = temp_dir(test);
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("ca.pem");
    std::fs::write(&bundle, &pki.ca_pem).unwrap();
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().tls(&pki.cert_pem, &pki.key_pem)).unwrap();
    let report = diagnose(
        BridgeConfig::builder()
            .otlp_endpoint(receiver.endpoint())
            .otlp_tls(TlsOptions {
                verify: None,
                ca_bundle: Some(bundle),
            }),
    );
    let _ = std::fs::remove_dir_all(dir);
    report
}

#[test]
fn an_expired_server_certificate_is_a_tls_expired_verdict() {
    let report = diagnose_tls(&pki(&["127.0.0.1", "localhost"], true), "expired");
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Tls, "{report:#?}");
    assert!(check.summary.contains("expired"), "{}", check.summary);
    assert!(
        check
            .fix
            .as_deref()
            .unwrap()
            .contains("renew the certificate")
    );
}

#[test]
fn a_certificate_for_another_host_is_a_tls_name_mismatch_verdict() {
    let report = diagnose_tls(
        &pki(&["collector.example.internal"], false),
        "name-mismatch",
    );
    let check = only(&report);
    assert_eq!(check.verdict, Verdict::Tls, "{report:#?}");
    assert!(
        check.summary.starts_with("name mismatch"),
        "{}",
        check.summary
    );
    assert!(
        check
            .fix
            .as_deref()
            .unwrap()
            .contains("OTEL_EXPORTER_OTLP_ENDPOINT")
    );
}

#[test]
fn no_enabled_destination_is_a_configuration_problem() {
    let config = BridgeConfig::builder().build().unwrap();
    let report = doctor::run(&config, Vec::new());
    assert_eq!(report.exit_code(), doctor::EXIT_INVALID_CONFIG);
    assert!(report.to_text().contains("no destination is enabled"));
}

#[test]
fn an_invalid_configuration_lists_every_problem_and_exits_with_two() {
    let error = BridgeConfig::builder()
        .sample_rate(2.0)
        .otlp_endpoint("ftp://nowhere")
        .build()
        .unwrap_err();
    let report = DoctorReport::invalid_config(&error);
    assert_eq!(report.exit_code(), doctor::EXIT_INVALID_CONFIG);
    let text = report.to_text();
    assert!(
        text.contains("configuration: invalid (2 problems)"),
        "{text}"
    );
    assert!(text.contains("TELEMETRY_SAMPLE_RATE"), "{text}");
    assert!(text.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{text}");
}

#[test]
fn several_destinations_are_checked_and_judged_separately() {
    let up = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let config = BridgeConfig::builder()
        .otlp_endpoint(up.endpoint())
        .build()
        .unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let down = BridgeConfig::builder()
        .otlp_endpoint(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let mut down_settings = down.otlp.clone().unwrap();
    down_settings.name = "backup".to_owned();
    let destinations: Vec<Arc<dyn Destination>> = vec![
        otlp_destinations(&config).remove(0),
        Arc::new(OtlpDestination::new(&down_settings, Duration::from_secs(5)).unwrap()),
    ];
    let report = doctor::run(&config, destinations);
    assert_eq!(report.destinations[0].verdict, Verdict::Ok);
    assert_eq!(report.destinations[1].destination, "backup");
    assert_eq!(report.destinations[1].verdict, Verdict::Unreachable);
    assert!(report.to_text().contains("1 of 2 destinations failing"));
}
