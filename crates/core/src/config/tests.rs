#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

fn from_vars(vars: &[(&str, &str)]) -> Result<BridgeConfig, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    BridgeConfigBuilder::from_lookup(|k| map.get(k).cloned()).build()
}

fn err(vars: &[(&str, &str)]) -> ConfigError {
    from_vars(vars).expect_err("configuration should be rejected")
}

#[test]
fn empty_environment_gives_defaults_and_no_destination() {
    let config = from_vars(&[]).unwrap();
    assert!(config.langfuse.is_none() && config.instana.is_none() && config.otlp.is_none());
    assert_eq!(config.sample_rate, 1.0);
    assert_eq!(config.pipeline, PipelineSettings::default());
    assert!(config.service.name.starts_with("unknown_service"));
}

#[test]
fn the_original_designs_variables_configure_both_destinations() {
    let config = from_vars(&[
        ("OTEL_SERVICE_NAME", "my-ai-app"),
        ("OTEL_SERVICE_VERSION", "1.0.0"),
        ("DEPLOYMENT_ENVIRONMENT", "production"),
        ("OTEL_EXPORTER_LANGFUSE_ENABLED", "true"),
        ("LANGFUSE_ENDPOINT", "https://cloud.langfuse.com"),
        ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
        ("LANGFUSE_SECRET_KEY", "sk-lf-1"),
        ("OTEL_EXPORTER_INSTANA_ENABLED", "true"),
        ("INSTANA_ENDPOINT", "http://instana-agent:4318"),
        ("INSTANA_API_KEY", "agent-key"),
        ("TELEMETRY_SAMPLE_RATE", "0.25"),
    ])
    .unwrap();
    assert_eq!(config.service.name, "my-ai-app");
    assert_eq!(config.service.version.as_deref(), Some("1.0.0"));
    assert_eq!(config.service.environment.as_deref(), Some("production"));
    let lf = config.langfuse.as_ref().unwrap();
    assert_eq!(
        lf.traces_url().as_str(),
        "https://cloud.langfuse.com/api/public/otel/v1/traces"
    );
    assert_eq!(lf.secret_key.expose_secret(), "sk-lf-1");
    let inst = config.instana.as_ref().unwrap();
    assert_eq!(
        inst.traces_url().as_str(),
        "http://instana-agent:4318/v1/traces"
    );
    assert_eq!(inst.mode, InstanaMode::Agent);
    assert_eq!(config.sample_rate, 0.25);
    assert_eq!(config.destination_names(), vec!["langfuse", "instana"]);
}

#[test]
fn enabled_langfuse_without_keys_names_both_missing_variables() {
    let e = err(&[("OTEL_EXPORTER_LANGFUSE_ENABLED", "true")]);
    assert!(e.names("LANGFUSE_PUBLIC_KEY"), "{e}");
    assert!(e.names("LANGFUSE_SECRET_KEY"), "{e}");
    assert!(
        e.to_string()
            .contains("OTEL_EXPORTER_LANGFUSE_ENABLED=false"),
        "{e}"
    );
}

#[test]
fn langfuse_turns_on_when_its_keys_are_present_and_off_when_disabled() {
    let keys = [("LANGFUSE_PUBLIC_KEY", "pk"), ("LANGFUSE_SECRET_KEY", "sk")];
    assert!(from_vars(&keys).unwrap().langfuse.is_some());
    let mut off = keys.to_vec();
    off.push(("LANGFUSE_ENABLED", "false"));
    assert!(from_vars(&off).unwrap().langfuse.is_none());
}

#[test]
fn langfuse_host_alias_and_full_signal_urls_are_accepted() {
    let config = from_vars(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        (
            "LANGFUSE_HOST",
            "https://langfuse.corp.example/api/public/otel/v1/traces/",
        ),
    ])
    .unwrap();
    assert_eq!(
        config.langfuse.unwrap().traces_url().as_str(),
        "https://langfuse.corp.example/api/public/otel/v1/traces"
    );
}

#[test]
fn a_bad_url_names_the_variable_the_user_wrote() {
    let e = err(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("LANGFUSE_BASE_URL", "ftp://langfuse"),
    ]);
    assert!(e.names("LANGFUSE_BASE_URL"), "{e}");
    assert!(e.to_string().contains("scheme"), "{e}");
}

#[test]
fn sample_rate_outside_zero_to_one_is_rejected_with_the_range() {
    for bad in ["1.5", "-0.1", "NaN", "half"] {
        let e = err(&[("TELEMETRY_SAMPLE_RATE", bad)]);
        assert!(e.names("TELEMETRY_SAMPLE_RATE"), "{bad}: {e}");
    }
    let e = BridgeConfig::builder()
        .sample_rate(2.0)
        .build()
        .unwrap_err();
    assert!(e.names("TELEMETRY_SAMPLE_RATE"));
}

#[test]
fn unparseable_bools_and_durations_name_their_variables() {
    let e = err(&[
        ("OTEL_EXPORTER_INSTANA_ENABLED", "sometimes"),
        ("TELEMETRY_BREAKER_RECOVERY", "a while"),
        ("TELEMETRY_QUEUE_CAPACITY", "lots"),
    ]);
    assert!(e.names("OTEL_EXPORTER_INSTANA_ENABLED"), "{e}");
    assert!(e.names("TELEMETRY_BREAKER_RECOVERY"), "{e}");
    assert!(e.names("TELEMETRY_QUEUE_CAPACITY"), "{e}");
    assert_eq!(
        e.problems.len(),
        3,
        "every problem is reported at once: {e}"
    );
}

#[test]
fn unreadable_ca_bundle_fails_at_startup_naming_the_variable_and_file() {
    let e = err(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("LANGFUSE_SSL_CA_BUNDLE", "/nonexistent/corp-ca.pem"),
    ]);
    assert!(e.names("LANGFUSE_SSL_CA_BUNDLE"), "{e}");
    assert!(e.to_string().contains("/nonexistent/corp-ca.pem"), "{e}");
}

#[test]
fn a_file_without_certificates_is_not_a_ca_bundle() {
    let dir = std::env::temp_dir().join(format!("gtb-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("empty.pem");
    std::fs::write(&path, "not a certificate\n").unwrap();
    let e = err(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", path.to_str().unwrap()),
    ]);
    assert!(e.names("OTEL_EXPORTER_OTLP_CERTIFICATE"), "{e}");
    assert!(e.to_string().contains("no PEM certificate"), "{e}");
}

#[test]
fn a_generated_ca_certificate_loads_as_a_bundle() {
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = std::env::temp_dir().join(format!("gtb-ca-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ca.pem");
    std::fs::write(&path, ca.cert.pem()).unwrap();
    let config = from_vars(&[
        ("INSTANA_ENDPOINT", "https://otlp-blue-saas.instana.io:4318"),
        ("INSTANA_API_KEY", "k"),
        ("INSTANA_SSL_CA_BUNDLE", path.to_str().unwrap()),
    ])
    .unwrap();
    let bundle = config.instana.unwrap().tls.ca_bundle.unwrap();
    assert_eq!(bundle.certificates.len(), 1);
}

#[test]
fn agentless_instana_requires_a_key() {
    let e = err(&[("INSTANA_ENDPOINT", "https://otlp-blue-saas.instana.io:4318")]);
    assert!(e.names("INSTANA_API_KEY"), "{e}");
    let ok = from_vars(&[
        ("INSTANA_ENDPOINT", "https://otlp-blue-saas.instana.io:4318"),
        ("INSTANA_AGENT_KEY", "k"),
        ("INSTANA_HOST", "host-1"),
    ])
    .unwrap();
    let inst = ok.instana.unwrap();
    assert_eq!(inst.mode, InstanaMode::Agentless);
    assert_eq!(inst.host.as_deref(), Some("host-1"));
}

#[test]
fn ssl_verify_false_is_accepted_with_a_warning() {
    let config = from_vars(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("LANGFUSE_SSL_VERIFY", "false"),
    ])
    .unwrap();
    assert!(!config.langfuse.unwrap().tls.verify);
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("LANGFUSE_SSL_VERIFY"))
    );
}

#[test]
fn standard_otlp_variables_configure_the_generic_destination() {
    let config = from_vars(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=s3cr%3Dt,x-tenant=acme",
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "team=genai,service.namespace=shop",
        ),
    ])
    .unwrap();
    let otlp = config.otlp.as_ref().unwrap();
    assert_eq!(otlp.traces_url.as_str(), "http://collector:4318/v1/traces");
    assert_eq!(otlp.headers[0].0, "api-key");
    assert_eq!(otlp.headers[0].1.expose_secret(), "s3cr=t");
    assert!(!otlp.gzip);
    assert_eq!(otlp.timeout, Some(Duration::from_millis(2500)));
    assert_eq!(config.service.resource_attributes.len(), 2);
}

#[test]
fn grpc_protocol_is_refused_with_the_supported_one() {
    let e = err(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ]);
    assert!(e.names("OTEL_EXPORTER_OTLP_PROTOCOL"));
    assert!(e.to_string().contains("http/protobuf"));
}

#[test]
fn tuning_knobs_and_otel_bsp_aliases_are_read() {
    let config = from_vars(&[
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
        ("TELEMETRY_BATCH_MAX_SPANS", "128"),
        ("TELEMETRY_REPLAY_BUFFER_BYTES", "8MiB"),
        ("TELEMETRY_BREAKER_FAILURE_THRESHOLD", "3"),
        ("TELEMETRY_BREAKER_RECOVERY", "10s"),
        ("TELEMETRY_BREAKER_MAX_RECOVERY", "2m"),
        ("TELEMETRY_RETRY_INITIAL_BACKOFF", "50ms"),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ])
    .unwrap();
    let p = config.pipeline;
    assert_eq!(p.queue_capacity, 4096);
    assert_eq!(p.batch_max_spans, 128);
    assert_eq!(p.replay_buffer_bytes, 8 << 20);
    assert_eq!(p.breaker.failure_threshold, 3);
    assert_eq!(p.breaker.recovery_window, Duration::from_secs(10));
    assert_eq!(p.breaker.max_recovery_window, Duration::from_secs(120));
    assert_eq!(p.retry.initial_backoff, Duration::from_millis(50));
    assert_eq!(p.batch_timeout, Duration::from_millis(200));
}

#[test]
fn the_disk_spool_is_read_from_its_three_variables() {
    let config = from_vars(&[
        ("TELEMETRY_SPOOL_DIR", "/var/lib/app/spool"),
        ("TELEMETRY_SPOOL_MAX_BYTES", "2GiB"),
        ("TELEMETRY_SPOOL_FSYNC", "Always"),
    ])
    .unwrap();
    let spool = config.pipeline.spool.unwrap();
    assert_eq!(spool.dir, std::path::PathBuf::from("/var/lib/app/spool"));
    assert_eq!(spool.max_bytes, 2 << 30);
    assert_eq!(spool.fsync, crate::spool::FsyncPolicy::Always);

    let defaults = from_vars(&[("TELEMETRY_SPOOL_DIR", "/tmp/s")]).unwrap();
    let spool = defaults.pipeline.spool.unwrap();
    assert_eq!(
        (spool.max_bytes, spool.fsync),
        (
            crate::spool::DEFAULT_SPOOL_MAX_BYTES,
            crate::spool::FsyncPolicy::Periodic
        )
    );
    assert!(from_vars(&[]).unwrap().pipeline.spool.is_none());
}

#[test]
fn spool_mistakes_are_named() {
    let e = err(&[
        ("TELEMETRY_SPOOL_DIR", "/tmp/s"),
        ("TELEMETRY_SPOOL_FSYNC", "sometimes"),
        ("TELEMETRY_SPOOL_MAX_BYTES", "0"),
    ]);
    assert!(e.names("TELEMETRY_SPOOL_FSYNC"), "{e}");
    assert!(e.names("TELEMETRY_SPOOL_MAX_BYTES"), "{e}");
    assert!(e.to_string().contains("always, periodic or never"), "{e}");
    // Tuning a spool that is not on is a mistake, not a silent no-op.
    let e = err(&[("TELEMETRY_SPOOL_MAX_BYTES", "1GiB")]);
    assert!(e.names("TELEMETRY_SPOOL_MAX_BYTES"), "{e}");
    assert!(e.to_string().contains("without TELEMETRY_SPOOL_DIR"), "{e}");
}

#[test]
fn the_builder_turns_the_spool_on() {
    let config = BridgeConfig::builder()
        .spool_dir("/tmp/spool")
        .build()
        .unwrap();
    assert_eq!(
        config.pipeline.spool.map(|s| s.dir),
        Some(std::path::PathBuf::from("/tmp/spool"))
    );
}

#[test]
fn a_window_longer_than_the_default_cap_raises_the_cap_instead_of_failing() {
    let config = from_vars(&[
        ("TELEMETRY_BREAKER_RECOVERY", "10m"),
        ("TELEMETRY_RETRY_INITIAL_BACKOFF", "8s"),
    ])
    .expect("a longer window is valid");
    let p = &config.pipeline;
    assert_eq!(p.breaker.recovery_window, Duration::from_secs(600));
    assert_eq!(p.breaker.max_recovery_window, Duration::from_secs(600));
    assert_eq!(p.retry.initial_backoff, Duration::from_secs(8));
    assert_eq!(p.retry.max_backoff, Duration::from_secs(8));
}

#[test]
fn a_retry_cap_set_shorter_than_the_first_delay_is_rejected_by_name() {
    let e = err(&[
        ("TELEMETRY_RETRY_INITIAL_BACKOFF", "8s"),
        ("TELEMETRY_RETRY_MAX_BACKOFF", "1s"),
    ]);
    assert!(e.names("TELEMETRY_RETRY_MAX_BACKOFF"), "{e}");
}

#[test]
fn breaker_cap_shorter_than_window_is_rejected() {
    let e = err(&[
        ("TELEMETRY_BREAKER_RECOVERY", "1m"),
        ("TELEMETRY_BREAKER_MAX_RECOVERY", "30s"),
    ]);
    assert!(e.names("TELEMETRY_BREAKER_MAX_RECOVERY"), "{e}");
}

#[test]
fn secrets_never_appear_in_debug_or_serialized_output() {
    let config = from_vars(&[
        ("LANGFUSE_PUBLIC_KEY", "pk-lf-visible"),
        ("LANGFUSE_SECRET_KEY", "sk-lf-TOPSECRET"),
        ("INSTANA_ENDPOINT", "http://localhost:4318"),
        ("INSTANA_API_KEY", "INSTANA-TOPSECRET"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer OTLP-TOPSECRET",
        ),
    ])
    .unwrap();
    let debug = format!("{config:?}");
    let json = serde_json::to_string(&config).unwrap();
    for shown in [&debug, &json] {
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("pk-lf-visible"));
    }
    assert!(json.contains("<redacted>"));
}

#[test]
fn builder_does_what_the_environment_does() {
    let config = BridgeConfig::builder()
        .service_name("svc")
        .langfuse("pk", "sk")
        .langfuse_endpoint("http://127.0.0.1:3000")
        .instana("http://127.0.0.1:4318")
        .otlp_endpoint("http://127.0.0.1:4319")
        .otlp_header("x-api-key", "k")
        .tune(|p| p.queue_capacity = 10)
        .build()
        .unwrap();
    assert_eq!(
        config.destination_names(),
        vec!["langfuse", "instana", "otlp"]
    );
    assert_eq!(config.pipeline.queue_capacity, 10);
    let e = BridgeConfig::builder()
        .langfuse("", "sk")
        .tune(|p| p.queue_capacity = 0)
        .build()
        .unwrap_err();
    assert!(
        e.names("LANGFUSE_PUBLIC_KEY") && e.names("TELEMETRY_QUEUE_CAPACITY"),
        "{e}"
    );
}

#[test]
fn environment_values_can_be_overridden_by_the_builder() {
    let map: HashMap<&str, &str> =
        [("LANGFUSE_PUBLIC_KEY", "pk"), ("LANGFUSE_SECRET_KEY", "sk")].into();
    let config = BridgeConfigBuilder::from_lookup(|k| map.get(k).map(|v| (*v).to_owned()))
        .disable_langfuse()
        .build()
        .unwrap();
    assert!(config.langfuse.is_none());
}

#[test]
fn dotenv_file_is_read_and_process_variables_win() {
    let dir = std::env::temp_dir().join(format!("gtb-dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".env");
    std::fs::write(
        &path,
        "# comment\nGTB_TEST_ONLY_IN_FILE=1\nOTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://from-dotenv:4318/v1/traces\n",
    )
    .unwrap();
    let config = BridgeConfigBuilder::from_env_and_dotenv(Some(&path), true)
        .build()
        .unwrap();
    // The test process does not set this variable, so the file's value is used.
    if std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none() {
        assert_eq!(
            config.otlp.unwrap().traces_url.as_str(),
            "http://from-dotenv:4318/v1/traces"
        );
    }
}

#[test]
fn a_missing_explicit_dotenv_file_is_a_configuration_error() {
    let e = BridgeConfigBuilder::from_env_and_dotenv(
        Some(std::path::Path::new("/nonexistent/.env")),
        true,
    )
    .build()
    .unwrap_err();
    assert!(e.names("TELEMETRY_DOTENV_PATH"), "{e}");
}

#[test]
fn content_policies_default_to_full_for_langfuse_and_drop_for_instana() {
    let config = from_vars(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("INSTANA_ENDPOINT", "http://localhost:4318"),
    ])
    .unwrap();
    let lf = config.langfuse.unwrap().content;
    let inst = config.instana.unwrap();
    assert_eq!(lf.policy, crate::content::ContentPolicy::Full);
    assert_eq!(lf.max_attribute_length, 16 * 1024);
    assert_eq!(inst.content.policy, crate::content::ContentPolicy::Drop);
    assert_eq!(inst.content.max_attribute_length, 16 * 1024);
    assert!(inst.metrics.enabled);
    assert_eq!(inst.metrics.export_interval, Duration::from_secs(60));
    assert_eq!(
        inst.metrics_url().as_str(),
        "http://localhost:4318/v1/metrics"
    );
}

#[test]
fn content_policy_and_attribute_length_are_read_per_destination() {
    let config = from_vars(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("LANGFUSE_CONTENT_POLICY", "truncate"),
        ("LANGFUSE_MAX_ATTRIBUTE_LENGTH", "64KiB"),
        ("INSTANA_ENDPOINT", "http://localhost:4318"),
        ("INSTANA_CONTENT_POLICY", "HASH"),
        ("INSTANA_MAX_ATTRIBUTE_LENGTH", "4096"),
        ("INSTANA_METRICS_ENABLED", "false"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
    ])
    .unwrap();
    let lf = config.langfuse.unwrap().content;
    assert_eq!(lf.policy, crate::content::ContentPolicy::Truncate);
    assert_eq!(lf.max_attribute_length, 64 * 1024);
    let inst = config.instana.unwrap();
    assert_eq!(inst.content.policy, crate::content::ContentPolicy::Hash);
    assert_eq!(inst.content.max_attribute_length, 4096);
    assert!(!inst.metrics.enabled);
    assert_eq!(inst.metrics.export_interval, Duration::from_secs(15));
}

#[test]
fn an_unknown_content_policy_names_the_variable_and_the_choices() {
    let e = err(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("LANGFUSE_CONTENT_POLICY", "redact"),
        ("INSTANA_ENDPOINT", "http://localhost:4318"),
        ("INSTANA_CONTENT_POLICY", "sometimes"),
    ]);
    assert!(e.names("LANGFUSE_CONTENT_POLICY"), "{e}");
    assert!(e.names("INSTANA_CONTENT_POLICY"), "{e}");
    assert!(
        e.to_string().contains("full, truncate, hash or drop"),
        "{e}"
    );
}

#[test]
fn a_too_small_or_unreadable_attribute_length_names_its_variable() {
    let e = err(&[
        ("LANGFUSE_PUBLIC_KEY", "pk"),
        ("LANGFUSE_SECRET_KEY", "sk"),
        ("LANGFUSE_MAX_ATTRIBUTE_LENGTH", "10"),
        ("INSTANA_ENDPOINT", "http://localhost:4318"),
        ("INSTANA_MAX_ATTRIBUTE_LENGTH", "lots"),
        ("INSTANA_METRICS_EXPORT_INTERVAL", "a while"),
    ]);
    assert!(e.names("LANGFUSE_MAX_ATTRIBUTE_LENGTH"), "{e}");
    assert!(e.names("INSTANA_MAX_ATTRIBUTE_LENGTH"), "{e}");
    assert!(e.names("INSTANA_METRICS_EXPORT_INTERVAL"), "{e}");
}

#[test]
fn the_builder_sets_content_and_metrics_options() {
    let config = BridgeConfig::builder()
        .langfuse("pk", "sk")
        .langfuse_content_policy(crate::content::ContentPolicy::Drop)
        .langfuse_max_attribute_length(1024)
        .instana("http://127.0.0.1:4318")
        .instana_content_policy(crate::content::ContentPolicy::Truncate)
        .instana_metrics_interval(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(
        config.langfuse.unwrap().content,
        crate::content::ContentSettings::new(crate::content::ContentPolicy::Drop)
            .with_max_attribute_length(1024)
    );
    let inst = config.instana.unwrap();
    assert_eq!(inst.content.policy, crate::content::ContentPolicy::Truncate);
    assert_eq!(inst.metrics.export_interval, Duration::from_secs(5));
    let e = BridgeConfig::builder()
        .instana("http://127.0.0.1:4318")
        .instana_metrics_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(e.names("INSTANA_METRICS_EXPORT_INTERVAL"), "{e}");
}

#[test]
fn every_new_destination_variable_is_listed() {
    for var in [
        "LANGFUSE_CONTENT_POLICY",
        "LANGFUSE_MAX_ATTRIBUTE_LENGTH",
        "INSTANA_CONTENT_POLICY",
        "INSTANA_MAX_ATTRIBUTE_LENGTH",
        "INSTANA_METRICS_ENABLED",
        "INSTANA_METRICS_EXPORT_INTERVAL",
    ] {
        assert!(ENV_VARIABLES.iter().any(|(name, _)| *name == var), "{var}");
    }
}

#[test]
fn tail_sampling_is_off_by_default_and_reads_its_variables_when_on() {
    assert_eq!(from_vars(&[]).unwrap().pipeline.tail_sampling, None);
    let config = from_vars(&[
        ("TELEMETRY_TAIL_SAMPLING", "true"),
        ("TELEMETRY_SAMPLE_RATE", "0.25"),
        ("TELEMETRY_TAIL_KEEP_SLOWER_THAN", "12s"),
        ("TELEMETRY_TAIL_KEEP_COST_ABOVE", "$0.05"),
        ("TELEMETRY_TAIL_MAX_TRACES", "500"),
        ("TELEMETRY_TAIL_MAX_SPANS", "4_000"),
        ("TELEMETRY_TAIL_DECISION_WAIT", "45s"),
    ])
    .unwrap();
    assert_eq!(
        config.pipeline.tail_sampling,
        Some(TailSamplingSettings {
            sample_rate: 0.25,
            keep_slower_than: Some(Duration::from_secs(12)),
            keep_cost_above: Some(0.05),
            max_traces: 500,
            max_spans: 4_000,
            decision_wait: Duration::from_secs(45),
        })
    );
    let defaults = from_vars(&[("TELEMETRY_TAIL_SAMPLING", "on")]).unwrap();
    assert_eq!(
        defaults.pipeline.tail_sampling,
        Some(TailSamplingSettings::default()),
        "rate 1.0, slow above 30s, no cost rule, 10,000 traces, 20,000 spans, 60s"
    );
    let off = from_vars(&[
        ("TELEMETRY_TAIL_SAMPLING", "true"),
        ("TELEMETRY_TAIL_KEEP_SLOWER_THAN", "off"),
        ("TELEMETRY_TAIL_KEEP_COST_ABOVE", "none"),
    ])
    .unwrap();
    let tail = off.pipeline.tail_sampling.unwrap();
    assert_eq!((tail.keep_slower_than, tail.keep_cost_above), (None, None));
}

#[test]
fn bad_tail_sampling_values_name_their_variables() {
    let e = err(&[
        ("TELEMETRY_TAIL_SAMPLING", "maybe"),
        ("TELEMETRY_TAIL_KEEP_SLOWER_THAN", "slowish"),
        ("TELEMETRY_TAIL_KEEP_COST_ABOVE", "-1"),
        ("TELEMETRY_TAIL_MAX_TRACES", "0"),
        ("TELEMETRY_TAIL_MAX_SPANS", "many"),
        ("TELEMETRY_TAIL_DECISION_WAIT", "later"),
    ]);
    for var in [
        "TELEMETRY_TAIL_SAMPLING",
        "TELEMETRY_TAIL_KEEP_SLOWER_THAN",
        "TELEMETRY_TAIL_KEEP_COST_ABOVE",
        "TELEMETRY_TAIL_MAX_TRACES",
        "TELEMETRY_TAIL_MAX_SPANS",
        "TELEMETRY_TAIL_DECISION_WAIT",
    ] {
        assert!(e.names(var), "{var}: {e}");
    }
    assert_eq!(e.problems.len(), 6, "{e}");
    let e = err(&[
        ("TELEMETRY_TAIL_SAMPLING", "true"),
        ("TELEMETRY_TAIL_KEEP_SLOWER_THAN", "0s"),
        ("TELEMETRY_TAIL_KEEP_COST_ABOVE", "NaN"),
    ]);
    assert!(e.names("TELEMETRY_TAIL_KEEP_SLOWER_THAN"), "{e}");
    assert!(e.names("TELEMETRY_TAIL_KEEP_COST_ABOVE"), "{e}");
}

#[test]
fn tail_settings_without_tail_sampling_warn_that_they_do_nothing() {
    let config = from_vars(&[("TELEMETRY_TAIL_KEEP_COST_ABOVE", "0.1")]).unwrap();
    assert_eq!(config.pipeline.tail_sampling, None);
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("TELEMETRY_TAIL_SAMPLING=true")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn the_builder_configures_tail_sampling_like_the_environment() {
    let config = BridgeConfig::builder()
        .sample_rate(0.1)
        .tail_sampling(true)
        .tail_keep_slower_than(None)
        .tail_keep_cost_above(Some(0.2))
        .tail_max_traces(7)
        .tail_max_spans(70)
        .tail_decision_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(
        config.pipeline.tail_sampling,
        Some(TailSamplingSettings {
            sample_rate: 0.1,
            keep_slower_than: None,
            keep_cost_above: Some(0.2),
            max_traces: 7,
            max_spans: 70,
            decision_wait: Duration::from_millis(300),
        })
    );
    let e = BridgeConfig::builder()
        .tail_sampling(true)
        .tail_keep_cost_above(Some(f64::INFINITY))
        .tail_max_spans(0)
        .tail_decision_wait(Duration::ZERO)
        .build()
        .unwrap_err();
    for var in [
        "TELEMETRY_TAIL_KEEP_COST_ABOVE",
        "TELEMETRY_TAIL_MAX_SPANS",
        "TELEMETRY_TAIL_DECISION_WAIT",
    ] {
        assert!(e.names(var), "{var}: {e}");
    }
    // The environment turns it on, the builder off.
    let map: HashMap<&str, &str> = [("TELEMETRY_TAIL_SAMPLING", "true")].into();
    let config = BridgeConfigBuilder::from_lookup(|k| map.get(k).map(|v| (*v).to_owned()))
        .tail_sampling(false)
        .build()
        .unwrap();
    assert_eq!(config.pipeline.tail_sampling, None);
}

#[test]
fn every_tail_sampling_variable_is_listed() {
    for var in [
        "TELEMETRY_TAIL_SAMPLING",
        "TELEMETRY_TAIL_KEEP_SLOWER_THAN",
        "TELEMETRY_TAIL_KEEP_COST_ABOVE",
        "TELEMETRY_TAIL_MAX_TRACES",
        "TELEMETRY_TAIL_MAX_SPANS",
        "TELEMETRY_TAIL_DECISION_WAIT",
    ] {
        assert!(ENV_VARIABLES.iter().any(|(name, _)| *name == var), "{var}");
    }
}
