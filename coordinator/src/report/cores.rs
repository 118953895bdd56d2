//! Who held each core: a lane per core, worked out once from the painters'
//! thread states and drawn by every renderer beside the painters' lanes.
//!
//! A painter's thread that *ran* on core C held it. While one *waited* for
//! C and no painter ran there, something that is not a painter held it:
//! another program, named after the one the `/proc` census saw busiest on
//! that core over the run (or the coordinator, or a kernel thread, when the
//! census saw none: then it has no name). Where no painter ran or waited,
//! the core was free to the painters: `idle` — unless the census says one
//! other program used at least [`HELD_ALL`] of the core's time that no
//! painter used, in which case it held the core then too.

use std::collections::{BTreeMap, HashMap};

use protocol::ThreadState;
use serde::Serialize;

use crate::model::schedule::SegmentKind;
use crate::os::sampler::Other;
use crate::report::lanes::{Lanes, State};

/// The share of a core's time no painter used that another program must
/// have used (by the census) for the idle stretches to be given to it.
pub const HELD_ALL: f64 = 0.9;

/// Who held a core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// A painter's thread.
    Painter,
    /// Something that is not a painter.
    Other,
    /// Nobody the painters could see.
    Idle,
}

/// A stretch of time one holder had a core.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoreSpan {
    /// From, in seconds from the run's start.
    pub start_s: f64,
    /// Until.
    pub end_s: f64,
    /// Who held it.
    pub who: Who,
    /// Its process id: the painter's, or the other program's; `null` when idle
    /// or not known.
    pub pid: Option<u32>,
    /// `painter-K` (a painter), the other program's command name, or `null`.
    pub name: Option<String>,
    /// For a painter: which of its threads.
    pub thread: Option<u32>,
    /// For a painter: the painting it was painting then, if any.
    pub painting: Option<u32>,
    /// For a painter: its index among the run's painters (not in JSON).
    #[serde(skip)]
    pub painter: Option<usize>,
}

impl CoreSpan {
    /// How long it lasted.
    #[must_use]
    pub fn length_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    /// Who, in words: `painter-0`, `another program (sh, pid 42)`, `idle`,
    /// or, where the census saw no other program busy on that core, `the
    /// coordinator or another program` (the coordinator, a kernel thread,
    /// or one too brief to count).
    #[must_use]
    pub fn holder(&self) -> String {
        match (self.who, &self.name, self.pid) {
            (Who::Painter, Some(name), _) => name.clone(),
            (Who::Other, Some(name), Some(pid)) => other_program(name, pid),
            (Who::Idle, ..) => "idle".to_owned(),
            _ => "the coordinator or another program".to_owned(),
        }
    }
}

/// Another program than this run's, by its name and pid: atelier's own
/// programs by what they are. Every run's painters are named `painter-K`,
/// and its coordinator `coordinator`; this run's are never counted as
/// other programs, so one of that name belongs to another atelier run.
#[must_use]
pub fn other_program(name: &str, pid: u32) -> String {
    if name.starts_with("painter-") {
        format!("a painter of another atelier run ({name}, pid {pid})")
    } else if name == "coordinator" {
        format!("the coordinator of another atelier run (pid {pid})")
    } else {
        format!("another program ({name}, pid {pid})")
    }
}

/// One core the run used, and who held it over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoreLane {
    /// The core, as its machine numbers it.
    pub core: u32,
    /// The machine, as it names itself.
    pub host: String,
    /// Whether that is another machine than the coordinator's.
    #[serde(skip)]
    pub remote: bool,
    /// Who held it, in order, from the run's start to its end, without gaps.
    pub spans: Vec<CoreSpan>,
}

impl CoreLane {
    /// `core 1`, or `h2/core 1` on another host.
    #[must_use]
    pub fn label(&self) -> String {
        if self.remote { format!("{}/core {}", self.host, self.core) } else { format!("core {}", self.core) }
    }

    /// Each holder's share of the lane's time, largest first (idle last),
    /// as `(holder in words, seconds)`.
    #[must_use]
    pub fn shares(&self) -> Vec<(String, f64)> {
        let mut shares: Vec<(String, f64)> = Vec::new();
        for span in &self.spans {
            let holder = span.holder();
            match shares.iter_mut().find(|(h, _)| *h == holder) {
                Some(share) => share.1 += span.length_s(),
                None => shares.push((holder, span.length_s())),
            }
        }
        // To the microsecond, so that equal shares keep the order they came in.
        let micros = |s: f64| (s * 1e6).round();
        shares.sort_by(|a, b| (a.0 == "idle").cmp(&(b.0 == "idle")).then(micros(b.1).total_cmp(&micros(a.1))));
        shares
    }

    /// The share line: `core 0: painter-0 33%, painter-1 33%, idle 1%`.
    #[must_use]
    pub fn share_line(&self) -> String {
        let total: f64 = self.spans.iter().map(CoreSpan::length_s).sum();
        let parts: Vec<String> = self
            .shares()
            .iter()
            .map(|(holder, s)| format!("{holder} {:.0}%", if total > 0.0 { s / total * 100.0 } else { 0.0 }))
            .collect();
        format!("{}: {}", self.label(), parts.join(", "))
    }
}

/// A painter as the cores need it.
#[derive(Debug, Clone)]
pub struct Holder {
    /// `painter-K`.
    pub name: String,
    /// Its pid.
    pub pid: u32,
    /// Its machine.
    pub host: String,
    /// Whether that is another than the coordinator's.
    pub remote: bool,
}

/// A stretch a lane painted: from, until, which painting.
type Painted = (f64, f64, u32);

/// The run's cores, from `lanes`' states between 0 and `end_s`: each core a
/// painter ran or waited on, and each it was pinned to.
#[must_use]
pub fn build(lanes: &Lanes, painters: &[Holder], others: &[Other], end_s: f64) -> Vec<CoreLane> {
    // Per (host, core): its states, by lane.
    let mut keyed: BTreeMap<(bool, String, u32), Vec<&State>> = BTreeMap::new();
    for lane in lanes.iter() {
        let Some(painter) = painters.get(lane.painter) else { continue };
        if let Some(core) = lane.core {
            keyed.entry((painter.remote, painter.host.clone(), core)).or_default();
        }
    }
    for state in lanes.states() {
        let Some(painter) = painters.get(state.painter) else { continue };
        if state.state != ThreadState::Off && state.start_s < end_s && state.end_s > 0.0 {
            keyed.entry((painter.remote, painter.host.clone(), state.core)).or_default().push(state);
        }
    }
    if !lanes.has_states() {
        return Vec::new();
    }
    // The painting each lane painted when: its paint segments, in order.
    let mut paints: HashMap<(usize, u32), Vec<Painted>> = HashMap::new();
    for s in lanes.segments().iter().filter(|s| s.kind == SegmentKind::Paint) {
        paints.entry((s.painter, s.lane)).or_default().push((s.start_s, s.end_s, s.painting));
    }
    for list in paints.values_mut() {
        list.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let painting_at = |painter: usize, thread: u32, t: f64| {
        let list = paints.get(&(painter, thread))?;
        let next = list.partition_point(|p| p.1 <= t);
        list.get(next).filter(|p| p.0 <= t).map(|p| p.2)
    };
    keyed
        .into_iter()
        .map(|((remote, host, core), states)| {
            let other = if remote { None } else { others.iter().find(|o| o.core == core) };
            let spans = sweep(&states, end_s, painters, other, &painting_at);
            CoreLane { core, host, remote, spans }
        })
        .collect()
}

/// Who held one core, stretch by stretch, from its states.
fn sweep(
    states: &[&State],
    end_s: f64,
    painters: &[Holder],
    other: Option<&Other>,
    painting_at: &dyn Fn(usize, u32, f64) -> Option<u32>,
) -> Vec<CoreSpan> {
    // Every moment something began or ended: ends before starts at one moment.
    let mut moments: Vec<(f64, bool, usize)> = Vec::with_capacity(states.len() * 2);
    for (i, s) in states.iter().enumerate() {
        moments.push((s.start_s.max(0.0), true, i));
        moments.push((s.end_s.min(end_s), false, i));
    }
    moments.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut running: Vec<usize> = Vec::new();
    let mut waiting = 0usize;
    let mut spans: Vec<CoreSpan> = Vec::new();
    let mut at = 0.0;
    let push = |spans: &mut Vec<CoreSpan>, from: f64, to: f64, running: &[usize], waiting: usize| {
        if to <= from {
            return;
        }
        let span = if let Some(&i) = running.first() {
            let s = states[i];
            let painter = &painters[s.painter];
            CoreSpan {
                start_s: from,
                end_s: to,
                who: Who::Painter,
                pid: Some(painter.pid),
                name: Some(painter.name.clone()),
                thread: Some(s.thread),
                painting: painting_at(s.painter, s.thread, (from + to) / 2.0),
                painter: Some(s.painter),
            }
        } else if waiting > 0 {
            CoreSpan {
                start_s: from,
                end_s: to,
                who: Who::Other,
                pid: other.map(|o| o.pid),
                name: other.map(|o| o.name.clone()),
                thread: None,
                painting: None,
                painter: None,
            }
        } else {
            CoreSpan {
                start_s: from,
                end_s: to,
                who: Who::Idle,
                pid: None,
                name: None,
                thread: None,
                painting: None,
                painter: None,
            }
        };
        match spans.last_mut() {
            Some(last)
                if last.who == span.who
                    && last.painter == span.painter
                    && last.thread == span.thread
                    && last.painting == span.painting =>
            {
                last.end_s = span.end_s;
            }
            _ => spans.push(span),
        }
    };
    for (t, starts, i) in moments {
        let t = t.clamp(0.0, end_s);
        push(&mut spans, at, t, &running, waiting);
        at = at.max(t);
        let state = states[i].state;
        match (starts, state) {
            (true, ThreadState::Running) => running.push(i),
            (false, ThreadState::Running) => running.retain(|&r| r != i),
            (true, _) => waiting += 1,
            (false, _) => waiting = waiting.saturating_sub(1),
        }
    }
    push(&mut spans, at, end_s, &running, waiting);
    if let Some(other) = other {
        give_idle_to(&mut spans, other);
    }
    spans
}

/// Gives the idle stretches to `other` when the census says it used at
/// least [`HELD_ALL`] of the core's time that no painter used: it must then
/// have held the core in them.
fn give_idle_to(spans: &mut Vec<CoreSpan>, other: &Other) {
    let free: f64 = spans.iter().filter(|s| s.who != Who::Painter).map(CoreSpan::length_s).sum();
    if free <= 0.0 || other.cpu_s < HELD_ALL * free {
        return;
    }
    let mut merged: Vec<CoreSpan> = Vec::with_capacity(spans.len());
    for mut span in spans.drain(..) {
        if span.who == Who::Idle {
            span.who = Who::Other;
            span.pid = Some(other.pid);
            span.name = Some(other.name.clone());
        }
        match merged.last_mut() {
            Some(last) if last.who == Who::Other && span.who == Who::Other => last.end_s = span.end_s,
            _ => merged.push(span),
        }
    }
    *spans = merged;
}

/// Who held a core, as a picture tells holders apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Held {
    /// A painter's thread, painting `painting` (or between paintings).
    #[allow(missing_docs)]
    Painter { painter: usize, thread: u32, painting: Option<u32> },
    /// Something that is not a painter.
    Other,
    /// Nobody.
    Idle,
}

impl Held {
    /// Who held the core in `span`.
    #[must_use]
    pub fn of(span: &CoreSpan) -> Self {
        match span.who {
            Who::Painter => Self::Painter {
                painter: span.painter.unwrap_or(usize::MAX),
                thread: span.thread.unwrap_or(0),
                painting: span.painting,
            },
            Who::Other => Self::Other,
            Who::Idle => Self::Idle,
        }
    }

    /// The same holder, whatever it was painting: a painter's thread
    /// holds a core as one, painting after painting.
    #[must_use]
    pub fn thread_only(self) -> Self {
        match self {
            Self::Painter { painter, thread, .. } => Self::Painter { painter, thread, painting: None },
            other => other,
        }
    }
}

/// Who held a core in each of `width` columns from 0 to `span_s`, for a
/// picture: where several held it within one column, each gets columns in
/// proportion to its time (a column goes to whoever has most credit, and
/// pays a column for it), so that turns shorter than a column still show as
/// turns, and as many as they were long. A painter's thread is one holder
/// whatever it painted (a column of a hundred tiny paintings is its time,
/// not a hundred small shares of it); a column it gets shows the painting
/// it spent most of that column on. `None` where `spans` say nothing.
#[must_use]
pub fn columns(spans: &[CoreSpan], span_s: f64, width: usize) -> Vec<Option<Held>> {
    #[allow(clippy::cast_precision_loss)]
    let column_s = span_s / width.max(1) as f64;
    let mut row = vec![None; width];
    let mut credit: HashMap<Held, f64> = HashMap::new();
    let mut next = 0;
    for (col, cell) in row.iter_mut().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let (from, to) = (col as f64 * column_s, (col + 1) as f64 * column_s);
        while next < spans.len() && spans[next].end_s <= from {
            next += 1;
        }
        // Per holder (a thread without its painting): its time here, and
        // the painting it spent most of that time on.
        let mut here: Vec<(Held, f64, Held, f64)> = Vec::new();
        for span in spans[next..].iter().take_while(|s| s.start_s < to) {
            let held = Held::of(span);
            let time = (span.end_s.min(to) - span.start_s.max(from)).max(0.0);
            match here.iter_mut().find(|(h, ..)| *h == held.thread_only()) {
                Some(entry) => {
                    entry.1 += time;
                    if time > entry.3 {
                        (entry.2, entry.3) = (held, time);
                    }
                }
                None => here.push((held.thread_only(), time, held, time)),
            }
        }
        let covered: f64 = here.iter().map(|(_, t, ..)| t).sum();
        if covered <= 0.0 {
            continue;
        }
        // Credit is kept only while its holder is there, and nobody (idle)
        // keeps none: turns are shared out fairly, but a painter's last
        // sliver of one painting, or the idle part of the column where it
        // ended, does not buy a column at the next one's edge. So a block
        // begins and ends on its core's row where the majority of its edge
        // column says, as it does on its lane.
        credit.retain(|holder, _| *holder != Held::Idle && here.iter().any(|(h, ..)| h == holder));
        // The whole column goes to whoever has the most credit among those
        // present, which then pays a column for it.
        for (holder, time, ..) in &here {
            *credit.entry(*holder).or_default() += time / covered;
        }
        // A tie goes to a painter, then another program, before nobody.
        let rank = |held: &Held| match held {
            Held::Painter { .. } => 2,
            Held::Other => 1,
            Held::Idle => 0,
        };
        // Credits a rounding error apart are a tie.
        let more = |a: f64, b: f64| if (a - b).abs() < 1e-9 { std::cmp::Ordering::Equal } else { a.total_cmp(&b) };
        let best = here.iter().max_by(|a, b| more(credit[&a.0], credit[&b.0]).then(rank(&a.0).cmp(&rank(&b.0))));
        if let Some(&(holder, _, shown, _)) = best {
            *credit.entry(holder).or_default() -= 1.0;
            *cell = Some(shown);
        }
    }
    row
}

/// What a lane's thread did in each of `width` columns from 0 to `span_s`,
/// as its core rows (`held`, from [`columns`], one per core of `cores`)
/// tell it, so that lane and rows agree column by column:
///
/// - [`On::Ran`] where a row gives a core to its thread — and where its
///   states tell nothing of the column (as before states were measured);
/// - [`On::Waited`] where it waited for a core whose row, there, gives the
///   core to another painter or program;
/// - [`On::Off`] elsewhere: its core's row says nobody held it, or gives it
///   to another while this thread did not wait (it was off its core, as
///   between tiny paintings, or its share of the column was too small).
///
/// A column is tens of milliseconds and a turn a few: where turns are
/// shorter than a column, a column goes to one holder, in proportion over
/// the row ([`columns`]), and so does the lane.
#[must_use]
#[allow(clippy::too_many_arguments)]
pub fn lane_on(
    held: &[Vec<Option<Held>>],
    cores: &[CoreLane],
    painter: usize,
    thread: u32,
    remote: bool,
    states: &[State],
    span_s: f64,
    width: usize,
) -> Vec<On> {
    #[allow(clippy::cast_precision_loss)]
    let column_s = span_s / width.max(1) as f64;
    let at = |row: &Vec<Option<Held>>, col: usize| row.get(col).copied().flatten();
    (0..width)
        .map(|col| {
            let given = held.iter().any(|row| {
                matches!(at(row, col), Some(Held::Painter { painter: p, thread: t, .. }) if p == painter && t == thread)
            });
            #[allow(clippy::cast_precision_loss)]
            let (from, to) = (col as f64 * column_s, (col + 1) as f64 * column_s);
            if given || !crate::report::lanes::spent(states, from, to).told() {
                return On::Ran;
            }
            // Whether a core it waited on here is given, in its row, to
            // another painter or program.
            let first = states.partition_point(|s| s.end_s <= from);
            let taken =
                states[first..].iter().take_while(|s| s.start_s < to).filter(|s| s.state == ThreadState::Waiting).any(
                    |s| {
                        cores.iter().zip(held).any(|(core, row)| {
                            core.core == s.core
                                && core.remote == remote
                                && matches!(at(row, col), Some(Held::Painter { .. } | Held::Other))
                        })
                    },
                );
            if taken { On::Waited } else { On::Off }
        })
        .collect()
}

/// What a painting's thread did in a column (or strip) of its block, as
/// the core rows tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// It had the core (or nothing says otherwise): solid.
    Ran,
    /// It waited for a core: shaded.
    Waited,
    /// Neither: its core went to nobody or to another, and it did not wait
    /// for one. A block of paintings too short to see (a column of tiny
    /// ones, whose thread mostly sat waiting for the next) is blank there,
    /// as its core row is.
    Off,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schedule::Segment;
    use crate::report::lanes::Painter;

    fn state(painter: usize, state: ThreadState, start_s: f64, end_s: f64, core: u32) -> State {
        State { painter, state, start_s, end_s, core, thread: 0 }
    }

    fn holders(n: usize) -> Vec<Holder> {
        (0..n)
            .map(|i| Holder { name: format!("painter-{i}"), pid: 100 + i as u32, host: "vm".into(), remote: false })
            .collect()
    }

    fn paint(painter: usize, painting: u32, start_s: f64, end_s: f64) -> Segment {
        Segment { painter, lane: 0, painting, coat: 0, kind: SegmentKind::Paint, start_s, end_s }
    }

    /// Three painters on core 0 taking turns in 0.1 s slices over 0.9 s.
    fn three_on_one_core() -> Lanes {
        let cores = [0u32];
        let painters = (0..3).map(|id| Painter { id, lanes: 1, cores: &cores, host: None, threads: false });
        let segments = (0..3).map(|p| paint(p, p as u32 + 1, 0.0, 0.9)).collect();
        let mut states = Vec::new();
        for slice in 0..9u32 {
            let t = f64::from(slice) * 0.1;
            for p in 0..3usize {
                let kind = if slice as usize % 3 == p { ThreadState::Running } else { ThreadState::Waiting };
                states.push(state(p, kind, t, f64::from(slice + 1) * 0.1, 0));
            }
        }
        Lanes::new(painters, segments).with_states(states)
    }

    #[test]
    fn painters_on_one_core_take_turns_on_it() {
        let lanes = three_on_one_core();
        let cores = build(&lanes, &holders(3), &[], 1.0);
        assert_eq!(cores.len(), 1);
        let core = &cores[0];
        assert_eq!(core.label(), "core 0");
        assert_eq!(core.spans.len(), 10, "nine turns, then idle: {:?}", core.spans);
        let names: Vec<String> = core.spans.iter().map(CoreSpan::holder).collect();
        assert_eq!(names[..4], ["painter-0", "painter-1", "painter-2", "painter-0"]);
        assert_eq!(core.spans[1].painting, Some(2));
        assert_eq!(core.spans[9].who, Who::Idle);
        assert!((core.spans[9].length_s() - 0.1).abs() < 1e-9);
        assert_eq!(core.share_line(), "core 0: painter-0 30%, painter-1 30%, painter-2 30%, idle 10%");
        let lane = &lanes.of_painter(1)[0];
        let running = crate::report::lanes::spent(lanes.states_of(lane), 0.0, 0.9).running_s;
        let waiting = crate::report::lanes::spent(lanes.states_of(lane), 0.0, 0.45).waiting_s;
        assert!((running - 0.3).abs() < 1e-9 && (waiting - 0.3).abs() < 1e-9, "{running} {waiting}");
    }

    #[test]
    fn a_wait_no_painter_caused_is_another_programs_named_from_the_census() {
        let cores = [1u32];
        let painters = [Painter { id: 0, lanes: 1, cores: &cores, host: None, threads: false }];
        let states = vec![
            state(0, ThreadState::Running, 0.0, 0.2, 1),
            state(0, ThreadState::Waiting, 0.2, 0.5, 1),
            state(0, ThreadState::Running, 0.5, 0.6, 1),
        ];
        let lanes = Lanes::new(painters, vec![paint(0, 1, 0.0, 0.6)]).with_states(states);
        let sh = Other { core: 1, name: "sh".into(), pid: 77, cpu_s: 0.1 };
        let cores = build(&lanes, &holders(1), std::slice::from_ref(&sh), 1.0);
        let spans = &cores[0].spans;
        assert_eq!(
            spans.iter().map(|s| s.who).collect::<Vec<_>>(),
            [Who::Painter, Who::Other, Who::Painter, Who::Idle]
        );
        assert_eq!(spans[1].holder(), "another program (sh, pid 77)");
        // atelier's own programs of another run are named as what they are.
        assert_eq!(other_program("coordinator", 9), "the coordinator of another atelier run (pid 9)");
        assert_eq!(other_program("painter-1", 8), "a painter of another atelier run (painter-1, pid 8)");
        // Had the loop used nearly all the time the painter did not, the
        // idle end is its too.
        let busy = Other { cpu_s: 0.65, ..sh };
        let cores = build(&lanes, &holders(1), &[busy], 1.0);
        let whos: Vec<Who> = cores[0].spans.iter().map(|s| s.who).collect();
        assert_eq!(whos, [Who::Painter, Who::Other, Who::Painter, Who::Other]);
        // Without states there is nothing to say of the cores.
        let bare = Lanes::new(painters, vec![paint(0, 1, 0.0, 0.6)]);
        assert!(build(&bare, &holders(1), &[], 1.0).is_empty());
    }
}
