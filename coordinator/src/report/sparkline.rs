//! CPU use in the terminal: one line of `▁▂▃▄▅▆▇█` per painter process,
//! on the same time axis as its timeline, so that painting (█ above) lines
//! up with a busy CPU (█ below) and drying with an idle one (▁).

use crate::os::sampler::{self, CpuSample};
use crate::report::timeline::Style;
use crate::report::{PainterReport, RunReport};

/// From idle to every core of the painter busy.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The fewest samples worth a line: a run shorter than a few looks of
/// the sampler (50 ms each, counted in the kernel's 10 ms ticks) would draw
/// a line that says nothing, or idle where the painter was busy.
pub const FEWEST_SAMPLES: usize = 4;

/// Whether a painter's CPU use is drawn: it was sampled often enough.
#[must_use]
pub fn drawn(painter: &PainterReport) -> bool {
    painter.cpu_samples.len() >= FEWEST_SAMPLES
}

/// One line per painter that was sampled (often enough), labelled `cpu` (or `cpu pK` when
/// there are several), ending with its average use over the run, as `top`
/// would show it (100% is one core). Lines for a run that was not sampled:
/// none.
#[must_use]
pub fn lines(run: &RunReport, style: Style) -> Vec<String> {
    let label_width = style.label_width;
    let several = run.painters.len() > 1;
    run.painters
        .iter()
        .filter(|p| drawn(p))
        .map(|painter| {
            let label = if several { format!("cpu p{}", painter.id) } else { "cpu".to_owned() };
            let spark = spark(&painter.cpu_samples, f64::from(cores(run, painter)), run.wall_s, style);
            format!("  {label:>label_width$} │{spark}{}", suffix(run, painter))
        })
        .collect()
}

/// What follows a painter's sparkline: its average use over the run, as
/// `top` shows it (100% is one core), e.g. ` 48%`: its CPU time as the
/// kernel counted it over the run's wall time, or, where that is not
/// known, the average of its samples.
#[must_use]
pub fn suffix(run: &RunReport, painter: &PainterReport) -> String {
    let mean = average(run, painter).unwrap_or(0.0);
    format!(" {:.0}%", mean * 100.0)
}

/// A painter's average CPU use over the run, in cores (1.0 is one core
/// busy, as `top`'s 100%): its CPU time as the kernel counted it over the
/// run's wall time, or, where that is not known, the average of its
/// samples; `None` where neither is.
#[must_use]
pub fn average(run: &RunReport, painter: &PainterReport) -> Option<f64> {
    match painter.cpu_s {
        Some(cpu) if run.wall_s > 0.0 => Some(cpu / run.wall_s),
        _ => sampler::average(&painter.cpu_samples, 0.0, run.wall_s),
    }
}

/// The widest [`suffix`] of any sampled painter of `runs` (0 if none was
/// sampled): the room the CPU lines need right of the time axis.
#[must_use]
pub fn widest_suffix(runs: &[RunReport]) -> usize {
    runs.iter()
        .flat_map(|run| run.painters.iter().filter(|p| drawn(p)).map(move |p| suffix(run, p)))
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
}

/// How many cores a painter's threads could use at once: its lanes, but
/// no more than the distinct cores they were pinned to (or, unpinned, the
/// cores the run had). Four threads on two cores fill them at 200%.
#[must_use]
pub fn cores(run: &RunReport, painter: &PainterReport) -> u32 {
    let mut pinned = painter.cores.clone();
    pinned.sort_unstable();
    pinned.dedup();
    let cores = if pinned.is_empty() { run.core_count } else { pinned.len() };
    let cores = u32::try_from(cores).unwrap_or(u32::MAX);
    painter.lanes.min(cores).max(1)
}

/// The sparkline itself: a character per column up to `wall_s`, each the
/// average use over that column's stretch of time, `cores` being full.
#[must_use]
pub fn spark(samples: &[CpuSample], cores: f64, wall_s: f64, style: Style) -> String {
    if style.span_s <= 0.0 || style.width == 0 {
        return String::new();
    }
    #[allow(clippy::cast_precision_loss)]
    let step = style.span_s / style.width as f64;
    let mut out = String::new();
    for column in 0..style.width {
        #[allow(clippy::cast_precision_loss)]
        let from = column as f64 * step;
        if from >= wall_s {
            break;
        }
        // The last moments of a run may fall after the last look: they
        // keep the level before them rather than leave a gap.
        let level = sampler::average(samples, from, (from + step).min(wall_s)).map_or_else(
            || out.chars().last().unwrap_or(' '),
            |used| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..=7
                let index = (used / cores * 7.0).round().clamp(0.0, 7.0) as usize;
                LEVELS[index]
            },
        );
        out.push(level);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_then_idle_reads_full_then_low() {
        let samples: Vec<CpuSample> =
            (1..=8).map(|i| CpuSample { t_s: f64::from(i) * 0.05, cpu: if i <= 4 { 1.0 } else { 0.0 } }).collect();
        let style = Style { width: 8, span_s: 0.4, label_width: 3, right: 1, color: false };
        assert_eq!(spark(&samples, 1.0, 0.4, style), "████▁▁▁▁");
        // Two cores' worth of painter: one busy core is half-full.
        assert_eq!(spark(&samples, 2.0, 0.4, style), "▅▅▅▅▁▁▁▁");
        // The line stops at the run's end, not the axis's.
        assert_eq!(spark(&samples, 1.0, 0.2, style).chars().count(), 4);
        assert_eq!(spark(&[], 1.0, 0.4, style), "        ");
        // Past the last look, the last level holds.
        assert_eq!(spark(&samples[..6], 1.0, 0.4, style), "████▁▁▁▁");
    }
}
