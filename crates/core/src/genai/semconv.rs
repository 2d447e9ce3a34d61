//! Names from the OpenTelemetry GenAI semantic conventions v1.41 (the last release that
//! carried them), plus the few keys this project adds and documents itself.
//!
//! Every attribute, metric and value the instrumentation writes comes from here, so a move
//! to a later convention is a change in one file.

/// Schema URL of the conventions the spans follow.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.41.0";

/// Attribute keys (span and metric attributes).
pub mod attr {
    /// `gen_ai.operation.name`: what the call does (see [`super::operation`]).
    pub const OPERATION_NAME: &str = "gen_ai.operation.name";
    /// `gen_ai.provider.name`: who serves the model (see [`super::provider`]).
    pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
    /// `gen_ai.request.model`: the model name exactly as requested.
    pub const REQUEST_MODEL: &str = "gen_ai.request.model";
    /// `gen_ai.request.max_tokens`.
    pub const REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
    /// `gen_ai.request.temperature`.
    pub const REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
    /// `gen_ai.request.top_p`.
    pub const REQUEST_TOP_P: &str = "gen_ai.request.top_p";
    /// `gen_ai.request.top_k`.
    pub const REQUEST_TOP_K: &str = "gen_ai.request.top_k";
    /// `gen_ai.request.frequency_penalty`.
    pub const REQUEST_FREQUENCY_PENALTY: &str = "gen_ai.request.frequency_penalty";
    /// `gen_ai.request.presence_penalty`.
    pub const REQUEST_PRESENCE_PENALTY: &str = "gen_ai.request.presence_penalty";
    /// `gen_ai.request.stop_sequences`.
    pub const REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
    /// `gen_ai.request.seed`.
    pub const REQUEST_SEED: &str = "gen_ai.request.seed";
    /// `gen_ai.request.choice.count` (only when not 1).
    pub const REQUEST_CHOICE_COUNT: &str = "gen_ai.request.choice.count";
    /// `gen_ai.request.stream`: set (to `true`) if and only if the request streams.
    pub const REQUEST_STREAM: &str = "gen_ai.request.stream";
    /// `gen_ai.request.encoding_formats` (embeddings).
    pub const REQUEST_ENCODING_FORMATS: &str = "gen_ai.request.encoding_formats";
    /// `gen_ai.output.type`: `text`, `json`, `image`, `speech`.
    pub const OUTPUT_TYPE: &str = "gen_ai.output.type";
    /// `gen_ai.conversation.id`.
    pub const CONVERSATION_ID: &str = "gen_ai.conversation.id";
    /// `gen_ai.response.id`.
    pub const RESPONSE_ID: &str = "gen_ai.response.id";
    /// `gen_ai.response.model`: the model that actually answered.
    pub const RESPONSE_MODEL: &str = "gen_ai.response.model";
    /// `gen_ai.response.finish_reasons`: normalised, one per choice.
    pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
    /// `gen_ai.response.time_to_first_chunk`: seconds from request to first chunk (streams).
    pub const RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
    /// `gen_ai.usage.input_tokens`: all input tokens, cached ones included.
    pub const USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
    /// `gen_ai.usage.output_tokens`: all output tokens, reasoning ones included.
    pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
    /// `gen_ai.usage.cache_read.input_tokens` (part of the input tokens).
    pub const USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
    /// `gen_ai.usage.cache_creation.input_tokens` (part of the input tokens).
    pub const USAGE_CACHE_CREATION_INPUT_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
    /// `gen_ai.usage.reasoning.output_tokens` (part of the output tokens).
    pub const USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
    /// `gen_ai.system_instructions` (opt-in content, JSON string).
    pub const SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
    /// `gen_ai.input.messages` (opt-in content, JSON string).
    pub const INPUT_MESSAGES: &str = "gen_ai.input.messages";
    /// `gen_ai.output.messages` (opt-in content, JSON string).
    pub const OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
    /// `gen_ai.tool.definitions` (opt-in content, JSON string).
    pub const TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
    /// `gen_ai.token.type` (metric attribute): `input` or `output`.
    pub const TOKEN_TYPE: &str = "gen_ai.token.type";
    /// `gen_ai.agent.name`.
    pub const AGENT_NAME: &str = "gen_ai.agent.name";
    /// `gen_ai.agent.id`.
    pub const AGENT_ID: &str = "gen_ai.agent.id";
    /// `gen_ai.agent.description`.
    pub const AGENT_DESCRIPTION: &str = "gen_ai.agent.description";
    /// `gen_ai.tool.name`.
    pub const TOOL_NAME: &str = "gen_ai.tool.name";
    /// `gen_ai.tool.call.id`.
    pub const TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
    /// `gen_ai.tool.description`.
    pub const TOOL_DESCRIPTION: &str = "gen_ai.tool.description";
    /// `gen_ai.tool.type`: `function`, `extension`, `datastore`.
    pub const TOOL_TYPE: &str = "gen_ai.tool.type";
    /// `gen_ai.tool.call.arguments` (opt-in content).
    pub const TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
    /// `gen_ai.tool.call.result` (opt-in content).
    pub const TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
    /// `server.address`.
    pub const SERVER_ADDRESS: &str = "server.address";
    /// `server.port`.
    pub const SERVER_PORT: &str = "server.port";
    /// `error.type`.
    pub const ERROR_TYPE: &str = "error.type";
    /// `openai.api.type`: `chat_completions` or `responses`.
    pub const OPENAI_API_TYPE: &str = "openai.api.type";
    /// `openai.request.service_tier` (only when not `auto`).
    pub const OPENAI_REQUEST_SERVICE_TIER: &str = "openai.request.service_tier";
    /// `openai.response.service_tier`.
    pub const OPENAI_RESPONSE_SERVICE_TIER: &str = "openai.response.service_tier";
    /// `openai.response.system_fingerprint`.
    pub const OPENAI_RESPONSE_SYSTEM_FINGERPRINT: &str = "openai.response.system_fingerprint";
    /// `aws.bedrock.guardrail.id`.
    pub const AWS_BEDROCK_GUARDRAIL_ID: &str = "aws.bedrock.guardrail.id";
    /// `aws.bedrock.knowledge_base.id`.
    pub const AWS_BEDROCK_KNOWLEDGE_BASE_ID: &str = "aws.bedrock.knowledge_base.id";
}

/// Keys this project adds. They are outside `gen_ai.usage.*` on purpose (except the
/// total, which Langfuse reads): Langfuse sums every other `gen_ai.usage.*` key into
/// token usage.
pub mod bridge {
    /// `gen_ai.usage.cost`: total cost of the call in USD (double). Read by Langfuse.
    pub const COST_TOTAL: &str = "gen_ai.usage.cost";
    /// `genai_telemetry.cost.input`: USD for uncached input tokens.
    pub const COST_INPUT: &str = "genai_telemetry.cost.input";
    /// `genai_telemetry.cost.output`: USD for output tokens (reasoning included).
    pub const COST_OUTPUT: &str = "genai_telemetry.cost.output";
    /// `genai_telemetry.cost.cache_read`: USD for input tokens read from a prompt cache.
    pub const COST_CACHE_READ: &str = "genai_telemetry.cost.cache_read";
    /// `genai_telemetry.cost.cache_creation`: USD for input tokens written to a prompt cache.
    pub const COST_CACHE_CREATION: &str = "genai_telemetry.cost.cache_creation";
    /// `genai_telemetry.cost.source`: where the cost came from, see [`super::cost_source`].
    pub const COST_SOURCE: &str = "genai_telemetry.cost.source";
    /// `genai_telemetry.pricing.model`: the pricing-table key the model id matched.
    pub const PRICING_MODEL: &str = "genai_telemetry.pricing.model";
    /// `genai_telemetry.stream.cancelled`: `true` when the caller dropped a stream before
    /// its end; the span then carries what had arrived.
    pub const STREAM_CANCELLED: &str = "genai_telemetry.stream.cancelled";
    /// `genai_telemetry.span.kind`: `workflow`, `task`, `agent` or `tool` on workflow spans
    /// (the role of Traceloop's `traceloop.span.kind`).
    pub const SPAN_KIND: &str = "genai_telemetry.span.kind";
    /// `genai_telemetry.entity.name`: the name given to a workflow, task, agent or tool.
    pub const ENTITY_NAME: &str = "genai_telemetry.entity.name";
    /// `genai_telemetry.workflow.name`: the enclosing workflow's name, on every span in it.
    pub const WORKFLOW_NAME: &str = "genai_telemetry.workflow.name";
}

/// Attributes for calls through a LiteLLM proxy, read from its response headers.
pub mod litellm {
    /// `litellm.call_id` from `x-litellm-call-id`.
    pub const CALL_ID: &str = "litellm.call_id";
    /// `litellm.model_id` from `x-litellm-model-id` (the deployment).
    pub const MODEL_ID: &str = "litellm.model_id";
    /// `litellm.model_name` from `x-litellm-model-name` (the provider model behind it).
    pub const MODEL_NAME: &str = "litellm.model_name";
    /// `litellm.model_group` from `x-litellm-model-group` (the public model name).
    pub const MODEL_GROUP: &str = "litellm.model_group";
    /// `litellm.model_api_base` from `x-litellm-model-api-base`.
    pub const MODEL_API_BASE: &str = "litellm.model_api_base";
    /// `litellm.attempted_retries` from `x-litellm-attempted-retries`.
    pub const ATTEMPTED_RETRIES: &str = "litellm.attempted_retries";
    /// `litellm.attempted_fallbacks` from `x-litellm-attempted-fallbacks`.
    pub const ATTEMPTED_FALLBACKS: &str = "litellm.attempted_fallbacks";
    /// `litellm.response_duration_ms` from `x-litellm-response-duration-ms`.
    pub const RESPONSE_DURATION_MS: &str = "litellm.response_duration_ms";
    /// `litellm.version` from `x-litellm-version`.
    pub const VERSION: &str = "litellm.version";
}

/// Values of `genai_telemetry.cost.source`.
pub mod cost_source {
    /// Computed from the bundled pricing table.
    pub const PRICING_TABLE: &str = "pricing_table";
    /// Computed from a user pricing file (`GENAI_PRICING_FILE`).
    pub const USER_PRICING: &str = "user_pricing";
    /// Reported by the LiteLLM proxy (`x-litellm-response-cost`).
    pub const LITELLM: &str = "litellm";
}

/// Well-known values of `gen_ai.operation.name`.
pub mod operation {
    /// Chat completion (OpenAI chat and responses, Bedrock Converse, messages APIs).
    pub const CHAT: &str = "chat";
    /// Text completion (OpenAI legacy completions, prompt-style Bedrock bodies).
    pub const TEXT_COMPLETION: &str = "text_completion";
    /// Embeddings.
    pub const EMBEDDINGS: &str = "embeddings";
    /// Multimodal content generation.
    pub const GENERATE_CONTENT: &str = "generate_content";
    /// Tool execution.
    pub const EXECUTE_TOOL: &str = "execute_tool";
    /// Agent invocation.
    pub const INVOKE_AGENT: &str = "invoke_agent";
    /// Agent creation.
    pub const CREATE_AGENT: &str = "create_agent";
    /// Workflow invocation.
    pub const INVOKE_WORKFLOW: &str = "invoke_workflow";
    /// Retrieval from a data source.
    pub const RETRIEVAL: &str = "retrieval";
}

/// Well-known values of `gen_ai.provider.name`.
pub mod provider {
    /// OpenAI (also the spec-conformant guess for OpenAI-compatible proxies).
    pub const OPENAI: &str = "openai";
    /// Amazon Bedrock.
    pub const AWS_BEDROCK: &str = "aws.bedrock";
    /// Anthropic's own API.
    pub const ANTHROPIC: &str = "anthropic";
    /// Azure OpenAI.
    pub const AZURE_OPENAI: &str = "azure.ai.openai";
    /// Cohere's own API.
    pub const COHERE: &str = "cohere";
    /// Mistral AI's own API.
    pub const MISTRAL_AI: &str = "mistral_ai";
}

/// Metric names and their explicit bucket boundaries.
pub mod metric {
    /// `gen_ai.client.token.usage`: histogram of tokens per call, unit `{token}`.
    pub const CLIENT_TOKEN_USAGE: &str = "gen_ai.client.token.usage";
    /// `gen_ai.client.operation.duration`: histogram of call duration, unit `s`.
    pub const CLIENT_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
    /// `gen_ai.client.operation.time_to_first_chunk`: histogram for streams, unit `s`.
    pub const CLIENT_TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.operation.time_to_first_chunk";
    /// Bucket boundaries of `gen_ai.client.token.usage`.
    pub const TOKEN_USAGE_BOUNDARIES: [f64; 14] = [
        1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0,
        4194304.0, 16777216.0, 67108864.0,
    ];
    /// Bucket boundaries of the duration and time-to-first-chunk histograms.
    pub const DURATION_BOUNDARIES: [f64; 14] = [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];
}

/// Values of `gen_ai.response.finish_reasons` after normalisation.
pub mod finish_reason {
    /// Natural end or a stop sequence.
    pub const STOP: &str = "stop";
    /// Token limit reached.
    pub const LENGTH: &str = "length";
    /// Blocked or cut by a content filter or guardrail.
    pub const CONTENT_FILTER: &str = "content_filter";
    /// The model asked for a tool call.
    pub const TOOL_CALL: &str = "tool_call";
    /// The provider reported an error.
    pub const ERROR: &str = "error";
}

/// Environment variables read by the GenAI instrumentation.
pub mod env {
    /// `true` turns on content capture (prompts, completions, system instructions).
    pub const CAPTURE_MESSAGE_CONTENT: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
    /// Path of a JSON pricing file that overrides and extends the bundled table.
    pub const PRICING_FILE: &str = "GENAI_PRICING_FILE";
}
