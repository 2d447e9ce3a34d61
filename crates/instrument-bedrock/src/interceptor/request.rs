//! What a Bedrock call asks for, read from the serialized request: the model id from the
//! URL path, the body (Converse or a model family's `InvokeModel` format), the guardrail.

use genai_telemetry_core::genai::GenAiRequest;
use genai_telemetry_core::genai::semconv::{attr, operation, provider};
use opentelemetry::KeyValue;
use serde_json::Value;

use crate::converse;
use crate::family::BedrockModelFamily;

/// The four instrumented operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Converse,
    ConverseStream,
    InvokeModel,
    InvokeModelWithResponseStream,
}

impl Operation {
    /// From the (type-erased) operation input.
    pub(crate) fn of_input(
        input: &aws_smithy_runtime_api::client::interceptors::context::Input,
    ) -> Option<Self> {
        use aws_sdk_bedrockruntime::operation as op;
        if input.downcast_ref::<op::converse::ConverseInput>().is_some() {
            Some(Self::Converse)
        } else if input
            .downcast_ref::<op::converse_stream::ConverseStreamInput>()
            .is_some()
        {
            Some(Self::ConverseStream)
        } else if input
            .downcast_ref::<op::invoke_model::InvokeModelInput>()
            .is_some()
        {
            Some(Self::InvokeModel)
        } else if input
            .downcast_ref::<op::invoke_model_with_response_stream::InvokeModelWithResponseStreamInput>()
            .is_some()
        {
            Some(Self::InvokeModelWithResponseStream)
        } else {
            None
        }
    }

    pub(crate) fn is_stream(self) -> bool {
        matches!(
            self,
            Self::ConverseStream | Self::InvokeModelWithResponseStream
        )
    }

    pub(crate) fn is_converse(self) -> bool {
        matches!(self, Self::Converse | Self::ConverseStream)
    }
}

/// `/model/{modelId}/converse` → the (percent-decoded) model id.
pub(crate) fn model_id_from_path(uri: &str) -> Option<String> {
    let path = match uri.find("://") {
        Some(i) => {
            let rest = &uri[i + 3..];
            &rest[rest.find('/').unwrap_or(rest.len())..]
        }
        None => uri,
    };
    let path = path.split('?').next().unwrap_or(path);
    let encoded = path.strip_prefix("/model/")?.rsplit_once('/')?.0;
    Some(
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// Builds the request description from the serialized HTTP request.
pub(crate) fn describe(
    op: Operation,
    uri: &str,
    guardrail_header: Option<&str>,
    body: Option<&[u8]>,
    capture: bool,
) -> (GenAiRequest, BedrockModelFamily) {
    let model = model_id_from_path(uri);
    let json: Value = body
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    let family = if op.is_converse() {
        BedrockModelFamily::Unknown
    } else {
        BedrockModelFamily::detect(model.as_deref().unwrap_or_default(), &json)
    };
    let operation = if op.is_converse() {
        operation::CHAT
    } else {
        family.operation()
    };
    let mut request = GenAiRequest::new(operation, provider::AWS_BEDROCK);
    request.model = model;
    if op.is_converse() {
        converse::read_request(&json, capture, &mut request);
    } else {
        family.read_request(&json, capture, &mut request);
        if let Some(guardrail) = guardrail_header {
            request.attributes.push(KeyValue::new(
                attr::AWS_BEDROCK_GUARDRAIL_ID,
                guardrail.to_owned(),
            ));
        }
    }
    // After the body parsers: OpenAI-shaped bodies carry their own (absent) `stream`.
    request.stream = op.is_stream();
    (request, family)
}

/// `server.address` and `server.port` from an absolute URI.
pub(crate) fn server_of(uri: &str) -> Option<(String, Option<u16>)> {
    let parsed: http::Uri = uri.parse().ok()?;
    let host = parsed.host()?.to_owned();
    let port = parsed.port_u16().or(match parsed.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_id_is_read_back_from_an_encoded_path() {
        assert_eq!(
            model_id_from_path("https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse").as_deref(),
            Some("us.anthropic.claude-3-5-sonnet-20240620-v1:0")
        );
        assert_eq!(
            model_id_from_path("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0/invoke").as_deref(),
            Some("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0")
        );
    }
}
