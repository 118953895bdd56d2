//! What a painter is doing, from what it was handed and what it said: the
//! paintings it holds, and of those the ones it paints, dries and saves;
//! and that in words, for its line or its note under the timeline.

use std::collections::BTreeSet;

use protocol::{Event, EventKind};

/// Paintings named in one list.
const LISTED: usize = 6;

/// The paintings a painter holds, and what it does with them.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Handed to it and not yet reported done.
    held: Held,
    /// Of those, the ones it has begun.
    started: BTreeSet<u32>,
    painting: BTreeSet<u32>,
    drying: BTreeSet<u32>,
    saving: BTreeSet<u32>,
}

impl Activity {
    /// It was handed `count` paintings from `first` on.
    pub fn handed(&mut self, first: u32, count: u32) {
        self.held.insert(first, count);
    }

    /// It reported `event`.
    pub fn event(&mut self, event: &Event) {
        self.started.insert(event.job);
        let (set, started) = match event.kind {
            EventKind::PaintStarted => (&mut self.painting, true),
            EventKind::PaintFinished(_) => (&mut self.painting, false),
            EventKind::DryStarted(_) => (&mut self.drying, true),
            EventKind::DryFinished(_) => (&mut self.drying, false),
            EventKind::SaveStarted => (&mut self.saving, true),
            EventKind::SaveFinished => (&mut self.saving, false),
        };
        if started {
            set.insert(event.job);
        } else {
            set.remove(&event.job);
        }
    }

    /// It finished painting `job`.
    pub fn done(&mut self, job: u32) {
        self.held.remove(job);
        for set in [&mut self.started, &mut self.painting, &mut self.drying, &mut self.saving] {
            set.remove(&job);
        }
    }

    /// How many paintings it holds.
    pub fn held(&self) -> usize {
        self.held.count
    }

    /// In words: `painting #3 · drying #1 #2 · handed #4`.
    pub fn describe(&self) -> String {
        // A few numbers, then how many more: no line can hold hundreds.
        // (`more`: those not in `ids` at all.)
        let list = |ids: &BTreeSet<u32>, more: usize| {
            let mut text = ids.iter().take(LISTED).map(|id| format!("#{id}")).collect::<Vec<_>>().join(" ");
            let more = ids.len().saturating_sub(LISTED) + more;
            if more > 0 {
                text += &format!(" +{more} more");
            }
            text
        };
        let waiting: BTreeSet<u32> = self.held.ids().filter(|id| !self.started.contains(id)).take(LISTED + 1).collect();
        let unlisted = self.held.count.saturating_sub(self.started.len()).saturating_sub(waiting.len());
        let mut parts = Vec::new();
        for (what, ids) in
            [("painting", &self.painting), ("saving", &self.saving), ("drying", &self.drying), ("handed", &waiting)]
        {
            if !ids.is_empty() {
                let more = if what == "handed" { unlisted } else { 0 };
                parts.push(format!("{what} {}", list(ids, more)));
            }
        }
        if parts.is_empty() { "waiting for a painting".to_owned() } else { parts.join(" · ") }
    }
}

/// Paintings held, as runs of consecutive numbers: a painter is handed
/// chunks of up to a hundred thousand, which would cost a set a node each
/// way, and finishes them in order, which takes a run's first number.
#[derive(Debug, Clone, Default)]
struct Held {
    /// Runs, as (first, one past the last), in the order handed.
    runs: Vec<(u32, u32)>,
    count: usize,
}

impl Held {
    fn insert(&mut self, first: u32, count: u32) {
        let end = first.saturating_add(count);
        // A painting handed again (after a failure) is counted once.
        if self.runs.iter().any(|&(from, to)| from < end && first < to) {
            return self.insert_each(first, end);
        }
        match self.runs.last_mut() {
            Some((_, to)) if *to == first => *to = end,
            _ => self.runs.push((first, end)),
        }
        self.count += (end - first) as usize;
    }

    /// Holds each of `from..end` not yet held.
    fn insert_each(&mut self, from: u32, end: u32) {
        for job in from..end {
            if !self.runs.iter().any(|&(a, b)| (a..b).contains(&job)) {
                self.runs.push((job, job + 1));
                self.count += 1;
            }
        }
    }

    fn remove(&mut self, job: u32) {
        let Some(at) = self.runs.iter().position(|&(from, to)| (from..to).contains(&job)) else { return };
        let (from, to) = self.runs[at];
        self.count -= 1;
        if job == from {
            self.runs[at].0 += 1;
        } else if job + 1 == to {
            self.runs[at].1 -= 1;
        } else {
            self.runs[at].1 = job;
            self.runs.insert(at + 1, (job + 1, to));
        }
        if self.runs[at].0 == self.runs[at].1 {
            self.runs.remove(at);
        }
    }

    /// Every painting held, by runs in the order handed.
    fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs.iter().flat_map(|&(from, to)| from..to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paintings_held_in_runs_are_counted_listed_and_let_go_one_by_one() {
        let mut activity = Activity::default();
        activity.handed(1, 10_000);
        activity.handed(10_001, 5);
        activity.handed(3, 1); // handed again after a failure: held once
        assert_eq!(activity.held(), 10_005);
        assert_eq!(activity.describe(), "handed #1 #2 #3 #4 #5 #6 +9999 more");
        activity.event(&Event { job: 1, lane: 0, coat: 0, at_ns: 0, kind: EventKind::PaintStarted });
        assert_eq!(activity.describe(), "painting #1 · handed #2 #3 #4 #5 #6 #7 +9998 more");
        for job in [1, 5, 10_005] {
            activity.done(job);
        }
        assert_eq!(activity.held(), 10_002);
        assert_eq!(activity.describe(), "handed #2 #3 #4 #6 #7 #8 +9996 more");
        for job in 1..=10_005 {
            activity.done(job);
        }
        assert_eq!((activity.held(), activity.describe().as_str()), (0, "waiting for a painting"));
    }
}
