//! Where the time went: the gap between the prediction and the measured
//! wall time, cause by cause.
//!
//! The prediction is the ideal model fed with the calibrated stroke. The
//! same model is then fed, one step at a time, with more of what really
//! happened, and each step's change in the model's wall time is that
//! cause's share:
//!
//! 1. each coat's painting time as the CPU time its thread really used
//!    (`paint_speed_s`: the machine faster or slower than at calibration,
//!    cores slowing each other down) — this model is `ideal_s`, the ideal
//!    for the work as it was painted;
//! 2. plus the time each coat's thread waited for a CPU someone else held
//!    (`contention_s`); the model's own sharing of cores is then turned
//!    off, since the waits measured include it;
//! 3. plus the saving of each picture that followed its drying
//!    (`saving_s`; what was saved while a coat dried cost no time);
//! 4. plus when each painter was ready (`startup_s`; painters say `Hello`
//!    before the first painting is handed out, so this is zero unless that
//!    changes).
//!
//! What the model, fed with all of it, still cannot account for is
//! `unexplained_s`: messages, wake-ups, late timers, the coordinator's own
//! work. The causes add up to `wall_s − predicted_s` by construction.

use std::collections::HashMap;

use protocol::EventKind;
use serde::Serialize;

use crate::dispatch::Outcome;
use crate::schedule::{Feed, Ideal, Model, Stop, Stopped, simulate};

/// The causes of `wall_s − predicted_s`, in seconds of wall time. A
/// negative share is time that cause saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Gap {
    /// Painting used more (or less) CPU than calibrated.
    pub paint_speed_s: f64,
    /// Painters waited for a CPU that another thread held.
    pub contention_s: f64,
    /// Preparing and writing the pictures.
    pub saving_s: f64,
    /// Painters starting after the first painting was handed out.
    pub startup_s: f64,
    /// What the model, fed with all of the above, cannot account for.
    pub unexplained_s: f64,
}

/// What the model is fed, step by step, taken from a run's events.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Per painting, per coat: the CPU time painting it used.
    pub cpu: Feed,
    /// The same plus the time its thread waited for a CPU.
    pub contended: Feed,
    /// That plus each picture's saving after its drying.
    pub saved: Feed,
    /// That plus when each painter was ready.
    pub started: Feed,
    /// Per painter (by index): the time its threads waited for a CPU, in all.
    pub waited_s: Vec<f64>,
    /// Seconds spent saving, in all (hidden in drying or not), and the
    /// pictures saved.
    pub saving_s: f64,
    /// Pictures saved.
    pub pictures: usize,
}

impl Facts {
    /// Gathers the facts from `outcome`, for `model`'s work on `painters`
    /// painters (replacements included).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn gather(outcome: &Outcome, model: &Model, painters: usize) -> Self {
        let work = model.work;
        let n = work.paintings as usize;
        let coats = work.coats as usize;
        let mut cpu = vec![vec![work.paint_s; coats]; n];
        let mut contended = cpu.clone();
        let mut waited_s = vec![0.0; painters];
        // When each painting's last coat was dry (or painted, with no
        // drying), and its saving segments.
        let mut dry_at: HashMap<u32, u64> = HashMap::new();
        let mut save_open: HashMap<(usize, u32), u64> = HashMap::new();
        let mut saves: Vec<(u32, u64, u64)> = Vec::new();
        let last = work.coats.saturating_sub(1);
        for &(painter, event) in &outcome.events {
            let index = event.job as usize;
            let in_range = (1..=n).contains(&index) && (event.coat as usize) < coats;
            match event.kind {
                EventKind::PaintFinished(effort) if in_range => {
                    let cpu_s = effort.cpu_ns as f64 / 1e9;
                    let delay_s = effort.run_delay_ns as f64 / 1e9;
                    cpu[index - 1][event.coat as usize] = cpu_s;
                    contended[index - 1][event.coat as usize] = cpu_s + delay_s;
                    if let Some(waited) = waited_s.get_mut(painter) {
                        *waited += delay_s;
                    }
                    if event.coat == last {
                        dry_at.insert(event.job, event.at_ns);
                    }
                }
                EventKind::DryFinished(_) if event.coat == last => {
                    dry_at.insert(event.job, event.at_ns);
                }
                EventKind::SaveStarted => {
                    save_open.insert((painter, event.job), event.at_ns);
                }
                EventKind::SaveFinished => {
                    if let Some(start) = save_open.remove(&(painter, event.job)) {
                        saves.push((event.job, start, event.at_ns));
                    }
                }
                _ => {}
            }
        }
        let mut save = vec![0.0; n];
        let mut saving_s = 0.0;
        for &(job, start, end) in &saves {
            let took = end.saturating_sub(start) as f64 / 1e9;
            saving_s += took;
            // Saving done while the last coat dried cost no time.
            // (A painting's number comes from a painter: 0 is no painting.)
            if dry_at.get(&job).is_some_and(|&dry| start >= dry)
                && let Some(slot) = (job as usize).checked_sub(1).and_then(|index| save.get_mut(index))
            {
                *slot += took;
            }
        }
        let pictures = outcome.done.iter().filter(|(_, done)| done.path.is_some()).count();
        let cpu = Feed { paint_s: cpu, ..Feed::default() };
        let contended = Feed { paint_s: contended, own_cores: true, ..Feed::default() };
        let saved = Feed { save_s: save, ..contended.clone() };
        // Every painter said `Hello` before the first painting was handed out.
        let started = Feed { ready_s: vec![0.0; model.plans.len()], ..saved.clone() };
        Self { cpu, contended, saved, started, waited_s, saving_s, pictures }
    }
}

/// The model's wall time at each step.
#[derive(Debug, Clone)]
pub struct Steps {
    /// Fed with each coat's CPU time: the ideal for the work as painted.
    pub ideal: Ideal,
    /// Plus the waits for a CPU.
    pub contended_s: f64,
    /// Plus saving.
    pub saved_s: f64,
    /// Plus start-up.
    pub started_s: f64,
    /// The facts fed.
    pub facts: Facts,
}

/// Runs the model on each step of `facts`.
///
/// # Errors
/// [`Stopped`] if asked to stop.
pub fn steps(model: &Model, facts: Facts, stop: &Stop) -> Result<Steps, Stopped> {
    let ideal = simulate(model, &facts.cpu, stop)?;
    let contended_s = simulate(model, &facts.contended, stop)?.wall_s;
    let saved_s = simulate(model, &facts.saved, stop)?.wall_s;
    let started_s = simulate(model, &facts.started, stop)?.wall_s;
    Ok(Steps { ideal, contended_s, saved_s, started_s, facts })
}

impl Steps {
    /// The causes of `wall_s − predicted_s`.
    #[must_use]
    pub fn gap(&self, predicted_s: f64, wall_s: f64) -> Gap {
        Gap {
            paint_speed_s: self.ideal.wall_s - predicted_s,
            contention_s: self.contended_s - self.ideal.wall_s,
            saving_s: self.saved_s - self.contended_s,
            startup_s: self.started_s - self.saved_s,
            unexplained_s: wall_s - self.started_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::{Effort, Event};

    use super::*;
    use crate::mode::Mode;
    use crate::schedule::Work;

    fn event(job: u32, at_ns: u64, kind: EventKind) -> (usize, Event) {
        (0, Event { job, lane: 0, coat: 0, at_ns, kind })
    }

    #[test]
    fn events_about_no_painting_are_left_out() {
        let work = Work { paintings: 1, coats: 1, paint_s: 0.1, file_s: 0.0, net_s: 0.0 };
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work, 1);
        let effort = Effort { cpu_ns: 1, run_delay_ns: 1 };
        let outcome = Outcome {
            events: vec![
                event(0, 0, EventKind::PaintFinished(effort)),
                event(0, 0, EventKind::SaveStarted),
                event(0, 10, EventKind::SaveFinished),
                event(9, 0, EventKind::PaintFinished(effort)),
            ],
            ..Outcome::default()
        };
        let facts = Facts::gather(&outcome, &model, 1);
        assert_eq!(facts.cpu.paint_s, vec![vec![0.1]], "the calibrated time stands");
    }

    #[test]
    fn each_fact_moves_the_model_by_its_share_and_the_shares_add_up() {
        // One painting of 0.1 s predicted; it used 0.12 s of CPU, waited
        // 0.03 s for a CPU, and took 0.01 s to save after it was painted.
        let work = Work { paintings: 1, coats: 1, paint_s: 0.1, file_s: 0.0, net_s: 0.0 };
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work, 1);
        let effort = Effort { cpu_ns: 120_000_000, run_delay_ns: 30_000_000 };
        let outcome = Outcome {
            events: vec![
                event(1, 0, EventKind::PaintStarted),
                event(1, 150_000_000, EventKind::PaintFinished(effort)),
                event(1, 150_000_000, EventKind::SaveStarted),
                event(1, 160_000_000, EventKind::SaveFinished),
            ],
            ..Outcome::default()
        };
        let facts = Facts::gather(&outcome, &model, 1);
        assert!((facts.waited_s[0] - 0.03).abs() < 1e-9);
        let steps = steps(&model, facts, &Stop::default()).expect("not stopped");
        let gap = steps.gap(0.1, 0.165);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(gap.paint_speed_s, 0.02), "{gap:?}");
        assert!(close(gap.contention_s, 0.03), "{gap:?}");
        assert!(close(gap.saving_s, 0.01), "{gap:?}");
        assert!(close(gap.startup_s, 0.0), "{gap:?}");
        assert!(close(gap.unexplained_s, 0.005), "{gap:?}");
        let sum = gap.paint_speed_s + gap.contention_s + gap.saving_s + gap.startup_s + gap.unexplained_s;
        assert!(close(sum, 0.165 - 0.1));
    }
}
