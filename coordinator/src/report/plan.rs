//! `coordinator plan`: the ideal of every mode, drawn before anything runs,
//! so that a learner can predict what the measurement will show.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::mode::Mode;
use crate::report::lanes::Lanes;
use crate::report::text::{self, Align};
use crate::report::timeline;
use crate::schedule;
use crate::workload::Workload;

/// One mode's ideal.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The mode.
    pub mode: Mode,
    /// Painter processes.
    pub processes: usize,
    /// Painting threads (lanes) in all.
    #[serde(rename = "threads")]
    pub lanes: usize,
    /// Distinct cores the lanes are pinned to (lanes when unpinned).
    pub cores: usize,
    /// Wall time in the zero-overhead model.
    pub ideal_s: f64,
    /// The ideal sequential time over this one's.
    pub speedup: f64,
    /// What each lane would do, and when (in JSON, `segments[]`).
    #[serde(rename = "segments")]
    pub timeline: Lanes,
}

/// The ideal of each of `modes` for `workload`, painting `--paint` exactly.
#[must_use]
pub fn plan(workload: &Workload, modes: &[Mode]) -> Vec<Planned> {
    let work = workload.work(workload.paint);
    let mut planned: Vec<Planned> = modes
        .iter()
        .map(|&mode| {
            let plans = mode.layout(workload.workers, workload.cores.as_deref());
            let ideal = schedule::ideal(&plans, work, workload.allowed_cores.len());
            let lanes: usize = plans.iter().map(|p| p.lanes as usize).sum();
            let cores: BTreeSet<u32> = plans.iter().flat_map(|p| p.cores.iter().copied()).collect();
            Planned {
                mode,
                processes: plans.len(),
                lanes,
                cores: if cores.is_empty() { lanes.min(workload.allowed_cores.len()) } else { cores.len() },
                ideal_s: ideal.wall_s,
                speedup: 1.0,
                timeline: Lanes::planned(&plans, ideal.segments),
            }
        })
        .collect();
    let sequential = schedule::ideal(&Mode::Sequential.layout(1, workload.cores.as_deref()), work, 1).wall_s;
    for mode in &mut planned {
        mode.speedup = if mode.ideal_s > 0.0 { sequential / mode.ideal_s } else { 1.0 };
    }
    planned
}

/// The plan as text: a table, then a timeline per mode on one time axis.
#[must_use]
pub fn render(workload: &Workload, planned: &[Planned], columns: usize, color: bool) -> String {
    let columns = columns.max(text::MIN_COLUMNS);
    let each = if workload.coats == 1 { "1 coat".to_owned() } else { format!("{} coats", workload.coats) };
    let mut out = text::wrap(
        &format!(
            "atelier plan: {} paintings of {each}; {} of painting and {} of drying a coat",
            workload.paintings,
            humantime::format_duration(workload.paint),
            humantime::format_duration(workload.dry()),
        ),
        columns,
        "",
    );
    out += &text::wrap(
        &format!("cores {}: the ideal of each mode, with zero overhead; nothing is run", workload.cores_text()),
        columns,
        "  ",
    );
    out.push('\n');
    let names = ["mode", "processes", "threads", "cores", "ideal", "speedup"];
    let headers: Vec<(String, Align)> =
        names.iter().map(|&name| (name.to_owned(), if name == "mode" { Align::Left } else { Align::Right })).collect();
    let rows: Vec<Vec<String>> = planned
        .iter()
        .map(|mode| {
            vec![
                mode.mode.name().to_owned(),
                mode.processes.to_string(),
                mode.lanes.to_string(),
                mode.cores.to_string(),
                format!("{:.2}s", mode.ideal_s),
                format!("{:.2}×", mode.speedup),
            ]
        })
        .collect();
    out += &text::grid(&headers, &rows, 2, columns);
    out.push('\n');
    out += &text::wrap("█ painting, starting with its number   ░ drying: slow disk, then slow network", columns, "  ");
    let span_s = planned.iter().map(|m| m.ideal_s).fold(0.0, f64::max);
    let label_width = planned.iter().map(|m| m.timeline.widest_label()).max().unwrap_or(7);
    let style = text::timeline_style(columns, label_width, 0, span_s, color);
    for mode in planned {
        out.push('\n');
        out += &text::wrap(&format!("{} — ideal {:.2}s", mode.mode.name(), mode.ideal_s), columns, "");
        for line in timeline::draw(&mode.timeline, style) {
            out += &line;
            out.push('\n');
        }
        if timeline::too_many_to_number(&mode.timeline) {
            let note =
                format!("(over {} paintings on a painter's row: blocks without numbers)", timeline::MOST_NUMBERED);
            out += &text::wrap(&note, columns, "  ");
        }
    }
    out.push('\n');
    out += &text::wrap("Run `coordinator compare` with the same options to measure it.", columns, "");
    out
}
