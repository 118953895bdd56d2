//! What the coordinator and a painter say to each other.
//!
//! Two enums, one per direction, so that the type of a pipe says which
//! messages may travel on it: [`ToPainter`] on a painter's stdin,
//! [`FromPainter`] on its stdout.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The version of this protocol. A painter says it in [`Hello`]; a
/// coordinator refuses to work with a painter that speaks another one.
pub const PROTOCOL_VERSION: u32 = 7;

/// How a painter process schedules the jobs it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheduler {
    /// One job at a time: paint, then wait for it to dry, then the next.
    Blocking,
    /// One thread running a tokio current-thread runtime: while one painting
    /// dries, the next is painted.
    Async,
    /// One OS thread per core in one process, each blocking.
    Threads,
}

impl Scheduler {
    /// The name used on the painter's command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Blocking => "blocking",
            Self::Async => "async",
            Self::Threads => "threads",
        }
    }
}

/// The first message on every painter's stdout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Must stay the first field of the first variant of [`FromPainter`], so
    /// that a coordinator can read it even from a painter whose later fields
    /// it does not understand (see [`crate::handshake`]).
    pub protocol_version: u32,
    /// The painter's process id.
    pub pid: u32,
    /// The number the coordinator gave this painter (`painter-K`).
    pub painter_id: u32,
    /// The cores the painter pinned itself to, one per lane; empty when
    /// it runs unpinned.
    pub cores: Vec<u32>,
    /// How many jobs it works on at once with its CPU: 1, or the number of
    /// threads in `threads` mode.
    pub lanes: u32,
    /// How it schedules its jobs.
    pub scheduler: Scheduler,
    /// The name of the machine it runs on (`uname -n`), so that a report
    /// of painters on several hosts can tell them apart.
    pub host: String,
}

/// One painting to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The painting's number, unique in one run.
    pub id: u32,
    /// Chooses the picture; the same seed gives the same pixels.
    pub seed: u64,
    /// Units of painting work per coat (see the painter's calibration).
    pub strokes: u32,
    /// Coats of paint; each is painted, then dries.
    pub coats: u32,
    /// Per coat: the simulated wait for a slow disk.
    pub file_wait: Duration,
    /// Per coat: the simulated wait for a slow network.
    pub net_wait: Duration,
}

/// Coordinator → painter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToPainter {
    /// Measure how long one stroke takes on this core, painting for about
    /// `sample` in all, and answer [`FromPainter::Calibrated`].
    Calibrate {
        /// How long to spend measuring.
        sample: Duration,
        /// The pictures to measure on, by seed: those of the paintings to
        /// come, since strokes cost a few percent more or less from one
        /// picture to another. Empty: the picture of seed 0.
        seeds: Vec<u64>,
    },
    /// Paint this.
    Job(Job),
    /// Paint these, and answer in [`FromPainter::Steps`]: many paintings
    /// in one message, so that tiny ones do not pay a message each.
    Chunk(Chunk),
    /// No more work: finish what you hold, answer [`Goodbye`], and exit.
    Shutdown,
    /// Answer [`FromPainter::Pong`] at once, with the time on your clock:
    /// how the coordinator learns a remote painter's clock offset.
    Ping {
        /// Echoed in the answer.
        seq: u32,
    },
}

/// Painter → coordinator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromPainter {
    /// Must stay variant 0 (see [`Hello::protocol_version`]).
    Hello(Hello),
    /// The answer to [`ToPainter::Calibrate`].
    Calibrated {
        /// Time of one stroke, in nanoseconds.
        stroke_ns: f64,
        /// Strokes painted while measuring.
        strokes: u64,
    },
    /// Something happened to a painting, at a moment on the shared clock.
    Event(Event),
    /// A painting is finished and saved.
    JobDone(JobDone),
    /// A painting could not be finished.
    JobFailed(JobFailed),
    /// The answer to [`ToPainter::Shutdown`]; the last message.
    Goodbye(Goodbye),
    /// The answer to [`ToPainter::Ping`].
    Pong {
        /// The ping's `seq`.
        seq: u32,
        /// When the painter read the ping, on its own `CLOCK_MONOTONIC`.
        at_ns: u64,
    },
    /// Part of a finished painting's PNG, for a painter that sends its
    /// pictures home (one on another host) instead of saving them: the
    /// parts of one picture come in order, before its `JobDone`.
    Picture(Picture),
    /// What happened to paintings handed out in a [`Chunk`], many steps
    /// in one message, in the order they happened: instead of an `Event`,
    /// `JobDone` or `JobFailed` frame each.
    Steps(crate::steps::Steps),
    /// How one of the painter's threads spent a stretch of its life, as the
    /// kernel saw it: on a core, waiting for one, or off by its own choice.
    /// Sent as the stretches close (at least once before `Goodbye`), so
    /// that the coordinator can draw them as they happen.
    States(States),
}

impl FromPainter {
    /// The message's name, for error messages.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hello(_) => "Hello",
            Self::Calibrated { .. } => "Calibrated",
            Self::Event(_) => "Event",
            Self::JobDone(_) => "JobDone",
            Self::JobFailed(_) => "JobFailed",
            Self::Goodbye(_) => "Goodbye",
            Self::Pong { .. } => "Pong",
            Self::Picture(_) => "Picture",
            Self::Steps(_) => "Steps",
            Self::States(_) => "States",
        }
    }
}

/// A timestamped step in the life of one painting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Which painting.
    pub job: u32,
    /// Which of the painter's lanes (threads) did it; 0 for one-lane painters.
    pub lane: u32,
    /// Which coat, from 0.
    pub coat: u32,
    /// When, in `CLOCK_MONOTONIC` nanoseconds (see [`crate::clock`]).
    pub at_ns: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened to a painting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// The painter's CPU started on a coat.
    PaintStarted,
    /// The coat is painted, and this is what painting it took of the
    /// painting thread.
    PaintFinished(Effort),
    /// The coat started drying: a wait began.
    DryStarted(DryKind),
    /// That wait is over.
    DryFinished(DryKind),
    /// Work on saving the finished picture began: its colours, checksum,
    /// PNG, or writing the file. Never sent for a painting of zero strokes,
    /// which has no picture.
    SaveStarted,
    /// That work is done (or failed; `JobFailed` says so).
    SaveFinished,
}

/// What painting one coat took of the thread that painted it, as the
/// kernel counted it: the CPU time the thread used
/// (`CLOCK_THREAD_CPUTIME_ID`), and the time it was ready to run but
/// waited for a CPU that someone else held (`run_delay`, the second field
/// of `/proc/thread-self/schedstat`). Both zero for a coat of zero strokes,
/// which is not measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effort {
    /// CPU time the painting thread used, in nanoseconds.
    pub cpu_ns: u64,
    /// Time the painting thread waited for a CPU, in nanoseconds.
    pub run_delay_ns: u64,
}

/// The two waits of drying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DryKind {
    /// Saving to a slow disk.
    File,
    /// Delivering to the gallery over a slow network.
    Network,
}

/// What a thread was doing, as the kernel's scheduler saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ThreadState {
    /// On a core, using it.
    Running,
    /// Ready to run but not running: preempted, or woken and not yet on a
    /// core, because something else held the core.
    Waiting,
    /// Not wanting a core: sleeping (drying), or idle between paintings.
    Off,
}

impl ThreadState {
    /// The name used in reports: `running`, `waiting` or `off`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Off => "off",
        }
    }
}

/// How a painter learned its threads' states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StateSource {
    /// The kernel's context-switch records on the painter's own threads
    /// (`perf_event_open` with `context_switch`): every switch in and out,
    /// to the nanosecond.
    SwitchEvents,
    /// Where those are refused: the thread's CPU clock read against the
    /// monotonic clock every millisecond or so while it paints, with
    /// `sched_getcpu()`; a wait shorter than that goes unseen.
    SelfMeasured,
}

impl StateSource {
    /// The name used in reports: `switch-events` or `self-measured`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SwitchEvents => "switch-events",
            Self::SelfMeasured => "self-measured",
        }
    }
}

/// One stretch of a thread's life in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSpan {
    /// What it was doing.
    pub state: ThreadState,
    /// From, in `CLOCK_MONOTONIC` nanoseconds on the painter's clock.
    pub start_ns: u64,
    /// Until, on the same clock; never before `start_ns`.
    pub end_ns: u64,
    /// The core it ran on (`Running`), or waited for (`Waiting`: the core
    /// it was last on, where the scheduler keeps it queued); for `Off`,
    /// the core it left.
    pub core: u32,
}

/// Consecutive stretches of one painting thread's life, in order and
/// without overlap: each message goes on where the last one for the same
/// lane stopped (gaps are allowed, where the recorder lost records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct States {
    /// Which of the painter's lanes (threads).
    pub lane: u32,
    /// How they were measured.
    pub source: StateSource,
    /// The smallest wait this source can see, in nanoseconds (for
    /// `SelfMeasured`, its sampling period).
    pub resolution_ns: u64,
    /// The stretches, at most [`MAX_STATE_SPANS`] of them.
    pub spans: Vec<StateSpan>,
}

/// The most spans in one [`States`] message, well under the frame limit:
/// a span takes at most 24 bytes (two moments of 9, a core of 5, a state),
/// so 2,048 take 48 KiB of the 64. (It was 16,384, which a painter whose
/// threads switched that often between two messages could not send.)
pub const MAX_STATE_SPANS: usize = 2048;

/// A finished painting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDone {
    /// Which painting.
    pub job: u32,
    /// Which lane finished it.
    pub lane: u32,
    /// When, on the shared clock.
    pub at_ns: u64,
    /// FNV-1a of the painting's pixels: equal in every mode for one job.
    pub checksum: u64,
    /// Where the PNG was saved; `None` for a painting of zero strokes,
    /// which has no picture to save.
    pub path: Option<String>,
}

/// A painting that could not be finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailed {
    /// Which painting.
    pub job: u32,
    /// Which lane gave up on it.
    pub lane: u32,
    /// When, on the shared clock.
    pub at_ns: u64,
    /// Why, in one line.
    pub error: String,
}

/// A painter's last words: what it cost, as the kernel counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goodbye {
    /// CPU time spent in user mode, in nanoseconds.
    pub user_ns: u64,
    /// CPU time spent in the kernel, in nanoseconds.
    pub sys_ns: u64,
    /// Peak resident memory of the painter itself (`VmHWM`), in KiB.
    pub max_rss_kib: u64,
}

/// Part of a painting's PNG, travelling home over the pipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    /// Which painting.
    pub job: u32,
    /// Whether this is the last part.
    pub last: bool,
    /// The bytes, at most [`PICTURE_PART`] of them.
    pub bytes: Vec<u8>,
}

/// The most bytes of a picture in one [`Picture`] message, leaving room
/// under the frame limit for the rest of the message.
pub const PICTURE_PART: usize = crate::frame::MAX_FRAME_LEN - 1024;

/// Paintings handed out together, in one message: `count` paintings
/// numbered from `first.id` on, the k-th of them (from 0) with the seed
/// `first.seed + k` and otherwise like `first`. A run of the workload's
/// paintings has that shape, so a chunk of any size is a few bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// The first painting.
    pub first: Job,
    /// How many paintings, the first included.
    pub count: u32,
}

impl Chunk {
    /// The chunk's paintings, in order; none past painting number `u32::MAX`.
    pub fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        (0..self.count).map_while(|k| {
            let id = self.first.id.checked_add(k)?;
            Some(Job { id, seed: self.first.seed.wrapping_add(u64::from(k)), ..self.first.clone() })
        })
    }

    /// How many paintings it has: `count`, but none past painting number
    /// `u32::MAX`.
    #[must_use]
    pub fn paintings(&self) -> u32 {
        let room = u64::from(u32::MAX - self.first.id) + 1;
        u32::try_from(u64::from(self.count).min(room)).unwrap_or(u32::MAX)
    }

    /// Whether `next` continues the run of paintings that ends with `last`.
    #[must_use]
    pub fn continues(last: &Job, next: &Job) -> bool {
        last.id.checked_add(1) == Some(next.id)
            && last.seed.wrapping_add(1) == next.seed
            && (last.strokes, last.coats, last.file_wait, last.net_wait)
                == (next.strokes, next.coats, next.file_wait, next.net_wait)
    }
}
