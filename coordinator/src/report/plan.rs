//! `coordinator plan`: the ideal of every mode, drawn before anything runs,
//! so that a learner can predict what the measurement will show.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::mode::Mode;
use crate::report::timeline::{self, Lane, Style};
use crate::schedule::{self, Segment};
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
    /// What each lane would do, and when.
    pub segments: Vec<Segment>,
    /// Each lane's label, in the order of `(painter, lane)`.
    #[serde(skip)]
    labels: Vec<(usize, u32, String)>,
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
            let threads = mode == Mode::Threads;
            let labels = plans
                .iter()
                .enumerate()
                .flat_map(|(index, plan)| {
                    (0..plan.lanes).map(move |lane| {
                        let label = crate::report::text::lane_label(
                            threads,
                            plan.id,
                            lane,
                            plan.cores.get(lane as usize).copied(),
                        );
                        (index, lane, label)
                    })
                })
                .collect();
            Planned {
                mode,
                processes: plans.len(),
                lanes,
                cores: if cores.is_empty() { lanes.min(workload.allowed_cores.len()) } else { cores.len() },
                ideal_s: ideal.wall_s,
                speedup: 1.0,
                segments: ideal.segments,
                labels,
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
    let each = if workload.coats == 1 { "1 coat".to_owned() } else { format!("{} coats", workload.coats) };
    let mut out = format!(
        "atelier plan: {} paintings of {each}; {} of painting and {} of drying a coat\n",
        workload.paintings,
        humantime::format_duration(workload.paint),
        humantime::format_duration(workload.dry()),
    );
    let _ = writeln!(
        out,
        "  cores {}: the ideal of each mode, with zero overhead; nothing is run\n",
        workload.cores_text()
    );
    let _ = writeln!(
        out,
        "{:<11} {:>9} {:>7} {:>5} {:>7} {:>7}",
        "mode", "processes", "threads", "cores", "ideal", "speedup"
    );
    for mode in planned {
        let _ = writeln!(
            out,
            "{:<11} {:>9} {:>7} {:>5} {:>6.2}s {:>6.2}×",
            mode.mode.name(),
            mode.processes,
            mode.lanes,
            mode.cores,
            mode.ideal_s,
            mode.speedup
        );
    }
    out += "\n  █ painting, starting with its number   ░ drying: slow disk, then slow network\n";
    let span_s = planned.iter().map(|m| m.ideal_s).fold(0.0, f64::max);
    let label_width = planned.iter().flat_map(|m| &m.labels).map(|(_, _, l)| l.chars().count()).max().unwrap_or(7);
    let width = columns.saturating_sub(label_width + 6).clamp(20, 160);
    let style = Style { width, span_s, label_width, color };
    for mode in planned {
        let lanes: Vec<Lane<'_>> = mode
            .labels
            .iter()
            .map(|(painter, lane, label)| Lane {
                label: label.clone(),
                segments: mode.segments.iter().filter(|s| s.painter == *painter && s.lane == *lane).collect(),
            })
            .collect();
        let _ = writeln!(out, "\n{} — ideal {:.2}s", mode.mode.name(), mode.ideal_s);
        for line in timeline::draw(&lanes, style) {
            out += &line;
            out.push('\n');
        }
    }
    out += "\nRun `coordinator compare` with the same options to measure it.\n";
    out
}
