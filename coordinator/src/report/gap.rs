//! Where the time went: the gap between the prediction and the measured
//! wall time, cause by cause.
//!
//! **When the wall time starts.** A run's wall time runs from the moment its
//! first painter is spawned to the moment the coordinator hears that the
//! last painting is done. Starting the painters is part of the run — a
//! user waits for it, and on another host it is a login — so it is part of
//! the gap too. (The prediction, like `plan`, starts with painters ready.)
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
//! 3. plus each coat's waits as long as they lasted, from the painter's
//!    own stamps (`drying_s`): a sleep ends when asked, but its thread
//!    may wait for a CPU to wake up on, and an async painter notices a
//!    dry coat between two slices of strokes;
//! 4. plus the saving of each picture that followed its drying
//!    (`saving_s`; what was saved while a coat dried cost no time);
//! 5. plus the start-up (`startup_s`): painters are started (one after
//!    another on this machine, up to `--fanout` at once on other hosts),
//!    each waited for until it says `Hello` (and, on another host, until
//!    its clock is measured), and nothing is handed out before the last is
//!    ready; so every painter is ready at the first hand-out. A
//!    painter started during the run in place of a failed one stalls the
//!    handing out from its spawn until it is ready, which the model is fed
//!    as a stall;
//!    A painter on another host counts here only as long as a painter
//!    started on this machine takes; the rest of its start (a session or
//!    a login, a job step, the clock's pings) is the network's;
//! 6. plus, for painters on other hosts, their starts beyond a local
//!    spawn, and how long each finished painting
//!    took to come home (`network_s`): from the painter's last word on it
//!    to the coordinator hearing it, its picture carried home before it.
//!    Until then, in the model as in the run, its lane is not handed
//!    another painting. (A painting's way out, the `Job` message, is not
//!    measured apart: it stays in what is left.)
//!
//! What the model, fed with all of it, still cannot account for is
//! `unexplained_s`: messages, wake-ups, the coordinator's own work, a
//! failed painter's lost work. The causes add up to `wall_s − predicted_s` by construction.

use std::collections::HashMap;
use std::sync::Arc;

use protocol::EventKind;
use serde::Serialize;

use crate::report::explain::secs;

use crate::dispatch::Outcome;
use crate::report::lanes;
use crate::schedule::{Feed, Ideal, Model, SegmentKind, Stop, Stopped, simulate};

/// The causes of `wall_s − predicted_s`, in seconds of wall time. A
/// negative share is time that cause saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Gap {
    /// Painting used more (or less) CPU than calibrated.
    pub paint_speed_s: f64,
    /// Painters waited for a CPU that another thread held.
    pub contention_s: f64,
    /// Drying took longer (or less long) than asked: a wait's thread
    /// woken late, an async painter noticing a dry coat between strokes.
    pub drying_s: f64,
    /// Preparing and writing the pictures.
    pub saving_s: f64,
    /// Starting the painters: from the first spawn to the first painting
    /// handed out, and a replacement painter's start during the run.
    pub startup_s: f64,
    /// Finished paintings of painters on other hosts on their way home.
    pub network_s: f64,
    /// What the model, fed with all of the above, cannot account for.
    pub unexplained_s: f64,
}

/// How one painter of a run started, on the shared clock: what the report
/// is told of it.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// When it was spawned.
    pub spawned_ns: u64,
    /// When it was ready for work: at its `Hello`, or for a remote
    /// painter once its clock was measured too.
    pub ready_ns: u64,
    /// The host it ran on, as given (`h1`), when that was another host.
    pub remote: Option<String>,
    /// How it was started: `local`, `ssh`, `srun`, a template's first word.
    pub launcher: String,
    /// A remote painter's fastest round trip (a ping and its answer).
    pub round_trip_s: Option<f64>,
    /// For a remote painter, how long a painter takes to start on this
    /// machine (measured once per run): what its start would have cost
    /// without the network.
    pub local_s: Option<f64>,
}

/// One host's share of a run that had `--hosts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostShare {
    /// As given on the command line (`h1`), or `:` for this machine.
    pub host: String,
    /// How painters were started there: `ssh`, `srun`, a template's first
    /// word, or `local`.
    pub launcher: String,
    /// Painters started there, replacements included.
    pub painters: usize,
    /// From spawn to ready, each of them, added up (painters on other
    /// hosts start at once, so this can be more than the run waited).
    pub startup_s: f64,
    /// The longest of those.
    pub startup_max_s: f64,
    /// Its part of `gap.startup_s`, in proportion to `startup_s`.
    pub startup_share_s: f64,
    /// The fastest round trip to a painter there (a ping and its answer);
    /// `null` on this machine, whose painters are not pinged.
    pub round_trip_s: Option<f64>,
    /// Paintings that came home from there (`0` on this machine, where
    /// painters save their own).
    pub paintings: usize,
    /// The time they took on their way, added up.
    pub homecoming_s: f64,
    /// The longest of those.
    pub homecoming_max_s: f64,
    /// Of `startup_s`, what went beyond a painter's start on this machine
    /// (a session or login, a job step, the clock's pings), added up.
    pub beyond_local_s: f64,
    /// Its part of `gap.network_s`, in proportion to `beyond_local_s` and
    /// `homecoming_s` together.
    pub network_share_s: f64,
}

/// What the model is fed, step by step, taken from a run's events.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Per painting, per coat: the CPU time painting it used.
    pub cpu: Feed,
    /// The same plus the time its thread waited for a CPU.
    pub contended: Feed,
    /// That plus each coat's waits as long as they lasted.
    pub dried: Feed,
    /// That plus each picture's saving after its drying.
    pub saved: Feed,
    /// That plus when each painter was ready, and the stalls while a
    /// replacement started.
    pub started: Feed,
    /// That plus each remote painting's way home.
    pub networked: Feed,
    /// How each painter started (planned ones first, then replacements).
    pub starts: Vec<Start>,
    /// The drying asked for, every coat's waits added up.
    pub asked_dry_s: f64,
    /// The same as the painters timed it.
    pub dried_s: f64,
    /// Painters the mode planned; the rest of `starts` are replacements.
    pub planned: usize,
    /// From the first spawn to the first painting handed out, seconds.
    pub first_handout_s: f64,
    /// Per painter (by index): paintings that came home, and the seconds
    /// each took on the way.
    pub homecomings: Vec<Vec<f64>>,
    /// Per painter (by index): the time its threads waited for a CPU, in all.
    pub waited_s: Vec<f64>,
    /// Seconds spent saving, in all (hidden in drying or not), and the
    /// pictures saved.
    pub saving_s: f64,
    /// Pictures saved.
    pub pictures: usize,
}

impl Facts {
    /// When the run's wall time starts: its first painter's spawn (and no
    /// later than the first painting handed out).
    #[must_use]
    pub fn origin_ns(outcome: &Outcome, starts: &[Start], planned: usize) -> u64 {
        starts.iter().take(planned.max(1)).map(|s| s.spawned_ns).fold(outcome.start_ns, u64::min)
    }

    /// Gathers the facts from `outcome`, for `model`'s work on the painters
    /// that started as `starts` says (the `planned` ones first, then any
    /// replacements).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn gather(outcome: &Outcome, model: &Model, starts: &[Start], planned: usize) -> Self {
        let painters = starts.len();
        let work = model.work;
        let n = work.paintings as usize;
        let coats = work.coats as usize;
        let mut cpu = vec![vec![work.paint_s; coats]; n];
        let mut contended = cpu.clone();
        let mut waited_s = vec![0.0; painters];
        // When each painting's last coat was dry (or painted, with no
        // drying), and its saving segments.
        let mut dry_at: HashMap<u32, u64> = HashMap::new();
        let mut saves: Vec<(u32, u64, u64)> = Vec::new();
        // How long each coat's waits lasted, as the painter timed them.
        let mut dry = vec![vec![(work.file_s, work.net_s); coats]; n];
        let last = work.coats.saturating_sub(1);
        let in_range = |job: u32, coat: u32| (1..=n).contains(&(job as usize)) && (coat as usize) < coats;
        for (painter, event) in outcome.all_events() {
            if let EventKind::PaintFinished(effort) = event.kind
                && in_range(event.job, event.coat)
            {
                let cpu_s = effort.cpu_ns as f64 / 1e9;
                let delay_s = effort.run_delay_ns as f64 / 1e9;
                cpu[event.job as usize - 1][event.coat as usize] = cpu_s;
                contended[event.job as usize - 1][event.coat as usize] = cpu_s + delay_s;
                if let Some(waited) = waited_s.get_mut(painter) {
                    *waited += delay_s;
                }
                if event.coat == last {
                    dry_at.insert(event.job, event.at_ns);
                }
            }
        }
        // The waits and the saving, paired as the lanes pair them.
        lanes::pair(
            outcome.all_events(),
            |kind| kind != SegmentKind::Paint,
            |p| match p.kind {
                SegmentKind::FileWait | SegmentKind::NetWait => {
                    if in_range(p.painting, p.coat) {
                        let took = p.end_ns.saturating_sub(p.start_ns) as f64 / 1e9;
                        let slot = &mut dry[p.painting as usize - 1][p.coat as usize];
                        if p.kind == SegmentKind::FileWait {
                            slot.0 = took;
                        } else {
                            slot.1 = took;
                        }
                    }
                    if p.coat == last {
                        dry_at.insert(p.painting, p.end_ns);
                    }
                }
                SegmentKind::Save => saves.push((p.painting, p.start_ns, p.end_ns)),
                SegmentKind::Paint => {}
            },
        );
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
        let pictures = outcome.done.iter().filter(|(_, done)| done.path.is_some()).count(); // a life has none
        let cpu = Feed { paint_s: Arc::new(cpu), ..Feed::default() };
        let contended = Feed { paint_s: Arc::new(contended), own_cores: true, ..Feed::default() };
        let asked_dry_s = (work.file_s + work.net_s) * (n * coats) as f64;
        let dried_s = dry.iter().flatten().map(|(file, net)| file + net).sum();
        let dried = Feed { dry_s: Arc::new(dry), ..contended.clone() };
        let saved = Feed { save_s: Arc::new(save), ..dried.clone() };

        // Start-up: every planned painter is ready at the first hand-out,
        // which waited for all of them; a replacement stalls the handing out
        // from its spawn until it is ready.
        let origin = Self::origin_ns(outcome, starts, planned);
        let since = |ns: u64| ns.saturating_sub(origin) as f64 / 1e9;
        let first_handout_s = since(outcome.start_ns);
        // Without the network, each remote painter would have been ready
        // as soon as a local one: the first hand-out waits for the last
        // to be ready, so it comes as much sooner as the last ready does.
        let planned_starts = &starts[..planned.min(starts.len())];
        let last = |ready: &dyn Fn(&Start) -> f64| planned_starts.iter().map(ready).fold(0.0_f64, f64::max);
        let sooner = last(&|s| since(s.ready_ns)) - last(&|s| since(s.ready_ns) - s.beyond_local_s());
        let local_handout_s = (first_handout_s - sooner.max(0.0)).max(0.0);
        let stalls = |local: bool| {
            starts
                .iter()
                .skip(planned)
                .map(|s| {
                    let ready = since(s.ready_ns) - if local { s.beyond_local_s() } else { 0.0 };
                    (since(s.spawned_ns), ready.max(since(s.spawned_ns)))
                })
                .collect::<Vec<_>>()
        };
        let started = Feed { ready_s: vec![local_handout_s; model.plans.len()], stalls: stalls(true), ..saved.clone() };

        // The way home of each painting from another host.
        let mut home_s = vec![0.0; n];
        let mut homecomings = vec![Vec::new(); painters];
        for done in outcome.finished() {
            let painter = done.painter;
            if starts.get(painter).is_none_or(|s| s.remote.is_none()) {
                continue;
            }
            let took = done.heard_ns.saturating_sub(done.at_ns) as f64 / 1e9;
            if let Some(slot) = (done.job as usize).checked_sub(1).and_then(|index| home_s.get_mut(index)) {
                *slot = took;
            }
            homecomings[painter].push(took);
        }
        // With the network: the starts as they were, and the way home.
        let networked = Feed {
            ready_s: vec![first_handout_s; model.plans.len()],
            stalls: stalls(false),
            home_s: Arc::new(home_s),
            ..started.clone()
        };
        Self {
            cpu,
            contended,
            dried,
            asked_dry_s,
            dried_s,
            saved,
            started,
            networked,
            starts: starts.to_vec(),
            planned,
            first_handout_s,
            homecomings,
            waited_s,
            saving_s,
            pictures,
        }
    }

    /// Each host's share of the start-up and of the network, for a run
    /// with `--hosts`, in the order the hosts first appear.
    #[must_use]
    pub fn by_host(&self, gap: &Gap) -> Vec<HostShare> {
        let mut shares: Vec<HostShare> = Vec::new();
        for (index, start) in self.starts.iter().enumerate() {
            let host = start.remote.clone().unwrap_or_else(|| ":".to_owned());
            let position = shares.iter().position(|s| s.host == host).unwrap_or_else(|| {
                shares.push(HostShare {
                    host,
                    launcher: start.launcher.clone(),
                    painters: 0,
                    startup_s: 0.0,
                    startup_max_s: 0.0,
                    startup_share_s: 0.0,
                    round_trip_s: None,
                    paintings: 0,
                    homecoming_s: 0.0,
                    homecoming_max_s: 0.0,
                    beyond_local_s: 0.0,
                    network_share_s: 0.0,
                });
                shares.len() - 1
            });
            let share = &mut shares[position];
            let took = start.took_s();
            share.painters += 1;
            share.startup_s += took;
            share.startup_max_s = share.startup_max_s.max(took);
            share.beyond_local_s += start.beyond_local_s();
            share.round_trip_s = match (share.round_trip_s, start.round_trip_s) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let home = self.homecomings.get(index).map_or(&[][..], Vec::as_slice);
            share.paintings += home.len();
            share.homecoming_s += home.iter().sum::<f64>();
            share.homecoming_max_s = home.iter().copied().fold(share.homecoming_max_s, f64::max);
        }
        let startup: f64 = shares.iter().map(|s| s.startup_s).sum();
        let home: f64 = shares.iter().map(|s| s.homecoming_s + s.beyond_local_s).sum();
        for share in &mut shares {
            if startup > 0.0 {
                share.startup_share_s = gap.startup_s * share.startup_s / startup;
            }
            if home > 0.0 {
                share.network_share_s = gap.network_s * (share.homecoming_s + share.beyond_local_s) / home;
            }
        }
        shares
    }

    /// The start-up in words, for the explanation: how many painters, how
    /// they were started, and how long it took.
    #[must_use]
    pub fn startup_words(&self) -> String {
        let planned = self.planned.min(self.starts.len());
        let replacements = self.starts.len() - planned;
        let groups = by_launcher(&self.starts[..planned]);
        let handout = secs(self.first_handout_s);
        let how = match at_once(&self.starts[..planned]) {
            k if k <= 1 => "one after another".to_owned(),
            k if k == planned => "all at once".to_owned(),
            k => format!("up to {k} at once"),
        };
        let mut words = match (planned, groups.as_slice()) {
            (0, _) => String::new(),
            (1, [(launcher, _)]) => {
                format!("starting the painter{launcher} took {handout} before the first painting was handed out")
            }
            (n, [(launcher, times)]) => format!(
                "starting {n} painters{launcher}, {how}, took {handout} before the first painting was handed out ({} each)",
                range(times)
            ),
            (n, groups) => {
                let each: Vec<String> = groups
                    .iter()
                    .map(|(how, times)| match times.len() {
                        1 => format!("1{how}, {}", range(times)),
                        k => format!("{k}{how}, {} each", range(times)),
                    })
                    .collect();
                format!(
                    "starting {n} painters, {how}, took {handout} before the first painting was handed out ({})",
                    each.join("; ")
                )
            }
        };
        if replacements > 0 {
            let took: f64 = self.starts[planned..].iter().map(Start::took_s).sum();
            let what = if replacements == 1 {
                format!("a replacement painter's start took {}, while nothing was handed out", secs(took))
            } else {
                format!(
                    "{replacements} replacement painters' starts took {} in all, while nothing was handed out",
                    secs(took)
                )
            };
            words = if words.is_empty() { what } else { format!("{words}, and {what}") };
        }
        words
    }
}

impl Start {
    /// What its start cost beyond a local spawn: the session or login, the
    /// job step, the clock's pings. 0 on this machine.
    #[must_use]
    pub fn beyond_local_s(&self) -> f64 {
        self.local_s.map_or(0.0, |local| (self.took_s() - local).max(0.0))
    }

    /// From its spawn to ready, in seconds.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn took_s(&self) -> f64 {
        self.ready_ns.saturating_sub(self.spawned_ns) as f64 / 1e9
    }
}

/// The most of `starts` that were starting at one moment: 1 when each
/// was started after the one before was ready.
fn at_once(starts: &[Start]) -> usize {
    let mut edges: Vec<(u64, bool)> = starts.iter().flat_map(|s| [(s.spawned_ns, true), (s.ready_ns, false)]).collect();
    // A start that ends as another begins does not overlap it.
    edges.sort_by_key(|&(at, begins)| (at, begins));
    let (mut now, mut most) = (0_usize, 0_usize);
    for (_, begins) in edges {
        if begins {
            now += 1;
            most = most.max(now);
        } else {
            now = now.saturating_sub(1);
        }
    }
    most
}

/// `starts` by how they were started, in order of first appearance: ` over
/// ssh` (or nothing, on this machine) and the time each took.
fn by_launcher(starts: &[Start]) -> Vec<(String, Vec<f64>)> {
    let mut by: Vec<(String, Vec<f64>)> = Vec::new();
    for start in starts {
        let how = if start.remote.is_some() { format!(" over {}", start.launcher) } else { " here".to_owned() };
        match by.iter_mut().find(|(h, _)| *h == how) {
            Some((_, times)) => times.push(start.took_s()),
            None => by.push((how, vec![start.took_s()])),
        }
    }
    // Painters on this machine alone need no word on how they were started.
    if let [(how, _)] = by.as_mut_slice()
        && how == " here"
    {
        how.clear();
    }
    by
}

/// Times as a range, `0.29–0.33s`, or one time when they round alike.
fn range(times: &[f64]) -> String {
    let (low, high) = times.iter().fold((f64::MAX, 0.0_f64), |(l, h), &t| (l.min(t), h.max(t)));
    if times.is_empty() || secs(low) == secs(high) {
        secs(high)
    } else {
        format!("{}–{}", secs(low).trim_end_matches('s'), secs(high))
    }
}

/// The model's wall time at each step.
#[derive(Debug, Clone)]
pub struct Steps {
    /// Fed with each coat's CPU time: the ideal for the work as painted.
    pub ideal: Ideal,
    /// Plus the waits for a CPU.
    pub contended_s: f64,
    /// Plus the waits as long as they lasted.
    pub dried_s: f64,
    /// Plus saving.
    pub saved_s: f64,
    /// Plus start-up.
    pub started_s: f64,
    /// Plus the way home from other hosts.
    pub networked_s: f64,
    /// The facts fed.
    pub facts: Facts,
}

/// Runs the model on each step of `facts`.
///
/// # Errors
/// [`Stopped`] if asked to stop.
pub fn steps(model: &Model, facts: Facts, stop: &Stop) -> Result<Steps, Stopped> {
    // The six runs read the model and a feed each, and nothing else: three
    // of them on a thread of their own, beside the other three. For a
    // million paintings they take most of a second.
    let wall = |feed| simulate(model, feed, stop).map(|ideal| ideal.wall_s);
    let (first, later) = std::thread::scope(|scope| {
        let later =
            scope.spawn(|| Ok::<_, Stopped>([wall(&facts.saved)?, wall(&facts.started)?, wall(&facts.networked)?]));
        let first = simulate(model, &facts.cpu, stop)
            .and_then(|ideal| Ok((ideal, wall(&facts.contended)?, wall(&facts.dried)?)));
        (first, later.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let ((ideal, contended_s, dried_s), [saved_s, started_s, networked_s]) = (first?, later?);
    Ok(Steps { ideal, contended_s, dried_s, saved_s, started_s, networked_s, facts })
}

impl Steps {
    /// The causes of `wall_s − predicted_s`.
    #[must_use]
    pub fn gap(&self, predicted_s: f64, wall_s: f64) -> Gap {
        Gap {
            paint_speed_s: self.ideal.wall_s - predicted_s,
            contention_s: self.contended_s - self.ideal.wall_s,
            drying_s: self.dried_s - self.contended_s,
            saving_s: self.saved_s - self.dried_s,
            startup_s: self.started_s - self.saved_s,
            network_s: self.networked_s - self.started_s,
            unexplained_s: wall_s - self.networked_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::{DryKind, Effort, Event};

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
        let facts = Facts::gather(&outcome, &model, &[Start::default()], 1);
        assert_eq!(*facts.cpu.paint_s, vec![vec![0.1]], "the calibrated time stands");
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
        let facts = Facts::gather(&outcome, &model, &[Start::default()], 1);
        assert!((facts.waited_s[0] - 0.03).abs() < 1e-9);
        let steps = steps(&model, facts, &Stop::default()).expect("not stopped");
        let gap = steps.gap(0.1, 0.165);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(gap.paint_speed_s, 0.02), "{gap:?}");
        assert!(close(gap.contention_s, 0.03), "{gap:?}");
        assert!(close(gap.saving_s, 0.01), "{gap:?}");
        assert!(close(gap.startup_s, 0.0), "{gap:?}");
        assert!(close(gap.network_s, 0.0), "{gap:?}");
        assert!(close(gap.unexplained_s, 0.005), "{gap:?}");
        let sum = gap.paint_speed_s
            + gap.contention_s
            + gap.drying_s
            + gap.saving_s
            + gap.startup_s
            + gap.network_s
            + gap.unexplained_s;
        assert!(close(sum, 0.165 - 0.1));
    }

    /// A painting done by `painter`, stamped at `at_ns`, heard at `heard_ns`.
    fn done(painter: usize, job: u32, at_ns: u64) -> (usize, protocol::JobDone) {
        (painter, protocol::JobDone { job, lane: 0, at_ns, checksum: 0, path: None })
    }

    #[test]
    fn waits_that_ended_late_are_the_drying() {
        // 0.1 s of painting, then 0.1 s on the disk and 0.1 s on the network
        // asked; the file wait's thread woke 0.3 s late, and the network
        // wait, chained to the same deadline, ended at once.
        let work = Work { paintings: 1, coats: 1, paint_s: 0.1, file_s: 0.1, net_s: 0.1 };
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work, 1);
        let effort = Effort { cpu_ns: 100_000_000, run_delay_ns: 0 };
        let ms = |ms: u64| ms * 1_000_000;
        let outcome = Outcome {
            events: vec![
                event(1, 0, EventKind::PaintStarted),
                event(1, ms(100), EventKind::PaintFinished(effort)),
                event(1, ms(100), EventKind::DryStarted(DryKind::File)),
                event(1, ms(500), EventKind::DryFinished(DryKind::File)),
                event(1, ms(500), EventKind::DryStarted(DryKind::Network)),
                event(1, ms(500), EventKind::DryFinished(DryKind::Network)),
            ],
            ..Outcome::default()
        };
        let facts = Facts::gather(&outcome, &model, &[Start::default()], 1);
        assert!((facts.asked_dry_s - 0.2).abs() < 1e-9 && (facts.dried_s - 0.4).abs() < 1e-9);
        let steps = steps(&model, facts, &Stop::default()).expect("not stopped");
        let gap = steps.gap(0.3, 0.5);
        assert!((gap.drying_s - 0.2).abs() < 1e-9 && gap.unexplained_s.abs() < 1e-9, "{gap:?}");
    }

    #[test]
    fn starting_the_painters_and_a_replacement_are_the_start_up() {
        // Two painters of 1 s each, started one after another: spawned at
        // 0 and 0.1 s, the first painting handed out at 0.25 s. Painting 3
        // went to a replacement spawned at 1.2 s and ready at 1.5 s; nothing
        // was handed out meanwhile.
        let work = Work { paintings: 3, coats: 1, paint_s: 1.0, file_s: 0.0, net_s: 0.0 };
        let model = Model::new(&Mode::Parallel.layout(2, Some(&[0, 1])), work, 2);
        let ms = |ms: u64| 1_000 + ms * 1_000_000;
        let start = |spawned, ready| Start {
            spawned_ns: ms(spawned),
            ready_ns: ms(ready),
            launcher: "local".into(),
            ..Start::default()
        };
        let starts = [start(0, 100), start(100, 250), start(1200, 1500)];
        let outcome = Outcome { start_ns: ms(250), ..Outcome::default() };
        let facts = Facts::gather(&outcome, &model, &starts, 2);
        assert!((facts.first_handout_s - 0.25).abs() < 1e-9);
        assert_eq!(facts.started.ready_s, vec![0.25, 0.25]);
        assert_eq!(facts.started.stalls.len(), 1);
        assert!((facts.started.stalls[0].0 - 1.2).abs() < 1e-9 && (facts.started.stalls[0].1 - 1.5).abs() < 1e-9);
        let steps = steps(&model, facts, &Stop::default()).expect("not stopped");
        // Without start-up: 1 s, then painting 3: 2 s. With it, the first
        // two end at 1.25 s, in the stall, and painting 3 is handed out
        // when it ends, at 1.5 s: 2.5 s.
        let gap = steps.gap(2.0, 2.6);
        assert!((gap.startup_s - 0.5).abs() < 1e-9, "{gap:?}");
        assert!(gap.network_s.abs() < 1e-9, "{gap:?}");
        let words = steps.facts.startup_words();
        assert_eq!(
            words,
            "starting 2 painters, one after another, took 0.25s before the first painting was handed out (0.10–0.15s each), and a replacement painter's start took 0.30s, while nothing was handed out"
        );
    }

    #[test]
    fn a_remote_painting_on_its_way_home_holds_its_lane() {
        // One painter on another host, started in 0.31 s where one here
        // starts in 0.01 s; each painting's news took 0.1 s to come home,
        // so the next was handed out 0.1 s late.
        let work = Work { paintings: 2, coats: 1, paint_s: 1.0, file_s: 0.0, net_s: 0.0 };
        let model = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work, 1);
        let starts = [Start {
            spawned_ns: 0,
            ready_ns: 310_000_000,
            remote: Some("h1".into()),
            launcher: "ssh".into(),
            round_trip_s: Some(0.0004),
            local_s: Some(0.01),
        }];
        let outcome = Outcome {
            start_ns: 310_000_000,
            done: vec![done(0, 1, 1_310_000_000), done(0, 2, 2_410_000_000)],
            heard_ns: vec![1_410_000_000, 2_510_000_000],
            ..Outcome::default()
        };
        let facts = Facts::gather(&outcome, &model, &starts, 1);
        let steps = steps(&model, facts, &Stop::default()).expect("not stopped");
        let gap = steps.gap(2.0, 2.52);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        // A local start's worth is start-up; the 0.30 s beyond it, and the
        // way home, are the network's.
        assert!(close(gap.startup_s, 0.01), "{gap:?}");
        assert!(close(gap.network_s, 0.5), "{gap:?}");
        assert!(close(gap.unexplained_s, 0.01), "{gap:?}");
        let hosts = steps.facts.by_host(&gap);
        assert_eq!(hosts.len(), 1);
        let h1 = &hosts[0];
        assert_eq!((h1.host.as_str(), h1.launcher.as_str(), h1.painters, h1.paintings), ("h1", "ssh", 1, 2));
        assert!(close(h1.startup_s, 0.31) && close(h1.startup_share_s, 0.01), "{h1:?}");
        assert!(close(h1.beyond_local_s, 0.30), "{h1:?}");
        assert!(close(h1.homecoming_s, 0.2) && close(h1.homecoming_max_s, 0.1) && close(h1.network_share_s, 0.5));
        assert_eq!(h1.round_trip_s, Some(0.0004));
        assert_eq!(
            steps.facts.startup_words(),
            "starting the painter over ssh took 0.31s before the first painting was handed out"
        );
    }
}
