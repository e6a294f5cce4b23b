//! `gateway`: parses the command line and runs it; any error is one line on stderr and exit 1.

use std::process::ExitCode;

use clap::Parser;
use gateway_server::cli::{Cli, run};

#[actix_web::main]
async fn main() -> ExitCode {
    let outcome = run(Cli::parse()).await;
    gateway_server::telemetry::flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
