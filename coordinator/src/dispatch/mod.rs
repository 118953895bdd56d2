//! Handing out paintings, collecting what the painters report, and
//! replacing a painter that fails.
//!
//! Who gets which painting is decided by [`crate::model::assign::Rule`], which
//! the ideal model (`schedule.rs`) follows too, with zero overhead: a
//! painting goes to a painter when one of its lanes can start it (late
//! binding), so none is queued behind a slow or busy painter while another
//! is free; only paintings too short to cover a round trip through the
//! pipes are queued ahead, [`Policy::ahead`] per lane, enough to hold
//! about a millisecond of work. Such paintings also go out in chunks
//! ([`Policy::chunk`]): a run of paintings in one `Chunk` message, which
//! the painter answers in one `Steps` message, so that hundreds of empty
//! paintings cost two messages, not hundreds. The dispatcher tells the
//! rule what the painters report (a coat started or painted, a painting
//! done), and hands out what the rule allows.
//!
//! Nothing is lost silently. A painter that dies, hangs past `--timeout`,
//! or says something that is not the protocol is stopped and reaped; the
//! paintings it held go back to the front of the queue (at most
//! `--retries` times each, after which they are reported lost by id), and
//! a fresh painter with the same cores takes its place.
//!
//! Uses `pool` (the painters it feeds), `model::assign` (the rule),
//! `news` (what it tells), `workload`, `hosts` (a remote painter's clock),
//! `mode`, `os` and `term`; used by `report` (its [`Outcome`]) and `app`.

mod held;

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use nix::sys::signal::Signal;
use protocol::contract::Conversation;
use protocol::{
    Chunk, Event, EventKind, FromPainter, Job, JobDone, JobFailed, Said, Scheduler, States, ToPainter, Unpacked,
    WholeLife,
};
use serde::Serialize;
use tokio::time::Instant;

use self::held::Held;
use crate::mode::painter_name;
use crate::model::assign::Rule;
use crate::news::{Listener, News};
use crate::os::signals::Interrupts;
use crate::pool::painter::{Exit, Heard, Incoming, Painter};
use crate::pool::{Pool, TERM_GRACE};
use crate::term::visible::{self, visible};

/// How jobs are handed out, and failures handled.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Jobs kept queued per lane beyond those being painted: 0 (late
    /// binding), or more for jobs too short to cover a round trip (see
    /// [`crate::model::assign::ahead`]).
    pub ahead: u32,
    /// The most paintings handed out in one message (see
    /// [`crate::model::assign::chunk`]): 1 sends each painting on its own.
    pub chunk: u32,
    /// Whether chunks are guided: `chunk` is then the largest, and each
    /// is sized by what is left (see [`crate::assign::guided`]).
    pub guided: bool,
    /// How many times a painting whose painter failed is handed out again.
    pub retries: u32,
    /// How long a painting may wait in a painter's queue, and then take to
    /// paint, before its painter is taken to be hung.
    pub timeout: Duration,
    /// The longest one painting takes in the ideal: a chunk is allowed
    /// `timeout` and that much for each of its paintings.
    pub longest: Duration,
}

/// What a run produced: every event and every finished painting, tagged
/// with the painter that sent it, and every failure.
#[derive(Debug, Default)]
pub struct Outcome {
    /// When the first job was handed out, on the shared clock.
    pub start_ns: u64,
    /// When the last painting was reported done.
    pub end_ns: u64,
    /// Every event, in the order received, but those of [`Outcome::lives`].
    pub events: Vec<(usize, Event)>,
    /// Every finished painting, but those of [`Outcome::lives`].
    pub done: Vec<(usize, JobDone)>,
    /// When the coordinator heard of each of `done` (same order), on the
    /// shared clock: a remote painter's picture had then come home.
    pub heard_ns: Vec<u64>,
    /// Paintings whose whole life came at once (an empty painting's), in
    /// the order received: each stands for two events and a `JobDone`
    /// with [`Outcome::life_checksum`]. Read them with the others through
    /// [`Outcome::all_events`] and [`Outcome::finished`].
    pub lives: Vec<Life>,
    /// The checksum of every painting in `lives`: that of no pixels.
    pub life_checksum: u64,
    /// When the coordinator heard the lives of `lives`, by the index of
    /// the first heard then: a message brings thousands at once.
    pub lives_heard: Vec<(usize, u64)>,
    /// Every painter that failed, and what became of its paintings.
    pub failures: Vec<Failure>,
    /// Paintings given up on, by number, with the reason.
    pub lost: Vec<Lost>,
    /// How each painter's threads spent the run (running, waiting for a
    /// core, off), as it measured them, on the painter's own clock, in the
    /// order received; what a painter says after the last painting is in
    /// its [`crate::pool::Farewell`].
    pub states: Vec<(usize, States)>,
    /// The coordinator's main thread — the one every painting goes through
    /// — over the hand-out, as the kernel counted it; `None` where it does
    /// not count threads, or the run was stopped.
    pub main_thread: Option<MainThread>,
}

/// The coordinator's main thread from the first painting handed out to the
/// last one done: how long that was, and how much of it the thread spent
/// on a CPU and waiting for one (never more, together, than all of it).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MainThread {
    /// From the first painting handed out to the last one done.
    pub span_s: f64,
    /// On a CPU.
    pub cpu_s: f64,
    /// Ready, waiting for a CPU.
    pub waited_s: f64,
}

/// A painting's whole life of one coat, as the coordinator keeps it:
/// started, painted and done with nothing between, its coat unmeasured
/// (no strokes), its checksum the run's [`Outcome::life_checksum`].
/// 24 bytes, where its two events, its `JobDone` and the moment it was
/// heard took 176 (the moment it was heard is kept once for all the
/// lives of a message: [`Outcome::lives_heard`]): a million empty
/// paintings are a million of these. A life that does not fit (a lane
/// past 65,535, a step over 4 s after the one before) is kept as its
/// messages instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Life {
    /// The painting.
    pub job: u32,
    /// Its painter, by index.
    pub painter: u16,
    /// Its lane.
    pub lane: u16,
    /// When its coat started painting, on the shared clock.
    pub started_ns: u64,
    /// Nanoseconds from then to painted, and to done.
    painted: u32,
    done: u32,
}

impl Life {
    /// `life` of painter `index`, if it fits.
    #[must_use]
    pub fn new(index: usize, life: &protocol::WholeLife) -> Option<Self> {
        let after = |from: u64, to: u64| u32::try_from(to.checked_sub(from)?).ok();
        let unmeasured = life.effort.cpu_ns == 0 && life.effort.run_delay_ns == 0;
        unmeasured.then_some(())?;
        Some(Self {
            job: life.job,
            painter: u16::try_from(index).ok()?,
            lane: u16::try_from(life.lane).ok()?,
            started_ns: life.started_ns,
            painted: after(life.started_ns, life.finished_ns)?,
            done: after(life.finished_ns, life.done_ns)?,
        })
    }

    /// When its coat was painted.
    #[must_use]
    pub fn painted_ns(&self) -> u64 {
        self.started_ns + u64::from(self.painted)
    }

    /// When it was done.
    #[must_use]
    pub fn done_ns(&self) -> u64 {
        self.painted_ns() + u64::from(self.done)
    }

    /// Its two events, in order, by painter index.
    #[must_use]
    pub fn events(&self) -> [(usize, Event); 2] {
        let event = |at_ns, kind| {
            (usize::from(self.painter), Event { job: self.job, lane: u32::from(self.lane), coat: 0, at_ns, kind })
        };
        [
            event(self.started_ns, EventKind::PaintStarted),
            event(self.painted_ns(), EventKind::PaintFinished(protocol::Effort::default())),
        ]
    }
}

/// A finished painting, as [`Outcome::finished`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct Finished<'a> {
    /// Its painter, by index.
    pub painter: usize,
    /// The painting.
    pub job: u32,
    /// The lane that finished it.
    pub lane: u32,
    /// When, on the shared clock.
    pub at_ns: u64,
    /// When the coordinator heard of it.
    pub heard_ns: u64,
    /// Its picture's checksum.
    pub checksum: u64,
    /// Where its picture was saved, if it has one.
    pub path: Option<&'a str>,
}

impl Outcome {
    /// Every event: those received as such, in order, then those of the
    /// whole lives, in order.
    pub fn all_events(&self) -> impl Iterator<Item = (usize, Event)> + '_ {
        self.events.iter().copied().chain(self.lives.iter().flat_map(Life::events))
    }

    /// Every finished painting: those received as `JobDone`, in order,
    /// then those of the whole lives, in order.
    pub fn finished(&self) -> impl Iterator<Item = Finished<'_>> + '_ {
        let done = self.done.iter().zip(&self.heard_ns).map(|(&(painter, ref done), &heard_ns)| Finished {
            painter,
            job: done.job,
            lane: done.lane,
            at_ns: done.at_ns,
            heard_ns,
            checksum: done.checksum,
            path: done.path.as_deref(),
        });
        // Each life with the moment its message was heard: the last
        // moment noted at or before its index.
        let mut heard = self.lives_heard.iter().peekable();
        let mut heard_ns = 0;
        done.chain(self.lives.iter().enumerate().map(move |(index, life)| {
            while let Some(&&(from, at_ns)) = heard.peek()
                && from <= index
            {
                heard_ns = at_ns;
                heard.next();
            }
            Finished {
                painter: usize::from(life.painter),
                job: life.job,
                lane: u32::from(life.lane),
                at_ns: life.done_ns(),
                heard_ns,
                checksum: self.life_checksum,
                path: None,
            }
        }))
    }

    /// How many paintings were finished.
    #[must_use]
    pub fn finished_count(&self) -> usize {
        self.done.len() + self.lives.len()
    }
}

/// A painter that failed during a run.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// What kind of failure, with its data (`"kind": "killed", "signal": 9`).
    #[serde(flatten)]
    pub kind: FailureKind,
    /// What happened, in a sentence naming the painter, its pid and the
    /// paintings it held.
    pub what: String,
    /// The paintings it held.
    pub held: Vec<u32>,
    /// Those of them handed out again.
    pub retried: Vec<u32>,
}

/// What went wrong with a painter, as data; [`Failure::what`] says it in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureKind {
    /// It was killed by a signal.
    Killed {
        /// The signal's number (9 for SIGKILL), as in a painter's `exit`.
        signal: i32,
    },
    /// It exited on its own, with this status.
    Exited {
        /// Its exit status.
        code: i32,
    },
    /// It closed its stdout and said no more, without exiting.
    Closed,
    /// It did not finish a painting within `--timeout`.
    Hung,
    /// It sent bytes that are not a message.
    Garbled,
    /// It sent messages that break the protocol (out of order, about a
    /// painting it did not hold, a timestamp outside the run…).
    Protocol,
    /// A painter could not be started in its place.
    SpawnFailed,
    /// It could not finish one painting (it could not save it, say), and
    /// carried on with the others.
    SaveFailed,
}

impl FailureKind {
    /// How a process's exit status reads as a failure.
    fn of_exit(exit: &Exit) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match exit.status.map(|status| (status.code(), status.signal())) {
            Some((Some(code), _)) => Self::Exited { code },
            Some((None, Some(signal))) => Self::Killed { signal },
            _ => Self::Closed,
        }
    }
}

/// A painting given up on.
#[derive(Debug, Clone, Serialize)]
pub struct Lost {
    /// Its number.
    pub id: u32,
    /// Why.
    pub why: String,
}

/// The run was stopped by a signal.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {}: {} of {total} paintings finished (finished: {}; unfinished: {})", signal.as_str(), finished.len(), ids(finished), ids(unfinished))]
pub struct Interrupted {
    /// Which signal.
    pub signal: Signal,
    /// Paintings finished before it.
    pub finished: Vec<u32>,
    /// Paintings not finished.
    pub unfinished: Vec<u32>,
    /// All paintings.
    pub total: usize,
}

impl Interrupted {
    /// Interrupted before any of `paintings` was handed out.
    #[must_use]
    pub fn before_start(signal: Signal, paintings: u32) -> Self {
        Self { signal, finished: Vec::new(), unfinished: (1..=paintings).collect(), total: paintings as usize }
    }

    /// Interrupted once every painting of `outcome` was finished or lost
    /// (while the report was being worked out).
    #[must_use]
    pub fn after_all(signal: Signal, outcome: &Outcome) -> Self {
        let mut finished: Vec<u32> = outcome.finished().map(|done| done.job).collect();
        finished.sort_unstable();
        let mut unfinished: Vec<u32> = outcome.lost.iter().map(|lost| lost.id).collect();
        unfinished.sort_unstable();
        let total = finished.len() + unfinished.len();
        Self { signal, finished, unfinished, total }
    }

    /// The conventional exit code: 128 + the signal's number.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.signal as i32).unwrap_or(255)
    }
}

/// How many events painting `job` brings: per coat, two for its painting
/// and two per wait; then, for a picture, up to two pairs for saving it
/// (preparing it while it dries, and writing it).
fn events_of(job: &Job) -> usize {
    let waits = usize::from(!job.file_wait.is_zero()) + usize::from(!job.net_wait.is_zero());
    let saving = if job.strokes > 0 { 4 } else { 0 };
    job.coats as usize * (2 + 2 * waits) + saving
}

/// Paintings by number, as ranges a person can read: `#1–#4, #7, #9`, or
/// `none`. Past a few ranges the rest are counted, not listed, so that the
/// line stays short; `--json` lists every one.
#[must_use]
pub fn ids(ids: &[u32]) -> String {
    /// Ranges listed before the rest are only counted.
    const SHOWN: usize = 8;
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for id in sorted {
        match ranges.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(id) => *last = id,
            _ => ranges.push((id, id)),
        }
    }
    if ranges.is_empty() {
        return "none".into();
    }
    let mut parts: Vec<String> = ranges
        .iter()
        .take(SHOWN)
        .map(|&(first, last)| match last - first {
            0 => format!("#{first}"),
            1 => format!("#{first}, #{last}"),
            _ => format!("#{first}–#{last}"),
        })
        .collect();
    if ranges.len() > SHOWN {
        let rest: u64 = ranges[SHOWN..].iter().map(|&(first, last)| u64::from(last - first) + 1).sum();
        parts.push(format!("and {rest} more"));
    }
    parts.join(", ")
}

/// The largest run whose books are checked after every message in debug
/// builds (see `Dispatcher::check_books`).
const BOOKS_CHECKED_UP_TO: usize = 5_000;

/// The most messages taken in one go before timers and signals are looked at.
const BURST: usize = 4096;

/// How late a timer may fire before the coordinator is taken to have not
/// been running meanwhile (stopped, or starved of a CPU): a timer fires
/// within a millisecond or two of its deadline, and a burst of messages
/// is taken in within a few tens.
const STALL: Duration = Duration::from_millis(250);

/// How long to wait for a painter's exit status once its stdout has closed,
/// or for the rest of its stdout once it has exited.
const EXIT_NEWS: Duration = Duration::from_millis(200);

/// Where a painter is, as the dispatcher sees it.
#[derive(Debug, Clone, Copy)]
enum Standing {
    /// Working, or ready to.
    Working,
    /// Its stdout has closed or it has exited, and the other piece of news
    /// is awaited until `until`.
    Leaving { until: Instant, closed: bool, exit: Option<Exit> },
    /// Stopped, reaped, and replaced if need be; anything more it said is ignored.
    Gone,
}

/// One painter's share of the work.
#[derive(Debug)]
struct Holding {
    /// Jobs held (sent, not done), with their deadlines.
    held: Held,
    /// What it may say next about each of them.
    talk: Conversation,
    standing: Standing,
}

impl Holding {
    fn new(painter: &Painter) -> Self {
        Self {
            held: Held::default(),
            talk: Conversation::new(painter.hello.lanes, painter.spawned_ns),
            standing: Standing::Working,
        }
    }
}

/// A run's paintings, made ready to hand out before any painter is
/// started: what takes time in proportion to the paintings (a million
/// of them take a fifth of a second) is not done while the painters wait,
/// where it would read as their start-up.
#[derive(Debug)]
pub struct Jobs {
    /// Every job, by number (sorted, for a retry to find its job).
    by_id: Vec<Job>,
    /// The jobs not yet handed out, in order.
    pending: VecDeque<Job>,
    /// How many events a run without failures brings.
    expected_events: usize,
    /// How many of its paintings may come as whole lives (one coat,
    /// nothing to paint or dry: see [`Life`]).
    lives: usize,
}

impl Jobs {
    /// Makes `jobs` ready to hand out.
    #[must_use]
    pub fn new(jobs: Vec<Job>) -> Self {
        let expected_events = jobs.iter().map(events_of).sum();
        let lives = jobs
            .iter()
            .filter(|job| job.coats == 1 && job.strokes == 0 && job.file_wait.is_zero() && job.net_wait.is_zero())
            .count();
        let mut by_id = jobs.clone();
        by_id.sort_unstable_by_key(|job| job.id);
        Self { by_id, pending: jobs.into(), expected_events, lives }
    }
}

/// Hands `jobs` to the pool's painters until every one is done or lost.
///
/// # Errors
/// [`Interrupted`] if a stop signal arrives; the painters are then still
/// running, for the caller to stop.
pub async fn run(
    pool: &mut Pool,
    jobs: Jobs,
    policy: Policy,
    interrupts: &mut Interrupts,
    progress: &mut dyn Listener,
) -> Result<Outcome, Interrupted> {
    let Jobs { by_id, pending, expected_events, lives } = jobs;
    let total = by_id.len();
    // In chunks, those paintings come as whole lives, kept as such: room
    // for them there, not for their events.
    let lives = if policy.chunk > 1 { lives } else { 0 };
    let mut dispatcher = Dispatcher {
        holding: pool.painters.iter().map(Holding::new).collect(),
        rule: {
            let rule = Rule::new(
                policy.ahead,
                pool.painters.iter().map(|p| (p.hello.lanes, p.hello.scheduler == Scheduler::Async)),
            );
            if policy.guided { rule.with_guided_chunk(policy.chunk) } else { rule.with_chunk(policy.chunk) }
        },
        jobs: by_id,
        pending,
        attempts: HashMap::new(),
        // Enough to replace every painter once per retry of every painting;
        // a painter that fails before taking any work cannot loop for ever.
        replacements_left: pool.painters.len() + total * policy.retries as usize,
        said: Vec::new(),
        lived: Vec::new(),
        policy,
        outcome: Outcome {
            start_ns: protocol::clock::now_ns(),
            // Room for every event a run without failures brings, so that
            // taking them in never stops to move what came before.
            events: Vec::with_capacity(expected_events - 2 * lives),
            done: Vec::with_capacity(total - lives),
            heard_ns: Vec::with_capacity(total - lives),
            lives: Vec::with_capacity(lives),
            ..Outcome::default()
        },
        pool,
        progress,
    };
    for index in 0..dispatcher.pool.painters.len() {
        dispatcher.show(index);
    }
    let before = crate::os::sampler::this_thread();
    let started = std::time::Instant::now();
    match dispatcher.hand_out(interrupts).await {
        Ok(()) => {
            let span_s = started.elapsed().as_secs_f64();
            let after = crate::os::sampler::this_thread();
            dispatcher.outcome.main_thread = before.zip(after).map(|(before, after)| {
                let seconds = |after: u64, before: u64| after.saturating_sub(before) as f64 / 1e9;
                MainThread {
                    span_s,
                    cpu_s: seconds(after.ran_ns, before.ran_ns),
                    waited_s: seconds(after.waited_ns, before.waited_ns),
                }
            });
            Ok(dispatcher.outcome)
        }
        Err(signal) => {
            let mut finished: Vec<u32> = dispatcher.outcome.finished().map(|done| done.job).collect();
            finished.sort_unstable();
            // Both lists are sorted: one pass, not a search per painting
            // (a Ctrl-C amid a million paintings must not take minutes).
            let unfinished =
                dispatcher.jobs.iter().map(|job| job.id).filter(|id| finished.binary_search(id).is_err()).collect();
            Err(Interrupted { signal, finished, unfinished, total })
        }
    }
}

struct Dispatcher<'a> {
    pool: &'a mut Pool,
    policy: Policy,
    holding: Vec<Holding>,
    rule: Rule,
    /// Every job, sorted by number.
    jobs: Vec<Job>,
    pending: VecDeque<Job>,
    attempts: HashMap<u32, u32>,
    replacements_left: usize,
    /// What the last `Steps` said, unpacked (kept for its capacity).
    said: Vec<Unpacked>,
    /// The whole lives of the last `Steps` taken in, for the news (kept
    /// for its capacity).
    lived: Vec<WholeLife>,
    outcome: Outcome,
    progress: &'a mut dyn Listener,
}

impl Dispatcher<'_> {
    /// Gives painter `index` its line in the progress display.
    fn show(&mut self, index: usize) {
        let hello = &self.pool.painters[index].hello;
        let cores = hello.cores.iter().map(|c| format!("@{c}")).collect::<String>();
        let label = match hello.lanes {
            1 => format!("{}{cores}", painter_name(hello.painter_id)),
            n => format!("{} ({n} threads)", painter_name(hello.painter_id)),
        };
        self.progress.hear(News::Joined { painter: index, label: &label, hello });
    }

    async fn hand_out(&mut self, interrupts: &mut Interrupts) -> Result<(), Signal> {
        let total = self.jobs.len();
        self.top_up_all();
        while self.outcome.finished_count() + self.outcome.lost.len() < total {
            let deadline = self.next_deadline();
            tokio::select! {
                incoming = self.pool.incoming.recv() => match incoming {
                    Some(incoming) => {
                        self.hear(incoming).await;
                        // Whatever else has arrived, before the timers and
                        // signals are looked at again: a painter's burst of
                        // events is taken in one go.
                        for _ in 0..BURST {
                            if self.outcome.finished_count() + self.outcome.lost.len() == total {
                                break;
                            }
                            let Some(incoming) = self.pool.incoming.try_recv() else { break };
                            self.hear(incoming).await;
                        }
                    }
                    // Cannot happen while the pool holds a sender; but if it
                    // did, nothing more would ever be heard.
                    None => self.give_up_pending("every painter's pipe is closed"),
                },
                signal = interrupts.recv() => return Err(signal),
                () = sleep_until(deadline) => match deadline.map(|due| due.elapsed()).filter(|late| *late > STALL) {
                    // The timer fired this late: the coordinator itself was
                    // not running (stopped with SIGSTOP or Ctrl-Z, or starved
                    // of a CPU), and what the painters said meanwhile is
                    // still in the pipes. The time stands still for them
                    // too: every deadline moves by the stall, and by a
                    // moment more in which what they said is heard (the
                    // readers run once the dispatcher waits again), before
                    // any deadline is looked at again.
                    Some(late) => {
                        tracing::warn!("the coordinator did not run for {late:.1?}: every painter's deadline moves by as much");
                        self.postpone(late + STALL);
                    }
                    None => {
                        self.check_deadlines().await;
                        self.check_books(false);
                    }
                },
            }
        }
        self.check_books(true);
        Ok(())
    }

    /// In debug builds, checks the dispatcher's books: every painting is
    /// exactly one of waiting, held by one painter, finished or lost.
    /// It costs a pass over every painting, so it is made after every
    /// message only in runs small enough for that (all the tests' fault
    /// runs), and at the end of every run.
    fn check_books(&self, always: bool) {
        if cfg!(debug_assertions)
            && (always || self.jobs.len() <= BOOKS_CHECKED_UP_TO)
            && let Err(error) = self.books()
        {
            panic!("the dispatcher's books do not balance: {error}");
        }
    }

    /// Where each painting is, counted: an error naming the first painting
    /// that is in no place or in more than one.
    fn books(&self) -> Result<(), String> {
        let mut places = vec![0_u8; self.jobs.len()];
        let mut count = |id: u32, place: &str| -> Result<(), String> {
            let at =
                self.jobs.binary_search_by_key(&id, |job| job.id).map_err(|_| format!("#{id} {place}, unknown"))?;
            places[at] += 1;
            if places[at] > 1 { Err(format!("#{id} is {place} and somewhere else too")) } else { Ok(()) }
        };
        for job in &self.pending {
            count(job.id, "waiting")?;
        }
        for holding in &self.holding {
            for id in holding.held.jobs() {
                count(id, "held")?;
            }
        }
        for done in self.outcome.finished() {
            count(done.job, "finished")?;
        }
        for lost in &self.outcome.lost {
            count(lost.id, "lost")?;
        }
        match places.iter().position(|&n| n == 0) {
            Some(at) => Err(format!("#{} is nowhere", self.jobs[at].id)),
            None => Ok(()),
        }
    }

    async fn hear(&mut self, incoming: Incoming) {
        self.hear_one(incoming).await;
        self.check_books(false);
    }

    async fn hear_one(&mut self, incoming: Incoming) {
        let index = incoming.painter;
        if matches!(self.holding[index].standing, Standing::Gone) {
            tracing::debug!(painter = index, "ignoring what a stopped painter said: {:?}", incoming.heard);
            return;
        }
        match incoming.heard {
            Heard::Message(message) => {
                if let Err(why) = self.take(index, message, incoming.at_ns) {
                    self.fail(index, FailureKind::Protocol, why).await;
                }
            }
            Heard::Garbled(error) => {
                let why = format!("{} sent a bad frame ({error})", self.pool.painters[index].who());
                self.fail(index, FailureKind::Garbled, why).await;
            }
            Heard::Closed => self.leaving(index, true, None).await,
            Heard::Exited(exit) => self.leaving(index, false, Some(exit)).await,
        }
    }

    /// Takes in one message from a painter at work, heard at `at_ns`; when
    /// it breaks the protocol, why, in words, and nothing of it is taken.
    fn take(&mut self, index: usize, message: FromPainter, at_ns: u64) -> Result<(), String> {
        match message {
            FromPainter::Event(event) => {
                self.holding[index].talk.event(&event, at_ns).map_err(|breach| self.broke(index, breach))?;
                self.took_event(index, event);
                if matches!(event.kind, EventKind::PaintStarted | EventKind::PaintFinished(_)) {
                    self.top_up_all();
                }
            }
            FromPainter::JobDone(done) => {
                self.holding[index].talk.done(&done, at_ns).map_err(|breach| self.broke(index, breach))?;
                self.took_done(index, done, at_ns)?;
                self.top_up_all();
            }
            FromPainter::JobFailed(failed) => {
                self.holding[index].talk.failed(&failed).map_err(|breach| self.broke(index, breach))?;
                self.not_finished(index, &failed);
                self.top_up_all();
            }
            FromPainter::Steps(steps) => self.took_steps(index, &steps, at_ns)?,
            FromPainter::States(states) => {
                let painter = &mut self.pool.painters[index];
                painter
                    .states
                    .check(&states, painter.hello.lanes, at_ns)
                    .map_err(|breach| self.broke(index, breach))?;
                self.progress.hear(News::States { painter: index, states: &states });
                self.outcome.states.push((index, states));
            }
            other => {
                return Err(self.broke(index, format!("it sent {} in the middle of its work", other.name())));
            }
        }
        Ok(())
    }

    /// Why painter `index` is failed for `breach`.
    fn broke(&self, index: usize, breach: impl std::fmt::Display) -> String {
        format!("{} broke the protocol: {breach}", self.pool.painters[index].who())
    }

    /// Takes in a `Steps` message: checked whole, then taken in, so that a
    /// breach anywhere in it fails the painter, and its paintings are
    /// handed out again.
    fn took_steps(&mut self, index: usize, steps: &protocol::Steps, at_ns: u64) -> Result<(), String> {
        let mut said = std::mem::take(&mut self.said);
        if let Err(breach) = self.holding[index].talk.steps_whole(steps, at_ns, &mut said) {
            self.said = said;
            return Err(self.broke(index, breach));
        }
        let mut lived = std::mem::take(&mut self.lived);
        let mut refused = Ok(());
        for message in said.drain(..) {
            refused = match message {
                Unpacked::Life(life) => self.took_life(index, &life, at_ns, &mut lived),
                Unpacked::One(said) => self.took_said(index, said, at_ns),
            };
            if refused.is_err() {
                break;
            }
        }
        if !lived.is_empty() {
            self.progress.hear(News::Lived { painter: index, lives: &lived });
        }
        lived.clear();
        self.lived = lived;
        said.clear();
        self.said = said;
        refused?;
        self.top_up_all();
        Ok(())
    }

    /// Takes in a message the contract accepted, unpacked from steps.
    fn took_said(&mut self, index: usize, said: Said, heard_ns: u64) -> Result<(), String> {
        match said {
            Said::Event(event) => self.took_event(index, event),
            Said::Done(done) => return self.took_done(index, done, heard_ns),
            Said::Failed(failed) => self.not_finished(index, &failed),
        }
        Ok(())
    }

    /// Takes in a whole life the contract accepted, heard at `heard_ns`,
    /// as one [`Life`] (and in `lived`, for the news), or, where it does
    /// not fit one, as its three messages; an error (why the painter
    /// broke the protocol) if the painter does not hold it.
    fn took_life(
        &mut self,
        index: usize,
        life: &WholeLife,
        heard_ns: u64,
        lived: &mut Vec<WholeLife>,
    ) -> Result<(), String> {
        let same_checksum = self.outcome.lives.is_empty() || self.outcome.life_checksum == life.checksum;
        let local = self.pool.painters[index].remote.is_none();
        let Some(record) = Life::new(index, life).filter(|_| same_checksum && local) else {
            return life.said().into_iter().try_for_each(|said| self.took_said(index, said, heard_ns));
        };
        // As `took_done`: nothing is ever counted finished twice.
        if !self.holding[index].held.remove(life.job) {
            let who = self.pool.painters[index].who();
            return Err(format!("{who} says it finished painting #{}, which it does not hold", life.job));
        }
        self.rule.coat_started(index, 0);
        self.rule.coat_painted(index);
        self.rule.painting_done(index);
        self.outcome.end_ns = heard_ns;
        self.outcome.life_checksum = life.checksum;
        if self.outcome.lives_heard.last().is_none_or(|&(_, at_ns)| at_ns != heard_ns) {
            self.outcome.lives_heard.push((self.outcome.lives.len(), heard_ns));
        }
        self.outcome.lives.push(record);
        lived.push(*life);
        Ok(())
    }

    /// Takes in an event the contract accepted.
    fn took_event(&mut self, index: usize, event: Event) {
        match event.kind {
            EventKind::PaintStarted => self.rule.coat_started(index, event.coat),
            EventKind::PaintFinished(_) => self.rule.coat_painted(index),
            _ => {}
        }
        self.progress.hear(News::Step { painter: index, event: &event });
        self.outcome.events.push((index, event));
    }

    /// Takes in a finished painting the contract accepted, heard at
    /// `heard_ns`; an error (why the painter broke the protocol) if it
    /// says it saved the picture outside its folder.
    fn took_done(&mut self, index: usize, done: JobDone, heard_ns: u64) -> Result<(), String> {
        // The contract has checked that the painter was handed it; this
        // holds the dispatcher's own books to the same, so that nothing
        // is ever counted finished twice.
        if !self.holding[index].held.holds(done.job) {
            let who = self.pool.painters[index].who();
            return Err(format!("{who} says it finished painting #{}, which it does not hold", done.job));
        }
        if let Some(path) = &done.path
            && std::path::Path::new(path).parent().map(|p| p.to_string_lossy())
                != Some(self.pool.out().to_string_lossy())
        {
            let path = visible(path, visible::LINE);
            let who = self.pool.painters[index].who();
            return Err(format!("{who} says it saved painting #{} as {path}, outside its folder", done.job));
        }
        // A remote painter's picture is written only now that the
        // contract has accepted it finished this painting.
        if let Err(error) = self.pool.painters[index].bring_in(done.job) {
            let failed = JobFailed { job: done.job, lane: done.lane, at_ns: done.at_ns, error };
            self.not_finished(index, &failed);
            return Ok(());
        }
        self.holding[index].held.remove(done.job);
        tracing::trace!(painter = index, job = done.job, checksum = done.checksum, "painting done");
        self.rule.painting_done(index);
        self.outcome.end_ns = heard_ns;
        self.progress.hear(News::Done { painter: index, job: done.job });
        self.outcome.done.push((index, done));
        self.outcome.heard_ns.push(heard_ns);
        Ok(())
    }

    /// A painting painter `index` could not finish, though the painter is
    /// well (it could not be saved, say): retried or lost. Takes in no
    /// more news: whoever calls it hands out what the rule then allows.
    fn not_finished(&mut self, index: usize, failed: &JobFailed) {
        if !self.holding[index].held.remove(failed.job) {
            // The contract lets no painter give up a painting it does not
            // hold; were it to, putting it back would count it twice.
            tracing::warn!(painter = index, job = failed.job, "a painting given up that was not held is ignored");
            return;
        }
        self.rule.painting_done(index);
        let why = format!(
            "{} could not finish painting #{}: {}",
            self.pool.painters[index].who(),
            failed.job,
            visible(&failed.error, visible::LINE)
        );
        tracing::warn!("{why}");
        let retried = self.retry_or_lose(failed.job, &why);
        self.outcome.failures.push(Failure {
            kind: FailureKind::SaveFailed,
            what: why,
            held: vec![failed.job],
            retried: retried.into_iter().collect(),
        });
    }

    /// A painter's stdout closed or it exited: once both are known (or
    /// after a moment, since a descendant may hold its stdout open, or
    /// it may have closed stdout and live on), it is failed.
    async fn leaving(&mut self, index: usize, closed_now: bool, exit_now: Option<Exit>) {
        let (closed, exit) = match self.holding[index].standing {
            Standing::Leaving { closed, exit, .. } => (closed || closed_now, exit.or(exit_now)),
            _ => (closed_now, exit_now),
        };
        if closed && exit.is_some() {
            let (kind, why) = self.death_notice(index, exit);
            return self.fail(index, kind, why).await;
        }
        let until = match self.holding[index].standing {
            Standing::Leaving { until, .. } => until,
            _ => Instant::now() + EXIT_NEWS,
        };
        self.holding[index].standing = Standing::Leaving { until, closed, exit };
        self.rule.retire(index);
    }

    fn death_notice(&self, index: usize, exit: Option<Exit>) -> (FailureKind, String) {
        let who = self.pool.painters[index].who();
        match exit {
            Some(exit) => (
                FailureKind::of_exit(&exit),
                format!("{who} {}", self.pool.painters[index].describe_exit(&exit, false)),
            ),
            None => (FailureKind::Closed, format!("{who} closed its stdout")),
        }
    }

    /// The soonest moment something must be checked: a painting overdue,
    /// or a leaving painter's news.
    fn next_deadline(&self) -> Option<Instant> {
        self.holding
            .iter()
            .filter_map(|h| match h.standing {
                Standing::Working => h.held.first_due().map(|(deadline, _, _)| deadline),
                Standing::Leaving { until, .. } => Some(until),
                Standing::Gone => None,
            })
            .min()
    }

    /// Moves every deadline `by` later: time the coordinator was not running.
    fn postpone(&mut self, by: Duration) {
        for holding in &mut self.holding {
            holding.held.postpone(by);
            if let Standing::Leaving { until, .. } = &mut holding.standing {
                *until += by;
            }
        }
    }

    async fn check_deadlines(&mut self) {
        let now = Instant::now();
        for index in 0..self.holding.len() {
            let holding = &self.holding[index];
            match holding.standing {
                Standing::Leaving { until, exit, .. } if until <= now => {
                    let (kind, why) = self.death_notice(index, exit);
                    self.fail(index, kind, why).await;
                }
                Standing::Working => {
                    let overdue = holding.held.first_due().filter(|(deadline, _, _)| *deadline <= now);
                    if let Some((_, job, count)) = overdue {
                        let who = self.pool.painters[index].who();
                        let timeout = humantime::format_duration(self.policy.timeout);
                        let why = if count > 1 {
                            let last = job.saturating_add(count - 1);
                            format!(
                                "{who} did not finish its chunk of paintings #{job}–#{last} in time (--timeout {timeout}, and the chunk's own painting time, for it and each chunk ahead of it)"
                            )
                        } else {
                            format!("{who} did not finish painting #{job} within {timeout} (--timeout)")
                        };
                        self.fail(index, FailureKind::Hung, why).await;
                    }
                }
                Standing::Leaving { .. } | Standing::Gone => {}
            }
        }
    }

    /// Stops a failed painter (SIGTERM, then SIGKILL), reaps it, hands its
    /// paintings out again or reports them lost, and starts a replacement.
    async fn fail(&mut self, index: usize, kind: FailureKind, why: String) {
        self.progress.hear(News::Stopping { painter: index, why: &why });
        self.holding[index].standing = Standing::Gone;
        self.rule.retire(index);
        let painter = &mut self.pool.painters[index];
        let stopped = painter.running();
        let exit = painter.terminate(TERM_GRACE).await;
        let mut what = why;
        if stopped {
            what.push_str(&format!("; stopped: it {}", painter.describe_exit(&exit, true)));
        }
        let held: Vec<u32> = std::mem::take(&mut self.holding[index].held).into_jobs();
        what.push_str(&format!(", holding paintings {}", ids(&held)));
        what.push_str(&painter.stderr_tail());
        let pid = painter.pid();
        what.push_str(&self.pool.link_words(index));
        tracing::warn!("{what}");
        self.progress.hear(News::Gone { painter: index, how: &exit.describe() });
        crate::workload::remove_temporary_files(self.pool.out(), pid);
        let retried = held.iter().rev().filter_map(|&job| self.retry_or_lose(job, &what)).collect::<Vec<_>>();
        self.outcome.failures.push(Failure { kind, what, held, retried: retried.into_iter().rev().collect() });
        self.replace(index).await;
        self.top_up_all();
    }

    /// Puts painting `job` back at the front of the queue, if it has
    /// retries left (and returns it), or reports it lost.
    fn retry_or_lose(&mut self, job: u32, why: &str) -> Option<u32> {
        let attempts = self.attempts.entry(job).or_insert(0);
        *attempts += 1;
        if *attempts > self.policy.retries {
            let tries = if self.policy.retries == 0 { String::new() } else { format!(" (tried {} times)", *attempts) };
            self.outcome.lost.push(Lost { id: job, why: format!("{why}{tries}") });
            return None;
        }
        // Only this run's jobs are ever held, so the search finds it.
        let Ok(at) = self.jobs.binary_search_by_key(&job, |held| held.id) else { return None };
        self.pending.push_front(self.jobs[at].clone());
        Some(job)
    }

    /// Starts a painter in place of painter `index`, if there is work left
    /// for it and the budget allows; if no painter is left at all, the
    /// waiting paintings are lost.
    async fn replace(&mut self, index: usize) {
        if !self.pending.is_empty() && self.replacements_left > 0 {
            self.replacements_left -= 1;
            match self.pool.replace(index).await {
                Ok(new) => {
                    tracing::info!("{} replaces {}", self.pool.painters[new].who(), self.pool.painters[index].who());
                    self.progress.hear(News::Replaced { painter: index, by: &self.pool.painters[new].who() });
                    self.holding.push(Holding::new(&self.pool.painters[new]));
                    let hello = &self.pool.painters[new].hello;
                    let added = self.rule.add(hello.lanes, hello.scheduler == Scheduler::Async);
                    debug_assert_eq!((self.holding.len(), added), (new + 1, new));
                    self.show(new);
                    // The paintings put back go to the newcomer first.
                    self.top_up(new);
                }
                Err(error) => {
                    let what = format!("cannot replace {}: {error:#}", self.pool.painters[index].who());
                    tracing::warn!("{what}");
                    let kind = FailureKind::SpawnFailed;
                    self.outcome.failures.push(Failure { kind, what, held: Vec::new(), retried: Vec::new() });
                }
            }
        }
        if !self.holding.iter().any(|h| matches!(h.standing, Standing::Working)) {
            self.give_up_pending("no painter was left to paint it");
        }
    }

    fn give_up_pending(&mut self, why: &str) {
        for job in self.pending.drain(..) {
            self.outcome.lost.push(Lost { id: job.id, why: why.to_owned() });
        }
        for holding in &mut self.holding {
            for job in std::mem::take(&mut holding.held).into_jobs() {
                self.outcome.lost.push(Lost { id: job, why: why.to_owned() });
            }
        }
    }

    /// Hands out what the rule allows, a job (or a chunk) to each painter
    /// in turn, so that a few short jobs are shared out rather than all
    /// queued at the first.
    fn top_up_all(&mut self) {
        let Self { rule, pending, pool, holding, progress, policy, .. } = self;
        rule.share_runs(pending, Chunk::continues, |index, first, count| {
            send(pool, holding, *progress, policy, index, first, count)
        });
    }

    /// Gives painter `index` all the rule allows it, before the others.
    fn top_up(&mut self, index: usize) {
        let Self { rule, pending, pool, holding, progress, policy, .. } = self;
        rule.share_runs_first(index, pending, Chunk::continues, |index, first, count| {
            send(pool, holding, *progress, policy, index, first, count)
        });
        self.top_up_all();
    }
}

/// Sends painter `index` the run of `count` jobs that starts with
/// `first`, alone or as a chunk, which it then holds; says whether the
/// message could be sent.
fn send(
    pool: &Pool,
    holding: &mut [Holding],
    progress: &mut dyn Listener,
    policy: &Policy,
    index: usize,
    first: Job,
    count: u32,
) -> bool {
    let painter = &pool.painters[index];
    let holding = &mut holding[index];
    // Its deadline is set now, and nothing the painter says moves it: a
    // `--timeout` for each job queued ahead of it on a lane, and one for
    // each of its own.
    let lanes = painter.hello.lanes.max(1);
    let allowed = if count > 1 {
        let runs_ahead = u32::try_from(holding.held.runs()).unwrap_or(u32::MAX) / lanes;
        let chunk = policy.timeout.saturating_add(policy.longest.saturating_mul(count));
        chunk.saturating_mul(runs_ahead.saturating_add(1))
    } else {
        let ahead = u32::try_from(holding.held.len()).unwrap_or(u32::MAX) / lanes;
        policy.timeout.saturating_mul(ahead.saturating_add(1))
    };
    let deadline = Instant::now() + allowed;
    holding.held.insert(first.id, count, deadline);
    progress.hear(News::Handed { painter: index, first: first.id, count });
    tracing::trace!(painter = index, job = first.id, count, "jobs sent");
    let message = if count > 1 {
        let chunk = Chunk { first, count };
        holding.talk.handed_chunk(&chunk);
        ToPainter::Chunk(chunk)
    } else {
        holding.talk.handed(&first);
        ToPainter::Job(first)
    };
    if let Err(error) = painter.send(message) {
        // Its reader and reaper will report it gone, and the job
        // will be handed out again from its holding.
        tracing::debug!("{error:#}");
        return false;
    }
    true
}

/// Sleeps until `deadline`, or for ever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

impl Outcome {
    /// Refines the timestamps of a run's events, which arrived moved by
    /// each painter's first clock estimate, with the offset interpolated
    /// between its two (`clocks`, by painter; `None` on this machine).
    pub fn refine(&mut self, clocks: &[Option<crate::hosts::clock::Clock>]) {
        let clock = |painter: usize| clocks.get(painter).copied().flatten();
        for (painter, event) in &mut self.events {
            if let Some(clock) = clock(*painter) {
                event.at_ns = clock.refine(event.at_ns);
            }
        }
        for (painter, done) in &mut self.done {
            if let Some(clock) = clock(*painter) {
                done.at_ns = clock.refine(done.at_ns);
            }
        }
        // Whole lives (`lives`) come from painters on this machine only:
        // their moments need no refining.
        for (painter, states) in &mut self.states {
            if let Some(clock) = clock(*painter) {
                clock.refine_states(states);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_life_is_kept_in_24_bytes_and_read_back_as_its_messages() {
        assert_eq!(size_of::<Life>(), 24);
        let whole = WholeLife {
            job: 7,
            lane: 1,
            started_ns: 5_000_000_000,
            finished_ns: 5_000_000_100,
            effort: protocol::Effort::default(),
            done_ns: 5_000_000_150,
            checksum: 0xabc,
        };
        let life = Life::new(3, &whole).expect("it fits");
        let later = Life { job: 8, ..life };
        let outcome = Outcome {
            lives: vec![life, later],
            life_checksum: 0xabc,
            lives_heard: vec![(0, 5_000_001_000), (1, 5_000_002_000)],
            ..Outcome::default()
        };
        let said: Vec<(usize, Said)> = whole.said().into_iter().map(|said| (3, said)).collect();
        let events: Vec<(usize, Said)> = outcome.all_events().take(2).map(|(p, e)| (p, Said::Event(e))).collect();
        assert_eq!(events, said[..2]);
        let done: Vec<_> =
            outcome.finished().map(|d| (d.painter, d.job, d.lane, d.at_ns, d.heard_ns, d.checksum)).collect();
        assert_eq!(
            done,
            [(3, 7, 1, 5_000_000_150, 5_000_001_000, 0xabc), (3, 8, 1, 5_000_000_150, 5_000_002_000, 0xabc)]
        );
        // What does not fit is kept as messages.
        let measured = WholeLife { effort: protocol::Effort { cpu_ns: 10, run_delay_ns: 0 }, ..whole };
        assert!(Life::new(3, &measured).is_none(), "a measured coat");
        let slow = WholeLife { done_ns: whole.finished_ns + 5_000_000_000, ..whole };
        assert!(Life::new(3, &slow).is_none(), "5 s between two steps");
        assert!(Life::new(70_000, &whole).is_none(), "painter 70,000");
    }

    #[test]
    fn paintings_are_listed_as_ranges_and_long_lists_are_counted() {
        assert_eq!(ids(&[]), "none");
        assert_eq!(ids(&[3, 1, 2, 7, 9, 10]), "#1–#3, #7, #9, #10");
        let all: Vec<u32> = (1..=4999).collect();
        assert_eq!(ids(&all), "#1–#4999");
        let odd: Vec<u32> = (1..=5000).filter(|n| n % 2 == 1).collect();
        let listed = ids(&odd);
        assert!(listed.len() < 100, "{listed}");
        assert!(listed.ends_with("#15, and 2492 more"), "{listed}");
        assert_eq!(ids(&[u32::MAX - 1, u32::MAX]), format!("#{}, #{}", u32::MAX - 1, u32::MAX));
    }
}
