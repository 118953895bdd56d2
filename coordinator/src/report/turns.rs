//! The turns painters sharing a core would take, as the plan predicts them.
//!
//! The model (`model/schedule.rs`) lets k lanes painting on one core each
//! go at 1/k of its speed. No core does that: the kernel gives it to one
//! thread at a time, for a slice of a few milliseconds, round the threads
//! that are ready. So that the plan reads like the run it predicts, its
//! lanes get the states such turns would give them — running in its turn,
//! waiting for the core in the others' — and its core rows say whose turn
//! it is, drawn by the same code as the states a run measures.
//!
//! Only pinned lanes have a core to share in the plan: where the kernel
//! places an unpinned one is its own choice, so such a lane has no states
//! and is drawn solid.

use std::collections::{BTreeMap, HashMap};

use protocol::ThreadState;

use crate::model::schedule::SegmentKind;
use crate::report::lanes::{Lanes, State};

/// A turn on a shared core: about what the kernel gives each of a few
/// threads that all want the whole core (Linux's EEVDF scheduler gives each
/// a base slice of 3 ms, `kernel.sched_base_slice_ns`; the older CFS, a few
/// ms too). Far shorter than a column of any timeline, it only sets how
/// the turns interleave; each painter's share is 1/k either way.
pub const TURN_S: f64 = 0.004;

/// The most turns predicted on one core: a long plan's turns are made
/// longer instead (each still far shorter than a column).
const MOST_TURNS: f64 = 20_000.0;

/// A lane's block of painting: its painter's index, its thread, and which
/// block it is on its core.
type Who = (usize, u32, usize);

/// The states of every pinned lane of `lanes` (the plan's): running
/// whenever it paints alone on its core; where several paint on one core,
/// running in its turn and waiting in the others', turn by turn, round the
/// lanes in order.
#[must_use]
pub fn predicted(lanes: &Lanes) -> Vec<State> {
    // Per core: each pinned lane's painting, as (from, until, who), each
    // block its own, so that a state never runs from one painting into the
    // next (the core row names the painting of each).
    let mut by_core: BTreeMap<u32, Vec<(f64, f64, Who)>> = BTreeMap::new();
    for lane in lanes.iter() {
        let Some(core) = lane.core else { continue };
        let paints = lanes.segments_of(lane).filter(|s| s.kind == SegmentKind::Paint && s.end_s > s.start_s);
        let blocks = by_core.entry(core).or_default();
        for s in paints {
            blocks.push((s.start_s, s.end_s, (lane.painter, lane.thread, blocks.len())));
        }
    }
    let mut states = Vec::new();
    for (core, paints) in by_core {
        states.extend(on_core(core, &paints));
    }
    states
}

/// The turns on one core, from what each lane painted there.
fn on_core(core: u32, paints: &[(f64, f64, Who)]) -> Vec<State> {
    // Every moment a lane starts or stops painting: stops first.
    let mut moments: Vec<(f64, bool, Who)> = Vec::with_capacity(paints.len() * 2);
    for &(from, until, who) in paints {
        moments.push((from, true, who));
        moments.push((until, false, who));
    }
    moments.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let turn = TURN_S.max(shared_s(&moments) / MOST_TURNS);
    let mut painting: Vec<Who> = Vec::new();
    let mut states: Vec<State> = Vec::new();
    let mut last: HashMap<usize, usize> = HashMap::new();
    let mut next = 0usize;
    let mut at = 0.0;
    for (t, starts, who) in moments {
        let mut from = at;
        while from < t {
            match painting.as_slice() {
                [] => from = t,
                [alone] => {
                    push(&mut states, &mut last, *alone, ThreadState::Running, (from, t), core);
                    from = t;
                }
                several => {
                    let until = (from + turn).min(t);
                    let holder = several[next % several.len()];
                    for &other in several {
                        let state = if other == holder { ThreadState::Running } else { ThreadState::Waiting };
                        push(&mut states, &mut last, other, state, (from, until), core);
                    }
                    // The next turn goes to the next lane, unless this one
                    // was cut short by a lane starting or stopping.
                    if until - from >= turn * 0.999 {
                        next += 1;
                    }
                    from = until;
                }
            }
        }
        at = at.max(t);
        if starts {
            painting.push(who);
            painting.sort_unstable();
        } else if let Some(i) = painting.iter().position(|&w| w == who) {
            painting.remove(i);
        }
    }
    states
}

/// How long, in all, two or more lanes painted at once.
fn shared_s(moments: &[(f64, bool, Who)]) -> f64 {
    let (mut painting, mut at, mut shared) = (0usize, 0.0, 0.0);
    for &(t, starts, _) in moments {
        if painting >= 2 {
            shared += t - at;
        }
        at = t;
        painting = if starts { painting + 1 } else { painting.saturating_sub(1) };
    }
    shared
}

/// Adds a state of block `who`, joined to its last one (at `last[block]`
/// in `states`) where it goes on.
fn push(
    states: &mut Vec<State>,
    last: &mut HashMap<usize, usize>,
    who: Who,
    state: ThreadState,
    (start_s, end_s): (f64, f64),
    core: u32,
) {
    if end_s <= start_s {
        return;
    }
    if let Some(before) = last.get(&who.2).and_then(|&at| states.get_mut(at))
        && before.state == state
        && (before.end_s - start_s).abs() < 1e-12
    {
        before.end_s = end_s;
        return;
    }
    last.insert(who.2, states.len());
    states.push(State { painter: who.0, state, start_s, end_s, core, thread: who.1 });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schedule::Segment;
    use crate::report::lanes::{Painter, spent};

    fn paint(painter: usize, start_s: f64, end_s: f64) -> Segment {
        let painting = u32::try_from(painter).unwrap_or(0) + 1;
        Segment { painter, lane: 0, painting, coat: 0, kind: SegmentKind::Paint, start_s, end_s }
    }

    fn lanes(cores: &[u32], segments: Vec<Segment>) -> Lanes {
        let pinned: Vec<[u32; 1]> = cores.iter().map(|&c| [c]).collect();
        let painters = pinned.iter().enumerate().map(|(id, core)| Painter {
            id: u32::try_from(id).unwrap_or(0),
            lanes: 1,
            cores: core,
            host: None,
            threads: false,
        });
        Lanes::new(painters, segments)
    }

    #[test]
    fn three_painters_on_one_core_take_turns_each_running_a_third_of_the_time() {
        let lanes = lanes(&[0, 0, 0], (0..3).map(|p| paint(p, 0.0, 1.2)).collect());
        let lanes = lanes.clone().with_states(predicted(&lanes));
        for lane in lanes.iter() {
            let spent = spent(lanes.states_of(lane), 0.0, 1.2);
            assert!((spent.running_s - 0.4).abs() < 0.005, "{spent:?}");
            assert!((spent.waiting_s - 0.8).abs() < 0.005, "{spent:?}");
        }
        // At any moment, one runs.
        for i in 0..1200 {
            let t = f64::from(i) * 0.001 + 0.0005;
            let running = lanes
                .states()
                .iter()
                .filter(|s| s.state == ThreadState::Running && s.overlap_s(t, t + 1e-6) > 0.0)
                .count();
            assert_eq!(running, 1, "at {t}");
        }
    }

    #[test]
    fn a_painter_alone_on_its_core_runs_throughout_and_an_unpinned_one_has_no_turns() {
        let lanes = lanes(&[0, 1], vec![paint(0, 0.0, 0.4), paint(1, 0.1, 0.5)]);
        let states = predicted(&lanes);
        assert_eq!(states.len(), 2, "{states:?}");
        assert!(states.iter().all(|s| s.state == ThreadState::Running));
        let painters = [Painter { id: 0, lanes: 1, cores: &[], host: None, threads: false }];
        let unpinned = Lanes::new(painters, vec![paint(0, 0.0, 0.4)]);
        assert!(predicted(&unpinned).is_empty());
    }

    #[test]
    fn turns_begin_and_end_where_the_sharing_does() {
        // Painter 0 paints 0–1 s, painter 1 joins it on core 0 from 0.5 s.
        let lanes = lanes(&[0, 0], vec![paint(0, 0.0, 1.0), paint(1, 0.5, 1.5)]);
        let lanes = lanes.clone().with_states(predicted(&lanes));
        let first = &lanes.of_painter(0)[0];
        let alone = spent(lanes.states_of(first), 0.0, 0.5);
        assert!((alone.running_s - 0.5).abs() < 1e-9, "{alone:?}");
        let shared = spent(lanes.states_of(first), 0.5, 1.0);
        assert!((shared.running_s - 0.25).abs() < 0.005 && (shared.waiting_s - 0.25).abs() < 0.005, "{shared:?}");
        let second = &lanes.of_painter(1)[0];
        let after = spent(lanes.states_of(second), 1.0, 1.5);
        assert!((after.running_s - 0.5).abs() < 1e-9, "{after:?}");
    }

    #[test]
    fn a_long_plan_makes_its_turns_longer_rather_than_more() {
        let lanes = lanes(&[0, 0], vec![paint(0, 0.0, 3600.0), paint(1, 0.0, 3600.0)]);
        let states = predicted(&lanes);
        assert!(states.len() <= 2 * 20_001, "{} states", states.len());
        let running: f64 = states.iter().filter(|s| s.state == ThreadState::Running).map(|s| s.end_s - s.start_s).sum();
        assert!((running - 3600.0).abs() < 1e-6, "{running}");
    }
}
