//! A mock LLM server on `127.0.0.1` speaking the wire formats the instrumented clients
//! use: the OpenAI-compatible HTTP API (chat completions as JSON or server-sent events,
//! embeddings; also what a LiteLLM proxy serves) and the Bedrock runtime REST-JSON shapes
//! (`Converse`; `InvokeModel` for Anthropic and Amazon Nova bodies). Every answer waits a
//! configurable delay first, so a bench can isolate the client-side overhead (0 ms) or
//! mirror a real model's latency.
//!
//! ```no_run
//! use std::time::Duration;
//! use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};
//!
//! let llm = MockLlm::start(MockLlmConfig::new().delay(Duration::from_millis(10)))?;
//! // async-openai: OpenAIConfig::new().with_api_base(llm.openai_base_url())
//! // Bedrock:      aws_sdk_bedrockruntime::Config::builder().endpoint_url(llm.endpoint())
//! assert_eq!(llm.requests(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use axum::routing::post;
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::thread::ServerThread;

/// The answer every chat call gets, split into stream chunks at spaces.
const ANSWER: &str = "Paris is the capital of France.";
/// Output tokens reported for [`ANSWER`].
const ANSWER_TOKENS: u64 = 8;
/// Largest request body read (axum's default of 2 MB would refuse the huge prompts that
/// hostile-input tests send).
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// A raw answer for the next request, whatever its route: status, headers and body bytes
/// exactly as given (invalid UTF-8, malformed JSON, a stream cut short), for tests of
/// what clients and their instrumentation do with a hostile server.
///
/// ```no_run
/// use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig, ScriptedResponse};
///
/// let llm = MockLlm::start(MockLlmConfig::new())?;
/// llm.script(
///     ScriptedResponse::new(200, "text/event-stream")
///         .chunk("data: {\"choices\": [{\"delta\": {\"content\": \"Par")
///         .abort(),
/// )?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedResponse {
    status: u16,
    headers: Vec<(String, String)>,
    chunks: Vec<Bytes>,
    abort: bool,
}

impl ScriptedResponse {
    /// An answer with this status and `content-type`, and an empty body so far.
    pub fn new(status: u16, content_type: &str) -> Self {
        Self {
            status,
            headers: vec![(CONTENT_TYPE.as_str().to_owned(), content_type.to_owned())],
            chunks: Vec::new(),
            abort: false,
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Appends bytes to the body, sent as their own chunk (a separate write).
    pub fn chunk(mut self, bytes: impl Into<Bytes>) -> Self {
        self.chunks.push(bytes.into());
        self
    }

    /// After the chunks, the server fails the body: the connection is cut without the
    /// end of the chunked encoding, so the client sees a truncated body.
    pub fn abort(mut self) -> Self {
        self.abort = true;
        self
    }

    fn into_response(self, headers: Vec<(HeaderName, HeaderValue)>) -> Response {
        use futures_util::StreamExt as _;
        let abort = self.abort;
        let chunks = futures_util::stream::iter(self.chunks.into_iter().map(Ok));
        // The cut comes after the head and the chunks went out (a short pause lets the
        // connection flush them), so the client sees a body cut short, not a failed request.
        let cut = futures_util::stream::once(async move {
            if abort {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some(Err(std::io::Error::other("scripted abort")))
            } else {
                None
            }
        })
        .filter_map(std::future::ready);
        let stream = chunks.chain(cut);
        let mut response = Response::new(Body::from_stream(stream));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// Configuration of a [`MockLlm`]: response delay and extra response headers.
#[derive(Debug, Clone, Default)]
pub struct MockLlmConfig {
    delay: Duration,
    response_headers: Vec<(String, String)>,
}

impl MockLlmConfig {
    /// No delay, no extra headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits `delay` before answering each request (default zero). Adjustable later with
    /// [`MockLlm::set_delay`].
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Adds a header to every response, e.g. LiteLLM's `x-litellm-model-id`.
    pub fn response_header(mut self, name: &str, value: &str) -> Self {
        self.response_headers
            .push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Validated response headers.
type Headers = Vec<(HeaderName, HeaderValue)>;

/// State shared by the handle and the handlers.
#[derive(Debug)]
struct MockState {
    delay_us: AtomicU64,
    requests: AtomicU64,
    headers: Vec<(HeaderName, HeaderValue)>,
    scripted: Mutex<VecDeque<(ScriptedResponse, Headers)>>,
}

impl MockState {
    /// The scripted answer queued for this request, if any.
    fn scripted(&self) -> Option<Response> {
        let mut queue = self.scripted.lock().unwrap_or_else(PoisonError::into_inner);
        queue
            .pop_front()
            .map(|(script, headers)| script.into_response(headers))
    }

    /// Counts the request, waits the configured delay and returns the request's number.
    async fn begin(&self) -> u64 {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let delay = Duration::from_micros(self.delay_us.load(Ordering::Relaxed));
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        n
    }

    fn respond(&self, status: StatusCode, content_type: &'static str, body: Body) -> Response {
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        response
    }

    fn json(&self, status: StatusCode, body: &Value) -> Response {
        self.respond(status, "application/json", Body::from(body.to_string()))
    }
}

/// A running mock LLM server. Dropping it stops the server and joins its thread.
#[derive(Debug)]
pub struct MockLlm {
    state: Arc<MockState>,
    server: ServerThread,
}

impl MockLlm {
    /// Binds `127.0.0.1:0`, starts the server thread and returns once it is listening.
    /// Synchronous: may be called from inside or outside a Tokio runtime.
    ///
    /// Fails when a configured response header is not a valid header.
    pub fn start(config: MockLlmConfig) -> std::io::Result<MockLlm> {
        let mut headers = Vec::with_capacity(config.response_headers.len());
        for (name, value) in &config.response_headers {
            let name = HeaderName::try_from(name.as_str()).map_err(std::io::Error::other)?;
            let value = HeaderValue::try_from(value.as_str()).map_err(std::io::Error::other)?;
            headers.push((name, value));
        }
        let state = Arc::new(MockState {
            delay_us: AtomicU64::new(micros(config.delay)),
            requests: AtomicU64::new(0),
            headers,
            scripted: Mutex::new(VecDeque::new()),
        });
        let router = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/chat/completions", post(chat_completions))
            .route("/v1/embeddings", post(embeddings))
            .route("/embeddings", post(embeddings))
            .route("/model/{model}/converse", post(converse))
            .route("/model/{model}/invoke", post(invoke))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
            .with_state(Arc::clone(&state));
        let server = ServerThread::start("mock-llm", None, router)?;
        Ok(MockLlm { state, server })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`: the endpoint URL for a Bedrock runtime client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// `http://127.0.0.1:PORT/v1`: the API base for an OpenAI-compatible client.
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.endpoint())
    }

    /// Changes the delay applied to requests arriving from now on.
    pub fn set_delay(&self, delay: Duration) {
        self.state.delay_us.store(micros(delay), Ordering::Relaxed);
    }

    /// Queues a raw answer: the next request (on any route, after its body was read and
    /// the delay waited) gets it instead of the usual one. Answers queued together are
    /// used in order. Fails when a header is not a valid header.
    pub fn script(&self, response: ScriptedResponse) -> std::io::Result<()> {
        let mut headers = Vec::with_capacity(response.headers.len());
        for (name, value) in &response.headers {
            let name = HeaderName::try_from(name.as_str()).map_err(std::io::Error::other)?;
            let value = HeaderValue::try_from(value.as_str()).map_err(std::io::Error::other)?;
            headers.push((name, value));
        }
        self.state
            .scripted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back((response, headers));
        Ok(())
    }

    /// Requests received so far, whatever their route or outcome.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Stops the server (also done on drop).
    pub fn shutdown(self) {
        drop(self);
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A rough token count (four characters a token, at least one), so usage varies with
/// the prompt as it does with a real model.
fn estimate_tokens(text_chars: usize) -> u64 {
    u64::try_from(text_chars / 4).unwrap_or(u64::MAX).max(1)
}

/// Characters of every string found anywhere under `value`.
fn text_chars(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.iter().map(text_chars).sum(),
        Value::Object(map) => map.values().map(text_chars).sum(),
        _ => 0,
    }
}

fn parse_json(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("request body is not JSON: {e}"))
}

fn openai_error(state: &MockState, status: StatusCode, message: &str) -> Response {
    state.json(
        status,
        &json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
    )
}

async fn not_found(State(state): State<Arc<MockState>>) -> Response {
    state.begin().await;
    if let Some(scripted) = state.scripted() {
        return scripted;
    }
    openai_error(
        &state,
        StatusCode::NOT_FOUND,
        "no such route on the mock LLM",
    )
}

/// Counts and delays an OpenAI-compatible request, then reads it: `(request number,
/// body)` with a string `model`, or the 400 OpenAI answers a malformed body or a missing
/// model with.
async fn openai_request(state: &MockState, body: &Bytes) -> Result<(u64, Value), Response> {
    let n = state.begin().await;
    if let Some(scripted) = state.scripted() {
        return Err(scripted);
    }
    let request = parse_json(body).map_err(|e| openai_error(state, StatusCode::BAD_REQUEST, &e))?;
    if !request["model"].is_string() {
        return Err(openai_error(
            state,
            StatusCode::BAD_REQUEST,
            "you must provide a model parameter",
        ));
    }
    Ok((n, request))
}

async fn chat_completions(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    let (n, request) = match openai_request(&state, &body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let model = request["model"].as_str().unwrap_or_default();
    let prompt_tokens = estimate_tokens(text_chars(&request["messages"]));
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": ANSWER_TOKENS,
        "total_tokens": prompt_tokens + ANSWER_TOKENS,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    });
    let id = format!("chatcmpl-mock{n:012}");
    if request["stream"].as_bool() == Some(true) {
        let include_usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
        return sse_chat(&state, &id, model, include_usage.then_some(usage));
    }
    state.json(
        StatusCode::OK,
        &json!({
            "id": id,
            "object": "chat.completion",
            "created": 1_764_547_200,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER, "refusal": null, "annotations": []},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": "fp_mock"
        }),
    )
}

/// A chat completion as server-sent events: a role chunk, one chunk a word, a finish
/// chunk, the usage chunk when asked for, then `[DONE]`.
fn sse_chat(state: &MockState, id: &str, model: &str, usage: Option<Value>) -> Response {
    let chunk = |delta: Value, finish: Value| {
        let chunk = json!({
            "id": id, "object": "chat.completion.chunk", "created": 1_764_547_200, "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        });
        format!("data: {chunk}\n\n")
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    let words: Vec<&str> = ANSWER.split_inclusive(' ').collect();
    events.extend(
        words
            .iter()
            .map(|w| chunk(json!({"content": w}), Value::Null)),
    );
    events.push(chunk(json!({}), json!("stop")));
    if let Some(usage) = usage {
        let last = json!({
            "id": id, "object": "chat.completion.chunk", "created": 1_764_547_200, "model": model,
            "system_fingerprint": "fp_mock", "choices": [], "usage": usage
        });
        events.push(format!("data: {last}\n\n"));
    }
    events.push("data: [DONE]\n\n".to_owned());
    let stream = futures_util::stream::iter(
        events
            .into_iter()
            .map(|e| Ok::<_, Infallible>(Bytes::from(e))),
    );
    state.respond(
        StatusCode::OK,
        "text/event-stream",
        Body::from_stream(stream),
    )
}

async fn embeddings(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    let (_, request) = match openai_request(&state, &body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let model = request["model"].as_str().unwrap_or_default();
    let inputs = match &request["input"] {
        Value::Array(items) => items.len().max(1),
        _ => 1,
    };
    let tokens = estimate_tokens(text_chars(&request["input"]));
    let data: Vec<Value> = (0..inputs)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [0.0023, -0.0093, 0.0158, 0.0042]}))
        .collect();
    state.json(
        StatusCode::OK,
        &json!({"object": "list", "data": data, "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}),
    )
}

fn bedrock_error(state: &MockState, status: StatusCode, kind: &str, message: &str) -> Response {
    let mut response = state.json(status, &json!({ "message": message }));
    if let Ok(v) = HeaderValue::try_from(format!(
        "{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}

fn bedrock_ok(state: &MockState, n: u64, body: &Value, usage: Option<(u64, u64)>) -> Response {
    let mut response = state.json(StatusCode::OK, body);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::try_from(format!("mock-{n:012}")) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Some((input, output)) = usage {
        headers.insert("x-amzn-bedrock-input-token-count", HeaderValue::from(input));
        headers.insert(
            "x-amzn-bedrock-output-token-count",
            HeaderValue::from(output),
        );
    }
    response
}

/// Counts and delays a Bedrock request, then reads its prompt size: `(request number,
/// input tokens)`, or the `ValidationException` a malformed body gets.
async fn bedrock_request(state: &MockState, body: &Bytes) -> Result<(u64, u64), Response> {
    let n = state.begin().await;
    if let Some(scripted) = state.scripted() {
        return Err(scripted);
    }
    let request = parse_json(body)
        .map_err(|e| bedrock_error(state, StatusCode::BAD_REQUEST, "ValidationException", &e))?;
    let input = estimate_tokens(text_chars(&request["messages"]) + text_chars(&request["system"]));
    Ok((n, input))
}

async fn converse(
    State(state): State<Arc<MockState>>,
    Path(_model): Path<String>,
    body: Bytes,
) -> Response {
    let (n, input) = match bedrock_request(&state, &body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    bedrock_ok(
        &state,
        n,
        &json!({
            "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": input, "outputTokens": ANSWER_TOKENS, "totalTokens": input + ANSWER_TOKENS},
            "metrics": {"latencyMs": 1}
        }),
        None,
    )
}

async fn invoke(
    State(state): State<Arc<MockState>>,
    Path(model): Path<String>,
    body: Bytes,
) -> Response {
    let (n, input) = match bedrock_request(&state, &body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let usage = Some((input, ANSWER_TOKENS));
    if model.contains("anthropic.") {
        return bedrock_ok(
            &state,
            n,
            &json!({
                "id": format!("msg_bdrk_mock{n:012}"), "type": "message", "role": "assistant",
                "model": "claude-mock", "content": [{"type": "text", "text": ANSWER}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": input, "output_tokens": ANSWER_TOKENS}
            }),
            usage,
        );
    }
    if model.contains("amazon.nova") {
        return bedrock_ok(
            &state,
            n,
            &json!({
                "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": input, "outputTokens": ANSWER_TOKENS, "totalTokens": input + ANSWER_TOKENS}
            }),
            usage,
        );
    }
    bedrock_error(
        &state,
        StatusCode::BAD_REQUEST,
        "ValidationException",
        "The mock serves InvokeModel for anthropic.* and amazon.nova-* models only.",
    )
}
