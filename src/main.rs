//! Thin binary: parse, init logging, dispatch, map the outcome to an exit code.
use std::process::ExitCode;

use clap::Parser;
use spark_promote::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli.init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("failed to start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::from(spark_promote::exit::code_for_error(&err))
        }
    }
}
