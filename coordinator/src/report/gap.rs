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

use crate::dispatch::Outcome;
use crate::model::schedule::{Feed, Ideal, Model, SegmentKind, Stop, Stopped, Work, simulate};
use crate::pool::Start;
use crate::report::lanes;

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
    /// Not a cause of its own but part of `drying_s` and `unexplained_s`:
    /// the wall time during which an async painter sat idle past a
    /// drying's planned end before it took that painting up again (its
    /// next coat, or its saving) — its runtime's late wake-ups.
    pub late_wakeups_s: f64,
}

/// A cause this small (in seconds, or as a share of the wall time) goes
/// unsaid: it is within what a clock and a scheduler blur.
pub const NEGLIGIBLE_S: f64 = 0.002;
/// See [`NEGLIGIBLE_S`].
pub const NEGLIGIBLE_SHARE: f64 = 0.01;

/// The least a cause must be to stand out of a run of `wall_s`: the larger
/// of [`NEGLIGIBLE_S`] and [`NEGLIGIBLE_SHARE`] of the run.
#[must_use]
pub fn floor(wall_s: f64) -> f64 {
    NEGLIGIBLE_S.max(NEGLIGIBLE_SHARE * wall_s)
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
    /// See [`Gap::late_wakeups_s`].
    pub late_wakeups_s: f64,
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
        let work = model.work;
        let n = work.paintings as usize;
        let coats = work.coats as usize;
        let painted = Painted::from(outcome, work, starts.len());
        let mut dry_at = painted.dry_at;
        let (dry, saves) = waits_and_saves(outcome, work, &mut dry_at);
        let (save, saving_s) = save_costs(&saves, &dry_at, n);
        let pictures = outcome.done.iter().filter(|(_, done)| done.path.is_some()).count(); // a life has none
        let cpu = Feed { paint_s: Arc::new(painted.cpu), ..Feed::default() };
        let contended = Feed { paint_s: Arc::new(painted.contended), own_cores: true, ..Feed::default() };
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
        let (home_s, homecomings) = homecomings(outcome, starts, n);
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
            waited_s: painted.waited_s,
            saving_s,
            pictures,
            late_wakeups_s: late_wakeups(outcome, model),
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
}

/// What the painters' `PaintFinished` events say of each coat.
struct Painted {
    /// Per painting, per coat: the CPU time painting it used.
    cpu: Vec<Vec<f64>>,
    /// The same plus the time its thread waited for a CPU.
    contended: Vec<Vec<f64>>,
    /// Per painter: the time its threads waited for a CPU, in all.
    waited_s: Vec<f64>,
    /// When each painting's last coat was painted.
    dry_at: HashMap<u32, u64>,
}

impl Painted {
    #[allow(clippy::cast_precision_loss)]
    fn from(outcome: &Outcome, work: Work, painters: usize) -> Self {
        let (n, coats) = (work.paintings as usize, work.coats as usize);
        let mut painted = Self {
            cpu: vec![vec![work.paint_s; coats]; n],
            contended: vec![vec![work.paint_s; coats]; n],
            waited_s: vec![0.0; painters],
            dry_at: HashMap::new(),
        };
        let last = work.coats.saturating_sub(1);
        for (painter, event) in outcome.all_events() {
            if let EventKind::PaintFinished(effort) = event.kind
                && in_range(work, event.job, event.coat)
            {
                let cpu_s = effort.cpu_ns as f64 / 1e9;
                let delay_s = effort.run_delay_ns as f64 / 1e9;
                painted.cpu[event.job as usize - 1][event.coat as usize] = cpu_s;
                painted.contended[event.job as usize - 1][event.coat as usize] = cpu_s + delay_s;
                if let Some(waited) = painted.waited_s.get_mut(painter) {
                    *waited += delay_s;
                }
                if event.coat == last {
                    painted.dry_at.insert(event.job, event.at_ns);
                }
            }
        }
        painted
    }
}

/// A picture's saving: its painting, and when the saving started and ended.
type Saving = (u32, u64, u64);

/// Whether a painter's painting and coat number are among the work's
/// (a number comes from a painter: 0 is no painting).
fn in_range(work: Work, job: u32, coat: u32) -> bool {
    (1..=work.paintings).contains(&job) && coat < work.coats
}

/// How long each coat's waits lasted, as the painters timed them (paired
/// as the lanes pair them), and each picture's saving: its painting, start
/// and end. Moves `dry_at` to when each painting's last coat was dry.
#[allow(clippy::cast_precision_loss)]
fn waits_and_saves(
    outcome: &Outcome,
    work: Work,
    dry_at: &mut HashMap<u32, u64>,
) -> (Vec<Vec<(f64, f64)>>, Vec<Saving>) {
    let mut dry = vec![vec![(work.file_s, work.net_s); work.coats as usize]; work.paintings as usize];
    let mut saves = Vec::new();
    let last = work.coats.saturating_sub(1);
    lanes::pair(
        outcome.all_events(),
        |kind| kind != SegmentKind::Paint,
        |p| match p.kind {
            SegmentKind::FileWait | SegmentKind::NetWait => {
                if in_range(work, p.painting, p.coat) {
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
    (dry, saves)
}

/// Per painting, the saving that cost time (saving done while its last
/// coat dried cost none), and the seconds spent saving in all.
#[allow(clippy::cast_precision_loss)]
fn save_costs(saves: &[Saving], dry_at: &HashMap<u32, u64>, n: usize) -> (Vec<f64>, f64) {
    let mut save = vec![0.0; n];
    let mut saving_s = 0.0;
    for &(job, start, end) in saves {
        let took = end.saturating_sub(start) as f64 / 1e9;
        saving_s += took;
        if dry_at.get(&job).is_some_and(|&dry| start >= dry)
            && let Some(slot) = (job as usize).checked_sub(1).and_then(|index| save.get_mut(index))
        {
            *slot += took;
        }
    }
    (save, saving_s)
}

/// The way home of each painting from another host: per painting, and per
/// painter (by index) each that came home.
#[allow(clippy::cast_precision_loss)]
fn homecomings(outcome: &Outcome, starts: &[Start], n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut home_s = vec![0.0; n];
    let mut homecomings = vec![Vec::new(); starts.len()];
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
    (home_s, homecomings)
}

/// The most of `starts` that were starting at one moment: 1 when each
/// was started after the one before was ready.
pub fn at_once(starts: &[Start]) -> usize {
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
            late_wakeups_s: self.facts.late_wakeups_s,
        }
    }
}

/// [`Gap::late_wakeups_s`], from the events of a run's async painters: for
/// each coat's drying, from its planned end (its first wait's start plus
/// the waits asked) to the painter's next word about that painting (the
/// next coat started, the picture's saving started, or the painting done),
/// less the time the painter spent painting or saving something else
/// meanwhile; then the wall time those stretches cover, painters together.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn late_wakeups(outcome: &Outcome, model: &Model) -> f64 {
    let asked_ns = ((model.work.file_s + model.work.net_s) * 1e9).round().max(0.0) as u64;
    let is_async = |painter: usize| model.plans.get(painter).is_some_and(|p| p.scheduler == protocol::Scheduler::Async);
    if asked_ns == 0 || !(0..model.plans.len()).any(is_async) {
        return 0.0;
    }
    // Per painter: the planned ends of its dryings by (painting, coat),
    // whether each has ended, the stretches it was late, and it was busy.
    let mut planned: HashMap<(usize, u32, u32), (u64, bool)> = HashMap::new();
    let mut late: Vec<(usize, u64, u64)> = Vec::new();
    let mut busy: HashMap<usize, Vec<(u64, u64)>> = HashMap::new();
    let mut since: HashMap<(usize, u32), u64> = HashMap::new();
    let mut resume = |planned: &mut HashMap<(usize, u32, u32), (u64, bool)>, key: (usize, u32, u32), at: u64| {
        if let Some((end, _)) = planned.remove(&key)
            && at > end
        {
            late.push((key.0, end, at));
        }
    };
    for &(painter, event) in outcome.events.iter().filter(|(painter, _)| is_async(*painter)) {
        let (job, coat, at) = (event.job, event.coat, event.at_ns);
        match event.kind {
            EventKind::DryStarted(_) => {
                planned.entry((painter, job, coat)).or_insert((at.saturating_add(asked_ns), false));
            }
            EventKind::DryFinished(_) => {
                if let Some((_, ended)) = planned.get_mut(&(painter, job, coat)) {
                    *ended = true;
                }
            }
            EventKind::PaintStarted | EventKind::SaveStarted => {
                if event.kind == EventKind::PaintStarted && coat > 0 {
                    resume(&mut planned, (painter, job, coat - 1), at);
                }
                // A picture prepared while its coat dries resumes nothing.
                if event.kind == EventKind::SaveStarted && planned.get(&(painter, job, coat)).is_some_and(|p| p.1) {
                    resume(&mut planned, (painter, job, coat), at);
                }
                since.insert((painter, event.lane), at);
            }
            EventKind::PaintFinished(_) | EventKind::SaveFinished => {
                if let Some(start) = since.remove(&(painter, event.lane)) {
                    busy.entry(painter).or_default().push((start, at));
                }
            }
        }
    }
    for (painter, done) in &outcome.done {
        let last = model.work.coats.saturating_sub(1);
        resume(&mut planned, (*painter, done.job, last), done.at_ns);
    }
    // Each late stretch less the painter's busy time in it, then the union.
    let mut idle: Vec<(u64, u64)> = Vec::new();
    for (painter, start, end) in late {
        let mut from = start;
        let mut spans = busy.get(&painter).cloned().unwrap_or_default();
        spans.sort_unstable();
        for (b_start, b_end) in spans.into_iter().filter(|&(a, b)| b > start && a < end) {
            if b_start > from {
                idle.push((from, b_start.min(end)));
            }
            from = from.max(b_end);
        }
        if end > from {
            idle.push((from, end));
        }
    }
    idle.sort_unstable();
    let (mut total, mut reached) = (0_u64, 0_u64);
    for (start, end) in idle {
        let start = start.max(reached);
        if end > start {
            total += end - start;
            reached = end;
        }
    }
    total as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use protocol::{DryKind, Effort, Event};

    use super::*;
    use crate::mode::Mode;
    use crate::model::schedule::Work;

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

    #[test]
    fn an_async_painter_idle_past_a_dryings_planned_end_is_late_to_wake() {
        // Painting 1: a coat painted by 100 ms, dried 50 + 50 ms asked, so
        // due at 200 ms; its next coat starts at 204 ms. Meanwhile the
        // painter painted painting 2 until 202 ms: 2 ms idle and late.
        let work = Work { paintings: 2, coats: 2, paint_s: 0.05, file_s: 0.05, net_s: 0.05 };
        let model = Model::new(&Mode::Async.layout(1, Some(&[0])), work, 1);
        let effort = Effort { cpu_ns: 1, run_delay_ns: 0 };
        let ms = |ms: u64| ms * 1_000_000;
        let at = |job, coat, at_ns, kind| (0, Event { job, lane: 0, coat, at_ns, kind });
        let mut outcome = Outcome {
            events: vec![
                at(1, 0, 0, EventKind::PaintStarted),
                at(1, 0, ms(100), EventKind::PaintFinished(effort)),
                at(1, 0, ms(100), EventKind::DryStarted(DryKind::File)),
                at(2, 0, ms(150), EventKind::PaintStarted),
                at(1, 0, ms(150), EventKind::DryFinished(DryKind::File)),
                at(1, 0, ms(150), EventKind::DryStarted(DryKind::Network)),
                at(1, 0, ms(201), EventKind::DryFinished(DryKind::Network)),
                at(2, 0, ms(202), EventKind::PaintFinished(effort)),
                at(1, 1, ms(204), EventKind::PaintStarted),
            ],
            ..Outcome::default()
        };
        let facts = Facts::gather(&outcome, &model, &[Start::default()], 1);
        assert!((facts.late_wakeups_s - 0.002).abs() < 1e-9, "{}", facts.late_wakeups_s);
        // The same painter, had it been a blocking one, is not counted.
        let blocking = Model::new(&Mode::Sequential.layout(1, Some(&[0])), work, 1);
        assert!(Facts::gather(&outcome, &blocking, &[Start::default()], 1).late_wakeups_s.abs() < 1e-12);
        // Done (with no picture to save) 1 ms after the last drying's
        // planned end, nothing else painting: 1 ms more.
        outcome.events.extend([
            at(1, 1, ms(254), EventKind::PaintFinished(effort)),
            at(1, 1, ms(254), EventKind::DryStarted(DryKind::File)),
            at(1, 1, ms(354), EventKind::DryFinished(DryKind::Network)),
        ]);
        outcome.done.push(done(0, 1, ms(355)));
        let facts = Facts::gather(&outcome, &model, &[Start::default()], 1);
        assert!((facts.late_wakeups_s - 0.003).abs() < 1e-9, "{}", facts.late_wakeups_s);
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
        let words = crate::report::explain::startup_words(&steps.facts);
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
            crate::report::explain::startup_words(&steps.facts),
            "starting the painter over ssh took 0.31s before the first painting was handed out"
        );
    }
}
