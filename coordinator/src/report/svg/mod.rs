//! The timeline as a picture (`--svg FILE`): the drawing from the lecture,
//! made from a measured run.
//!
//! One panel per mode, side by side on a 16:9 page (1600 × 900 unless the
//! panels need more room), every panel on the same time scale, so that a
//! `compare` reads like the board on a slide: a lane per painter (per thread in
//! `threads` mode), painting as a coloured block with the painting's
//! number, drying as two greys (the slow disk, then the slow network), the
//! measured wall time as a solid line and the ideal as a dashed one, and
//! under each painter a band with its CPU use over time, as sampled from
//! `/proc`: full while it paints, empty while it waits.
//!
//! Where the painters sent their threads' states, a painting block is
//! hatched and pale where its thread waited for a core, and under the
//! painters a row per core says who held it: a painter (its painting's
//! colour), another program (dark, named), or nobody (dashed outline).
//!
//! A painter on another host has its clock's bound drawn where its lane
//! starts (`clock-bound`): its blocks are placed by a measured offset.
//!
//! Plain SVG 1.1 with presentation attributes only, so that any viewer
//! draws it the same. Every block carries a `class` (`paint`, `file-wait`,
//! `net-wait`, `waiting`, `core-painter`, `core-other`, `core-idle`) and a
//! `<title>` (a tooltip in a browser).

mod axis;
mod blocks;
mod clock;
mod cores;
mod lanes;
mod legend;
mod markup;
pub mod palette;

use std::fmt::Write as _;

use crate::mode::Mode;
use crate::model::schedule::SegmentKind;
use crate::os::sampler::{CpuSample, EVERY};
use crate::report::explain;
use crate::report::{RunReport, lanes_are_threads};
use crate::term::format::{secs, spaced};
use crate::workload::Calibration;
use crate::workload::Workload;
use axis::{Axis, time_axis};
use blocks::{draw_segment, unfinished_mark};
use lanes::{painter_lanes, rows_height};
use legend::legend;
use markup::{text, wrap};
use protocol::Scheduler;

/// The page's width, in pixels, at the least: a 16:9 slide's 1600 × 900.
const PAGE: f64 = 1600.0;
/// Where the time axis starts in a panel: left of it, the lane labels.
const LEFT: f64 = 160.0;
/// Space right of the time axis, for the last tick's label.
const RIGHT: f64 = 36.0;
/// One row of blocks.
const ROW: f64 = 22.0;
/// Between two rows.
const GAP: f64 = 3.0;
/// The height of the mark for saving a picture.
const SAVE_MARK: f64 = 7.0;
/// Its width at the least: saving takes a millisecond or so, much less
/// than a pixel of a run of seconds.
const SAVE_MARK_WIDTH: f64 = 4.0;
/// A painter's CPU band.
const CPU_BAND: f64 = 26.0;

/// The ideal wall time.
const IDEAL: &str = "#c62828";
/// CPU use.
const CPU: &str = "#2e7d32";
/// Labels and lines.
const INK: &str = "#222222";
/// Quieter text.
const MUTED: &str = "#666666";

/// Writes the picture of one or more runs of one workload.
///
/// The picture is written as it is made, a lane's blocks at a time, so
/// that what is held is a few kilobytes of markup, not a panel's (some
/// megabytes for 100,000 paintings) nor the whole picture's. A first pass
/// lays the panels out to learn the picture's height, which the opening
/// `<svg>` tag needs, and drops what it drew.
///
/// # Errors
/// If `out` cannot be written.
pub fn write(
    workload: &Workload,
    calibration: &Calibration,
    runs: &[RunReport],
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    // The page is 16:9. Where the panels need more height than 1600 × 900
    // gives, the page grows wider, the panels with it (so their sentences
    // take fewer lines), until the height fits: text keeps its size.
    let mut width = PAGE;
    let mut layout = Layout::new(workload, calibration, runs, width)?;
    for _ in 0..6 {
        if layout.height <= width * 9.0 / 16.0 {
            break;
        }
        width = (layout.height * 16.0 / 9.0).ceil();
        layout = Layout::new(workload, calibration, runs, width)?;
    }
    let height = layout.height.max((width * 9.0 / 16.0).round());

    let mut scratch = String::new();
    scratch += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    let _ = writeln!(
        scratch,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="13">"#
    );
    let _ = writeln!(scratch, r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##);
    out.write_all(scratch.as_bytes())?;
    out.write_all(layout.head.as_bytes())?;
    let mut write = |markup: &mut String| {
        out.write_all(markup.as_bytes())?;
        markup.clear();
        Ok(())
    };
    let mut y = layout.top;
    for (row, height) in runs.chunks(layout.columns).zip(&layout.rows) {
        for (column, run) in row.iter().enumerate() {
            scratch.clear();
            panel(&mut scratch, run, &layout.axis(column), y + 18.0, workload.coats, &mut write)?;
            write(&mut scratch)?;
        }
        y += height;
    }
    y += 28.0;
    scratch.clear();
    for line in &layout.footer {
        text(&mut scratch, 20.0, y, line, &format!(r#"fill="{MUTED}" font-size="12""#));
        y += 16.0;
    }
    scratch += "</svg>\n";
    out.write_all(scratch.as_bytes())?;
    out.flush()
}

/// Where everything goes on a page `width` wide: the head (title and
/// legend), then the panels in rows of `columns`, then the footer.
struct Layout {
    /// The title and the legend, drawn.
    head: String,
    /// Below the head: where the first row of panels starts.
    top: f64,
    /// Panels side by side.
    columns: usize,
    /// A panel's width.
    panel_width: f64,
    /// The time span every panel shares.
    span_s: f64,
    /// Each row's height: its tallest panel's.
    rows: Vec<f64>,
    footer: Vec<String>,
    /// The whole page's height.
    height: f64,
}

impl Layout {
    /// Lays the page out: a first pass draws the panels to learn their
    /// heights (which the opening `<svg>` tag needs) and drops what it drew.
    fn new(workload: &Workload, calibration: &Calibration, runs: &[RunReport], width: f64) -> std::io::Result<Self> {
        let span_s = runs.iter().map(|r| r.wall_s.max(r.ideal_s)).fold(0.0, f64::max);
        // Side by side: the five modes of a compare in rows of three, four
        // in two rows of two.
        let columns = match runs.len() {
            0 | 1 => 1,
            2 | 4 => 2,
            _ => 3,
        };
        #[allow(clippy::cast_precision_loss)] // a few panels
        let panel_width = (width / columns as f64).floor();
        let footer = "ideal: the same paintings on the same painters with no overhead at all (no messages, no wake-ups, nothing else running); efficiency = ideal ÷ measured.";
        let footer = wrap(footer, chars_in(width));
        let mut head = String::new();
        let y = title(&mut head, workload, calibration, runs, width);
        let saves = runs.iter().any(|r| r.timeline.saves());
        let unfinished = runs.iter().any(|r| !r.timeline.unfinished().is_empty());
        let states = runs.iter().any(|r| r.timeline.has_states());
        let core_rows = runs.iter().any(|r| !r.cores.is_empty());
        let dries = runs.iter().any(|r| r.timeline.dries());
        if states {
            cores::defs(&mut head);
        }
        let keys = legend::Keys { coats: workload.coats, saves, unfinished, states, cores: core_rows, dries };
        let top = legend(&mut head, y, width, keys);
        let mut layout = Self { head, top, columns, panel_width, span_s, rows: Vec::new(), footer, height: 0.0 };
        let mut scratch = String::new();
        let mut drop = |markup: &mut String| {
            markup.clear();
            Ok(())
        };
        for row in runs.chunks(columns) {
            let mut tallest: f64 = 0.0;
            for (column, run) in row.iter().enumerate() {
                let bottom = panel(&mut scratch, run, &layout.axis(column), 18.0, workload.coats, &mut drop)?;
                scratch.clear();
                tallest = tallest.max(bottom);
            }
            layout.rows.push(tallest);
        }
        #[allow(clippy::cast_precision_loss)] // a few lines
        let footer_height = 16.0 * layout.footer.len() as f64;
        layout.height = (top + layout.rows.iter().sum::<f64>() + 28.0 + footer_height).ceil();
        Ok(layout)
    }

    /// The axis of the panel in `column`.
    #[allow(clippy::cast_precision_loss)] // a few panels
    fn axis(&self, column: usize) -> Axis {
        Axis::new(self.span_s, self.panel_width).at(self.panel_width * column as f64)
    }
}

/// The picture as a string (for tests).
#[cfg(test)]
#[must_use]
pub fn render(workload: &Workload, calibration: &Calibration, runs: &[RunReport]) -> String {
    let mut out = Vec::new();
    write(workload, calibration, runs, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// The title and what was painted; returns the y below them.
fn title(out: &mut String, workload: &Workload, calibration: &Calibration, runs: &[RunReport], width: f64) -> f64 {
    let n = workload.paintings;
    let what = match runs {
        [run] => format!("{n} paintings, {} mode", run.mode.name()),
        _ => format!("the same {n} paintings, {} ways", runs.len()),
    };
    text(out, 20.0, 32.0, &format!("atelier: {what}"), r#"font-size="20" font-weight="bold""#);
    let coats = match workload.coats {
        1 => String::new(),
        n => format!("{n} coats, each "),
    };
    let line = format!(
        "each painting: {coats}{} of painting (CPU work), then {} of drying ({} disk + {} network wait) · cores {}",
        spaced(calibration.paint().as_secs_f64()),
        spaced(workload.dry().as_secs_f64()),
        spaced(workload.file_wait.as_secs_f64()),
        spaced(workload.net_wait.as_secs_f64()),
        workload.cores_text(),
    );
    let again = if calibration.strokes > 0 { explain::again(workload, calibration) } else { String::new() };
    let line = if again.is_empty() { line } else { format!("{line} · again: {again}") };
    // Long durations or core lists may need a second line; the command
    // that paints the pictures again is never broken.
    let mut y = 36.0;
    for line in markup::wrap_keeping(&line, &again, chars_in(width) * 12 / 13) {
        y += 18.0;
        text(out, 20.0, y, &line, &format!(r#"fill="{MUTED}""#));
    }
    y + 10.0
}

/// About how many characters of 12 px text fit across a picture `width` wide.
fn chars_in(width: f64) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a few hundred
    let chars = ((width - 40.0) / 6.4) as usize;
    chars
}

/// What takes the markup made so far, and leaves `out` empty: it writes
/// it, or, when the picture is only being laid out, drops it.
type Flush<'a> = dyn FnMut(&mut String) -> std::io::Result<()> + 'a;

/// Markup held at most before it is handed to [`Flush`], about.
const HELD: usize = 64 * 1024;

/// One run: a header, its lanes, CPU bands, wall lines, axis and sentence;
/// returns the y below it. The markup goes to `flush` as it grows.
fn panel(
    out: &mut String,
    run: &RunReport,
    axis: &Axis,
    y: f64,
    coats: u32,
    flush: &mut Flush<'_>,
) -> std::io::Result<f64> {
    let x0 = axis.x0;
    panel_header(out, run, axis, y);
    let top = y + 58.0;
    // Grid lines first, so that everything else is drawn over them.
    let mut y = top;
    let rows_of: Vec<_> = painter_lanes(run).collect();
    let height: f64 = rows_of
        .iter()
        .map(|(_, lanes)| lanes.iter().map(|l| rows_height(l.rows.len())).sum::<f64>() + CPU_BAND + GAP)
        .sum::<f64>()
        + rows_height(run.cores.len());
    for t in axis.ticks() {
        let x = axis.x(t);
        let _ =
            writeln!(out, r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#eeeeee"/>"##, top + height);
    }
    // The ideal end goes behind the blocks: where it falls inside the
    // work, the blocks hide it rather than it striking through them. Its
    // label is below the lanes, beside the line.
    let ideal_x = axis.x(run.ideal_s);
    let _ = writeln!(
        out,
        r#"<line class="ideal" x1="{ideal_x:.1}" y1="{top:.1}" x2="{ideal_x:.1}" y2="{:.1}" stroke="{IDEAL}" stroke-width="2" stroke-dasharray="6,4"/>"#,
        top + height + 14.0
    );
    // Who held each core, strip by strip: the core rows, and where each
    // lane ran.
    let held = cores::held(&run.cores, axis);
    for (painter, lanes) in &rows_of {
        if let (Some(first), Some(report)) = (lanes.first(), run.painters.get(*painter)) {
            clock::bound(out, report, first, axis, y);
        }
        for lane in lanes {
            let on = crate::report::cores::lane_on(
                &held,
                &run.cores,
                lane.painter,
                lane.thread,
                lane.remote,
                lane.states,
                axis.span_s,
                cores::strips(axis),
            );
            draw_lane(out, lane, &on, axis, y, coats, flush)?;
            y += rows_height(lane.rows.len());
        }
        y = cpu_band(out, run, *painter, axis, y) + GAP;
    }
    for (core, held) in run.cores.iter().zip(&held) {
        cores::core_row(out, core, held, axis, y);
        y += rows_height(1);
        if out.len() > HELD {
            flush(out)?;
        }
    }
    let bottom = y;

    // The measured end is where the last block ends: it can be drawn over
    // them, and is labelled above the lanes.
    let wall_x = axis.x(run.wall_s);
    let _ = writeln!(
        out,
        r#"<line class="measured" x1="{wall_x:.1}" y1="{:.1}" x2="{wall_x:.1}" y2="{bottom:.1}" stroke="{INK}" stroke-width="2"/>"#,
        top - 14.0
    );
    side_label(out, wall_x, top - 4.0, &format!("measured {}", secs(run.wall_s)), INK, axis.right());
    side_label(out, ideal_x, bottom + 12.0, &format!("ideal {}", secs(run.ideal_s)), IDEAL, axis.right());

    let y = time_axis(out, axis, bottom + 18.0);
    let mut y = y + 6.0;
    for line in wrap(&run.explanation, chars_in(axis.width)) {
        y += 16.0;
        text(out, x0 + 20.0, y, &line, &format!(r#"fill="{MUTED}" font-size="12""#));
    }
    out.push_str("</g>\n");
    Ok(y)
}

/// A panel's opening and header: the mode, who painted, and the speedup
/// and efficiency (the times are on the lines below, the header says what
/// they mean).
fn panel_header(out: &mut String, run: &RunReport, axis: &Axis, y: f64) {
    let _ = writeln!(out, r#"<g class="panel" id="{}">"#, run.mode.name());
    text(out, axis.x0 + 20.0, y + 16.0, run.mode.name(), r#"font-size="16" font-weight="bold""#);
    // Who painted, on a line of its own: beside the summary it would not
    // fit a panel a third of a slide wide.
    text(out, axis.x0 + 20.0, y + 34.0, &who(run), &format!(r#"fill="{MUTED}""#));
    let speedup = match run.speedup {
        _ if run.mode == Mode::Sequential => "the baseline · ".to_owned(),
        Some(s) => format!("{s:.2}× as fast as sequential · "),
        None => String::new(),
    };
    let summary = format!("{speedup}efficiency {}", explain::efficiency(run));
    text(out, axis.right(), y + 16.0, &summary, r#"text-anchor="end" font-weight="bold""#);
}

/// One lane at `y`: its label, its blocks (solid where the core rows give
/// its thread a core, strip by strip, hatched where it waited for one,
/// blank where neither, as `on` says), and a mark where something begun
/// never finished.
#[allow(clippy::cast_precision_loss)] // a few rows
fn draw_lane(
    out: &mut String,
    lane: &lanes::Lane<'_>,
    on: &[crate::report::cores::On],
    axis: &Axis,
    y: f64,
    coats: u32,
    flush: &mut Flush<'_>,
) -> std::io::Result<()> {
    text(out, axis.x0 + 20.0, y + ROW / 2.0 + 4.5, &lane.label, "");
    // Dryings beyond the rows are drawn over the last one: how many.
    if lane.over > 0 && lane.rows.len() > 1 {
        let more = if lane.over == 1 { "drying" } else { "dryings" };
        let last = y + (lane.rows.len() - 1) as f64 * (ROW + GAP);
        let note = format!("+{} more {more} here", lane.over);
        text(
            out,
            axis.x0 + 20.0,
            last + ROW / 2.0 + 4.5,
            &note,
            &format!(r#"class="over" fill="{MUTED}" font-size="12""#),
        );
    }
    for (row, segments) in lane.rows.iter().enumerate() {
        let row_y = y + row as f64 * (ROW + GAP);
        for segment in segments {
            draw_segment(out, segment, axis, row_y, coats);
            if segment.kind == SegmentKind::Paint && !lane.states.is_empty() {
                cores::waits(out, segment, on, axis, row_y);
            }
            if out.len() > HELD {
                flush(out)?;
            }
        }
    }
    for u in &lane.unfinished {
        let what = match u.kind {
            SegmentKind::Paint => format!("painting {}, coat {}", u.painting, u.coat + 1),
            SegmentKind::FileWait => format!("disk wait: painting {}, coat {}", u.painting, u.coat + 1),
            SegmentKind::NetWait => format!("network wait: painting {}, coat {}", u.painting, u.coat + 1),
            SegmentKind::Save => format!("saving: painting {}", u.painting),
        };
        let tip = format!("begun at {:.3} s and never finished: {what}", u.start_s);
        unfinished_mark(out, axis.x(u.start_s), y, Some(&tip));
    }
    Ok(())
}

/// Who painted in a run, in a few words.
fn who(run: &RunReport) -> String {
    let how = match run.painters.first().map(|p| p.scheduler) {
        Some(Scheduler::Async) => "async (paints while others dry)",
        _ => "blocking (waits while it dries)",
    };
    match (run.processes, lanes_are_threads(run)) {
        (_, true) => format!("1 painter process, {} threads, each blocking", run.lanes),
        (1, false) => format!("1 painter process, {how}"),
        (n, false) => format!("{n} painter processes, each {how}"),
    }
}

/// A painter's CPU use, as a filled step line in a band from idle (bottom)
/// to all its cores busy (top); returns the y below the band.
fn cpu_band(out: &mut String, run: &RunReport, painter: usize, axis: &Axis, y: f64) -> f64 {
    let Some(report) = run.painters.get(painter) else { return y };
    let bottom = y + CPU_BAND - 2.0;
    // As `top` says it: 100% is one core, a process with two threads can reach 200%.
    let mean = crate::report::sparkline::average(run, report);
    // Full is all the cores its threads could use at once: 4 threads on 2 cores fill them at 200%.
    let cores = crate::report::sparkline::cores(run, report);
    // The band is full at all its cores; the figure is top's, where 100%
    // is one core, so a painter of two cores can show up to 200%.
    let label = match (mean, cores) {
        (None, _) => "CPU use".to_owned(),
        (Some(m), 0 | 1) => format!("CPU {:.0}%", m * 100.0),
        (Some(m), cores) => format!("CPU {:.0}% (max {}%)", m * 100.0, cores * 100),
    };
    text(out, axis.x0 + 20.0, y + CPU_BAND / 2.0 + 4.0, &label, &format!(r#"fill="{CPU}" font-size="12""#));
    let _ = writeln!(
        out,
        r##"<rect class="cpu-band" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#f3f7f3"/>"##,
        axis.left(),
        axis.x(run.wall_s) - axis.left(),
        CPU_BAND - 2.0
    );
    let points = steps(&report.cpu_samples, run.wall_s, f64::from(cores));
    if !points.is_empty() {
        let to_xy = |&(t, used): &(f64, f64)| format!("{:.1},{:.1}", axis.x(t), bottom - used * (CPU_BAND - 4.0));
        let line: Vec<String> = points.iter().map(to_xy).collect();
        let first = points.first().map_or(0.0, |p| p.0);
        let last = points.last().map_or(0.0, |p| p.0);
        let _ = writeln!(
            out,
            r#"<polygon points="{:.1},{bottom:.1} {} {:.1},{bottom:.1}" fill="{CPU}" fill-opacity="0.25" stroke="none"/>"#,
            axis.x(first),
            line.join(" "),
            axis.x(last)
        );
        let _ = writeln!(
            out,
            r#"<polyline class="cpu" points="{}" fill="none" stroke="{CPU}" stroke-width="1.5"/>"#,
            line.join(" ")
        );
    }
    y + CPU_BAND
}

/// The samples as a step line of (time, share of `cores`) from 0 to
/// `wall_s`: each sample holds since the one before it.
fn steps(samples: &[CpuSample], wall_s: f64, cores: f64) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let mut previous = samples.first().map_or(0.0, |s| s.t_s - EVERY.as_secs_f64());
    for sample in samples {
        let (from, to) = (previous.max(0.0), sample.t_s.min(wall_s));
        previous = sample.t_s;
        if to <= from {
            continue;
        }
        // The kernel counts whole ticks, so a busy stretch can read a
        // little over its cores; the band shows it as full.
        let used = (sample.cpu / cores).clamp(0.0, 1.0);
        points.push((from, used));
        points.push((to, used));
    }
    // The last moments of a run may fall after the last look: they keep
    // the level before them.
    if let Some(&(t, used)) = points.last()
        && t < wall_s
    {
        points.push((wall_s, used));
    }
    points
}

/// A label beside a vertical line: right of it, or left of it near the
/// panel's right edge (`right`).
fn side_label(out: &mut String, x: f64, y: f64, label: &str, colour: &str, right: f64) {
    let (x, anchor) = if x > right - 110.0 { (x - 5.0, "end") } else { (x + 5.0, "start") };
    text(out, x, y, label, &format!(r#"fill="{colour}" font-size="12" text-anchor="{anchor}""#));
}

/// Seconds, as `400 ms` or `1.5 s`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::{sample_run, sample_workload};

    #[test]
    fn cpu_use_is_a_step_line_up_to_the_end() {
        let samples =
            [CpuSample { t_s: 0.05, cpu: 1.3 }, CpuSample { t_s: 0.1, cpu: 0.5 }, CpuSample { t_s: 0.15, cpu: 0.0 }];
        assert_eq!(
            steps(&samples, 0.12, 1.0),
            vec![(0.0, 1.0), (0.05, 1.0), (0.05, 0.5), (0.1, 0.5), (0.1, 0.0), (0.12, 0.0)]
        );
        assert_eq!(steps(&samples[..1], 0.08, 1.0), vec![(0.0, 1.0), (0.05, 1.0), (0.08, 1.0)]);
    }

    #[test]
    fn a_block_per_segment() {
        let workload = sample_workload();
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 400_000, core: Some(0) };
        let svg = render(&workload, &calibration, &[sample_run()]);
        assert!(svg.starts_with("<?xml") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches(r#"class="paint""#).count(), 2);
        assert_eq!(svg.matches(r#"class="file-wait""#).count(), 2);
        assert_eq!(svg.matches(r#"class="net-wait""#).count(), 2);
        assert_eq!(svg.matches(r#"class="cpu""#).count(), 1);
        assert!(svg.contains("ideal 1.20s") && svg.contains("measured 1.20s"));
        assert!(!svg.contains("clock-bound"), "a painter on this machine reads this machine's clock");
    }

    #[test]
    fn a_remote_painters_clock_bound_is_drawn_where_its_lane_starts() {
        let workload = sample_workload();
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 400_000, core: Some(0) };
        let mut run = sample_run();
        let painter = &mut run.painters[0];
        (painter.remote, painter.host, painter.clock_offset_s, painter.clock_bound_s) =
            (true, "h2".into(), 1000.0, 0.05);
        (painter.clock_drift_ppm, painter.clock_drift_bound_ppm) = (Some(-2.0), Some(150.0));
        let svg = render(&workload, &calibration, &[run.clone()]);
        assert_eq!(svg.matches(r#"class="clock-bound""#).count(), 1, "{svg}");
        assert!(svg.contains(
            "<title>clock of h2: 1000.000000s ahead of this machine ±50ms, drift -2 ±150 ppm (first ping to last)</title>"
        ));
        // ±0.05 s around the first block's start (0 s) on a 1.2 s axis: the
        // bar spans 0.1 s of it (the left end clamped at the axis's start).
        let axis = Layout::new(&workload, &calibration, std::slice::from_ref(&run), PAGE).expect("laid out").axis(0);
        let bar = format!(r#"x1="{:.1}" y1="#, axis.x(-0.05));
        let end = format!(r#"x2="{:.1}""#, axis.x(0.05));
        assert!(svg.contains(&bar) && svg.contains(&end), "{bar} … {end} in {svg}");
    }

    #[test]
    fn painters_taking_turns_are_two_thirds_hatched_and_their_core_row_shows_the_turns() {
        let workload = sample_workload();
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 300_000, core: Some(0) };
        let run = crate::report::sample::three_taking_turns();
        let svg = render(&workload, &calibration, std::slice::from_ref(&run));
        let widths = |class: &str| -> f64 {
            svg.lines()
                .filter(|l| l.contains(&format!(r#"class="{class}""#)))
                .filter_map(|l| l.split(r#"width=""#).nth(1)?.split('"').next()?.parse::<f64>().ok())
                .sum()
        };
        let axis = Axis::new(1.2, PAGE);
        let block = axis.x(0.9) - axis.x(0.0);
        // Each of three blocks waited two thirds of its time.
        let hatched = widths("waiting") / (3.0 * block);
        assert!((hatched - 2.0 / 3.0).abs() < 0.05, "{hatched} of the blocks hatched");
        assert!(svg.contains(r#"id="waiting""#) && svg.contains("waiting for a core"));
        let on_core = widths("core-painter");
        assert!(
            (on_core / block - 1.0).abs() < 0.02,
            "core 0 held by painters for the blocks' length: {on_core} of {block}"
        );
        // Ninety turns of 10 ms, each about 2.5 strips: drawn as turns.
        let turns = svg.matches(r#"class="core-painter""#).count();
        assert!((80..=100).contains(&turns), "{turns} turns drawn");
        for n in 1..=3 {
            assert!(svg.contains(&palette::painting(n).hex()), "painting {n}'s colour on the core");
        }
        assert!(
            svg.contains("core 0, ") && svg.contains(": drawn as painter-1") && svg.contains(r#"class="core-idle""#)
        );
    }

    #[test]
    fn lanes_on_one_core_are_never_solid_at_once_and_are_solid_where_the_core_row_gives_them_the_core() {
        let workload = sample_workload();
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 300_000, core: Some(0) };
        let run = crate::report::sample::three_taking_turns();
        let svg = render(&workload, &calibration, std::slice::from_ref(&run));
        // (class, x, y, width, fill) of every rectangle.
        let rects: Vec<(String, f64, f64, f64, String)> = svg
            .lines()
            .filter(|l| l.starts_with("<rect class="))
            .filter_map(|l| {
                let attr = |name: &str| l.split(&format!(r#" {name}=""#)).nth(1)?.split('"').next().map(str::to_owned);
                let number = |name: &str| attr(name)?.parse::<f64>().ok();
                Some((attr("class")?, number("x")?, number("y")?, number("width")?, attr("fill")?))
            })
            .collect();
        let covers = |r: &(String, f64, f64, f64, String), x: f64| r.1 <= x && x < r.1 + r.3;
        let lanes: Vec<f64> = {
            let mut ys: Vec<f64> = rects.iter().filter(|r| r.0 == "paint").map(|r| r.2).collect();
            ys.dedup();
            ys
        };
        assert_eq!(lanes.len(), 3, "three lanes: {lanes:?}");
        let axis = Layout::new(&workload, &calibration, std::slice::from_ref(&run), PAGE).expect("laid out").axis(0);
        let (mut x, mut checked) = (axis.x(0.0) + 1.0, 0);
        while x < axis.x(0.9) - 1.0 {
            // Which lanes are solid here: their block, not hatched, not blanked.
            let solid: Vec<usize> = (0..3)
                .filter(|&lane| {
                    let y = lanes[lane];
                    let here = |class: &str| rects.iter().any(|r| r.0 == class && r.2 == y && covers(r, x));
                    here("paint") && !here("waiting") && !here("off")
                })
                .collect();
            assert!(solid.len() <= 1, "at x {x}, lanes {solid:?} are solid at once");
            // The core row gives the core, here, to the painting of the solid lane.
            let core = rects.iter().find(|r| r.0.starts_with("core-") && covers(r, x)).expect("the core row");
            match solid.first() {
                Some(&lane) => {
                    assert_eq!(core.4, palette::painting(lane as u32 + 1).hex(), "at x {x}");
                    checked += 1;
                }
                None => assert_ne!(core.0, "core-idle", "at x {x}: all three waited, yet the core was idle"),
            }
            x += 1.0;
        }
        assert!(checked > 100, "{checked} pixels solid");
    }

    #[test]
    fn five_modes_fit_a_slide_side_by_side_with_every_label_and_mark_readable() {
        let workload = sample_workload();
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 400_000, core: Some(0) };
        let runs: Vec<RunReport> = Mode::ALL
            .iter()
            .map(|&mode| {
                let mut run = sample_run();
                run.mode = mode;
                // A picture saved in a millisecond: far under a pixel.
                let mut segments = run.timeline.segments().to_vec();
                let save = |start_s: f64| crate::model::schedule::Segment {
                    kind: SegmentKind::Save,
                    start_s,
                    end_s: start_s + 0.001,
                    ..segments[0]
                };
                segments.extend([save(0.4), save(0.8)]);
                run.timeline = crate::report::lanes::Lanes::new([(&run.painters[0]).into()], segments);
                run
            })
            .collect();
        let svg = render(&workload, &calibration, &runs);
        let document = roxmltree::Document::parse(&svg).expect("XML");
        let root = document.root_element();
        assert_eq!((root.attribute("width"), root.attribute("height")), (Some("1600"), Some("900")));
        let number = |node: roxmltree::Node<'_, '_>, name: &str| -> f64 {
            node.attribute(name).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name} on {node:?}"))
        };
        // Every label at least 12 px: its own size, or the picture's 13.
        for label in root.descendants().filter(|n| n.has_tag_name("text")) {
            let size = label.attribute("font-size").map_or(13.0, |v| v.parse().expect("a size"));
            assert!(size >= 12.0, "{size} px: {:?}", label.text());
        }
        // Three panels side by side in the first row, two in the second.
        let left = |mode: &str| {
            let panel = root.descendants().find(|n| n.attribute("id") == Some(mode)).expect("a panel");
            let title = panel.descendants().find(|n| n.has_tag_name("text")).expect("a title");
            (number(title, "x"), number(title, "y"))
        };
        let (sequential, asynchronous, parallel) = (left("sequential"), left("async"), left("parallel"));
        assert!(sequential.1 == asynchronous.1 && asynchronous.1 == parallel.1, "one row");
        assert!(sequential.0 < asynchronous.0 && asynchronous.0 < parallel.0, "side by side");
        assert!(left("hybrid").1 > sequential.1 && left("hybrid").0 == sequential.0, "the next row");
        // Every mark visible: a saving is at least 4 × 7 px.
        let saves: Vec<_> = root.descendants().filter(|n| n.attribute("class") == Some("save")).collect();
        assert_eq!(saves.len(), 10);
        assert!(saves.iter().all(|s| number(*s, "width") >= 4.0 && number(*s, "height") >= 7.0));
        // The command that paints the pictures again is on one line.
        let again = root.descendants().filter_map(|n| n.text()).find(|t| t.contains("--strokes")).expect("the hint");
        assert!(again.contains("--strokes 400000 --seed 1 --coats 1"), "{again}");
    }

    #[test]
    fn a_taller_picture_stays_16_by_9_and_its_text_keeps_its_size() {
        let workload = sample_workload();
        let calibration = Calibration { stroke_ns: 1000.0, strokes: 400_000, core: Some(0) };
        let mut run = sample_run();
        run.explanation = "A long sentence of many words. ".repeat(120);
        let svg = render(&workload, &calibration, &[run.clone(), run.clone(), run]);
        let document = roxmltree::Document::parse(&svg).expect("XML");
        let root = document.root_element();
        let size = |name: &str| root.attribute(name).and_then(|v| v.parse::<f64>().ok()).expect("a size");
        let (width, height) = (size("width"), size("height"));
        assert!(width > 1600.0 && (width / height - 16.0 / 9.0).abs() < 0.01, "{width} × {height}");
        assert!(
            root.descendants()
                .filter_map(|n| n.attribute("font-size"))
                .all(|s| s.parse::<f64>().unwrap_or(0.0) >= 12.0)
        );
    }

    #[test]
    fn four_threads_on_two_cores_are_full_at_200_percent() {
        let mut run = sample_run();
        run.painters[0].lanes = 4;
        run.painters[0].cores = vec![0, 1, 0, 1];
        let mut out = String::new();
        cpu_band(&mut out, &run, 0, &Axis::new(1.2, PAGE), 0.0);
        assert!(out.contains("(max 200%)") && !out.contains("400%"), "{out}");
    }
}
