//! Every painter's wait for a core, in words: from the threads' states and
//! the cores' lanes, who waited, for which core, and who held it meanwhile
//! — a sibling painter (they took turns) or another program, by name.
//!
//! Told largest first, one per thread and core (a `threads` painter's
//! threads each on their own), the one that painted the run's last
//! painting marked: its waits while painting held up the end.

use std::collections::BTreeMap;

use protocol::ThreadState;

use crate::model::schedule::SegmentKind;
use crate::report::RunReport;
use crate::report::cores::Who;
use crate::term::format::fine;

/// Waits shorter than this are not told.
const SHORTEST_S: f64 = 0.001;

/// One lane's wait for one core.
#[derive(Debug, Clone, PartialEq)]
struct Wait {
    /// Who waited: `painter-0`, `thread-1`, `h2/painter-3`.
    who: String,
    core: u32,
    /// Whether its painter is on another host (its core named with it).
    host: Option<String>,
    waited_s: f64,
    /// Who held the core meanwhile, and how long: siblings first.
    holders: BTreeMap<(bool, String), f64>,
    /// Whether this lane painted the run's last painting.
    last: bool,
}

/// The sentence, or nothing when no painter sent its states or none waited.
#[must_use]
pub fn sentence(run: &RunReport) -> String {
    let waits = waits(run);
    if waits.is_empty() {
        return String::new();
    }
    // How the last painting's waits show in the gap's sentence: beyond the
    // prediction, expected by it (painters sharing cores take turns in the
    // model too), or too little to stand out.
    let end = if run.gap.contention_s.abs() >= crate::report::gap::floor(run.wall_s) {
        " (it painted the last painting: its waits while painting held up the end)"
    } else if run.lanes > run.core_count {
        " (it painted the last painting: its waits while painting held up the end, as the prediction expects of painters sharing cores)"
    } else {
        " (it painted the last painting: its waits while painting were part of the end, too little to stand out)"
    };
    let told: Vec<String> = waits.iter().map(|wait| say(wait, end)).collect();
    format!(" Waits for a core, largest first: {}.", told.join("; "))
}

fn say(wait: &Wait, end: &str) -> String {
    let core = match &wait.host {
        Some(host) => format!("core {} of {host}", wait.core),
        None => format!("core {}", wait.core),
    };
    let mut siblings = Vec::new();
    let mut others = Vec::new();
    for ((sibling, name), held_s) in &wait.holders {
        if *held_s < SHORTEST_S {
            continue;
        }
        if *sibling {
            siblings.push(name.clone())
        } else {
            others.push(format!("{name} held it for {}", fine(*held_s)))
        }
    }
    let mut held = String::new();
    if !siblings.is_empty() {
        held += &format!(", taking turns on it with {}", listed(&siblings));
    }
    if !others.is_empty() {
        held += &format!(", while {}", listed(&others));
    }
    let last = if wait.last { end } else { "" };
    format!("{} waited {} for {core}{held}{last}", wait.who, fine(wait.waited_s))
}

/// Every thread's time waiting for a core, in all, as its states say:
/// what the waits told one by one add up to, and the short ones too.
#[must_use]
pub fn total_s(run: &RunReport) -> f64 {
    let timeline = &run.timeline;
    timeline
        .iter()
        .flat_map(|lane| timeline.states_of(lane).iter().filter(|s| s.state == ThreadState::Waiting))
        .map(|s| s.end_s - s.start_s)
        .sum()
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn waits(run: &RunReport) -> Vec<Wait> {
    let timeline = &run.timeline;
    // The lane that ended the run: the one whose painting ended last.
    let last = timeline
        .segments()
        .iter()
        .filter(|s| matches!(s.kind, SegmentKind::Paint | SegmentKind::Save))
        .max_by(|a, b| a.end_s.total_cmp(&b.end_s))
        .map(|s| (s.painter, s.lane));
    let mut waits: Vec<Wait> = Vec::new();
    for lane in timeline.iter() {
        let Some(painter) = run.painters.get(lane.painter) else { continue };
        for state in timeline.states_of(lane).iter().filter(|s| s.state == ThreadState::Waiting) {
            let host = painter.remote.then(|| painter.host.clone());
            let index = match waits.iter().position(|w| w.who == lane.who() && w.core == state.core && w.host == host) {
                Some(index) => index,
                None => {
                    waits.push(Wait {
                        who: lane.who(),
                        core: state.core,
                        host: host.clone(),
                        waited_s: 0.0,
                        holders: BTreeMap::new(),
                        last: last == Some((lane.painter, lane.thread)),
                    });
                    waits.len() - 1
                }
            };
            let wait = &mut waits[index];
            wait.waited_s += state.end_s - state.start_s;
            let core = run.cores.iter().find(|c| c.core == state.core && c.host == painter.host);
            let Some(core) = core else { continue };
            let first = core.spans.partition_point(|s| s.end_s <= state.start_s);
            for span in core.spans[first..].iter().take_while(|s| s.start_s < state.end_s) {
                let overlap = span.end_s.min(state.end_s) - span.start_s.max(state.start_s);
                let key = match span.who {
                    Who::Painter => {
                        let sibling = match (span.painter, span.thread) {
                            (Some(p), Some(t)) => timeline
                                .of_painter(p)
                                .get(t as usize)
                                .map_or_else(|| span.holder(), crate::report::lanes::Lane::who),
                            _ => span.holder(),
                        };
                        (true, sibling)
                    }
                    Who::Other | Who::Idle => (false, span.holder()),
                };
                *wait.holders.entry(key).or_default() += overlap.max(0.0);
            }
        }
    }
    waits.retain(|w| w.waited_s >= SHORTEST_S);
    waits.sort_by(|a, b| b.waited_s.total_cmp(&a.waited_s));
    waits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::three_taking_turns;

    #[test]
    fn every_painters_wait_is_told_with_the_siblings_it_took_turns_with() {
        let run = three_taking_turns();
        let text = sentence(&run);
        assert!(text.starts_with(" Waits for a core, largest first: painter-"), "{text}");
        for n in 0..3 {
            assert!(text.contains(&format!("painter-{n} waited 0.60s for core 0, taking turns on it with")), "{text}");
        }
        assert!(text.contains("painter-0 waited 0.60s for core 0, taking turns on it with painter-1 and painter-2"));
        assert!(!text.contains("another program"), "siblings are not another program: {text}");
        assert_eq!(text.matches("held up the end").count(), 1, "{text}");
        // Three painters on one core: their turns are in the prediction.
        assert!(text.contains("held up the end, as the prediction expects of painters sharing cores"), "{text}");
        // Waits beyond the prediction that stand out of the gap, or not.
        let mut run = three_taking_turns();
        (run.lanes, run.core_count) = (1, 2);
        run.gap.contention_s = 0.3;
        assert!(sentence(&run).contains("its waits while painting held up the end)"), "{}", sentence(&run));
        run.gap.contention_s = 0.001;
        let text = sentence(&run);
        assert!(text.contains("were part of the end, too little to stand out") && !text.contains("held up"), "{text}");
    }

    #[test]
    fn the_waiting_in_all_is_at_least_the_waits_told_one_by_one() {
        let run = three_taking_turns();
        let told: f64 = waits(&run).iter().map(|w| w.waited_s).sum();
        assert!(told > 1.0, "{told}");
        assert!(total_s(&run) >= told - 1e-9, "{} < {told}", total_s(&run));
    }
}
