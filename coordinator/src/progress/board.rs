//! The live timeline as drawn on the terminal: a legend, a lane per
//! painter's thread (painting, waiting for a core, drying, saving), a lane
//! per core (which painter ran there, or none of this run's), the time
//! axis, and a line for each painter that has something to say (a hung
//! one, how long it has been quiet; a stopped one, why).
//!
//! ```text
//! █ painting  ▒ waiting for a core  ░ drying  ▪ saving  2 painter-2  · none
//! painter-0@0 │1█▒▒█▒▒█▒░░░░▪
//! painter-1@0 │2▒█▒▒█▒▒█░░░░▪
//!      core 0 │01201201201201·
//!             └┬───────┬───────┬───────┬──
//!              0s     0.5s     1s     1.5s
//! ```
//!
//! The marks are the text report's (`report/timeline.rs`), so that what a
//! class saw live reads the same in the report that follows. Painting is
//! solid until the painter's thread states for it arrive (as each coat
//! ends); then its columns are solid where its core's row gives it the
//! core, shaded where it waited for one, and blank where it did neither
//! (off, as between tiny paintings). Every line fits the width
//! given; a board that does not fit is not drawn at all ([`fits`]), and
//! the display shows its lines instead.

use std::collections::BTreeMap;
use std::time::Duration;

use super::activity::Activity;
use super::timeline::{BUCKETS, Tally, Timeline};
use crate::report::svg::palette;
use crate::report::timeline::{IDLE_MARK, SAVE_MARK, UNFINISHED_MARK, WAIT_MARK};

/// The fewest columns of time axis worth drawing.
pub const FEWEST_COLUMNS: usize = 40;

/// Columns right of the axis for its last label.
const RIGHT: usize = 4;

/// The longest lane label; a longer one is cut.
const LONGEST_LABEL: usize = 20;

/// Above this many paintings in view on one lane, blocks carry no numbers.
const MOST_NUMBERED: usize = 30;

/// Drying, as the report draws it.
pub const DRY_MARK: char = '░';
/// A core on which none of this run's painters ran: the report's mark for
/// an idle core, which live also stands for another program (the census
/// that names it is taken after the run).
pub const NONE_MARK: char = IDLE_MARK;

/// A painter, as far as its note under the board goes.
#[derive(Debug, Clone, Default)]
pub struct Note {
    /// Its label.
    pub label: String,
    /// What it is doing.
    pub activity: Activity,
    /// When it last said something.
    pub heard: Option<std::time::Instant>,
    /// Stopped, gone or replaced: why.
    pub ended: Option<String>,
}

/// The timeline and the notes, shared by the display's news and its
/// drawing.
#[derive(Debug, Default)]
pub struct Board {
    /// What the run did.
    pub timeline: Timeline,
    /// By painter index.
    pub notes: BTreeMap<usize, Note>,
}

/// Where and when to draw.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Columns of the terminal.
    pub width: usize,
    /// Rows of the terminal.
    pub height: usize,
    /// Now, on this machine's clock.
    pub now_ns: u64,
    /// ANSI colours.
    pub color: bool,
    /// Lines the display draws besides the board (the paintings' bar).
    pub others: usize,
}

/// One cell of a painter's lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Empty,
    Paint { painting: u32, waiting: bool, label: Option<char> },
    Dry,
    Save,
    Unfinished,
}

/// After this long without a word from a painter that holds paintings, its
/// note says how long it has been quiet.
pub const QUIET_AFTER: Duration = Duration::from_secs(2);

impl Board {
    fn label_width(&self) -> usize {
        let several = self.timeline.several_hosts();
        let lanes = self.timeline.lanes.iter().map(|l| l.label.chars().count());
        let cores = self.timeline.cores.iter().map(|c| core_label(&c.host, c.core, several).chars().count());
        lanes.chain(cores).max().unwrap_or(0).clamp(6, LONGEST_LABEL)
    }

    /// Lines of the board besides the notes: the legend, the lanes, the
    /// cores' lanes (counted before the first states arrive, so that the
    /// board does not outgrow the terminal when they do) and the axis.
    fn fixed_lines(&self) -> usize {
        1 + self.timeline.lanes.len() + self.timeline.cores.len() + 2
    }

    /// Columns of time axis on a terminal `width` wide.
    fn axis_width(&self, width: usize) -> usize {
        width.saturating_sub(self.label_width() + 2 + RIGHT).min(BUCKETS)
    }

    /// The painters with something to say.
    fn notes(&self) -> Vec<String> {
        self.notes
            .values()
            .filter_map(|note| {
                if let Some(ended) = &note.ended {
                    return Some(format!("{}: {ended}", note.label));
                }
                let quiet = note.heard.map(|heard| heard.elapsed()).unwrap_or_default();
                (note.activity.held() > 0 && quiet >= QUIET_AFTER)
                    .then(|| format!("{}: no word for {}s · {}", note.label, quiet.as_secs(), note.activity.describe()))
            })
            .collect()
    }
}

/// Whether the board, with room for a note, fits a terminal of `width`
/// columns and `height` rows beside `others` lines of the display.
#[must_use]
pub fn fits(board: &Board, width: usize, height: usize, others: usize) -> bool {
    // One row is left free: the cursor's, below the display.
    board.axis_width(width) >= FEWEST_COLUMNS && board.fixed_lines() + 1 + others < height
}

/// The board in `frame`, one string per line, each at most `frame.width`
/// columns; `None` if it does not fit.
#[must_use]
pub fn draw(board: &mut Board, frame: Frame) -> Option<Vec<String>> {
    if !fits(board, frame.width, frame.height, frame.others) {
        return None;
    }
    let now_s = board.timeline.seconds(frame.now_ns);
    board.timeline.reach(now_s);
    let board = &*board;
    let timeline = &board.timeline;
    let width = board.axis_width(frame.width);
    let label_width = board.label_width();
    let mut lines = vec![legend(board, frame.width, frame.color)];
    // Who held each core, column by column; a lane is solid exactly where
    // its core's row gives the core to it, so that painters taking turns
    // are never drawn painting in the same column.
    let core_rows: Vec<Vec<Option<Option<usize>>>> = if timeline.heard_states {
        timeline
            .cores
            .iter()
            .map(|core| {
                let columns = timeline.core_columns(core, width);
                core_marks(&columns, &timeline.unknown(core, now_s), timeline.span_s(), now_s)
            })
            .collect()
    } else {
        Vec::new()
    };
    for (index, lane) in timeline.lanes.iter().enumerate() {
        let columns = timeline.lane_columns(lane, width, now_s);
        let mut cells = lane_cells(&columns, timeline.span_s(), now_s);
        if !core_rows.is_empty() {
            #[allow(clippy::cast_precision_loss)]
            let column_s = timeline.span_s() / width.max(1) as f64;
            for (col, cell) in cells.iter_mut().enumerate() {
                let Some(tally) = columns.get(col) else { continue };
                let given = core_rows.iter().any(|row| row.get(col) == Some(&Some(Some(index))));
                // Paintings too short to fill half a column are painting
                // where the core's row gives it the core.
                if *cell == Cell::Empty && tally.paint > 0.0 && given {
                    let painting = tally.painting.map_or(0, |(n, _)| n);
                    *cell = Cell::Paint { painting, waiting: false, label: None };
                    continue;
                }
                // A column whose states have not come yet stays as it is.
                #[allow(clippy::cast_precision_loss)]
                let heard = (col + 1) as f64 * column_s <= lane.states_until_s();
                if !matches!(cell, Cell::Paint { .. }) || !(heard || tally.run + tally.wait > 0.0) {
                    continue;
                }
                if given || tally.wait > 0.0 {
                    if let Cell::Paint { waiting, .. } = cell {
                        *waiting = !given;
                    }
                } else {
                    // Neither on its core nor waiting for one: off, as
                    // between tiny paintings; blank, as the core row is.
                    *cell = Cell::Empty;
                }
            }
        }
        for &start_s in &lane.unfinished {
            let col = column(start_s, timeline.span_s(), width);
            if let Some(cell) = (col..(col + 2).min(width)).find(|&c| !matches!(cells[c], Cell::Paint { .. })) {
                cells[cell] = Cell::Unfinished;
            }
        }
        lines.push(format!("{:>label_width$} │{}", cut(&lane.label, label_width), render(&cells, frame.color)));
    }
    if timeline.heard_states {
        let several = timeline.several_hosts();
        for (core, held) in timeline.cores.iter().zip(&core_rows) {
            let marks: Vec<char> = held
                .iter()
                .map(|held| match held {
                    Some(Some(lane)) => timeline.lanes[*lane].mark,
                    Some(None) => NONE_MARK,
                    None => ' ',
                })
                .collect();
            let row: String = marks.iter().collect::<String>().trim_end().to_owned();
            let label = core_label(&core.host, core.core, several);
            lines.push(format!("{:>label_width$} │{row}", cut(&label, label_width)));
        }
    }
    let (ticks, labels) = axis(timeline.span_s(), width);
    lines.push(format!("{:>label_width$} └{ticks}", ""));
    lines.push(format!("{:>label_width$}  {labels}", ""));
    let room = frame.height.saturating_sub(board.fixed_lines() + 1 + frame.others).max(1);
    let notes = board.notes();
    if notes.len() <= room {
        lines.extend(notes.iter().map(|note| cut(note, frame.width)));
    } else {
        lines.extend(notes.iter().take(room - 1).map(|note| cut(note, frame.width)));
        lines.push(cut(&format!("… and {} more painters with news", notes.len() + 1 - room), frame.width));
    }
    Some(lines)
}

/// Core `core`'s label: `core 0`, or `h2/core 0` when the run's cores are
/// on several hosts.
fn core_label(host: &str, core: u32, several: bool) -> String {
    if several { format!("{host}/core {core}") } else { format!("core {core}") }
}

/// The first `width` characters of `text`.
fn cut(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// The legend, on one line: as many keys as fit, the least needed
/// (saving, a small mark) left out first; on a colour terminal each mark
/// as the lanes draw it (painting a coloured cell, not `█`).
fn legend(board: &Board, width: usize, color: bool) -> String {
    use crate::report::timeline::{Key, key};
    let timeline = &board.timeline;
    // Each key with its rank: the lower, the sooner it is left out.
    let mut keys = vec![(9, "█ painting".to_owned())];
    if timeline.heard_states {
        keys.push((8, format!("{WAIT_MARK} waiting for a core")));
    }
    keys.push((7, format!("{DRY_MARK} drying")));
    keys.push((1, format!("{SAVE_MARK} saving")));
    if timeline.heard_states
        && let Some(lane) = timeline.lanes.first()
    {
        // The first lane's mark on a core, as an example of all.
        let who = lane.label.split('@').next().unwrap_or_default();
        keys.push((6, format!("core: {} {who} {NONE_MARK} none", lane.mark)));
    }
    if timeline.lanes.iter().any(|lane| !lane.unfinished.is_empty()) {
        keys.push((5, format!("{UNFINISHED_MARK} never finished")));
    }
    let length = |keys: &[(u8, String)]| keys.iter().map(|(_, key)| key.chars().count() + 2).sum::<usize>() - 2;
    while keys.len() > 1 && length(&keys) > width {
        let least = keys.iter().enumerate().min_by_key(|(_, (rank, _))| *rank).map_or(0, |(i, _)| i);
        keys.remove(least);
    }
    let line = keys.into_iter().map(|(_, key)| key).collect::<Vec<_>>().join("  ");
    let line = cut(&line, width);
    if !color {
        return line;
    }
    [
        ("█ painting", Key::Painting, " painting"),
        ("▒ waiting", Key::Waiting, " waiting"),
        ("░ drying", Key::Drying, " drying"),
    ]
    .into_iter()
    .fold(line, |line, (plain, mark, words)| line.replacen(plain, &(key(mark, true) + words), 1))
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
fn column(t_s: f64, span_s: f64, width: usize) -> usize {
    ((t_s / span_s * width as f64).floor().max(0.0) as usize).min(width.saturating_sub(1))
}

/// A lane's cells from its columns' time. A column shows what filled at
/// least half of it (of its part up to now): painting before saving,
/// saving (short, but worth its mark) before drying. Painting is split
/// into running and waiting in proportion: each column adds the share of
/// its states' time that ran to a balance, and is solid when the balance
/// reaches half a column, so that a block a third of whose time ran is a
/// third solid however the turns fall on the columns.
fn lane_cells(columns: &[Tally], span_s: f64, now_s: f64) -> Vec<Cell> {
    #[allow(clippy::cast_precision_loss)]
    let column_s = span_s / columns.len().max(1) as f64;
    let mut cells = vec![Cell::Empty; columns.len()];
    let mut balance = 0.0;
    let mut block: Option<u32> = None;
    for (i, (tally, cell)) in columns.iter().zip(cells.iter_mut()).enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let start_s = i as f64 * column_s;
        let length = column_s.min(now_s - start_s);
        if length <= 0.0 {
            break;
        }
        let half = length / 2.0;
        let busy = tally.paint + tally.dry + tally.save;
        let painting = tally.painting.map(|(n, _)| n);
        *cell = if tally.paint >= half || (busy >= half && tally.paint >= tally.dry && tally.save <= 0.0) {
            let painting = painting.unwrap_or(0);
            if block != Some(painting) {
                balance = 0.0;
                block = Some(painting);
            }
            let timed = tally.run + tally.wait;
            balance += if timed > 0.0 { tally.run / timed } else { 1.0 };
            let waiting = balance < 0.5;
            if !waiting {
                balance -= 1.0;
            }
            Cell::Paint { painting, waiting, label: None }
        } else if tally.save > 0.0 {
            Cell::Save
        } else if busy >= half {
            Cell::Dry
        } else {
            Cell::Empty
        };
        if !matches!(cell, Cell::Paint { .. }) {
            block = None;
        }
    }
    number(&mut cells);
    cells
}

/// Writes each block's painting number at its start, where the block has
/// room for it and it cannot be read together with the next block's.
fn number(cells: &mut [Cell]) {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let Cell::Paint { painting, .. } = cells[i] else {
            i += 1;
            continue;
        };
        let length =
            cells[i..].iter().take_while(|c| matches!(c, Cell::Paint { painting: p, .. } if *p == painting)).count();
        blocks.push((i, length, painting));
        i += length;
    }
    if blocks.len() > MOST_NUMBERED {
        return;
    }
    for (start, length, painting) in blocks {
        let digits: Vec<char> = painting.to_string().chars().collect();
        let next_is_paint = matches!(cells.get(start + length), Some(Cell::Paint { .. }));
        if length < digits.len() || (length == digits.len() && next_is_paint) {
            continue;
        }
        for (cell, digit) in cells[start..].iter_mut().zip(digits) {
            if let Cell::Paint { label, .. } = cell {
                *label = Some(digit);
            }
        }
    }
}

/// Who held a core in each column: `Some(Some(lane))`, `Some(None)` for
/// none of this run's painters, `None` where that is not known yet (at
/// least half the column is in one of the `unknown` stretches, or after
/// `now_s`). Each column goes to whoever has the most credit among those
/// there (nobody counting as one), each earning its share of the column
/// and paying a column when it gets one: painters taking turns show
/// taking turns, in proportion to their time.
fn core_marks(
    columns: &[Vec<(usize, f64)>],
    unknown: &[(f64, f64)],
    span_s: f64,
    now_s: f64,
) -> Vec<Option<Option<usize>>> {
    #[allow(clippy::cast_precision_loss)]
    let column_s = span_s / columns.len().max(1) as f64;
    let mut credit: BTreeMap<Option<usize>, f64> = BTreeMap::new();
    let mut marks = vec![None; columns.len()];
    for (i, (held, mark)) in columns.iter().zip(marks.iter_mut()).enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let start = i as f64 * column_s;
        let end = (start + column_s).min(now_s);
        if end <= start {
            break;
        }
        let not_known: f64 = unknown.iter().map(|&(from, to)| (to.min(end) - from.max(start)).max(0.0)).sum();
        if not_known >= (end - start) / 2.0 {
            continue;
        }
        let ran: f64 = held.iter().map(|(_, t)| t).sum();
        let mut here: Vec<(Option<usize>, f64)> = held.iter().map(|&(lane, t)| (Some(lane), t)).collect();
        here.push((None, (end - start - ran - not_known).max(0.0)));
        let total: f64 = here.iter().map(|(_, t)| t).sum();
        if total <= 0.0 {
            continue;
        }
        for (who, time) in &here {
            *credit.entry(*who).or_default() += time / total;
        }
        let best =
            here.iter().filter(|(_, t)| *t > 0.0).map(|(who, _)| *who).max_by(|a, b| credit[a].total_cmp(&credit[b]));
        if let Some(best) = best {
            *credit.entry(best).or_default() -= 1.0;
            *mark = Some(best);
        }
    }
    marks
}

/// A row of cells, in colour if asked.
fn render(cells: &[Cell], color: bool) -> String {
    let used = cells.iter().rposition(|&c| c != Cell::Empty).map_or(0, |i| i + 1);
    let mut marks = Vec::with_capacity(used);
    for &cell in &cells[..used] {
        let (style, ch) = match cell {
            Cell::Empty => (None, ' '),
            Cell::Dry => (Some("\x1b[38;5;245m".to_owned()), DRY_MARK),
            Cell::Save => (None, SAVE_MARK),
            Cell::Unfinished => (Some("\x1b[1;31m".to_owned()), UNFINISHED_MARK),
            Cell::Paint { label, waiting, .. } if !color => {
                (None, label.unwrap_or(if waiting { WAIT_MARK } else { '█' }))
            }
            Cell::Paint { painting, label, waiting: true } => {
                (Some(format!("\x1b[38;5;{}m", palette::painting(painting).ansi256())), label.unwrap_or(WAIT_MARK))
            }
            Cell::Paint { painting, label, waiting: false } => {
                let colour = palette::painting(painting);
                (
                    Some(format!("\x1b[48;5;{}m\x1b[38;5;{}m", colour.ansi256(), colour.ink().ansi256())),
                    label.unwrap_or(' '),
                )
            }
        };
        marks.push((style, ch));
    }
    crate::report::timeline::styled(marks, color)
}

/// The axis line with its ticks, `width` columns and one, and the labels
/// under it, at most `width + RIGHT` columns.
fn axis(span_s: f64, width: usize) -> (String, String) {
    const STEPS: [f64; 24] = [
        0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
        900.0, 1800.0, 3600.0, 7200.0, 21600.0, 43200.0,
    ];
    #[allow(clippy::cast_precision_loss)]
    let most_ticks = (width / 9).max(1) as f64;
    let step = STEPS.iter().copied().find(|&s| span_s / s <= most_ticks).unwrap_or(86400.0);
    let mut ticks = vec!['─'; width + 1];
    let room = width + RIGHT;
    let mut labels = vec![' '; room];
    let mut tick = 0u32;
    loop {
        // Multiplied, not added, so that 0.1 + 0.1 + 0.1 does not drift.
        let t = f64::from(tick) * step;
        if t > span_s + 1e-9 {
            break;
        }
        tick += 1;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let col = ((t / span_s * width as f64).round() as usize).min(width);
        ticks[col] = '┬';
        let text: Vec<char> = seconds(t).chars().collect();
        let start = col.saturating_sub(text.len() / 2).min(room.saturating_sub(text.len()));
        let end = start + text.len();
        // Left out where it would touch the label before it.
        if end <= room && labels[start.saturating_sub(1)..(end + 1).min(room)].iter().all(|&c| c == ' ') {
            labels[start..end].copy_from_slice(&text);
        }
    }
    (ticks.into_iter().collect(), labels.into_iter().collect::<String>().trim_end().to_owned())
}

/// A tick's time: `0.25s`, `120s`, `15m`, `2h`.
fn seconds(t: f64) -> String {
    if t >= 3600.0 && t % 3600.0 == 0.0 {
        format!("{:.0}h", t / 3600.0)
    } else if t >= 600.0 && t % 60.0 == 0.0 {
        format!("{:.0}m", t / 60.0)
    } else if t.fract() == 0.0 {
        format!("{t:.0}s")
    } else {
        format!("{t:.3}").trim_end_matches('0').to_owned() + "s"
    }
}

#[cfg(test)]
mod tests {
    use protocol::{DryKind, Effort, Event, EventKind, StateSource, StateSpan, States, ThreadState};

    use super::*;
    use crate::progress::timeline::tests::hello;

    fn event(job: u32, at_ms: u64, kind: EventKind) -> Event {
        Event { job, lane: 0, coat: 0, at_ns: at_ms * 1_000_000, kind }
    }

    fn frame(width: usize, height: usize, now_ms: u64) -> Frame {
        Frame { width, height, now_ns: now_ms * 1_000_000, color: false, others: 1 }
    }

    fn painted() -> EventKind {
        EventKind::PaintFinished(Effort::default())
    }

    /// Three painters pinned to core 0, each painting from 0 to 0.9 s while
    /// they take turns on the core in 10 ms slices, as their states say.
    fn three_on_one_core() -> Board {
        let mut board = Board::default();
        for p in 0..3u32 {
            board.timeline.joined(p as usize, &format!("painter-{p}@0"), &hello(p, &[0]));
        }
        board.timeline.handed(0);
        for p in 0..3u32 {
            board.timeline.event(p as usize, &event(p + 1, 0, EventKind::PaintStarted));
            board.timeline.event(p as usize, &event(p + 1, 900, painted()));
            let mut spans = Vec::new();
            for slice in 0..90u64 {
                let state = if slice % 3 == u64::from(p) { ThreadState::Running } else { ThreadState::Waiting };
                spans.push(StateSpan {
                    state,
                    start_ns: slice * 10_000_000,
                    end_ns: (slice + 1) * 10_000_000,
                    core: 0,
                });
            }
            let states = States { lane: 0, source: StateSource::SwitchEvents, resolution_ns: 1, spans };
            board.timeline.states(p as usize, &states, 1_000_000_000);
        }
        board
    }

    fn row(line: &str) -> &str {
        line.split_once('│').map_or("", |(_, row)| row)
    }

    #[test]
    fn on_a_colour_terminal_the_legend_shows_painting_as_the_lanes_draw_it() {
        let mut board = three_on_one_core();
        let lines = draw(&mut board, Frame { color: true, ..frame(80, 24, 1_000) }).expect("fits 80×24");
        // The lanes paint in coloured cells, not `█`; so does the legend.
        assert!(lines[1..4].iter().all(|l| !row(l).contains('█')), "{lines:#?}");
        assert!(lines[0].starts_with("\x1b[48;5;") && !lines[0].contains("█ painting"), "{:?}", lines[0]);
        assert!(lines[0].contains(" painting") && lines[0].contains("▒\x1b[0m waiting for a core"), "{:?}", lines[0]);
    }

    #[test]
    fn painters_taking_turns_on_one_core_each_show_a_third_solid_and_the_core_shows_their_turns() {
        let mut board = three_on_one_core();
        let lines = draw(&mut board, frame(80, 24, 1_000)).expect("fits 80×24");
        assert!(
            lines[0].contains("▒ waiting for a core") && lines[0].ends_with("core: 0 painter-0 · none"),
            "{lines:#?}"
        );
        for (p, line) in lines[1..4].iter().enumerate() {
            assert!(line.starts_with(&format!("painter-{p}@0 │{}", p + 1)), "{line}");
            let solid = row(line).chars().filter(|&c| c == '█').count() + 1;
            let waiting = row(line).chars().filter(|&c| c == WAIT_MARK).count();
            let third =
                f64::from(u32::try_from(solid).unwrap_or(0)) / f64::from(u32::try_from(solid + waiting).unwrap_or(1));
            assert!((0.28..=0.39).contains(&third), "{third}: {line}");
        }
        let core = &lines[4];
        assert!(core.starts_with("     core 0 │"), "{lines:#?}");
        // The turns: each painter holds a third of the core's painting
        // columns, never two columns running, and nobody after 0.9 s.
        let marks: Vec<char> = row(core).chars().collect();
        let painting = marks.iter().take_while(|&&c| c != NONE_MARK).count();
        for p in ['0', '1', '2'] {
            let held = marks.iter().filter(|&&c| c == p).count();
            assert!(held * 3 >= painting - 3 && held * 3 <= painting + 3, "{p} holds {held} of {painting}: {core}");
        }
        assert!(marks.windows(2).all(|w| w[0] != w[1] || w[0] == NONE_MARK), "{core}");
        assert!(marks[painting..].iter().all(|&c| c == NONE_MARK), "{core}");
        // The lanes agree with the core: no column is solid in two lanes
        // (a block's number aside, in its first column).
        let lanes: Vec<Vec<char>> = lines[1..4].iter().map(|l| row(l).chars().collect()).collect();
        for col in 1..painting {
            let solid = lanes.iter().filter(|lane| lane.get(col) == Some(&'█')).count();
            assert!(solid <= 1, "column {col} is solid in {solid} lanes: {lines:#?}");
        }
        assert!(lines[5].contains('└') && lines[6].trim_start().starts_with("0s"), "{lines:#?}");
    }

    #[test]
    fn a_lane_of_tiny_paintings_is_never_solid_or_waiting_over_a_core_its_painter_left_idle() {
        // One painter, a painting of 0.1 ms every millisecond for a second,
        // its thread on core 0 for 0.3 ms of each millisecond and off the rest.
        let mut board = Board::default();
        board.timeline.joined(0, "painter-0@0", &hello(0, &[0]));
        board.timeline.handed(0);
        let mut spans = Vec::new();
        for n in 0..1000u64 {
            let at = n * 1_000_000;
            let job = u32::try_from(n + 1).unwrap_or(u32::MAX);
            board.timeline.event(0, &Event { at_ns: at, ..event(job, 0, EventKind::PaintStarted) });
            board.timeline.event(0, &Event { at_ns: at + 100_000, ..event(job, 0, painted()) });
            spans.push(StateSpan { state: ThreadState::Running, start_ns: at, end_ns: at + 300_000, core: 0 });
            spans.push(StateSpan { state: ThreadState::Off, start_ns: at + 300_000, end_ns: at + 1_000_000, core: 0 });
        }
        let states = States { lane: 0, source: StateSource::SwitchEvents, resolution_ns: 1, spans };
        board.timeline.states(0, &states, 1_000_000_000);
        let lines = draw(&mut board, frame(80, 24, 1_000)).expect("fits 80×24");
        let lane: Vec<char> = row(&lines[1]).chars().collect();
        let core: Vec<char> = row(&lines[2]).chars().collect();
        assert!(lines[2].contains("core 0"), "{lines:#?}");
        for (col, &mark) in core.iter().enumerate() {
            let drawn = lane.get(col).copied().unwrap_or(' ');
            assert!(drawn != WAIT_MARK, "column {col}: it never waited: {lines:#?}");
            if mark == NONE_MARK {
                assert!(drawn == ' ', "column {col}: solid over an idle core: {lines:#?}");
            }
            if drawn == '█' {
                assert!(mark == '0', "column {col}: solid where the core row gives it nothing: {lines:#?}");
            }
        }
        let solid = lane.iter().filter(|&&c| c == '█').count();
        assert!(solid > 0 && solid * 2 < core.len(), "{solid} of {} solid: {lines:#?}", core.len());
    }

    #[test]
    fn every_line_fits_the_terminal_and_the_board_the_rows() {
        for (width, height) in [(57, 12), (80, 24), (81, 10), (100, 30), (132, 43), (300, 60), (700, 20)] {
            let mut board = three_on_one_core();
            board.notes.insert(
                0,
                Note {
                    label: "painter-0@0".into(),
                    ended: Some("gone: killed by signal 9 (SIGKILL), holding #1 and more words than fit".into()),
                    ..Note::default()
                },
            );
            let lines = draw(&mut board, frame(width, height, 1_000)).expect("fits");
            assert!(lines.len() + 1 < height, "{width}×{height}: {} lines", lines.len());
            for line in &lines {
                assert!(line.chars().count() <= width, "{width} columns: {line:?}");
            }
            assert!(lines.last().is_some_and(|l| l.starts_with("painter-0@0: gone: killed")), "{lines:#?}");
        }
    }

    #[test]
    fn a_board_too_narrow_or_too_short_is_not_drawn() {
        let mut board = three_on_one_core();
        assert!(draw(&mut board, frame(40, 24, 1_000)).is_none());
        assert!(draw(&mut board, frame(56, 24, 1_000)).is_none());
        // Legend, three lanes, a core, the axis, a note, the bar, the cursor's row.
        assert!(draw(&mut board, frame(80, 9, 1_000)).is_none());
        assert!(draw(&mut board, frame(80, 10, 1_000)).is_some());
    }

    #[test]
    fn the_axis_grows_with_the_run_and_drying_and_saving_show() {
        let mut board = Board::default();
        board.timeline.joined(0, "painter-0@0", &hello(0, &[0]));
        board.timeline.handed(0);
        board.timeline.event(0, &event(1, 0, EventKind::PaintStarted));
        board.timeline.event(0, &event(1, 40_000, painted()));
        board.timeline.event(0, &event(1, 40_000, EventKind::DryStarted(DryKind::File)));
        board.timeline.event(0, &event(1, 80_000, EventKind::DryFinished(DryKind::File)));
        board.timeline.event(0, &event(1, 80_000, EventKind::SaveStarted));
        board.timeline.event(0, &event(1, 80_010, EventKind::SaveFinished));
        board.timeline.event(0, &event(2, 85_000, EventKind::PaintStarted));
        let lines = draw(&mut board, frame(80, 24, 100_000)).expect("fits");
        // 100 s on the axis: the span doubled from 1 s to 128 s.
        assert!((board.timeline.span_s() - 128.0).abs() < 1e-9);
        assert!(lines[2].contains('└') && lines[3].contains("90s  "), "{lines:#?}");
        // No states yet: painting is solid, and the legend does not speak of cores.
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(!lines[0].contains("core"), "{}", lines[0]);
        let row: Vec<char> = row(&lines[1]).chars().collect();
        assert_eq!(row[0], '1');
        assert!(row[1..20].iter().all(|&c| c == '█') && row[20..39].iter().all(|&c| c == DRY_MARK), "{}", lines[1]);
        // 63 columns of 128/63 s: the save's mark at 80 s, painting 2
        // from 85 s up to now, 100 s, in the 50th column.
        assert_eq!(row[39], SAVE_MARK, "{}", lines[1]);
        assert_eq!(row[42], '2', "{}", lines[1]);
        assert_eq!(row.len(), 50, "{}", lines[1]);
    }

    #[test]
    fn a_quiet_painter_and_a_stopped_one_have_notes() {
        let mut board = three_on_one_core();
        let long_ago = std::time::Instant::now().checked_sub(Duration::from_secs(3));
        let mut painting = Activity::default();
        painting.handed(2, 1);
        painting.event(&event(2, 0, EventKind::PaintStarted));
        let note =
            |label: &str, activity: Activity| Note { label: label.into(), activity, heard: long_ago, ended: None };
        board.notes.insert(1, note("painter-1@0", painting));
        // Quiet, but holding nothing: nothing to say.
        board.notes.insert(2, note("painter-2@0", Activity::default()));
        board.notes.insert(
            0,
            Note { label: "painter-0@0".into(), ended: Some("stopping it: it hung".into()), ..Note::default() },
        );
        let lines = draw(&mut board, frame(80, 24, 1_000)).expect("fits");
        let notes: Vec<&String> = lines.iter().skip(7).collect();
        assert_eq!(notes, ["painter-0@0: stopping it: it hung", "painter-1@0: no word for 3s · painting #2"]);
        // Where the rows run out, the last note says how many more there are.
        let lines = draw(&mut board, frame(80, 10, 1_000)).expect("fits");
        assert_eq!(lines.last().map(String::as_str), Some("… and 2 more painters with news"), "{lines:#?}");
    }

    #[test]
    fn a_core_is_left_blank_where_a_painters_states_have_not_come_yet() {
        let mut board = Board::default();
        board.timeline.joined(0, "painter-0@0", &hello(0, &[0]));
        board.timeline.handed(0);
        board.timeline.event(0, &event(1, 0, EventKind::PaintStarted));
        board.timeline.event(0, &event(1, 500, painted()));
        board.timeline.event(0, &event(1, 500, EventKind::DryStarted(DryKind::File)));
        // Its states so far: it ran for the first 0.3 s of its painting.
        let spans = vec![StateSpan { state: ThreadState::Running, start_ns: 0, end_ns: 300_000_000, core: 0 }];
        let states = States { lane: 0, source: StateSource::SwitchEvents, resolution_ns: 1, spans };
        board.timeline.states(0, &states, 1_000_000_000);
        let lines = draw(&mut board, frame(80, 24, 1_000)).expect("fits");
        let core: Vec<char> = row(&lines[2]).chars().collect();
        // 63 columns a second: its turn, unknown, then drying (off every core).
        assert!(core[..18].iter().all(|&c| c == '0'), "{}", lines[2]);
        assert!(core[20..31].iter().all(|&c| c == ' '), "{}", lines[2]);
        assert!(core[33..].iter().all(|&c| c == NONE_MARK) && core.len() == 63, "{}", lines[2]);
    }
}
