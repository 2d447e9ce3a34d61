#![allow(clippy::unwrap_used, clippy::print_stderr)]
mod support;
use genai_telemetry_diagnostics::DiagnosticsSettings;
use genai_telemetry_receiver::ScriptedResponse;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn dump() {
    let bridge = Bridge::start();
    bridge.receiver.faults().respond_next(
        1,
        ScriptedResponse::status(503).body("collector overloaded"),
    );
    let id = agent_trace(&bridge.tracer());
    tokio::task::block_in_place(|| bridge.wait_delivered(&id));
    let router = bridge.router(
        DiagnosticsSettings::default()
            .with_token(TOKEN)
            .with_content_capture(true),
    );
    for (m, p) in [
        ("GET", "/"),
        ("GET", "/health"),
        ("GET", "/destinations"),
        ("GET", "/circuit_breakers"),
        ("GET", "/stats"),
        ("GET", "/exported_traces?limit=1"),
        ("GET", "/failures"),
        ("GET", "/config"),
        ("GET", "/sampling"),
        ("POST", "/circuit_breakers/otlp/reset"),
        ("POST", "/flush?timeout=2s"),
    ] {
        let a = call(&router, m, p, Some(TOKEN)).await;
        eprintln!(
            "==== {m} {p} {}\n{}",
            a.status,
            serde_json::to_string_pretty(&a.json()).unwrap()
        );
    }
    let a = call(&router, "GET", &format!("/traces/{id}"), Some(TOKEN)).await;
    eprintln!(
        "==== traces\n{}",
        serde_json::to_string_pretty(&a.json()).unwrap()
    );
    let a = call(
        &router,
        "GET",
        &format!("/trace_analyzer/{id}"),
        Some(TOKEN),
    )
    .await;
    eprintln!(
        "==== analyzer\n{}",
        serde_json::to_string_pretty(&a.json()).unwrap()
    );
    let a = call(
        &router,
        "GET",
        &format!("/trace_analyzer/{id}?format=text"),
        Some(TOKEN),
    )
    .await;
    eprintln!("==== analyzer text\n{}", a.body);
    let a = call(&router, "GET", &format!("/traces/{id}"), None).await;
    eprintln!("==== 401 {}\n{}", a.status, a.body);
    let r2 = bridge.router(DiagnosticsSettings::default().with_content_capture(true));
    let a = call(&r2, "GET", &format!("/traces/{id}"), None).await;
    eprintln!("==== 403 {}\n{}", a.status, a.body);
    let a = call(&r2, "POST", "/flush", None).await;
    eprintln!("==== 403 flush {}\n{}", a.status, a.body);
    let a = call(&router, "GET", "/metrics", None).await;
    eprintln!("==== metrics\n{}", a.body);
}
