#!/usr/bin/env python3
"""Writes the hand-made seed corpus (real wire shapes) into fuzz/corpus/<target>/seed-*.

Run from anywhere: `python3 fuzz/seeds.py`. Idempotent; files the fuzzer added (named by
their SHA-1) are left alone.
"""
import base64, json, os, struct, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def j(v):
    return json.dumps(v, separators=(",", ":"))


USAGE = {"prompt_tokens": 19, "completion_tokens": 8, "total_tokens": 27,
         "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
         "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}

# --- openai_response: whole bodies -------------------------------------------------------
put("openai_response", "chat", j({
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
    "model": "gpt-4.1-2025-04-14", "choices": [{"index": 0, "message": {"role": "assistant",
    "content": "Paris is the capital of France.", "refusal": None, "annotations": []},
    "logprobs": None, "finish_reason": "stop"}], "usage": USAGE, "service_tier": "default",
    "system_fingerprint": "fp_mock"}))
put("openai_response", "chat-tools", j({
    "id": "chatcmpl-abc123", "object": "chat.completion", "created": 1699896916, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_abc123", "type": "function", "function": {"name": "get_current_weather",
         "arguments": "{\n\"location\": \"Boston, MA\"\n}"}}]}, "logprobs": None, "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
              "prompt_tokens_details": {"cached_tokens": 64}, "completion_tokens_details": {"reasoning_tokens": 0}}}))
put("openai_response", "litellm-cost", j({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "claude-3-5-sonnet",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi", "reasoning_content": "think"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6, "cost": 0.000042,
              "cache_read_input_tokens": 3, "cache_creation_input_tokens": 2}}))
put("openai_response", "completions", j({
    "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7", "object": "text_completion", "created": 1589478378,
    "model": "gpt-3.5-turbo-instruct", "choices": [{"text": "\n\nThis is indeed a test", "index": 0,
    "logprobs": None, "finish_reason": "length"}], "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}))
put("openai_response", "embeddings", j({
    "object": "list", "data": [{"object": "embedding", "embedding": [0.0023064255, -0.009327292], "index": 0}],
    "model": "text-embedding-3-small", "usage": {"prompt_tokens": 8, "total_tokens": 8}}))
put("openai_response", "responses", j({
    "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b", "object": "response", "created_at": 1741476542,
    "status": "completed", "error": None, "incomplete_details": None, "model": "gpt-4.1-2025-04-14",
    "output": [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Thinking."}]},
               {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "In a peaceful grove...", "annotations": []}]},
               {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}],
    "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 87,
              "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123}}))
put("openai_response", "responses-incomplete", j({
    "id": "resp_2", "object": "response", "status": "incomplete",
    "incomplete_details": {"reason": "max_output_tokens"}, "model": "o3-mini", "output": [],
    "usage": {"input_tokens": 10, "output_tokens": 100}}))
put("openai_response", "error", j({"error": {"message": "Rate limit reached for gpt-4o", "type": "requests",
                                             "param": None, "code": "rate_limit_exceeded"}}))
put("openai_response", "error-numeric-code", j({"error": {"message": "Bad gateway", "type": None, "code": 502}}))
put("openai_response", "error-text", "<html><body>502 Bad Gateway</body></html>")

# --- openai_sse: streams -----------------------------------------------------------------
def sse(events):
    return "".join(events)


def chunk(delta, finish=None, **extra):
    c = {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
         "system_fingerprint": "fp_44709d6fcb", "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                           "finish_reason": finish}]}
    c.update(extra)
    return "data: " + j(c) + "\n\n"


put("openai_sse", "chat", sse([
    chunk({"role": "assistant", "content": ""}), chunk({"content": "Paris "}), chunk({"content": "is the capital. é€😀"}),
    chunk({}, "stop"),
    "data: " + j({"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                  "choices": [], "usage": USAGE}) + "\n\n",
    "data: [DONE]\n\n"]))
put("openai_sse", "chat-crlf-tools", sse([
    chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                 "function": {"name": "get_weather", "arguments": ""}}]}).replace("\n", "\r\n"),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}).replace("\n", "\r\n"),
    ": keep-alive\r\n\r\n",
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}, "tool_calls").replace("\n", "\r\n"),
    "data: [DONE]\r\n\r\n"]))
put("openai_sse", "litellm-cost", sse([
    chunk({"content": "hi", "reasoning_content": "hmm"}),
    "data: " + j({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": 3, "completion_tokens": 1, "cost": 1.5e-05}}) + "\n\n",
    "data: [DONE]\n\n"]))
put("openai_sse", "responses", sse([
    "event: response.created\ndata: " + j({"type": "response.created", "response": {"id": "resp_1", "model": "gpt-4.1", "status": "in_progress"}}) + "\n\n",
    "event: response.output_text.delta\ndata: " + j({"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hi"}) + "\n\n",
    "event: response.completed\ndata: " + j({"type": "response.completed", "response": {"id": "resp_1", "model": "gpt-4.1",
        "status": "completed", "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hi"}]}],
        "usage": {"input_tokens": 4, "output_tokens": 1}}}) + "\n\n"]))
put("openai_sse", "responses-failed", sse([
    "event: response.failed\ndata: " + j({"type": "response.failed", "response": {"id": "resp_2", "status": "failed",
        "error": {"code": "server_error", "message": "boom"}}}) + "\n\n"]))
put("openai_sse", "error-event", sse([chunk({"content": "par"}),
    "data: " + j({"error": {"message": "overloaded", "type": "server_error", "code": None}}) + "\n\n"]))
put("openai_sse", "truncated", sse([chunk({"content": "Paris "}), 'data: {"id":"chatcmpl-7","choices":[{"ind']))
put("openai_sse", "multiline-data", "event: x\ndata: {\"a\":\ndata: 1}\nid: 4\nretry: 100\n\ndata:[DONE]\n\n")

# --- bedrock_body: one per family, plus Converse ----------------------------------------
FAMILY_BODIES = {
    "anthropic-messages": {"id": "msg_bdrk_01", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
        "content": [{"type": "text", "text": "Hi! I'm Claude."}, {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "thinking", "thinking": "hmm"}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 9, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}},
    "anthropic-completion": {"completion": " Hello there.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
    "amazon-nova": {"output": {"message": {"role": "assistant", "content": [{"text": "Nova says hi."}]}},
        "stopReason": "end_turn", "usage": {"inputTokens": 7, "outputTokens": 4, "totalTokens": 11, "cacheReadInputTokenCount": 2}},
    "amazon-titan-text": {"inputTextTokenCount": 5, "results": [{"tokenCount": 6, "outputText": "Titan says hi.", "completionReason": "FINISH"}]},
    "amazon-titan-embed": {"embedding": [0.1, 0.2, 0.3], "inputTextTokenCount": 6},
    "meta-llama": {"generation": "Llama says hi.", "prompt_token_count": 8, "generation_token_count": 5, "stop_reason": "stop"},
    "cohere-command": {"generations": [{"id": "gen-1", "text": "Command says hi.", "finish_reason": "COMPLETE"}], "id": "c-1", "prompt": "hi"},
    "cohere-command-r": {"response_id": "cr-1", "text": "Command R says hi.", "generation_id": "g-1", "chat_history": [],
        "finish_reason": "COMPLETE", "tool_calls": [{"name": "search", "parameters": {"q": "x"}}],
        "meta": {"billed_units": {"input_tokens": 9, "output_tokens": 5}}},
    "cohere-embed": {"embeddings": [[0.1, 0.2]], "id": "emb-1", "response_type": "embeddings_floats", "texts": ["hello"]},
    "ai21-jamba": {"id": "jamba-1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Jamba says hi."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}, "model": "jamba-1.5-mini"},
    "ai21-jurassic": {"id": 1234, "prompt": {"text": "hi", "tokens": [{}, {}]},
        "completions": [{"data": {"text": "J2 says hi.", "tokens": [{}, {}, {}, {}]}, "finishReason": {"reason": "endoftext"}}]},
    "mistral-completion": {"outputs": [{"text": "Mistral says hi.", "stop_reason": "stop"}]},
    "mistral-chat": {"id": "mis-1", "object": "chat.completion", "created": 1, "model": "mistral-large-2407",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Mistral chat says hi.",
                     "tool_calls": [{"id": "t1", "function": {"name": "f", "arguments": "{}"}}]}, "stop_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}},
    "unknown": {"amazon-bedrock-invocationMetrics": {"inputTokenCount": 3, "outputTokenCount": 4}},
}
for fam, body in FAMILY_BODIES.items():
    put("bedrock_body", fam, fam + "\n" + j(body))
put("bedrock_body", "converse", "unknown\n" + j({
    "output": {"message": {"role": "assistant", "content": [{"text": "Let me check."},
        {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}},
        {"reasoningContent": {"reasoningText": {"text": "hmm"}}}]}},
    "stopReason": "tool_use", "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42,
    "cacheReadInputTokens": 2000, "cacheWriteInputTokens": 500}, "metrics": {"latencyMs": 321},
    "trace": {"guardrail": {}}}))
put("bedrock_body", "error", "unknown\n" + j({"__type": "com.amazon.coral.service#ThrottlingException", "message": "Too many requests"}))

# --- bedrock_event_stream: binary frames ------------------------------------------------
def header(name, value):
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v


def frame(headers, payload):
    hb = b"".join(header(k, v) for k, v in headers)
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    msg = prelude + hb + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def event(kind, payload):
    return frame([(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")],
                 j(payload).encode())


def chunk_event(body):
    return event("chunk", {"bytes": base64.b64encode(j(body).encode()).decode()})


def metrics(i, o):
    return {"inputTokenCount": i, "outputTokenCount": o, "invocationLatency": 100, "firstByteLatency": 20}


FAMILY_INDEX = {name: i for i, name in enumerate(FAMILY_BODIES)}
CONVERSE = b"\x00"


def invoke(fam):
    return bytes([FAMILY_INDEX[fam] * 2 + 1])


put("bedrock_event_stream", "converse", CONVERSE + b"".join([
    event("messageStart", {"role": "assistant", "p": "abc"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo!"}}),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_9", "name": "get_weather"}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\":"}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
    event("contentBlockStop", {"contentBlockIndex": 1}),
    event("messageStop", {"stopReason": "tool_use"}),
    event("metadata", {"usage": {"inputTokens": 25, "outputTokens": 14, "totalTokens": 39}, "metrics": {"latencyMs": 400}}),
]))
put("bedrock_event_stream", "converse-exception", CONVERSE + event("messageStart", {"role": "assistant"}) + frame(
    [(":exception-type", "modelStreamErrorException"), (":content-type", "application/json"), (":message-type", "exception")],
    j({"message": "The model stream failed"}).encode()))
STREAMS = {
    "anthropic-messages": [
        {"type": "message_start", "message": {"id": "msg_bdrk_02", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
         "content": [], "stop_reason": None, "usage": {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 100}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi! "}},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\":1}"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 9}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics(10, 9)}],
    "anthropic-completion": [{"completion": " Hello", "stop_reason": None},
        {"completion": " there.", "stop_reason": "stop_sequence", "amazon-bedrock-invocationMetrics": metrics(11, 4)}],
    "amazon-nova": [{"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "Nova "}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 7, "outputTokens": 4}}, "amazon-bedrock-invocationMetrics": metrics(7, 4)}],
    "amazon-titan-text": [{"outputText": "Titan ", "index": 0, "totalOutputTextTokenCount": 2, "completionReason": None, "inputTextTokenCount": 5},
        {"outputText": "says hi.", "index": 0, "totalOutputTextTokenCount": 6, "completionReason": "FINISH", "amazon-bedrock-invocationMetrics": metrics(5, 6)}],
    "meta-llama": [{"generation": "Llama ", "prompt_token_count": 8, "generation_token_count": 2, "stop_reason": None},
        {"generation": "says hi.", "prompt_token_count": None, "generation_token_count": 5, "stop_reason": "stop", "amazon-bedrock-invocationMetrics": metrics(8, 5)}],
    "cohere-command": [{"text": "Command ", "is_finished": False},
        {"is_finished": True, "finish_reason": "COMPLETE", "amazon-bedrock-invocationMetrics": metrics(4, 5)}],
    "cohere-command-r": [{"event_type": "stream-start", "generation_id": "g-2", "is_finished": False},
        {"event_type": "text-generation", "text": "Command R ", "is_finished": False},
        {"event_type": "stream-end", "finish_reason": "COMPLETE", "is_finished": True,
         "response": {"response_id": "cr-2", "meta": {"billed_units": {"input_tokens": 9, "output_tokens": 5}}},
         "amazon-bedrock-invocationMetrics": metrics(9, 5)}],
    "ai21-jamba": [{"id": "jamba-2", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Jamba "}, "finish_reason": None}]},
        {"id": "jamba-2", "choices": [{"index": 0, "delta": {"content": "says hi."}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 12, "completion_tokens": 6}, "amazon-bedrock-invocationMetrics": metrics(12, 6)}],
    "mistral-completion": [{"outputs": [{"text": "Mistral ", "stop_reason": None}]},
        {"outputs": [{"text": "says hi.", "stop_reason": "stop"}], "amazon-bedrock-invocationMetrics": metrics(6, 3)}],
    "mistral-chat": [{"id": "mis-2", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Mistral "}, "stop_reason": None}]},
        {"id": "mis-2", "choices": [{"index": 0, "message": {"content": "chat says hi."}, "stop_reason": "stop"}], "amazon-bedrock-invocationMetrics": metrics(10, 5)}],
}
for fam, chunks in STREAMS.items():
    put("bedrock_event_stream", "invoke-" + fam, invoke(fam) + b"".join(chunk_event(c) for c in chunks))

# --- litellm_headers ----------------------------------------------------------------------
put("litellm_headers", "proxy", "\n".join([
    "content-type: application/json", "x-litellm-call-id: 1f2e3d4c-0000-4000-8000-000000000001",
    "x-litellm-model-id: 0d7a5e1b2c", "x-litellm-model-name: gpt-4o-mini", "x-litellm-model-group: fake-gpt",
    "x-litellm-model-api-base: https://api.openai.com", "x-litellm-version: 1.74.0",
    "x-litellm-attempted-retries: 1", "x-litellm-attempted-fallbacks: 0",
    "x-litellm-response-duration-ms: 412.53", "x-litellm-response-cost: 4.2e-05",
    "x-litellm-response-cost-input: 1.0e-05", "x-litellm-response-cost-output: 3.2e-05",
    "x-litellm-key-spend: 0.0"]))
put("litellm_headers", "stream-none", "\n".join([
    "content-type: text/event-stream", "x-litellm-response-cost: None", "x-litellm-model-name: None",
    "x-litellm-attempted-retries: 0"]))

# --- config_env ---------------------------------------------------------------------------
put("config_env", "langfuse-instana", "\n".join([
    "LANGFUSE_ENDPOINT=https://cloud.langfuse.com", "LANGFUSE_PUBLIC_KEY=pk-lf-test", "LANGFUSE_SECRET_KEY=sk-lf-test",
    "LANGFUSE_CONTENT_POLICY=truncate", "LANGFUSE_MAX_ATTRIBUTE_LENGTH=32KiB",
    "INSTANA_ENDPOINT=http://localhost:4318", "INSTANA_METRICS_EXPORT_INTERVAL=30s",
    "TELEMETRY_SAMPLE_RATE=0.25", "TELEMETRY_QUEUE_CAPACITY=2_048", "TELEMETRY_BATCH_TIMEOUT=500ms",
    "TELEMETRY_REPLAY_BUFFER_BYTES=64MiB", "TELEMETRY_EXPORT_TIMEOUT=10000",
    "OTEL_RESOURCE_ATTRIBUTES=service.namespace=shop,team=ai%20platform", "OTEL_EXPORTER_OTLP_HEADERS=x-tenant=a"]))
put("config_env", "bad-values", "\n".join([
    "LANGFUSE_ENDPOINT=ftp://nowhere", "TELEMETRY_SAMPLE_RATE=NaN", "TELEMETRY_BATCH_MAX_SPANS=0",
    "TELEMETRY_BREAKER_RECOVERY=soon", "OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon", "LANGFUSE_SSL_VERIFY=maybe",
    "INSTANA_MAX_ATTRIBUTE_LENGTH=99999999999999999999GiB", "OTEL_EXPORTER_OTLP_TIMEOUT=1h 30m"]))
put("config_env", "otlp", "\n".join([
    "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_COMPRESSION=gzip",
    "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_EXPORTER_LANGFUSE_ENABLED=false",
    "OTEL_EXPORTER_INSTANA_ENABLED=off", "TELEMETRY_EXPORT_THREADS=2", "TELEMETRY_RETRY_MAX_BACKOFF=1h"]))

# --- config_dotenv ------------------------------------------------------------------------
put("config_dotenv", "dotenv", "\n".join([
    "# Telemetry for the shop", "export OTEL_SERVICE_NAME=shop", "LANGFUSE_ENDPOINT='https://cloud.langfuse.com'",
    'LANGFUSE_PUBLIC_KEY="pk-lf-1"', "LANGFUSE_SECRET_KEY=sk-lf-1 # inline comment",
    "TELEMETRY_SAMPLE_RATE=${RATE:-0.5}", 'OTEL_RESOURCE_ATTRIBUTES="team=ai,tier=gold"',
    "INSTANA_ENDPOINT=http://localhost:4318", 'MULTI="line one\nline two"', ""]))
put("config_dotenv", "broken", "LANGFUSE_ENDPOINT='unterminated\nTELEMETRY_BATCH_MAX_SPANS=zero\n=novar\n")

# --- spool_record: disk spool segment files (crates/core/src/spool/record.rs) -------------
def spool_record(seq, body, gzip=True, spans=3, raw=None):
    raw = len(body) * 4 if raw is None else raw
    payload = struct.pack("<QBIQ", seq, 1 if gzip else 0, spans, raw) + body
    return b"GTS1" + struct.pack("<II", len(payload), zlib.crc32(payload) & 0xFFFFFFFF) + payload


TWO = spool_record(1, b"\x1f\x8b" + b"otlp-body" * 4) + spool_record(2, b"second", gzip=False, spans=1)
put("spool_record", "two-records", TWO)
put("spool_record", "torn-tail", TWO + spool_record(3, b"torn record body")[:17])
MIDDLE = bytearray(spool_record(1, b"first") + spool_record(2, b"second body") + spool_record(3, b"third"))
MIDDLE[len(spool_record(1, b"first")) + 12 + 21 + 2] ^= 0x10
put("spool_record", "corrupt-middle", bytes(MIDDLE))
put("spool_record", "empty-body", spool_record(5, b"", spans=0, raw=0))
