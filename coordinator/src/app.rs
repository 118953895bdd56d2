//! From a parsed command line to a printed report.
//!
//! The pieces, in the order a run uses them:
//! [`crate::workload`] checks what was asked;
//! [`crate::calibrate`] turns `--paint` into strokes;
//! per mode, [`crate::mode`] lays out the painters,
//! [`crate::pool`] starts them ([`crate::painter`] is one of them),
//! [`crate::dispatch`] feeds them and collects their events while
//! [`crate::sampler`] watches their CPU use,
//! [`crate::schedule`] computes the ideal, and
//! [`crate::report`] builds the result and renders it.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::calibrate::{self, Calibration};
use crate::cli::{Cli, Command, FileArgs, WorkloadArgs};
use crate::dispatch::{self, Interrupted};
use crate::mode::Mode;
use crate::pool::Pool;
use crate::report::{self, Measured, RunReport, files, text};
use crate::sampler::Sampler;
use crate::schedule::{self, Work};
use crate::signals::Interrupts;
use crate::workload::Workload;

/// Runs the command line on a single-threaded tokio runtime: the
/// coordinator only waits on pipes and timers, and leaves every core to the
/// painters.
///
/// # Errors
/// Anything that stops the run; `main` prints it.
pub fn main(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (modes, args, json, compare, files): (Vec<Mode>, WorkloadArgs, bool, bool, FileArgs) = match cli.command {
        Some(Command::Run(run)) => (vec![run.mode], run.workload, run.json, false, run.files),
        Some(Command::Compare(compare)) => (Mode::ALL.to_vec(), compare.workload, compare.json, true, compare.files),
        None => bail!("no command"),
    };
    let workload = Workload::from_args(&args)?;
    files::check(&files)?;
    let binary = painter_binary(cli.painter.as_deref())?;
    workload.output_folder("")?;
    let mut interrupts = Interrupts::install().context("cannot listen for Ctrl-C")?;

    let status = Status::new();
    status.say("measuring a stroke…");
    let calibration = calibrate::calibrate(&binary, &workload).await?;
    let mut runs = Vec::new();
    for mode in modes {
        status.say(&format!("{}: {} paintings…", mode.name(), workload.paintings));
        match run_mode(&binary, &workload, &calibration, mode, &mut interrupts).await {
            Ok(run) => runs.push(run),
            Err(error) => {
                if let Some(interrupted) = error.downcast_ref::<Interrupted>() {
                    status.say("");
                    eprintln!("error: {} mode {interrupted}; every painter was stopped", mode.name());
                    return Ok(ExitCode::from(interrupted.exit_code()));
                }
                return Err(error.context(format!("{} mode failed", mode.name())));
            }
        }
    }
    if compare && let Some(baseline) = runs.iter().find(|r| r.mode == Mode::Sequential).map(|r| r.wall_s) {
        for run in &mut runs {
            run.speedup = Some(baseline / run.wall_s);
        }
    }
    drop(status);
    print(&workload, &calibration, &runs, json, compare)?;
    files::write(&files, &workload, &calibration, &runs)?;
    Ok(ExitCode::SUCCESS)
}

/// One mode: spawn its painters, run the jobs, stop the painters, report.
async fn run_mode(
    binary: &Path,
    workload: &Workload,
    calibration: &Calibration,
    mode: Mode,
    interrupts: &mut Interrupts,
) -> anyhow::Result<RunReport> {
    let out = workload.output_folder(mode.name())?;
    let plans = mode.layout(workload.workers, workload.cores.as_deref());
    let mut pool = Pool::spawn(binary, &plans, &out, calibration.strokes_in(workload.slice)).await?;
    let pids: Vec<u32> = pool.painters.iter().map(|p| p.hello.pid).collect();
    let sampler = Sampler::start(&pids);
    let outcome = match dispatch::run(&mut pool, workload.jobs(calibration.strokes), interrupts).await {
        Ok(outcome) => outcome,
        Err(error) => {
            pool.kill().await;
            return Err(error);
        }
    };
    let cpu = sampler.stop().await;
    let start_ns = outcome.start_ns;
    let painters = pool.painters.iter().map(|p| (p.hello.clone(), p.startup)).collect();
    let farewells = pool.shutdown().await;
    let work = Work {
        paintings: workload.paintings,
        coats: workload.coats,
        // Zero for `--paint 0ms`, which calibrates to 0 strokes.
        paint_s: calibration.paint().as_secs_f64(),
        file_s: workload.file_wait.as_secs_f64(),
        net_s: workload.net_wait.as_secs_f64(),
    };
    let ideal = schedule::ideal(&plans, work, workload.allowed_cores.len());
    let mut report = report::build(Measured { mode, painters, outcome, farewells, ideal, workload, calibration });
    cpu.fill(&mut report, start_ns);
    Ok(report)
}

/// The painter binary: as given, or `painter` beside this executable.
fn painter_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe().context("cannot find this executable")?.with_file_name("painter"),
    };
    if !path.is_file() {
        bail!(
            "painter binary not found at {} (build it with `cargo build --release`, or pass --painter PATH or ATELIER_PAINTER)",
            path.display()
        );
    }
    Ok(path)
}

/// A `compare` as JSON: the workload once, then every run.
#[derive(Serialize)]
struct Comparison<'a> {
    workload: &'a Workload,
    calibration: &'a Calibration,
    runs: &'a [RunReport],
}

/// A single `run` as JSON: the run's fields, with the workload beside them.
#[derive(Serialize)]
struct Single<'a> {
    #[serde(flatten)]
    run: &'a RunReport,
    workload: &'a Workload,
    calibration: &'a Calibration,
}

fn print(
    workload: &Workload,
    calibration: &Calibration,
    runs: &[RunReport],
    json: bool,
    compare: bool,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let output = if json {
        let value = match (compare, runs) {
            (false, [run]) => serde_json::to_string_pretty(&Single { run, workload, calibration })?,
            _ => serde_json::to_string_pretty(&Comparison { workload, calibration, runs })?,
        };
        value + "\n"
    } else {
        let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        // The terminal's width; else $COLUMNS; else a width most terminals have.
        let columns = terminal_size::terminal_size_of(&stdout)
            .map(|(width, _)| usize::from(width.0))
            .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
            .unwrap_or(100);
        text::render(workload, calibration, runs, text::Options { columns, color })
    };
    let mut lock = stdout.lock();
    match lock.write_all(output.as_bytes()).and_then(|()| lock.flush()) {
        // A reader that stopped reading (`| head`) is not an error of ours.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the report"),
    }
}

/// One line on a terminal's stderr saying what is running now, rewritten
/// in place; nothing at all when stderr is not a terminal.
struct Status {
    on: bool,
}

impl Status {
    fn new() -> Self {
        Self { on: std::io::stderr().is_terminal() }
    }

    /// Replaces the line with `text` (an empty `text` clears it).
    fn say(&self, text: &str) {
        if self.on {
            eprint!("\r\x1b[K{text}");
        }
    }
}

impl Drop for Status {
    /// Leaves the terminal's line clean for whatever comes next (an error).
    fn drop(&mut self) {
        self.say("");
    }
}
