//! `coordinator plan`: the ideal of every mode, drawn before anything runs,
//! so that a learner can predict what the measurement will show; and,
//! from the same model, the time a long `run` or `compare` is about to take.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use crate::mode::{Mode, PainterPlan, painter_name};
use crate::model::schedule;
use crate::report::cores::{CoreLane, Holder};
use crate::report::lanes::Lanes;
use crate::report::text::{self, Align};
use crate::report::timeline;
use crate::report::turns;
use crate::term::format;
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
    /// The ideal sequential time over this one's, when `sequential` is
    /// among the modes planned (as in `compare`: against a run it shows).
    pub speedup: Option<f64>,
    /// What each lane would do, and when (in JSON, `segments[]`), with the
    /// turns painters sharing a core would take ([`turns`]).
    #[serde(rename = "segments")]
    pub timeline: Lanes,
    /// Who would hold each core the lanes are pinned to, turn by turn.
    #[serde(skip)]
    pub core_rows: Vec<CoreLane>,
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
            let timeline = Lanes::planned(&plans, ideal.segments);
            let timeline = {
                let states = turns::predicted(&timeline);
                timeline.with_states(states)
            };
            let holders: Vec<Holder> = plans
                .iter()
                .map(|p| Holder { name: painter_name(p.id), pid: 0, host: String::new(), remote: false })
                .collect();
            let core_rows = crate::report::cores::build(&timeline, &holders, &[], ideal.wall_s);
            Planned {
                mode,
                processes: plans.len(),
                lanes,
                cores: if cores.is_empty() { lanes.min(workload.allowed_cores.len()) } else { cores.len() },
                ideal_s: ideal.wall_s,
                speedup: None,
                timeline,
                core_rows,
            }
        })
        .collect();
    let sequential = planned.iter().find(|m| m.mode == Mode::Sequential).map(|m| m.ideal_s);
    for mode in &mut planned {
        mode.speedup = sequential.map(|sequential| if mode.ideal_s > 0.0 { sequential / mode.ideal_s } else { 1.0 });
    }
    planned
}

/// A run whose ideal is longer than this is announced before it starts,
/// with the time it will take, and its live display shows the time left.
pub const LONG: Duration = Duration::from_secs(60);

/// Each mode's ideal, for painters laid out as in `layouts` and `work`: the
/// model `plan` draws. Empty when, even one painting after another, every
/// mode together would take no longer than [`LONG`] (an ideal is never
/// longer than that), so that a short run simulates nothing here.
///
/// # Errors
/// [`schedule::Stopped`], when `stop` is asked.
pub fn forecast(
    layouts: &[(Mode, Vec<PainterPlan>)],
    work: schedule::Work,
    allowed_cores: usize,
    stop: &schedule::Stop,
) -> Result<Vec<(Mode, Duration)>, schedule::Stopped> {
    let one_after_another =
        f64::from(work.paintings) * f64::from(work.coats) * (work.paint_s + work.file_s + work.net_s);
    #[allow(clippy::cast_precision_loss)] // a handful of modes
    if one_after_another * layouts.len() as f64 <= LONG.as_secs_f64() {
        return Ok(Vec::new());
    }
    layouts
        .iter()
        .map(|(mode, plans)| {
            let model = schedule::Model::new(plans, work, allowed_cores);
            let ideal = schedule::simulate(&model, &schedule::Feed::default(), stop)?;
            Ok((*mode, Duration::try_from_secs_f64(ideal.wall_s).unwrap_or(Duration::MAX)))
        })
        .collect()
}

/// The sentence said before a run whose modes' ideals (from [`forecast`])
/// add up to more than [`LONG`]; `None` for a shorter one.
#[must_use]
pub fn announcement(forecast: &[(Mode, Duration)]) -> Option<String> {
    let total: Duration = forecast.iter().map(|(_, ideal)| *ideal).sum();
    if total <= LONG {
        return None;
    }
    let whose = match forecast {
        [(mode, _)] => format!("{}'s ideal (`coordinator plan --modes {0}` shows it)", mode.name()),
        modes => format!("{} modes, each its ideal at least (`coordinator plan` shows them)", modes.len()),
    };
    Some(format!("this run will take {} or more: {whose}; Ctrl-C stops it", format::rough(total)))
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
            format::given(workload.paint),
            format::given(workload.dry()),
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
                format::column(mode.ideal_s),
                mode.speedup.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}×")),
            ]
        })
        .collect();
    out += &text::grid(&headers, &rows, 2, columns);
    out.push('\n');
    out += &keys(workload, planned, columns, color);
    let span_s = planned.iter().map(|m| m.ideal_s).fold(0.0, f64::max);
    let label_width = planned
        .iter()
        .map(|m| m.timeline.widest_label())
        .chain(planned.iter().flat_map(|m| m.core_rows.iter().map(|c| c.label().chars().count())))
        .max()
        .unwrap_or(7);
    let style = text::timeline_style(columns, label_width, 0, span_s, color);
    for mode in planned {
        out.push('\n');
        out += &text::wrap(&format!("{} — ideal {}", mode.mode.name(), format::column(mode.ideal_s)), columns, "");
        out += &text::timeline_with_cores(&mode.timeline, &mode.core_rows, Vec::new(), style, columns);
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

/// The key to the plan's timelines: the marks they draw, as they draw them.
fn keys(workload: &Workload, planned: &[Planned], columns: usize, color: bool) -> String {
    use text::Item;
    use timeline::Key;
    let mark = |k: Key| timeline::key(k, color);
    let mut items = vec![Item::new("", mark(Key::Painting), "painting, starting with its number")];
    let turns = planned.iter().flat_map(|m| m.timeline.states()).any(|s| s.state == protocol::ThreadState::Waiting);
    if turns {
        items.push(Item::new("", mark(Key::Waiting), "waiting for a core while another painter has its turn"));
    }
    if !workload.dry().is_zero() {
        items.push(Item::new("", mark(Key::Drying), "drying: slow disk, then slow network"));
    }
    let mut out = text::legend(&items, columns);
    if planned.iter().any(|m| !m.core_rows.is_empty()) {
        let cores = [
            Item::new("core rows, who would hold each core: ", mark(Key::OnCore), text::core_row_key(color)),
            Item::new("", mark(Key::Idle), "idle"),
        ];
        out += &text::legend(&cores, columns);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_time_is_said_to_the_minute_and_a_short_one_to_the_second() {
        assert_eq!(format::rough(Duration::from_secs_f64(9.0 * 3600.0 + 12.3)), "9h");
        assert_eq!(format::rough(Duration::from_secs_f64(3600.0 + 150.0)), "1h 3m");
        assert_eq!(format::rough(Duration::from_secs_f64(65.4)), "1m 5s");
    }

    #[test]
    fn only_a_run_over_a_minute_is_announced() {
        let minute = [(Mode::Sequential, LONG)];
        assert_eq!(announcement(&minute), None);
        let long = [(Mode::Async, Duration::from_secs(3600)), (Mode::Sequential, Duration::from_secs(7200))];
        let said = announcement(&long).expect("said");
        assert!(said.starts_with("this run will take 3h or more: 2 modes"), "{said}");
        let one = announcement(&long[..1]).expect("said");
        assert!(one.contains("async's ideal (`coordinator plan --modes async` shows it)"), "{one}");
    }

    #[test]
    fn the_plans_lanes_agree_with_its_core_rows_at_every_width() {
        // Three painters on core 0, as README exercise 3 plans them.
        let workload = Workload {
            paintings: 3,
            workers: 3,
            file_wait: Duration::from_millis(400),
            net_wait: Duration::from_millis(400),
            ..crate::report::sample::sample_workload()
        };
        let planned = plan(&workload, &[Mode::Sequential, Mode::Parallel]);
        for columns in [60, 72, 80, 100, 120, 137, 160, 200] {
            let text = render(&workload, &planned, columns, false);
            let lines: Vec<&str> = text.lines().collect();
            for (at, line) in lines.iter().enumerate().filter(|(_, l)| l.contains(" — ideal ")) {
                let block: Vec<&str> = lines[at + 1..].iter().take_while(|l| !l.contains('└')).copied().collect();
                let row = |l: &str| l.split_once('│').map_or(Vec::new(), |(_, r)| r.chars().collect::<Vec<char>>());
                let core: Vec<char> =
                    block.iter().find(|l| l.contains("core 0 │")).map(|l| row(l)).expect("a core row");
                let lanes: Vec<Vec<char>> =
                    block.iter().filter(|l| l.trim_start().starts_with("painter-")).map(|l| row(l)).collect();
                if line.starts_with("sequential") {
                    // One painter alone on its core: painting, then drying,
                    // never a blank at a block's edge.
                    let lane: String = lanes[0].iter().collect();
                    assert!(!lane.trim_end().contains(' '), "{columns} columns: {lane}\n{text}");
                }
                for (col, &held) in core.iter().enumerate() {
                    // A lane's cell: solid, shaded, a block's number, or not painting.
                    let painting = |lane: &Vec<char>| lane.get(col).is_some_and(|&c| c == '█' || c.is_ascii_digit());
                    let solid = lanes.iter().filter(|lane| lane.get(col) == Some(&'█')).count();
                    let painted = lanes.iter().filter(|lane| painting(lane)).count();
                    let given = held == '█' || held.is_ascii_digit();
                    assert!(solid <= 1, "{columns} columns, {line}, column {col}: two lanes solid\n{text}");
                    assert_eq!(
                        painted > 0,
                        given,
                        "{columns} columns, {line}, column {col}: lanes and core row\n{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_short_run_simulates_nothing() {
        let work = schedule::Work { paintings: 3, coats: 1, paint_s: 0.4, file_s: 0.4, net_s: 0.4 };
        let layouts = vec![(Mode::Sequential, Mode::Sequential.layout(1, None))];
        let short = forecast(&layouts, work, 2, &schedule::Stop::default()).expect("not stopped");
        assert!(short.is_empty());
        let work = schedule::Work { net_s: 3600.0, ..work };
        let long = forecast(&layouts, work, 2, &schedule::Stop::default()).expect("not stopped");
        assert_eq!(long.len(), 1);
        assert!((long[0].1.as_secs_f64() - 3.0 * 3600.8).abs() < 0.01, "{long:?}");
    }
}
