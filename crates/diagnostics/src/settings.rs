//! What the diagnostics router needs beyond the bridge's own configuration: the bearer
//! token, whether prompts are captured, and how often reachability is probed.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use genai_telemetry_core::{ConfigError, ConfigProblem};
use secrecy::{ExposeSecret, SecretString};

/// Bearer token for content-bearing and mutating endpoints.
pub const TOKEN_VARIABLE: &str = "TELEMETRY_DIAGNOSTICS_TOKEN";
/// Content capture switch of the GenAI instrumentation (semantic conventions' variable).
pub const CAPTURE_CONTENT_VARIABLE: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
/// Smallest time between two reachability probes of the same destination.
pub const PROBE_INTERVAL_VARIABLE: &str = "TELEMETRY_DIAGNOSTICS_PROBE_INTERVAL";
/// Default [`DiagnosticsSettings::probe_interval`].
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(30);
/// Tokens shorter than this are refused: a diagnostics token guards prompts.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// Every variable this crate reads, with its meaning.
pub const ENV_VARIABLES: &[(&str, &str)] = &[
    (
        TOKEN_VARIABLE,
        "bearer token for the diagnostics router's content-bearing and mutating endpoints",
    ),
    (
        CAPTURE_CONTENT_VARIABLE,
        "true when prompts and completions are captured on spans; diagnostics then require the token for traces",
    ),
    (
        PROBE_INTERVAL_VARIABLE,
        "smallest time between two reachability probes per destination (default 30s)",
    ),
];

/// Settings of the diagnostics router.
#[derive(Clone)]
pub struct DiagnosticsSettings {
    /// Bearer token (`TELEMETRY_DIAGNOSTICS_TOKEN`). Without it, mutating endpoints are
    /// refused, and so are content-bearing endpoints while content capture is on.
    pub token: Option<SecretString>,
    /// Whether prompts and completions are captured on spans
    /// (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
    pub content_capture: bool,
    /// Smallest time between two reachability probes of a destination
    /// (`TELEMETRY_DIAGNOSTICS_PROBE_INTERVAL`, default 30 s).
    pub probe_interval: Duration,
}

impl Default for DiagnosticsSettings {
    /// No token, content capture off, probes at most every 30 s.
    fn default() -> Self {
        Self {
            token: None,
            content_capture: false,
            probe_interval: DEFAULT_PROBE_INTERVAL,
        }
    }
}

impl fmt::Debug for DiagnosticsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiagnosticsSettings")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("content_capture", &self.content_capture)
            .field("probe_interval", &self.probe_interval)
            .finish()
    }
}

impl DiagnosticsSettings {
    /// Reads the process environment plus the same `.env` file the bridge reads (the one
    /// `TELEMETRY_DOTENV_PATH` names, else `./.env` when present); process variables win.
    pub fn from_env() -> Result<Self, ConfigError> {
        let path = std::env::var_os("TELEMETRY_DOTENV_PATH")
            .map(PathBuf::from)
            .or_else(|| {
                let default = PathBuf::from(".env");
                default.is_file().then_some(default)
            });
        // The bridge's own configuration reports an unreadable `.env`; here a missing or
        // broken file simply contributes nothing.
        let file: HashMap<String, String> = path
            .and_then(|p| dotenvy::from_path_iter(p).ok())
            .map(|iter| iter.filter_map(Result::ok).collect())
            .unwrap_or_default();
        Self::from_lookup(|name| std::env::var(name).ok().or_else(|| file.get(name).cloned()))
    }

    /// Reads the settings from any lookup function (a map in tests, a secret store).
    /// Empty values count as unset. Every problem is reported, each naming its variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut problems = Vec::new();
        let mut settings = Self::default();

        if let Some(token) = get(TOKEN_VARIABLE) {
            let token = token.trim().to_owned();
            if token.len() < MIN_TOKEN_LENGTH {
                problems.push(ConfigProblem {
                    variable: TOKEN_VARIABLE.to_owned(),
                    problem: format!(
                        "is {} characters long; a token guarding prompts needs at least {MIN_TOKEN_LENGTH}",
                        token.len()
                    ),
                    fix: "generate one, e.g. `openssl rand -hex 32`".to_owned(),
                });
            } else {
                settings.token = Some(SecretString::from(token));
            }
        }
        if let Some(raw) = get(CAPTURE_CONTENT_VARIABLE) {
            match parse_bool(&raw) {
                Some(on) => settings.content_capture = on,
                None => problems.push(ConfigProblem {
                    variable: CAPTURE_CONTENT_VARIABLE.to_owned(),
                    problem: format!("{raw:?} is not a boolean"),
                    fix: "use true or false (1/0, yes/no and on/off are accepted too)".to_owned(),
                }),
            }
        }
        if let Some(raw) = get(PROBE_INTERVAL_VARIABLE) {
            match parse_duration(&raw) {
                Some(d) if !d.is_zero() => settings.probe_interval = d,
                Some(_) => problems.push(ConfigProblem {
                    variable: PROBE_INTERVAL_VARIABLE.to_owned(),
                    problem: "must be longer than zero".to_owned(),
                    fix: "use a duration such as 10s or 1m".to_owned(),
                }),
                None => problems.push(ConfigProblem {
                    variable: PROBE_INTERVAL_VARIABLE.to_owned(),
                    problem: format!("{raw:?} is not a duration"),
                    fix: "use a duration such as 10s or 1m (a bare number means milliseconds)"
                        .to_owned(),
                }),
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Sets the token (builder style, for settings made in code).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Sets whether content capture is on (builder style).
    pub fn with_content_capture(mut self, on: bool) -> Self {
        self.content_capture = on;
        self
    }

    /// Sets the probe interval (builder style).
    pub fn with_probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval;
        self
    }

    /// True when a token is configured.
    pub fn has_token(&self) -> bool {
        self.token
            .as_ref()
            .is_some_and(|t| !t.expose_secret().is_empty())
    }
}

/// The booleans the bridge's configuration accepts.
fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `30s`, `1m`, or a bare number of milliseconds, as the bridge's configuration reads them.
fn parse_duration(raw: &str) -> Option<Duration> {
    let trimmed = raw.trim();
    if let Ok(ms) = trimmed.parse::<u64>() {
        return Some(Duration::from_millis(ms));
    }
    humantime::parse_duration(trimmed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<DiagnosticsSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        DiagnosticsSettings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_means_no_token_no_capture_and_a_thirty_second_probe() {
        let s = from(&[]).expect("valid");
        assert!(!s.has_token());
        assert!(!s.content_capture);
        assert_eq!(s.probe_interval, DEFAULT_PROBE_INTERVAL);
    }

    #[test]
    fn every_variable_is_read() {
        let s = from(&[
            (TOKEN_VARIABLE, "0123456789abcdef0123"),
            (CAPTURE_CONTENT_VARIABLE, "TRUE"),
            (PROBE_INTERVAL_VARIABLE, "5s"),
        ])
        .expect("valid");
        assert!(s.has_token());
        assert!(s.content_capture);
        assert_eq!(s.probe_interval, Duration::from_secs(5));
    }

    #[test]
    fn a_bad_capture_value_is_an_error_naming_the_variable() {
        let e = from(&[(CAPTURE_CONTENT_VARIABLE, "sometimes")]).expect_err("invalid");
        assert!(e.names(CAPTURE_CONTENT_VARIABLE));
        assert!(e.to_string().contains("sometimes"));
    }

    #[test]
    fn a_short_token_and_a_bad_interval_are_both_reported() {
        let e = from(&[(TOKEN_VARIABLE, "short"), (PROBE_INTERVAL_VARIABLE, "soon")])
            .expect_err("invalid");
        assert!(e.names(TOKEN_VARIABLE));
        assert!(e.names(PROBE_INTERVAL_VARIABLE));
        assert!(
            !e.to_string().contains("short\""),
            "the token is never echoed"
        );
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let s = DiagnosticsSettings::default().with_token("super-secret-token-value");
        assert!(!format!("{s:?}").contains("super-secret"));
    }
}
