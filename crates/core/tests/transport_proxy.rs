//! The OTLP/HTTP transport and the environment's proxy: a loopback destination (a local
//! Instana agent or Collector) is reached directly even when `HTTP_PROXY`/`HTTPS_PROXY`/
//! `ALL_PROXY` name a proxy, and every other destination still goes through that proxy.
//!
//! reqwest reads the proxy variables when a client is built, and changing the environment of
//! this process would race the other tests, so the transport runs in a child process (this
//! test binary again) started with the variables set, against a real receiver and a stand-in
//! proxy on loopback that records what it was asked to forward.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genai_telemetry_core::ExportOutcome;
use genai_telemetry_core::config::TlsSettings;
use genai_telemetry_core::destination::{HttpTransport, HttpTransportSettings};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};

const CHILD_URLS: &str = "GTB_PROXY_CHILD_URLS";
/// A host that does not resolve: reaching it at all proves the request went to the proxy.
const REMOTE_URL: &str = "http://otlp.example.invalid:4318/v1/traces";

/// A forward proxy that forwards nothing: it records each request line and answers 502.
struct StandInProxy {
    url: String,
    request_lines: Arc<Mutex<Vec<String>>>,
}

impl StandInProxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let request_lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&request_lines);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || answer(stream, &seen));
            }
        });
        Self { url, request_lines }
    }

    fn request_lines(&self) -> Vec<String> {
        self.request_lines.lock().unwrap().clone()
    }
}

fn answer(stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    seen.lock().unwrap().push(line.trim_end().to_owned());
    // The rest of the head; the body is not needed to answer.
    let mut header = String::new();
    while reader.read_line(&mut header).unwrap_or(0) > 2 {
        header.clear();
    }
    let mut stream = stream;
    let _ = stream.write_all(
        b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 9\r\nconnection: close\r\n\r\nPROXY-HIT",
    );
}

#[test]
fn loopback_destinations_bypass_the_proxy_and_remote_ones_use_it() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new().name("local-agent")).unwrap();
    let proxy = StandInProxy::start();
    let by_address = receiver.traces_url();
    let by_name = by_address.replace("127.0.0.1", "localhost");
    let urls = [by_address.as_str(), by_name.as_str(), REMOTE_URL].join(" ");

    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "proxy_child_process", "--ignored", "--nocapture"])
        .env(CHILD_URLS, &urls)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for variable in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        child.env(variable, &proxy.url);
    }
    let output = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcomes: Vec<(&str, &str)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("outcome "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(
        outcomes,
        [
            (by_address.as_str(), "delivered"),
            (by_name.as_str(), "delivered"),
            (REMOTE_URL, "transient"),
        ],
        "{stdout}"
    );
    assert!(stdout.contains("PROXY-HIT"), "the proxy's answer: {stdout}");
    assert_eq!(
        receiver.stats().accepted_requests,
        2,
        "both loopback URLs reached the receiver directly"
    );
    assert_eq!(
        proxy.request_lines(),
        [format!("POST {REMOTE_URL} HTTP/1.1")],
        "only the remote destination went through the proxy"
    );
}

/// Not a test: the child process of the test above (this binary, run again with
/// `GTB_PROXY_CHILD_URLS` and the proxy variables set). Without that variable it does nothing.
#[test]
#[ignore = "the child process of loopback_destinations_bypass_the_proxy_and_remote_ones_use_it"]
fn proxy_child_process() {
    let Ok(urls) = std::env::var(CHILD_URLS) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = std::io::stdout().lock();
    for url in urls.split(' ') {
        let transport = HttpTransport::new(HttpTransportSettings {
            destination: "proxy-test".to_owned(),
            url: url.parse().unwrap(),
            headers: http::HeaderMap::new(),
            tls: TlsSettings::default(),
            timeout: Duration::from_secs(10),
        })
        .unwrap();
        // An empty ExportTraceServiceRequest: valid OTLP protobuf of zero bytes.
        let outcome = runtime.block_on(transport.post(bytes::Bytes::new(), false));
        writeln!(out, "outcome {url} {}", outcome.label()).unwrap();
        if let ExportOutcome::Transient { reason, .. } = outcome {
            writeln!(out, "reason {reason}").unwrap();
        }
    }
}
