//! The properties every fuzz target checks, one module per target. Each module's
//! `check(data)` feeds the bytes to the parser's entry point (the same function the
//! instrumentation calls) and asserts the caller-visible contract; a panic is a finding.
//!
//! The modules only use the stable toolchain and the workspace crates, so the normal test
//! suite includes the same files (`#[path]`) to replay `fuzz/corpus` and `fuzz/regressions`
//! on every `cargo test --workspace`.

pub mod bedrock_body;
pub mod bedrock_event_stream;
pub mod config_dotenv;
pub mod config_env;
pub mod litellm_headers;
pub mod openai_response;
pub mod openai_sse;
pub mod replay;
pub mod spool_record;

/// `(target name, check)` of every target, for replaying a directory of inputs.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("openai_response", openai_response::check),
    ("openai_sse", openai_sse::check),
    ("bedrock_body", bedrock_body::check),
    ("bedrock_event_stream", bedrock_event_stream::check),
    ("litellm_headers", litellm_headers::check),
    ("config_env", config_env::check),
    ("config_dotenv", config_dotenv::check),
    ("spool_record", spool_record::check),
];
