//! The human report: a header, the table of runs, and per run its
//! timeline and its sentence.

use std::fmt::Write as _;

use crate::calibrate::Calibration;
use crate::report::explain::{self, secs};
use crate::report::timeline::{self, Lane, Style};
use crate::report::{RunReport, lanes_are_threads};
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
    out += "  █ painting (starting with its number)   ░ drying (slow disk, then slow network)\n";
    let span_s = runs.iter().map(|r| r.wall_s.max(r.ideal_s)).fold(0.0, f64::max);
    for run in runs {
        out.push('\n');
        out += &section(run, span_s, options);
    }
    out.push('\n');
    out += &paintings(runs);
    out
}

/// Who painted: `painter-K@C`, or `thread-L@C` in `threads` mode.
fn lane_label(threads: bool, painter: u32, lane: u32, core: Option<u32>) -> String {
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
    let mut out = format!("{:>8}  {:<16}", "painting", "checksum");
    for run in runs {
        let _ = write!(out, "  {:<12}", run.mode.name());
    }
    let folder = std::path::Path::new(&first.paintings[0].path).parent().and_then(|p| p.parent());
    let _ = writeln!(out, "  file (in {}/<mode>/)", folder.map_or_else(|| ".".into(), |f| f.display().to_string()));
    let mut all_equal = true;
    for painting in first.paintings.iter().take(MAX_LISTED) {
        let mut differs = Vec::new();
        let _ = write!(out, "{:>8}  {:<16}", painting.id, painting.checksum);
        for run in runs {
            let threads = lanes_are_threads(run);
            let cell = run.paintings.iter().find(|p| p.id == painting.id).map_or_else(
                || "missing".to_owned(),
                |p| {
                    if p.checksum != painting.checksum {
                        differs.push(run.mode.name());
                    }
                    lane_label(threads, p.painter, p.lane, p.core)
                },
            );
            let _ = write!(out, "  {cell:<12}");
        }
        let file = std::path::Path::new(&painting.path)
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        let _ = write!(out, "  {file}");
        if !differs.is_empty() {
            all_equal = false;
            let _ = write!(out, "  (a different picture in {})", differs.join(", "));
        }
        out.push('\n');
    }
    if first.paintings.len() > MAX_LISTED {
        let _ = writeln!(out, "{:>8}  … {} more in --json", "", first.paintings.len() - MAX_LISTED);
    }
    if runs.len() > 1 && all_equal {
        out += "  Every mode painted the same pictures: the checksums agree, whoever painted them, wherever.\n";
    }
    out
}

fn header(workload: &Workload, calibration: &Calibration) -> String {
    let coats = if workload.coats == 1 { "1 coat".to_owned() } else { format!("{} coats", workload.coats) };
    let strokes = if calibration.strokes > 0 {
        format!(" = {} strokes of {:.1} µs", calibration.strokes, calibration.stroke_ns / 1000.0)
    } else {
        String::new()
    };
    let dry = workload.dry();
    let mut out = format!(
        "atelier: {} paintings × {coats}; paint {}{strokes}; dry {} ({} disk + {} network)\n",
        workload.paintings,
        human(workload.paint),
        human(dry),
        human(workload.file_wait),
        human(workload.net_wait),
    );
    let _ = writeln!(
        out,
        "cores: {} ({} allowed to this process); paintings saved under {}",
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
        "{:<11} {:>9} {:>7} {:>5} {:>8} {:>8} {:>8} {:>10} {:>8}\n",
        "mode", "processes", "threads", "cores", "wall", "speedup", "ideal", "efficiency", "cpu"
    );
    for run in runs {
        let speedup = run.speedup.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}×"));
        let _ = writeln!(
            out,
            "{:<11} {:>9} {:>7} {:>5} {:>7.2}s {:>8} {:>7.2}s {:>10} {:>7.2}s",
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

fn section(run: &RunReport, span_s: f64, options: Options) -> String {
    let threads = lanes_are_threads(run);
    let how = match run.painters.first().map(|p| p.scheduler) {
        Some("async") => "tokio current-thread",
        _ => "blocking",
    };
    let who = match (run.processes, threads) {
        (_, true) => format!("1 painter process, {} {how} threads", run.lanes),
        (1, false) => format!("1 painter process, {how}"),
        (n, false) => format!("{n} painter processes, {how}"),
    };
    let mut out = format!(
        "{} — {who} — wall {}, ideal {} ({})\n",
        run.mode.name(),
        secs(run.wall_s),
        secs(run.ideal_s),
        explain::efficiency(run)
    );
    let mut lanes: Vec<Lane<'_>> = Vec::new();
    for (index, painter) in run.painters.iter().enumerate() {
        for lane in 0..painter.lanes {
            let label = lane_label(threads, painter.id, lane, painter.cores.get(lane as usize).copied());
            let segments = run.segments.iter().filter(|s| s.painter == index && s.lane == lane).collect();
            lanes.push(Lane { label, segments });
        }
    }
    let label_width = lanes.iter().map(|l| l.label.len()).max().unwrap_or(0).max(7);
    let width = options.columns.saturating_sub(label_width + 6).clamp(20, 160);
    for line in timeline::draw(&lanes, Style { width, span_s, color: options.color }) {
        out += &line;
        out.push('\n');
    }
    out += &wrap(&run.explanation, options.columns.clamp(40, 120), "  ");
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
