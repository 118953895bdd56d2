//! The ideal: how long the same jobs would take on the same painters with
//! zero overhead.
//!
//! The model replays the dispatcher's rules (`dispatch.rs`) on an imaginary
//! machine where starting a process, sending a message and waking a thread
//! cost nothing:
//!
//! - a painter claims one job per lane beyond what it works on, and claims
//!   the next when it starts one;
//! - a blocking lane paints, waits for the drying, paints the next coat…;
//! - an async painter's CPU paints one coat at a time, taking the ready
//!   painting with the most coats left (then the one that arrived first),
//!   while any number of coats dry;
//! - painters pinned to the same core share it equally while they paint
//!   (so 3 painters on 2 cores cannot paint faster than 2).
//!
//! It is a discrete-event simulation: from one event (a coat painted, a
//! wait over) to the next, each painting lane progresses at 1/k of its
//! core's speed when k lanes share that core.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};

use protocol::Scheduler;
use serde::Serialize;

use crate::mode::PainterPlan;

/// Time on the model's clock, in seconds from the first job.
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
    /// Start, in seconds from the first job.
    pub start_s: Seconds,
    /// End, in seconds from the first job.
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
    /// Wall time from the first job to the last painting done.
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

const EPSILON: Seconds = 1e-12;

/// Order of an async painter's ready coats: most coats left, then arrival.
type Priority = (Reverse<u32>, u64);

/// A coat to paint: (painting, coat).
type Coat = (u32, u32);

#[derive(Debug, Clone, Copy)]
enum Lane {
    Idle,
    Painting {
        job: u32,
        coat: u32,
        left: Seconds,
        since: Seconds,
    },
    /// Blocking lanes only: the lane waits with its painting.
    Drying(Wait),
}

/// One wait of one coat.
#[derive(Debug, Clone, Copy)]
struct Wait {
    job: u32,
    coat: u32,
    kind: SegmentKind,
    since: Seconds,
    until: Seconds,
}

#[derive(Debug)]
struct Sim<'a> {
    plans: &'a [PainterPlan],
    work: Work,
    now: Seconds,
    pending: VecDeque<u32>,
    /// Per painter: claimed, unstarted jobs (blocking lanes take them in order).
    queued: Vec<VecDeque<u32>>,
    /// Per async painter: coats ready to paint, in the order it paints them:
    /// most coats left first, then earliest arrival (as the painter does).
    ready: Vec<BTreeMap<Priority, Coat>>,
    /// Per painter: the arrival order of each claimed painting.
    arrival: Vec<HashMap<u32, u64>>,
    arrivals: u64,
    unstarted: Vec<u32>,
    /// (painter, lane, core, state); the core is a number to compare only.
    lanes: Vec<(usize, u32, u64, Lane)>,
    /// Async painters' drying coats.
    drying: Vec<(usize, Wait)>,
    done: u32,
    segments: Vec<Segment>,
}

/// Simulates `work` on the painters of `plans`. `allowed_cores` spreads
/// unpinned painters, which the kernel would spread too.
#[must_use]
pub fn ideal(plans: &[PainterPlan], work: Work, allowed_cores: usize) -> Ideal {
    let mut lanes = Vec::new();
    for (painter, plan) in plans.iter().enumerate() {
        for lane in 0..plan.lanes {
            let core = plan.cores.get(lane as usize).map_or_else(
                // Unpinned: one virtual core per lane, as many as are allowed.
                || (1u64 << 32) + (lanes.len() % allowed_cores.max(1)) as u64,
                |&core| u64::from(core),
            );
            lanes.push((painter, lane, core, Lane::Idle));
        }
    }
    let mut sim = Sim {
        plans,
        work,
        now: 0.0,
        pending: (1..=work.paintings).collect(),
        queued: vec![VecDeque::new(); plans.len()],
        ready: vec![BTreeMap::new(); plans.len()],
        arrival: vec![HashMap::new(); plans.len()],
        arrivals: 0,
        unstarted: vec![0; plans.len()],
        lanes,
        drying: Vec::new(),
        done: 0,
        segments: Vec::new(),
    };
    sim.run();
    Ideal { wall_s: sim.now, segments: sim.segments }
}

impl Sim<'_> {
    fn run(&mut self) {
        for painter in 0..self.plans.len() {
            self.top_up(painter);
        }
        loop {
            self.start_idle_lanes();
            if self.done >= self.work.paintings || !self.advance() {
                return;
            }
        }
    }

    fn is_async(&self, painter: usize) -> bool {
        self.plans[painter].scheduler == Scheduler::Async
    }

    /// Claims jobs for `painter` until it has one unstarted job per lane.
    fn top_up(&mut self, painter: usize) {
        while self.unstarted[painter] < self.plans[painter].lanes {
            let Some(job) = self.pending.pop_front() else {
                return;
            };
            self.unstarted[painter] += 1;
            self.arrival[painter].insert(job, self.arrivals);
            if self.is_async(painter) {
                self.ready[painter].insert((Reverse(self.work.coats), self.arrivals), (job, 0));
            } else {
                self.queued[painter].push_back(job);
            }
            self.arrivals += 1;
        }
    }

    fn start_idle_lanes(&mut self) {
        for i in 0..self.lanes.len() {
            let (painter, _, _, Lane::Idle) = self.lanes[i] else {
                continue;
            };
            let next = if self.is_async(painter) {
                self.ready[painter].pop_first().map(|(_, item)| item)
            } else {
                self.queued[painter].pop_front().map(|job| (job, 0))
            };
            if let Some((job, coat)) = next {
                self.lanes[i].3 = Lane::Painting { job, coat, left: self.work.paint_s, since: self.now };
                if coat == 0 {
                    self.unstarted[painter] -= 1;
                    self.top_up(painter);
                }
            }
        }
    }

    /// Moves the clock to the next event and handles everything that
    /// happens then. Returns false if nothing is left to happen.
    fn advance(&mut self) -> bool {
        let mut sharing: HashMap<u64, u32> = HashMap::new();
        for &(_, _, core, state) in &self.lanes {
            if matches!(state, Lane::Painting { .. }) {
                *sharing.entry(core).or_default() += 1;
            }
        }
        let mut step = Seconds::INFINITY;
        for &(_, _, core, state) in &self.lanes {
            match state {
                Lane::Painting { left, .. } => step = step.min(left * f64::from(sharing[&core])),
                Lane::Drying(wait) => step = step.min(wait.until - self.now),
                Lane::Idle => {}
            }
        }
        for (_, wait) in &self.drying {
            step = step.min(wait.until - self.now);
        }
        if !step.is_finite() {
            return false;
        }
        let step = step.max(0.0);
        self.now += step;

        for i in 0..self.lanes.len() {
            let (painter, lane, core, state) = self.lanes[i];
            match state {
                Lane::Painting { job, coat, left, since } => {
                    let left = left - step / f64::from(sharing[&core]);
                    if left > EPSILON {
                        self.lanes[i].3 = Lane::Painting { job, coat, left, since };
                        continue;
                    }
                    self.record(painter, lane, job, coat, SegmentKind::Paint, since);
                    self.lanes[i].3 = Lane::Idle;
                    self.start_drying(i, painter, job, coat);
                }
                Lane::Drying(wait) if wait.until <= self.now + EPSILON => {
                    self.record(painter, lane, wait.job, wait.coat, wait.kind, wait.since);
                    self.lanes[i].3 = Lane::Idle;
                    self.wait_over(i, painter, wait);
                }
                Lane::Drying(_) | Lane::Idle => {}
            }
        }
        let (over, still): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.drying).into_iter().partition(|(_, wait)| wait.until <= self.now + EPSILON);
        self.drying = still;
        for (painter, wait) in over {
            self.record(painter, 0, wait.job, wait.coat, wait.kind, wait.since);
            self.wait_over(usize::MAX, painter, wait);
        }
        true
    }

    /// A coat is painted: its first wait begins (or, with none, it is dry).
    fn start_drying(&mut self, lane: usize, painter: usize, job: u32, coat: u32) {
        let first = [(SegmentKind::FileWait, self.work.file_s), (SegmentKind::NetWait, self.work.net_s)]
            .into_iter()
            .find(|&(_, d)| d > 0.0);
        match first {
            Some((kind, duration)) => {
                self.begin_wait(lane, painter, Wait { job, coat, kind, since: self.now, until: self.now + duration })
            }
            None => self.coat_dry(lane, painter, job, coat),
        }
    }

    fn begin_wait(&mut self, lane: usize, painter: usize, wait: Wait) {
        if self.is_async(painter) {
            self.drying.push((painter, wait));
        } else {
            self.lanes[lane].3 = Lane::Drying(wait);
        }
    }

    fn wait_over(&mut self, lane: usize, painter: usize, wait: Wait) {
        if wait.kind == SegmentKind::FileWait && self.work.net_s > 0.0 {
            let next = Wait { kind: SegmentKind::NetWait, since: self.now, until: self.now + self.work.net_s, ..wait };
            self.begin_wait(lane, painter, next);
        } else {
            self.coat_dry(lane, painter, wait.job, wait.coat);
        }
    }

    /// A coat is dry: paint the next one, or the painting is done.
    fn coat_dry(&mut self, lane: usize, painter: usize, job: u32, coat: u32) {
        if coat + 1 >= self.work.coats {
            self.done += 1;
            return;
        }
        if self.is_async(painter) {
            let order = self.arrival[painter][&job];
            self.ready[painter].insert((Reverse(self.work.coats - (coat + 1)), order), (job, coat + 1));
        } else {
            self.lanes[lane].3 = Lane::Painting { job, coat: coat + 1, left: self.work.paint_s, since: self.now };
        }
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
    fn nothing_to_do_takes_no_time() {
        assert!(close(wall(Mode::Hybrid, 2, &[0, 1], work(5, 1, 0.0, 0.0)), 0.0));
    }
}
