//! A loopback server speaking the OpenAI HTTP API (JSON and server-sent events) with
//! canned answers chosen by the requested model, for the instrumentation tests of the
//! OpenAI and LiteLLM crates. Binds 127.0.0.1 only; stops when dropped.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use futures_util::stream::{self, StreamExt};

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

/// The running server.
pub struct OpenAiMock {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OpenAiMock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OpenAiMock {
    /// Starts on an ephemeral port of 127.0.0.1. `extra_headers` are added to every
    /// response (LiteLLM's `x-litellm-*`).
    pub async fn start_with_headers(extra_headers: Vec<(&'static str, &'static str)>) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = (Arc::clone(&received), Arc::new(extra_headers));
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .route("/v1/completions", post(answer))
            .route("/v1/embeddings", post(answer))
            .route("/v1/responses", post(answer))
            .route("/v1/models", get(models))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}/v1"),
            received,
            task,
        }
    }

    pub async fn start() -> Self {
        Self::start_with_headers(Vec::new()).await
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

type Shared = (
    Arc<Mutex<Vec<Received>>>,
    Arc<Vec<(&'static str, &'static str)>>,
);

async fn models() -> Response {
    json_response(
        StatusCode::OK,
        r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"}]}"#,
    )
}

async fn answer(
    axum::extract::State((received, extra)): axum::extract::State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        headers,
        body: json.clone(),
    });
    let model = json["model"].as_str().unwrap_or_default().to_owned();
    let stream = json["stream"].as_bool() == Some(true);
    let mut response = match (uri.path(), model.as_str(), stream) {
        (_, "rate-limited", _) => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on tokens per min.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
        ),
        (_, "server-error", _) => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from("<html><body>upstream exploded</body></html>"))
            .unwrap(),
        (_, "malformed", false) => json_response(StatusCode::OK, r#"{"id": "chatcmpl-broken", "choices": [ {"#),
        (_, "malformed", true) => sse(vec![
            "data: {\"id\":\"chatcmpl-m\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"malformed\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}\n\n".to_owned(),
            "data: {this is not json}\n\n".to_owned(),
            "data: [DONE]\n\n".to_owned(),
        ]),
        ("/v1/chat/completions", "fail-midway", true) => failing_stream(chat_chunks("fail-midway")),
        ("/v1/chat/completions", "never-ends", true) => endless_stream(chat_chunks("never-ends")),
        ("/v1/chat/completions", "tool-caller", false) => json_response(StatusCode::OK, CHAT_TOOL_CALL),
        ("/v1/chat/completions", "tool-caller", true) => sse(tool_call_chunks()),
        ("/v1/chat/completions", "stream-error", true) => sse(vec![
            chat_chunks("stream-error")[0].clone(),
            "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"code\":\"server_error\"}}\n\n".to_owned(),
        ]),
        ("/v1/chat/completions", _, false) => json_response(StatusCode::OK, CHAT_COMPLETION),
        ("/v1/chat/completions", m, true) => sse(chat_chunks(m)),
        ("/v1/completions", _, false) => json_response(StatusCode::OK, COMPLETION),
        ("/v1/completions", _, true) => sse(vec![
            "data: {\"id\":\"cmpl-s1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"text\":\"Once\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n".to_owned(),
            "data: {\"id\":\"cmpl-s1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"text\":\" upon\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n".to_owned(),
            "data: {\"id\":\"cmpl-s1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\n".to_owned(),
            "data: [DONE]\n\n".to_owned(),
        ]),
        ("/v1/embeddings", _, _) => json_response(StatusCode::OK, EMBEDDINGS),
        ("/v1/responses", _, false) => json_response(StatusCode::OK, &responses_object("completed")),
        ("/v1/responses", _, true) => sse(responses_events()),
        _ => json_response(StatusCode::NOT_FOUND, r#"{"error":{"message":"no such route","type":"invalid_request_error","code":"not_found"}}"#),
    };
    for (name, value) in extra.iter() {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

fn json_response(status: StatusCode, body: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn sse(events: Vec<String>) -> Response {
    let body = stream::iter(
        events
            .into_iter()
            .map(|e| Ok::<_, Infallible>(Bytes::from(e))),
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap()
}

/// Sends two events, then breaks the connection (the chunked body never terminates).
fn failing_stream(events: Vec<String>) -> Response {
    let first: Vec<Result<Bytes, std::io::Error>> = events
        .into_iter()
        .take(2)
        .map(|e| Ok(Bytes::from(e)))
        .collect();
    let body = stream::iter(first).chain(stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(std::io::Error::other("connection reset by mock"))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap()
}

/// Sends two events, then stays open forever.
fn endless_stream(events: Vec<String>) -> Response {
    let first: Vec<Result<Bytes, Infallible>> = events
        .into_iter()
        .take(2)
        .map(|e| Ok(Bytes::from(e)))
        .collect();
    let body = stream::iter(first).chain(stream::pending());
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap()
}

pub const CHAT_COMPLETION: &str = r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":6,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_06737a9306"}"#;

pub const CHAT_TOOL_CALL: &str = r#"{"id":"chatcmpl-tool1","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}],"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":40,"completion_tokens":17,"total_tokens":57},"system_fingerprint":"fp_06737a9306"}"#;

pub const COMPLETION: &str = r#"{"id":"cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7","object":"text_completion","created":1589478378,"model":"gpt-3.5-turbo-instruct","system_fingerprint":"fp_44709d6fcb","choices":[{"text":"\n\nThis is indeed a test","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#;

pub const EMBEDDINGS: &str = r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,0.015797347]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;

fn chunk(model: &str, delta: &str, finish: &str) -> String {
    format!(
        "data: {{\"id\":\"chatcmpl-stream1\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":\"{}\",\"system_fingerprint\":\"fp_1\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}]}}\n\n",
        served_model(model)
    )
}

fn served_model(requested: &str) -> String {
    if requested == "gpt-4o-mini" {
        "gpt-4o-mini-2024-07-18".to_owned()
    } else {
        requested.to_owned()
    }
}

pub fn chat_chunks(model: &str) -> Vec<String> {
    vec![
        chunk(model, r#"{"role":"assistant","content":""}"#, "null"),
        chunk(model, r#"{"content":"Hel"}"#, "null"),
        chunk(model, r#"{"content":"lo!"}"#, "null"),
        chunk(model, "{}", "\"stop\""),
        format!(
            "data: {{\"id\":\"chatcmpl-stream1\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":\"{}\",\"system_fingerprint\":\"fp_1\",\"choices\":[],\"usage\":{{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11,\"prompt_tokens_details\":{{\"cached_tokens\":0}},\"completion_tokens_details\":{{\"reasoning_tokens\":0}}{}}}}}\n\n",
            served_model(model),
            // LiteLLM adds its price of the call to the final usage.
            if model.starts_with("litellm") {
                ",\"cost\":6.15e-06"
            } else {
                ""
            }
        ),
        "data: [DONE]\n\n".to_owned(),
    ]
}

fn tool_call_chunks() -> Vec<String> {
    vec![
        chunk(
            "tool-caller",
            r#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]}"#,
            "null",
        ),
        chunk(
            "tool-caller",
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"#,
            "null",
        ),
        chunk(
            "tool-caller",
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"#,
            "null",
        ),
        chunk("tool-caller", "{}", "\"tool_calls\""),
        "data: [DONE]\n\n".to_owned(),
    ]
}

pub fn responses_object(status: &str) -> String {
    format!(
        r#"{{"id":"resp_67ccd2bed1ec8190b14f964abc054267","object":"response","created_at":1741476542,"status":"{status}","model":"gpt-4.1-2025-04-14","output":[{{"type":"message","id":"msg_67ccd2bf17f0","status":"completed","role":"assistant","content":[{{"type":"output_text","text":"In a peaceful grove beneath a silver moon...","annotations":[]}}]}}],"parallel_tool_calls":true,"usage":{{"input_tokens":36,"input_tokens_details":{{"cached_tokens":0}},"output_tokens":87,"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":123}}}}"#
    )
}

fn responses_events() -> Vec<String> {
    let created = responses_object("in_progress").replace(
        r#""output":[{"type":"message","id":"msg_67ccd2bf17f0","status":"completed","role":"assistant","content":[{"type":"output_text","text":"In a peaceful grove beneath a silver moon...","annotations":[]}]}]"#,
        r#""output":[]"#,
    );
    vec![
        format!("event: response.created\ndata: {{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{created}}}\n\n"),
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_67ccd2bf17f0\",\"output_index\":0,\"content_index\":0,\"delta\":\"In a peaceful grove\"}\n\n".to_owned(),
        format!("event: response.completed\ndata: {{\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{}}}\n\n", responses_object("completed")),
    ]
}
