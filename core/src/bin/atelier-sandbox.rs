//! `atelier-sandbox`: a local Atelier-compatible marketplace (see docs/sandbox.md).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    atelier_core::sandbox::cli::main_with_args(std::env::args_os()).await
}
