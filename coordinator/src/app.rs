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
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::assign;
use crate::calibrate::{self, Calibration};
use crate::cli::{Cli, Command, FileArgs, HostsArgs, PlanArgs, WorkloadArgs};
use crate::dispatch::{self, Interrupted, Policy};
use crate::hosts::{self, Cluster};
use crate::lock;
use crate::mode::Mode;
use crate::painter::Launch;
use crate::pool::Pool;
use crate::progress::Progress;
use crate::report::{self, Measured, RunReport, files, text};
use crate::sampler::Sampler;
use crate::schedule;
use crate::signals::Interrupts;
use crate::stderr;
use crate::visible::visible;
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
    let (modes, args, json, compare, files, hosts): (Vec<Mode>, WorkloadArgs, bool, bool, FileArgs, HostsArgs) =
        match cli.command {
            Some(Command::Run(run)) => (vec![run.mode], run.workload, run.json, false, run.files, run.hosts),
            Some(Command::Compare(compare)) => {
                (compare.modes.modes(), compare.workload, compare.json, true, compare.files, compare.hosts)
            }
            Some(Command::Plan(plan)) => return print_plan(&plan),
            Some(Command::Completions { shell }) => {
                let mut command = <Cli as clap::CommandFactory>::command();
                clap_complete::generate(shell, &mut command, "coordinator", &mut std::io::stdout());
                return Ok(ExitCode::SUCCESS);
            }
            None => bail!("no command"),
        };
    // Before anything is started: a stop signal at any moment from here on
    // is answered with the error line and the lists, and nothing is left
    // running (before, the probe of the hosts died with the coordinator's
    // default end, and its ssh or srun lived on).
    let mut interrupts = Interrupts::install().context("cannot listen for Ctrl-C")?;
    let mut workload = Workload::from_args(&args)?;
    // A closed stdout would lose the report; and the pipes of the painters
    // could be given its number, fd 1, so that the report went into one.
    crate::stdout::check()?;
    files::check(&files)?;
    let binary = painter_binary(cli.painter.as_deref())?;
    workload.output_folder("")?;
    // Held until the run ends: one run per --out at a time.
    let _lock = lock::take(&workload.out)?;
    if workload.chunk.is_some_and(|chunk| chunk > 1) && (hosts.hosts.is_some() || hosts.hostfile.is_some()) {
        bail!("--chunk is for painters on this machine: with --hosts, paintings are handed out one at a time");
    }
    // Dropping the probing on a signal kills every probe (with whatever
    // its launcher started) and reaps it.
    let paintings = workload.paintings;
    let cluster = tokio::select! {
        cluster = hosts::open(&hosts, &binary, &args, &mut workload) => cluster?,
        signal = interrupts.recv() => {
            let interrupted = Interrupted::before_start(signal, paintings);
            stderr::line(format_args!("error: {interrupted}, while probing the hosts; every probe was stopped"));
            return Ok(ExitCode::from(interrupted.exit_code()));
        }
    };

    let mut progress = Progress::new(cli.quiet);
    progress.say("measuring a stroke…");
    // Dropping the calibration on a signal drops its painter, which kills it.
    let calibration = tokio::select! {
        // Nothing was painted yet: say so, so that no painting goes unaccounted for.
        calibration = calibrate::calibrate(&binary, &workload) => calibration.map_err(|error| {
            let all: Vec<u32> = (1..=workload.paintings).collect();
            error.context(format!("no painting was started (finished: none; unfinished: {})", dispatch::ids(&all)))
        })?,
        signal = interrupts.recv() => {
            drop(progress);
            let interrupted = Interrupted::before_start(signal, workload.paintings);
            stderr::line(format_args!("error: {interrupted}, while measuring a stroke; every painter was stopped"));
            return Ok(ExitCode::from(interrupted.exit_code()));
        }
    };
    // A run of more than a minute says so before it starts, and its
    // display counts down: `--dry 1h` must not look like a hang.
    let layouts: Vec<_> = modes
        .iter()
        .map(|&mode| match &cluster {
            Some(cluster) => (mode, Cluster::model_plans(&cluster.layout(mode))),
            None => (mode, mode.layout(workload.workers, workload.cores.as_deref())),
        })
        .collect();
    let (work, allowed) = (workload.work(calibration.paint()), workload.allowed_cores.len());
    let planning = move |stop: &_| report::plan::forecast(&layouts, work, allowed, stop);
    let forecast = match schedule::interruptible(planning, &mut interrupts).await {
        Ok(forecast) => forecast,
        Err(signal) => {
            drop(progress);
            let interrupted = Interrupted::before_start(signal, workload.paintings);
            stderr::line(format_args!("error: {interrupted}, while planning the run; every painter was stopped"));
            return Ok(ExitCode::from(interrupted.exit_code()));
        }
    };
    if let Some(line) = report::plan::announcement(&forecast).filter(|_| !cli.quiet) {
        stderr::line(format_args!("atelier: {line}"));
    }
    let mut runs = Vec::new();
    // What stopped the modes before the last, if anything did: the modes
    // that finished are reported all the same.
    let mut stopped: Option<(ExitCode, String)> = None;
    progress.say("");
    for (index, mode) in modes.into_iter().enumerate() {
        // This mode's ideal, and the ideals of the modes after it.
        let ideal = forecast.get(index).map(|&(_, this)| (this, forecast.iter().skip(index + 1).map(|m| m.1).sum()));
        progress.start_mode(mode.name(), workload.paintings, ideal);
        let run =
            run_mode(&binary, &workload, &calibration, cluster.as_ref(), mode, &mut interrupts, &mut progress).await;
        progress.end_mode();
        match run {
            Ok(run) => runs.push(run),
            Err(error) => {
                stopped = Some(match error.downcast_ref::<Interrupted>() {
                    Some(interrupted) => (
                        ExitCode::from(interrupted.exit_code()),
                        format!("{} mode {interrupted}; every painter was stopped", mode.name()),
                    ),
                    // Everything but an interrupt stops a mode before it paints.
                    None => {
                        let all: Vec<u32> = (1..=workload.paintings).collect();
                        let lists = format!("finished: none; unfinished: {}", dispatch::ids(&all));
                        (ExitCode::FAILURE, format!("{} mode failed ({lists}): {error:#}", mode.name()))
                    }
                });
                break;
            }
        }
    }
    if compare {
        report::speedups(&mut runs);
    }
    drop(progress);
    // Every report that was measured is printed, and every file written,
    // whatever stopped the run; then the first thing that went wrong decides
    // the exit code.
    let mut errors: Vec<(ExitCode, String)> = Vec::new();
    // Worded before the report is handed to its writer, which takes it.
    let mut lost = Vec::new();
    for run in runs.iter().filter(|run| !run.lost.is_empty()) {
        let ids: Vec<u32> = run.lost.iter().map(|lost| lost.id).collect();
        let finished: Vec<u32> = run.paintings.iter().map(|p| p.id).collect();
        let line = format!(
            "{} mode lost {} of {} paintings (finished: {}; unfinished: {}): {}",
            run.mode.name(),
            ids.len(),
            workload.paintings,
            dispatch::ids(&finished),
            dispatch::ids(&ids),
            run.lost[0].why
        );
        lost.push((ExitCode::FAILURE, line));
    }
    let fates: Vec<String> = runs.iter().map(|run| fate(run, workload.paintings)).collect();
    if !runs.is_empty() || json {
        let quiet = cli.quiet;
        let writing = deliver(Delivery { workload, calibration, runs, files, json, compare, quiet });
        tokio::select! {
            // A report written whole is not said to be incomplete.
            biased;
            written = writing => errors.extend(written),
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
    let code = errors.first().map_or(ExitCode::SUCCESS, |(code, _)| *code);
    for (_, line) in errors {
        stderr::line(format_args!("error: {}", visible(&line, ERROR_LINE)));
    }
    Ok(code)
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

/// A report to print and the files to write, handed to a thread of their own.
struct Delivery {
    workload: Workload,
    calibration: Calibration,
    runs: Vec<RunReport>,
    files: FileArgs,
    json: bool,
    compare: bool,
    /// No notes on stderr (`wrote FILE`).
    quiet: bool,
}

/// Prints the report and writes the files on a thread of its own, and
/// resolves to what went wrong. A write blocks while its reader does not
/// read (a stalled pipe, a full disk over NFS); on a thread of its own it
/// leaves the coordinator free to answer a stop signal, and to exit with
/// the write unfinished.
async fn deliver(delivery: Delivery) -> Vec<(ExitCode, String)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new().name("report".into()).spawn(move || {
        let Delivery { workload, calibration, runs, files, json, compare, quiet } = delivery;
        let mut errors = Vec::new();
        if let Err(error) = print(&workload, &calibration, &runs, json, compare) {
            errors.push((ExitCode::FAILURE, format!("{error:#}")));
        }
        if let Err(error) = files::write(&files, &workload, &calibration, &runs, quiet) {
            errors.push((ExitCode::FAILURE, format!("{error:#}")));
        }
        let _ = tx.send(errors);
    });
    if let Err(error) = started {
        return vec![(ExitCode::FAILURE, format!("cannot start a thread to write the report: {error}"))];
    }
    rx.await.unwrap_or_else(|_| vec![(ExitCode::FAILURE, "the report's writer ended without a word".to_owned())])
}

/// The longest error line printed, in characters: one line a person can
/// read; the whole story is in `--json`.
pub const ERROR_LINE: usize = 300;

/// One mode: spawn its painters, run the jobs, stop the painters, report.
async fn run_mode(
    binary: &Path,
    workload: &Workload,
    calibration: &Calibration,
    cluster: Option<&std::sync::Arc<Cluster>>,
    mode: Mode,
    interrupts: &mut Interrupts,
    progress: &mut Progress,
) -> anyhow::Result<RunReport> {
    let out = workload.output_folder(mode.name())?;
    // What an earlier run left here would read as this run's paintings.
    crate::workload::clear_paintings(&out);
    let (plans, modelled) = match cluster {
        Some(cluster) => {
            let plans = cluster.layout(mode);
            let modelled = Cluster::model_plans(&plans);
            (plans, modelled)
        }
        None => (mode.layout(workload.workers, workload.cores.as_deref()), Vec::new()),
    };
    let modelled = if cluster.is_some() { &modelled } else { &plans };
    // The calibrated painting time: zero for `--paint 0ms`, which calibrates to 0 strokes.
    let model = schedule::Model::new(modelled, workload.work(calibration.paint()), workload.allowed_cores.len());
    // The prediction, on a thread of its own: a Ctrl-C is answered even
    // while a hundred thousand paintings are simulated.
    let predicting = model.clone();
    let ideal = schedule::interruptible(
        move |stop| schedule::simulate(&predicting, &schedule::Feed::default(), stop),
        interrupts,
    )
    .await
    .map_err(|signal| Interrupted::before_start(signal, workload.paintings))?;
    let longest = ideal.longest_painting();
    // Painters on other hosts are handed their paintings one at a time
    // (their answers are made local one message at a time).
    // Chosen here, chunks are guided: as large as Python's `Pool.map`
    // sends while much is left, smaller as the queue empties.
    let guided = cluster.is_none() && workload.chunk.is_none() && model.ahead > 0;
    let chunk = if cluster.is_some() {
        1
    } else if guided {
        let lanes = plans.iter().map(|plan| plan.lanes).sum();
        assign::guided(workload.paintings, lanes, model.ahead)
    } else {
        workload.chunk.unwrap_or_else(|| assign::chunk(model.ahead))
    };
    let policy = Policy {
        ahead: model.ahead,
        chunk,
        guided,
        retries: workload.retries,
        timeout: workload.timeout(longest),
        longest,
    };
    let launch = Launch {
        binary: binary.to_path_buf(),
        out,
        slice_strokes: calibration.strokes_in(workload.slice),
        hosts: cluster.cloned(),
    };
    let jobs = dispatch::Jobs::new(workload.jobs(calibration.strokes));
    // Dropping a half-started pool on a signal kills the painters it has.
    let mut pool = tokio::select! {
        pool = Pool::spawn(launch, &plans) => pool?,
        signal = interrupts.recv() => return Err(Interrupted::before_start(signal, workload.paintings).into()),
    };
    // A remote painter's pid is another machine's: nothing to sample here.
    let pids: Vec<u32> = pool.painters.iter().map(|p| if p.remote.is_some() { 0 } else { p.pid() }).collect();
    let sampler = Sampler::start(&pids);
    let mut outcome = match dispatch::run(&mut pool, jobs, policy, interrupts, progress).await {
        Ok(outcome) => outcome,
        Err(interrupted) => {
            pool.stop(interrupts).await;
            return Err(interrupted.into());
        }
    };
    let cpu = sampler.stop().await;
    let painters: Vec<_> = pool.painters.iter().map(|p| (p.hello.clone(), p.startup)).collect();
    let starts: Vec<report::gap::Start> = pool
        .painters
        .iter()
        .map(|p| report::gap::Start {
            spawned_ns: p.spawned_ns,
            ready_ns: p.ready_ns,
            remote: p.remote.clone(),
            launcher: match (&p.remote, cluster) {
                (Some(_), Some(cluster)) => cluster.launcher.name().to_owned(),
                _ => "local".to_owned(),
            },
            round_trip_s: p.clock.map(|c| c.start.bound_ns as f64 * 2.0 / 1e9),
            local_s: p.remote.as_ref().and(cluster).and_then(|c| c.local_spawn).map(|d| d.as_secs_f64()),
        })
        .collect();
    let mut farewells = pool.shutdown().await;
    // A remote painter's times, refined with the offset interpolated
    // between its clock's two estimates.
    let clocks: Vec<_> = farewells.iter().map(|f| f.clock).collect();
    hosts::refine(&mut outcome, &clocks);
    for farewell in &mut farewells {
        for states in &mut farewell.states {
            hosts::refine_states(states, farewell.clock);
        }
    }
    // Where the time went: the model fed with what happened, step by step,
    // on a thread of its own like the prediction.
    let facts = report::gap::Facts::gather(&outcome, &model, &starts, plans.len());
    let steps = schedule::interruptible(move |stop| report::gap::steps(&model, facts, stop), interrupts)
        .await
        .map_err(|signal| Interrupted::after_all(signal, &outcome))?;
    Ok(report::build(Measured {
        mode,
        painters,
        planned: plans.len(),
        outcome,
        farewells,
        predicted: ideal,
        steps,
        cpu,
        workload,
        calibration,
        chunk: policy.chunk,
        chunk_guided: policy.guided,
    }))
}

/// `coordinator plan`: the ideal of the modes, as text or JSON.
fn print_plan(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let workload = Workload::from_args(&args.workload)?;
    if let Some(strokes) = workload.strokes {
        bail!(
            "plan predicts from --paint; --strokes {strokes} takes as long as this machine takes, which only run and compare measure"
        );
    }
    let modes = args.modes.modes();
    let planned = report::plan::plan(&workload, &modes);
    let output = if args.json {
        #[derive(Serialize)]
        struct Plan<'a> {
            schema_version: u32,
            workload: &'a Workload,
            modes: &'a [report::plan::Planned],
        }
        serde_json::to_string_pretty(&Plan {
            schema_version: report::SCHEMA_VERSION,
            workload: &workload,
            modes: &planned,
        })? + "\n"
    } else {
        let (columns, color) = terminal();
        report::plan::render(&workload, &planned, columns, color)
    };
    write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}

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

/// A `compare` as JSON: the workload once, then every run.
#[derive(Serialize)]
struct Comparison<'a> {
    schema_version: u32,
    workload: &'a Workload,
    calibration: &'a Calibration,
    runs: &'a [RunReport],
}

/// A single `run` as JSON: the run's fields, with the workload beside them.
#[derive(Serialize)]
struct Single<'a> {
    schema_version: u32,
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
    if json {
        // Written as it is made, not made into one string first: the JSON
        // of a million paintings is half a gigabyte. In blocks of a
        // megabyte: stdout passes each block on up to its last line break,
        // so a small buffer would cost two writes every few kilobytes
        // (116,889 for a million paintings, with the default 8 KiB).
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let written = match (compare, runs) {
            (false, [run]) => serde_json::to_writer_pretty(
                &mut out,
                &Single { schema_version: report::SCHEMA_VERSION, run, workload, calibration },
            ),
            _ => serde_json::to_writer_pretty(
                &mut out,
                &Comparison { schema_version: report::SCHEMA_VERSION, workload, calibration, runs },
            ),
        };
        // A reader that stopped reading (`| head`) loses the report: say so.
        return written
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .context("cannot write the report to stdout");
    }
    let (columns, color) = terminal();
    write_stdout(&text::render(workload, calibration, runs, text::Options { columns, color }))
}

/// The width to fit: `$COLUMNS` when it is set to a width (so that a user,
/// or a script, can ask for one, as with `ls`), else that of stdout's
/// terminal, else a width most terminals have; and whether to use colour.
fn terminal() -> (usize, bool) {
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c > 0)
        .or_else(|| terminal_size::terminal_size_of(&stdout).map(|(width, _)| usize::from(width.0)))
        .unwrap_or(100);
    (columns, color)
}

fn write_stdout(output: &str) -> anyhow::Result<()> {
    let mut lock = std::io::stdout().lock();
    // A reader that stopped reading (`| head`) loses the report: say so.
    lock.write_all(output.as_bytes()).and_then(|()| lock.flush()).context("cannot write the report to stdout")
}
