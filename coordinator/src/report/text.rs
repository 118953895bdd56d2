//! The human report: a header, the table of runs, and per run its
//! timeline and its sentence.

use std::fmt::Write as _;

use crate::report::cores::CoreLane;
use crate::report::lanes::Lanes;
use crate::report::timeline::{self, Style};
use crate::report::{RunReport, count, lanes_are_threads, threads_host};
use crate::report::{explain, sparkline};
use crate::term::format;
use crate::workload::Calibration;
use crate::workload::Workload;
use protocol::Scheduler;

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Terminal width.
    pub columns: usize,
    /// ANSI colours.
    pub color: bool,
}

/// The narrowest terminal the report is laid out for: a narrower one gets
/// lines this wide.
pub const MIN_COLUMNS: usize = 40;

/// The whole report for one or more runs of one workload. Every line fits
/// in `options.columns` (at least [`MIN_COLUMNS`]).
#[must_use]
pub fn render(workload: &Workload, calibration: &Calibration, runs: &[RunReport], options: Options) -> String {
    let columns = options.columns.max(MIN_COLUMNS);
    let mut out = header(workload, calibration, columns);
    out.push('\n');
    out += &table(runs, columns);
    // Over --hosts, `threads` has one host's cores: the table says why.
    for run in runs {
        if let Some(host) = threads_host(run) {
            let idle: Vec<&str> =
                workload.hosts.iter().flatten().filter(|h| h.hostname != host).map(|h| h.name.as_str()).collect();
            let mut why = format!(
                "{}: a process runs on one host, so this one ran on {host} alone, with {} for {host}'s cores",
                run.mode.name(),
                count(run.lanes, "thread")
            );
            if !idle.is_empty() {
                why += &format!("; {} painted nothing", idle.join(", "));
            }
            out += &wrap(&why, columns, "  ");
        }
    }
    out.push('\n');
    out += &keys(workload, runs, columns, options.color);
    // One time axis and one label column for every timeline, so that a
    // `compare` lines its modes up one above the other.
    let span_s = runs.iter().map(|r| r.wall_s.max(r.ideal_s)).fold(0.0, f64::max);
    let cpu_labels = runs.iter().flat_map(|r| &r.painters).map(|p| format!("cpu p{}", p.id).len());
    let core_labels = runs.iter().flat_map(|r| &r.cores).map(|c| c.label().chars().count());
    let label_width =
        runs.iter().map(|r| r.timeline.widest_label()).chain(cpu_labels).chain(core_labels).max().unwrap_or(0).max(3);
    let style = timeline_style(columns, label_width, sparkline::widest_suffix(runs), span_s, options.color);
    for run in runs {
        out.push('\n');
        out += &section(run, style, columns);
    }
    out.push('\n');
    out += &paintings(runs, calibration, columns);
    out
}

/// The timeline's layout in `columns`: `  label │` on the left, the time
/// axis, and `right` columns after it for the CPU lines' percentages and
/// the axis's last label.
#[must_use]
pub(crate) fn timeline_style(columns: usize, label_width: usize, right: usize, span_s: f64, color: bool) -> Style {
    let right = right.max(3);
    let width = columns.saturating_sub(label_width + 4 + right).clamp(10, 160);
    Style { width, span_s, label_width, right, color }
}

/// A timeline as text: its lanes, then `under` (the CPU lines), its core
/// rows and its time axis; on a time axis too narrow for core rows, a line
/// of shares per core after it. A run's and the plan's alike.
pub(crate) fn timeline_with_cores(
    lanes: &Lanes,
    cores: &[CoreLane],
    under: Vec<String>,
    style: Style,
    columns: usize,
) -> String {
    let mut lines = timeline::draw(lanes, cores, style);
    // The axis is the last two lines: what goes under the lanes goes above it.
    let axis = lines.split_off(lines.len().saturating_sub(2));
    lines.extend(under);
    let narrow = style.width < timeline::FEWEST_CORE_COLUMNS;
    let numbered = !timeline::too_many_to_number(lanes);
    if !narrow {
        lines.extend(timeline::draw_cores(cores, style, numbered));
    }
    lines.extend(axis);
    let mut out = String::new();
    for line in lines {
        out += &line;
        out.push('\n');
    }
    if narrow {
        for line in timeline::draw_cores(cores, style, numbered) {
            out += &wrap(line.trim_start(), columns, "  ");
        }
    }
    out
}

/// The key to the timelines: a mark for each thing they draw, and only
/// for what they draw, each shown as the timeline shows it.
fn keys(workload: &Workload, runs: &[RunReport], columns: usize, color: bool) -> String {
    use timeline::Key;
    let mark = |k: Key| timeline::key(k, color);
    let states = runs.iter().any(|run| run.timeline.has_states());
    let painting = if workload.coats > 1 {
        "painting a coat, starting with the painting's number (each coat its own block)"
    } else {
        "painting, starting with its number"
    };
    // With states, a painting is solid only where its thread had a core.
    let painting = if states {
        format!(
            "{painting}, solid in the columns its core row gives its thread (blank where it neither held nor waited for a core)"
        )
    } else {
        painting.to_owned()
    };
    let mut items = vec![Item::new("", mark(Key::Painting), &painting)];
    if states {
        items.push(Item::new("", mark(Key::Waiting), "waiting for a core: ready to paint, while another held it"));
    }
    let dries = runs.iter().any(|run| run.timeline.dries());
    if dries {
        items.push(Item::new("", mark(Key::Drying), "drying: slow disk, then slow network"));
    }
    if runs.iter().any(|run| run.timeline.saves()) {
        // Where coats dry, the picture is made while the last one dries
        // (where the painter has the time) and written once it is dry.
        let saving = if dries {
            "saving the picture: made while its last coat dries where there is time, then written once dry, so often two marks a painting"
        } else {
            "saving the picture"
        };
        items.push(Item::new("", mark(Key::Saving), saving));
    }
    if runs.iter().any(|run| !run.timeline.unfinished().is_empty()) {
        items.push(Item::new("", mark(Key::Unfinished), "begun, never finished: its painter failed or was stopped"));
    }
    let mut out = legend(&items, columns);
    if runs.iter().any(|run| !run.cores.is_empty()) {
        let cores = [
            Item::new("core rows, who held each core: ", mark(Key::OnCore), core_row_key(color)),
            Item::new("", mark(Key::Other), "another program (or the coordinator)"),
            Item::new("", mark(Key::Idle), "idle (no painter ran or waited there)"),
        ];
        out += &legend(&cores, columns);
    }
    if runs.iter().flat_map(|r| &r.painters).any(sparkline::drawn) {
        out += &wrap(
            "▁▂▃▄▅▆▇█ cpu: how busy each painter process was, from ▁ idle to █ every core it could use; after it, \
             its average over the run as top shows it, where 100% is one core",
            columns,
            "  ",
        );
    }
    out
}

/// What a core row's painter mark means, for a legend: the same for a run
/// and for the plan.
pub(crate) fn core_row_key(color: bool) -> &'static str {
    if color {
        "a painter, in its painting's colour, with the number (last digit) where its turn begins, unless the column before holds a number; a turn shorter than a column is drawn as columns in proportion; under a blank lane, its thread ran between paintings"
    } else {
        "a painter, with its painting's number (last digit) where its turn begins, unless the column before holds a number (then the solid lane above says whose); a turn shorter than a column is drawn as columns in proportion; under a blank lane, its thread ran between paintings"
    }
}

/// A key of a legend: words before its mark, the mark as drawn (one
/// column, perhaps with its colours), and what it means.
pub(crate) struct Item {
    before: String,
    mark: String,
    words: String,
}

impl Item {
    pub(crate) fn new(before: &str, mark: String, words: &str) -> Self {
        Self { before: before.to_owned(), mark, words: words.to_owned() }
    }

    /// The key with a stand-in for its mark, as wide as it shows.
    fn plain(&self) -> String {
        format!("{}{STAND_IN} {}", self.before, self.words)
    }
}

/// Stands in for a key's mark while lines are laid out: one column, and
/// never in the words.
const STAND_IN: char = '\u{e000}';

/// Items side by side, three spaces apart, on as many lines as `columns`
/// needs; an item longer than a line is wrapped.
pub(crate) fn legend(items: &[Item], columns: usize) -> String {
    const GAP: &str = "   ";
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        let plain = item.plain();
        if !line.is_empty() && 2 + line.chars().count() + GAP.len() + plain.chars().count() > columns {
            out += &wrap(&line, columns, "  ");
            line.clear();
        }
        if !line.is_empty() {
            line += GAP;
        }
        line += &plain;
    }
    if !line.is_empty() {
        out += &wrap(&line, columns, "  ");
    }
    // The marks, in the order they were laid out.
    let mut marks = items.iter().map(|item| item.mark.as_str());
    out.chars().map(|c| if c == STAND_IN { marks.next().unwrap_or("?").to_owned() } else { c.to_string() }).collect()
}

/// Paintings listed in the text report; `--json` has them all.
const MAX_LISTED: usize = 24;

/// One row per painting: its checksum, who painted it in each run, and
/// where the file is. The checksums are the same in every mode: the same
/// picture, whoever painted it.
fn paintings(runs: &[RunReport], calibration: &Calibration, columns: usize) -> String {
    let Some(first) = runs.first().filter(|r| !r.paintings.is_empty()) else { return String::new() };
    let mut headers = vec![("painting".to_owned(), Align::Right), ("checksum".to_owned(), Align::Left)];
    headers.extend(runs.iter().map(|run| (run.mode.name().to_owned(), Align::Left)));
    let mut rows = Vec::new();
    let mut differs = Vec::new();
    for painting in first.paintings.iter().take(MAX_LISTED) {
        let mut row = vec![painting.id.to_string(), painting.checksum.clone()];
        for run in runs {
            let cell = match run.paintings.iter().find(|p| p.id == painting.id) {
                Some(p) => {
                    if p.checksum != painting.checksum {
                        differs.push(format!("#{} in {}", p.id, run.mode.name()));
                    }
                    let core = p.core.map_or_else(String::new, |c| format!("@{c}"));
                    if lanes_are_threads(run) { format!("t{}{core}", p.lane) } else { format!("p{}{core}", p.painter) }
                }
                None => "missing".to_owned(),
            };
            row.push(cell);
        }
        rows.push(row);
    }
    let mut out = grid(&headers, &rows, 2, columns);
    if first.paintings.len() > MAX_LISTED {
        out += &wrap(&format!("… {} more in --json", first.paintings.len() - MAX_LISTED), columns, "  ");
    }
    out += &wrap("pK@C: painter-K on core C; tL@C: its thread L on core C", columns, "  ");
    match first.paintings.iter().find_map(|p| p.path.as_deref()) {
        Some(path) => {
            if let Some(folder) = std::path::Path::new(path).parent().and_then(|p| p.parent()) {
                out += &wrap(&format!("files: {}/<mode>/painting-NNN.png", folder.display()), columns, "  ");
            }
        }
        None if calibration.strokes == 0 => {
            out += &wrap("files: none (nothing was painted: zero strokes have no picture)", columns, "  ");
        }
        None => out += &wrap("files: none (no painting of the first run was saved)", columns, "  "),
    }
    if !differs.is_empty() {
        out += &wrap(&format!("different pictures, which should never happen: {}", differs.join(", ")), columns, "  ");
    } else if runs.len() > 1 && calibration.strokes == 0 {
        out +=
            &wrap("The same checksums in every mode: nothing was painted, so no picture could differ.", columns, "  ");
    } else if runs.len() > 1 {
        out += &wrap("The same checksums in every mode: the same pictures, whoever painted them.", columns, "  ");
    }
    out
}

/// How a column of a [`grid`] is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A table that fits in `columns`: as many columns side by side as fit,
/// the rest in further blocks below, each block starting with the first
/// column again so that every row can still be told apart.
pub(crate) fn grid(headers: &[(String, Align)], rows: &[Vec<String>], gap: usize, columns: usize) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .chain([headers[i].0.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut block = vec![0];
    let mut used = widths.first().copied().unwrap_or(0);
    for i in 1..headers.len() {
        if used + gap + widths[i] > columns && block.len() > 1 {
            blocks.push(std::mem::replace(&mut block, vec![0]));
            used = widths[0];
        }
        block.push(i);
        used += gap + widths[i];
    }
    blocks.push(block);
    let mut out = String::new();
    for (b, block) in blocks.iter().enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let header: Vec<&str> = headers.iter().map(|(h, _)| h.as_str()).collect();
        for line in std::iter::once(header).chain(rows.iter().map(|r| r.iter().map(String::as_str).collect())) {
            let mut text = String::new();
            for (n, &i) in block.iter().enumerate() {
                if n > 0 {
                    text.push_str(&" ".repeat(gap));
                }
                let cell = line.get(i).copied().unwrap_or("");
                let w = widths[i];
                match headers[i].1 {
                    Align::Left => {
                        let _ = write!(text, "{cell:<w$}");
                    }
                    Align::Right => {
                        let _ = write!(text, "{cell:>w$}");
                    }
                }
            }
            out += text.trim_end();
            out.push('\n');
        }
    }
    out
}

fn header(workload: &Workload, calibration: &Calibration, columns: usize) -> String {
    let each = if workload.coats == 1 { "1 coat each".to_owned() } else { format!("{} coats each", workload.coats) };
    let mut out = wrap(&format!("atelier: {} paintings, {each}", workload.paintings), columns, "");
    // The flags that paint the pictures again are a command: never broken.
    let again = if calibration.strokes > 0 { explain::again(workload, calibration) } else { String::new() };
    out += &wrap_keeping(&explain::paint_line(workload, calibration), &again, columns, "  ");
    out += &wrap(
        &format!(
            "dry {} a coat = {} disk + {} network",
            format::given(workload.dry()),
            format::given(workload.file_wait),
            format::given(workload.net_wait)
        ),
        columns,
        "  ",
    );
    let placed = match &workload.hosts {
        Some(hosts) => {
            let each: Vec<String> = hosts
                .iter()
                .map(|h| {
                    let cores = h.cores.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
                    format!("{} (cores {cores}, {}, probed in {})", h.name, h.launcher, format::secs(h.probe_s))
                })
                .collect();
            format!("hosts {}", each.join(", "))
        }
        None => format!("cores {} ({} allowed to this process)", workload.cores_text(), workload.allowed_cores.len()),
    };
    // Zero strokes make no picture: nothing is saved, as the last lines say too.
    let saved = if calibration.strokes == 0 {
        "nothing to paint, so no picture is saved".to_owned()
    } else {
        format!("paintings saved in {}", workload.out.display())
    };
    out += &wrap(&format!("{placed}; {saved}"), columns, "  ");
    out
}

fn table(runs: &[RunReport], columns: usize) -> String {
    let names = ["mode", "processes", "threads", "cores", "wall", "speedup", "ideal", "efficiency", "cpu"];
    let headers: Vec<(String, Align)> =
        names.iter().map(|&name| (name.to_owned(), if name == "mode" { Align::Left } else { Align::Right })).collect();
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|run| {
            vec![
                run.mode.name().to_owned(),
                run.processes.to_string(),
                run.lanes.to_string(),
                run.core_count.to_string(),
                format::column(run.wall_s),
                run.speedup.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}×")),
                format::column(run.ideal_s),
                explain::efficiency(run),
                format::column(run.cpu_s),
            ]
        })
        .collect();
    grid(&headers, &rows, 2, columns)
}

fn section(run: &RunReport, style: Style, columns: usize) -> String {
    let how = match run.painters.first().map(|p| p.scheduler) {
        Some(Scheduler::Async) => "tokio current-thread",
        _ => "blocking",
    };
    let who = match (run.processes, lanes_are_threads(run)) {
        (_, true) => match threads_host(run) {
            Some(host) => format!(
                "1 painter process on {host}, {}: a process runs on one host, on that host's cores",
                count(run.lanes, &format!("{how} thread"))
            ),
            None => format!("1 painter process, {}", count(run.lanes, &format!("{how} thread"))),
        },
        (1, false) => format!("1 painter process, {how}"),
        (n, false) => format!("{n} painter processes, {how}"),
    };
    let mut out = wrap(&format!("{} — {who}", run.mode.name()), columns, "");
    // CPU use goes under the lanes, above the core rows.
    out += &timeline_with_cores(&run.timeline, &run.cores, sparkline::lines(run, style), style, columns);
    if let Some(source) = run.state_source {
        let how = match source {
            "switch-events" => "from the kernel's context switches",
            _ => "each painter timing its own thread",
        };
        let resolution = run.painters.iter().filter_map(|p| p.state_resolution_s).fold(0.0, f64::max);
        let resolution = match resolution {
            r if r < 1e-6 => format!("{:.0}ns", r * 1e9),
            r if r < 1e-3 => format!("{:.0}µs", r * 1e6),
            r => format::fine(r),
        };
        let note = format!("(running and waiting for a core: {how}, {source}, to {resolution})");
        out += &wrap(&note, columns, "  ");
    }
    // Remote lanes are placed by each host's measured clock, within its bound.
    for clock in crate::report::clocks::of_run(run) {
        out += &wrap(&format!("(clock {})", clock.line()), columns, "  ");
    }
    if timeline::too_many_to_number(&run.timeline) {
        let note = format!(
            "(over {} paintings on a painter's row: blocks without numbers; --json lists each)",
            timeline::MOST_NUMBERED
        );
        out += &wrap(&note, columns, "  ");
    }
    let prose = columns.min(120);
    out += &wrap(&run.explanation, prose, "  ");
    for failure in &run.failures {
        let mut text = format!("! {}", failure.what);
        if !failure.retried.is_empty() {
            let _ = write!(text, "; handed out again: {}", crate::dispatch::ids(&failure.retried));
        }
        out += &wrap(&text, prose, "  ");
    }
    for lost in &run.lost {
        out += &wrap(&format!("! painting #{} was lost: {}", lost.id, lost.why), prose, "  ");
    }
    out
}

/// Wraps `text` into lines of at most `width` characters, each starting
/// with `indent`; the spaces between words are kept where no line breaks,
/// and a word longer than a line (a long path) is broken where the line ends.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let room = width.saturating_sub(indent.chars().count()).max(1);
    let mut out = String::new();
    let mut line = String::new();
    let mut length = 0;
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        let gap_end = after.find(|c: char| !c.is_whitespace()).unwrap_or(after.len());
        let (gap, next) = after.split_at(gap_end);
        let mut word: Vec<char> = word.chars().collect();
        if length > 0 && length + word.len() > room {
            out += indent;
            out += line.trim_end();
            out.push('\n');
            line.clear();
            length = 0;
        }
        // A word that no line can hold is cut where the lines end.
        while word.len() > room - length {
            let cut = room - length;
            line.extend(word.drain(..cut));
            out += indent;
            out += &line;
            out.push('\n');
            line.clear();
            length = 0;
        }
        length += word.len();
        line.extend(word);
        length += gap.chars().count();
        line += gap;
        rest = next;
    }
    if !line.trim_end().is_empty() || out.is_empty() {
        out += indent;
        out += line.trim_end();
        out.push('\n');
    }
    out
}

/// [`wrap`], with `keep` (a command, say) never broken where it fits a
/// line.
pub(crate) fn wrap_keeping(text: &str, keep: &str, width: usize, indent: &str) -> String {
    // A stand-in for the spaces inside `keep`, which no text holds.
    const JOINED: char = '\u{e001}';
    if keep.is_empty() || keep.chars().count() > width.saturating_sub(indent.chars().count()) {
        return wrap(text, width, indent);
    }
    let joined = text.replacen(keep, &keep.replace(' ', &JOINED.to_string()), 1);
    wrap(&joined, width, indent).replace(JOINED, " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_and_a_long_word_is_cut_at_the_edge() {
        let text = wrap("files: /a/very/long/path/that/no/line/can/hold and more", 20, "  ");
        assert_eq!(text, "  files:\n  /a/very/long/path/\n  that/no/line/can/h\n  old and more\n");
        // Spaces inside a line stay as they were.
        assert_eq!(wrap("a   b", 20, ""), "a   b\n");
        assert!(wrap(&"word ".repeat(50), 33, "  ").lines().all(|l| l.chars().count() <= 33));
    }

    #[test]
    fn the_command_that_paints_again_is_never_broken() {
        let line = "paint 400ms a coat = 7307 strokes of 54.7 µs (measured on core 0); --strokes 7307 --seed 1 --coats 1 paints these pictures again";
        let keep = "--strokes 7307 --seed 1 --coats 1";
        for width in 40..=130 {
            let text = wrap_keeping(line, keep, width, "  ");
            assert!(text.lines().any(|l| l.contains(keep)), "{width} columns:\n{text}");
            assert!(text.lines().all(|l| l.chars().count() <= width), "{width} columns:\n{text}");
        }
        assert!(wrap(line, 80, "  ").lines().all(|l| !l.contains(keep)), "plain wrapping breaks it at 80");
    }

    #[test]
    fn a_table_too_wide_goes_on_in_blocks_that_repeat_its_first_column() {
        let headers: Vec<(String, Align)> =
            ["mode", "wall", "speedup"].iter().map(|h| ((*h).to_owned(), Align::Right)).collect();
        let rows = vec![vec!["async".to_owned(), "1.00s".to_owned(), "2.00×".to_owned()]];
        assert_eq!(grid(&headers, &rows, 2, 40), " mode   wall  speedup\nasync  1.00s    2.00×\n");
        assert_eq!(grid(&headers, &rows, 2, 14), " mode   wall\nasync  1.00s\n\n mode  speedup\nasync    2.00×\n");
    }

    #[test]
    fn painters_taking_turns_are_drawn_with_their_waits_and_their_core() {
        use crate::report::sample::{sample_workload, three_taking_turns};
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 300_000, core: Some(0) };
        let run = three_taking_turns();
        let text =
            render(&sample_workload(), &calibration, std::slice::from_ref(&run), Options { columns: 80, color: false });
        assert!(text.contains("▒ waiting for a core"), "{text}");
        assert!(text.contains("core rows, who held each core: 1 a painter"), "{text}");
        // Without colour, a turn drawn as a plain block is said to be named by the lanes.
        assert!(
            text.contains("the solid lane above says whose") && !text.contains("colour, with the number"),
            "{text}"
        );
        assert!(text.lines().any(|l| l.trim_start().starts_with("core 0 │")), "{text}");
        assert!(text.contains("switch-events"), "{text}");
        let narrow = render(&sample_workload(), &calibration, &[run], Options { columns: 40, color: false });
        assert!(narrow.contains("core 0: painter-0 30%"), "{narrow}");
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
    }

    #[test]
    fn the_legend_keys_only_what_the_timelines_draw_and_as_they_draw_it() {
        use crate::model::schedule::SegmentKind;
        use crate::report::lanes::Lanes;
        use crate::report::sample::{sample_run, sample_workload};
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 400_000, core: Some(0) };
        let text = render(&sample_workload(), &calibration, &[sample_run()], Options { columns: 80, color: false });
        assert!(text.contains("█ painting, starting with its number") && text.contains("░ drying"), "{text}");
        // Nothing dried: no key for drying.
        let mut run = sample_run();
        let painted = run.timeline.segments().iter().filter(|s| s.kind == SegmentKind::Paint).cloned().collect();
        run.timeline = Lanes::new([(&run.painters[0]).into()], painted);
        let text = render(&sample_workload(), &calibration, &[run], Options { columns: 80, color: false });
        assert!(!text.contains("drying"), "{text}");
        // On a colour terminal painting is a coloured cell, as the lanes draw it, not `█`.
        let text = render(&sample_workload(), &calibration, &[sample_run()], Options { columns: 80, color: true });
        let key = text.lines().find(|l| l.contains("painting, starting with its number")).expect("the key");
        assert!(
            key.starts_with("  \x1b[48;5;") && key.contains("m \x1b[0m painting,") && !key.contains('█'),
            "{key:?}"
        );
        let lane = text.lines().find(|l| l.contains("painter-0@0")).expect("the lane");
        assert!(!lane.contains('█') && lane.contains("\x1b[48;5;"), "{lane:?}");
    }

    #[test]
    fn the_table_of_five_modes_of_ten_seconds_and_more_fits_80_columns() {
        use crate::mode::Mode;
        use crate::report::sample::sample_run;
        let runs: Vec<RunReport> = Mode::ALL
            .iter()
            .map(|&mode| {
                let mut run = sample_run();
                (run.mode, run.wall_s, run.ideal_s, run.cpu_s, run.speedup) = (mode, 36.04, 35.98, 12.04, Some(1.0));
                run
            })
            .collect();
        let table = table(&runs, 80);
        assert_eq!(table.lines().count(), 6, "one block, a header and five rows:\n{table}");
        assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
        assert!(table.lines().nth(1).is_some_and(|l| l.contains("36.0s") && l.ends_with("12.0s")), "{table}");
        assert_eq!(
            [format::column(3.6), format::column(9.996), format::column(123.4), format::column(99_999.0)],
            ["3.60s", "10.0s", "123s", "99999s"]
        );
    }

    #[test]
    fn with_nothing_to_paint_the_header_says_nothing_is_saved() {
        use crate::report::sample::{sample_run, sample_workload};
        let nothing = Calibration { stroke_ns: 0.0, strokes: 0, core: None };
        let mut run = sample_run();
        for painting in &mut run.paintings {
            painting.path = None;
        }
        let text = render(&sample_workload(), &nothing, &[run.clone()], Options { columns: 80, color: false });
        assert!(text.contains("nothing to paint, so no picture is saved") && !text.contains("saved in"), "{text}");
        assert!(text.contains("files: none (nothing was painted"), "{text}");
        // Two modes' checksums alike, with no picture behind them.
        let text = render(&sample_workload(), &nothing, &[run.clone(), run], Options { columns: 200, color: false });
        assert!(
            text.contains("nothing was painted, so no picture could differ") && !text.contains("the same pictures")
        );
    }

    #[test]
    fn legend_keys_go_on_as_many_lines_as_they_need() {
        let items = [Item::new("", "█".into(), "one"), Item::new("a: ", "░".into(), "two")];
        assert_eq!(legend(&items, 80), "  █ one   a: ░ two\n");
        assert_eq!(legend(&items, 12), "  █ one\n  a: ░ two\n");
        // In colour, the mark keeps its colours and takes one column.
        let coloured = [Item::new("", "\x1b[31m█\x1b[0m".into(), "one"), Item::new("", "░".into(), "two")];
        assert_eq!(legend(&coloured, 15), "  \x1b[31m█\x1b[0m one   ░ two\n");
    }
}
