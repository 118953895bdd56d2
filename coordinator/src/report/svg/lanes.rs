//! A panel's lanes: a painter's (or a thread's) blocks laid out on rows,
//! painting on the first and each coat's drying on the first row where it
//! fits, so that an async painter's overlapping dryings show as overlapping.

use crate::model::schedule::{Segment, SegmentKind};
use crate::report::RunReport;
use crate::report::lanes::{State, Unfinished, dryings};

use super::{GAP, ROW};

/// A lane: its label and its rows of segments (painting on the first,
/// drying on the first row where it fits).
pub(super) struct Lane<'a> {
    pub(super) label: String,
    /// Its painter (by index) and thread, as the core rows name them.
    pub(super) painter: usize,
    pub(super) thread: u32,
    /// Whether it ran on another host than the coordinator's.
    pub(super) remote: bool,
    pub(super) rows: Vec<Vec<&'a Segment>>,
    /// What it began and never finished.
    pub(super) unfinished: Vec<&'a Unfinished>,
    /// Its thread's states, in order (none when not measured).
    pub(super) states: &'a [State],
    /// Dryings drawn over the last row, for want of a free one.
    pub(super) over: usize,
}

pub(super) fn rows_height(rows: usize) -> f64 {
    rows as f64 * (ROW + GAP)
}

/// Per painter (its index), its lanes: the lanes of the text timeline.
pub(super) fn painter_lanes(run: &RunReport) -> impl Iterator<Item = (usize, Vec<Lane<'_>>)> {
    (0..run.painters.len()).map(|index| {
        let lanes = run
            .timeline
            .of_painter(index)
            .iter()
            .map(|lane| {
                let core = lane.core.map_or_else(String::new, |c| format!(" · core {c}"));
                let (rows, over) = rows(run.timeline.segments_of(lane));
                Lane {
                    label: lane.who() + &core,
                    painter: lane.painter,
                    thread: lane.thread,
                    remote: lane.host.is_some(),
                    rows,
                    over,
                    unfinished: run.timeline.unfinished_of(lane).collect(),
                    states: run.timeline.states_of(lane),
                }
            })
            .collect();
        (index, lanes)
    })
}

/// Rows of drying under a lane at most; further overlapping dryings are
/// drawn over the last row, and counted.
const MOST_DRYING_ROWS: usize = 6;

/// Lays a lane's segments on rows. A coat's two waits stay together on
/// one row, so that each drying reads as one piece, disk then network.
/// Returns the rows, and how many dryings were drawn over the last row.
pub(super) fn rows<'a>(segments: impl Iterator<Item = &'a Segment> + Clone) -> (Vec<Vec<&'a Segment>>, usize) {
    // Touching is not overlapping: a drying may start as a painting ends.
    const TOUCH: f64 = 1e-9;
    let paints: Vec<&Segment> = segments.clone().filter(|s| s.kind == SegmentKind::Paint).collect();
    // Saving is marked on the first row, drawn after (over) the rest.
    let saves = segments.clone().filter(|s| s.kind == SegmentKind::Save);
    let mut dryings = dryings(segments);
    dryings.sort_by(|a, b| a.from_s.total_cmp(&b.from_s));
    // A lane paints one coat at a time, so its paintings' ends are in order
    // too: the first that ends after a drying starts is the only one that
    // can overlap it.
    let paint_overlaps = |from: f64, to: f64| {
        let next = paints.partition_point(|p| p.end_s <= from + TOUCH);
        paints.get(next).is_some_and(|p| p.start_s + TOUCH < to)
    };
    let mut rows: Vec<Vec<&Segment>> = vec![paints.clone()];
    // Where each row's last drying ends (dryings are placed in order of start).
    let mut ends: Vec<f64> = vec![f64::NEG_INFINITY];
    let mut over = 0;
    for drying in dryings {
        let fits =
            |row: usize| ends[row] <= drying.from_s + TOUCH && (row > 0 || !paint_overlaps(drying.from_s, drying.to_s));
        let row = match (0..rows.len()).find(|&row| fits(row)) {
            Some(row) => row,
            None if rows.len() <= MOST_DRYING_ROWS => {
                rows.push(Vec::new());
                ends.push(f64::NEG_INFINITY);
                rows.len() - 1
            }
            None => {
                over += 1;
                rows.len() - 1
            }
        };
        ends[row] = ends[row].max(drying.to_s);
        rows[row].extend(drying.waits);
    }
    rows[0].extend(saves);
    (rows, over)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_run;

    #[test]
    fn overlapping_drying_goes_on_its_own_row() {
        let run = sample_run();
        let (rows, over) = rows(run.timeline.segments().iter());
        assert_eq!(over, 0);
        // Painting 2 is painted while painting 1 dries: two rows.
        assert_eq!(rows.len(), 2);
        assert!(rows[0].iter().filter(|s| s.kind == SegmentKind::Paint).count() == 2);
        // Painting 2's drying starts as painting 1's ends: it fits on the first free row.
        assert_eq!(rows.iter().map(Vec::len).sum::<usize>(), 6);
    }

    #[test]
    fn a_thousand_dryings_at_once_take_a_few_rows() {
        let wait = |painting| Segment {
            painter: 0,
            lane: 0,
            painting,
            coat: 0,
            kind: SegmentKind::FileWait,
            start_s: 0.001 * f64::from(painting),
            end_s: 10.0,
        };
        let segments: Vec<Segment> = (1..=1000).map(wait).collect();
        let (rows, over) = rows(segments.iter());
        assert_eq!(rows.len(), 1 + MOST_DRYING_ROWS);
        assert_eq!(over, 1000 - MOST_DRYING_ROWS - 1, "every drying not on a row of its own is counted");
        assert_eq!(rows.iter().map(Vec::len).sum::<usize>(), 1000, "every wait is drawn");
    }
}
