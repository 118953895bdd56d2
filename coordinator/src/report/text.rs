//! The human report: a header, the table of runs, and per run its
//! timeline and its sentence.

use std::fmt::Write as _;

use crate::calibrate::Calibration;
use crate::report::timeline::{self, Lane, Style};
use crate::report::{RunReport, lanes_are_threads};
use crate::report::{explain, sparkline};
use crate::workload::Workload;

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Terminal width.
    pub columns: usize,
    /// ANSI colours.
    pub color: bool,
}

/// The whole report for one or more runs of one workload.
#[must_use]
pub fn render(workload: &Workload, calibration: &Calibration, runs: &[RunReport], options: Options) -> String {
    let mut out = header(workload, calibration);
    out.push('\n');
    out += &table(runs);
    out.push('\n');
    out += "  █ painting, starting with its number   ░ drying: slow disk, then slow network\n";
    if runs.iter().flat_map(|r| &r.painters).any(|p| !p.cpu_samples.is_empty()) {
        out +=
            "  ▁▂▃▄▅▆▇█ cpu: how busy each painter process was (█ all its cores), then its average as top shows it\n";
    }
    // One time axis and one label column for every timeline, so that a
    // `compare` lines its modes up one above the other.
    let span_s = runs.iter().map(|r| r.wall_s.max(r.ideal_s)).fold(0.0, f64::max);
    let timelines: Vec<Vec<Lane<'_>>> = runs.iter().map(lanes).collect();
    let label_width = timelines.iter().flatten().map(|l| l.label.chars().count()).max().unwrap_or(0).max(7);
    let width = options.columns.saturating_sub(label_width + 6).clamp(20, 160);
    let style = Style { width, span_s, label_width, color: options.color };
    for (run, lanes) in runs.iter().zip(&timelines) {
        out.push('\n');
        out += &section(run, lanes, style, options.columns);
    }
    out.push('\n');
    out += &paintings(runs);
    out
}

/// Who painted: `painter-K@C`, or `thread-L@C` in `threads` mode.
pub(crate) fn lane_label(threads: bool, painter: u32, lane: u32, core: Option<u32>) -> String {
    let core = core.map_or_else(String::new, |c| format!("@{c}"));
    if threads { format!("thread-{lane}{core}") } else { format!("painter-{painter}{core}") }
}

/// Paintings listed in the text report; `--json` has them all.
const MAX_LISTED: usize = 24;

/// One row per painting: its checksum, who painted it in each run, and
/// where the file is. The checksums are the same in every mode: the same
/// picture, whoever painted it.
fn paintings(runs: &[RunReport]) -> String {
    let Some(first) = runs.first().filter(|r| !r.paintings.is_empty()) else { return String::new() };
    let widths: Vec<usize> = runs.iter().map(|r| r.mode.name().len().max(6)).collect();
    let mut out = format!("{:>8}  {:<16}", "painting", "checksum");
    for (run, width) in runs.iter().zip(&widths) {
        let _ = write!(out, "  {:<width$}", run.mode.name());
    }
    out.push('\n');
    let mut differs = Vec::new();
    for painting in first.paintings.iter().take(MAX_LISTED) {
        let _ = write!(out, "{:>8}  {:<16}", painting.id, painting.checksum);
        for (run, width) in runs.iter().zip(&widths) {
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
            let _ = write!(out, "  {cell:<width$}");
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    if first.paintings.len() > MAX_LISTED {
        let _ = writeln!(out, "{:>8}  … {} more in --json", "", first.paintings.len() - MAX_LISTED);
    }
    out += "  pK@C: painter-K on core C; tL@C: its thread L on core C\n";
    match first.paintings.iter().find_map(|p| p.path.as_deref()) {
        Some(path) => {
            if let Some(folder) = std::path::Path::new(path).parent().and_then(|p| p.parent()) {
                let _ = writeln!(out, "  files: {}/<mode>/painting-NNN.png", folder.display());
            }
        }
        None => {
            out += "  files: none (nothing was painted: zero strokes have no picture)
"
        }
    }
    if !differs.is_empty() {
        let _ = writeln!(out, "  different pictures, which should never happen: {}", differs.join(", "));
    } else if runs.len() > 1 {
        out += "  The same checksums in every mode: the same pictures, whoever painted them.\n";
    }
    out
}

fn header(workload: &Workload, calibration: &Calibration) -> String {
    let each = if workload.coats == 1 { "1 coat each".to_owned() } else { format!("{} coats each", workload.coats) };
    let mut out = format!("atelier: {} paintings, {each}\n", workload.paintings);
    let _ = write!(out, "  paint {:>7} a coat", human(workload.paint));
    if calibration.strokes > 0 {
        let _ = write!(out, " = {} strokes of {:.1} µs", calibration.strokes, calibration.stroke_ns / 1000.0);
        if let Some(core) = calibration.core {
            let _ = write!(out, " (measured on core {core})");
        }
    }
    let _ = writeln!(
        out,
        "\n  dry   {:>7} a coat = {} disk + {} network",
        human(workload.dry()),
        human(workload.file_wait),
        human(workload.net_wait)
    );
    let _ = writeln!(
        out,
        "  cores {} ({} allowed to this process); paintings saved in {}",
        workload.cores_text(),
        workload.allowed_cores.len(),
        workload.out.display()
    );
    out
}

fn human(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn table(runs: &[RunReport]) -> String {
    let mut out = format!(
        "{:<11} {:>9} {:>7} {:>5} {:>7} {:>7} {:>7} {:>10} {:>7}\n",
        "mode", "processes", "threads", "cores", "wall", "speedup", "ideal", "efficiency", "cpu"
    );
    for run in runs {
        let speedup = run.speedup.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}×"));
        let _ = writeln!(
            out,
            "{:<11} {:>9} {:>7} {:>5} {:>6.2}s {:>7} {:>6.2}s {:>10} {:>6.2}s",
            run.mode.name(),
            run.processes,
            run.lanes,
            run.cores,
            run.wall_s,
            speedup,
            run.ideal_s,
            explain::efficiency(run),
            run.cpu_s
        );
    }
    out
}

/// The lanes of a run's timeline: one per painter, or per thread.
fn lanes(run: &RunReport) -> Vec<Lane<'_>> {
    let threads = lanes_are_threads(run);
    let mut lanes = Vec::new();
    for (index, painter) in run.painters.iter().enumerate() {
        for lane in 0..painter.lanes {
            let label = lane_label(threads, painter.id, lane, painter.cores.get(lane as usize).copied());
            let segments = run.segments.iter().filter(|s| s.painter == index && s.lane == lane).collect();
            lanes.push(Lane { label, segments });
        }
    }
    lanes
}

fn section(run: &RunReport, lanes: &[Lane<'_>], style: Style, columns: usize) -> String {
    let how = match run.painters.first().map(|p| p.scheduler) {
        Some("async") => "tokio current-thread",
        _ => "blocking",
    };
    let who = match (run.processes, lanes_are_threads(run)) {
        (_, true) => format!("1 painter process, {} {how} threads", run.lanes),
        (1, false) => format!("1 painter process, {how}"),
        (n, false) => format!("{n} painter processes, {how}"),
    };
    let mut out = format!("{} — {who}\n", run.mode.name());
    let mut lines = timeline::draw(lanes, style);
    // CPU use goes under the lanes, above the time axis (the last two lines).
    let axis = lines.split_off(lines.len().saturating_sub(2));
    lines.extend(sparkline::lines(run, style));
    lines.extend(axis);
    for line in lines {
        out += &line;
        out.push('\n');
    }
    out += &wrap(&run.explanation, columns.clamp(40, 120), "  ");
    for failure in &run.failures {
        let mut text = format!("! {}", failure.what);
        if !failure.retried.is_empty() {
            let _ = write!(text, "; handed out again: {}", crate::dispatch::ids(&failure.retried));
        }
        out += &wrap(&text, columns.clamp(40, 120), "  ");
    }
    for lost in &run.lost {
        out += &wrap(&format!("! painting #{} was lost: {}", lost.id, lost.why), columns.clamp(40, 120), "  ");
    }
    out
}

/// Wraps `text` to `width` columns, each line indented.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.chars().count() + 1 + word.chars().count() > width {
            out += &line;
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line += word;
    }
    out += &line;
    out.push('\n');
    out
}
