//! [`BedrockTelemetryInterceptor`]: the `Intercept` hooks that start, feed and end the span.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use genai_telemetry_core::genai::body::ObservedBody;
use genai_telemetry_core::genai::semconv::provider;
use genai_telemetry_core::genai::{GenAiInstrumentation, GenAiRequest};

use super::body::{CallCell, EventStreamObserver, lock};
use super::request::{Operation, describe, server_of};
use super::response;
use crate::family::BedrockModelFamily;

/// Records every `Converse`, `ConverseStream`, `InvokeModel` and
/// `InvokeModelWithResponseStream` call of the client it is registered on (other
/// operations are not touched). Register it with
/// `aws_sdk_bedrockruntime::config::Builder::interceptor`.
///
/// Retries are attempts inside one span; an error before any byte was sent (credentials,
/// endpoint) still produces a failed span.
#[derive(Debug, Clone)]
pub struct BedrockTelemetryInterceptor {
    instrumentation: GenAiInstrumentation,
}

impl BedrockTelemetryInterceptor {
    /// An interceptor recording through `instrumentation`.
    pub fn new(instrumentation: GenAiInstrumentation) -> Self {
        Self { instrumentation }
    }
}

/// Per-execution state, kept in the execution's config bag.
#[derive(Debug, Clone)]
struct Execution(Arc<Mutex<ExecutionState>>);

#[derive(Debug)]
struct ExecutionState {
    op: Operation,
    started: Instant,
    request: Option<GenAiRequest>,
    family: BedrockModelFamily,
    call_started: bool,
    streaming: bool,
    cell: CallCell,
}

impl Storable for Execution {
    type Storer = StoreReplace<Self>;
}

impl Execution {
    fn state(&self) -> std::sync::MutexGuard<'_, ExecutionState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BedrockTelemetryInterceptor {
    fn start_call(&self, state: &mut ExecutionState, uri: Option<&str>) {
        if state.call_started {
            return;
        }
        let mut request = state.request.take().unwrap_or_else(|| {
            GenAiRequest::new(
                if state.op.is_converse() {
                    genai_telemetry_core::genai::semconv::operation::CHAT
                } else {
                    state.family.operation()
                },
                provider::AWS_BEDROCK,
            )
        });
        if let Some((host, port)) = uri.and_then(server_of) {
            request.server_address = Some(host);
            request.server_port = port;
        }
        let call = self.instrumentation.start_call_at(request, state.started);
        *lock(&state.cell) = Some(call);
        state.call_started = true;
    }
}

impl Intercept for BedrockTelemetryInterceptor {
    fn name(&self) -> &'static str {
        "GenAiTelemetryInterceptor"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Client interceptors run before the operation's configuration (and its
        // `Metadata`) is in the bag; the input's type says which operation this is.
        if let Some(op) = Operation::of_input(context.input()) {
            cfg.interceptor_state()
                .store_put(Execution(Arc::new(Mutex::new(ExecutionState {
                    op,
                    started: Instant::now(),
                    request: None,
                    family: BedrockModelFamily::Unknown,
                    call_started: false,
                    streaming: false,
                    cell: Arc::new(Mutex::new(None)),
                }))));
        }
        Ok(())
    }

    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(execution) = cfg.load::<Execution>() else {
            return Ok(());
        };
        let request = context.request();
        let mut state = execution.state();
        let (described, family) = describe(
            state.op,
            request.uri(),
            request.headers().get("x-amzn-bedrock-guardrailidentifier"),
            request.body().bytes(),
            self.instrumentation.capture_content(),
        );
        state.request = Some(described);
        state.family = family;
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(execution) = cfg.load::<Execution>() {
            let mut state = execution.state();
            self.start_call(&mut state, Some(context.request().uri()));
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(execution) = cfg.load::<Execution>() else {
            return Ok(());
        };
        let mut state = execution.state();
        if !state.op.is_stream() || !context.response().status().is_success() {
            return Ok(());
        }
        let observer = EventStreamObserver::new(
            Arc::clone(&state.cell),
            state.op,
            state.family,
            self.instrumentation.capture_content(),
        );
        let response = context.response_mut();
        let body = response.take_body();
        *response.body_mut() = SdkBody::from_body_1_x(ObservedBody::new(body, observer));
        state.streaming = true;
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(execution) = cfg.load::<Execution>() else {
            return Ok(());
        };
        let mut state = execution.state();
        let result = context.output_or_error();
        if state.streaming && matches!(result, Some(Ok(_))) {
            // The stream observer ends the span when the application is done reading.
            return Ok(());
        }
        self.start_call(&mut state, None);
        let Some(mut call) = lock(&state.cell).take() else {
            return Ok(());
        };
        let capture = self.instrumentation.capture_content();
        match result {
            Some(Ok(_)) => {
                if let Some(http) = context.response() {
                    match response::read(
                        state.op,
                        state.family,
                        http.headers(),
                        http.body().bytes(),
                        capture,
                    ) {
                        Ok(parsed) => call.record_response(parsed),
                        Err(message) => call.record_error("invalid_response", message),
                    }
                }
            }
            Some(Err(error)) => match context.response() {
                Some(http) if !http.status().is_success() => {
                    let (kind, message) = response::error_of(
                        http.status().as_u16(),
                        http.headers(),
                        http.body().bytes(),
                    );
                    call.record_error(kind, message);
                }
                Some(_) => call.record_error(
                    "invalid_response",
                    format!("the response could not be read: {error}"),
                ),
                None => {
                    let kind = if error.is_timeout_error() {
                        "timeout"
                    } else if error.is_connector_error() {
                        "connection_error"
                    } else if error.is_response_error() {
                        "invalid_response"
                    } else {
                        "_OTHER"
                    };
                    call.record_error(kind, error.to_string());
                }
            },
            None => call.record_error("_OTHER", "the call ended without a result"),
        }
        call.end();
        Ok(())
    }
}
