//! `genai-telemetry doctor` as users run it: configuration from the environment and `.env`,
//! real loopback receivers, a verdict per destination and the exit code.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};

struct Run {
    code: Option<i32>,
    stdout: String,
}

/// An empty working directory of its own (no stray `.env`).
fn workdir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("genai-telemetry-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with exactly these variables (nothing inherited: no proxies, no keys
/// from the developer's shell).
fn doctor(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let Output { status, stdout, .. } = Command::new(env!("CARGO_BIN_EXE_genai-telemetry"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_reachable_otlp_endpoint_passes_with_exit_code_zero() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let dir = workdir("ok");
    let run = doctor(
        &dir,
        &["doctor"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint())],
    );
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("configuration: ok (1 destination enabled: otlp)")
    );
    assert!(
        run.stdout
            .contains("✓ ok: accepted an empty OTLP export request")
    );
    assert!(receiver.spans().is_empty());
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn the_configuration_is_read_from_dotenv_like_the_library_reads_it() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let dir = workdir("dotenv");
    std::fs::write(
        dir.join(".env"),
        format!("OTEL_EXPORTER_OTLP_ENDPOINT={}\n", receiver.endpoint()),
    )
    .unwrap();
    let run = doctor(&dir, &["doctor"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn refused_credentials_fail_with_exit_code_one_and_name_the_variable() {
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().require_header("authorization", "Bearer right"))
            .unwrap();
    let dir = workdir("auth");
    let run = doctor(
        &dir,
        &["doctor"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer%20stale-token-77",
            ),
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("✗ auth rejected: HTTP 401"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("OTEL_EXPORTER_OTLP_HEADERS"));
    assert!(
        !run.stdout.contains("stale-token-77"),
        "no credential is printed"
    );
}

#[cfg(feature = "langfuse")]
#[test]
fn langfuse_keys_of_another_project_are_reported_with_the_keys_to_check() {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("pk-lf-1:sk-lf-1");
    let receiver = OtlpReceiver::start(
        ReceiverConfig::new()
            .traces_path("/api/public/otel/v1/traces")
            .require_header("authorization", &format!("Basic {basic}")),
    )
    .unwrap();
    let dir = workdir("langfuse");
    let endpoint = receiver.endpoint();
    let with_secret = |secret| {
        [
            ("LANGFUSE_ENDPOINT", endpoint.as_str()),
            ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
            ("LANGFUSE_SECRET_KEY", secret),
        ]
    };
    let run = doctor(&dir, &["doctor"], &with_secret("sk-lf-1"));
    assert_eq!(run.code, Some(0), "{}", run.stdout);

    let run = doctor(&dir, &["doctor"], &with_secret("sk-lf-other-project"));
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(run.stdout.contains("langfuse"));
    assert!(run.stdout.contains("✗ auth rejected"), "{}", run.stdout);
    assert!(run.stdout.contains("LANGFUSE_SECRET_KEY"), "{}", run.stdout);
    assert!(!run.stdout.contains("sk-lf-other-project"));
}

#[test]
fn an_untrusted_server_certificate_fails_as_tls_until_its_ca_is_configured() {
    let pki = TestPki::generate();
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().tls(&pki.server_cert_pem, &pki.server_key_pem))
            .unwrap();
    let dir = workdir("tls");
    let endpoint = receiver.endpoint();
    let run = doctor(
        &dir,
        &["doctor"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("✗ TLS: unknown issuer"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("set OTEL_EXPORTER_OTLP_CERTIFICATE"));

    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_cert_pem).unwrap();
    let run = doctor(
        &dir,
        &["doctor"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stdout);
}

#[test]
fn a_port_nobody_listens_on_fails_as_unreachable() {
    let dir = workdir("unreachable");
    let port = free_port();
    let run = doctor(
        &dir,
        &["doctor", "--json"],
        &[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://127.0.0.1:{port}"),
        )],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("\"verdict\": \"unreachable\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("connection refused by 127.0.0.1:{port}"))
    );
}

#[test]
fn an_invalid_configuration_exits_with_two_and_contacts_nobody() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let dir = workdir("invalid");
    let run = doctor(
        &dir,
        &["doctor"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
            ("TELEMETRY_SAMPLE_RATE", "2"),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(run.stdout.contains("configuration: invalid"));
    assert!(run.stdout.contains("TELEMETRY_SAMPLE_RATE"));
    assert!(receiver.requests().is_empty());
}

#[test]
fn no_enabled_destination_exits_with_two() {
    let dir = workdir("nothing");
    let run = doctor(&dir, &["doctor"], &[]);
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(run.stdout.contains("no destination is enabled"));
}

#[test]
fn an_unknown_command_prints_the_usage_and_exits_with_two() {
    let dir = workdir("usage");
    assert_eq!(doctor(&dir, &["cure"], &[]).code, Some(2));
    let help = doctor(&dir, &["help"], &[]);
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.contains("doctor [--json]"));
}

/// A CA and a server certificate for 127.0.0.1 and localhost, generated for the test.
struct TestPki {
    ca_cert_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
}

impl TestPki {
    fn generate() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = server.signed_by(&key, &issuer).unwrap();
        Self {
            ca_cert_pem: ca_cert.pem(),
            server_cert_pem: cert.pem(),
            server_key_pem: key.serialize_pem(),
        }
    }
}
