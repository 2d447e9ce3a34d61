//! One HTTP exchange with an OpenAI-compatible server, from the request (span start,
//! `traceparent`) to the last byte of the response (usage, finish reasons, span end).
//! Shared by the async-openai layer and the LiteLLM layer and middleware.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;

use super::request::{Endpoint, parse_request};
use super::response::{StreamAccumulator, parse_error, parse_response};
use super::sse::SseParser;
use crate::genai::body::{BodyObserver, ObservedBody};
use crate::genai::call::{GenAiCall, GenAiRequest, GenAiResponse};
use crate::genai::instrumentation::GenAiInstrumentation;
use crate::genai::semconv::provider;

/// Largest non-streaming body kept for parsing (the caller always gets all of it).
const MAX_BUFFERED_BODY: usize = 64 * 1024 * 1024;
/// Largest error body kept for parsing.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Reads extra response attributes (and a reported cost) from response headers.
pub type ResponseHeaderHook = Arc<dyn Fn(&HeaderMap, &mut GenAiResponse) + Send + Sync>;

/// How calls to an OpenAI-compatible server are recorded.
#[derive(Clone)]
pub struct OpenAiCompatConfig {
    provider: Cow<'static, str>,
    inject_traceparent: bool,
    header_hook: Option<ResponseHeaderHook>,
    usage_cost_source: Option<&'static str>,
}

impl std::fmt::Debug for OpenAiCompatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatConfig")
            .field("provider", &self.provider)
            .field("inject_traceparent", &self.inject_traceparent)
            .field("header_hook", &self.header_hook.is_some())
            .field("usage_cost_source", &self.usage_cost_source)
            .finish()
    }
}

impl Default for OpenAiCompatConfig {
    fn default() -> Self {
        Self::openai()
    }
}

impl OpenAiCompatConfig {
    /// Provider `openai`, `traceparent` injected, no header hook.
    pub fn openai() -> Self {
        Self {
            provider: Cow::Borrowed(provider::OPENAI),
            inject_traceparent: true,
            header_hook: None,
            usage_cost_source: None,
        }
    }

    /// Sets `gen_ai.provider.name`.
    pub fn provider(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.provider = name.into();
        self
    }

    /// Turns W3C `traceparent` injection into outgoing requests on or off.
    pub fn inject_traceparent(mut self, on: bool) -> Self {
        self.inject_traceparent = on;
        self
    }

    /// Reads response headers into the response (LiteLLM's `x-litellm-*`).
    pub fn response_headers(mut self, hook: ResponseHeaderHook) -> Self {
        self.header_hook = Some(hook);
        self
    }

    /// Takes `usage.cost` in response bodies and final stream chunks as the call's cost,
    /// with this `genai_telemetry.cost.source`.
    pub fn usage_cost_source(mut self, source: &'static str) -> Self {
        self.usage_cost_source = Some(source);
        self
    }

    /// The provider name.
    pub fn provider_name(&self) -> &str {
        &self.provider
    }
}

/// An LLM call to an OpenAI-compatible server, between request and response.
#[derive(Debug)]
pub struct OpenAiCompatCall {
    call: GenAiCall,
    endpoint: Endpoint,
    config: OpenAiCompatConfig,
}

impl OpenAiCompatCall {
    /// Starts the span for a request, or returns `None` when the request is not an LLM
    /// call (not a `POST` to a chat, completions, embeddings or responses endpoint).
    pub fn start(
        instrumentation: &GenAiInstrumentation,
        config: &OpenAiCompatConfig,
        method: &http::Method,
        url: &url::Url,
        body: Option<&[u8]>,
    ) -> Option<Self> {
        if method != http::Method::POST {
            return None;
        }
        let endpoint = Endpoint::from_path(url.path())?;
        let mut request = GenAiRequest::new(endpoint.operation(), config.provider.clone());
        request.server_address = url.host_str().map(str::to_owned);
        request.server_port = url.port_or_known_default();
        if let Some(body) = body {
            parse_request(
                endpoint,
                body,
                instrumentation.capture_content(),
                &mut request,
            );
        }
        Some(Self {
            call: instrumentation.start_call(request),
            endpoint,
            config: config.clone(),
        })
    }

    /// Writes `traceparent` into the outgoing request's headers (when enabled).
    pub fn inject(&self, headers: &mut HeaderMap) {
        if self.config.inject_traceparent {
            self.call.inject_traceparent(headers);
        }
    }

    /// The underlying call (for adapter-specific attributes).
    pub fn call_mut(&mut self) -> &mut GenAiCall {
        &mut self.call
    }

    /// The request failed before a response arrived.
    pub fn fail(mut self, error_type: impl Into<String>, message: impl Into<String>) {
        self.call.record_error(error_type, message);
        self.call.end();
    }

    /// Starts observing a response: headers now, the body as the caller reads it.
    pub fn observer(mut self, status: http::StatusCode, headers: &HeaderMap) -> ResponseObserver {
        if let Some(hook) = &self.config.header_hook {
            let mut from_headers = GenAiResponse::default();
            hook(headers, &mut from_headers);
            self.call.record_response(from_headers);
        }
        let capture = self.call.captures_content() && self.call.is_recording();
        let mode = if !status.is_success() {
            self.call.record_error(
                status.as_u16().to_string(),
                format!("HTTP {}", status.as_u16()),
            );
            Mode::Error {
                status: status.as_u16(),
                buffer: Vec::new(),
            }
        } else if is_event_stream(headers) {
            Mode::Stream(Box::new(StreamState {
                parser: SseParser::new(),
                accumulator: StreamAccumulator::new(
                    self.endpoint,
                    capture,
                    self.config.usage_cost_source,
                ),
            }))
        } else {
            Mode::Whole {
                chunks: Vec::new(),
                len: 0,
                capture,
            }
        };
        ResponseObserver {
            call: Some(self.call),
            endpoint: self.endpoint,
            usage_cost_source: self.config.usage_cost_source,
            mode,
            body_failed: false,
        }
    }

    /// Wraps an `http::Response` body so it is observed while the caller reads it.
    pub fn observe_http<B>(
        self,
        response: http::Response<B>,
    ) -> http::Response<ObservedBody<B, ResponseObserver>>
    where
        B: http_body::Body<Data = Bytes>,
    {
        let (parts, body) = response.into_parts();
        let observer = self.observer(parts.status, &parts.headers);
        http::Response::from_parts(parts, ObservedBody::new(body, observer))
    }

    /// Wraps a `reqwest::Response` so its body is observed while the caller reads it.
    /// Status, headers, URL, extensions and bytes are those of `response`.
    pub fn observe_reqwest(self, response: reqwest::Response) -> reqwest::Response {
        use reqwest::ResponseBuilderExt as _;
        let url = response.url().clone();
        let http_response: http::Response<reqwest::Body> = response.into();
        let observed = self.observe_http(http_response);
        let (mut parts, body) = observed.into_parts();
        // `reqwest::Response` keeps its URL outside the extensions; carry it over.
        if let Ok(mut carrier) = http::Response::builder().url(url).body(()) {
            parts
                .extensions
                .extend(std::mem::take(carrier.extensions_mut()));
        }
        reqwest::Response::from(http::Response::from_parts(parts, reqwest::Body::wrap(body)))
    }
}

/// `error.type` of a transport failure reported by reqwest: `timeout`,
/// `connection_error`, `redirect_error`, `request_error` or `http_error`.
pub fn reqwest_error_type(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection_error"
    } else if error.is_redirect() {
        "redirect_error"
    } else if error.is_request() {
        "request_error"
    } else {
        "http_error"
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

#[derive(Debug)]
struct StreamState {
    parser: SseParser,
    accumulator: StreamAccumulator,
}

#[derive(Debug)]
enum Mode {
    Whole {
        chunks: Vec<Bytes>,
        len: usize,
        capture: bool,
    },
    Stream(Box<StreamState>),
    Error {
        status: u16,
        buffer: Vec<u8>,
    },
}

/// Observes the body of an OpenAI-compatible response; ends the span when the body ends
/// or is dropped.
#[derive(Debug)]
pub struct ResponseObserver {
    call: Option<GenAiCall>,
    endpoint: Endpoint,
    usage_cost_source: Option<&'static str>,
    mode: Mode,
    body_failed: bool,
}

impl BodyObserver for ResponseObserver {
    fn on_data(&mut self, data: &Bytes) {
        let Some(call) = self.call.as_mut() else {
            return;
        };
        match &mut self.mode {
            Mode::Whole { chunks, len, .. } => {
                *len += data.len();
                if *len <= MAX_BUFFERED_BODY {
                    chunks.push(data.clone());
                } else {
                    chunks.clear();
                }
            }
            Mode::Stream(stream) => {
                let StreamState {
                    parser,
                    accumulator,
                } = stream.as_mut();
                parser.push(data, &mut |event, payload| {
                    if accumulator.push_event(event, payload) {
                        call.record_first_chunk();
                    }
                });
                // Clients stop reading at `[DONE]` (or the Responses API's final event)
                // and drop the body: that is the end of the call, not a cancellation.
                if accumulator.is_complete() {
                    self.on_end();
                }
            }
            Mode::Error { buffer, .. } => {
                let room = MAX_ERROR_BODY.saturating_sub(buffer.len());
                buffer.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
    }

    fn on_error(&mut self, message: &str) {
        self.body_failed = true;
        if let Some(call) = self.call.as_mut() {
            call.record_error("response_body_error", message.to_owned());
        }
    }

    fn on_end(&mut self) {
        let Some(mut call) = self.call.take() else {
            return;
        };
        let body_failed = self.body_failed;
        match std::mem::replace(
            &mut self.mode,
            Mode::Error {
                status: 0,
                buffer: Vec::new(),
            },
        ) {
            Mode::Whole {
                chunks,
                len,
                capture,
            } => {
                if len > MAX_BUFFERED_BODY || body_failed {
                    // Too large to keep, or cut short: nothing reliable to parse.
                } else {
                    let body = concat(chunks, len);
                    match parse_response(self.endpoint, &body, capture, self.usage_cost_source) {
                        Some(response) => call.record_response(response),
                        None => call.record_error(
                            "invalid_response",
                            "the response body is not the JSON the API documents",
                        ),
                    }
                }
            }
            Mode::Stream(stream) => {
                let StreamState {
                    mut parser,
                    mut accumulator,
                } = *stream;
                // A body that failed mid-event leaves half an event: it is not one.
                if !body_failed {
                    parser.finish(&mut |event, payload| {
                        if accumulator.push_event(event, payload) {
                            call.record_first_chunk();
                        }
                    });
                }
                if let Some((kind, message)) = accumulator.error() {
                    call.record_error(kind, message);
                } else if body_failed {
                    // `response_body_error` is already recorded.
                } else if parser.overflowed() {
                    call.record_error(
                        "invalid_response",
                        "a stream event exceeds 16 MiB; the rest of the stream was not read",
                    );
                } else if parser.saw_invalid_utf8() {
                    call.record_error("invalid_response", "a stream event is not valid UTF-8");
                } else if !accumulator.is_complete() {
                    // The body ended cleanly but before `[DONE]` (or the Responses API's
                    // final event): the server cut the stream short.
                    call.record_error(
                        "invalid_response",
                        "the stream ended before its final event",
                    );
                }
                call.record_response(accumulator.finish());
            }
            Mode::Error { status, buffer } => {
                if !body_failed {
                    let (kind, message) = parse_error(status, &buffer);
                    call.record_error(kind, message);
                }
            }
        }
        call.end();
    }

    fn on_drop(&mut self) {
        let Some(mut call) = self.call.take() else {
            return;
        };
        if let Mode::Stream(stream) = std::mem::replace(
            &mut self.mode,
            Mode::Error {
                status: 0,
                buffer: Vec::new(),
            },
        ) {
            call.record_response(stream.accumulator.finish());
        }
        call.end_cancelled();
    }
}

fn concat(chunks: Vec<Bytes>, len: usize) -> Bytes {
    if chunks.len() == 1 {
        return chunks.into_iter().next().unwrap_or_default();
    }
    let mut all = Vec::with_capacity(len);
    for c in chunks {
        all.extend_from_slice(&c);
    }
    Bytes::from(all)
}

impl Drop for ResponseObserver {
    fn drop(&mut self) {
        // Never observed to the end (e.g. the wrapper itself was never polled): end as
        // cancelled rather than leave the span open.
        if self.call.is_some() {
            self.on_drop();
        }
    }
}
