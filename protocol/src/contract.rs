//! The shape of a conversation, checked: what a painter may say, and when.
//!
//! A painter is another program — soon on another machine — so what it says
//! is input, not truth. [`crate::codec`] makes sure its bytes are a message;
//! this module makes sure the message makes sense *here*: a `Hello` that
//! matches what was started, a calibration that is a number of nanoseconds,
//! and for every painting the events of its life in their order
//! (paint started → finished → each wait started → finished, coat after coat,
//! then done), on a lane the painter has, at moments inside the run. Saving
//! a picture — at most twice, preparing it and writing it — may come once
//! every coat is painted, between the waits of the last coat or after them,
//! and must be over before the painting is done. What a painter says a coat
//! cost (its CPU time, its wait for a CPU) cannot exceed the coat's own
//! length.
//!
//! Both ends agree on that shape, so it lives in `protocol`; the coordinator
//! holds one [`Conversation`] per painter and treats any [`Breach`] as a
//! garbled painter. Because each painting's events are counted against its
//! expected life, a painter can send no more messages than its paintings
//! call for.
//!
//! What a painter says of its threads' states is checked apart, in
//! [`StateLines`] (see [`states`]): a line of states per lane that every
//! `States` message carries forward.
//!
//! Paintings handed out in a [`Chunk`] are answered in [`Steps`], which
//! pack the same events, `JobDone`s and `JobFailed`s: each step unpacked
//! is checked exactly as its own frame would be — a painting this painter
//! holds, a lane it has, a moment inside the run and not before the
//! painting's previous step, in the order of its life — and a painting
//! handed out in a chunk must be answered in steps, one handed out alone
//! in frames of its own.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Duration;

use crate::message::{Chunk, DryKind, Effort, Event, EventKind, Hello, Job, JobDone, JobFailed, Scheduler};
use crate::steps::{Said, Steps, Unpacked, Unpacking, WholeLife};

pub mod states;
pub use states::{MAX_CORES, StateLines};

/// The most lanes (threads) one painter may say it has.
pub const MAX_LANES: u32 = 1024;

/// The longest host name a painter may give, in bytes (DNS allows 253).
pub const MAX_HOST: usize = 253;

/// How much a coat's CPU time or wait for a CPU may exceed the coat's
/// length: the painter reads the clocks one after the other.
const EFFORT_SLACK_NS: u64 = 2_000_000;

/// The most times a picture is worked on for saving: prepared, then written.
const SAVES: u8 = 2;

/// How far a painter's timestamp may lie ahead of the moment its message
/// was heard. None on one machine (both read the same clock, the painter
/// first); a painter on another host is read through an estimate of its
/// clock's offset, good to half a round trip.
const AHEAD_SLACK_NS: u64 = 100_000_000;

/// Something a painter said that breaks the protocol.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Breach {
    /// A `Hello` that does not match the painter that was started.
    #[error("its Hello says {field} {got}, but it was started with {expected}")]
    Hello {
        /// Which field.
        field: &'static str,
        /// What the painter said.
        got: String,
        /// What the coordinator started it as.
        expected: String,
    },
    /// A calibration that is no stroke time.
    #[error("its calibration says a stroke takes {} ns after {strokes} strokes, which is not a measurement", short(*stroke_ns))]
    Calibrated {
        /// The stroke time it claimed.
        stroke_ns: f64,
        /// The strokes it claimed to have painted.
        strokes: u64,
    },
    /// A message about a painting it was not given, or no longer holds.
    #[error("it spoke of painting #{job}, which it does not hold")]
    UnknownJob {
        /// The painting it named.
        job: u32,
    },
    /// An event out of the order of a painting's life.
    #[error("it said {got} for painting #{job} where {expected} was due")]
    OutOfOrder {
        /// Which painting.
        job: u32,
        /// The step that was due, in words.
        expected: String,
        /// The step it said, in words.
        got: String,
    },
    /// A lane the painter does not have, or another lane than the one the
    /// painting started on.
    #[error("it said painting #{job} is on lane {lane}, {why}")]
    Lane {
        /// Which painting.
        job: u32,
        /// The lane it named.
        lane: u32,
        /// What is wrong with it.
        why: String,
    },
    /// A coat that took more CPU, or waited longer for one, than it lasted.
    #[error("it said coat {coat} of painting #{job} took {what} of {took_ns} ns, in a coat of {lasted_ns} ns")]
    Effort {
        /// Which painting.
        job: u32,
        /// Which coat, from 1.
        coat: u32,
        /// "CPU time" or "a wait for a CPU".
        what: &'static str,
        /// What it claimed.
        took_ns: u64,
        /// How long the coat lasted, by its own timestamps.
        lasted_ns: u64,
    },
    /// A `Steps` message with no steps in it: a frame that says nothing,
    /// which a painter could send without end (a painter sends its steps
    /// only when it has some).
    #[error("it sent a Steps message with no steps in it")]
    EmptySteps,
    /// Steps that do not unpack.
    #[error("its steps do not unpack: {0}")]
    Unpacking(Unpacking),
    /// A painting answered in its own frame that was handed out in a
    /// chunk, or in steps that was handed out alone.
    #[error("it spoke of painting #{job} {how}, which was handed out {handed}")]
    Channel {
        /// Which painting.
        job: u32,
        /// How it spoke of it.
        how: &'static str,
        /// How it was handed out.
        handed: &'static str,
    },
    /// States of a thread that do not carry its line forward (see [`states`]).
    #[error("it sent states of lane {lane}: {why}")]
    States {
        /// The lane they were of.
        lane: u32,
        /// What is wrong with them.
        why: String,
    },
    /// A timestamp before the painter started, after the message arrived,
    /// or before the painting's previous step.
    #[error("it timestamped {step} of painting #{job} at {at_ns} ns, {why}")]
    Time {
        /// Which painting.
        job: u32,
        /// Which step, in words.
        step: String,
        /// The timestamp.
        at_ns: u64,
        /// What is wrong with it.
        why: String,
    },
}

/// Checks a painter's `Hello` against what it was started as.
///
/// # Errors
/// The first field that does not match, or a lane count out of range.
pub fn check_hello(
    hello: &Hello,
    painter_id: u32,
    scheduler: Scheduler,
    cores: &[u32],
    lanes: u32,
) -> Result<(), Breach> {
    let breach = |field, got: String, expected: String| Err(Breach::Hello { field, got, expected });
    if hello.painter_id != painter_id {
        return breach("painter", hello.painter_id.to_string(), painter_id.to_string());
    }
    if hello.scheduler != scheduler {
        return breach("scheduler", hello.scheduler.name().into(), scheduler.name().into());
    }
    if !(1..=MAX_LANES).contains(&hello.lanes) {
        return breach("lanes", hello.lanes.to_string(), format!("1 to {MAX_LANES}"));
    }
    let expected_lanes = if cores.is_empty() { lanes } else { u32::try_from(cores.len()).unwrap_or(u32::MAX) };
    if hello.lanes != expected_lanes {
        return breach("lanes", hello.lanes.to_string(), expected_lanes.to_string());
    }
    if hello.cores != cores {
        return breach("cores", format!("{:?}", hello.cores), format!("{cores:?}"));
    }
    // A host name is printed in every report: a name, not a message.
    let printable = |c: char| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control() && !c.is_whitespace());
    if hello.host.len() > MAX_HOST || !hello.host.chars().all(printable) {
        return breach(
            "host",
            format!("{:?}", hello.host.chars().take(MAX_HOST).collect::<String>()),
            "a host name".into(),
        );
    }
    Ok(())
}

/// Checks a `Calibrated` answer to a request to measure for `sample`: a
/// stroke is a positive, finite time no longer than the whole sample, and
/// at least one was painted.
///
/// # Errors
/// [`Breach::Calibrated`] for anything else.
pub fn check_calibrated(stroke_ns: f64, strokes: u64, sample: Duration) -> Result<(), Breach> {
    #[allow(clippy::cast_precision_loss)] // a sample is far below 2^52 ns
    let most = sample.as_nanos() as f64;
    if stroke_ns.is_finite() && stroke_ns > 0.0 && stroke_ns <= most && strokes >= 1 {
        Ok(())
    } else {
        Err(Breach::Calibrated { stroke_ns, strokes })
    }
}

/// One step of a painting's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Event { coat: u32, kind: EventKind },
    Done,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Coats count from 1 where a person reads them.
            Self::Event { coat, kind } => write!(f, "{} of coat {}", kind_name(*kind), coat.saturating_add(1)),
            Self::Done => f.write_str("JobDone"),
        }
    }
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::PaintStarted => "PaintStarted",
        EventKind::PaintFinished(_) => "PaintFinished",
        EventKind::SaveStarted => "SaveStarted",
        EventKind::SaveFinished => "SaveFinished",
        EventKind::DryStarted(DryKind::File) => "DryStarted(File)",
        EventKind::DryStarted(DryKind::Network) => "DryStarted(Network)",
        EventKind::DryFinished(DryKind::File) => "DryFinished(File)",
        EventKind::DryFinished(DryKind::Network) => "DryFinished(Network)",
    }
}

/// Where one painting is in its life.
#[derive(Debug, Clone)]
struct Life {
    coats: u32,
    waits: [Option<DryKind>; 2],
    /// Whether it has a picture to save (zero strokes have none).
    picture: bool,
    /// Where it is in its painting and drying: the coat, and the step of
    /// that coat (0 painting started, 1 finished, then each wait's start
    /// and end), kept apart so that no division is needed.
    coat: u32,
    phase: u8,
    /// Steps in a coat: 2, 4 or 6.
    per_coat: u8,
    /// Saving segments begun, and whether one is under way.
    saves: u8,
    saving: bool,
    lane: Option<u32>,
    /// The moment of its last step of painting or drying.
    last_ns: u64,
    /// The moment of its last step of saving, or of the painting of its
    /// last coat: saving runs beside the last coat's drying, so the two
    /// keep time apart.
    save_last_ns: u64,
    /// When the coat being painted started.
    coat_started_ns: u64,
}

impl Life {
    fn new(job: &Job) -> Self {
        let file = (!job.file_wait.is_zero()).then_some(DryKind::File);
        let net = (!job.net_wait.is_zero()).then_some(DryKind::Network);
        let waits = match (file, net) {
            (None, net) => [net, None],
            (file, net) => [file, net],
        };
        Self {
            coats: job.coats,
            waits,
            picture: job.strokes > 0,
            coat: 0,
            phase: 0,
            per_coat: 2 + 2 * u8::from(file.is_some()) + 2 * u8::from(net.is_some()),
            saves: 0,
            saving: false,
            lane: None,
            last_ns: 0,
            save_last_ns: 0,
            coat_started_ns: 0,
        }
    }

    /// Whether every coat has been painted (its drying may go on).
    fn all_painted(&self) -> bool {
        let last = self.coats.saturating_sub(1);
        self.coats > 0 && (self.coat > last || (self.coat == last && self.phase >= 2))
    }

    /// Checks a saving event; `coat` is the one it names.
    fn save(&mut self, job: u32, coat: u32, started: bool) -> Result<(), Breach> {
        let due = if self.saving { EventKind::SaveFinished } else { EventKind::SaveStarted };
        let allowed = self.picture
            && self.all_painted()
            && coat.saturating_add(1) == self.coats
            && (started != self.saving)
            && (!started || self.saves < SAVES);
        if !allowed {
            let kind = if started { EventKind::SaveStarted } else { EventKind::SaveFinished };
            let expected = if self.picture && self.all_painted() && (self.saving || self.saves < SAVES) {
                Step::Event { coat: self.coats - 1, kind: due }.to_string()
            } else {
                self.due().to_string()
            };
            return Err(Breach::OutOfOrder { job, expected, got: Step::Event { coat, kind }.to_string() });
        }
        if started {
            self.saves += 1;
        }
        self.saving = started;
        Ok(())
    }

    /// One step of painting or drying taken.
    fn advance(&mut self) {
        self.phase += 1;
        if self.phase >= self.per_coat {
            self.phase = 0;
            self.coat = self.coat.saturating_add(1);
        }
    }

    /// The step due now.
    fn due(&self) -> Step {
        if self.coat >= self.coats {
            return Step::Done;
        }
        let coat = self.coat;
        let kind = match self.phase {
            0 => EventKind::PaintStarted,
            1 => EventKind::PaintFinished(Effort::default()),
            r => {
                let wait = self.waits[usize::from(r >= 4)].unwrap_or(DryKind::File);
                if r % 2 == 0 { EventKind::DryStarted(wait) } else { EventKind::DryFinished(wait) }
            }
        };
        Step::Event { coat, kind }
    }
}

/// Where a conversation holds a painting: in a chunk (which, and the
/// painting's place in it), or alone (by number).
#[derive(Debug, Clone, Copy)]
enum Where {
    Chunk(usize, u32),
    Alone(u32),
}

/// A hasher for painting numbers, which the painter does not choose: a
/// multiply and a shift, where the standard hasher's defence against
/// chosen keys would cost more than the rest of checking a step.
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = (u64::from(id) ^ self.0).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// One painter's side of the conversation, as the coordinator follows it.
#[derive(Debug, Clone)]
pub struct Conversation {
    lanes: u32,
    since_ns: u64,
    /// Paintings handed out alone.
    held: HashMap<u32, Life, BuildHasherDefault<IdHasher>>,
    /// Paintings handed out in chunks, by chunk: a painter holds a few
    /// chunks at a time, and a painting is found in its chunk by its place.
    chunks: Vec<Held>,
}

/// The paintings of a chunk that are still held.
///
/// They differ only in number and seed, so each starts with the same
/// life (`fresh`): a chunk keeps one bit a painting, and a life of its
/// own only for a painting spoken of step by step. A painting whose
/// whole life comes at once ([`WholeLife`]) never needs one, and a chunk
/// of a hundred thousand costs 12.5 KB, not a life (64 bytes) each.
#[derive(Debug, Clone)]
struct Held {
    first: u32,
    /// Paintings in the chunk, held or not.
    count: u32,
    /// The life every painting of the chunk starts with.
    fresh: Life,
    /// One bit a painting, by place: still held.
    holding: Vec<u64>,
    /// Lives begun step by step, by place.
    begun: HashMap<u32, Life, BuildHasherDefault<IdHasher>>,
    left: usize,
}

impl Held {
    fn holds(&self, place: u32) -> bool {
        place < self.count && self.holding.get(place as usize / 64).is_some_and(|bits| bits >> (place % 64) & 1 == 1)
    }

    /// Lets go of the painting at `place`; whether it was held.
    fn release(&mut self, place: u32) -> bool {
        if !self.holds(place) {
            return false;
        }
        self.holding[place as usize / 64] &= !(1 << (place % 64));
        if !self.begun.is_empty() {
            self.begun.remove(&place);
        }
        self.left -= 1;
        true
    }
}

impl Conversation {
    /// A conversation with a painter of `lanes` lanes that was started at
    /// `since_ns` on the shared clock: none of its timestamps may be earlier.
    #[must_use]
    pub fn new(lanes: u32, since_ns: u64) -> Self {
        Self { lanes, since_ns, held: HashMap::default(), chunks: Vec::new() }
    }

    /// The painter was handed `job`: its life starts.
    pub fn handed(&mut self, job: &Job) {
        self.held.insert(job.id, Life::new(job));
    }

    /// The painter was handed `chunk`: the life of each of its paintings starts.
    pub fn handed_chunk(&mut self, chunk: &Chunk) {
        let count = chunk.paintings();
        let mut holding = vec![u64::MAX; count.div_ceil(64) as usize];
        if let Some(last) = holding.last_mut()
            && !count.is_multiple_of(64)
        {
            *last = (1 << (count % 64)) - 1;
        }
        self.chunks.push(Held {
            first: chunk.first.id,
            count,
            fresh: Life::new(&chunk.first),
            holding,
            begun: HashMap::default(),
            left: count as usize,
        });
    }

    /// Where painting `job` is held, if it is: in a chunk, by its place,
    /// or alone.
    fn find(&self, job: u32) -> Option<(usize, u32)> {
        self.chunks.iter().enumerate().find_map(|(c, held)| {
            let place = job.checked_sub(held.first)?;
            held.holds(place).then_some((c, place))
        })
    }

    /// Where painting `job` is held, if it is, and whether it is spoken
    /// of as it was handed out: in steps (`in_steps`) if in a chunk, else
    /// in frames of its own.
    fn locate(&self, job: u32, in_steps: bool) -> Result<Where, Breach> {
        let (at, chunked) = match self.find(job) {
            Some((c, place)) => (Where::Chunk(c, place), true),
            None if self.held.contains_key(&job) => (Where::Alone(job), false),
            None => return Err(Breach::UnknownJob { job }),
        };
        if chunked != in_steps {
            return Err(Breach::Channel {
                job,
                how: if in_steps { "in steps" } else { "in a frame of its own" },
                handed: if chunked { "in a chunk" } else { "alone" },
            });
        }
        Ok(at)
    }

    /// The life of the painting held at `at`.
    fn life(&mut self, at: Where) -> Option<&mut Life> {
        match at {
            Where::Chunk(c, place) => {
                let held = self.chunks.get_mut(c)?;
                if !held.holds(place) {
                    return None;
                }
                let fresh = &held.fresh;
                Some(held.begun.entry(place).or_insert_with(|| fresh.clone()))
            }
            Where::Alone(job) => self.held.get_mut(&job),
        }
    }

    /// The painting held at `at` is held no more.
    fn end_at(&mut self, at: Where) {
        match at {
            Where::Chunk(c, place) => {
                let Some(held) = self.chunks.get_mut(c) else { return };
                held.release(place);
                if held.left == 0 {
                    self.chunks.swap_remove(c);
                }
            }
            Where::Alone(job) => {
                self.held.remove(&job);
            }
        }
    }

    /// Painting `job` is held no more.
    fn end(&mut self, job: u32) {
        match self.find(job) {
            Some((c, place)) => self.end_at(Where::Chunk(c, place)),
            None => self.end_at(Where::Alone(job)),
        }
    }

    /// Checks `steps` heard at `heard_ns`, each as its own message would
    /// be checked, and puts what they say, unpacked, into `said` (which it
    /// clears first).
    ///
    /// # Errors
    /// The first [`Breach`]; the conversation is then over, and `said`
    /// holds the steps before it.
    pub fn steps(&mut self, steps: &Steps, heard_ns: u64, said: &mut Vec<Said>) -> Result<(), Breach> {
        said.clear();
        self.check_steps(steps, heard_ns, |unpacked| match unpacked {
            Unpacked::One(message) => said.push(message),
            Unpacked::Life(life) => said.extend(life.said()),
        })
    }

    /// The same, with each whole life that passed the check in one go
    /// kept whole ([`Unpacked::Life`]): a reader that keeps lives as
    /// such need not unpack three messages to pack them again.
    ///
    /// # Errors
    /// As [`Conversation::steps`].
    pub fn steps_whole(&mut self, steps: &Steps, heard_ns: u64, said: &mut Vec<Unpacked>) -> Result<(), Breach> {
        said.clear();
        self.check_steps(steps, heard_ns, |unpacked| said.push(unpacked))
    }

    fn check_steps(&mut self, steps: &Steps, heard_ns: u64, mut take: impl FnMut(Unpacked)) -> Result<(), Breach> {
        if steps.is_empty() {
            return Err(Breach::EmptySteps);
        }
        for unpacked in steps.unpack_lives() {
            match unpacked.map_err(Breach::Unpacking)? {
                Unpacked::One(message) => {
                    self.check_said(&message, heard_ns)?;
                    take(Unpacked::One(message));
                }
                Unpacked::Life(life) => {
                    let at = self.locate(life.job, true)?;
                    if !self.lived(at, &life, heard_ns) {
                        // Checked step by step, it is refused with the
                        // reason a step of its own would be.
                        for message in life.said() {
                            self.check_said(&message, heard_ns)?;
                            take(Unpacked::One(message));
                        }
                        continue;
                    }
                    take(Unpacked::Life(life));
                }
            }
        }
        Ok(())
    }

    /// Checks one unpacked step heard at `heard_ns`.
    fn check_said(&mut self, message: &Said, heard_ns: u64) -> Result<(), Breach> {
        let at = self.locate(message.job(), true)?;
        match message {
            Said::Event(event) => self.check_event(at, event, heard_ns),
            Said::Done(done) => self.check_done(at, done, heard_ns),
            Said::Failed(failed) => self.check_failed(at, failed),
        }
    }

    /// Whether `life` is, at a glance, what the painting held at `at` may
    /// say: a painting of one coat and no waits, of which nothing has been
    /// said yet, started, painted and done on one of the painter's lanes,
    /// at moments inside the run, in order, its coat costing no more than
    /// it lasted. Then the painting is held no more. Anything else (`false`)
    /// is for the step-by-step checks, which accept exactly what this
    /// accepts and more, and say why they refuse.
    fn lived(&mut self, at: Where, life: &WholeLife, heard_ns: u64) -> bool {
        let (lanes, since_ns) = (self.lanes, self.since_ns);
        // A painting of a chunk not yet spoken of has its chunk's fresh
        // life, looked at without making it one of its own.
        let held = match at {
            Where::Chunk(c, place) => match self.chunks.get(c) {
                Some(chunk) if chunk.holds(place) => {
                    // (Most chunks never begin a life: no hashing then.)
                    if chunk.begun.is_empty() { &chunk.fresh } else { chunk.begun.get(&place).unwrap_or(&chunk.fresh) }
                }
                _ => return false,
            },
            Where::Alone(job) => match self.held.get(&job) {
                Some(held) => held,
                None => return false,
            },
        };
        let fresh = held.coat == 0 && held.phase == 0 && held.lane.is_none() && held.saves == 0 && !held.saving;
        let plain = held.coats == 1 && held.per_coat == 2 && held.last_ns == 0 && held.save_last_ns == 0;
        let lasted_ns = life.finished_ns.wrapping_sub(life.started_ns);
        let most = lasted_ns.saturating_add(EFFORT_SLACK_NS);
        let ok = fresh
            && plain
            && life.lane < lanes
            && since_ns <= life.started_ns
            && life.started_ns <= life.finished_ns
            && life.finished_ns <= life.done_ns
            && life.done_ns <= heard_ns.saturating_add(AHEAD_SLACK_NS)
            && life.effort.cpu_ns <= most
            && life.effort.run_delay_ns <= most;
        if ok {
            self.end_at(at);
        }
        ok
    }

    /// Checks an event heard, in a frame of its own, at `heard_ns`.
    ///
    /// # Errors
    /// The [`Breach`] it commits; the conversation is then over.
    pub fn event(&mut self, event: &Event, heard_ns: u64) -> Result<(), Breach> {
        let at = self.locate(event.job, false)?;
        self.check_event(at, event, heard_ns)
    }

    /// Checks a `JobDone` heard, in a frame of its own, at `heard_ns`; the
    /// painting is no longer held.
    ///
    /// # Errors
    /// If it was not held, or not every step of its life came first.
    pub fn done(&mut self, done: &JobDone, heard_ns: u64) -> Result<(), Breach> {
        let at = self.locate(done.job, false)?;
        self.check_done(at, done, heard_ns)
    }

    /// Checks a `JobFailed` (allowed at any step) in a frame of its own;
    /// the painting is no longer held.
    ///
    /// # Errors
    /// If it was not held.
    pub fn failed(&mut self, failed: &JobFailed) -> Result<(), Breach> {
        let at = self.locate(failed.job, false)?;
        self.check_failed(at, failed)
    }

    /// How many paintings it holds.
    #[must_use]
    pub fn holding(&self) -> usize {
        self.held.len() + self.chunks.iter().map(|held| held.left).sum::<usize>()
    }

    /// Checks an event heard at `heard_ns`, however it came.
    fn check_event(&mut self, at: Where, event: &Event, heard_ns: u64) -> Result<(), Breach> {
        let (lanes, since_ns) = (self.lanes, self.since_ns);
        let life = self.life(at).ok_or(Breach::UnknownJob { job: event.job })?;
        check_lane(life, event.job, event.lane, lanes)?;
        let saving = matches!(event.kind, EventKind::SaveStarted | EventKind::SaveFinished);
        let floor = if saving { life.save_last_ns } else { life.last_ns };
        check_time(event.at_ns, floor, since_ns, heard_ns).map_err(|why| Breach::Time {
            job: event.job,
            step: Step::Event { coat: event.coat, kind: event.kind }.to_string(),
            at_ns: event.at_ns,
            why,
        })?;
        if saving {
            life.save_last_ns = event.at_ns;
        } else {
            life.last_ns = event.at_ns;
        }
        let kind = match event.kind {
            EventKind::SaveStarted => return life.save(event.job, event.coat, true),
            EventKind::SaveFinished => return life.save(event.job, event.coat, false),
            // The cost a coat claims is checked below; the step is the same whatever it is.
            EventKind::PaintFinished(_) => EventKind::PaintFinished(Effort::default()),
            other => other,
        };
        let due = life.due();
        let got = Step::Event { coat: event.coat, kind };
        if got != due {
            return Err(Breach::OutOfOrder { job: event.job, expected: due.to_string(), got: got.to_string() });
        }
        match event.kind {
            EventKind::PaintStarted => life.coat_started_ns = event.at_ns,
            EventKind::PaintFinished(effort) => {
                check_effort(event.job, event.coat, effort, event.at_ns - life.coat_started_ns)?
            }
            _ => {}
        }
        life.advance();
        Ok(())
    }

    /// Checks a `JobDone` heard at `heard_ns`, however it came; the
    /// painting is no longer held.
    fn check_done(&mut self, at: Where, done: &JobDone, heard_ns: u64) -> Result<(), Breach> {
        let (lanes, since_ns) = (self.lanes, self.since_ns);
        let life = self.life(at).ok_or(Breach::UnknownJob { job: done.job })?;
        check_lane(life, done.job, done.lane, lanes)?;
        check_time(done.at_ns, life.last_ns.max(life.save_last_ns), since_ns, heard_ns)
            .map_err(|why| Breach::Time { job: done.job, step: Step::Done.to_string(), at_ns: done.at_ns, why })?;
        let due =
            if life.saving { Step::Event { coat: life.coats - 1, kind: EventKind::SaveFinished } } else { life.due() };
        if due != Step::Done {
            return Err(Breach::OutOfOrder { job: done.job, expected: due.to_string(), got: Step::Done.to_string() });
        }
        self.end_at(at);
        Ok(())
    }

    /// Checks a `JobFailed` (allowed at any step), however it came; the
    /// painting is no longer held.
    fn check_failed(&mut self, at: Where, failed: &JobFailed) -> Result<(), Breach> {
        if failed.lane >= self.lanes {
            return Err(Breach::Lane { job: failed.job, lane: failed.lane, why: lane_why(self.lanes) });
        }
        self.end_at(at);
        Ok(())
    }

    /// Forgets a painting (handed to another painter, given up on).
    pub fn forget(&mut self, job: u32) {
        self.end(job);
    }
}

fn lane_why(lanes: u32) -> String {
    if lanes == 1 { "but it has one lane, 0".into() } else { format!("but its lanes are 0 to {}", lanes - 1) }
}

fn check_lane(life: &mut Life, job: u32, lane: u32, lanes: u32) -> Result<(), Breach> {
    if lane >= lanes {
        return Err(Breach::Lane { job, lane, why: lane_why(lanes) });
    }
    match life.lane {
        Some(first) if first != lane => Err(Breach::Lane { job, lane, why: format!("but it started on lane {first}") }),
        _ => {
            life.lane = Some(lane);
            Ok(())
        }
    }
}

fn check_effort(job: u32, coat: u32, effort: Effort, lasted_ns: u64) -> Result<(), Breach> {
    let most = lasted_ns.saturating_add(EFFORT_SLACK_NS);
    let coat = coat.saturating_add(1);
    for (what, took_ns) in [("CPU time", effort.cpu_ns), ("a wait for a CPU", effort.run_delay_ns)] {
        if took_ns > most {
            return Err(Breach::Effort { job, coat, what, took_ns, lasted_ns });
        }
    }
    Ok(())
}

/// Checks that `at_ns` lies inside the run and not before `floor`, the
/// painting's previous step.
fn check_time(at_ns: u64, floor: u64, since_ns: u64, heard_ns: u64) -> Result<(), String> {
    let why = if at_ns < since_ns {
        format!("{} before the painter was started", seconds(since_ns - at_ns))
    } else if at_ns > heard_ns.saturating_add(AHEAD_SLACK_NS) {
        format!("{} after the message arrived", seconds(at_ns - heard_ns))
    } else if at_ns < floor {
        format!("{} before its previous step", seconds(floor - at_ns))
    } else {
        return Ok(());
    };
    Err(why)
}

/// A number as a person would write it, however large: `61.5`, `1e300`.
fn short(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e12 { format!("{x:.1}") } else { format!("{x:e}") }
}

/// `0.25s`, `3.2e8s`: a gap in seconds, short.
fn seconds(ns: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // for display
    let s = ns as f64 / 1e9;
    if s < 1e6 { format!("{s:.3}s") } else { format!("{s:.1e}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u32, coats: u32, file_ms: u64, net_ms: u64) -> Job {
        Job {
            id,
            seed: 1,
            strokes: 10,
            coats,
            file_wait: Duration::from_millis(file_ms),
            net_wait: Duration::from_millis(net_ms),
        }
    }

    fn event(job: u32, coat: u32, at_ns: u64, kind: EventKind) -> Event {
        Event { job, lane: 0, coat, at_ns, kind }
    }

    fn done(job: u32, at_ns: u64) -> JobDone {
        JobDone { job, lane: 0, at_ns, checksum: 0, path: None }
    }

    /// Every step of a painting, in order, with rising timestamps from `at`.
    fn life(job: &Job, mut at: u64) -> Vec<Event> {
        let mut events = Vec::new();
        for coat in 0..job.coats {
            let mut push = |kind| {
                at += 10;
                events.push(event(job.id, coat, at, kind));
            };
            push(EventKind::PaintStarted);
            push(EventKind::PaintFinished(Effort::default()));
            for (wait, kind) in [(job.file_wait, DryKind::File), (job.net_wait, DryKind::Network)] {
                if !wait.is_zero() {
                    push(EventKind::DryStarted(kind));
                    push(EventKind::DryFinished(kind));
                }
            }
        }
        events
    }

    #[test]
    fn a_painting_lived_in_order_is_accepted_whatever_its_waits() {
        for (file, net) in [(0, 0), (5, 0), (0, 5), (5, 5)] {
            let job = job(1, 3, file, net);
            let mut talk = Conversation::new(1, 100);
            talk.handed(&job);
            for e in life(&job, 100) {
                assert_eq!(talk.event(&e, 10_000), Ok(()), "{e:?}");
            }
            assert_eq!(talk.done(&done(1, 9_000), 10_000), Ok(()));
            assert_eq!(talk.holding(), 0);
        }
    }

    /// `events` with the saving of the picture: prepared during the last
    /// coat's first wait (or after its painting), written at the end.
    fn with_saving(job: &Job, mut events: Vec<Event>) -> Vec<Event> {
        let last = job.coats - 1;
        let after_paint = events.iter().position(|e| e.coat == last && matches!(e.kind, EventKind::PaintFinished(_)));
        let at = after_paint.map_or(0, |i| i + 1) + usize::from(!job.file_wait.is_zero() || !job.net_wait.is_zero());
        let stamp = events[at - 1].at_ns;
        events.insert(at, event(job.id, last, stamp, EventKind::SaveFinished));
        events.insert(at, event(job.id, last, stamp, EventKind::SaveStarted));
        let end = events.last().map_or(0, |e| e.at_ns);
        events.push(event(job.id, last, end, EventKind::SaveStarted));
        events.push(event(job.id, last, end, EventKind::SaveFinished));
        events
    }

    #[test]
    fn a_picture_is_saved_at_most_twice_once_every_coat_is_painted() {
        for (file, net) in [(0, 0), (5, 0), (5, 5)] {
            let job = job(1, 2, file, net);
            let mut talk = Conversation::new(1, 0);
            talk.handed(&job);
            for e in with_saving(&job, life(&job, 0)) {
                assert_eq!(talk.event(&e, 10_000), Ok(()), "{e:?}");
            }
            assert_eq!(talk.done(&done(1, 9_000), 10_000), Ok(()));
        }
        // Saving before the last coat is painted, a third time, or without
        // finishing, is refused.
        let job = job(2, 2, 0, 0);
        let mut early = Conversation::new(1, 0);
        early.handed(&job);
        early.event(&event(2, 0, 1, EventKind::PaintStarted), 10).expect("in order");
        assert!(early.event(&event(2, 0, 2, EventKind::SaveStarted), 10).is_err());
        let mut thrice = Conversation::new(1, 0);
        thrice.handed(&job);
        for e in with_saving(&job, life(&job, 0)) {
            thrice.event(&e, 10_000).expect("in order");
        }
        assert!(thrice.event(&event(2, 1, 9_000, EventKind::SaveStarted), 10_000).is_err());
        let mut open = Conversation::new(1, 0);
        open.handed(&job);
        for e in life(&job, 0) {
            open.event(&e, 10_000).expect("in order");
        }
        open.event(&event(2, 1, 9_000, EventKind::SaveStarted), 10_000).expect("saving");
        assert!(matches!(open.done(&done(2, 9_000), 10_000), Err(Breach::OutOfOrder { .. })));
        // A painting of zero strokes has no picture to save.
        let empty = Job { strokes: 0, ..job };
        let mut none = Conversation::new(1, 0);
        none.handed(&empty);
        for e in life(&empty, 0) {
            none.event(&e, 10_000).expect("in order");
        }
        assert!(none.event(&event(2, 1, 9_000, EventKind::SaveStarted), 10_000).is_err());
    }

    #[test]
    fn a_coat_cannot_cost_more_than_it_lasted() {
        let mut talk = Conversation::new(1, 0);
        talk.handed(&job(1, 1, 0, 0));
        talk.event(&event(1, 0, 1_000_000, EventKind::PaintStarted), 1_000_000_000).expect("in order");
        let effort = Effort { cpu_ns: 50_000_000, run_delay_ns: 0 };
        let finished = event(1, 0, 11_000_000, EventKind::PaintFinished(effort));
        let breach = talk.clone().event(&finished, 1_000_000_000).expect_err("a breach");
        assert!(matches!(breach, Breach::Effort { took_ns: 50_000_000, lasted_ns: 10_000_000, .. }), "{breach}");
        let effort = Effort { cpu_ns: 6_000_000, run_delay_ns: 4_000_000 };
        assert_eq!(talk.event(&event(1, 0, 11_000_000, EventKind::PaintFinished(effort)), 1_000_000_000), Ok(()));
    }

    #[test]
    fn a_finish_without_a_start_is_out_of_order() {
        let mut talk = Conversation::new(1, 0);
        talk.handed(&job(1, 1, 0, 0));
        let breach =
            talk.event(&event(1, 0, 5, EventKind::PaintFinished(Effort::default())), 10).expect_err("a breach");
        assert!(matches!(breach, Breach::OutOfOrder { job: 1, .. }), "{breach}");
        assert_eq!(
            breach.to_string(),
            "it said PaintFinished of coat 1 for painting #1 where PaintStarted of coat 1 was due"
        );
    }

    #[test]
    fn a_start_said_twice_is_out_of_order() {
        let mut talk = Conversation::new(1, 0);
        talk.handed(&job(1, 1, 0, 0));
        assert_eq!(talk.event(&event(1, 0, 5, EventKind::PaintStarted), 10), Ok(()));
        assert!(matches!(talk.event(&event(1, 0, 6, EventKind::PaintStarted), 10), Err(Breach::OutOfOrder { .. })));
    }

    #[test]
    fn done_before_every_step_or_twice_is_refused() {
        let job = job(1, 2, 0, 0);
        let mut talk = Conversation::new(1, 0);
        talk.handed(&job);
        assert!(matches!(talk.done(&done(1, 5), 10), Err(Breach::OutOfOrder { .. })));
        for e in life(&job, 0) {
            talk.event(&e, 1_000).expect("in order");
        }
        assert_eq!(talk.done(&done(1, 500), 1_000), Ok(()));
        assert_eq!(talk.done(&done(1, 500), 1_000), Err(Breach::UnknownJob { job: 1 }));
    }

    #[test]
    fn paintings_not_handed_out_are_unknown() {
        let mut talk = Conversation::new(1, 0);
        assert_eq!(talk.event(&event(7, 0, 5, EventKind::PaintStarted), 10), Err(Breach::UnknownJob { job: 7 }));
        let failed = JobFailed { job: 7, lane: 0, at_ns: 5, error: String::new() };
        assert_eq!(talk.failed(&failed), Err(Breach::UnknownJob { job: 7 }));
    }

    #[test]
    fn timestamps_stay_inside_the_run_and_go_forward() {
        let mut talk = Conversation::new(1, 1_000);
        talk.handed(&job(1, 1, 0, 0));
        // Before the painter started.
        assert!(matches!(talk.event(&event(1, 0, 10, EventKind::PaintStarted), 2_000), Err(Breach::Time { .. })));
        // Years after the message arrived.
        let far = 2_000 + 10 * 365 * 24 * 3_600 * 1_000_000_000;
        assert!(matches!(talk.event(&event(1, 0, far, EventKind::PaintStarted), 2_000), Err(Breach::Time { .. })));
        assert_eq!(talk.event(&event(1, 0, 1_500, EventKind::PaintStarted), 2_000), Ok(()));
        // Backwards.
        assert!(matches!(
            talk.event(&event(1, 0, 1_400, EventKind::PaintFinished(Effort::default())), 2_000),
            Err(Breach::Time { .. })
        ));
    }

    #[test]
    fn lanes_must_exist_and_a_painting_keeps_its_lane() {
        let mut talk = Conversation::new(2, 0);
        talk.handed(&job(1, 1, 0, 0));
        let mut e = event(1, 0, 5, EventKind::PaintStarted);
        e.lane = 2;
        assert!(matches!(talk.event(&e, 10), Err(Breach::Lane { lane: 2, .. })));
        e.lane = 1;
        assert_eq!(talk.event(&e, 10), Ok(()));
        let mut f = event(1, 0, 6, EventKind::PaintFinished(Effort::default()));
        f.lane = 0;
        assert!(matches!(talk.event(&f, 10), Err(Breach::Lane { lane: 0, .. })));
    }

    #[test]
    fn a_hello_must_match_the_painter_started() {
        let hello = Hello {
            protocol_version: 0,
            pid: 1,
            painter_id: 3,
            cores: vec![1],
            lanes: 1,
            scheduler: Scheduler::Blocking,
            host: "h1".into(),
        };
        assert_eq!(check_hello(&hello, 3, Scheduler::Blocking, &[1], 1), Ok(()));
        for host in ["h1\u{1b}]0;pwned\u{7}", "a b", &"h".repeat(300)] {
            let odd = Hello { host: host.into(), ..hello.clone() };
            assert!(check_hello(&odd, 3, Scheduler::Blocking, &[1], 1).is_err(), "{host:?}");
        }
        assert!(check_hello(&hello, 4, Scheduler::Blocking, &[1], 1).is_err());
        assert!(check_hello(&hello, 3, Scheduler::Async, &[1], 1).is_err());
        assert!(check_hello(&hello, 3, Scheduler::Blocking, &[0], 1).is_err());
        let none = Hello { lanes: 0, cores: vec![], ..hello.clone() };
        let breach = check_hello(&none, 3, Scheduler::Blocking, &[], 0).expect_err("a breach");
        assert_eq!(breach.to_string(), "its Hello says lanes 0, but it was started with 1 to 1024");
        let many = Hello { lanes: 4, cores: vec![], scheduler: Scheduler::Threads, ..hello };
        assert_eq!(check_hello(&many, 3, Scheduler::Threads, &[], 4), Ok(()));
        assert!(check_hello(&many, 3, Scheduler::Threads, &[], 2).is_err());
    }

    #[test]
    fn a_calibration_must_be_a_measurement() {
        let sample = Duration::from_millis(240);
        assert_eq!(check_calibrated(60.0, 4_000_000, sample), Ok(()));
        for (stroke_ns, strokes) in [(1e300, 1), (f64::NAN, 1), (f64::INFINITY, 1), (0.0, 1), (-1.0, 1), (60.0, 0)] {
            assert!(check_calibrated(stroke_ns, strokes, sample).is_err(), "{stroke_ns} {strokes}");
        }
    }

    /// `said`, packed as steps; `base_ns` shifts every moment by that much
    /// from where `said` has them (0 keeps them).
    fn packed(shift: i64, said: &[Said]) -> Steps {
        let mut steps = Steps::new();
        for message in said {
            let mut message = message.clone();
            let at = match &mut message {
                Said::Event(e) => &mut e.at_ns,
                Said::Done(d) => &mut d.at_ns,
                Said::Failed(f) => &mut f.at_ns,
            };
            *at = at.saturating_add_signed(shift);
            steps.push(&message);
        }
        steps
    }

    fn first_event(said: &[Said]) -> Event {
        match &said[0] {
            Said::Event(event) => *event,
            other => panic!("an event first, not {other:?}"),
        }
    }

    fn chunk_life(chunk: &Chunk, from: u64) -> Vec<Said> {
        let mut said = Vec::new();
        let mut at = from;
        for job in chunk.jobs() {
            for e in life(&job, at) {
                at = e.at_ns;
                said.push(Said::Event(e));
            }
            at += 5;
            said.push(Said::Done(done(job.id, at)));
        }
        said
    }

    #[test]
    fn a_chunk_ends_at_the_last_painting_number() {
        let first = Job { id: u32::MAX - 1, ..job(1, 1, 0, 0) };
        let chunk = Chunk { first, count: 10 };
        assert_eq!(chunk.paintings(), 2);
        assert_eq!(chunk.jobs().map(|j| j.id).collect::<Vec<_>>(), [u32::MAX - 1, u32::MAX]);
        let mut talk = Conversation::new(1, 0);
        talk.handed_chunk(&chunk);
        assert_eq!(talk.holding(), 2);
        assert_eq!(Chunk { first: job(0, 1, 0, 0), count: u32::MAX }.paintings(), u32::MAX);
    }

    #[test]
    fn a_chunk_answered_in_steps_is_checked_like_frames() {
        let chunk = Chunk { first: Job { strokes: 0, ..job(10, 2, 0, 5) }, count: 50 };
        let mut talk = Conversation::new(1, 100);
        talk.handed_chunk(&chunk);
        assert_eq!(talk.holding(), 50);
        let said = chunk_life(&chunk, 100);
        let end = said.iter().filter_map(|s| if let Said::Done(d) = s { Some(d.at_ns) } else { None }).max();
        let mut out = Vec::new();
        assert_eq!(talk.clone().steps(&packed(0, &said), end.unwrap_or(0), &mut out), Ok(()));
        assert_eq!(out, said, "unpacked as they were packed");
        // Halves, in two messages, are as good.
        let half = said.len() / 2;
        let mut two = talk.clone();
        assert_eq!(two.steps(&packed(0, &said[..half]), 1_000_000, &mut out), Ok(()));
        assert_eq!(two.steps(&packed(0, &said[half..]), 1_000_000, &mut out), Ok(()));
        assert_eq!(two.holding(), 0);
        // A painting of the chunk in a frame of its own is refused, and so
        // is a painting handed out alone answered in steps.
        let first = first_event(&said);
        assert!(matches!(talk.clone().event(&first, 1_000_000), Err(Breach::Channel { job: 10, .. })));
        let mut alone = Conversation::new(1, 100);
        alone.handed(&job(10, 2, 0, 5));
        assert!(matches!(alone.steps(&packed(0, &said[..1]), 1_000_000, &mut out), Err(Breach::Channel { .. })));
    }

    #[test]
    fn steps_of_paintings_not_handed_out_of_order_or_out_of_time_are_refused() {
        let chunk = Chunk { first: Job { strokes: 0, ..job(1, 1, 0, 0) }, count: 3 };
        let mut talk = Conversation::new(1, 1_000);
        talk.handed_chunk(&chunk);
        let said = chunk_life(&chunk, 1_000);
        let heard = 1_000_000;
        let mut out = Vec::new();
        // A painting beyond the chunk, or none.
        let mut beyond = said.clone();
        if let Said::Event(e) = &mut beyond[0] {
            e.job = 4;
        }
        assert_eq!(talk.clone().steps(&packed(0, &beyond), heard, &mut out), Err(Breach::UnknownJob { job: 4 }));
        // No steps at all: a frame that says nothing.
        assert_eq!(talk.clone().steps(&Steps::new(), heard, &mut out), Err(Breach::EmptySteps));
        // Bytes that are no steps.
        let garbage: Steps = crate::codec::decode(&crate::codec::encode(&vec![0u8, 0, 0xff]).expect("encodes"))
            .expect("a byte string is steps, until they are unpacked");
        assert!(matches!(talk.clone().steps(&garbage, heard, &mut out), Err(Breach::Unpacking(_))));
        // Before the painter started, or after the message arrived.
        assert!(matches!(talk.clone().steps(&packed(-995, &said), heard, &mut out), Err(Breach::Time { .. })));
        assert!(matches!(talk.clone().steps(&packed(0, &said), 1_001, &mut out), Ok(())));
        let ahead = packed(i64::try_from(heard + 10 * AHEAD_SLACK_NS).expect("small"), &said);
        assert!(matches!(talk.clone().steps(&ahead, heard, &mut out), Err(Breach::Time { .. })));
        // Done before the painting was painted; a lane it does not have.
        let mut early = said.clone();
        early.swap(1, 2);
        assert!(matches!(talk.clone().steps(&packed(0, &early), heard, &mut out), Err(Breach::OutOfOrder { .. })));
        let mut lane = said.clone();
        if let Said::Event(e) = &mut lane[0] {
            e.lane = 1;
        }
        assert!(matches!(talk.clone().steps(&packed(0, &lane), heard, &mut out), Err(Breach::Lane { lane: 1, .. })));
        // Said twice: the second is about a painting no longer held.
        let mut again = first_event(&said);
        again.at_ns = 900_000;
        let twice: Vec<Said> = said.iter().cloned().chain([Said::Event(again)]).collect();
        assert!(matches!(talk.clone().steps(&packed(0, &twice), heard, &mut out), Err(Breach::UnknownJob { .. })));
    }
}
