//! The books of what one painter holds: every painting handed to it and
//! not yet answered, by run, each run with its deadline.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use tokio::time::Instant;

/// The jobs a painter holds, by run (a painting handed out alone is a run
/// of one), each run with its deadline.
///
/// A deadline is set once, when the run is handed out, and nothing the
/// painter says moves it: `--timeout` for each job queued ahead of it on
/// its lane, and `--timeout` for itself. A chunk, which is answered only
/// once all of it is painted, is allowed `--timeout` and its paintings'
/// ideal time for itself and for each chunk queued ahead of it: were it
/// allowed `--timeout` per painting, a painter that hung in a chunk of 512
/// would be noticed after 512 timeouts. A heap in deadline order
/// finds the next one at once, however many runs are queued; a run let go
/// leaves a stale entry behind, dropped when it reaches the top.
#[derive(Debug, Default)]
pub struct Held {
    runs: BTreeMap<u32, Run>,
    by_deadline: BinaryHeap<Reverse<(Instant, u32)>>,
    paintings: usize,
}

/// Paintings handed out together, by their first's number.
#[derive(Debug)]
struct Run {
    deadline: Instant,
    count: u32,
    /// Those done, by place in the run (empty for a run of one).
    done: Vec<bool>,
    left: u32,
}

impl Held {
    /// Holds the run of `count` paintings from `first` on, due by `deadline`.
    ///
    /// A painting that failed inside a chunk is put back and may come to
    /// the same painter again, alone or in a run of other retries, while
    /// the chunk is still held: the runs it falls in are cut around it
    /// first, so that every painting is held in one run at most and a
    /// run's first painting is its key alone.
    pub(super) fn insert(&mut self, first: u32, count: u32, deadline: Instant) {
        self.make_room(first, count);
        let done = if count > 1 { vec![false; count as usize] } else { Vec::new() };
        self.runs.insert(first, Run { deadline, count, done, left: count });
        self.paintings += count as usize;
        self.by_deadline.push(Reverse((deadline, first)));
        self.tidy();
    }

    /// Cuts the runs held that overlap paintings `first..first + count`
    /// into the parts before and after them, each keeping its deadline.
    /// The paintings in the overlap must be done there (they failed and
    /// were put back); one that is not would be held twice, so it is let
    /// go here and held by the new run alone.
    pub(super) fn make_room(&mut self, first: u32, count: u32) {
        let end = u64::from(first) + u64::from(count);
        loop {
            // Runs never overlap, so the last one that starts before
            // `end` is the only one that can reach into the new run.
            let Some((&start, run)) = self.runs.range(..=first.saturating_add(count.saturating_sub(1))).next_back()
            else {
                return;
            };
            if u64::from(start) + u64::from(run.count) <= u64::from(first) {
                return;
            }
            let Some(run) = self.runs.remove(&start) else { return };
            self.paintings -= run.left as usize;
            let is_done = |k: u32| run.done.get(k as usize) == Some(&true);
            let before = first.saturating_sub(start).min(run.count);
            let after_from = u32::try_from(end.saturating_sub(u64::from(start))).unwrap_or(u32::MAX).min(run.count);
            debug_assert!(
                (before..after_from).all(is_done),
                "paintings #{first}+{count} handed out again while still held in the run from #{start}"
            );
            for (from, to) in [(0, before), (after_from, run.count)] {
                let left = u32::try_from((from..to).filter(|&k| !is_done(k)).count()).unwrap_or(u32::MAX);
                if left == 0 {
                    continue;
                }
                let part_first = start + from;
                let done = if to - from > 1 { run.done[from as usize..to as usize].to_vec() } else { Vec::new() };
                self.runs.insert(part_first, Run { deadline: run.deadline, count: to - from, done, left });
                self.paintings += left as usize;
                if part_first != start {
                    self.by_deadline.push(Reverse((run.deadline, part_first)));
                }
            }
        }
    }

    /// How many jobs are held.
    pub(super) fn len(&self) -> usize {
        self.paintings
    }

    /// How many runs (chunks, or paintings handed out alone) are held.
    pub(super) fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Whether painting `job` is held (handed out, not yet let go).
    pub(super) fn holds(&self, job: u32) -> bool {
        let Some((&first, run)) = self.runs.range(..=job).next_back() else { return false };
        let place = job - first;
        place < run.count && run.done.get(place as usize) != Some(&true)
    }

    /// Lets go of `job`; false if it was not held.
    pub(super) fn remove(&mut self, job: u32) -> bool {
        // Most often it is in the first run held: a painter paints its
        // chunks in the order handed out, and this runs for every painting.
        let first = match self.runs.first_key_value() {
            Some((&first, run)) if job >= first && job - first < run.count => first,
            _ => match self.runs.range(..=job).next_back() {
                Some((&first, _)) => first,
                None => return false,
            },
        };
        let Some(run) = self.runs.get_mut(&first) else { return false };
        let place = (job - first) as usize;
        if place >= run.count as usize {
            return false;
        }
        if run.count > 1 {
            if run.done[place] {
                return false;
            }
            run.done[place] = true;
        }
        run.left -= 1;
        self.paintings -= 1;
        if run.left == 0 {
            self.runs.remove(&first);
            self.tidy();
        }
        true
    }

    /// The run due first: when, its first painting, and how many it has.
    pub(super) fn first_due(&self) -> Option<(Instant, u32, u32)> {
        let Reverse((deadline, first)) = *self.by_deadline.peek()?;
        Some((deadline, first, self.runs.get(&first).map_or(1, |run| run.count)))
    }

    /// Moves every run's deadline `by` later.
    pub(super) fn postpone(&mut self, by: Duration) {
        for run in self.runs.values_mut() {
            run.deadline += by;
        }
        self.by_deadline = self.runs.iter().map(|(&first, run)| Reverse((run.deadline, first))).collect();
    }

    /// Drops stale entries from the top, so that it is the first due.
    pub(super) fn tidy(&mut self) {
        while let Some(&Reverse((deadline, first))) = self.by_deadline.peek() {
            if self.runs.get(&first).is_some_and(|run| run.deadline == deadline) {
                break;
            }
            self.by_deadline.pop();
        }
    }

    /// Every job held, by number.
    pub(super) fn jobs(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs.iter().flat_map(|(&first, run)| {
            (0..run.count).filter(|&k| run.done.get(k as usize) != Some(&true)).map(move |k| first + k)
        })
    }

    /// Every job held, by number.
    pub(super) fn into_jobs(self) -> Vec<u32> {
        let mut jobs = Vec::with_capacity(self.paintings);
        jobs.extend(self.jobs());
        jobs
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn postponed_deadlines_keep_their_order_and_what_was_left_of_them() {
        let now = Instant::now();
        let mut held = Held::default();
        held.insert(1, 1, now + Duration::from_secs(2));
        held.insert(2, 3, now + Duration::from_secs(1));
        held.postpone(Duration::from_secs(3));
        assert_eq!(held.first_due(), Some((now + Duration::from_secs(4), 2, 3)));
        assert!(held.remove(2) && held.remove(3) && held.remove(4));
        assert_eq!(held.first_due(), Some((now + Duration::from_secs(5), 1, 1)));
        assert_eq!(held.len(), 1);
    }

    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::Held;
    use tokio::time::Instant;

    /// What a painter can be sent or say about the paintings it holds.
    #[derive(Debug, Clone)]
    enum Step {
        /// A run of up to `count` paintings from `first` on that are
        /// not held (as the dispatcher hands out only those).
        HandOut { first: u32, count: u32 },
        /// Painting `job` finished, failed or was let go.
        LetGo { job: u32 },
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            (0_u32..64, 1_u32..40).prop_map(|(first, count)| Step::HandOut { first, count }),
            (0_u32..104).prop_map(|job| Step::LetGo { job }),
        ];
        proptest::collection::vec(step, 1..80)
    }

    proptest! {
        /// Whatever order paintings are handed out, given up, put back
        /// and handed out again in (a retry inside a chunk still held
        /// among them), the books say exactly what is held.
        #[test]
        fn held_is_exactly_what_was_handed_out_and_not_let_go(steps in steps()) {
            let mut held = Held::default();
            let mut model = BTreeSet::new();
            let now = Instant::now();
            for (n, step) in steps.into_iter().enumerate() {
                match step {
                    Step::HandOut { first, count } => {
                        // The longest run of paintings not held from `first` on.
                        let count = (first..first + count).take_while(|job| !model.contains(job)).count() as u32;
                        if count == 0 {
                            continue;
                        }
                        held.insert(first, count, now + std::time::Duration::from_millis(n as u64));
                        model.extend(first..first + count);
                    }
                    Step::LetGo { job } => {
                        prop_assert_eq!(held.remove(job), model.remove(&job), "letting go of #{}", job);
                    }
                }
                prop_assert_eq!(held.len(), model.len());
                prop_assert_eq!(held.jobs().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
                for job in 0..104 {
                    prop_assert_eq!(held.holds(job), model.contains(&job));
                }
                if let Some((_, first, _)) = held.first_due() {
                    prop_assert!(held.holds(first) || held.runs.contains_key(&first));
                }
            }
            prop_assert_eq!(held.into_jobs(), model.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_retry_inside_a_held_chunk_leaves_the_rest_of_the_chunk_held() {
        let mut held = Held::default();
        let now = Instant::now();
        held.insert(0, 512, now);
        // Painting #0 and #7 failed: let go, put back, handed out again alone.
        assert!(held.remove(0));
        assert!(held.remove(7));
        held.insert(0, 1, now);
        held.insert(7, 1, now);
        assert_eq!(held.len(), 512);
        // The chunk's others still finish, one by one, and are let go once.
        for job in (1..512).filter(|&job| job != 7) {
            assert!(held.remove(job), "#{job}");
            assert!(!held.remove(job), "#{job} twice");
        }
        assert_eq!(held.into_jobs(), vec![0, 7]);
    }
}
