//! The timeline, drawn in the terminal the way it is drawn on a board:
//! a lane per painter (per thread in `threads` mode), solid blocks for
//! painting, each starting with the painting's number, and grey for drying.
//!
//! When a lane dries several paintings at once (an async painter does),
//! the extra drying goes on rows below the lane, so overlapping waits show
//! as overlapping, as on the board.
//!
//! Where the painters sent their threads' states, a painting block shows
//! when its thread ran (solid) and when it waited for a core ([`WAIT_MARK`]),
//! in proportion: three painters taking turns on one core each show about a
//! third of their block solid. Under the lanes, a row per core says who held
//! it ([`draw_cores`]); on a terminal too narrow for that, a line of shares.

use crate::model::schedule::{Segment, SegmentKind};
use crate::report::cores::{self, CoreLane, Held, On};
use crate::report::lanes::{self, Lanes, State, Unfinished};
use crate::report::svg::palette;

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Empty,
    Dry,
    /// Saving a finished picture.
    Save,
    /// Where something began that was never finished.
    Unfinished,
    /// Painting `n`; `label` is the character to show (a digit of `n`, or
    /// `None` for a plain block); `on`, what its thread did there.
    Paint {
        painting: u32,
        label: Option<char>,
        on: On,
    },
}

/// A lane's columns as its core rows tell them: what its thread did in
/// each ([`cores::lane_on`]), and the painting the rows give it there.
#[derive(Debug, Clone, Copy)]
struct Told<'a> {
    on: &'a [On],
    painting: &'a [Option<u32>],
}

/// Drawing options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Columns for the time axis.
    pub width: usize,
    /// The time at the right edge, shared by every timeline of a `compare`.
    pub span_s: f64,
    /// Columns for the lane labels.
    pub label_width: usize,
    /// Columns right of the time axis that the lines may use (at least 1,
    /// for the last tick): room for the axis's last label and for the CPU
    /// lines' percentages.
    pub right: usize,
    /// ANSI colours.
    pub color: bool,
}

/// Draws lanes and a time axis; one string per terminal line.
///
/// With the run's `cores`, a painting is solid in the columns where the
/// core rows ([`draw_cores`]) give the core to its thread, shaded where it
/// waited, and blank where it did neither: lanes and core rows agree column
/// by column, so three painters taking turns on one core are never solid in
/// the same column, and a lane is never solid over an idle core.
#[must_use]
pub fn draw(lanes: &Lanes, cores: &[CoreLane], style: Style) -> Vec<String> {
    let label_width = style.label_width;
    let mut lines = Vec::new();
    let held: Vec<Vec<Option<Held>>> =
        cores.iter().map(|core| cores::columns(&core.spans, style.span_s, style.width)).collect();
    for lane in lanes.iter() {
        let label = lane.label();
        // Gathered once: laying out the rows goes through them several times.
        let segments: Vec<&Segment> = lanes.segments_of(lane).collect();
        let states = lanes.states_of(lane);
        let on = (!held.is_empty()).then(|| {
            let remote = lane.host.is_some();
            cores::lane_on(&held, cores, lane.painter, lane.thread, remote, states, style.span_s, style.width)
        });
        // The painting the core rows give this thread, column by column.
        let given: Vec<Option<u32>> = (0..style.width)
            .map(|col| {
                held.iter().find_map(|row| match row.get(col).copied().flatten() {
                    Some(Held::Painter { painter, thread, painting })
                        if painter == lane.painter && thread == lane.thread =>
                    {
                        painting
                    }
                    _ => None,
                })
            })
            .collect();
        let told = on.as_deref().map(|on| Told { on, painting: &given });
        let (rows, over) = rows(segments.iter().copied(), lanes.unfinished_of(lane), states, told, style);
        for (i, row) in rows.iter().enumerate() {
            let label = if i == 0 { label.as_str() } else { "" };
            lines.push(format!("  {label:>label_width$} │{}", render(row, style.color)));
        }
        // Dryings that found no free row are drawn over the last one:
        // how many, so that none goes unsaid.
        if over > 0 {
            let dryings = if over == 1 { "drying" } else { "dryings" };
            let long = format!("↑ {over} more {dryings} at once, drawn over the row above");
            let room = style.width + style.right;
            let note = if long.chars().count() <= room { long } else { format!("↑ {over} more") };
            lines.push(format!("  {:>label_width$} │{note}", ""));
        }
    }
    let (ticks, labels) = axis(style);
    lines.push(format!("  {:>label_width$} └{ticks}", ""));
    lines.push(format!("  {:>label_width$}  {labels}", ""));
    lines
}

fn column(t: f64, style: Style) -> usize {
    if style.span_s <= 0.0 {
        return 0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let col = (t / style.span_s * style.width as f64).round().max(0.0) as usize;
    col.min(style.width)
}

/// Above this many paintings on one lane, blocks are drawn without their
/// numbers: a row of numbers run together would read as other numbers.
pub const MOST_NUMBERED: usize = 30;

/// Rows of drying under a lane at most; further overlapping dryings are
/// drawn over the last row.
pub const MOST_DRYING_ROWS: usize = 4;

/// Whether some lane has too many paintings for their numbers to be drawn.
#[must_use]
pub fn too_many_to_number(lanes: &Lanes) -> bool {
    lanes.most_painted() > MOST_NUMBERED
}

/// Lays a lane's segments out on rows: painting on the first, each coat's
/// drying on the first row where it fits.
fn rows<'a>(
    segments: impl Iterator<Item = &'a Segment> + Clone,
    unfinished: impl Iterator<Item = &'a Unfinished>,
    states: &[State],
    told: Option<Told<'_>>,
    style: Style,
) -> (Vec<Vec<Cell>>, usize) {
    let mut rows = vec![vec![Cell::Empty; style.width]];
    if style.width == 0 {
        return (rows, 0);
    }
    // Dryings drawn over the last row, for want of a free one.
    let mut over = 0;
    let cells = |from_s: f64, to_s: f64| {
        let start = column(from_s, style).min(style.width - 1);
        (start, column(to_s, style).max(start + 1))
    };
    let paints = segments.clone().filter(|s| s.kind == SegmentKind::Paint);
    // Each block's columns, as drawn, for its number.
    let mut blocks: Vec<(u32, usize, usize)> = Vec::new();
    #[allow(clippy::cast_precision_loss)]
    let column_s = style.span_s / style.width.max(1) as f64;
    for s in paints.clone() {
        let (mut start, mut end) = cells(s.start_s, s.end_s);
        match told {
            // As the core rows tell it, column by column: the block reaches
            // a column its painting shares where the row gives that column
            // to it, and leaves one the row gives to nobody.
            Some(told) if !states.is_empty() => {
                let ours = |col: usize| told.on[col] == On::Ran && told.painting[col] == Some(s.painting);
                #[allow(clippy::cast_precision_loss)]
                if start > 0 && ours(start - 1) && start as f64 * column_s > s.start_s {
                    start -= 1;
                }
                #[allow(clippy::cast_precision_loss)]
                if end < style.width && ours(end) && end as f64 * column_s < s.end_s {
                    end += 1;
                }
                let columns = told.on[start..end].iter().zip(&told.painting[start..end]);
                for (cell, (&on, &given)) in rows[0][start..end].iter_mut().zip(columns) {
                    *cell = match on {
                        On::Off => Cell::Empty,
                        on => Cell::Paint { painting: given.unwrap_or(s.painting), label: None, on },
                    };
                }
            }
            _ => {
                rows[0][start..end].fill(Cell::Paint { painting: s.painting, label: None, on: On::Ran });
                if !states.is_empty() {
                    mark_waiting(&mut rows[0][start..end], start, s, states, style);
                }
            }
        }
        blocks.push((s.painting, start, end));
    }
    if paints.clone().count() <= MOST_NUMBERED {
        for (painting, start, end) in blocks {
            let first =
                (start..end).find(|&col| matches!(rows[0][col], Cell::Paint { painting: p, .. } if p == painting));
            if let Some(first) = first {
                label(&mut rows[0], first, end, painting);
            }
        }
    }
    // A coat's drying (its file wait, then its network wait) is placed as
    // one piece, so that it stays on one row.
    let dryings = lanes::dryings(segments.clone());
    for drying in &dryings {
        // A wait too short to cover half a column is not drawn: it would
        // take a column it does not fill.
        if column(drying.to_s, style) <= column(drying.from_s, style) {
            continue;
        }
        let (mut start, end) = cells(drying.from_s, drying.to_s);
        // A column its painting's block left to the core row's nobody, at
        // the block's end, dries: the drying began in it.
        #[allow(clippy::cast_precision_loss)]
        if start > 0 && rows[0][start - 1] == Cell::Empty && start as f64 * column_s > drying.from_s {
            start -= 1;
        }
        let free = rows.iter().position(|row| row[start..end].iter().all(|&c| c == Cell::Empty));
        let row = match free {
            Some(row) => row,
            None if rows.len() <= MOST_DRYING_ROWS => {
                rows.push(vec![Cell::Empty; style.width]);
                rows.len() - 1
            }
            None => {
                over += 1;
                rows.len() - 1
            }
        };
        for cell in &mut rows[row][start..end] {
            if *cell == Cell::Empty || row > 0 {
                *cell = Cell::Dry;
            }
        }
    }
    // Saving is a small mark on the lane's first row, over its drying or
    // in a gap, never over painting.
    for s in segments.filter(|s| s.kind == SegmentKind::Save) {
        let (start, end) = cells(s.start_s, s.end_s);
        for cell in &mut rows[0][start..end] {
            if matches!(cell, Cell::Empty | Cell::Dry) {
                *cell = Cell::Save;
            }
        }
    }
    // What was begun and never finished is marked where it began, or just
    // after, where a block that ended there leaves no room.
    for u in unfinished {
        let (start, _) = cells(u.start_s, u.start_s);
        let free = (start..(start + 2).min(style.width)).find(|&col| !matches!(rows[0][col], Cell::Paint { .. }));
        if let Some(col) = free {
            rows[0][col] = Cell::Unfinished;
        }
    }
    (rows, over)
}

/// The mark for a painting's thread waiting for a core, for the legend.
pub const WAIT_MARK: char = '▒';

/// Marks the columns of painting `s` (from column `first`) where its thread
/// waited for a core, in proportion to the time it waited: each column
/// adds its share of running to a balance, and is solid when the balance
/// reaches half a column, so that a block a third of whose time ran is a
/// third solid however the turns fall on the columns.
fn mark_waiting(cells: &mut [Cell], first: usize, s: &Segment, states: &[State], style: Style) {
    #[allow(clippy::cast_precision_loss)]
    let column_s = style.span_s / style.width.max(1) as f64;
    let mut balance = 0.0;
    for (i, cell) in cells.iter_mut().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let from = ((first + i) as f64 * column_s).max(s.start_s);
        let to = ((first + i + 1) as f64 * column_s).min(s.end_s).max(from);
        let spent = lanes::spent(states, from, to);
        let (running, waiting) = (spent.running_s, spent.waiting_s);
        // A column whose states say nothing counts as running, as it did
        // before states were measured.
        let share = if running + waiting > 0.0 { running / (running + waiting) } else { 1.0 };
        balance += share;
        if balance >= 0.5 {
            balance -= 1.0;
        } else if let Cell::Paint { on, .. } = cell {
            *on = On::Waited;
        }
    }
}

/// The mark for another program holding a core, for the legend.
pub const OTHER_MARK: char = '▓';

/// The mark for a core no painter ran or waited on, for the legend.
pub const IDLE_MARK: char = '·';

/// Below this many columns of time axis, the cores are told as a line of
/// shares each rather than drawn.
pub const FEWEST_CORE_COLUMNS: usize = 30;

/// A row per core: who held it, column by column: the number (last digit)
/// of the painting its painter was painting (where the lanes carry numbers), in the painting's colour,
/// [`OTHER_MARK`] for another program, [`IDLE_MARK`] for nobody. Where
/// several held it within one column, each gets columns in proportion to
/// its time over the row, so that painters taking turns show taking turns.
/// On a time axis narrower than [`FEWEST_CORE_COLUMNS`], one line of shares
/// per core instead.
#[must_use]
pub fn draw_cores(cores: &[CoreLane], style: Style, numbered: bool) -> Vec<String> {
    let label_width = style.label_width;
    if style.width < FEWEST_CORE_COLUMNS {
        return cores.iter().map(|core| format!("  {}", core.share_line())).collect();
    }
    cores
        .iter()
        .map(|core| {
            let label = core.label();
            format!(
                "  {label:>label_width$} │{}",
                render_core(&cores::columns(&core.spans, style.span_s, style.width), style.color, numbered)
            )
        })
        .collect()
}

/// A core's row, as [`draw_cores`] says. A painting's number is written
/// where its stretch begins, unless the column before holds a number too
/// (turns one column long): then it is a block in its colour, so that no
/// two numbers run together into one that no painting has. Not
/// `numbered` (the lanes carry no numbers either), blocks only.
fn render_core(row: &[Option<Held>], color: bool, numbered: bool) -> String {
    let used = row.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    let mut marks = Vec::with_capacity(used);
    let mut before: Option<(Option<&Held>, char)> = None;
    for cell in &row[..used] {
        let (style, ch) = match cell {
            None => (None, ' '),
            Some(Held::Idle) => (None, IDLE_MARK),
            Some(Held::Other) => (Some("\x1b[38;5;245m".to_owned()), OTHER_MARK),
            Some(Held::Painter { painting: None, .. }) => (None, '█'),
            Some(held @ Held::Painter { painting: Some(n), .. }) => {
                let continues = before.is_some_and(|(cell, _)| cell == Some(held));
                let after_number = before.is_some_and(|(_, ch)| ch.is_ascii_digit());
                let digit = if continues || after_number || !numbered {
                    '█'
                } else {
                    char::from_digit(n % 10, 10).unwrap_or('█')
                };
                let colour = palette::painting(*n);
                let ink = colour.ink().ansi256();
                (Some(format!("\x1b[48;5;{}m\x1b[38;5;{ink}m", colour.ansi256())), digit)
            }
        };
        marks.push((style, ch));
        before = Some((cell.as_ref(), ch));
    }
    styled(marks, color)
}

/// A mark of the timeline, for a legend to show as the timeline draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Painting (painting 1's colour, as a cell of its block).
    Painting,
    /// A painting's thread waiting for a core.
    Waiting,
    /// Drying.
    Drying,
    /// Saving a picture.
    Saving,
    /// Begun, never finished.
    Unfinished,
    /// A painter on a core's row: painting 1's number in its colour.
    OnCore,
    /// Another program on a core's row.
    Other,
    /// Nobody on a core's row.
    Idle,
}

/// `key` as the timeline draws it, one column wide: on a colour terminal
/// painting is a cell of its painting's colour (the timeline draws no `█`
/// there), and the marks have the timeline's colours.
#[must_use]
pub fn key(key: Key, color: bool) -> String {
    let grey = || Some("\x1b[38;5;245m".to_owned());
    let one = palette::painting(1);
    let block = || Some(format!("\x1b[48;5;{}m\x1b[38;5;{}m", one.ansi256(), one.ink().ansi256()));
    let mark = match key {
        Key::Painting => (block(), if color { ' ' } else { '█' }),
        Key::Waiting => (Some(format!("\x1b[38;5;{}m", one.ansi256())), WAIT_MARK),
        Key::Drying => (grey(), '░'),
        Key::Saving => (None, SAVE_MARK),
        Key::Unfinished => (Some("\x1b[1;31m".to_owned()), UNFINISHED_MARK),
        Key::OnCore => (block(), '1'),
        Key::Other => (grey(), OTHER_MARK),
        Key::Idle => (None, IDLE_MARK),
    };
    styled([mark], color)
}

/// The mark for saving a picture, for the legend.
pub const SAVE_MARK: char = '▪';

/// The mark for what was begun and never finished, for the legend.
pub const UNFINISHED_MARK: char = '✗';

/// Writes painting `n`'s number at the start of its block (the cells from
/// `start` to `end` that are still its own), if the block has room for it
/// and it cannot be read together with a neighbour's number (another
/// coat's included): the block must be longer than the number, or end
/// where no other block begins.
fn label(row: &mut [Cell], start: usize, end: usize, n: u32) {
    let digits: Vec<char> = n.to_string().chars().collect();
    let length =
        row[start..end].iter().take_while(|c| matches!(c, Cell::Paint { painting, .. } if *painting == n)).count();
    let next_is_paint = matches!(row.get(start + length), Some(Cell::Paint { .. }));
    if length < digits.len() || (length == digits.len() && next_is_paint) {
        return;
    }
    for (cell, digit) in row[start..].iter_mut().zip(digits) {
        if let Cell::Paint { label, .. } = cell {
            *label = Some(digit);
        }
    }
}

fn render(row: &[Cell], color: bool) -> String {
    // Trailing empty cells are not drawn, so lines end where the work does.
    let used = row.iter().rposition(|&c| c != Cell::Empty).map_or(0, |i| i + 1);
    let mut marks = Vec::with_capacity(used);
    for &cell in &row[..used] {
        let (style, ch) = match cell {
            Cell::Empty => (None, ' '),
            Cell::Dry => (Some("\x1b[38;5;245m".to_owned()), '░'),
            Cell::Save => (None, SAVE_MARK),
            Cell::Unfinished => (Some("\x1b[1;31m".to_owned()), UNFINISHED_MARK),
            Cell::Paint { label, on, .. } if !color => (
                None,
                label.unwrap_or(match on {
                    On::Ran => '█',
                    On::Waited => WAIT_MARK,
                    On::Off => ' ',
                }),
            ),
            Cell::Paint { painting, label, on: On::Ran } => {
                let colour = palette::painting(painting);
                let ink = colour.ink().ansi256();
                (Some(format!("\x1b[48;5;{}m\x1b[38;5;{ink}m", colour.ansi256())), label.unwrap_or(' '))
            }
            Cell::Paint { painting, label, on } => {
                // Waiting, or off: the painting's colour as ink on no background.
                let mark = if on == On::Waited { WAIT_MARK } else { ' ' };
                (Some(format!("\x1b[38;5;{}m", palette::painting(painting).ansi256())), label.unwrap_or(mark))
            }
        };
        marks.push((style, ch));
    }
    styled(marks, color)
}

/// Marks with their terminal styles (an escape sequence that starts each,
/// or none) as one string: a style is started where it changes and reset
/// after, and none is written without `color`.
pub fn styled(marks: impl IntoIterator<Item = (Option<String>, char)>, color: bool) -> String {
    let mut out = String::new();
    let mut current: Option<String> = None;
    for (style, ch) in marks {
        let style = style.filter(|_| color);
        if style != current {
            if current.is_some() {
                out.push_str("\x1b[0m");
            }
            if let Some(start) = &style {
                out.push_str(start);
            }
            current = style;
        }
        out.push(ch);
    }
    if current.is_some() {
        out.push_str("\x1b[0m");
    }
    out
}

/// The axis line with ticks, and the labels under it.
fn axis(style: Style) -> (String, String) {
    const STEPS: [f64; 18] =
        [0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0];
    #[allow(clippy::cast_precision_loss)]
    let most_ticks = (style.width / 8).max(1) as f64;
    let step = STEPS.iter().copied().find(|&s| style.span_s / s <= most_ticks).unwrap_or(600.0);
    let mut ticks: Vec<char> = vec!['─'; style.width + 1];
    // The labels may reach as far right as the lines do.
    let room = style.width + style.right.max(1);
    let mut labels: Vec<char> = vec![' '; room];
    let mut tick = 0u32;
    loop {
        // Multiply rather than add, so that 0.1 + 0.1 + 0.1 does not drift.
        let t = f64::from(tick) * step;
        if t > style.span_s + 1e-9 {
            break;
        }
        tick += 1;
        let col = column(t, style);
        ticks[col] = '┬';
        let text: Vec<char> = if step < 1.0 {
            (format!("{t:.3}").trim_end_matches('0').trim_end_matches('.').to_owned() + "s").chars().collect()
        } else {
            format!("{t:.0}s").chars().collect()
        };
        // Centred under its tick, moved left if it would run past the
        // edge, and left out if it would touch the label before it.
        let start = col.saturating_sub(text.len() / 2).min(room.saturating_sub(text.len()));
        let end = start + text.len();
        let clear = labels[start.saturating_sub(1)..(end + 1).min(room)].iter().all(|&c| c == ' ');
        if end <= room && clear {
            labels[start..end].copy_from_slice(&text);
        }
    }
    (ticks.into_iter().collect(), labels.into_iter().collect::<String>().trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_run;

    /// One lane, `painter-0@0`, that did `segments`.
    fn lane(segments: Vec<Segment>) -> Lanes {
        Lanes::new(sample_run().painters.iter().map(Into::into), segments)
    }

    fn seg(painting: u32, kind: SegmentKind, start_s: f64, end_s: f64) -> Segment {
        Segment { painter: 0, lane: 0, painting, coat: 0, kind, start_s, end_s }
    }

    #[test]
    fn overlapping_drying_goes_on_extra_rows() {
        let segments = [
            seg(1, SegmentKind::Paint, 0.0, 1.0),
            seg(1, SegmentKind::FileWait, 1.0, 3.0),
            seg(2, SegmentKind::Paint, 1.0, 2.0),
            seg(2, SegmentKind::FileWait, 2.0, 4.0),
        ];
        let lines = draw(
            &lane(segments.to_vec()),
            &[],
            Style { width: 8, span_s: 4.0, label_width: 11, right: 3, color: false },
        );
        assert_eq!(lines[0], "  painter-0@0 │1█2█░░░░");
        assert_eq!(lines[1], "              │  ░░░░");
        assert!(lines[2].contains('└') && lines[3].contains("0s"));
    }

    #[test]
    fn dryings_beyond_the_rows_are_counted_under_the_lane() {
        // Eight paintings of 0.1 s, each drying 2 s: eight dryings at once
        // at 0.75 s. Four rows under the lane; the last painting's drying
        // fits on the lane itself, three more are drawn over the last row.
        let style = Style { width: 60, span_s: 3.0, label_width: 11, right: 3, color: false };
        let lines = draw(&lane(segments_of_eight()), &[], style);
        assert_eq!(lines.len(), 1 + MOST_DRYING_ROWS + 1 + 2, "{lines:#?}");
        assert_eq!(lines[1 + MOST_DRYING_ROWS], "              │↑ 3 more dryings at once, drawn over the row above");
        // Too narrow for the words: the count alone.
        let narrow = draw(&lane(segments_of_eight()), &[], Style { width: 12, ..style });
        let note = &narrow[1 + MOST_DRYING_ROWS];
        assert!(note.starts_with("              │↑ ") && note.ends_with(" more"), "{note}");
    }

    fn segments_of_eight() -> Vec<Segment> {
        (1..=8u32)
            .flat_map(|n| {
                let start = f64::from(n - 1) * 0.1;
                [
                    seg(n, SegmentKind::Paint, start, start + 0.1),
                    seg(n, SegmentKind::FileWait, start + 0.1, start + 2.1),
                ]
            })
            .collect()
    }

    #[test]
    fn numbers_never_run_together() {
        // Two coats of painting 7, then painting 8, a column each: no "77" or "78".
        let segments = [
            seg(7, SegmentKind::Paint, 0.0, 1.0),
            seg(7, SegmentKind::Paint, 1.0, 2.0),
            seg(8, SegmentKind::Paint, 2.0, 3.0),
            seg(9, SegmentKind::Paint, 4.0, 5.0),
            seg(12, SegmentKind::Paint, 6.0, 8.0),
        ];
        let lines = draw(
            &lane(segments.to_vec()),
            &[],
            Style { width: 8, span_s: 8.0, label_width: 1, right: 3, color: false },
        );
        // A block as long as its number stands alone only before a gap.
        assert_eq!(lines[0], "  painter-0@0 │██8 9 12");
    }

    #[test]
    fn past_the_limit_blocks_carry_no_numbers() {
        let segments: Vec<Segment> = (0..=MOST_NUMBERED as u32)
            .map(|i| seg(i + 1, SegmentKind::Paint, f64::from(i) * 3.0, f64::from(i) * 3.0 + 2.0))
            .collect();
        let lanes = lane(segments);
        assert!(too_many_to_number(&lanes));
        let lines = draw(&lanes, &[], Style { width: 93, span_s: 93.0, label_width: 1, right: 3, color: false });
        let (_, row) = lines[0].split_once('│').expect("a lane");
        assert!(!row.chars().any(|c| c.is_ascii_digit()), "{}", lines[0]);
    }

    #[test]
    fn what_was_never_finished_is_marked_where_it_began() {
        use protocol::{Effort, Event, EventKind};
        // Painting 1 is painted from 0 to 2 s; painting 2 is begun at 4 s,
        // and its painter fails.
        let event = |job, at_s: u64, kind| (0, Event { job, lane: 0, coat: 0, at_ns: at_s * 1_000_000_000, kind });
        let painted = EventKind::PaintFinished(Effort { cpu_ns: 0, run_delay_ns: 0 });
        let events =
            vec![event(1, 0, EventKind::PaintStarted), event(1, 2, painted), event(2, 4, EventKind::PaintStarted)];
        let outcome = crate::dispatch::Outcome { events, ..crate::dispatch::Outcome::default() };
        let lanes = Lanes::measured(&outcome, sample_run().painters.iter().map(Into::into), |ns| ns as f64 / 1e9);
        let lines = draw(&lanes, &[], Style { width: 8, span_s: 8.0, label_width: 11, right: 3, color: false });
        assert_eq!(lines[0], "  painter-0@0 │1█  ✗");
    }

    #[test]
    fn a_lane_of_tiny_paintings_is_solid_only_where_its_core_row_gives_it_the_core() {
        use protocol::ThreadState;

        use crate::report::cores::{Holder, build};
        use crate::report::lanes::State;
        // A thousand paintings of 0.1 ms, one a millisecond (as `--chunk 1`
        // hands them out), whose thread ran 0.3 ms of each millisecond and
        // sat off the rest, waiting for the next.
        let mut segments = Vec::new();
        let mut states = Vec::new();
        for n in 0..1000u32 {
            let t = f64::from(n) * 1e-3;
            segments.push(seg(n + 1, SegmentKind::Paint, t, t + 1e-4));
            let state = |state, start_s, end_s| State { painter: 0, state, start_s, end_s, core: 0, thread: 0 };
            states.push(state(ThreadState::Running, t, t + 3e-4));
            states.push(state(ThreadState::Off, t + 3e-4, t + 1e-3));
        }
        let lanes = lane(segments).with_states(states);
        let holders = [Holder { name: "painter-0".into(), pid: 4242, host: "vm".into(), remote: false }];
        let cores = build(&lanes, &holders, &[], 1.0);
        let style = Style { width: 50, span_s: 1.0, label_width: 11, right: 3, color: false };
        let lines = draw(&lanes, &cores, style);
        let (_, lane_row) = lines[0].split_once('│').expect("a lane");
        let core_row = draw_cores(&cores, style, false);
        let (_, core_row) = core_row[0].split_once('│').expect("a core");
        let (lane_row, core_row): (Vec<char>, Vec<char>) = (lane_row.chars().collect(), core_row.chars().collect());
        // Solid exactly where the core row gives the core to the painter,
        // blank where it says the core was idle: never solid over an idle core.
        for col in 0..50 {
            let lane = lane_row.get(col).copied().unwrap_or(' ');
            assert_eq!(
                lane == '█',
                core_row[col] == '█',
                "column {col}:\n{}\n{}",
                lines[0],
                core_row.iter().collect::<String>()
            );
            assert!(lane == '█' || lane == ' ', "column {col}: {}", lines[0]);
        }
        // And in proportion to the time it ran: about 30% of the columns.
        let solid = lane_row.iter().filter(|&&c| c == '█').count();
        assert!((13..=17).contains(&solid), "{solid} of 50 solid: {}", lines[0]);
    }

    #[test]
    fn painters_taking_turns_on_one_core_each_show_a_third_solid_and_the_core_shows_the_turns() {
        let run = crate::report::sample::three_taking_turns();
        let style = Style { width: 50, span_s: 1.0, label_width: 11, right: 3, color: false };
        let lines = draw(&run.timeline, &run.cores, style);
        for line in &lines[..3] {
            let (_, row) = line.split_once('│').expect("a lane");
            let solid = row.chars().filter(|&c| c == '█').count();
            let waiting = row.chars().filter(|&c| c == WAIT_MARK).count();
            // 45 columns of painting, the first holding its number.
            assert_eq!(solid + waiting, 44, "{line}");
            assert!((13..=16).contains(&solid), "a third of 45 columns solid: {line}");
        }
        // Taking turns: no column is solid in two lanes (a block's number
        // aside, in its first column).
        let rows: Vec<Vec<char>> =
            lines[..3].iter().map(|l| l.split_once('│').map_or(Vec::new(), |(_, r)| r.chars().collect())).collect();
        for col in 1..45 {
            let solid = rows.iter().filter(|row| row.get(col) == Some(&'█')).count();
            assert!(solid <= 1, "column {col} is solid in {solid} lanes: {lines:?}");
        }
        let cores = draw_cores(&run.cores, style, true);
        assert_eq!(cores.len(), 1);
        let (label, row) = cores[0].split_once('│').expect("a core's row");
        assert_eq!(label.trim(), "core 0");
        // Turns of 10 ms in columns of 20 ms: each painter gets a column in three.
        let row: Vec<char> = row.chars().collect();
        assert_eq!(row.len(), 50, "{}", cores[0]);
        // A column each: a number where a turn begins, unless the column
        // before has one (then a block in the painting's colour), so no two
        // numbers run together.
        assert!(row[..45].iter().all(|&c| c == '█' || c.is_ascii_digit()), "{}", cores[0]);
        assert!(row[..45].windows(2).all(|w| !(w[0].is_ascii_digit() && w[1].is_ascii_digit())), "{}", cores[0]);
        for digit in ['1', '2', '3'] {
            assert!(row[..45].iter().filter(|&&c| c == digit).count() >= 5, "{}", cores[0]);
        }
        assert!(row[45..].iter().all(|&c| c == IDLE_MARK), "{}", cores[0]);
        // Taking turns: in colour, no painting holds two columns running.
        let coloured = draw_cores(&run.cores, Style { color: true, ..style }, true);
        let (_, coloured) = coloured[0].split_once('│').expect("a core's row");
        // Columns per painting's colour: 15 each, and never more than two
        // running, as the turns fall on columns of 20 ms.
        let mut columns = std::collections::HashMap::new();
        for stretch in coloured.split("\x1b[48;5;").skip(1) {
            let ink = stretch.split('m').next().unwrap_or_default();
            let text = stretch.splitn(3, 'm').nth(2).unwrap_or_default().split('\x1b').next().unwrap_or_default();
            let n = text.chars().count();
            assert!(n <= 2, "taking turns: {coloured:?}");
            *columns.entry(ink.to_owned()).or_insert(0) += n;
        }
        assert_eq!(columns.len(), 3, "{coloured:?}");
        assert!(columns.values().all(|&n| n == 15), "{columns:?}");
        // Too narrow to draw: a line of shares per core.
        let narrow = draw_cores(&run.cores, Style { width: 20, ..style }, true);
        assert_eq!(narrow, ["  core 0: painter-0 30%, painter-1 30%, painter-2 30%, idle 10%"]);
    }

    #[test]
    fn axis_labels_stay_inside_the_lines() {
        let style = Style { width: 20, span_s: 1.0, label_width: 1, right: 3, color: false };
        let (ticks, labels) = axis(style);
        assert_eq!(ticks.chars().count(), 21);
        assert!(labels.chars().count() <= 23, "{labels:?}");
        assert!(labels.starts_with("0s") && labels.contains("1s"), "{labels:?}");
    }
}
