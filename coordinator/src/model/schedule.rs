//! The ideal: how long the same jobs would take on the same painters with
//! zero overhead.
//!
//! The model follows the dispatcher's rule for who gets which painting
//! (`assign.rs`, shared with `dispatch.rs`) on an imaginary machine where
//! starting a process, sending a message and waking a thread cost nothing:
//!
//! - paintings are handed out as [`crate::model::assign::Rule`] says: to a lane
//!   when it can start one, or a few ahead when they are short;
//! - a blocking lane paints, waits for the drying, paints the next coat…,
//!   then saves the picture;
//! - an async painter's CPU paints one coat at a time, taking the ready
//!   painting with the most coats left (then the one that arrived first),
//!   while any number of coats dry; a dry painting's picture is saved
//!   before the next coat is painted;
//! - painters pinned to the same core share it equally while they paint
//!   (so 3 painters on 2 cores cannot paint faster than 2).
//!
//! Fed with the calibrated stroke alone it is the *prediction* (what
//! `plan` prints). Fed, through a [`Feed`], with what really happened —
//! each coat's painting time, the saving of each picture, when each
//! painter was ready — it is the ideal of the work as it was done, and the
//! difference each fact makes is that fact's share of the measured time
//! (`report/explain.rs`).
//!
//! It is a discrete-event simulation on a heap of future events, so a run
//! of n paintings costs O(n log n). A core shared by k painting lanes is
//! modelled with a clock of its own that advances at 1/k of real time: a
//! coat of w seconds started when that clock read v ends when it reads
//! v + w, so a change in k moves one event, not every lane's.
//! A long simulation can be stopped ([`Stop`]), so Ctrl-C is answered.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use protocol::Scheduler;
use serde::Serialize;

use crate::mode::PainterPlan;
use crate::model::assign::{self, Rule};

/// Time on the model's clock, in seconds from the run's start (a measured
/// run's: its first painter's spawn).
type Seconds = f64;

/// What a lane is doing in a stretch of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// The CPU paints.
    Paint,
    /// A coat dries: the slow disk.
    FileWait,
    /// A coat dries: the slow network.
    NetWait,
    /// The finished picture is saved: colours, checksum, PNG, the file.
    Save,
}

/// One stretch of one lane's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// Index of the painter.
    pub painter: usize,
    /// Its lane (thread).
    #[serde(rename = "thread")]
    pub lane: u32,
    /// Which painting.
    pub painting: u32,
    /// Which coat, from 0 (serialized from 1, as a person counts coats).
    #[serde(serialize_with = "one_based")]
    pub coat: u32,
    /// Painting or which wait.
    pub kind: SegmentKind,
    /// Start, in seconds from the run's start.
    pub start_s: Seconds,
    /// End, in seconds from the run's start.
    pub end_s: Seconds,
}

/// Writes a count-from-0 index as a person counts: from 1.
fn one_based<S: serde::Serializer>(index: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::from(*index) + 1)
}

/// The work of one run, as the model needs it.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    /// Paintings, numbered from 1.
    pub paintings: u32,
    /// Coats per painting.
    pub coats: u32,
    /// Painting time per coat, at full speed of one core.
    pub paint_s: Seconds,
    /// File wait per coat.
    pub file_s: Seconds,
    /// Network wait per coat.
    pub net_s: Seconds,
}

/// The ideal schedule.
#[derive(Debug, Clone)]
pub struct Ideal {
    /// Wall time from the start to the last painting done.
    pub wall_s: Seconds,
    /// What every lane would do, and when.
    pub segments: Vec<Segment>,
}

impl Ideal {
    /// The longest any one painting takes, from its first stroke to its
    /// last coat dry.
    #[must_use]
    pub fn longest_painting(&self) -> std::time::Duration {
        let mut spans: HashMap<u32, (Seconds, Seconds)> = HashMap::new();
        for segment in &self.segments {
            let span = spans.entry(segment.painting).or_insert((segment.start_s, segment.end_s));
            span.0 = span.0.min(segment.start_s);
            span.1 = span.1.max(segment.end_s);
        }
        let longest = spans.values().map(|(start, end)| end - start).fold(0.0, Seconds::max);
        std::time::Duration::try_from_secs_f64(longest).unwrap_or(std::time::Duration::MAX)
    }
}

/// Times closer than this (a nanosecond) are the same moment.
const EPSILON: Seconds = 1e-9;

/// What the model is fed beyond the averages of [`Work`]: what really
/// happened. Anything left empty is taken from [`Work`] (or is zero).
///
/// What is kept per painting is shared (`Arc`), not copied: the gap's
/// steps each add one fact to the last step's feed, and a million
/// paintings' worth, copied six times, took a gigabyte.
#[derive(Debug, Clone, Default)]
pub struct Feed {
    /// Per painting (by number − 1), per coat: its painting time.
    pub paint_s: Arc<Vec<Vec<Seconds>>>,
    /// Per painting (by number − 1), per coat: how long its file wait and
    /// its network wait lasted.
    pub dry_s: Arc<Vec<Vec<(Seconds, Seconds)>>>,
    /// Per painting (by number − 1): the saving that followed its drying.
    pub save_s: Arc<Vec<Seconds>>,
    /// Per painter: when it was ready for its first painting.
    pub ready_s: Vec<Seconds>,
    /// Stretches of time, `(from, to)`, in which nothing was handed out
    /// (the dispatcher waited for a replacement painter's `Hello`); lanes
    /// still paint what they were handed before.
    pub stalls: Vec<(Seconds, Seconds)>,
    /// Per painting (by number − 1): how long after its last step the
    /// coordinator heard that it was done (a painter on another host: its
    /// picture and its message on their way home). Until then its lane
    /// is not handed another painting, and the run is not over.
    pub home_s: Arc<Vec<Seconds>>,
    /// Each lane has its core to itself: `paint_s` already holds the time
    /// a lane waited for a CPU, sharing included.
    pub own_cores: bool,
}

impl Feed {
    fn paint(&self, work: &Work, job: u32, coat: u32) -> Seconds {
        let measured = self.paint_s.get(job as usize - 1).and_then(|coats| coats.get(coat as usize));
        measured.copied().unwrap_or(work.paint_s)
    }

    fn save(&self, job: u32) -> Seconds {
        self.save_s.get(job as usize - 1).copied().unwrap_or(0.0)
    }

    fn wait(&self, work: &Work, job: u32, coat: u32, file: bool) -> Seconds {
        let measured = self.dry_s.get(job as usize - 1).and_then(|coats| coats.get(coat as usize));
        match (measured, file) {
            (Some(&(file_s, _)), true) => file_s,
            (Some(&(_, net_s)), false) => net_s,
            (None, true) => work.file_s,
            (None, false) => work.net_s,
        }
    }

    fn home(&self, job: u32) -> Seconds {
        self.home_s.get(job as usize - 1).copied().unwrap_or(0.0)
    }
}

/// One run of the model: who paints, what, and how paintings are handed out.
#[derive(Debug, Clone)]
pub struct Model {
    /// The painters.
    pub plans: Vec<PainterPlan>,
    /// The work.
    pub work: Work,
    /// Cores this process may use, over which unpinned lanes spread.
    pub allowed_cores: usize,
    /// Paintings queued per lane ahead ([`assign::ahead`]); 0 is late binding.
    pub ahead: u32,
}

impl Model {
    /// The model of `work` on `plans`, handing paintings out as the
    /// dispatcher would for that work.
    #[must_use]
    pub fn new(plans: &[PainterPlan], work: Work, allowed_cores: usize) -> Self {
        let coat = std::time::Duration::try_from_secs_f64(work.paint_s).unwrap_or_default();
        let longest =
            std::time::Duration::try_from_secs_f64(f64::from(work.coats) * (work.paint_s + work.file_s + work.net_s))
                .unwrap_or(std::time::Duration::MAX);
        Self { plans: plans.to_vec(), work, allowed_cores, ahead: assign::ahead(coat, longest) }
    }
}

/// A request to stop a simulation, from another thread.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Asks every simulation holding this to stop.
    pub fn stop(&self) {
        self.0.store(true, AtomicOrdering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.0.load(AtomicOrdering::Relaxed)
    }
}

/// A simulation was stopped before it finished.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the ideal schedule was not finished: stopped")]
pub struct Stopped;

/// Simulates `work` on the painters of `plans` with the calibrated
/// painting time: the prediction. `allowed_cores` spreads unpinned
/// painters, which the kernel would spread too.
#[must_use]
pub fn ideal(plans: &[PainterPlan], work: Work, allowed_cores: usize) -> Ideal {
    let model = Model::new(plans, work, allowed_cores);
    // Nobody else holds this stop, so it never stops.
    simulate(&model, &Feed::default(), &Stop::default())
        .unwrap_or_else(|Stopped| Ideal { wall_s: 0.0, segments: Vec::new() })
}

/// Simulates `model` fed with `feed`, until done or `stop` is asked.
///
/// # Errors
/// [`Stopped`] when asked to stop.
pub fn simulate(model: &Model, feed: &Feed, stop: &Stop) -> Result<Ideal, Stopped> {
    let mut sim = Sim::new(model, feed, stop);
    sim.run()?;
    Ok(Ideal { wall_s: sim.now, segments: sim.segments })
}

/// Runs `simulations` on a thread of its own while this one listens for
/// a stop signal; a signal stops them (at their next check, a few thousand
/// events away) and is returned.
///
/// # Errors
/// The signal, if one came first.
pub async fn interruptible<T: Send + 'static>(
    simulations: impl FnOnce(&Stop) -> Result<T, Stopped> + Send + 'static,
    interrupts: &mut crate::os::signals::Interrupts,
) -> Result<T, nix::sys::signal::Signal> {
    let stop = Stop::default();
    let theirs = stop.clone();
    let task = tokio::task::spawn_blocking(move || simulations(&theirs));
    tokio::select! {
        finished = task => match finished {
            Ok(Ok(value)) => Ok(value),
            // Only this function asks it to stop, and a simulation does
            // not panic; should either happen, say so as an interruption.
            Ok(Err(Stopped)) | Err(_) => Err(nix::sys::signal::Signal::SIGINT),
        },
        signal = interrupts.recv() => {
            stop.stop();
            Err(signal)
        }
    }
}

/// An `f64` that is ordered (by `total_cmp`), for the heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Time(Seconds);

impl Eq for Time {}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What a lane's CPU can work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Paint { job: u32, coat: u32 },
    Save { job: u32 },
}

/// Order of an async painter's ready items: saving first, then most coats
/// left, then arrival.
type Priority = (Reverse<u32>, u64);

#[derive(Debug, Clone, Copy)]
enum LaneState {
    Idle,
    /// On its core's CPU since `since`.
    Busy {
        item: Item,
        since: Seconds,
    },
    /// Blocking lanes only: waiting with its painting while a coat dries.
    Drying,
}

#[derive(Debug)]
struct Lane {
    painter: usize,
    lane: u32,
    core: usize,
    state: LaneState,
}

/// A core, shared by the lanes painting on it.
#[derive(Debug, Default)]
struct Core {
    /// Its own clock: the work each of its busy lanes has done since the
    /// start, in seconds of one whole core.
    clock: Seconds,
    /// The real time at which `clock` was last brought up to date.
    at: Seconds,
    /// When each busy lane's item ends, on `clock`.
    ends: BinaryHeap<Reverse<(Time, usize)>>,
    /// Bumped whenever the core's next end moves, so that stale events are known.
    version: u64,
}

impl Core {
    fn busy(&self) -> usize {
        self.ends.len()
    }

    /// Brings the core's clock to real time `now`.
    #[allow(clippy::cast_precision_loss)] // a handful of lanes
    fn catch_up(&mut self, now: Seconds) {
        if self.busy() > 0 {
            self.clock += (now - self.at) / self.busy() as f64;
        }
        self.at = now;
    }

    /// When, in real time, the next item on this core ends.
    #[allow(clippy::cast_precision_loss)]
    fn next_end(&self) -> Option<Seconds> {
        let Reverse((Time(end), _)) = self.ends.peek()?;
        Some(self.at + (end - self.clock).max(0.0) * self.busy() as f64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The next item on a core ends (if the core's version still matches).
    CoreEnd { core: usize, version: u64 },
    /// A wait is over; `lane` is the blocking lane waiting with it.
    WaitOver { painter: usize, lane: Option<usize>, job: u32, coat: u32, file: bool, since: Time },
    /// A painter is ready for work.
    Ready { painter: usize },
    /// A stall in handing out begins (or, with `false`, ends).
    Stall { begins: bool },
    /// The coordinator hears that a painting of `painter` is done.
    Home { painter: usize },
}

struct Sim<'a> {
    model: &'a Model,
    feed: &'a Feed,
    stop: &'a Stop,
    now: Seconds,
    rule: Rule,
    pending: VecDeque<u32>,
    /// Per painter: paintings handed to it, unstarted (blocking lanes take them in order).
    queued: Vec<VecDeque<u32>>,
    /// Per async painter: what its CPU can do next, in the order it does it.
    ready: Vec<BTreeMap<Priority, Item>>,
    /// Per painting (by number − 1): the order in which it was handed out.
    arrival: Vec<u64>,
    arrivals: u64,
    lanes: Vec<Lane>,
    cores: Vec<Core>,
    events: BinaryHeap<Reverse<(Time, u64, Event)>>,
    sequence: u64,
    done: u32,
    /// Stalls under way: while any is, nothing is handed out.
    stalled: u32,
    segments: Vec<Segment>,
}

impl<'a> Sim<'a> {
    fn new(model: &'a Model, feed: &'a Feed, stop: &'a Stop) -> Self {
        let plans = &model.plans;
        let mut lanes = Vec::new();
        let mut core_ids: Vec<u64> = Vec::new();
        for (painter, plan) in plans.iter().enumerate() {
            for lane in 0..plan.lanes {
                let id = if feed.own_cores {
                    // Each lane alone: a core of its own.
                    (2u64 << 32) + lanes.len() as u64
                } else {
                    plan.cores.get(lane as usize).map_or_else(
                        // Unpinned: one virtual core per lane, as many as are allowed.
                        || (1u64 << 32) + (lanes.len() % model.allowed_cores.max(1)) as u64,
                        |&core| u64::from(core),
                    )
                };
                let core = core_ids.iter().position(|&c| c == id).unwrap_or_else(|| {
                    core_ids.push(id);
                    core_ids.len() - 1
                });
                lanes.push(Lane { painter, lane, core, state: LaneState::Idle });
            }
        }
        let paintings = model.work.paintings;
        let rule = Rule::new(model.ahead, plans.iter().map(|plan| (plan.lanes, plan.scheduler == Scheduler::Async)));
        Self {
            model,
            feed,
            stop,
            now: 0.0,
            rule,
            pending: (1..=paintings).collect(),
            queued: vec![VecDeque::new(); plans.len()],
            ready: vec![BTreeMap::new(); plans.len()],
            arrival: vec![0; paintings as usize],
            arrivals: 0,
            lanes,
            cores: std::iter::repeat_with(Core::default).take(core_ids.len()).collect(),
            events: BinaryHeap::new(),
            sequence: 0,
            done: 0,
            stalled: 0,
            segments: Vec::new(),
        }
    }

    fn is_async(&self, painter: usize) -> bool {
        self.model.plans[painter].scheduler == Scheduler::Async
    }

    fn push(&mut self, at: Seconds, event: Event) {
        self.sequence += 1;
        self.events.push(Reverse((Time(at), self.sequence, event)));
    }

    fn run(&mut self) -> Result<(), Stopped> {
        for painter in 0..self.model.plans.len() {
            let ready = self.feed.ready_s.get(painter).copied().unwrap_or(0.0);
            if ready > 0.0 {
                self.rule.retire(painter);
                self.push(ready, Event::Ready { painter });
            }
        }
        for &(from, to) in &self.feed.stalls {
            if to <= from {
                continue;
            }
            // One that has begun before the first hand-out holds it back.
            if from <= 0.0 {
                self.stalled += 1;
            } else {
                self.push(from, Event::Stall { begins: true });
            }
            self.push(to, Event::Stall { begins: false });
        }
        let mut steps = 0u32;
        while self.done < self.model.work.paintings {
            self.hand_out();
            let Some(Reverse((Time(at), _, event))) = self.events.pop() else { return Ok(()) };
            self.now = self.now.max(at);
            match event {
                Event::CoreEnd { core, version } => {
                    if self.cores[core].version == version {
                        self.core_end(core);
                    }
                }
                Event::WaitOver { painter, lane, job, coat, file, since } => {
                    self.wait_over(painter, lane, job, coat, file, since.0);
                }
                Event::Ready { painter } => {
                    self.rule.admit(painter, self.model.plans[painter].lanes);
                }
                Event::Stall { begins: true } => self.stalled += 1,
                Event::Stall { begins: false } => self.stalled = self.stalled.saturating_sub(1),
                Event::Home { painter } => self.heard_done(painter),
            }
            steps = steps.wrapping_add(1);
            if steps.is_multiple_of(4096) && self.stop.stopped() {
                return Err(Stopped);
            }
        }
        Ok(())
    }

    /// Hands out what the rule allows, and puts every idle lane that can
    /// start something to work.
    fn hand_out(&mut self) {
        let coats = self.model.work.coats;
        let Self { rule, pending, queued, ready, arrival, arrivals, model, stalled, .. } = self;
        // In a stall nothing is handed out; lanes take up what they hold.
        let mut pending_now = if *stalled > 0 { VecDeque::new() } else { std::mem::take(pending) };
        rule.share(&mut pending_now, |painter, job| {
            arrival[job as usize - 1] = *arrivals;
            if model.plans[painter].scheduler == Scheduler::Async {
                ready[painter].insert((Reverse(coats), *arrivals), Item::Paint { job, coat: 0 });
            } else {
                queued[painter].push_back(job);
            }
            *arrivals += 1;
            true
        });
        if self.stalled == 0 {
            self.pending = pending_now;
        }
        for i in 0..self.lanes.len() {
            if !matches!(self.lanes[i].state, LaneState::Idle) {
                continue;
            }
            let painter = self.lanes[i].painter;
            let next = if self.is_async(painter) {
                self.ready[painter].pop_first().map(|(_, item)| item)
            } else {
                self.queued[painter].pop_front().map(|job| Item::Paint { job, coat: 0 })
            };
            if let Some(item) = next {
                self.start(i, item);
                // What the lane just took may let the rule hand out more.
                if self.stalled == 0 && self.rule.wants(painter) && !self.pending.is_empty() {
                    return self.hand_out();
                }
            }
        }
    }

    /// Lane `i` starts `item` on its core.
    fn start(&mut self, i: usize, item: Item) {
        let painter = self.lanes[i].painter;
        let work = match item {
            Item::Paint { job, coat } => {
                self.rule.coat_started(painter, coat);
                self.feed.paint(&self.model.work, job, coat)
            }
            Item::Save { job } => self.feed.save(job),
        };
        self.lanes[i].state = LaneState::Busy { item, since: self.now };
        let core = self.lanes[i].core;
        let now = self.now;
        let c = &mut self.cores[core];
        c.catch_up(now);
        c.ends.push(Reverse((Time(c.clock + work.max(0.0)), i)));
        self.reschedule(core);
    }

    fn reschedule(&mut self, core: usize) {
        let c = &mut self.cores[core];
        c.version += 1;
        let version = c.version;
        if let Some(at) = c.next_end() {
            self.push(at, Event::CoreEnd { core, version });
        }
    }

    /// The next item (or items) on `core` ended.
    fn core_end(&mut self, core: usize) {
        let now = self.now;
        let c = &mut self.cores[core];
        c.catch_up(now);
        let mut ended = Vec::new();
        while let Some(&Reverse((Time(end), lane))) = c.ends.peek() {
            if end > c.clock + EPSILON {
                break;
            }
            c.ends.pop();
            ended.push(lane);
        }
        self.reschedule(core);
        for i in ended {
            let LaneState::Busy { item, since } = self.lanes[i].state else { continue };
            let (painter, lane) = (self.lanes[i].painter, self.lanes[i].lane);
            self.lanes[i].state = LaneState::Idle;
            match item {
                Item::Paint { job, coat } => {
                    self.record(painter, lane, job, coat, SegmentKind::Paint, since);
                    self.rule.coat_painted(painter);
                    self.start_drying(painter, i, job, coat);
                }
                Item::Save { job } => {
                    self.record(painter, lane, job, self.model.work.coats.saturating_sub(1), SegmentKind::Save, since);
                    self.finished(painter, job);
                }
            }
        }
    }

    /// A coat is painted: its first wait begins (or, with none, it is dry).
    fn start_drying(&mut self, painter: usize, i: usize, job: u32, coat: u32) {
        let work = self.model.work;
        let lane = (!self.is_async(painter)).then_some(i);
        // Which waits a coat has is the work's; how long each lasted may be measured.
        let first = if work.file_s > 0.0 {
            Some((true, self.feed.wait(&work, job, coat, true)))
        } else if work.net_s > 0.0 {
            Some((false, self.feed.wait(&work, job, coat, false)))
        } else {
            None
        };
        match first {
            Some((file, wait)) => {
                if let Some(i) = lane {
                    self.lanes[i].state = LaneState::Drying;
                }
                let since = Time(self.now);
                self.push(self.now + wait, Event::WaitOver { painter, lane, job, coat, file, since });
            }
            None => self.coat_dry(painter, lane, job, coat),
        }
    }

    fn wait_over(&mut self, painter: usize, lane: Option<usize>, job: u32, coat: u32, file: bool, since: Seconds) {
        let kind = if file { SegmentKind::FileWait } else { SegmentKind::NetWait };
        let lane_number = lane.map_or(0, |i| self.lanes[i].lane);
        self.record(painter, lane_number, job, coat, kind, since);
        let work = self.model.work;
        if file && work.net_s > 0.0 {
            let since = Time(self.now);
            let net_s = self.feed.wait(&work, job, coat, false);
            self.push(self.now + net_s, Event::WaitOver { painter, lane, job, coat, file: false, since });
        } else {
            self.coat_dry(painter, lane, job, coat);
        }
    }

    /// A coat is dry: paint the next one, or save the picture, or the
    /// painting is done.
    fn coat_dry(&mut self, painter: usize, lane: Option<usize>, job: u32, coat: u32) {
        let coats = self.model.work.coats;
        let order = self.arrival[job as usize - 1];
        let next = if coat + 1 < coats {
            Some((Reverse(coats - (coat + 1)), Item::Paint { job, coat: coat + 1 }))
        } else if self.feed.save(job) > 0.0 {
            Some((Reverse(u32::MAX), Item::Save { job }))
        } else {
            None
        };
        match (next, lane) {
            (Some((priority, item)), None) => {
                self.ready[painter].insert((priority, order), item);
            }
            (Some((_, item)), Some(i)) => self.start(i, item),
            (None, lane) => {
                if let Some(i) = lane {
                    self.lanes[i].state = LaneState::Idle;
                }
                self.finished(painter, job);
            }
        }
    }

    /// Painting `job` of `painter` is done; the coordinator hears of it
    /// now, or once it has come home.
    fn finished(&mut self, painter: usize, job: u32) {
        let home = self.feed.home(job);
        if home > 0.0 {
            self.push(self.now + home, Event::Home { painter });
        } else {
            self.heard_done(painter);
        }
    }

    fn heard_done(&mut self, painter: usize) {
        self.done += 1;
        self.rule.painting_done(painter);
    }

    fn record(&mut self, painter: usize, lane: u32, painting: u32, coat: u32, kind: SegmentKind, start_s: Seconds) {
        self.segments.push(Segment { painter, lane, painting, coat, kind, start_s, end_s: self.now });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::Mode;

    fn work(paintings: u32, coats: u32, paint_s: f64, dry_s: f64) -> Work {
        Work { paintings, coats, paint_s, file_s: dry_s / 2.0, net_s: dry_s / 2.0 }
    }

    fn wall(mode: Mode, workers: u32, cores: &[u32], work: Work) -> f64 {
        ideal(&mode.layout(workers, Some(cores)), work, cores.len()).wall_s
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn sequential_adds_everything_up() {
        assert!(close(wall(Mode::Sequential, 2, &[0, 1], work(3, 2, 0.4, 0.8)), 3.0 * 2.0 * 1.2));
    }

    #[test]
    fn async_hides_drying_but_not_painting() {
        // Paint all three, and the last one's drying shows at the end.
        assert!(close(wall(Mode::Async, 1, &[0], work(3, 1, 0.3, 1.0)), 3.0 * 0.3 + 1.0));
        // Drying shorter than painting: fully hidden but the last.
        assert!(close(wall(Mode::Async, 1, &[0], work(3, 1, 0.4, 0.2)), 1.2 + 0.2));
    }

    #[test]
    fn async_paints_first_coats_first() {
        // 2 paintings, 2 coats, long drying: A1 B1 (dry) A2 B2 (dry).
        let w = work(2, 2, 0.1, 1.0);
        assert!(close(wall(Mode::Async, 1, &[0], w), 0.1 + 1.0 + 0.1 + 0.1 + 1.0));
        // 5 paintings: all first coats (0.5 s), then the second coats, each
        // dry by the time its turn comes (0.5 s), then the last drying.
        // Finishing started paintings first would take 1.6 s.
        let w = work(5, 2, 0.1, 0.3);
        assert!(close(wall(Mode::Async, 1, &[0], w), 0.5 + 0.5 + 0.3));
    }

    #[test]
    fn parallel_divides_painting_in_whole_paintings() {
        // 3 paintings on 2 painters: one paints twice.
        assert!(close(wall(Mode::Parallel, 2, &[0, 1], work(3, 1, 1.0, 0.0)), 2.0));
        assert!(close(wall(Mode::Threads, 2, &[0, 1], work(4, 1, 1.0, 0.0)), 2.0));
    }

    #[test]
    fn hybrid_does_both() {
        let w = work(4, 1, 0.5, 1.0);
        assert!(close(wall(Mode::Hybrid, 2, &[0, 1], w), 2.0 * 0.5 + 1.0));
    }

    #[test]
    fn painters_sharing_a_core_share_its_speed() {
        // 3 painters, 2 cores: two of them share core 0 at half speed.
        assert!(close(wall(Mode::Parallel, 3, &[0, 1], work(3, 1, 1.0, 0.0)), 2.0));
        // Unpinned painters count against the allowed cores the same way.
        let plans = Mode::Parallel.layout(3, None);
        assert!(close(ideal(&plans, work(3, 1, 1.0, 0.0), 2).wall_s, 2.0));
    }

    #[test]
    fn segments_cover_every_coat() {
        let w = work(3, 2, 0.2, 0.4);
        let result = ideal(&Mode::Hybrid.layout(2, Some(&[0, 1])), w, 2);
        let paints = result.segments.iter().filter(|s| s.kind == SegmentKind::Paint).count();
        let waits = result.segments.iter().filter(|s| s.kind != SegmentKind::Paint).count();
        assert_eq!((paints, waits), (6, 12));
        assert!(result.segments.iter().all(|s| s.end_s <= result.wall_s + 1e-9 && s.start_s <= s.end_s));
    }

    #[test]
    fn a_painting_goes_to_the_lane_that_can_start_it() {
        // Painter 1 paints at half speed (another program holds its core):
        // painting 3 goes to painter 0, which is free first.
        let model = Model::new(&Mode::Parallel.layout(2, Some(&[0, 1])), work(3, 1, 0.3, 0.0), 2);
        assert_eq!(model.ahead, 0, "coats of 300 ms are bound late");
        let feed = Feed { paint_s: vec![vec![0.3], vec![0.6], vec![0.3]].into(), ..Feed::default() };
        let result = simulate(&model, &feed, &Stop::default()).expect("not stopped");
        let third = result.segments.iter().find(|s| s.painting == 3).expect("painting 3");
        assert_eq!(third.painter, 0);
        assert!(close(result.wall_s, 0.6));
    }

    #[test]
    fn saving_follows_the_drying_and_takes_the_cpu() {
        // Blocking: paint, dry, save, in a row.
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work(2, 1, 0.1, 0.2), 1);
        let feed = Feed { save_s: vec![0.05, 0.05].into(), ..Feed::default() };
        let result = simulate(&model, &feed, &Stop::default()).expect("not stopped");
        assert!(close(result.wall_s, 2.0 * 0.35), "{}", result.wall_s);
        assert_eq!(result.segments.iter().filter(|s| s.kind == SegmentKind::Save).count(), 2);
        // Async: painting 2 is painted while painting 1 dries; each is
        // saved once dry, the second 0.1 s after the first.
        let model = Model::new(&Mode::Async.layout(1, Some(&[0])), work(2, 1, 0.1, 0.2), 1);
        let result = simulate(&model, &feed, &Stop::default()).expect("not stopped");
        assert!(close(result.wall_s, 0.1 + 0.1 + 0.2 + 0.05), "{}", result.wall_s);
    }

    #[test]
    fn measured_waits_for_a_cpu_replace_the_sharing_of_cores() {
        // 2 painters on one core, each coat measured at 2 s (1 s of its own
        // painting, 1 s waiting for the other): 2 s, not 4.
        let model = Model::new(&Mode::Parallel.layout(2, Some(&[0])), work(2, 1, 1.0, 0.0), 1);
        assert!(close(simulate(&model, &Feed::default(), &Stop::default()).expect("done").wall_s, 2.0));
        let feed = Feed { paint_s: vec![vec![2.0], vec![2.0]].into(), own_cores: true, ..Feed::default() };
        assert!(close(simulate(&model, &feed, &Stop::default()).expect("done").wall_s, 2.0));
    }

    #[test]
    fn a_painter_ready_late_starts_late() {
        let model = Model::new(&Mode::Parallel.layout(2, Some(&[0, 1])), work(2, 1, 1.0, 0.0), 2);
        let feed = Feed { ready_s: vec![0.0, 0.5], ..Feed::default() };
        assert!(close(simulate(&model, &feed, &Stop::default()).expect("done").wall_s, 1.5));
    }

    #[test]
    fn nothing_is_handed_out_in_a_stall_but_what_lanes_hold_is_painted() {
        // Late binding: 3 paintings of 1 s on 2 painters; a stall from 0.5 s
        // to 1.5 s holds painting 3 back until it ends.
        let model = Model::new(&Mode::Parallel.layout(2, Some(&[0, 1])), work(3, 1, 1.0, 0.0), 2);
        let feed = Feed { stalls: vec![(0.5, 1.5)], ..Feed::default() };
        assert!(close(simulate(&model, &feed, &Stop::default()).expect("done").wall_s, 2.5));
        // A stall from the start is a late first hand-out.
        let feed = Feed { stalls: vec![(0.0, 0.25)], ..Feed::default() };
        assert!(close(simulate(&model, &feed, &Stop::default()).expect("done").wall_s, 2.25));
        // Short jobs are queued ahead: a stall does not stop what a lane holds.
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work(4, 1, 0.001, 0.0), 1);
        assert!(model.ahead > 0);
        let feed = Feed { stalls: vec![(0.0005, 0.0015)], ..Feed::default() };
        let wall = simulate(&model, &feed, &Stop::default()).expect("done").wall_s;
        assert!(wall < 0.004 + 1e-9, "{wall}");
    }

    #[test]
    fn waits_last_as_long_as_they_were_measured() {
        // Painting 1's file wait took 0.5 s instead of 0.1; its network wait,
        // chained to the same deadline, none.
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work(2, 1, 1.0, 0.2), 1);
        let feed = Feed { dry_s: vec![vec![(0.5, 0.0)]].into(), ..Feed::default() };
        let result = simulate(&model, &feed, &Stop::default()).expect("done");
        assert!(close(result.wall_s, 1.5 + 1.2), "{}", result.wall_s);
    }

    #[test]
    fn a_painting_on_its_way_home_holds_its_lane_and_the_end() {
        // Blocking, late binding: each painting is heard of 0.1 s after it
        // ends, and only then is the next handed out.
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work(2, 1, 1.0, 0.0), 1);
        let feed = Feed { home_s: vec![0.1, 0.1].into(), ..Feed::default() };
        assert!(close(simulate(&model, &feed, &Stop::default()).expect("done").wall_s, 2.2));
    }

    #[test]
    fn a_hundred_thousand_paintings_take_moments_and_can_be_stopped() {
        // Every painting dries at once in an async painter: the case that
        // took minutes when each step scanned every drying coat.
        let plans = Mode::Async.layout(1, Some(&[0]));
        let model = Model::new(&plans, work(100_000, 1, 0.0, 0.8), 1);
        let started = std::time::Instant::now();
        let result = simulate(&model, &Feed::default(), &Stop::default()).expect("not stopped");
        assert!(close(result.wall_s, 0.8), "{}", result.wall_s);
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
        let stop = Stop::default();
        stop.stop();
        assert!(simulate(&model, &Feed::default(), &stop).is_err());
    }

    #[test]
    fn nothing_to_do_takes_no_time() {
        assert!(close(wall(Mode::Hybrid, 2, &[0, 1], work(5, 1, 0.0, 0.0)), 0.0));
    }
}
