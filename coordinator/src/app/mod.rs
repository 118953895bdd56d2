//! The edge: from a parsed command line to a printed report.
//!
//! `cli` is the command line as clap reads it; `options` makes it the
//! domain's values, once; `calibrate` turns `--paint` into strokes; per
//! mode, `one_mode` lays out the painters (`crate::mode`, or the hosts'
//! cores), predicts the ideal (`crate::model`), starts the painters
//! (`crate::pool`), feeds them (`crate::dispatch`) while `crate::os::sampler`
//! watches their CPU use, and builds the report (`crate::report`);
//! `deliver` prints it and draws its files.
//!
//! The top layer: it may use every module below, and none uses it.

pub mod calibrate;
pub mod cli;
mod deliver;
mod one_mode;
pub mod options;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use self::cli::Cli;
use self::deliver::Delivery;
use self::one_mode::Stage;
use self::options::{Asked, Invocation};
use crate::dispatch::{self, Interrupted};
use crate::hosts::{self, Cluster};
use crate::mode::Mode;
use crate::model::schedule;
use crate::os::lock;
use crate::os::signals::Interrupts;
use crate::progress::Progress;
use crate::report::{self, RunReport, files};
use crate::term::stderr;
use crate::term::visible::visible;
use crate::workload::{Calibration, Workload};
use nix::sys::signal::Signal;

/// Runs the command line on a single-threaded tokio runtime: the
/// coordinator only waits on pipes and timers, and leaves every core to the
/// painters.
///
/// # Errors
/// Anything that stops the run; `main` prints it.
pub fn main(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
    runtime.block_on(async {
        match run(cli).await {
            // Said once the live display is gone: it was dropped with `run`.
            Err(error) => match error.downcast::<Halted>() {
                Ok(halted) => {
                    stderr::line(format_args!("error: {}", halted.line));
                    Ok(ExitCode::from(halted.code))
                }
                Err(error) => Err(error),
            },
            done => done,
        }
    })
}

/// A run stopped by a signal before any painting was handed out.
#[derive(Debug, thiserror::Error)]
#[error("{line}")]
struct Halted {
    code: u8,
    line: String,
}

impl Halted {
    /// Stopped by `signal` while `doing`, with nothing painted; `every`
    /// names what was stopped with it (each probe, each painter).
    fn new(signal: Signal, paintings: u32, doing: &str, every: &str) -> Self {
        let interrupted = Interrupted::before_start(signal, paintings);
        Self { code: interrupted.exit_code(), line: format!("{interrupted}, while {doing}; every {every} was stopped") }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let asked = match options::asked(cli)? {
        Asked::Run(invocation) => *invocation,
        Asked::Plan(plan) => return deliver::print_plan(&plan),
        Asked::Completions(shell) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "coordinator", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
    };
    // Before anything is started: a stop signal at any moment from here on
    // is answered with the error line and the lists, and nothing is left
    // running (before, the probe of the hosts died with the coordinator's
    // default end, and its ssh or srun lived on).
    let mut interrupts = Interrupts::install().context("cannot listen for Ctrl-C")?;
    // A closed stdout would lose the report; and the pipes of the painters
    // could be given its number, fd 1, so that the report went into one.
    crate::term::stdout::check()?;
    files::check(&asked.files)?;
    let binary = painter_binary(asked.painter.as_deref())?;
    crate::workload::output_folder(&asked.workload.out, "")?;
    // Held until the run ends: one run per --out at a time.
    let _lock = lock::take(&asked.workload.out)?;
    if asked.workload.chunk.0.is_some_and(|chunk| chunk > 1) && asked.hosts.is_some() {
        bail!("--chunk is for painters on this machine: with --hosts, paintings are handed out one at a time");
    }
    let Invocation { modes, compare, json, quiet, workload: args, files, hosts, .. } = asked;
    let cluster = match hosts {
        Some(request) => Some(Arc::new(open_hosts(request, &binary, args.paintings, &mut interrupts).await?)),
        None => None,
    };
    let workload = options::workload(&args, cluster.as_deref())?;
    let mut progress = Progress::new(quiet);
    let calibration = calibrate(&binary, &workload, &mut interrupts, &mut progress).await?;
    let stage = Stage { binary: &binary, workload: &workload, calibration: &calibration, cluster: cluster.as_ref() };
    let forecast = forecast(&stage, &modes, &mut interrupts).await?;
    if let Some(line) = report::plan::announcement(&forecast).filter(|_| !quiet) {
        stderr::line(format_args!("atelier: {line}"));
    }
    let (mut runs, stopped) = run_modes(&stage, &modes, &forecast, &mut interrupts, &mut progress).await;
    if compare {
        report::speedups(&mut runs);
    }
    drop(progress);
    let delivery = Delivery { workload, calibration, runs, files, json, compare, quiet };
    let errors = finish(delivery, stopped, &mut interrupts).await;
    let code = errors.first().map_or(ExitCode::SUCCESS, |(code, _)| *code);
    for (_, line) in errors {
        stderr::line(format_args!("error: {}", visible(&line, ERROR_LINE)));
    }
    Ok(code)
}

/// Probes the hosts. Dropping the probing on a signal kills every probe
/// (with whatever its launcher started) and reaps it.
async fn open_hosts(
    request: hosts::Request,
    binary: &Path,
    paintings: u32,
    interrupts: &mut Interrupts,
) -> anyhow::Result<Cluster> {
    tokio::select! {
        cluster = Cluster::open(request, binary) => cluster,
        signal = interrupts.recv() => Err(Halted::new(signal, paintings, "probing the hosts", "probe").into()),
    }
}

/// Measures a stroke. Dropping the calibration on a signal drops its
/// painter, which kills it.
async fn calibrate(
    binary: &Path,
    workload: &Workload,
    interrupts: &mut Interrupts,
    progress: &mut Progress,
) -> anyhow::Result<Calibration> {
    progress.say("measuring a stroke…");
    tokio::select! {
        // Nothing was painted yet: say so, so that no painting goes unaccounted for.
        calibration = calibrate::calibrate(binary, workload) => calibration.map_err(|error| {
            let all: Vec<u32> = (1..=workload.paintings).collect();
            error.context(format!("no painting was started (finished: none; unfinished: {})", dispatch::ids(&all)))
        }),
        signal = interrupts.recv() => {
            Err(Halted::new(signal, workload.paintings, "measuring a stroke", "painter").into())
        }
    }
}

/// Each mode's ideal, before any is run: a run of more than a minute says
/// so before it starts, and its display counts down (`--dry 1h` must not
/// look like a hang).
async fn forecast(
    stage: &Stage<'_>,
    modes: &[Mode],
    interrupts: &mut Interrupts,
) -> anyhow::Result<Vec<(Mode, std::time::Duration)>> {
    let layouts: Vec<_> = modes.iter().map(|&mode| (mode, stage.plans(mode).1)).collect();
    let workload = stage.workload;
    let (work, allowed) = (workload.work(stage.calibration.paint()), workload.allowed_cores.len());
    let planning = move |stop: &_| report::plan::forecast(&layouts, work, allowed, stop);
    schedule::interruptible(planning, interrupts)
        .await
        .map_err(|signal| Halted::new(signal, workload.paintings, "planning the run", "painter").into())
}

/// Runs the modes in turn, and what stopped one before the last, if
/// anything did: the modes that finished are reported all the same.
async fn run_modes(
    stage: &Stage<'_>,
    modes: &[Mode],
    forecast: &[(Mode, std::time::Duration)],
    interrupts: &mut Interrupts,
    progress: &mut Progress,
) -> (Vec<RunReport>, Option<(ExitCode, String)>) {
    let mut runs = Vec::new();
    progress.say("");
    for (index, &mode) in modes.iter().enumerate() {
        // This mode's ideal, and the ideals of the modes after it.
        let ideal = forecast.get(index).map(|&(_, this)| (this, forecast.iter().skip(index + 1).map(|m| m.1).sum()));
        progress.start_mode(mode.name(), stage.workload.paintings, ideal);
        let run = stage.run(mode, interrupts, progress).await;
        progress.end_mode();
        match run {
            Ok(run) => runs.push(run),
            Err(error) => return (runs, Some(stopped(mode, &error, stage.workload.paintings))),
        }
    }
    (runs, None)
}

/// The exit code and line of a mode that `error` stopped.
fn stopped(mode: Mode, error: &anyhow::Error, paintings: u32) -> (ExitCode, String) {
    match error.downcast_ref::<Interrupted>() {
        Some(interrupted) => (
            ExitCode::from(interrupted.exit_code()),
            format!("{} mode {interrupted}; every painter was stopped", mode.name()),
        ),
        // Everything but an interrupt stops a mode before it paints.
        None => {
            let all: Vec<u32> = (1..=paintings).collect();
            let lists = format!("finished: none; unfinished: {}", dispatch::ids(&all));
            (ExitCode::FAILURE, format!("{} mode failed ({lists}): {error:#}", mode.name()))
        }
    }
}

/// Delivers the report, and says what went wrong, first thing first:
/// every report that was measured is printed, and every file written,
/// whatever stopped the run; then the first thing that went wrong decides
/// the exit code.
async fn finish(
    delivery: Delivery,
    stopped: Option<(ExitCode, String)>,
    interrupts: &mut Interrupts,
) -> Vec<(ExitCode, String)> {
    let mut errors: Vec<(ExitCode, String)> = Vec::new();
    // Worded before the report is handed to its writer, which takes it.
    let paintings = delivery.workload.paintings;
    let lost: Vec<(ExitCode, String)> = delivery.runs.iter().filter_map(|run| lost(run, paintings)).collect();
    let fates: Vec<String> = delivery.runs.iter().map(|run| fate(run, paintings)).collect();
    if !delivery.runs.is_empty() || delivery.json {
        tokio::select! {
            // A report written whole is not said to be incomplete.
            biased;
            written = deliver::deliver(delivery) => errors.extend(written),
            // A reader that stopped reading without closing the pipe
            // (`| sleep 30`) would otherwise hold the run until it drained.
            signal = interrupts.recv() => {
                let code = u8::try_from(128 + signal as i32).unwrap_or(255);
                let line = format!(
                    "interrupted by {} while writing the report, which is incomplete: {}",
                    signal.as_str(),
                    fates.join("; ")
                );
                errors.insert(0, (ExitCode::from(code), line));
            }
        }
    }
    errors.extend(stopped);
    errors.extend(lost);
    errors
}

/// The line of a run that lost paintings: which, and why the first was lost.
fn lost(run: &RunReport, paintings: u32) -> Option<(ExitCode, String)> {
    let first = run.lost.first()?;
    let ids: Vec<u32> = run.lost.iter().map(|lost| lost.id).collect();
    let finished: Vec<u32> = run.paintings.iter().map(|p| p.id).collect();
    let line = format!(
        "{} mode lost {} of {} paintings (finished: {}; unfinished: {}): {}",
        run.mode.name(),
        ids.len(),
        paintings,
        dispatch::ids(&finished),
        dispatch::ids(&ids),
        first.why
    );
    Some((ExitCode::FAILURE, line))
}

/// What became of a run's paintings, in words: `parallel mode finished 3
/// of 4 paintings (finished: #1–#3; unfinished: #4)`.
fn fate(run: &RunReport, paintings: u32) -> String {
    let finished: Vec<u32> = run.paintings.iter().map(|p| p.id).collect();
    let unfinished: Vec<u32> = run.lost.iter().map(|lost| lost.id).collect();
    format!(
        "{} mode finished {} of {paintings} paintings (finished: {}; unfinished: {})",
        run.mode.name(),
        finished.len(),
        dispatch::ids(&finished),
        dispatch::ids(&unfinished)
    )
}

/// The longest error line printed, in characters: one line a person can
/// read; the whole story is in `--json`.
pub const ERROR_LINE: usize = 300;

/// The painter binary: as given (`--painter`, `ATELIER_PAINTER`), else
/// `painter` beside this executable (where `cargo build` and `cargo install`
/// put it), else the first `painter` on `PATH`.
fn painter_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        if !path.is_file() {
            bail!("painter binary not found at {} (named by --painter or ATELIER_PAINTER)", path.display());
        }
        return Ok(path.to_path_buf());
    }
    let beside = std::env::current_exe().context("cannot find this executable")?.with_file_name("painter");
    if beside.is_file() {
        return Ok(beside);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("painter")).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|path| path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0));
    on_path.ok_or_else(|| {
        anyhow::anyhow!(
            "painter binary not found at {} nor on PATH (build both binaries with `cargo build --release`; install both with `cargo install --locked --path painter && cargo install --locked --path coordinator`; or pass --painter PATH or set ATELIER_PAINTER)",
            beside.display()
        )
    })
}
