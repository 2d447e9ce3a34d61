//! Every endpoint of the diagnostics router, through the router, against a real pipeline
//! exporting to a loopback receiver.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use axum::http::{StatusCode, header};
use genai_telemetry_core::BridgeConfig;
use genai_telemetry_core::genai::semconv::{operation, provider};
use genai_telemetry_core::genai::{
    GenAiInstrumentation, GenAiRequest, GenAiResponse, InputMessage, MessagePart, TokenUsage,
};
use genai_telemetry_diagnostics::analyzer::MOST_OF_THE_TIME;
use genai_telemetry_diagnostics::{Diagnostics, DiagnosticsSettings};
use genai_telemetry_receiver::ScriptedResponse;
use opentelemetry::trace::{Span as _, Tracer};
use serde_json::Value;
use support::{
    Bridge, OTLP_SECRET, TOKEN, agent_trace, call, failed_call_trace, parse_exposition, sample,
};

fn open() -> DiagnosticsSettings {
    DiagnosticsSettings::default()
}

fn with_token() -> DiagnosticsSettings {
    DiagnosticsSettings::default().with_token(TOKEN)
}

fn capture_on_without_token() -> DiagnosticsSettings {
    DiagnosticsSettings::default().with_content_capture(true)
}

fn capture_on_with_token() -> DiagnosticsSettings {
    with_token().with_content_capture(true)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_index_lists_every_endpoint_with_its_token_rule() {
    let bridge = Bridge::start();
    let router = bridge.router(open());
    let body = call(&router, "GET", "/", None).await.json();
    let paths: Vec<&str> = body["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 13, "{paths:?}");
    assert!(paths.contains(&"/trace_analyzer/{trace_id}?format=text"));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_shows_breaker_last_success_bytes_held_and_reachability_per_destination() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());

    let answer = call(&router, "GET", "/health", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["status"], "ok", "{body:#}");
    assert_eq!(body["service"], "diagnostics-test");
    let otlp = &body["destinations"][0];
    assert_eq!(otlp["destination"], "otlp");
    assert_eq!(otlp["breaker_state"], "closed");
    assert!(otlp["last_success_unix_ms"].as_u64().unwrap() > 0);
    assert_eq!(otlp["bytes_held"], 0);
    assert_eq!(otlp["last_error"], Value::Null);
    assert_eq!(otlp["reachability"]["reachable"], true, "{body:#}");
    let port = bridge
        .receiver
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(otlp["reachability"]["target"], format!("127.0.0.1:{port}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_serves_the_cached_probe_instead_of_probing_on_every_request() {
    let bridge = Bridge::start();
    let router = bridge.router(open().with_probe_interval(Duration::from_secs(3600)));
    let first = call(&router, "GET", "/health", None).await.json();
    let checked = first["destinations"][0]["reachability"]["checked_at_unix_ms"].clone();
    assert!(checked.as_u64().is_some(), "{first:#}");
    for _ in 0..3 {
        let again = call(&router, "GET", "/health", None).await.json();
        assert_eq!(
            again["destinations"][0]["reachability"]["checked_at_unix_ms"],
            checked
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_a_destination_nobody_listens_on_as_failing() {
    let bridge = Bridge::start();
    // A port that was free a moment ago: nothing listens there now.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let config = BridgeConfig::builder()
        .otlp_endpoint(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let otlp = config.otlp.as_ref().unwrap();
    let destination: std::sync::Arc<dyn genai_telemetry_core::Destination> = std::sync::Arc::new(
        genai_telemetry_core::OtlpDestination::new(otlp, Duration::from_secs(1)).unwrap(),
    );
    let pipeline = genai_telemetry_core::Pipeline::start(
        vec![destination],
        config.pipeline.clone(),
        &opentelemetry_sdk::Resource::builder().build(),
    )
    .unwrap();
    let router = Diagnostics::new(pipeline.clone(), config, None, open()).router();
    let body = call(&router, "GET", "/health", None).await.json();
    assert_eq!(body["status"], "degraded", "{body:#}");
    let d = &body["destinations"][0];
    assert_eq!(d["status"], "failing");
    assert_eq!(d["reachability"]["reachable"], false);
    assert!(
        d["reachability"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{d:#}"
    );
    drop(bridge);
    tokio::task::block_in_place(|| pipeline.shutdown(Duration::from_secs(1)));
}

#[tokio::test(flavor = "multi_thread")]
async fn destinations_show_the_effective_configuration_without_secrets() {
    let bridge = Bridge::start();
    let router = bridge.router(open());
    let answer = call(&router, "GET", "/destinations", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.body.contains("s3cret"), "{}", answer.body);
    let body = answer.json();
    let otlp = &body["destinations"][0];
    assert_eq!(otlp["destination"], "otlp");
    assert_eq!(otlp["kind"], "otlp");
    assert_eq!(otlp["endpoint"], bridge.receiver.traces_url());
    assert_eq!(otlp["settings"]["headers"]["authorization"], "<redacted>");
    assert_eq!(otlp["settings"]["gzip"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn circuit_breakers_list_state_opens_and_settings() {
    let bridge = Bridge::start();
    let router = bridge.router(open());
    let body = call(&router, "GET", "/circuit_breakers", None).await.json();
    assert_eq!(body["settings"]["failure_threshold"], 5);
    assert_eq!(body["settings"]["recovery_window"], "30s");
    let otlp = &body["destinations"][0];
    assert_eq!(otlp["destination"], "otlp");
    assert_eq!(otlp["state"], "closed");
    assert_eq!(otlp["opens"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn resetting_a_breaker_is_refused_with_an_explanation_when_no_token_is_configured() {
    let bridge = Bridge::start();
    let router = bridge.router(open());
    let answer = call(&router, "POST", "/circuit_breakers/otlp/reset", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let body = answer.json();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("TELEMETRY_DIAGNOSTICS_TOKEN is not set"),
        "{body:#}"
    );
    assert!(
        body["fix"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    // Even a token is useless while none is configured.
    let answer = call(&router, "POST", "/circuit_breakers/otlp/reset", Some(TOKEN)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn resetting_a_breaker_needs_the_right_token_and_closes_an_open_breaker() {
    let bridge = Bridge::start();
    // One 401 opens the breaker at once; the receiver accepts the retry after the reset.
    bridge
        .receiver
        .faults()
        .respond_next(1, ScriptedResponse::status(401).body("bad key"));
    let _ = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| {
        bridge.wait_until("the breaker to open", |p| {
            p.stats().destinations[0].breaker_opens > 0
        })
    });
    let router = bridge.router(with_token());

    let missing = call(&router, "POST", "/circuit_breakers/otlp/reset", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(
        missing.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = call(
        &router,
        "POST",
        "/circuit_breakers/otlp/reset",
        Some("not-the-token-at-all"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.json()["error"]
            .as_str()
            .unwrap()
            .contains("not the one configured")
    );
    let unknown = call(&router, "POST", "/circuit_breakers/nope/reset", Some(TOKEN)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let reset = call(&router, "POST", "/circuit_breakers/otlp/reset", Some(TOKEN)).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let body = reset.json();
    assert_eq!(body["state_before"], "open");
    assert_eq!(body["state"], "closed");
    // The held batch goes out once the breaker is closed.
    tokio::task::block_in_place(|| {
        bridge.wait_until("delivery", |p| {
            p.stats().destinations[0].spans_delivered == 3
        })
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_show_every_counter_of_every_destination() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let body = call(&router, "GET", "/stats", None).await.json();
    let otlp = &body["destinations"][0];
    assert_eq!(otlp["destination"], "otlp");
    assert_eq!(otlp["spans_enqueued"], 3);
    assert_eq!(otlp["spans_delivered"], 3);
    assert_eq!(otlp["spans_pending"], 0);
    assert_eq!(otlp["dropped_total"], 0);
    for key in [
        "batches_ok",
        "batches_failed",
        "retries",
        "splits",
        "breaker_state",
        "breaker_opens",
        "bytes_held",
        "batches_held",
        "spans_held",
    ] {
        assert!(otlp.get(key).is_some(), "{key} missing: {otlp:#}");
    }
    assert_eq!(otlp["dropped"]["queue_full"], 0);
    assert_eq!(body["sampling"]["kept"], 3);
    assert_eq!(body["trace_ledger"]["capacity"], 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_as_prometheus_text_with_bridge_counters_and_genai_histograms() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let _ = call(&router, "GET", "/health", None).await; // a probe result to show

    let answer = call(&router, "GET", "/metrics", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let samples = parse_exposition(&answer.body);
    let otlp = [("destination", "otlp")];
    assert_eq!(
        sample(&samples, "genai_telemetry_spans_delivered_total", &otlp),
        Some(3.0)
    );
    assert_eq!(
        sample(&samples, "genai_telemetry_spans_enqueued_total", &otlp),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &samples,
            "genai_telemetry_spans_dropped_total",
            &[("destination", "otlp"), ("reason", "overflow")]
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &samples,
            "genai_telemetry_breaker_state",
            &[("destination", "otlp"), ("state", "closed")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&samples, "genai_telemetry_replay_held_bytes", &otlp),
        Some(0.0)
    );
    assert_eq!(
        sample(&samples, "genai_telemetry_destination_reachable", &otlp),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &samples,
            "genai_telemetry_sampling_decisions_total",
            &[("decision", "kept")]
        ),
        Some(3.0)
    );

    let model = [
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_provider_name", "openai"),
        ("gen_ai_response_model", "gpt-4o-mini-2024-07-18"),
    ];
    let input = [model.as_slice(), &[("gen_ai_token_type", "input")]].concat();
    assert_eq!(
        sample(&samples, "gen_ai_client_token_usage_count", &input),
        Some(1.0)
    );
    assert_eq!(
        sample(&samples, "gen_ai_client_token_usage_sum", &input),
        Some(120.0)
    );
    // 120 tokens fall in the (64, 256] bucket: cumulative 0 up to 64, 1 from 256 on.
    let le = |b: &'static str| [input.as_slice(), &[("le", b)]].concat();
    assert_eq!(
        sample(&samples, "gen_ai_client_token_usage_bucket", &le("64.0")),
        Some(0.0)
    );
    assert_eq!(
        sample(&samples, "gen_ai_client_token_usage_bucket", &le("256.0")),
        Some(1.0)
    );
    assert_eq!(
        sample(&samples, "gen_ai_client_token_usage_bucket", &le("+Inf")),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &samples,
            "gen_ai_client_operation_duration_seconds_sum",
            &model
        ),
        Some(2.9)
    );
    assert!(sample(&samples, "genai_telemetry_genai_cost_usd_total", &model).unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trace_made_through_spans_shows_up_in_exported_traces_with_its_numbers() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(capture_on_without_token());

    // Summaries carry no content: open even while capture is on and no token is set.
    let answer = call(&router, "GET", "/exported_traces", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["capacity"], 1000);
    let trace = &body["traces"][0];
    assert_eq!(trace["trace_id"], id.as_str());
    assert_eq!(trace["root_name"], "handle_request");
    assert_eq!(trace["span_count"], 3);
    assert_eq!(trace["duration_ms"], 3120.0);
    assert_eq!(trace["input_tokens"], 120);
    assert_eq!(trace["output_tokens"], 42);
    assert_eq!(trace["cost"], 0.0000432);
    assert_eq!(trace["errors"], 0);
    assert_eq!(trace["delivery"][0]["destination"], "otlp");
    assert_eq!(trace["delivery"][0]["status"], "delivered");
    assert_eq!(trace["delivery"][0]["delivered"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn exported_traces_are_bounded_by_limit_and_newest_first() {
    let bridge = Bridge::start();
    let first = agent_trace(&bridge.tracer());
    let second = failed_call_trace(&bridge.tracer());
    tokio::task::block_in_place(|| {
        bridge.wait_delivered(&first);
        bridge.wait_delivered(&second);
    });
    let router = bridge.router(open());
    let body = call(&router, "GET", "/exported_traces?limit=1", None)
        .await
        .json();
    assert_eq!(body["returned"], 1);
    assert_eq!(body["traces"][0]["trace_id"], second.as_str());
    assert_eq!(body["traces"][0]["errors"], 1);
    let bad = call(&router, "GET", "/exported_traces?limit=many", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("many"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instrumented_llm_call_shows_up_with_tokens_and_cost() {
    let bridge = Bridge::start();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&bridge.provider)
        .without_metrics()
        .build();
    let tracer = bridge.tracer();
    let id = tracer.in_span("answer_question", |_cx| {
        let mut call = instrumentation
            .start_call(GenAiRequest::new(operation::CHAT, provider::OPENAI).model("gpt-4o-mini"));
        call.record_response(GenAiResponse {
            model: Some("gpt-4o-mini".to_owned()),
            usage: TokenUsage {
                input_tokens: Some(1000),
                output_tokens: Some(500),
                ..Default::default()
            },
            ..Default::default()
        });
        let id = call.span_context().unwrap().trace_id().to_string();
        call.end();
        id
    });
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let body = call(&router, "GET", "/exported_traces", None).await.json();
    let trace = &body["traces"][0];
    assert_eq!(trace["trace_id"], id.as_str());
    assert_eq!(trace["root_name"], "answer_question");
    assert_eq!(trace["span_count"], 2);
    assert_eq!(trace["input_tokens"], 1000);
    assert_eq!(trace["output_tokens"], 500);
    // gpt-4o-mini: 0.15 USD per million input tokens, 0.60 per million output tokens.
    let cost = trace["cost"].as_f64().unwrap();
    assert!((cost - 0.00045).abs() < 1e-9, "{cost}");

    let analysis = call(&router, "GET", &format!("/trace_analyzer/{id}"), None)
        .await
        .json();
    let llm = &analysis["tree"][0]["children"][0];
    assert_eq!(llm["name"], "chat gpt-4o-mini");
    assert_eq!(llm["input_tokens"], 1000);
    assert_eq!(llm["model"], "gpt-4o-mini");
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_show_the_spans_of_one_trace_with_parents_and_attributes() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let answer = call(&router, "GET", &format!("/traces/{id}"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["summary"]["trace_id"], id.as_str());
    let spans = body["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 3);
    let root = spans
        .iter()
        .find(|s| s["name"] == "handle_request")
        .unwrap();
    let llm = spans
        .iter()
        .find(|s| s["name"] == "chat gpt-4o-mini")
        .unwrap();
    assert_eq!(llm["parent_span_id"], root["span_id"]);
    assert_eq!(llm["kind"], "client");
    assert_eq!(llm["attributes"]["gen_ai.usage.input_tokens"], 120);
    assert_eq!(root["parent_span_id"], Value::Null);
    assert!(body.get("content_redacted").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_unknown_trace_ids_are_explained() {
    let bridge = Bridge::start();
    let router = bridge.router(open());
    let bad = call(&router, "GET", "/traces/xyz", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["fix"]
            .as_str()
            .unwrap()
            .contains("32 hexadecimal digits")
    );
    let unknown = call(
        &router,
        "GET",
        "/trace_analyzer/0af7651916cd43dd8448eb211c80319c",
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.json()["fix"]
            .as_str()
            .unwrap()
            .contains("last 1000 traces")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn content_endpoints_refuse_with_403_while_capture_is_on_and_no_token_is_configured() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(capture_on_without_token());
    for path in [
        format!("/traces/{id}"),
        format!("/trace_analyzer/{id}?format=text"),
    ] {
        let answer = call(&router, "GET", &path, Some(TOKEN)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        let body = answer.json();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"),
            "{error}"
        );
        assert!(
            error.contains("TELEMETRY_DIAGNOSTICS_TOKEN is not set"),
            "{error}"
        );
        assert!(body["fix"].as_str().unwrap().contains("openssl rand"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn content_endpoints_need_the_right_token_while_capture_is_on() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(capture_on_with_token());
    for path in [format!("/traces/{id}"), format!("/trace_analyzer/{id}")] {
        assert_eq!(
            call(&router, "GET", &path, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{path} without a token"
        );
        assert_eq!(
            call(&router, "GET", &path, Some("wrong-token-wrong-token"))
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "{path} with a wrong token"
        );
        assert_eq!(
            call(&router, "GET", &path, Some(TOKEN)).await.status,
            StatusCode::OK,
            "{path} with the token"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn captured_content_is_redacted_for_callers_without_the_token_when_capture_looks_off() {
    let bridge = Bridge::start();
    // Capture switched on in code, while the diagnostics settings say it is off.
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&bridge.provider)
        .without_metrics()
        .capture_content(true)
        .build();
    let mut request = GenAiRequest::new(operation::CHAT, provider::OPENAI).model("gpt-4o-mini");
    request.input_messages = vec![InputMessage::new(
        "user",
        vec![MessagePart::text("my account number is 12345")],
    )];
    let mut llm = instrumentation.start_call(request);
    let id = llm.span_context().unwrap().trace_id().to_string();
    llm.record_response(GenAiResponse::default());
    llm.end();
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));

    let router = bridge.router(with_token());
    let anonymous = call(&router, "GET", &format!("/traces/{id}"), None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains("12345"), "{}", anonymous.body);
    assert_eq!(anonymous.json()["content_redacted"], 1);
    let authorized = call(&router, "GET", &format!("/traces/{id}"), Some(TOKEN)).await;
    assert!(authorized.body.contains("12345"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_analyzer_finds_the_critical_path_and_the_span_that_took_most_of_the_time() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let body = call(&router, "GET", &format!("/trace_analyzer/{id}"), None)
        .await
        .json();
    assert_eq!(body["duration_ms"], 3120.0);
    assert_eq!(body["span_count"], 3);
    assert_eq!(body["input_tokens"], 120);
    let path: Vec<(&str, f64)> = body["critical_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["critical_ms"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        path,
        [
            ("handle_request", 40.0),
            ("retrieve_context", 180.0),
            ("chat gpt-4o-mini", 2900.0)
        ]
    );
    assert_eq!(body["bottleneck"]["name"], "chat gpt-4o-mini");
    let root = &body["tree"][0];
    assert_eq!(root["name"], "handle_request");
    assert_eq!(root["share_of_total"], 1.0);
    assert_eq!(root["self_ms"], 40.0);
    let llm = &root["children"][1];
    assert_eq!(llm["name"], "chat gpt-4o-mini");
    assert_eq!(llm["duration_ms"], 2900.0);
    assert_eq!(llm["start_offset_ms"], 200.0);
    assert_eq!(llm["output_tokens"], 42);
    assert_eq!(llm["cost"], 0.0000432);
    assert_eq!(llm["on_critical_path"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_analyzer_as_text_is_an_indented_tree_pointing_at_the_slow_call() {
    let bridge = Bridge::start();
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let answer = call(
        &router,
        "GET",
        &format!("/trace_analyzer/{id}?format=text"),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = answer.body;
    assert!(text.contains("\nhandle_request 3120ms 100%\n"), "{text}");
    assert!(text.contains("\n  retrieve_context 180ms 6%\n"), "{text}");
    assert!(
        text.contains(&format!(
            "\n  chat gpt-4o-mini 2900ms 93% [120 in / 42 out tokens, $0.000043] {MOST_OF_THE_TIME}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "critical path: handle_request 40ms → retrieve_context 180ms → chat gpt-4o-mini 2900ms"
        ),
        "{text}"
    );
    let bad = call(
        &router,
        "GET",
        &format!("/trace_analyzer/{id}?format=xml"),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_analyzer_shows_errors_per_span() {
    let bridge = Bridge::start();
    let id = failed_call_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let body = call(&router, "GET", &format!("/trace_analyzer/{id}"), None)
        .await
        .json();
    assert_eq!(body["errors"], 1);
    assert_eq!(body["tree"][0]["status"], "error");
    assert_eq!(body["tree"][0]["error"], "rate limited");
    let text = call(
        &router,
        "GET",
        &format!("/trace_analyzer/{id}?format=text"),
        None,
    )
    .await
    .body;
    assert!(text.contains("✗ rate limited"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_list_recent_export_failures_with_destination_status_and_message() {
    let bridge = Bridge::start();
    bridge.receiver.faults().respond_next(
        1,
        ScriptedResponse::status(503).body("collector overloaded"),
    );
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(open());
    let body = call(&router, "GET", "/failures", None).await.json();
    assert_eq!(body["returned"], 1, "{body:#}");
    let failure = &body["failures"][0];
    assert_eq!(failure["destination"], "otlp");
    assert_eq!(failure["status"], 503);
    assert_eq!(failure["kind"], "transient");
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("collector overloaded")
    );
    assert!(failure["at_unix_ms"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn flush_always_needs_the_token_and_reports_what_was_delivered() {
    let bridge = Bridge::start();
    let router = bridge.router(open());
    assert_eq!(
        call(&router, "POST", "/flush", None).await.status,
        StatusCode::FORBIDDEN
    );

    let router = bridge.router(with_token());
    assert_eq!(
        call(&router, "POST", "/flush", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&router, "POST", "/flush", Some("wrong-token-wrong-token"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let _ = agent_trace(&bridge.tracer());
    let answer = call(&router, "POST", "/flush?timeout=10s", Some(TOKEN)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["complete"], true, "{body:#}");
    assert_eq!(body["timeout_ms"], 10_000);
    let otlp = &body["destinations"][0];
    assert_eq!(otlp["destination"], "otlp");
    assert_eq!(otlp["complete"], true);
    assert_eq!(otlp["spans_pending"], 0);
    assert_eq!(bridge.receiver.unique_span_ids().len(), 3);
    let bad = call(&router, "POST", "/flush?timeout=later", Some(TOKEN)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_shows_the_effective_configuration_with_secrets_redacted() {
    let bridge = Bridge::start();
    let config = BridgeConfig::builder()
        .service_name("checkout-assistant")
        .langfuse("pk-lf-public", "sk-lf-very-secret")
        .otlp_endpoint(bridge.receiver.endpoint())
        .otlp_header("authorization", OTLP_SECRET)
        .build()
        .unwrap();
    let router = Diagnostics::new(bridge.pipeline.clone(), config, None, with_token()).router();
    let answer = call(&router, "GET", "/config", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        !answer.body.contains("sk-lf-very-secret"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("s3cret"), "{}", answer.body);
    assert!(!answer.body.contains(TOKEN), "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["config"]["service"]["name"], "checkout-assistant");
    assert_eq!(body["config"]["langfuse"]["public_key"], "pk-lf-public");
    assert_eq!(body["config"]["langfuse"]["secret_key"], "<redacted>");
    assert_eq!(body["config"]["pipeline"]["recent_traces"], 1000);
    assert_eq!(body["diagnostics"]["token_configured"], true);
    assert_eq!(body["diagnostics"]["probe_interval"], "30s");
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_sampling_decisions_show_in_stats_metrics_and_sampling() {
    let bridge = Bridge::start_tail_sampling();
    let t = bridge.tracer();
    let slow = agent_trace(&t); // 3.12 s root: kept as slow
    let failed = failed_call_trace(&t); // error: kept
    t.start("fast and fine").end(); // dropped at rate 0
    tokio::task::block_in_place(|| {
        assert!(bridge.pipeline.flush(Duration::from_secs(10)).complete);
    });
    let router = bridge.router(open());

    let body = call(&router, "GET", "/stats", None).await.json();
    let tail = &body["tail_sampling"];
    assert_eq!(tail["kept"]["slow"], 1, "{body:#}");
    assert_eq!(tail["kept"]["error"], 1);
    assert_eq!(tail["dropped"], 1);
    assert_eq!(tail["spans_kept"], 4);
    assert_eq!(tail["spans_dropped"], 1);
    assert_eq!(tail["traces_in_progress"], 0);
    assert_eq!(body["destinations"][0]["spans_delivered"], 4);
    assert_eq!(bridge.receiver.stats().unique_spans, 4);
    for id in [&slow, &failed] {
        assert!(
            bridge.pipeline.trace(id).is_some(),
            "kept trace {id} is in the ledger"
        );
    }

    let samples = parse_exposition(&call(&router, "GET", "/metrics", None).await.body);
    let traces = "genai_telemetry_tail_sampling_traces_total";
    assert_eq!(
        sample(
            &samples,
            traces,
            &[("decision", "kept"), ("reason", "slow")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &samples,
            traces,
            &[("decision", "dropped"), ("reason", "none")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &samples,
            "genai_telemetry_tail_sampling_spans_total",
            &[("decision", "kept"), ("late", "false")]
        ),
        Some(4.0)
    );
    assert_eq!(
        sample(
            &samples,
            "genai_telemetry_tail_sampling_traces_in_progress",
            &[]
        ),
        Some(0.0)
    );

    let body = call(&router, "GET", "/sampling", None).await.json();
    assert_eq!(body["rate"], 0.0);
    assert_eq!(body["strategy"], "parent_based(always_on)+tail");
    assert_eq!(body["kept"], 5, "the head records every local span");
    assert_eq!(body["tail"]["rules"]["keep_slower_than"], "3s");
    assert_eq!(body["tail"]["counts"]["kept"]["error"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sampling_shows_the_rate_and_the_spans_kept_and_dropped() {
    let bridge = Bridge::start();
    let _ = agent_trace(&bridge.tracer());
    let router = bridge.router(open());
    let body = call(&router, "GET", "/sampling", None).await.json();
    assert_eq!(body["rate"], 1.0);
    assert_eq!(body["strategy"], "parent_based(always_on)");
    assert_eq!(body["kept"], 3);
    assert_eq!(body["dropped"], 0);
    assert_eq!(body["kept_ratio"], 1.0);

    let without_sampler =
        Diagnostics::new(bridge.pipeline.clone(), bridge.config.clone(), None, open()).router();
    let body = call(&without_sampler, "GET", "/sampling", None)
        .await
        .json();
    assert_eq!(body["rate"], 1.0);
    assert_eq!(body["kept"], Value::Null);
    assert!(body["note"].as_str().unwrap().contains("CountingSampler"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_router_mounts_under_a_prefix() {
    let bridge = Bridge::start();
    let app = axum::Router::new().nest("/telemetry", bridge.router(open()));
    assert_eq!(
        call(&app, "GET", "/telemetry/stats", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "GET", "/telemetry/nope", None).await.status,
        StatusCode::NOT_FOUND
    );
}
