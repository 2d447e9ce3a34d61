//! Reading the configuration from environment variables and an optional `.env` file.
//! Process variables win over `.env`; empty values count as unset.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::parse::{self, Invalid};
use super::{BridgeConfigBuilder, Sourced};

/// Every variable the bridge reads, with its meaning (the configuration reference in
/// `docs/configuration.md` is written from the same list).
pub const ENV_VARIABLES: &[(&str, &str)] = &[
    (
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "record prompts and completions on LLM spans (default false)",
    ),
    (
        "GENAI_PRICING_FILE",
        "JSON prices overriding and extending the bundled table",
    ),
    (
        "TELEMETRY_DIAGNOSTICS_TOKEN",
        "bearer token for the diagnostics router's content and mutating endpoints",
    ),
    (
        "TELEMETRY_DIAGNOSTICS_PROBE_INTERVAL",
        "how often the diagnostics health check probes each destination (default 30s)",
    ),
    ("OTEL_SERVICE_NAME", "service.name"),
    ("OTEL_SERVICE_VERSION", "service.version"),
    (
        "DEPLOYMENT_ENVIRONMENT",
        "deployment.environment.name (alias OTEL_DEPLOYMENT_ENVIRONMENT)",
    ),
    (
        "OTEL_RESOURCE_ATTRIBUTES",
        "extra resource attributes, key=value,...",
    ),
    (
        "TELEMETRY_SAMPLE_RATE",
        "sampling ratio in [0, 1], parent-based; applied at the tail when TELEMETRY_TAIL_SAMPLING=true",
    ),
    (
        "TELEMETRY_TAIL_SAMPLING",
        "tail sampling on/off (default false): keep error, slow and costly traces, sample the rest at TELEMETRY_SAMPLE_RATE",
    ),
    (
        "TELEMETRY_TAIL_KEEP_SLOWER_THAN",
        "tail sampling keeps traces whose local root lasted longer (default 30s; off)",
    ),
    (
        "TELEMETRY_TAIL_KEEP_COST_ABOVE",
        "tail sampling keeps traces whose gen_ai.usage.cost sum exceeds this many USD (default off)",
    ),
    (
        "TELEMETRY_TAIL_MAX_TRACES",
        "traces waiting for a tail decision at most (default 10000)",
    ),
    (
        "TELEMETRY_TAIL_MAX_SPANS",
        "spans buffered for tail decisions at most (default 20000)",
    ),
    (
        "TELEMETRY_TAIL_DECISION_WAIT",
        "longest a trace waits for its local root before it is decided (default 60s)",
    ),
    (
        "TELEMETRY_DOTENV_PATH",
        ".env file to read (default ./.env when present)",
    ),
    (
        "OTEL_EXPORTER_LANGFUSE_ENABLED",
        "Langfuse on/off (alias LANGFUSE_ENABLED)",
    ),
    (
        "LANGFUSE_ENDPOINT",
        "Langfuse base URL (aliases LANGFUSE_HOST, LANGFUSE_BASE_URL)",
    ),
    ("LANGFUSE_PUBLIC_KEY", "Langfuse project public key"),
    ("LANGFUSE_SECRET_KEY", "Langfuse project secret key"),
    ("LANGFUSE_SSL_VERIFY", "verify Langfuse's TLS certificate"),
    (
        "LANGFUSE_SSL_CA_BUNDLE",
        "extra CA certificates (PEM) for Langfuse",
    ),
    (
        "LANGFUSE_CONTENT_POLICY",
        "prompt/completion content sent to Langfuse: full (default), truncate, hash or drop",
    ),
    (
        "LANGFUSE_MAX_ATTRIBUTE_LENGTH",
        "bound on every string attribute sent to Langfuse (default 16KiB)",
    ),
    (
        "OTEL_EXPORTER_INSTANA_ENABLED",
        "Instana on/off (alias INSTANA_ENABLED)",
    ),
    (
        "INSTANA_ENDPOINT",
        "Instana agent or OTLP acceptor base URL",
    ),
    (
        "INSTANA_API_KEY",
        "Instana agent key, x-instana-key (alias INSTANA_AGENT_KEY)",
    ),
    ("INSTANA_HOST", "host id sent as x-instana-host"),
    ("INSTANA_SSL_VERIFY", "verify Instana's TLS certificate"),
    (
        "INSTANA_SSL_CA_BUNDLE",
        "extra CA certificates (PEM) for Instana",
    ),
    (
        "INSTANA_CONTENT_POLICY",
        "prompt/completion content sent to Instana: drop (default), hash, truncate or full",
    ),
    (
        "INSTANA_MAX_ATTRIBUTE_LENGTH",
        "bound on every string attribute sent to Instana (default 16KiB)",
    ),
    (
        "INSTANA_METRICS_ENABLED",
        "export GenAI metrics to Instana's /v1/metrics (default true)",
    ),
    (
        "INSTANA_METRICS_EXPORT_INTERVAL",
        "time between GenAI metrics exports (default 60s; alias OTEL_METRIC_EXPORT_INTERVAL)",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "generic OTLP/HTTP base URL (/v1/traces appended)",
    ),
    (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "generic OTLP traces URL, used verbatim",
    ),
    (
        "OTEL_EXPORTER_OTLP_HEADERS",
        "headers for the generic OTLP destination (alias ..._TRACES_HEADERS)",
    ),
    (
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "must be http/protobuf when set (alias ..._TRACES_PROTOCOL)",
    ),
    (
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "gzip or none (alias ..._TRACES_COMPRESSION)",
    ),
    (
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "per-request timeout, ms (alias ..._TRACES_TIMEOUT)",
    ),
    (
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "extra CA certificates (PEM) (alias ..._TRACES_CERTIFICATE)",
    ),
    (
        "OTEL_EXPORTER_OTLP_INSECURE",
        "true turns TLS verification off for the generic OTLP destination",
    ),
    (
        "TELEMETRY_QUEUE_CAPACITY",
        "spans queued per destination (alias OTEL_BSP_MAX_QUEUE_SIZE)",
    ),
    (
        "TELEMETRY_BATCH_MAX_SPANS",
        "spans per batch (alias OTEL_BSP_MAX_EXPORT_BATCH_SIZE)",
    ),
    ("TELEMETRY_BATCH_MAX_BYTES", "estimated bytes per batch"),
    (
        "TELEMETRY_BATCH_TIMEOUT",
        "longest wait of a partial batch (alias OTEL_BSP_SCHEDULE_DELAY)",
    ),
    (
        "TELEMETRY_REPLAY_BUFFER_BYTES",
        "encoded bytes held per destination for replay",
    ),
    (
        "TELEMETRY_EXPORT_TIMEOUT",
        "timeout of one export request (alias OTEL_BSP_EXPORT_TIMEOUT)",
    ),
    (
        "TELEMETRY_SHUTDOWN_TIMEOUT",
        "default flush time at shutdown",
    ),
    (
        "TELEMETRY_EXPORT_THREADS",
        "worker threads of the export runtime",
    ),
    (
        "TELEMETRY_RECENT_TRACES",
        "recent traces kept for diagnostics (0 = off)",
    ),
    (
        "TELEMETRY_SPOOL_DIR",
        "disk spool directory for batches a destination cannot deliver now (off when unset)",
    ),
    (
        "TELEMETRY_SPOOL_MAX_BYTES",
        "bound of the disk spool, shared by the destinations",
    ),
    (
        "TELEMETRY_SPOOL_FSYNC",
        "when spooled records are forced to disk: always, periodic or never",
    ),
    (
        "TELEMETRY_BREAKER_FAILURE_THRESHOLD",
        "consecutive failed exports that open the breaker",
    ),
    (
        "TELEMETRY_BREAKER_RECOVERY",
        "how long an open breaker waits before probing",
    ),
    (
        "TELEMETRY_BREAKER_MAX_RECOVERY",
        "cap of the doubled recovery window",
    ),
    ("TELEMETRY_RETRY_INITIAL_BACKOFF", "first retry delay"),
    ("TELEMETRY_RETRY_MAX_BACKOFF", "cap of the retry delay"),
];

/// Looks variables up and collects problems while reading them.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<crate::error::ConfigProblem>,
}

impl Reader<'_> {
    /// The first of `names` that is set and non-empty, with the name it came from.
    fn raw(&self, names: &[&'static str]) -> Option<(String, &'static str)> {
        names.iter().find_map(|name| {
            (self.lookup)(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (v, *name))
        })
    }

    fn string(&self, names: &[&'static str]) -> Option<String> {
        self.raw(names).map(|(v, _)| v.trim().to_owned())
    }

    fn sourced(&self, names: &[&'static str]) -> Option<Sourced<String>> {
        self.raw(names)
            .map(|(v, var)| Sourced::new(v.trim().to_owned(), var))
    }

    fn parsed<T>(
        &mut self,
        names: &[&'static str],
        parser: impl Fn(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let (raw, var) = self.raw(names)?;
        match parser(&raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problems.push(crate::error::ConfigProblem {
                    variable: var.to_owned(),
                    problem: e.problem,
                    fix: e.fix,
                });
                None
            }
        }
    }

    fn bool(&mut self, names: &[&'static str]) -> Option<Sourced<bool>> {
        let (_, var) = self.raw(names)?;
        self.parsed(names, parse::parse_bool)
            .map(|v| Sourced::new(v, var))
    }
}

impl BridgeConfigBuilder {
    /// Reads the process environment plus a `.env` file: the one `TELEMETRY_DOTENV_PATH`
    /// names, else `./.env` when it exists. Process variables win over the file.
    pub fn from_env() -> Self {
        let explicit = std::env::var_os("TELEMETRY_DOTENV_PATH").map(PathBuf::from);
        let path = explicit.clone().or_else(|| {
            let default = PathBuf::from(".env");
            default.is_file().then_some(default)
        });
        Self::from_env_and_dotenv(path.as_deref(), explicit.is_some())
    }

    /// Reads the process environment plus the given `.env` file (process variables win).
    pub fn from_env_and_dotenv(dotenv: Option<&Path>, must_exist: bool) -> Self {
        let mut file_vars = HashMap::new();
        let mut file_problem = None;
        if let Some(path) = dotenv {
            match read_dotenv(path) {
                Ok(vars) => file_vars = vars,
                Err(problem) if must_exist || path.exists() => file_problem = Some(problem),
                Err(_) => {}
            }
        }
        let lookup = |name: &str| {
            std::env::var(name)
                .ok()
                .or_else(|| file_vars.get(name).cloned())
        };
        let mut builder = Self::from_lookup(lookup);
        if let Some(problem) = file_problem {
            builder.problems.push(problem);
        }
        builder
    }

    /// Reads the configuration from any lookup function (a map in tests, a secret store).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut r = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };
        let mut b = BridgeConfigBuilder {
            service_name: r.string(&["OTEL_SERVICE_NAME"]),
            service_version: r.string(&["OTEL_SERVICE_VERSION"]),
            environment: r.string(&["DEPLOYMENT_ENVIRONMENT", "OTEL_DEPLOYMENT_ENVIRONMENT"]),
            resource_attributes: r
                .parsed(&["OTEL_RESOURCE_ATTRIBUTES"], parse::parse_key_values)
                .unwrap_or_default(),
            sample_rate: r.parsed(&["TELEMETRY_SAMPLE_RATE"], parse::parse_sample_rate),
            ..Default::default()
        };

        // Langfuse
        b.langfuse.enabled = r.bool(&["OTEL_EXPORTER_LANGFUSE_ENABLED", "LANGFUSE_ENABLED"]);
        b.langfuse.endpoint =
            r.sourced(&["LANGFUSE_ENDPOINT", "LANGFUSE_HOST", "LANGFUSE_BASE_URL"]);
        b.langfuse.public_key = r.string(&["LANGFUSE_PUBLIC_KEY"]);
        b.langfuse.secret_key = r.string(&["LANGFUSE_SECRET_KEY"]).map(SecretString::from);
        b.langfuse.tls.verify = r.bool(&["LANGFUSE_SSL_VERIFY"]).map(|s| s.value);
        b.langfuse.tls.ca_bundle = r.string(&["LANGFUSE_SSL_CA_BUNDLE"]).map(PathBuf::from);
        b.langfuse.content_policy =
            r.parsed(&["LANGFUSE_CONTENT_POLICY"], parse::parse_content_policy);
        b.langfuse.max_attribute_length =
            r.parsed(&["LANGFUSE_MAX_ATTRIBUTE_LENGTH"], parse::parse_bytes);

        // Instana
        b.instana.enabled = r.bool(&["OTEL_EXPORTER_INSTANA_ENABLED", "INSTANA_ENABLED"]);
        b.instana.endpoint = r.sourced(&["INSTANA_ENDPOINT"]);
        b.instana.api_key = r
            .sourced(&["INSTANA_API_KEY", "INSTANA_AGENT_KEY"])
            .map(|s| Sourced::new(SecretString::from(s.value), s.variable));
        b.instana.host = r.string(&["INSTANA_HOST"]);
        b.instana.tls.verify = r.bool(&["INSTANA_SSL_VERIFY"]).map(|s| s.value);
        b.instana.tls.ca_bundle = r.string(&["INSTANA_SSL_CA_BUNDLE"]).map(PathBuf::from);
        b.instana.content_policy =
            r.parsed(&["INSTANA_CONTENT_POLICY"], parse::parse_content_policy);
        b.instana.max_attribute_length =
            r.parsed(&["INSTANA_MAX_ATTRIBUTE_LENGTH"], parse::parse_bytes);
        b.instana.metrics_enabled = r.bool(&["INSTANA_METRICS_ENABLED"]).map(|s| s.value);
        b.instana.metrics_interval = r.parsed(
            &[
                "INSTANA_METRICS_EXPORT_INTERVAL",
                "OTEL_METRIC_EXPORT_INTERVAL",
            ],
            parse::parse_duration,
        );

        // Generic OTLP
        b.otlp.endpoint = r.sourced(&["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        b.otlp.traces_endpoint = r.sourced(&["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
        b.otlp.headers = r
            .parsed(
                &[
                    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                    "OTEL_EXPORTER_OTLP_HEADERS",
                ],
                parse::parse_key_values,
            )
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, SecretString::from(v)))
            .collect();
        b.otlp.gzip = r.parsed(
            &[
                "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                "OTEL_EXPORTER_OTLP_COMPRESSION",
            ],
            |raw| match raw.trim().to_ascii_lowercase().as_str() {
                "gzip" => Ok(true),
                "none" => Ok(false),
                _ => Err(Invalid {
                    problem: format!("{raw:?} is not supported"),
                    fix: "use gzip or none".to_owned(),
                }),
            },
        );
        r.parsed(
            &[
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ],
            |raw| match raw.trim() {
                "http/protobuf" => Ok(()),
                other => Err(Invalid {
                    problem: format!("protocol {other:?} is not supported by this exporter"),
                    fix: "use http/protobuf (OTLP over HTTP with protobuf bodies)".to_owned(),
                }),
            },
        );
        b.otlp.timeout = r.parsed(
            &[
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                "OTEL_EXPORTER_OTLP_TIMEOUT",
            ],
            parse::parse_duration,
        );
        if let Some((path, var)) = r.raw(&[
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ]) {
            b.otlp.tls.ca_bundle = Some(PathBuf::from(path.trim()));
            b.otlp.tls_variable = Some(var);
        }
        b.otlp.tls.verify = r
            .bool(&[
                "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
                "OTEL_EXPORTER_OTLP_INSECURE",
            ])
            .map(|s| !s.value);

        // Pipeline tuning
        let p = &mut b.pipeline;
        if let Some(v) = r.parsed(
            &["TELEMETRY_QUEUE_CAPACITY", "OTEL_BSP_MAX_QUEUE_SIZE"],
            parse::parse_count,
        ) {
            p.queue_capacity = v;
        }
        if let Some(v) = r.parsed(
            &[
                "TELEMETRY_BATCH_MAX_SPANS",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            ],
            parse::parse_count,
        ) {
            p.batch_max_spans = v;
        }
        if let Some(v) = r.parsed(&["TELEMETRY_BATCH_MAX_BYTES"], parse::parse_bytes) {
            p.batch_max_bytes = v;
        }
        if let Some(v) = r.parsed(
            &["TELEMETRY_BATCH_TIMEOUT", "OTEL_BSP_SCHEDULE_DELAY"],
            parse::parse_duration,
        ) {
            p.batch_timeout = v;
        }
        if let Some(v) = r.parsed(&["TELEMETRY_REPLAY_BUFFER_BYTES"], parse::parse_bytes) {
            p.replay_buffer_bytes = v;
        }
        if let Some(v) = r.parsed(
            &["TELEMETRY_EXPORT_TIMEOUT", "OTEL_BSP_EXPORT_TIMEOUT"],
            parse::parse_duration,
        ) {
            p.export_timeout = v;
        }
        if let Some(v) = r.parsed(&["TELEMETRY_SHUTDOWN_TIMEOUT"], parse::parse_duration) {
            p.shutdown_timeout = v;
        }
        if let Some(v) = r.parsed(&["TELEMETRY_EXPORT_THREADS"], parse::parse_count) {
            p.export_threads = v;
        }
        if let Some((raw, var)) = r.raw(&["TELEMETRY_RECENT_TRACES"]) {
            match raw.trim().replace('_', "").parse::<usize>() {
                Ok(n) => p.recent_traces = n,
                Err(_) => r.problems.push(crate::error::ConfigProblem {
                    variable: var.to_owned(),
                    problem: format!("{raw:?} is not a whole number"),
                    fix: "use a whole number such as 1000, or 0 to keep no recent traces"
                        .to_owned(),
                }),
            }
        }
        if let Some(dir) = r.string(&["TELEMETRY_SPOOL_DIR"]) {
            p.spool = Some(crate::spool::SpoolSettings::new(dir));
        }
        let spool_max = r.parsed(&["TELEMETRY_SPOOL_MAX_BYTES"], parse::parse_bytes);
        let spool_fsync = r.parsed(&["TELEMETRY_SPOOL_FSYNC"], |raw| {
            crate::spool::FsyncPolicy::parse(raw).ok_or_else(|| Invalid {
                problem: format!("{raw:?} is not a fsync policy"),
                fix: "use always, periodic or never".to_owned(),
            })
        });
        match p.spool.as_mut() {
            Some(spool) => {
                if let Some(max) = spool_max {
                    spool.max_bytes = max as u64;
                }
                if let Some(fsync) = spool_fsync {
                    spool.fsync = fsync;
                }
            }
            None => {
                for (set, var) in [
                    (spool_max.is_some(), "TELEMETRY_SPOOL_MAX_BYTES"),
                    (spool_fsync.is_some(), "TELEMETRY_SPOOL_FSYNC"),
                ] {
                    if set {
                        r.problems.push(crate::error::ConfigProblem {
                            variable: var.to_owned(),
                            problem: "has no effect without TELEMETRY_SPOOL_DIR".to_owned(),
                            fix: "set TELEMETRY_SPOOL_DIR to turn the disk spool on, or remove it"
                                .to_owned(),
                        });
                    }
                }
            }
        }
        if let Some(v) = r.parsed(&["TELEMETRY_BREAKER_FAILURE_THRESHOLD"], parse::parse_count) {
            p.breaker.failure_threshold = u32::try_from(v).unwrap_or(u32::MAX);
        }
        // A window or first delay set longer than the default cap raises that cap with it
        // (the user asked for the longer wait, not for an error about a variable they never
        // set); a cap that is set explicitly is checked against it in `build`.
        if let Some(v) = r.parsed(&["TELEMETRY_BREAKER_RECOVERY"], parse::parse_duration) {
            p.breaker.recovery_window = v;
        }
        match r.parsed(&["TELEMETRY_BREAKER_MAX_RECOVERY"], parse::parse_duration) {
            Some(v) => p.breaker.max_recovery_window = v,
            None => {
                p.breaker.max_recovery_window =
                    p.breaker.max_recovery_window.max(p.breaker.recovery_window);
            }
        }
        if let Some(v) = r.parsed(&["TELEMETRY_RETRY_INITIAL_BACKOFF"], parse::parse_duration) {
            p.retry.initial_backoff = v;
        }
        match r.parsed(&["TELEMETRY_RETRY_MAX_BACKOFF"], parse::parse_duration) {
            Some(v) => p.retry.max_backoff = v,
            None => p.retry.max_backoff = p.retry.max_backoff.max(p.retry.initial_backoff),
        }

        // Tail sampling
        b.tail.enabled = r.bool(&["TELEMETRY_TAIL_SAMPLING"]).map(|s| s.value);
        b.tail.keep_slower_than = r.parsed(
            &["TELEMETRY_TAIL_KEEP_SLOWER_THAN"],
            parse::parse_optional_duration,
        );
        b.tail.keep_cost_above = r.parsed(
            &["TELEMETRY_TAIL_KEEP_COST_ABOVE"],
            parse::parse_cost_threshold,
        );
        b.tail.max_traces = r.parsed(&["TELEMETRY_TAIL_MAX_TRACES"], parse::parse_count);
        b.tail.max_spans = r.parsed(&["TELEMETRY_TAIL_MAX_SPANS"], parse::parse_count);
        b.tail.decision_wait = r.parsed(&["TELEMETRY_TAIL_DECISION_WAIT"], parse::parse_duration);

        b.problems = r.problems;
        b
    }
}

fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, crate::error::ConfigProblem> {
    let problem = |what: String| crate::error::ConfigProblem {
        variable: "TELEMETRY_DOTENV_PATH".to_owned(),
        problem: what,
        fix: "fix the file (KEY=value per line) or point TELEMETRY_DOTENV_PATH elsewhere"
            .to_owned(),
    };
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| problem(format!("cannot read {}: {e}", path.display())))?;
    let mut vars = HashMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| problem(format!("{}: {e}", path.display())))?;
        vars.insert(k, v);
    }
    Ok(vars)
}
