//! `coordinator`: runs the same paintings sequentially, concurrently, in
//! parallel and both at once, with real painter processes, and reports each
//! against its ideal. `coordinator --help` says how to use it; `app/`
//! says how the pieces below fit together.

mod app;
mod dispatch;
mod hosts;
mod mode;
mod model;
mod news;
mod os;
mod pool;
mod progress;
mod report;
mod term;
mod workload;

use std::io::IsTerminal;
use std::process::ExitCode;

/// How long the last lines may take to reach stderr before the process exits.
const LAST_WORDS: std::time::Duration = std::time::Duration::from_secs(1);

fn main() -> ExitCode {
    // Lines on stderr lift the live display while they are written.
    term::stderr::install(progress::write_lifted);
    tracing_subscriber::fmt()
        .with_writer(term::stderr::Logs)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = app::cli::parse();
    let code = match app::main(cli) {
        Ok(code) => code,
        Err(error) => {
            term::stderr::line(format_args!(
                "error: {}",
                term::visible::visible(&format!("{error:#}"), app::ERROR_LINE)
            ));
            ExitCode::FAILURE
        }
    };
    if term::stderr::dropped() > 0 {
        term::stderr::line(format_args!(
            "note: {} lines for stderr were dropped: it was not being read",
            term::stderr::dropped()
        ));
    }
    term::stderr::flush(LAST_WORDS);
    code
}
