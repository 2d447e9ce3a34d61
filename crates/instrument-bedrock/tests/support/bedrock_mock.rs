//! A loopback server speaking the Bedrock runtime wire format: REST-JSON for `Converse`
//! and `InvokeModel`, `application/vnd.amazon.eventstream` frames (built with
//! `aws-smithy-eventstream`) for the streaming operations. Answers are chosen by model id.
//! Binds 127.0.0.1 only; stops when dropped.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::convert::Infallible;
use std::time::Duration;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use base64::Engine as _;
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};

pub struct BedrockMock {
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BedrockMock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BedrockMock {
    pub async fn start() -> Self {
        let app = Router::new()
            .route("/model/{model}/converse", post(converse))
            .route("/model/{model}/converse-stream", post(converse_stream))
            .route("/model/{model}/invoke", post(invoke))
            .route(
                "/model/{model}/invoke-with-response-stream",
                post(invoke_stream),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            endpoint: format!("http://{addr}"),
            task,
        }
    }
}

fn json_response(status: StatusCode, body: Value, extra: &[(&str, &str)]) -> Response {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-amzn-requestid", "req-0001");
    for (k, v) in extra {
        builder = builder.header(*k, *v);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-amzn-requestid", "req-0001")
        .header(
            "x-amzn-errortype",
            format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        )
        .body(Body::from(json!({ "message": message }).to_string()))
        .unwrap()
}

fn common_errors(model: &str) -> Option<Response> {
    match model {
        "throttled" => Some(error(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        )),
        "invalid" => Some(error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "The provided model identifier is invalid.",
        )),
        _ => None,
    }
}

/// Frames one event.
pub fn event(event_type: &str, payload: Value) -> Bytes {
    let message = Message::new(Bytes::from(payload.to_string()))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).unwrap();
    Bytes::from(out)
}

/// Frames one exception.
pub fn exception(kind: &str, message: &str) -> Bytes {
    let message = Message::new(Bytes::from(json!({ "message": message }).to_string()))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("exception".into()),
        ))
        .add_header(Header::new(
            ":exception-type",
            HeaderValue::String(kind.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).unwrap();
    Bytes::from(out)
}

/// An `InvokeModelWithResponseStream` chunk: the model's JSON, base64 in `bytes`.
pub fn chunk(model_json: Value) -> Bytes {
    let b64 = base64::engine::general_purpose::STANDARD.encode(model_json.to_string());
    event("chunk", json!({ "bytes": b64 }))
}

enum Ending {
    Complete,
    Fail,
    Hang,
}

fn event_stream(frames: Vec<Bytes>, ending: Ending) -> Response {
    let body = match ending {
        Ending::Complete => {
            Body::from_stream(stream::iter(frames.into_iter().map(Ok::<_, Infallible>)))
        }
        Ending::Fail => Body::from_stream(
            stream::iter(frames.into_iter().map(Ok::<_, std::io::Error>)).chain(stream::once(
                async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Err(std::io::Error::other("connection reset by mock"))
                },
            )),
        ),
        Ending::Hang => Body::from_stream(
            stream::iter(frames.into_iter().map(Ok::<_, Infallible>)).chain(stream::pending()),
        ),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/vnd.amazon.eventstream")
        .header("x-amzn-requestid", "req-0002")
        .body(body)
        .unwrap()
}

pub const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

async fn converse(Path(model): Path<String>, _body: Bytes) -> Response {
    if let Some(e) = common_errors(&model) {
        return e;
    }
    match model.as_str() {
        "malformed" => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"output\": {\"message\": "))
            .unwrap(),
        m if m.contains("tool") => json_response(
            StatusCode::OK,
            json!({
                "output": {"message": {"role": "assistant", "content": [
                    {"text": "Let me check."},
                    {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
                ]}},
                "stopReason": "tool_use",
                "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42},
                "metrics": {"latencyMs": 210}
            }),
            &[],
        ),
        "guardrailed" => json_response(
            StatusCode::OK,
            json!({
                "output": {"message": {"role": "assistant", "content": [{"text": "Sorry, I can't help with that."}]}},
                "stopReason": "guardrail_intervened",
                "usage": {"inputTokens": 5, "outputTokens": 0, "totalTokens": 5},
                "metrics": {"latencyMs": 10}
            }),
            &[],
        ),
        _ => json_response(
            StatusCode::OK,
            json!({
                "output": {"message": {"role": "assistant", "content": [{"text": "Hello! How can I help?"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 12, "outputTokens": 8, "totalTokens": 2520,
                          "cacheReadInputTokens": 2000, "cacheWriteInputTokens": 500},
                "metrics": {"latencyMs": 321}
            }),
            &[],
        ),
    }
}

fn converse_frames() -> Vec<Bytes> {
    vec![
        event("messageStart", json!({"role": "assistant", "p": "abc"})),
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
        ),
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "lo!"}}),
        ),
        event("contentBlockStop", json!({"contentBlockIndex": 0})),
        event(
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_9", "name": "get_weather"}}}),
        ),
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\":"}}}),
        ),
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
        ),
        event("contentBlockStop", json!({"contentBlockIndex": 1})),
        event("messageStop", json!({"stopReason": "tool_use"})),
        event(
            "metadata",
            json!({"usage": {"inputTokens": 25, "outputTokens": 14, "totalTokens": 39}, "metrics": {"latencyMs": 400}}),
        ),
    ]
}

async fn converse_stream(Path(model): Path<String>, _body: Bytes) -> Response {
    if let Some(e) = common_errors(&model) {
        return e;
    }
    match model.as_str() {
        "fail-midway" => event_stream(converse_frames()[..3].to_vec(), Ending::Fail),
        "never-ends" => event_stream(converse_frames()[..3].to_vec(), Ending::Hang),
        "stream-exception" => {
            let mut frames = converse_frames()[..2].to_vec();
            frames.push(exception(
                "modelStreamErrorException",
                "The model stream failed.",
            ));
            event_stream(frames, Ending::Complete)
        }
        _ => event_stream(converse_frames(), Ending::Complete),
    }
}

/// `(unary body, stream chunks, extra unary headers)` per model family.
pub fn invoke_fixture(model: &str) -> (Value, Vec<Value>, Vec<(&'static str, &'static str)>) {
    let metrics = |i: u64, o: u64| json!({"inputTokenCount": i, "outputTokenCount": o, "invocationLatency": 100, "firstByteLatency": 20});
    let vendor = model
        .trim_start_matches("us.")
        .trim_start_matches("eu.")
        .split('.')
        .next()
        .unwrap_or_default();
    match (vendor, model) {
        (_, m) if m.contains("claude-v2") => (
            json!({"completion": " Hello there.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}),
            vec![
                json!({"completion": " Hello", "stop_reason": null}),
                json!({"completion": " there.", "stop_reason": "stop_sequence", "amazon-bedrock-invocationMetrics": metrics(11, 4)}),
            ],
            vec![
                ("x-amzn-bedrock-input-token-count", "11"),
                ("x-amzn-bedrock-output-token-count", "4"),
            ],
        ),
        ("anthropic", _) => (
            json!({"id": "msg_bdrk_01", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
                   "content": [{"type": "text", "text": "Hi! I'm Claude."}],
                   "stop_reason": "end_turn", "stop_sequence": null,
                   "usage": {"input_tokens": 10, "output_tokens": 9, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}}),
            vec![
                json!({"type": "message_start", "message": {"id": "msg_bdrk_02", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620", "content": [], "stop_reason": null, "usage": {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 100}}}),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi! "}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "I'm Claude."}}),
                json!({"type": "content_block_stop", "index": 0}),
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 9}}),
                json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics(10, 9)}),
            ],
            vec![
                ("x-amzn-bedrock-input-token-count", "10"),
                ("x-amzn-bedrock-output-token-count", "9"),
            ],
        ),
        ("amazon", m) if m.contains("nova") => (
            json!({"output": {"message": {"role": "assistant", "content": [{"text": "Nova says hi."}]}},
                   "stopReason": "end_turn", "usage": {"inputTokens": 7, "outputTokens": 4, "totalTokens": 11}}),
            vec![
                json!({"messageStart": {"role": "assistant"}}),
                json!({"contentBlockDelta": {"delta": {"text": "Nova "}, "contentBlockIndex": 0}}),
                json!({"contentBlockDelta": {"delta": {"text": "says hi."}, "contentBlockIndex": 0}}),
                json!({"contentBlockStop": {"contentBlockIndex": 0}}),
                json!({"messageStop": {"stopReason": "end_turn"}}),
                json!({"metadata": {"usage": {"inputTokens": 7, "outputTokens": 4}, "metrics": {}, "trace": {}}, "amazon-bedrock-invocationMetrics": metrics(7, 4)}),
            ],
            vec![],
        ),
        ("amazon", m) if m.contains("embed") => (
            json!({"embedding": [0.1, 0.2, 0.3], "inputTextTokenCount": 6}),
            vec![],
            vec![("x-amzn-bedrock-input-token-count", "6")],
        ),
        ("amazon", _) => (
            json!({"inputTextTokenCount": 5, "results": [{"tokenCount": 6, "outputText": "Titan says hi.", "completionReason": "FINISH"}]}),
            vec![
                json!({"outputText": "Titan ", "index": 0, "totalOutputTextTokenCount": 2, "completionReason": null, "inputTextTokenCount": 5}),
                json!({"outputText": "says hi.", "index": 0, "totalOutputTextTokenCount": 6, "completionReason": "FINISH", "inputTextTokenCount": 5, "amazon-bedrock-invocationMetrics": metrics(5, 6)}),
            ],
            vec![],
        ),
        ("meta", _) => (
            json!({"generation": "Llama says hi.", "prompt_token_count": 8, "generation_token_count": 5, "stop_reason": "stop"}),
            vec![
                json!({"generation": "Llama ", "prompt_token_count": 8, "generation_token_count": 2, "stop_reason": null}),
                json!({"generation": "says hi.", "prompt_token_count": null, "generation_token_count": 5, "stop_reason": "stop", "amazon-bedrock-invocationMetrics": metrics(8, 5)}),
            ],
            vec![],
        ),
        ("cohere", m) if m.contains("embed") => (
            json!({"embeddings": [[0.1, 0.2]], "id": "emb-1", "response_type": "embeddings_floats", "texts": ["hello"]}),
            vec![],
            vec![("x-amzn-bedrock-input-token-count", "3")],
        ),
        ("cohere", m) if m.contains("command-r") => (
            json!({"response_id": "cr-1", "text": "Command R says hi.", "generation_id": "g-1", "chat_history": [],
                   "finish_reason": "COMPLETE", "meta": {"billed_units": {"input_tokens": 9, "output_tokens": 5}}}),
            vec![
                json!({"event_type": "stream-start", "generation_id": "g-2", "is_finished": false}),
                json!({"event_type": "text-generation", "text": "Command R ", "is_finished": false}),
                json!({"event_type": "text-generation", "text": "says hi.", "is_finished": false}),
                json!({"event_type": "stream-end", "finish_reason": "COMPLETE", "is_finished": true,
                       "response": {"response_id": "cr-2", "text": "Command R says hi.", "meta": {"billed_units": {"input_tokens": 9, "output_tokens": 5}}},
                       "amazon-bedrock-invocationMetrics": metrics(9, 5)}),
            ],
            vec![],
        ),
        ("cohere", _) => (
            json!({"generations": [{"id": "gen-1", "text": "Command says hi.", "finish_reason": "COMPLETE"}], "id": "c-1", "prompt": "hi"}),
            vec![
                json!({"text": "Command ", "is_finished": false}),
                json!({"text": "says hi.", "is_finished": false}),
                json!({"is_finished": true, "finish_reason": "COMPLETE", "amazon-bedrock-invocationMetrics": metrics(4, 5)}),
            ],
            vec![
                ("x-amzn-bedrock-input-token-count", "4"),
                ("x-amzn-bedrock-output-token-count", "5"),
            ],
        ),
        ("ai21", m) if m.contains("jamba") => (
            json!({"id": "jamba-1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Jamba says hi."}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}, "model": "jamba-1.5-mini"}),
            vec![
                json!({"id": "jamba-2", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Jamba "}, "finish_reason": null}]}),
                json!({"id": "jamba-2", "choices": [{"index": 0, "delta": {"content": "says hi."}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}, "amazon-bedrock-invocationMetrics": metrics(12, 6)}),
            ],
            vec![],
        ),
        ("ai21", _) => (
            json!({"id": 1234, "prompt": {"text": "hi", "tokens": [{}, {}]},
                   "completions": [{"data": {"text": "J2 says hi.", "tokens": [{}, {}, {}, {}]}, "finishReason": {"reason": "endoftext"}}]}),
            vec![],
            vec![],
        ),
        ("mistral", m) if m.contains("large-2407") => (
            json!({"id": "mis-1", "object": "chat.completion", "created": 1, "model": "mistral-large-2407",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "Mistral chat says hi."}, "stop_reason": "stop"}],
                   "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}),
            vec![
                json!({"id": "mis-2", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Mistral "}, "stop_reason": null}]}),
                json!({"id": "mis-2", "choices": [{"index": 0, "message": {"content": "chat says hi."}, "stop_reason": "stop"}], "amazon-bedrock-invocationMetrics": metrics(10, 5)}),
            ],
            vec![],
        ),
        ("mistral", _) => (
            json!({"outputs": [{"text": "Mistral says hi.", "stop_reason": "length"}]}),
            vec![
                json!({"outputs": [{"text": "Mistral ", "stop_reason": null}]}),
                json!({"outputs": [{"text": "says hi.", "stop_reason": "length"}], "amazon-bedrock-invocationMetrics": metrics(6, 4)}),
            ],
            vec![
                ("x-amzn-bedrock-input-token-count", "6"),
                ("x-amzn-bedrock-output-token-count", "4"),
            ],
        ),
        _ => (json!({"result": "unknown model"}), vec![], vec![]),
    }
}

async fn invoke(Path(model): Path<String>, _body: Bytes) -> Response {
    if let Some(e) = common_errors(&model) {
        return e;
    }
    if model == "malformed" {
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("not json at all"))
            .unwrap();
    }
    let model = model.rsplit('/').next().unwrap_or(&model).to_owned();
    let (body, _, headers) = invoke_fixture(&model);
    json_response(StatusCode::OK, body, &headers)
}

async fn invoke_stream(Path(model): Path<String>, _body: Bytes) -> Response {
    if let Some(e) = common_errors(&model) {
        return e;
    }
    let model = model.rsplit('/').next().unwrap_or(&model).to_owned();
    let (_, chunks, _) = invoke_fixture(&model);
    event_stream(chunks.into_iter().map(chunk).collect(), Ending::Complete)
}
