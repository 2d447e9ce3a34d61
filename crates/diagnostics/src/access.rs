//! Who may read what: the bearer-token rules for content-bearing and mutating endpoints,
//! and the JSON error every refusal (or bad request) answers with.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::settings::{CAPTURE_CONTENT_VARIABLE, DiagnosticsSettings, TOKEN_VARIABLE};

/// An error answer: status, what went wrong and what to do, as JSON.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    challenge: bool,
}

#[derive(Debug, Clone, Serialize)]
struct ErrorBody {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: error.into(),
                fix: None,
            },
            challenge: false,
        }
    }

    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.body.fix = Some(fix.into());
        self
    }

    fn with_challenge(mut self) -> Self {
        self.challenge = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"genai-telemetry diagnostics\""),
            );
        }
        response
    }
}

/// What an endpoint exposes, which decides whether it needs the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// Span attributes, which hold prompts and completions when content capture is on.
    Content,
    /// Changes the bridge's state (breaker reset, flush).
    Mutating,
}

/// The outcome of a successful check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The request carried the right token.
    Authorized,
    /// No token needed here and none (valid) given: content attributes that turn up
    /// anyway (capture switched on in code, not in the environment) are redacted.
    Anonymous,
}

/// Applies the token rules of `guard` to a request's headers.
pub(crate) fn check(
    settings: &DiagnosticsSettings,
    headers: &HeaderMap,
    guard: Guard,
    what: &str,
) -> Result<Access, ApiError> {
    let presented = bearer(headers);
    let required = match guard {
        Guard::Mutating => true,
        Guard::Content => settings.content_capture,
    };
    let Some(expected) = settings.token.as_ref().filter(|_| settings.has_token()) else {
        if !required {
            return Ok(Access::Anonymous);
        }
        let error = match guard {
            Guard::Mutating => format!(
                "{what} changes the bridge's state and is disabled because {TOKEN_VARIABLE} is not set"
            ),
            Guard::Content => format!(
                "{what} shows span attributes, which include prompts and completions because \
                 {CAPTURE_CONTENT_VARIABLE} is on; it is disabled because {TOKEN_VARIABLE} is not set"
            ),
        };
        return Err(
            ApiError::new(StatusCode::FORBIDDEN, error).with_fix(format!(
                "set {TOKEN_VARIABLE} to a random secret of at least 16 characters \
             (e.g. `openssl rand -hex 32`), restart, and send `Authorization: Bearer <token>`"
            )),
        );
    };
    match presented {
        Some(given) if tokens_match(expected.expose_secret(), given) => Ok(Access::Authorized),
        _ if !required => Ok(Access::Anonymous),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("{what}: the bearer token is not the one configured in {TOKEN_VARIABLE}"),
        )
        .with_fix("send `Authorization: Bearer <token>` with the configured token")
        .with_challenge()),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("{what} requires a bearer token"),
        )
        .with_fix(format!(
            "send `Authorization: Bearer <token>` with the value of {TOKEN_VARIABLE}"
        ))
        .with_challenge()),
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Compares in constant time; hashing first hides the expected token's length too.
fn tokens_match(expected: &str, given: &str) -> bool {
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(given.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(a).expect("ascii"),
            );
        }
        h
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(tokens_match(TOKEN, TOKEN));
        assert!(!tokens_match(TOKEN, "0123456789abcdef0123456789abcdeF"));
        assert!(!tokens_match(TOKEN, ""));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let h = headers(Some(&format!("bearer {TOKEN}")));
        assert_eq!(bearer(&h), Some(TOKEN));
        assert_eq!(bearer(&headers(Some("Basic abc"))), None);
    }

    #[test]
    fn content_is_open_while_capture_is_off_and_no_token_is_configured() {
        let s = DiagnosticsSettings::default();
        let access = check(&s, &headers(None), Guard::Content, "GET /traces").expect("open");
        assert_eq!(access, Access::Anonymous);
    }

    #[test]
    fn a_wrong_token_is_not_an_error_where_none_is_needed() {
        let s = DiagnosticsSettings::default().with_token(TOKEN);
        let access = check(&s, &headers(Some("Bearer nope")), Guard::Content, "x").expect("ok");
        assert_eq!(access, Access::Anonymous);
        let access = check(
            &s,
            &headers(Some(&format!("Bearer {TOKEN}"))),
            Guard::Content,
            "x",
        )
        .expect("ok");
        assert_eq!(access, Access::Authorized);
    }
}
