//! OTLP/gRPC to the agent's 4317 (feature `grpc`), proven against a real tonic server on
//! loopback that records every request with its metadata.
#![cfg(feature = "grpc")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    AGENT_KEY, Harness, emit_generation, eventually, fast_pipeline, resource, settings_with,
};
use genai_telemetry_core::{Destination, PipelineSettings};
use genai_telemetry_instana::InstanaGrpcDestination;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use tonic::metadata::MetadataMap;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Response, Status};

type Recorded = Arc<Mutex<Vec<(MetadataMap, ExportTraceServiceRequest)>>>;

#[derive(Clone)]
struct Agent {
    recorded: Recorded,
    /// Answer with this code instead of accepting.
    refuse: Option<Code>,
}

#[tonic::async_trait]
impl TraceService for Agent {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let metadata = request.metadata().clone();
        self.recorded
            .lock()
            .unwrap()
            .push((metadata, request.into_inner()));
        match self.refuse {
            Some(code) => Err(Status::new(code, "agent key refused")),
            None => Ok(Response::new(ExportTraceServiceResponse::default())),
        }
    }
}

struct GrpcAgent {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    recorded: Recorded,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl GrpcAgent {
    fn start(refuse: Option<Code>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let recorded = Recorded::default();
        let agent = Agent {
            recorded: Arc::clone(&recorded),
            refuse,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (addr, served) = runtime.block_on(async {
            let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = incoming.local_addr().unwrap();
            let served = tokio::spawn(
                Server::builder()
                    .add_service(TraceServiceServer::new(agent))
                    .serve_with_incoming_shutdown(incoming, async {
                        let _ = stopped.await;
                    }),
            );
            (addr, served)
        });
        Self {
            runtime,
            addr,
            recorded,
            stop: Some(stop),
            served: Some(served),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<(MetadataMap, ExportTraceServiceRequest)> {
        self.recorded.lock().unwrap().clone()
    }

    fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let served = self.served.take().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), served).await })
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

fn grpc_harness(endpoint: &str, pipeline: PipelineSettings) -> Harness {
    let settings = settings_with(endpoint, |b| b.instana_api_key(AGENT_KEY));
    let destination: Arc<dyn Destination> =
        Arc::new(InstanaGrpcDestination::new(&settings, &pipeline).unwrap());
    assert_eq!(destination.name(), "instana");
    assert!(!destination.gzip());
    Harness::start(vec![destination], pipeline, resource(&[]))
}

fn string_attribute<'a>(request: &'a ExportTraceServiceRequest, key: &str) -> Option<&'a str> {
    request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .flat_map(|s| &s.attributes)
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        })
}

#[test]
fn spans_reach_the_agent_over_grpc_with_the_instana_view_and_key() {
    let agent = GrpcAgent::start(None);
    let h = grpc_harness(&agent.endpoint(), fast_pipeline());
    for _ in 0..3 {
        emit_generation(&h.provider);
    }
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(report.delivered("instana"), Some(3), "{report:?}");

    let requests = agent.requests();
    assert!(!requests.is_empty());
    let spans: usize = requests
        .iter()
        .flat_map(|(_, r)| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(spans, 3);
    for (metadata, request) in &requests {
        assert_eq!(
            metadata.get("x-instana-key").unwrap().to_str().unwrap(),
            AGENT_KEY
        );
        // The Instana view ran: OpenLLMetry keys next to the semantic conventions.
        assert_eq!(string_attribute(request, "llm.request.type"), Some("chat"));
        assert_eq!(string_attribute(request, "gen_ai.system"), Some("openai"));
    }
    agent.stop();
}

#[test]
fn an_unauthenticated_answer_opens_the_breaker() {
    let agent = GrpcAgent::start(Some(Code::Unauthenticated));
    // A recovery window longer than the test, so that no probe re-opens the breaker.
    let mut pipeline = fast_pipeline();
    pipeline.breaker.recovery_window = Duration::from_secs(30);
    pipeline.breaker.max_recovery_window = Duration::from_secs(60);
    let h = grpc_harness(&agent.endpoint(), pipeline);
    emit_generation(&h.provider);
    eventually("the export is refused", || {
        h.pipeline
            .stats()
            .destination("instana")
            .unwrap()
            .breaker_opens
            >= 1
    });
    let stats = h.pipeline.stats().destination("instana").unwrap().clone();
    h.pipeline.shutdown(Duration::from_millis(100));
    assert_eq!(stats.breaker_opens, 1, "{stats:?}");
    let last_error = stats.last_error.unwrap();
    assert_eq!(last_error.kind, "unauthorized");
    assert!(
        last_error.message.contains("agent key refused"),
        "{last_error:?}"
    );
    assert!(!agent.requests().is_empty());
    agent.stop();
}

#[test]
fn https_endpoints_are_refused_at_construction() {
    let settings = settings_with("https://agent.example:4317", |b| {
        b.instana_api_key(AGENT_KEY)
    });
    let error = InstanaGrpcDestination::new(&settings, &fast_pipeline()).unwrap_err();
    assert!(
        error.to_string().contains("TLS over gRPC is not supported"),
        "{error}"
    );
}
