//! The contract for `States`: each of a painter's threads has one line of
//! states through time, and every message must carry it forward.
//!
//! A painter says what its threads did in [`States`] messages, each the
//! next stretch of one lane's line: on a lane it has, no more than
//! [`MAX_STATE_SPANS`] spans, each ending no earlier than it starts, in
//! order without overlap, none before the painter was started nor after
//! the message was heard, and none before the end of the last stretch of
//! the same lane. Gaps are allowed (where records were lost). A core is a
//! core some machine could have, and a resolution is finer than a second.
//!
//! Checking a message whole or cut anywhere into several gives the same
//! verdict, so a painter may send its stretches as it likes.

use super::{AHEAD_SLACK_NS, Breach, MAX_LANES, lane_why, seconds};
use crate::message::{MAX_STATE_SPANS, States};

/// The most cores a machine may have: Linux builds for 8192 at most.
pub const MAX_CORES: u32 = 8192;

/// The coarsest a measurement of states may be.
const MAX_RESOLUTION_NS: u64 = 1_000_000_000;

/// Where each lane's line of states has got to, for one painter.
#[derive(Debug, Clone, Default)]
pub struct StateLines {
    since_ns: u64,
    /// The end of the last span heard, by lane; 0 for none yet.
    ends_ns: Vec<u64>,
}

impl StateLines {
    /// The lines of a painter started at `since_ns` on the shared clock.
    #[must_use]
    pub fn new(since_ns: u64) -> Self {
        Self { since_ns, ends_ns: Vec::new() }
    }

    /// Checks `states` from a painter of `lanes` lanes, heard at
    /// `heard_ns`; if it is sound, its lane's line goes on to its end.
    ///
    /// # Errors
    /// [`Breach::States`], saying what is wrong; the line is left as it was.
    pub fn check(&mut self, states: &States, lanes: u32, heard_ns: u64) -> Result<(), Breach> {
        let breach = |why: String| Err(Breach::States { lane: states.lane, why });
        let lanes = lanes.min(MAX_LANES);
        if states.lane >= lanes {
            return breach(lane_why(lanes).trim_start_matches("but ").to_owned());
        }
        if states.spans.len() > MAX_STATE_SPANS {
            return breach(format!("{} spans, over the limit of {MAX_STATE_SPANS}", states.spans.len()));
        }
        if states.resolution_ns > MAX_RESOLUTION_NS {
            return breach(format!("a resolution of {}, coarser than a second", seconds(states.resolution_ns)));
        }
        let lane = states.lane as usize;
        let last_ns = self.ends_ns.get(lane).copied().unwrap_or(0);
        let (mut floor, mut after) = if last_ns > self.since_ns {
            (last_ns, "the end of the span before it")
        } else {
            (self.since_ns, "the painter was started")
        };
        let latest = heard_ns.saturating_add(AHEAD_SLACK_NS);
        for span in &states.spans {
            if span.end_ns < span.start_ns {
                return breach(format!("a span ends {} before it starts", seconds(span.start_ns - span.end_ns)));
            }
            if span.start_ns < floor {
                return breach(format!("a span starts {} before {after}", seconds(floor - span.start_ns)));
            }
            if span.end_ns > latest {
                return breach(format!("a span ends {} after the message arrived", seconds(span.end_ns - heard_ns)));
            }
            if span.core >= MAX_CORES {
                return breach(format!("a span on core {}, which no machine has", span.core));
            }
            (floor, after) = (span.end_ns, "the end of the span before it");
        }
        if self.ends_ns.len() <= lane {
            self.ends_ns.resize(lane + 1, 0);
        }
        self.ends_ns[lane] = floor.max(last_ns);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::message::{StateSource, StateSpan, ThreadState};

    const SINCE: u64 = 1_000;
    const HEARD: u64 = 10_000_000_000;

    fn span(start_ns: u64, end_ns: u64) -> StateSpan {
        StateSpan { state: ThreadState::Running, start_ns, end_ns, core: 0 }
    }

    fn states(lane: u32, spans: Vec<StateSpan>) -> States {
        States { lane, source: StateSource::SwitchEvents, resolution_ns: 1, spans }
    }

    fn why(result: Result<(), Breach>) -> String {
        match result {
            Err(Breach::States { why, .. }) => why,
            other => panic!("not a breach of states: {other:?}"),
        }
    }

    #[test]
    fn lines_go_forward_lane_by_lane() {
        let mut lines = StateLines::new(SINCE);
        lines
            .check(&states(0, vec![span(2_000, 3_000), span(3_000, 3_000), span(4_000, 5_000)]), 2, HEARD)
            .expect("sound");
        // Another lane has a line of its own; a gap is allowed.
        lines.check(&states(1, vec![span(2_500, 2_600)]), 2, HEARD).expect("sound");
        lines.check(&states(0, vec![span(5_000, 6_000)]), 2, HEARD).expect("sound");
        lines.check(&states(0, vec![]), 2, HEARD).expect("sound");
        assert_eq!(
            why(lines.check(&states(0, vec![span(5_999, 7_000)]), 2, HEARD)),
            "a span starts 0.000s before the end of the span before it"
        );
        // A breach leaves the line where it was.
        lines.check(&states(0, vec![span(6_000, 7_000)]), 2, HEARD).expect("sound");
    }

    #[test]
    fn what_is_refused_is_said() {
        let mut lines = StateLines::new(SINCE);
        let check = |lines: &mut StateLines, states: States| why(lines.check(&states, 2, HEARD));
        assert_eq!(check(&mut lines, states(2, vec![])), "its lanes are 0 to 1");
        assert_eq!(why(lines.check(&states(1, vec![]), 1, HEARD)), "it has one lane, 0");
        assert_eq!(
            check(&mut lines, states(0, vec![span(500, 600)])),
            "a span starts 0.000s before the painter was started"
        );
        assert_eq!(check(&mut lines, states(0, vec![span(3_000, 2_000)])), "a span ends 0.000s before it starts");
        assert_eq!(
            check(&mut lines, states(0, vec![span(2_000, 3_000), span(2_500, 4_000)])),
            "a span starts 0.000s before the end of the span before it"
        );
        assert_eq!(
            check(&mut lines, states(0, vec![span(2_000, HEARD + 2_000_000_000)])),
            "a span ends 2.000s after the message arrived"
        );
        let far = StateSpan { core: MAX_CORES, ..span(2_000, 3_000) };
        assert_eq!(check(&mut lines, states(0, vec![far])), "a span on core 8192, which no machine has");
        let coarse = States { resolution_ns: 2_000_000_000, ..states(0, vec![]) };
        assert_eq!(check(&mut lines, coarse), "a resolution of 2.000s, coarser than a second");
        let many = states(0, (0..=MAX_STATE_SPANS as u64).map(|k| span(2_000 + k, 2_000 + k)).collect());
        assert_eq!(
            check(&mut lines, many),
            format!("{} spans, over the limit of {MAX_STATE_SPANS}", MAX_STATE_SPANS + 1)
        );
        let message = Breach::States { lane: 3, why: "its lanes are 0 to 1".into() }.to_string();
        assert_eq!(message, "it sent states of lane 3: its lanes are 0 to 1");
    }

    proptest! {
        /// However a lane's spans are cut into messages, the verdict is
        /// that of all of them in one: accepted, or refused for the same reason.
        #[test]
        fn the_verdict_does_not_depend_on_how_spans_are_cut_into_messages(
            steps in proptest::collection::vec((0u64..3_000, 0u64..3_000, 0u8..40), 0..60),
            cuts in proptest::collection::vec(0usize..60, 0..8),
        ) {
            // Mostly forward; now and then a span that goes back, or ends before it starts.
            let mut at = SINCE + 500;
            let spans: Vec<StateSpan> = steps
                .iter()
                .map(|&(gap, len, odd)| {
                    let start = match odd {
                        0 => at.saturating_sub(gap),
                        _ => at + gap,
                    };
                    let end = if odd == 1 { start.saturating_sub(len + 1) } else { start + len };
                    at = end.max(at);
                    span(start, end)
                })
                .collect();
            let whole = StateLines::new(SINCE).check(&states(0, spans.clone()), 1, HEARD);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(spans.len())).collect();
            cuts.sort_unstable();
            let mut lines = StateLines::new(SINCE);
            let mut parts = Ok(());
            let mut from = 0;
            for to in cuts.into_iter().chain([spans.len()]) {
                parts = lines.check(&states(0, spans[from..to].to_vec()), 1, HEARD);
                if parts.is_err() {
                    break;
                }
                from = to;
            }
            prop_assert_eq!(whole, parts);
        }
    }
}
