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
mod lock;
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
mod stderr;
mod stdout;
mod visible;
mod workload;

use std::io::IsTerminal;
use std::process::ExitCode;

/// How long the last lines may take to reach stderr before the process exits.
const LAST_WORDS: std::time::Duration = std::time::Duration::from_secs(1);

fn main() -> ExitCode {
    stderr::install();
    tracing_subscriber::fmt()
        .with_writer(stderr::Logs)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = cli::parse();
    let code = match app::main(cli) {
        Ok(code) => code,
        Err(error) => {
            stderr::line(format_args!("error: {}", visible::visible(&format!("{error:#}"), app::ERROR_LINE)));
            ExitCode::FAILURE
        }
    };
    if stderr::dropped() > 0 {
        stderr::line(format_args!("note: {} lines for stderr were dropped: it was not being read", stderr::dropped()));
    }
    stderr::flush(LAST_WORDS);
    code
}
