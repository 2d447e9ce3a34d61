//! `genai-telemetry`: command-line companion of the bridge. `genai-telemetry doctor` loads the
//! configuration exactly as the library does and sends one test request to each destination.
//!
//! Exit codes: 0 all destinations accept; 1 at least one destination fails; 2 the
//! configuration is invalid (or enables no destination), or the command line is wrong.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: printing is its job

use std::process::ExitCode;

use genai_telemetry_bridge::{BridgeConfigBuilder, configured_destinations};
use genai_telemetry_diagnostics::doctor::{self, DoctorReport};

const USAGE: &str = "\
usage: genai-telemetry <command>

commands:
  doctor [--json]   validate the configuration (environment and .env, as the library reads
                    it) and send one empty OTLP export request to each enabled destination;
                    prints a verdict per destination with the cause and the fix
  help              this text

exit codes: 0 ok, 1 a destination fails, 2 invalid configuration or usage
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["doctor"] => run_doctor(false),
        ["doctor", "--json"] => run_doctor(true),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_doctor(json: bool) -> ExitCode {
    let report = match BridgeConfigBuilder::from_env().build() {
        Err(error) => DoctorReport::invalid_config(&error),
        Ok(config) => match configured_destinations(&config) {
            Err(error) => DoctorReport::setup_failed(&config, &error),
            Ok(destinations) => doctor::run(&config, destinations),
        },
    };
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(2))
}
