//! `coordinator`: runs the same paintings sequentially, concurrently, in
//! parallel and both at once, with real painter processes, and reports each
//! against its ideal. `coordinator --help` says how to use it; `app.rs`
//! says how the pieces below fit together.

mod app;
mod assign;
mod calibrate;
mod cli;
mod dispatch;
mod hosts;
mod mode;
mod news;
mod painter;
mod pin;
mod pool;
mod progress;
mod reap;
mod report;
mod sampler;
mod schedule;
mod signals;
mod workload;

use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(progress::log_writer)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = cli::parse();
    match app::main(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
