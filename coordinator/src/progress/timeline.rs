//! What the live timeline has heard so far, kept so that it can be drawn
//! ten times a second however long the run: for each painter's thread (a
//! lane) and each core, how the time was spent, summed into a fixed number
//! of buckets of time. When the run reaches the right edge, the buckets
//! are merged in pairs and the span doubles, so a run of any length costs
//! the same to hold and to draw.
//!
//! Events say when a lane painted, dried and saved; a painter's `States`
//! say, later (as each coat ends), when its thread really ran on a core
//! and when it waited for one. The two are summed side by side, and the
//! drawing (`board.rs`) splits painting into running and waiting where
//! the states have arrived.

use std::collections::HashMap;

use protocol::{Event, EventKind, Hello, StateSpan, States, ThreadState};

/// Buckets of time per lane and per core: the most columns a time axis
/// can show.
pub const BUCKETS: usize = 512;

/// The span of the axis when the run begins, in seconds: doubled as often
/// as the run needs.
const FIRST_SPAN_S: f64 = 1.0;

/// Beyond this, a timestamp is not believed (a clock gone wrong) and the
/// span stops doubling: about eleven days.
const LONGEST_SPAN_S: f64 = 1_048_576.0;

/// How a lane spent one bucket (or one column) of time, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Painting, as its events say.
    pub paint: f64,
    /// Drying.
    pub dry: f64,
    /// Saving a picture.
    pub save: f64,
    /// Running on a core, as its states say.
    pub run: f64,
    /// Waiting for a core, as its states say.
    pub wait: f64,
    /// The painting that had the most painting time here, and that time.
    pub painting: Option<(u32, f64)>,
}

impl Tally {
    /// Adds `other`, scaled by `share` (the part of it that falls here).
    pub fn add(&mut self, other: &Self, share: f64) {
        self.paint += other.paint * share;
        self.dry += other.dry * share;
        self.save += other.save * share;
        self.run += other.run * share;
        self.wait += other.wait * share;
        if let Some((painting, time)) = other.painting {
            self.painted(painting, time * share);
        }
    }

    /// Counts `time` of painting `painting` towards which painting this is.
    fn painted(&mut self, painting: u32, time: f64) {
        match &mut self.painting {
            Some((n, t)) if *n == painting => *t += time,
            Some((_, t)) if *t >= time => {}
            other => *other = Some((painting, time)),
        }
    }
}

/// What a lane is doing in a stretch that has begun and not yet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    /// Painting a coat.
    Paint,
    /// Drying one.
    Dry,
    /// Saving the picture.
    Save,
}

/// A stretch begun and not yet ended: drawn up to now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Open {
    /// What.
    pub doing: Doing,
    /// Of which painting.
    pub job: u32,
    /// Since when, in seconds on the axis.
    pub start_s: f64,
}

/// One painting thread of one painter.
#[derive(Debug)]
pub struct Lane {
    /// Its painter, by index.
    pub painter: usize,
    /// Its name on the board: `painter-2@0`, or `thread-1@1` in `threads` mode.
    pub label: String,
    /// How it is marked on a core's lane: the last digit of its painter's
    /// number (of its thread's in `threads` mode).
    pub mark: char,
    /// Per bucket.
    pub tallies: Vec<Tally>,
    /// Begun and not ended.
    pub open: Vec<Open>,
    /// Where something was begun that its painter never ended (it failed
    /// or was stopped), in seconds.
    pub unfinished: Vec<f64>,
    /// The core it is pinned to, on its painter's host.
    pub core: Option<u32>,
    /// Up to when its states have been heard, in seconds.
    states_until_s: f64,
    /// When it last stopped painting or saving, the stretches in which it
    /// may hold a core (drying and idle, its thread sleeps), in seconds.
    busy_until_s: f64,
    /// Its painter has failed or was stopped: it holds no core.
    gone: bool,
}

impl Lane {
    /// Up to when its states have been heard, in seconds: what the board
    /// draws before that is measured, after it not yet.
    #[must_use]
    pub fn states_until_s(&self) -> f64 {
        self.states_until_s
    }
}

/// One core the run uses, and who ran on it.
#[derive(Debug)]
pub struct Core {
    /// Its host.
    pub host: String,
    /// Its number there.
    pub core: u32,
    /// Per bucket: each lane (by index) that ran here, and for how long.
    pub held: Vec<Vec<(usize, f64)>>,
    /// Up to when the states heard speak of this core, in seconds.
    spans_until_s: f64,
}

/// Everything heard, in buckets.
#[derive(Debug)]
pub struct Timeline {
    /// The first hand-out, on this machine's clock: the axis's zero.
    origin_ns: Option<u64>,
    /// The time at the right edge, in seconds.
    span_s: f64,
    /// In the order the painters joined.
    pub lanes: Vec<Lane>,
    /// By painter index and thread, the lane's index in `lanes`.
    index: HashMap<(usize, u32), usize>,
    /// In order of host, then core.
    pub cores: Vec<Core>,
    /// Each painter's host, by index.
    hosts: HashMap<usize, String>,
    /// Whether any painter has said how its threads spent their time.
    pub heard_states: bool,
}

impl Default for Timeline {
    fn default() -> Self {
        Self {
            origin_ns: None,
            span_s: FIRST_SPAN_S,
            lanes: Vec::new(),
            index: HashMap::new(),
            cores: Vec::new(),
            hosts: HashMap::new(),
            heard_states: false,
        }
    }
}

impl Timeline {
    /// The time at the right edge, in seconds.
    #[must_use]
    pub fn span_s(&self) -> f64 {
        self.span_s
    }

    /// Painter `painter` joined, shown as `label`: a lane per thread, and
    /// the cores it is pinned to.
    pub fn joined(&mut self, painter: usize, label: &str, hello: &Hello) {
        if self.hosts.contains_key(&painter) {
            return;
        }
        self.hosts.insert(painter, hello.host.clone());
        let threaded = hello.lanes > 1;
        for thread in 0..hello.lanes.max(1) {
            let core = hello.cores.get(thread as usize);
            let label = if threaded {
                format!("{}{}", crate::mode::thread_name(thread), core.map_or_else(String::new, |c| format!("@{c}")))
            } else {
                label.to_owned()
            };
            let number = if threaded { thread } else { hello.painter_id };
            let mark = char::from_digit(number % 10, 10).unwrap_or('?');
            self.index.insert((painter, thread), self.lanes.len());
            self.lanes.push(Lane {
                painter,
                label,
                mark,
                tallies: vec![Tally::default(); BUCKETS],
                open: Vec::new(),
                unfinished: Vec::new(),
                core: core.copied(),
                states_until_s: 0.0,
                busy_until_s: 0.0,
                gone: false,
            });
        }
        for &core in &hello.cores {
            self.core(&hello.host, core);
        }
    }

    /// The core `core` of `host`, added in its place if it is new.
    fn core(&mut self, host: &str, core: u32) -> &mut Core {
        let at = self.cores.partition_point(|c| (c.host.as_str(), c.core) < (host, core));
        if self.cores.get(at).is_none_or(|c| c.host != host || c.core != core) {
            let held = vec![Vec::new(); BUCKETS];
            self.cores.insert(at, Core { host: host.to_owned(), core, held, spans_until_s: 0.0 });
        }
        &mut self.cores[at]
    }

    /// Whether the cores are on more than one host, so that their lanes
    /// must name it.
    #[must_use]
    pub fn several_hosts(&self) -> bool {
        self.cores.windows(2).any(|pair| pair[0].host != pair[1].host)
    }

    /// A painting was handed out at `now_ns`: the first starts the clock.
    pub fn handed(&mut self, now_ns: u64) {
        self.origin_ns.get_or_insert(now_ns);
    }

    /// Seconds on the axis of `ns` on this machine's clock (before the
    /// axis's zero: 0).
    #[must_use]
    pub fn seconds(&self, ns: u64) -> f64 {
        let origin = self.origin_ns.unwrap_or(ns);
        #[allow(clippy::cast_precision_loss)] // nanoseconds to seconds
        let seconds = ns.saturating_sub(origin) as f64 / 1e9;
        seconds
    }

    /// Makes room on the axis for time `t_s`: doubles the span, merging
    /// buckets in pairs, until it is inside.
    pub fn reach(&mut self, t_s: f64) {
        while t_s > self.span_s && self.span_s < LONGEST_SPAN_S {
            self.span_s *= 2.0;
            for lane in &mut self.lanes {
                for i in 0..BUCKETS {
                    lane.tallies[i] = if i < BUCKETS / 2 {
                        let mut merged = lane.tallies[2 * i];
                        merged.add(&lane.tallies[2 * i + 1], 1.0);
                        merged
                    } else {
                        Tally::default()
                    };
                }
            }
            for core in &mut self.cores {
                for i in 0..BUCKETS {
                    core.held[i] = if i < BUCKETS / 2 {
                        let mut merged = std::mem::take(&mut core.held[2 * i]);
                        for (lane, time) in std::mem::take(&mut core.held[2 * i + 1]) {
                            hold(&mut merged, lane, time);
                        }
                        merged
                    } else {
                        Vec::new()
                    };
                }
            }
        }
    }

    /// Painter `painter` reported `event`.
    pub fn event(&mut self, painter: usize, event: &Event) {
        let Some(&lane) = self.index.get(&(painter, event.lane)) else { return };
        let at_s = self.seconds(event.at_ns);
        let (doing, started) = match event.kind {
            EventKind::PaintStarted => (Doing::Paint, true),
            EventKind::PaintFinished(_) => (Doing::Paint, false),
            EventKind::DryStarted(_) => (Doing::Dry, true),
            EventKind::DryFinished(_) => (Doing::Dry, false),
            EventKind::SaveStarted => (Doing::Save, true),
            EventKind::SaveFinished => (Doing::Save, false),
        };
        let open = &mut self.lanes[lane].open;
        if started {
            open.push(Open { doing, job: event.job, start_s: at_s });
            return;
        }
        let Some(at) = open.iter().position(|o| o.doing == doing && o.job == event.job) else { return };
        let begun = open.swap_remove(at);
        if doing != Doing::Dry {
            let lane = &mut self.lanes[lane];
            lane.busy_until_s = lane.busy_until_s.max(at_s);
        }
        self.reach(at_s);
        let span_s = self.span_s;
        spread(&mut self.lanes[lane].tallies, span_s, begun.start_s, at_s, |tally, time| match doing {
            Doing::Paint => {
                tally.paint += time;
                tally.painted(event.job, time);
            }
            Doing::Dry => tally.dry += time,
            Doing::Save => tally.save += time,
        });
    }

    /// Painter `painter`'s thread said how it spent its time (on this
    /// machine's clock), heard at `now_ns`.
    pub fn states(&mut self, painter: usize, states: &States, now_ns: u64) {
        let Some(&lane) = self.index.get(&(painter, states.lane)) else { return };
        let Some(host) = self.hosts.get(&painter).cloned() else { return };
        let Some(origin) = self.origin_ns else { return };
        self.heard_states = true;
        // What is said of the future (a remote clock's error) is cut at now.
        let now_s = self.seconds(now_ns);
        for span in &states.spans {
            let StateSpan { state, start_ns, end_ns, core } = *span;
            let (start, end) = (start_ns.max(origin), end_ns.max(origin));
            let (from_s, to_s) = (self.seconds(start), self.seconds(end).min(now_s));
            if to_s <= from_s {
                continue;
            }
            self.reach(to_s);
            let span_s = self.span_s;
            let known = self.core(&host, core);
            known.spans_until_s = known.spans_until_s.max(to_s);
            let heard = &mut self.lanes[lane];
            heard.states_until_s = heard.states_until_s.max(to_s);
            match state {
                ThreadState::Running => {
                    spread(&mut self.lanes[lane].tallies, span_s, from_s, to_s, |tally, time| tally.run += time);
                    let core = self.core(&host, core);
                    spread(&mut core.held, span_s, from_s, to_s, |held, time| hold(held, lane, time));
                }
                ThreadState::Waiting => {
                    spread(&mut self.lanes[lane].tallies, span_s, from_s, to_s, |tally, time| tally.wait += time);
                }
                ThreadState::Off => {}
            }
        }
    }

    /// Painter `painter` failed or was stopped at `now_ns`: what its lanes
    /// had begun will not end, and is marked where it began.
    pub fn ended(&mut self, painter: usize) {
        for lane in self.lanes.iter_mut().filter(|lane| lane.painter == painter) {
            lane.gone = true;
            for open in lane.open.drain(..) {
                if open.doing == Doing::Paint {
                    lane.unfinished.push(open.start_s);
                }
            }
        }
    }

    /// The stretches up to `now_s` in which who held `core` is not known
    /// yet. For a core painters are pinned to: each pinned lane's painting
    /// and saving (the stretches in which its thread may hold the core;
    /// drying or idle, it sleeps, off every core) that its states have not
    /// yet covered. So a core is not drawn as nobody's where a painter's
    /// states are still on their way. Of a core no lane is pinned to, only
    /// the spans heard speak: everything after the last of them.
    #[must_use]
    pub fn unknown(&self, core: &Core, now_s: f64) -> Vec<(f64, f64)> {
        let host = |lane: &Lane| self.hosts.get(&lane.painter).map(String::as_str);
        let mut pinned =
            self.lanes.iter().filter(|l| l.core == Some(core.core) && host(l) == Some(core.host.as_str())).peekable();
        if pinned.peek().is_none() {
            return vec![(core.spans_until_s, now_s)];
        }
        pinned
            .filter(|lane| !lane.gone)
            .filter_map(|lane| {
                let busy = lane.open.iter().any(|o| o.doing != Doing::Dry);
                let until = if busy { now_s } else { lane.busy_until_s };
                (until > lane.states_until_s).then_some((lane.states_until_s, until))
            })
            .collect()
    }

    /// A lane's time in `width` columns over the span, with what it has
    /// begun drawn up to `now_s`.
    #[must_use]
    pub fn lane_columns(&self, lane: &Lane, width: usize, now_s: f64) -> Vec<Tally> {
        let mut columns = vec![Tally::default(); width];
        self.to_columns(&lane.tallies, width, |column, tally, share| column.add(tally, share), &mut columns);
        for open in &lane.open {
            let job = open.job;
            spread(&mut columns, self.span_s, open.start_s, now_s.max(open.start_s), |tally, time| match open.doing {
                Doing::Paint => {
                    tally.paint += time;
                    tally.painted(job, time);
                }
                Doing::Dry => tally.dry += time,
                Doing::Save => tally.save += time,
            });
        }
        columns
    }

    /// A core's holders in `width` columns over the span.
    #[must_use]
    pub fn core_columns(&self, core: &Core, width: usize) -> Vec<Vec<(usize, f64)>> {
        let mut columns = vec![Vec::new(); width];
        self.to_columns(
            &core.held,
            width,
            |column, held, share| {
                for &(lane, time) in held {
                    hold(column, lane, time * share);
                }
            },
            &mut columns,
        );
        columns
    }

    /// Adds each bucket to the columns it overlaps, in proportion.
    fn to_columns<B, C>(&self, buckets: &[B], width: usize, add: impl Fn(&mut C, &B, f64), columns: &mut [C]) {
        if width == 0 {
            return;
        }
        #[allow(clippy::cast_precision_loss)] // counts of columns
        let ratio = width as f64 / buckets.len() as f64;
        for (i, bucket) in buckets.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let (from, to) = (i as f64 * ratio, (i + 1) as f64 * ratio);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let first = from.floor() as usize;
            for (c, column) in columns.iter_mut().enumerate().skip(first) {
                #[allow(clippy::cast_precision_loss)]
                let overlap = (to.min((c + 1) as f64) - from.max(c as f64)).max(0.0);
                if overlap <= 0.0 {
                    break;
                }
                add(column, bucket, overlap / (to - from));
            }
        }
    }
}

/// Adds `time` held by `lane` to a bucket's holders.
fn hold(held: &mut Vec<(usize, f64)>, lane: usize, time: f64) {
    match held.iter_mut().find(|(l, _)| *l == lane) {
        Some((_, t)) => *t += time,
        None => held.push((lane, time)),
    }
}

/// Gives each of `cells` (equal slices of `span_s`) its part of the time
/// from `from_s` to `to_s`.
pub fn spread<T>(cells: &mut [T], span_s: f64, from_s: f64, to_s: f64, mut add: impl FnMut(&mut T, f64)) {
    if cells.is_empty() || span_s <= 0.0 || to_s <= from_s {
        return;
    }
    #[allow(clippy::cast_precision_loss)]
    let cell_s = span_s / cells.len() as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let first = (from_s.max(0.0) / cell_s).floor() as usize;
    for (i, cell) in cells.iter_mut().enumerate().skip(first) {
        #[allow(clippy::cast_precision_loss)]
        let (start, end) = (i as f64 * cell_s, (i + 1) as f64 * cell_s);
        if start >= to_s {
            break;
        }
        let time = to_s.min(end) - from_s.max(start);
        if time > 0.0 {
            add(cell, time);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use protocol::{Effort, Scheduler, StateSource};

    use super::*;

    pub(crate) fn hello(id: u32, cores: &[u32]) -> Hello {
        Hello {
            protocol_version: protocol::PROTOCOL_VERSION,
            pid: 100 + id,
            painter_id: id,
            cores: cores.to_vec(),
            lanes: 1,
            scheduler: Scheduler::Blocking,
            host: "here".into(),
        }
    }

    fn event(job: u32, at_ms: u64, kind: EventKind) -> Event {
        Event { job, lane: 0, coat: 0, at_ns: at_ms * 1_000_000, kind }
    }

    #[test]
    fn a_finished_painting_is_counted_once_and_kept_through_a_rescale() {
        let mut timeline = Timeline::default();
        timeline.joined(0, "painter-0@0", &hello(0, &[0]));
        timeline.handed(0);
        timeline.event(0, &event(1, 0, EventKind::PaintStarted));
        timeline.event(0, &event(1, 300, EventKind::PaintFinished(Effort::default())));
        let paint = |t: &Timeline| t.lanes[0].tallies.iter().map(|b| b.paint).sum::<f64>();
        assert!((paint(&timeline) - 0.3).abs() < 1e-9);
        // Past the right edge: the span doubles twice, the time stays.
        timeline.event(0, &event(2, 2_000, EventKind::DryStarted(protocol::DryKind::File)));
        timeline.event(0, &event(2, 3_500, EventKind::DryFinished(protocol::DryKind::File)));
        assert!((timeline.span_s() - 4.0).abs() < 1e-9);
        assert!((paint(&timeline) - 0.3).abs() < 1e-9);
        let columns = timeline.lane_columns(&timeline.lanes[0], 8, 3.5);
        // 0.3 s of painting in the first half-second column, drying from
        // 2 s to 3.5 s.
        assert!((columns[0].paint - 0.3).abs() < 1e-9, "{columns:?}");
        assert_eq!(columns[0].painting.map(|(n, _)| n), Some(1));
        assert!((columns[4].dry - 0.5).abs() < 1e-9 && (columns[6].dry - 0.5).abs() < 1e-9, "{columns:?}");
        assert!(columns[7].dry.abs() < 1e-9);
    }

    #[test]
    fn states_fill_the_lane_and_its_core() {
        let mut timeline = Timeline::default();
        timeline.joined(0, "painter-0@0", &hello(0, &[0]));
        timeline.handed(1_000_000_000);
        let span = |state, from_ms: u64, to_ms: u64| StateSpan {
            state,
            start_ns: 1_000_000_000 + from_ms * 1_000_000,
            end_ns: 1_000_000_000 + to_ms * 1_000_000,
            core: 0,
        };
        let states = States {
            lane: 0,
            source: StateSource::SwitchEvents,
            resolution_ns: 1,
            spans: vec![span(ThreadState::Running, 0, 100), span(ThreadState::Waiting, 100, 300)],
        };
        timeline.states(0, &states, 2_000_000_000);
        // Columns of 0.1 s from buckets of 1/512 s: a bucket's time may
        // fall on either side of a column's edge.
        let near = |a: f64, b: f64| (a - b).abs() <= 1.0 / 512.0;
        let columns = timeline.lane_columns(&timeline.lanes[0], 10, 1.0);
        assert!(near(columns[0].run, 0.1) && near(columns[1].wait, 0.1) && near(columns[2].wait, 0.1), "{columns:?}");
        assert!(columns[4].run + columns[4].wait == 0.0, "{columns:?}");
        let core = timeline.core_columns(&timeline.cores[0], 10);
        assert_eq!(core[0].len(), 1);
        assert!(near(core[0][0].1, 0.1) && near(core[1].iter().map(|h| h.1).sum(), 0.0), "{core:?}");
        // No painting heard of: the painter's thread held no core after 0.3 s.
        assert_eq!(timeline.unknown(&timeline.cores[0], 1.0), []);
        // Painting since 0.2 s: not known after where its states have come.
        timeline.event(0, &Event { job: 1, lane: 0, coat: 0, at_ns: 1_200_000_000, kind: EventKind::PaintStarted });
        assert_eq!(timeline.unknown(&timeline.cores[0], 1.0), [(0.3, 1.0)]);
        timeline.event(
            0,
            &Event {
                job: 1,
                lane: 0,
                coat: 0,
                at_ns: 1_500_000_000,
                kind: EventKind::PaintFinished(Effort::default()),
            },
        );
        // Painted until 0.5 s, then dried: only that stretch is unknown.
        assert_eq!(timeline.unknown(&timeline.cores[0], 1.0), [(0.3, 0.5)]);
    }
}
