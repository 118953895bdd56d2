//! Misbehaving on purpose, so that the coordinator's handling of every
//! kind of painter failure can be tested against the real binary.
//!
//! Set `ATELIER_PAINTER_FAULT=KIND[@JOB][/PAINTER]` in the coordinator's
//! environment (painters inherit it): painter `PAINTER` (default 0)
//! misbehaves as `KIND` when it is handed painting `JOB` (default: its
//! first). Several faults, separated by commas, strike one after the
//! other (`fail@100,exit@300`: painting #100 fails, then the painter dies
//! at #300, both inside one chunk). A replacement painter has another
//! number, so a fault strikes once. Unset — as in every normal run —
//! nothing here does anything.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::sys::signal::{SigSet, Signal};
use protocol::{Effort, Event, EventKind, FromPainter, Job, JobDone};

use crate::outbox::Outbox;

/// The environment variable that asks for a fault.
pub const ENV: &str = "ATELIER_PAINTER_FAULT";

/// The ways a painter can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exits with status 7, saying so on stderr.
    Exit,
    /// Panics (exit status 101, the message on stderr).
    Panic,
    /// Paints for ever: a hang that burns CPU.
    Hang,
    /// Stops itself with SIGSTOP: a hang that burns nothing.
    Stop,
    /// Writes a frame length over the protocol's maximum.
    Oversize,
    /// Writes half a frame, then exits.
    Truncated,
    /// Writes a frame whose bytes are no message.
    Garbage,
    /// Prints a log line on stdout, the protocol's channel.
    StdoutLog,
    /// Says `Hello` with a protocol version from the future.
    Version,
    /// Answers a job with a message that makes no sense mid-run.
    Unknown,
    /// Starts a child that keeps its pipes open, then exits.
    Fork,
    /// Writes 4 MiB to stderr, then paints as usual.
    Flood,
    /// Ignores SIGTERM (blocks it from the start), so only SIGKILL stops it.
    Deaf,
    /// Says a coat is painted before saying it started.
    Unstarted,
    /// Says it started painting again and again, every half second, and
    /// never finishes: each repeat looks like news.
    Restart,
    /// Timestamps a start ten years in the future.
    TimeTravel,
    /// Reports a painting done that it was never given.
    Foreign,
    /// Writes terminal escape sequences (a window title, a colour) to
    /// stderr, then paints as usual.
    Escape,
    /// Says `Hello` with zero lanes.
    NoLanes,
    /// Says `Hello` with another process's pid (`pid=N`).
    ClaimPid(u32),
    /// Answers calibration with a stroke of 1e300 ns.
    HugeStroke,
    /// Sends home a forged picture of a painting it was never given
    /// (#99999), and says it done.
    ForeignPicture,
    /// Sends home a forged picture of the painting it was just given, and
    /// says it done before painting a stroke of it.
    EarlyPicture,
    /// Waits this many milliseconds before saying `Hello` (`slow-hello=MS`):
    /// a painter slow to start, as one behind a slow login is.
    SlowHello(u32),
    /// Burns as much CPU again after each coat as painting it took
    /// (`heavy`): strokes dearer than calibrated, as on a machine that has
    /// slowed down since the stroke was measured. The pictures are the same.
    Heavy,
    /// Paints the painting, then says it could not finish it (as when its
    /// picture cannot be saved) and carries on with the next, as a well
    /// painter whose disk is full does.
    Fail,
    /// Is refused the kernel's switch records (`no-perf`), as a painter
    /// is where `perf_event_open` is not allowed: it measures its threads
    /// from their own clocks instead.
    NoPerf,
    /// Says its thread ran a moment after the machine booted, long
    /// before the painter was started (`past-states`).
    PastStates,
}

/// A fault asked for, and where it strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: Kind,
    /// On which painting (`None`: the first this painter is given).
    pub job: Option<u32>,
    /// In which painter.
    pub painter: u32,
}

impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (rest, painter) = match text.split_once('/') {
            Some((rest, painter)) => (rest, painter.parse().map_err(|_| format!("bad painter number in {text:?}"))?),
            None => (text, 0),
        };
        let (kind, job) = match rest.split_once('@') {
            Some((kind, job)) => (kind, Some(job.parse().map_err(|_| format!("bad painting number in {text:?}"))?)),
            None => (rest, None),
        };
        let kind = match kind {
            "exit" => Kind::Exit,
            "panic" => Kind::Panic,
            "hang" => Kind::Hang,
            "stop" => Kind::Stop,
            "oversize" => Kind::Oversize,
            "truncated" => Kind::Truncated,
            "garbage" => Kind::Garbage,
            "stdout-log" => Kind::StdoutLog,
            "version" => Kind::Version,
            "unknown" => Kind::Unknown,
            "fork" => Kind::Fork,
            "flood" => Kind::Flood,
            "deaf" => Kind::Deaf,
            "unstarted" => Kind::Unstarted,
            "restart" => Kind::Restart,
            "time-travel" => Kind::TimeTravel,
            "foreign" => Kind::Foreign,
            "escape" => Kind::Escape,
            "no-lanes" => Kind::NoLanes,
            "huge-stroke" => Kind::HugeStroke,
            "foreign-picture" => Kind::ForeignPicture,
            "early-picture" => Kind::EarlyPicture,
            "heavy" => Kind::Heavy,
            "fail" => Kind::Fail,
            "no-perf" => Kind::NoPerf,
            "past-states" => Kind::PastStates,
            other => {
                match (other.strip_prefix("pid=").map(str::parse), other.strip_prefix("slow-hello=").map(str::parse)) {
                    (Some(Ok(pid)), _) => Kind::ClaimPid(pid),
                    (_, Some(Ok(ms))) => Kind::SlowHello(ms),
                    _ => return Err(format!("unknown fault {other:?}")),
                }
            }
        };
        Ok(Self { kind, job, painter })
    }
}

/// The faults armed in this painter, each with whether it has struck.
static FAULTS: OnceLock<Vec<(Fault, AtomicBool)>> = OnceLock::new();

/// Reads the faults for painter `id` from the environment, once, at start,
/// before any other thread is started.
///
/// # Errors
/// If the variable is set but does not parse.
pub fn arm(id: u32) -> Result<(), String> {
    let faults = match std::env::var(ENV) {
        // Set but empty is not set: `ATELIER_PAINTER_FAULT= coordinator …`.
        Ok(text) if !text.is_empty() => text
            .split(',')
            .map(|one| one.parse::<Fault>().map_err(|e| format!("{ENV}: {e}")))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|f| f.painter == id)
            .collect(),
        _ => Vec::new(),
    };
    for fault in &faults {
        tracing::info!(?fault, "armed with a fault, on purpose");
        if fault.kind == Kind::Deaf {
            // Before any other thread starts, so that every thread inherits it.
            let mut term = SigSet::empty();
            term.add(Signal::SIGTERM);
            term.thread_block().map_err(|e| format!("cannot block SIGTERM: {e}"))?;
        }
    }
    let _ = FAULTS.set(faults.into_iter().map(|f| (f, AtomicBool::new(false))).collect());
    Ok(())
}

/// The faults armed, and whether each has struck.
fn faults() -> &'static [(Fault, AtomicBool)] {
    FAULTS.get().map_or(&[], Vec::as_slice)
}

/// Whether any fault is armed in this painter.
#[must_use]
pub fn armed() -> bool {
    !faults().is_empty()
}

/// The kind of the first fault armed, for those that strike at start or
/// on every coat rather than on one painting.
fn armed_kind() -> Option<Kind> {
    faults().first().map(|(fault, _)| fault.kind)
}

/// The fault that strikes on painting `job`, if one is armed for it and
/// has not struck yet (a fault without `@JOB` strikes on the first
/// painting only); it is then marked as struck.
fn strikes(job: u32, which: impl Fn(Kind) -> bool) -> Option<Fault> {
    faults().iter().find_map(|(fault, struck)| {
        let here = which(fault.kind) && fault.job.is_none_or(|id| id == job);
        (here && !struck.swap(true, Ordering::Relaxed)).then_some(*fault)
    })
}

/// Whether painting `job` is to fail on purpose (`fail`): the painter then
/// says it could not finish it, and why.
#[must_use]
pub fn fails(job: u32) -> Option<String> {
    strikes(job, |kind| kind == Kind::Fail).map(|_| format!("failing painting #{job} on purpose ({ENV})"))
}

/// Spoils this painter's `Hello`, if that is its fault; or, for
/// `slow-hello`, holds it back.
pub fn greet(hello: &mut protocol::Hello) {
    match armed_kind() {
        Some(Kind::SlowHello(ms)) => std::thread::sleep(Duration::from_millis(u64::from(ms))),
        Some(Kind::Version) => hello.protocol_version = protocol::PROTOCOL_VERSION + 98,
        Some(Kind::NoLanes) => hello.lanes = 0,
        Some(Kind::ClaimPid(pid)) => hello.pid = pid,
        _ => {}
    }
}

/// Spoils this painter's answer to calibration, if that is its fault.
#[must_use]
pub fn calibrated(answer: FromPainter) -> FromPainter {
    match (armed_kind(), answer) {
        (Some(Kind::HugeStroke), FromPainter::Calibrated { strokes, .. }) => {
            FromPainter::Calibrated { stroke_ns: 1e300, strokes }
        }
        (_, answer) => answer,
    }
}

/// Called as each painting is taken up: strikes if this is the one.
pub fn on_job(job: &Job, outbox: &Outbox) {
    // `fail` strikes as the painting is delivered, not as it is taken
    // up; `no-perf` from the start, not at a painting.
    let Some(fault) = strikes(job.id, |kind| !matches!(kind, Kind::Fail | Kind::NoPerf)) else { return };
    tracing::warn!(job = job.id, kind = ?fault.kind, "failing on purpose");
    // What was said before goes out first, so that the fault lands between frames.
    outbox.flush();
    match fault.kind {
        Kind::Exit => {
            eprintln!("painter: exiting early on purpose, at painting #{}", job.id);
            std::process::exit(7);
        }
        Kind::Panic => panic!("painting #{} went wrong on purpose", job.id),
        Kind::Hang => {
            let mut x = 1_u64;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
        }
        Kind::Stop => {
            let _ = nix::sys::signal::raise(Signal::SIGSTOP);
        }
        Kind::Oversize => raw_stdout(&u32::MAX.to_le_bytes()),
        Kind::Truncated => {
            let mut frame = 100_u32.to_le_bytes().to_vec();
            frame.extend_from_slice(&[0; 10]);
            raw_stdout(&frame);
            std::process::exit(9);
        }
        Kind::Garbage => {
            let mut frame = 8_u32.to_le_bytes().to_vec();
            frame.extend_from_slice(&[0xff; 8]);
            raw_stdout(&frame);
        }
        Kind::StdoutLog => raw_stdout(format!("painter: starting painting #{}\n", job.id).as_bytes()),
        Kind::Unknown => {
            outbox.send(FromPainter::Calibrated { stroke_ns: 1.0, strokes: 1 });
            outbox.flush();
        }
        Kind::Fork => {
            // The child inherits stdin, stdout and stderr, and outlives us.
            let _ = std::process::Command::new("sleep").arg("30").spawn();
            std::process::exit(8);
        }
        Kind::Flood => {
            let line = "painter: a very talkative painter fills its stderr pipe\n".repeat(64);
            let mut stderr = std::io::stderr().lock();
            for _ in 0..(4 << 20) / line.len() {
                let _ = stderr.write_all(line.as_bytes());
            }
        }
        Kind::Unstarted => {
            outbox.event(job.id, 0, 0, EventKind::PaintFinished(Effort::default()));
            outbox.flush();
        }
        Kind::Restart => loop {
            outbox.event(job.id, 0, 0, EventKind::PaintStarted);
            outbox.flush();
            std::thread::sleep(Duration::from_millis(500));
        },
        Kind::TimeTravel => {
            let decade = 10 * 365 * 24 * 3_600 * 1_000_000_000_u64;
            let at_ns = protocol::clock::now_ns() + decade;
            outbox.send(FromPainter::Event(Event {
                job: job.id,
                lane: 0,
                coat: 0,
                at_ns,
                kind: EventKind::PaintStarted,
            }));
            outbox.flush();
        }
        Kind::Foreign => {
            let at_ns = protocol::clock::now_ns();
            outbox.send(FromPainter::JobDone(JobDone { job: 99_999, lane: 0, at_ns, checksum: 0, path: None }));
            outbox.flush();
        }
        Kind::ForeignPicture => forged_picture(99_999, outbox),
        Kind::PastStates => {
            let span = protocol::StateSpan { state: protocol::ThreadState::Running, start_ns: 1, end_ns: 2, core: 0 };
            let states = protocol::States {
                lane: 0,
                source: protocol::StateSource::SwitchEvents,
                resolution_ns: 1,
                spans: vec![span],
            };
            outbox.send(FromPainter::States(states));
            outbox.flush();
        }
        Kind::EarlyPicture => forged_picture(job.id, outbox),
        Kind::Escape => {
            let _ = std::io::stderr().write_all(b"\x1b]0;pwned\x07\x1b[31mpainter: red text and a new window title\n");
        }
        Kind::Version
        | Kind::Deaf
        | Kind::NoLanes
        | Kind::ClaimPid(_)
        | Kind::HugeStroke
        | Kind::SlowHello(_)
        | Kind::Heavy
        | Kind::Fail
        | Kind::NoPerf => {}
    }
    // Give the coordinator time to notice before carrying on as if nothing happened.
    std::thread::sleep(Duration::from_millis(10));
}

/// A picture of painting `id` that no painter painted, sent home as a
/// painter with `--pictures-home` sends its own, then the painting said done.
fn forged_picture(id: u32, outbox: &Outbox) {
    let path = crate::save::send_home(id, b"\x89PNG forged: no painter painted this", outbox);
    let at_ns = protocol::clock::now_ns();
    let path = Some(path.display().to_string());
    outbox.send(FromPainter::JobDone(JobDone { job: id, lane: 0, at_ns, checksum: 0, path }));
    outbox.flush();
}

/// After a coat whose painting took `effort` of this thread: for `heavy`,
/// burns as much CPU again, so that the coat costs twice its strokes.
pub fn after_coat(effort: Effort) {
    if !faults().iter().any(|(fault, _)| fault.kind == Kind::Heavy) {
        return;
    }
    let until = crate::effort::thread_cpu_ns().saturating_add(effort.cpu_ns);
    let mut x = 1_u64;
    while crate::effort::thread_cpu_ns() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
}

/// Whether this painter is to be refused the kernel's switch records.
#[must_use]
pub fn refuses_perf() -> bool {
    faults().iter().any(|(fault, _)| fault.kind == Kind::NoPerf)
}

/// Writes straight to fd 1, past the outbox: what a stray `print!` does.
fn raw_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!("exit".parse(), Ok(Fault { kind: Kind::Exit, job: None, painter: 0 }));
        assert_eq!("stop@3/2".parse(), Ok(Fault { kind: Kind::Stop, job: Some(3), painter: 2 }));
        assert_eq!("pid=42@2".parse(), Ok(Fault { kind: Kind::ClaimPid(42), job: Some(2), painter: 0 }));
        assert_eq!("slow-hello=300/1".parse(), Ok(Fault { kind: Kind::SlowHello(300), job: None, painter: 1 }));
        assert_eq!("heavy".parse(), Ok(Fault { kind: Kind::Heavy, job: None, painter: 0 }));
        assert!("slow-hello=x".parse::<Fault>().is_err());
        assert!("melt".parse::<Fault>().is_err());
        assert!("pid=x".parse::<Fault>().is_err());
        assert!("exit@x".parse::<Fault>().is_err());
        assert_eq!("fail@100".parse(), Ok(Fault { kind: Kind::Fail, job: Some(100), painter: 0 }));
        assert_eq!("no-perf/2".parse(), Ok(Fault { kind: Kind::NoPerf, job: None, painter: 2 }));
    }
}
