//! Who ran what, where and when: a run's lanes, worked out once and drawn
//! by every renderer — the terminal's timeline, the SVG, the Chrome trace
//! and `plan`.
//!
//! A lane is one painting thread of one painter process: a blocking or an
//! async painter has one, a `threads` painter one per thread. A lane is
//! named as the report names it (`painter-3@1`, `thread-1@0`, and on
//! another host `h2/painter-3@1`) and holds its segments — painting, each
//! coat's disk and network wait, saving the picture — on the run's one
//! time axis, in seconds as `wall_s` counts them, and marks what it began
//! and never finished: its painter failed, or the run was stopped, first.
//! The measured lanes come from the painters' events ([`Lanes::measured`]),
//! the predicted ones from the model ([`Lanes::planned`]); a renderer only
//! lays them out.
//!
//! A measured lane also holds its thread's states ([`State`]): when it ran
//! on a core, when it waited for one, when it was off by its own choice,
//! as the painter measured them ([`Lanes::with_states`]). A painting block
//! is split by them into running and waiting; the plan, the ideal, has none.

use std::collections::HashMap;
use std::ops::Range;

use protocol::{DryKind, Event, EventKind, Scheduler, ThreadState};
use serde::Serialize;

use crate::dispatch::Outcome;
use crate::mode::{PainterPlan, painter_name, thread_name};
use crate::model::schedule::{Segment, SegmentKind};

/// One painting thread of one painter, and where it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// Its painter, by index among the run's painters (the planned ones,
    /// then any that replaced a failed one).
    pub painter: usize,
    /// Its painter's id: `painter-K`'s K.
    pub id: u32,
    /// Which of its painter's threads it is.
    pub thread: u32,
    /// The core it was pinned to (`None`: unpinned).
    pub core: Option<u32>,
    /// The host it ran on, when that was not the coordinator's.
    pub host: Option<String>,
    /// Whether its painter paints with threads (`threads` mode), so that
    /// the lane is named after its thread rather than its painter.
    pub threads: bool,
}

impl Lane {
    /// Who painted on it: `painter-3`, or `thread-1` in `threads` mode,
    /// after `h2/` on another host.
    #[must_use]
    pub fn who(&self) -> String {
        let host = self.host.as_ref().map_or_else(String::new, |h| format!("{h}/"));
        if self.threads {
            format!("{host}{}", thread_name(self.thread))
        } else {
            format!("{host}{}", painter_name(self.id))
        }
    }

    /// [`who`](Self::who) and its core, as the terminal shows it:
    /// `h2/painter-3@1`.
    #[must_use]
    pub fn label(&self) -> String {
        self.who() + &self.core.map_or_else(String::new, |c| format!("@{c}"))
    }
}

/// A run's lanes and what each did.
///
/// The segments are kept together, each naming its lane (its painter's
/// index and its thread), rather than copied or indexed per lane: a run of
/// 100,000 paintings holds hundreds of thousands of them, and a renderer
/// goes through one lane at a time. In JSON it is the run's `segments[]`,
/// in the order they were built from.
#[derive(Debug, Clone, Default)]
pub struct Lanes {
    lanes: Vec<Lane>,
    /// Per painter (by index), its lanes in `lanes`.
    painters: Vec<Range<usize>>,
    segments: Vec<Segment>,
    /// In order of start.
    unfinished: Vec<Unfinished>,
    /// Every lane's thread states, lane by lane (by painter index, then
    /// thread), each lane's in order of start.
    states: Vec<State>,
}

/// One stretch of one lane's thread in one state, on the run's axis: in
/// JSON, an element of its painter's `states`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct State {
    /// Its painter, by index.
    #[serde(skip)]
    pub painter: usize,
    /// What the thread was doing: `running`, `waiting` (for a core) or `off`.
    #[serde(serialize_with = "state_name")]
    pub state: ThreadState,
    /// From, in seconds from the run's start.
    pub start_s: f64,
    /// Until.
    pub end_s: f64,
    /// The core it ran on, waited for (the one it was queued on), or left.
    pub core: u32,
    /// Which of its painter's threads (lanes).
    pub thread: u32,
}

fn state_name<S: serde::Serializer>(state: &ThreadState, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(state.name())
}

impl State {
    /// How much of it lies between `from_s` and `to_s`.
    #[must_use]
    pub fn overlap_s(&self, from_s: f64, to_s: f64) -> f64 {
        (self.end_s.min(to_s) - self.start_s.max(from_s)).max(0.0)
    }
}

/// A stretch a lane began and never ended: the painter said it started
/// painting a coat (or drying it, or saving the picture) and never that
/// it finished. Its painter failed, or the run was stopped, first; when
/// it stopped is not known, so it is marked where it began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unfinished {
    /// Index of the painter.
    pub painter: usize,
    /// Its lane (thread).
    pub lane: u32,
    /// Which painting.
    pub painting: u32,
    /// Which coat, from 0.
    pub coat: u32,
    /// What it began.
    pub kind: SegmentKind,
    /// When.
    pub start_s: f64,
}

impl Serialize for Lanes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.segments.serialize(serializer)
    }
}

/// A start event paired with its end: a stretch of painting, waiting or
/// saving, at the painter's own moments.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// Its painter, by index.
    pub painter: usize,
    /// The lane it ended on.
    pub lane: u32,
    /// The painting.
    pub painting: u32,
    /// The coat.
    pub coat: u32,
    /// What it was.
    pub kind: SegmentKind,
    /// When it started.
    pub start_ns: u64,
    /// When it ended.
    pub end_ns: u64,
}

/// What has begun and not ended: when, and on which lane, by painter,
/// painting, coat and kind.
type Open = HashMap<(usize, u32, u32, SegmentKind), (u64, u32)>;

/// Pairs every start event of `events` of the kinds `wanted` with its end,
/// handing each pair to `each` in the order the ends came; returns the
/// starts whose end never came. The lanes (every kind) and the gap's facts
/// (the waits and the saving) both read a run this way.
pub fn pair(
    events: impl IntoIterator<Item = (usize, Event)>,
    wanted: impl Fn(SegmentKind) -> bool,
    mut each: impl FnMut(Pair),
) -> Open {
    let kind_of = |kind: EventKind| match kind {
        EventKind::PaintStarted | EventKind::PaintFinished(_) => SegmentKind::Paint,
        EventKind::SaveStarted | EventKind::SaveFinished => SegmentKind::Save,
        EventKind::DryStarted(DryKind::File) | EventKind::DryFinished(DryKind::File) => SegmentKind::FileWait,
        EventKind::DryStarted(DryKind::Network) | EventKind::DryFinished(DryKind::Network) => SegmentKind::NetWait,
    };
    let mut open = Open::new();
    for (painter, event) in events {
        let kind = kind_of(event.kind);
        if !wanted(kind) {
            continue;
        }
        let key = (painter, event.job, event.coat, kind);
        match event.kind {
            EventKind::PaintStarted | EventKind::DryStarted(_) | EventKind::SaveStarted => {
                open.insert(key, (event.at_ns, event.lane));
            }
            EventKind::PaintFinished(_) | EventKind::DryFinished(_) | EventKind::SaveFinished => {
                if let Some((start_ns, _)) = open.remove(&key) {
                    each(Pair {
                        painter,
                        lane: event.lane,
                        painting: event.job,
                        coat: event.coat,
                        kind: key.3,
                        start_ns,
                        end_ns: event.at_ns,
                    });
                }
            }
        }
    }
    open
}

/// A painter, as far as its lanes need it: whether measured or planned.
#[derive(Debug, Clone, Copy)]
pub struct Painter<'a> {
    /// `painter-K`'s K.
    pub id: u32,
    /// Its threads of painting: a lane each.
    pub lanes: u32,
    /// One core per lane, or none when unpinned.
    pub cores: &'a [u32],
    /// The host it ran on, when that was not the coordinator's.
    pub host: Option<&'a str>,
    /// Whether it paints with threads, so that its lanes are named after them.
    pub threads: bool,
}

impl Lanes {
    /// The lanes of a run as measured: every start event paired with its
    /// end into a segment, in order of start; a start whose end never came
    /// is [`Unfinished`].
    pub fn measured<'a>(
        outcome: &Outcome,
        painters: impl IntoIterator<Item = Painter<'a>>,
        secs: impl Fn(u64) -> f64,
    ) -> Self {
        // A segment takes two events: room for all, and no more (a run of
        // 100,000 paintings holds a segment per coat, wait and picture).
        let mut segments = Vec::with_capacity(outcome.events.len() / 2 + outcome.lives.len());
        let open = pair(
            outcome.all_events(),
            |_| true,
            |p| {
                segments.push(Segment {
                    painter: p.painter,
                    lane: p.lane,
                    painting: p.painting,
                    coat: p.coat,
                    kind: p.kind,
                    start_s: secs(p.start_ns),
                    end_s: secs(p.end_ns),
                });
            },
        );
        segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        let mut unfinished: Vec<Unfinished> = open
            .into_iter()
            .map(|((painter, painting, coat, kind), (start, lane))| Unfinished {
                painter,
                lane,
                painting,
                coat,
                kind,
                start_s: secs(start),
            })
            .collect();
        unfinished.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.painting.cmp(&b.painting)));
        Self { unfinished, ..Self::new(painters, segments) }
    }

    /// The lanes of `painters` holding `segments` (each on the lane its
    /// `painter` index and `lane` name), in the order given.
    pub fn new<'a>(painters: impl IntoIterator<Item = Painter<'a>>, segments: Vec<Segment>) -> Self {
        let mut lanes = Vec::new();
        let mut ranges = Vec::new();
        for (index, painter) in painters.into_iter().enumerate() {
            let first = lanes.len();
            lanes.extend((0..painter.lanes).map(|thread| Lane {
                painter: index,
                id: painter.id,
                thread,
                core: painter.cores.get(thread as usize).copied(),
                host: painter.host.map(str::to_owned),
                threads: painter.threads,
            }));
            ranges.push(first..lanes.len());
        }
        Self { lanes, painters: ranges, segments, unfinished: Vec::new(), states: Vec::new() }
    }

    /// The same lanes with their threads' `states`: kept lane by lane, each
    /// lane's in order of start; a state of a lane its painter does not
    /// have, or that lasted no time, is left out.
    #[must_use]
    pub fn with_states(mut self, mut states: Vec<State>) -> Self {
        states.retain(|s| {
            s.end_s > s.start_s && self.painters.get(s.painter).is_some_and(|r| (s.thread as usize) < r.len())
        });
        states.sort_by(|a, b| (a.painter, a.thread).cmp(&(b.painter, b.thread)).then(a.start_s.total_cmp(&b.start_s)));
        self.states = states;
        self
    }

    /// Whether any lane's states are known.
    #[must_use]
    pub fn has_states(&self) -> bool {
        !self.states.is_empty()
    }

    /// Every lane's states, lane by lane.
    #[must_use]
    pub fn states(&self) -> &[State] {
        &self.states
    }

    /// The states of painter `painter` (by index), thread by thread.
    #[must_use]
    pub fn states_of_painter(&self, painter: usize) -> &[State] {
        let from = self.states.partition_point(|s| s.painter < painter);
        let to = self.states.partition_point(|s| s.painter <= painter);
        &self.states[from..to]
    }

    /// The states of `lane`, in order.
    #[must_use]
    pub fn states_of(&self, lane: &Lane) -> &[State] {
        let key = (lane.painter, lane.thread);
        let from = self.states.partition_point(|s| (s.painter, s.thread) < key);
        let to = self.states.partition_point(|s| (s.painter, s.thread) <= key);
        &self.states[from..to]
    }

    /// The lanes of the model's schedule for `plans` (what `plan` draws).
    #[must_use]
    pub fn planned(plans: &[PainterPlan], segments: Vec<Segment>) -> Self {
        let painters = plans.iter().map(|p| Painter {
            id: p.id,
            lanes: p.lanes,
            cores: &p.cores,
            host: None,
            threads: p.scheduler == Scheduler::Threads,
        });
        Self::new(painters, segments)
    }

    fn lane_index(&self, segment: &Segment) -> Option<usize> {
        let range = self.painters.get(segment.painter)?;
        let index = range.start + segment.lane as usize;
        range.contains(&index).then_some(index)
    }

    /// Every lane, painter by painter.
    pub fn iter(&self) -> std::slice::Iter<'_, Lane> {
        self.lanes.iter()
    }

    /// The lanes of painter `painter` (by index).
    #[must_use]
    pub fn of_painter(&self, painter: usize) -> &[Lane] {
        self.painters.get(painter).map_or(&[], |range| &self.lanes[range.clone()])
    }

    /// The lane a segment is on, if its painter has that lane.
    #[must_use]
    pub fn lane(&self, segment: &Segment) -> Option<&Lane> {
        self.lane_index(segment).map(|i| &self.lanes[i])
    }

    /// What `lane` did, in order.
    pub fn segments_of<'a>(&'a self, lane: &'a Lane) -> impl Iterator<Item = &'a Segment> + Clone + 'a {
        self.segments.iter().filter(|s| s.painter == lane.painter && s.lane == lane.thread)
    }

    /// Every lane's segments together, in the order they were built from
    /// (the measured: by start).
    #[must_use]
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The most characters of any lane's [`label`](Lane::label).
    #[must_use]
    pub fn widest_label(&self) -> usize {
        self.lanes.iter().map(|lane| lane.label().chars().count()).max().unwrap_or(0)
    }

    /// What `lane` began and never finished, in order.
    pub fn unfinished_of<'a>(&'a self, lane: &'a Lane) -> impl Iterator<Item = &'a Unfinished> + 'a {
        self.unfinished.iter().filter(|u| u.painter == lane.painter && u.lane == lane.thread)
    }

    /// Everything any lane began and never finished, in order of start.
    #[must_use]
    pub fn unfinished(&self) -> &[Unfinished] {
        &self.unfinished
    }

    /// Whether some lane saved a picture.
    #[must_use]
    pub fn saves(&self) -> bool {
        self.segments.iter().any(|s| s.kind == SegmentKind::Save)
    }

    /// Whether some lane dried a coat for any time at all.
    #[must_use]
    pub fn dries(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s.kind, SegmentKind::FileWait | SegmentKind::NetWait) && s.end_s > s.start_s)
    }

    /// The most coats painted on any one lane.
    #[must_use]
    pub fn most_painted(&self) -> usize {
        let paints = |lane| self.segments_of(lane).filter(|s| s.kind == SegmentKind::Paint).count();
        self.lanes.iter().map(paints).max().unwrap_or(0)
    }
}

/// How a lane's thread spent a stretch of time, by its states.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spent {
    /// On a core.
    pub running_s: f64,
    /// Ready, waiting for a core.
    pub waiting_s: f64,
    /// Off by its own choice (sleeping, reading a pipe).
    pub off_s: f64,
}

impl Spent {
    /// Whether the states say anything of the stretch at all.
    #[must_use]
    pub fn told(&self) -> bool {
        self.running_s + self.waiting_s + self.off_s > 0.0
    }
}

/// How `states` (one lane's, in order) spent the time between `from_s`
/// and `to_s`.
#[must_use]
pub fn spent(states: &[State], from_s: f64, to_s: f64) -> Spent {
    let first = states.partition_point(|s| s.end_s <= from_s);
    let mut spent = Spent::default();
    for state in states[first..].iter().take_while(|s| s.start_s < to_s) {
        let time = state.overlap_s(from_s, to_s);
        match state.state {
            ThreadState::Running => spent.running_s += time,
            ThreadState::Waiting => spent.waiting_s += time,
            ThreadState::Off => spent.off_s += time,
        }
    }
    spent
}

/// One coat's drying: its disk wait, then its network wait, drawn as one
/// piece so that it stays on one row.
#[derive(Debug, Clone)]
pub struct Drying<'a> {
    /// When its first wait started.
    pub from_s: f64,
    /// When its last wait ended.
    pub to_s: f64,
    /// Its waits, in the order they came.
    pub waits: Vec<&'a Segment>,
}

/// A lane's dryings, coat by coat, in the order their first waits come.
pub fn dryings<'a>(segments: impl Iterator<Item = &'a Segment>) -> Vec<Drying<'a>> {
    let mut dryings: Vec<Drying<'a>> = Vec::new();
    let mut coats: HashMap<(u32, u32), usize> = HashMap::new();
    for s in segments.filter(|s| matches!(s.kind, SegmentKind::FileWait | SegmentKind::NetWait)) {
        match coats.get(&(s.painting, s.coat)) {
            Some(&i) => {
                let d = &mut dryings[i];
                d.from_s = d.from_s.min(s.start_s);
                d.to_s = d.to_s.max(s.end_s);
                d.waits.push(s);
            }
            None => {
                coats.insert((s.painting, s.coat), dryings.len());
                dryings.push(Drying { from_s: s.start_s, to_s: s.end_s, waits: vec![s] });
            }
        }
    }
    dryings
}

#[cfg(test)]
mod tests {
    use protocol::{Effort, Event};

    use super::*;
    use crate::mode::Mode;

    /// `painter-K` on this machine, on `cores`, one lane per core.
    fn painter(id: u32, cores: &[u32]) -> Painter<'_> {
        let lanes = u32::try_from(cores.len()).expect("a few cores");
        Painter { id, lanes, cores, host: None, threads: false }
    }

    fn event(job: u32, lane: u32, at_ms: u64, kind: EventKind) -> Event {
        Event { job, lane, coat: 0, at_ns: at_ms * 1_000_000, kind }
    }

    const PAINTED: EventKind = EventKind::PaintFinished(Effort { cpu_ns: 0, run_delay_ns: 0 });

    fn labels(lanes: &Lanes) -> Vec<String> {
        lanes.iter().map(Lane::label).collect()
    }

    fn paintings<'a>(lanes: &'a Lanes, lane: &'a Lane) -> Vec<(u32, SegmentKind)> {
        lanes.segments_of(lane).map(|s| (s.painting, s.kind)).collect()
    }

    #[test]
    fn a_failed_painters_unfinished_painting_is_marked_where_it_began_and_its_replacement_has_its_own_lane() {
        // Painter 0 starts painting 1 and dies; painter 1, its replacement
        // on the same core, paints it from the start and saves it.
        let outcome = Outcome {
            events: vec![
                (0, event(1, 0, 0, EventKind::PaintStarted)),
                (1, event(1, 0, 300, EventKind::PaintStarted)),
                (1, event(1, 0, 700, PAINTED)),
                (1, event(1, 0, 700, EventKind::SaveStarted)),
                (1, event(1, 0, 710, EventKind::SaveFinished)),
            ],
            ..Outcome::default()
        };
        let lanes = Lanes::measured(&outcome, [painter(0, &[0]), painter(1, &[0])], |ns| ns as f64 / 1e9);
        assert_eq!(labels(&lanes), ["painter-0@0", "painter-1@0"]);
        let [failed, replacement] = [&lanes.of_painter(0)[0], &lanes.of_painter(1)[0]];
        assert_eq!(paintings(&lanes, failed), []);
        let marks: Vec<&Unfinished> = lanes.unfinished_of(failed).collect();
        assert_eq!(
            marks,
            [&Unfinished { painter: 0, lane: 0, painting: 1, coat: 0, kind: SegmentKind::Paint, start_s: 0.0 }]
        );
        assert_eq!(lanes.unfinished_of(replacement).count(), 0);
        assert_eq!(paintings(&lanes, replacement), [(1, SegmentKind::Paint), (1, SegmentKind::Save)]);
        let paint = lanes.segments_of(replacement).next().expect("a paint");
        assert_eq!((paint.start_s, paint.end_s), (0.3, 0.7));
        assert!(lanes.saves());
    }

    #[test]
    fn a_chunk_of_many_paintings_lands_on_the_lanes_that_painted_them_in_order_of_start() {
        // Two painters, 500 paintings each, painted at the same time, each
        // painter's events arriving in one chunk: painter 1's first.
        let mut events = Vec::new();
        for painter in [1, 0] {
            for job in (1..=1000_u32).filter(|job| job % 2 == painter) {
                let at = u64::from(job / 2) * 2;
                events.push((painter as usize, event(job, 0, at, EventKind::PaintStarted)));
                events.push((painter as usize, event(job, 0, at + 1, PAINTED)));
            }
        }
        let outcome = Outcome { events, ..Outcome::default() };
        let lanes = Lanes::measured(&outcome, [painter(0, &[0]), painter(1, &[1])], |ns| ns as f64 / 1e9);
        assert_eq!(lanes.segments().len(), 1000);
        assert!(lanes.segments().windows(2).all(|w| w[0].start_s <= w[1].start_s));
        for (index, lane) in lanes.iter().enumerate() {
            let jobs: Vec<u32> = lanes.segments_of(lane).map(|s| s.painting).collect();
            assert_eq!(jobs.len(), 500);
            assert!(jobs.iter().all(|job| job % 2 == u32::try_from(index).expect("two")), "{jobs:?}");
            assert!(lanes.segments_of(lane).zip(lanes.segments_of(lane).skip(1)).all(|(a, b)| a.end_s <= b.start_s));
        }
        assert_eq!(lanes.most_painted(), 500);
        assert!(!lanes.saves());
    }

    #[test]
    fn a_remote_lane_is_named_after_its_host_and_a_thread_after_its_number() {
        let remote = Painter { host: Some("h2"), ..painter(3, &[1]) };
        let threads = Painter { threads: true, ..painter(4, &[2, 3]) };
        let segment = |painter, lane| Segment {
            painter,
            lane,
            painting: 9,
            coat: 0,
            kind: SegmentKind::Paint,
            start_s: 0.0,
            end_s: 1.0,
        };
        let lanes = Lanes::new([painter(0, &[0]), remote, threads], vec![segment(1, 0), segment(2, 1)]);
        assert_eq!(labels(&lanes), ["painter-0@0", "h2/painter-3@1", "thread-0@2", "thread-1@3"]);
        assert_eq!(lanes.lane(&segment(1, 0)).map(Lane::label).as_deref(), Some("h2/painter-3@1"));
        assert_eq!(lanes.lane(&segment(2, 1)).map(|l| (l.painter, l.thread)), Some((2, 1)));
        assert_eq!(lanes.lane(&segment(0, 1)), None, "painter-0 has one lane");
        assert_eq!(lanes.widest_label(), "h2/painter-3@1".len());
    }

    #[test]
    fn the_plans_lanes_are_its_painters_threads() {
        let plans = Mode::Threads.layout(2, Some(&[0, 1]));
        let ideal = crate::model::schedule::ideal(
            &plans,
            crate::model::schedule::Work { paintings: 3, coats: 1, paint_s: 1.0, file_s: 0.5, net_s: 0.5 },
            2,
        );
        let lanes = Lanes::planned(&plans, ideal.segments.clone());
        assert_eq!(labels(&lanes), ["thread-0@0", "thread-1@1"]);
        let on_lanes: usize = lanes.iter().map(|lane| lanes.segments_of(lane).count()).sum();
        assert_eq!(on_lanes, ideal.segments.len(), "every segment is on its lane");
        assert_eq!(serde_json::to_value(&lanes).ok(), serde_json::to_value(&ideal.segments).ok());
    }

    #[test]
    fn a_coats_two_waits_are_one_drying() {
        let wait = |painting, coat, kind, start_s, end_s| Segment {
            painter: 0,
            lane: 0,
            painting,
            coat,
            kind,
            start_s,
            end_s,
        };
        let segments = [
            wait(1, 0, SegmentKind::FileWait, 1.0, 2.0),
            wait(2, 0, SegmentKind::FileWait, 1.5, 2.5),
            wait(1, 0, SegmentKind::NetWait, 2.0, 3.0),
            wait(1, 1, SegmentKind::FileWait, 4.0, 5.0),
            wait(1, 0, SegmentKind::Paint, 0.0, 1.0),
        ];
        let spans: Vec<(f64, f64, usize)> =
            dryings(segments.iter()).iter().map(|d| (d.from_s, d.to_s, d.waits.len())).collect();
        assert_eq!(spans, [(1.0, 3.0, 2), (1.5, 2.5, 1), (4.0, 5.0, 1)]);
    }
}
