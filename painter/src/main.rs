//! The `painter` binary: one of atelier's worker processes.
//!
//! It is meant to be started by `coordinator`, with stdin and stdout on
//! pipes. Started by hand on a terminal, it says so and exits.

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use painter::inbox::Inbox;
use painter::outbox::Outbox;
use painter::{Settings, asynchronous, blocking, process, threads};
use protocol::{FromPainter, Scheduler, handshake};

/// One of atelier's painter processes. It speaks a binary protocol on stdin
/// and stdout and is started by `coordinator`; run `coordinator --help`.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// This painter's number: it becomes the process name `painter-K`.
    #[arg(long)]
    id: u32,
    /// How to schedule jobs.
    #[arg(long, value_enum)]
    scheduler: SchedulerArg,
    /// Cores to pin to, comma-separated: one for `blocking` and `async`,
    /// one per thread for `threads`. Without it, runs unpinned.
    #[arg(long, value_delimiter = ',')]
    cores: Vec<u32>,
    /// Threads for the `threads` scheduler when `--cores` is not given.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    lanes: u32,
    /// Folder for the finished paintings.
    #[arg(long)]
    out: PathBuf,
    /// Async scheduler: strokes between two yields to the runtime.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    slice_strokes: u64,
    /// Send finished pictures back over stdout instead of saving them in
    /// `--out`: for a painter on another host.
    #[arg(long)]
    pictures_home: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchedulerArg {
    Blocking,
    Async,
    Threads,
}

fn main() -> ExitCode {
    // `painter --probe`: one line about this host, for a coordinator about
    // to plan painters here (see `painter::probe`); with `--then-serve`, it
    // may then be told to paint here.
    let mut words = std::env::args_os().skip(1);
    let args = if words.next().is_some_and(|arg| arg == "--probe") {
        // On a terminal nobody will tell it what to paint as.
        let serves = words.next().is_some_and(|arg| arg == "--then-serve") && !std::io::stdin().is_terminal();
        match probe(serves) {
            Ok(Some(args)) => args,
            Ok(None) => return ExitCode::SUCCESS,
            Err(code) => return code,
        }
    } else {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "painter: this is one of atelier's worker processes. It speaks a binary protocol on\n\
                 stdin/stdout and is started by the coordinator; try `coordinator --help`."
            );
            return ExitCode::from(2);
        }
        Args::parse()
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            // Stderr may be a pipe to a coordinator that is gone: a failed
            // write is no reason to panic.
            let _ = writeln!(std::io::stderr(), "painter-{}: error: {error:#}", args.id);
            // A painter orphaned before it could tie its life to the
            // coordinator's ends as one whose stdin closed: the coordinator is gone.
            if matches!(error.downcast_ref::<painter::Error>(), Some(painter::Error::Orphaned(_))) {
                return ExitCode::from(u8::try_from(process::EXIT_STDIN_CLOSED).unwrap_or(1));
            }
            ExitCode::FAILURE
        }
    }
}

/// Says the probe's line; if it `serves`, then waits to be told what to
/// paint as, and returns those arguments. `None`: its work is done.
fn probe(serves: bool) -> Result<Option<Args>, ExitCode> {
    let line = painter::probe::line(serves).map_err(|error| {
        eprintln!("painter --probe: cannot read this process's allowed cores: {error}");
        ExitCode::FAILURE
    })?;
    // The one time a painter's stdout carries text, not frames.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").and_then(|()| stdout.flush()).map_err(|_| ExitCode::FAILURE)?;
    drop(stdout);
    if !serves {
        return Ok(None);
    }
    // Unbuffered, from a duplicate of fd 0: std's buffered stdin could take
    // bytes of the protocol that follows.
    let told = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|error| format!("cannot use stdin: {error}"))
        .and_then(|fd| painter::probe::told(&mut std::fs::File::from(fd)));
    let words = match told {
        Ok(Some(words)) => words,
        Ok(None) => return Ok(None),
        Err(why) => {
            eprintln!("painter --probe --then-serve: {why}");
            return Err(ExitCode::from(2));
        }
    };
    Args::try_parse_from(std::iter::once("painter".into()).chain(words)).map(Some).map_err(|error| {
        let _ = error.print();
        ExitCode::from(2)
    })
}

/// `tracing` to stderr, filtered by `RUST_LOG` (warnings by default).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}

fn run(args: &Args) -> anyhow::Result<()> {
    process::die_with_parent()?;
    process::set_name(args.id)?;
    painter::fault::arm(args.id).map_err(anyhow::Error::msg)?;
    painter::states::arm().map_err(anyhow::Error::msg)?;
    let scheduler = match args.scheduler {
        SchedulerArg::Blocking => Scheduler::Blocking,
        SchedulerArg::Async => Scheduler::Async,
        SchedulerArg::Threads => Scheduler::Threads,
    };
    // One core for a one-lane painter; one per lane for `threads`.
    let lane_cores: Vec<Option<u32>> = match (scheduler, args.cores.as_slice()) {
        (Scheduler::Threads, []) => vec![None; args.lanes as usize],
        (Scheduler::Threads, cores) => cores.iter().copied().map(Some).collect(),
        (_, []) => vec![None],
        (_, [core]) => vec![Some(*core)],
        (_, more) => anyhow::bail!("a {} painter takes one core, not {}", scheduler.name(), more.len()),
    };
    if scheduler != Scheduler::Threads
        && let Some(core) = lane_cores[0]
    {
        // Before any thread starts, so that they all inherit the core.
        process::pin(core)?;
    }

    // Frames go to a duplicate of fd 1 rather than through `std::io::stdout`,
    // whose line buffering would flush at every 0x0A byte of binary data;
    // they come from a duplicate of fd 0, with a buffer of our own.
    let stdout = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned().context("cannot use stdout")?);
    let stdin = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned().context("cannot use stdin")?);
    let outbox = Outbox::new(stdout);
    let lanes = u32::try_from(lane_cores.len()).context("too many lanes")?;
    let mut hello = handshake::hello(args.id, lane_cores.iter().flatten().copied().collect(), lanes, scheduler);
    if let FromPainter::Hello(hello) = &mut hello {
        painter::fault::greet(hello);
    }
    outbox.send(hello);
    outbox.flush();
    // What can wait does, until the coordinator has its `Hello`: a
    // painter's start-up is on the critical path of every run.
    init_logging();
    // After arming a fault, which may block a signal for every thread to come.
    painter::watchdog::start().context("cannot start the stdin watchdog")?;
    tracing::debug!(painter = args.id, ?lane_cores, scheduler = scheduler.name(), "ready");

    let settings =
        Settings { out_dir: args.out.clone(), slice_strokes: args.slice_strokes, pictures_home: args.pictures_home };
    match scheduler {
        Scheduler::Blocking => blocking::run(Inbox::new(stdin), &outbox, &settings),
        Scheduler::Async => asynchronous::run(stdin, &outbox, &settings)?,
        Scheduler::Threads => threads::run(Inbox::new(stdin), &outbox, &settings, &lane_cores)?,
    }
    outbox.send(FromPainter::Goodbye(process::goodbye()));
    outbox.flush();
    Ok(())
}
