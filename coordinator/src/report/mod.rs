//! What a run measured, as data: built once from the painters' events, then
//! rendered as text ([`text`]), JSON (serde, straight from these structs),
//! a picture ([`svg`]) or a Chrome trace ([`trace`]). Who painted what,
//! where and when is worked out once too ([`lanes`]): every timeline, and
//! `plan`'s, is drawn from it; and who held each core ([`cores`]), from
//! the painters' thread states.
//!
//! Inside, one way down: `lanes`, `cores` and `gap` measure; `explain`,
//! `waits` and `cost` put the measures into the explanation's words (no
//! other file here writes it); `text`, `timeline`, `sparkline`, `plan`, `svg/`,
//! `trace` and `files` render. `sample` holds runs made up for tests.
//!
//! Uses what a run produced (`dispatch`'s outcome, `pool`'s painter lives,
//! `os::sampler`'s samples), the ideal (`model`), the vocabulary (`mode`,
//! `workload`) and `term`; used by `progress` and `app`.

pub mod clocks;
pub mod cores;
pub mod cost;
pub mod explain;
pub mod files;
pub mod gap;
pub mod lanes;
pub mod plan;
#[cfg(test)]
pub(crate) mod sample;
pub mod sparkline;
pub mod svg;
pub mod text;
pub mod timeline;
pub mod trace;
pub mod turns;
pub mod waits;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use protocol::Scheduler;
use serde::Serialize;

use crate::dispatch::{Failure, Lost, MainThread, Outcome};
use crate::mode::Mode;
use crate::model::schedule::{Ideal, Segment};
use crate::os::sampler::{CpuSample, CpuUse};
use crate::pool::PainterLife;
use crate::pool::painter::describe;
use crate::report::cores::CoreLane;
use crate::report::lanes::{Lanes, State};
use crate::workload::Calibration;
use crate::workload::Workload;

/// The version of the JSON that `--json` prints (`schema_version` in every
/// object it prints). It changes when a field is renamed or removed or
/// changes meaning; adding a field does not change it.
/// `docs/json.md` describes this version, and `docs/report.schema.json`
/// checks it. Version 2: `wall_s`, `startup_s` and every time on a run's
/// axis count from the first painter's spawn, not the first job.
/// Version 3: a run's `cores` is the list of its cores and who held each
/// (the count is `core_count`); painters have their threads' `states`.
pub const SCHEMA_VERSION: u32 = 3;

/// How a painter process ended: as data, and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitReport {
    /// Its exit status, if it exited.
    pub code: Option<i32>,
    /// The number of the signal that killed it, if one did.
    pub signal: Option<i32>,
    /// The same in words: "exited with status 0", "was killed by SIGKILL",
    /// or "not reaped" when neither is known.
    pub description: String,
}

impl ExitReport {
    /// From a reaped painter's status, or `None` when it was not reaped.
    #[must_use]
    pub fn new(status: Option<ExitStatus>) -> Self {
        Self {
            code: status.and_then(|s| s.code()),
            signal: status.and_then(|s| s.signal()),
            description: status.map_or_else(|| "not reaped".to_owned(), describe),
        }
    }
}

/// One painter process of a run.
#[derive(Debug, Clone, Serialize)]
pub struct PainterReport {
    /// `painter-K`'s K.
    pub id: u32,
    /// Its process id.
    pub pid: u32,
    /// Its first core (`null` when unpinned).
    pub core: Option<u32>,
    /// Its cores, one per lane.
    pub cores: Vec<u32>,
    /// Its threads of painting (`lanes` in the code).
    #[serde(rename = "threads")]
    pub lanes: u32,
    /// How it scheduled.
    #[serde(serialize_with = "scheduler_name")]
    pub scheduler: Scheduler,
    /// From spawn to `Hello`.
    pub startup_s: f64,
    /// CPU time it used (user + system), from the kernel's accounting of
    /// the reaped process (`wait4`), as `top` and `time` count it.
    pub cpu_s: Option<f64>,
    /// Time its threads were ready to paint but waited for a CPU that
    /// another thread held, over every coat (`run_delay` in
    /// `/proc/thread-self/schedstat`, as each painter measured it).
    pub run_delay_s: f64,
    /// User-mode part of `cpu_s`.
    pub user_s: Option<f64>,
    /// Kernel part of `cpu_s`.
    pub sys_s: Option<f64>,
    /// Peak resident memory, KiB: the painter's own high-water mark
    /// (`VmHWM`, which it sends in `Goodbye`), else `wait4`'s `ru_maxrss`,
    /// which also counts the coordinator's peak at the moment it spawned
    /// the painter (a `vfork` + `exec` inherits the mark of what it replaced).
    pub max_rss_kib: Option<u64>,
    /// How it exited.
    pub exit: ExitReport,
    /// Its CPU use over time, sampled from `/proc` while the mode ran.
    pub cpu_samples: Vec<CpuSample>,
    /// The machine it ran on, as that machine names itself.
    pub host: String,
    /// Whether that was another host than the coordinator's (`--hosts`);
    /// its lanes are then named `host/painter-K`.
    pub remote: bool,
    /// Its clock minus the coordinator's, in seconds: 0 on this machine,
    /// measured with pings on another (see `hosts::clock`).
    pub clock_offset_s: f64,
    /// The error bound of `clock_offset_s`, ± seconds.
    pub clock_bound_s: f64,
    /// How fast its clock ran against the coordinator's, from the first
    /// ping to the last, ppm (positive: it gained); `null` on this machine
    /// or with one measurement.
    pub clock_drift_ppm: Option<f64>,
    /// The error bound of `clock_drift_ppm`, ± ppm.
    pub clock_drift_bound_ppm: Option<f64>,
    /// How its threads' states were measured: `switch-events` or
    /// `self-measured`; `None` when it sent none.
    pub state_source: Option<&'static str>,
    /// The shortest wait that source can see, seconds; `None` with no states.
    pub state_resolution_s: Option<f64>,
    /// Its threads' states over the run (running, waiting for a core, off),
    /// on the run's axis: a copy of its lanes' states in the timeline, for JSON.
    pub states: Vec<State>,
}

impl PainterReport {
    /// `h2/` for a painter on another host, else nothing: what goes
    /// before its lanes' names.
    #[must_use]
    pub fn host_prefix(&self) -> String {
        if self.remote { format!("{}/", self.host) } else { String::new() }
    }
}

impl<'a> From<&'a PainterReport> for lanes::Painter<'a> {
    fn from(painter: &'a PainterReport) -> Self {
        Self {
            id: painter.id,
            lanes: painter.lanes,
            cores: &painter.cores,
            host: painter.remote.then_some(painter.host.as_str()),
            threads: painter.scheduler == Scheduler::Threads,
        }
    }
}

/// One finished painting.
#[derive(Debug, Clone, Serialize)]
pub struct PaintingReport {
    /// Its number.
    pub id: u32,
    /// The painter that made it.
    pub painter: u32,
    /// The thread (lane) of that painter that made it.
    #[serde(rename = "thread")]
    pub lane: u32,
    /// The core it was painted on (`null` when unpinned).
    pub core: Option<u32>,
    /// FNV-1a of its pixels, in hex: equal across modes for one workload.
    pub checksum: String,
    /// Where its PNG is; `null` for a painting of zero strokes, which has
    /// no picture to save.
    pub path: Option<String>,
}

/// Everything one mode's run measured.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The mode.
    pub mode: Mode,
    /// Painter processes of the mode (not counting replacements).
    pub processes: usize,
    /// Painting threads (lanes) in all, over every process.
    #[serde(rename = "threads")]
    pub lanes: usize,
    /// Distinct cores the lanes were pinned to (lanes when unpinned).
    pub core_count: usize,
    /// Each core a painter ran or waited on, or was pinned to, and who held
    /// it over the run; empty when the painters sent no states.
    pub cores: Vec<CoreLane>,
    /// How the painters' thread states were measured: `switch-events`, or
    /// `self-measured` if any painter measured itself; `None` with none.
    pub state_source: Option<&'static str>,
    /// From the first painter's spawn to the last painting reported done:
    /// starting the painters is part of the run (see [`gap`]).
    pub wall_s: f64,
    /// The same, predicted before the run: the zero-overhead model with
    /// the calibrated stroke (what `plan` prints).
    pub predicted_s: f64,
    /// The zero-overhead model for the work as it was painted: each coat
    /// taking the CPU time it really took.
    pub ideal_s: f64,
    /// `ideal_s / wall_s`: how close the machinery and the machine came to
    /// the ideal; 1.0 is perfect.
    pub efficiency: f64,
    /// Where `wall_s − predicted_s` went, cause by cause (see [`gap`]).
    pub gap: gap::Gap,
    /// `sequential`'s wall time over this one's (in `compare` only).
    pub speedup: Option<f64>,
    /// CPU time of all painters together.
    pub cpu_s: f64,
    /// From the first painter's spawn to the first painting handed out,
    /// which waited for every painter's `Hello` (part of `wall_s`).
    pub startup_s: f64,
    /// With `--hosts`: each host's start-up, round trip and paintings'
    /// way home, and its part of the gap; `None` without.
    pub network: Option<Vec<gap::HostShare>>,
    /// The painter processes.
    pub painters: Vec<PainterReport>,
    /// The paintings, by number.
    pub paintings: Vec<PaintingReport>,
    /// Who painted what, where and when, as measured: in JSON, what each
    /// lane did (`segments[]`).
    #[serde(rename = "segments")]
    pub timeline: Lanes,
    /// What each lane would do in the ideal (`ideal_s`).
    pub ideal_segments: Vec<Segment>,
    /// Paintings handed out per message in this run (`--chunk`, or what
    /// the mode chose): 1 hands out each on its own; guided, the largest.
    pub chunk: u32,
    /// Whether the chunks were guided: `chunk` at first, then smaller as
    /// the queue emptied, each at most about 1/(2·lanes) of what was left.
    pub chunk_guided: bool,
    /// The result, explained in a sentence.
    pub explanation: String,
    /// Painters that failed, and what became of their paintings.
    pub failures: Vec<Failure>,
    /// Paintings given up on (after `--retries`), by number.
    pub lost: Vec<Lost>,
    /// CPU time the coordinator itself used while the mode ran.
    pub coordinator_cpu_s: f64,
    /// Time the coordinator's main thread (the pipes, the dispatcher) was
    /// ready to run but waited for a CPU another thread held.
    pub coordinator_run_delay_s: f64,
    /// The coordinator's main thread over the hand-out: its length, and
    /// that thread's CPU time and wait for a CPU in it (`null` where the
    /// kernel does not count threads).
    pub coordinator_main: Option<MainThread>,
    /// The coordinator's CPU use over time.
    pub coordinator_cpu_samples: Vec<CpuSample>,
}

/// The facts a report is built from.
#[derive(Debug)]
pub struct Measured<'a> {
    /// The mode that ran.
    pub mode: Mode,
    /// Each painter's life: the planned painters first, then any that
    /// replaced a failed one.
    pub lives: Vec<PainterLife>,
    /// How many painters the mode planned.
    pub planned: usize,
    /// What the dispatcher collected.
    pub outcome: Outcome,
    /// The prediction for the same plan.
    pub predicted: Ideal,
    /// The model fed, step by step, with what happened.
    pub steps: gap::Steps,
    /// What the `/proc` sampler saw.
    pub cpu: CpuUse,
    /// The workload.
    pub workload: &'a Workload,
    /// Its calibration.
    pub calibration: &'a Calibration,
    /// Paintings handed out per message (guided: the most).
    pub chunk: u32,
    /// Whether chunks were guided.
    pub chunk_guided: bool,
}

/// Builds a run's report.
#[must_use]
pub fn build(measured: Measured<'_>) -> RunReport {
    let Measured { mode, lives, planned, outcome, predicted, steps, cpu, workload, calibration, chunk, chunk_guided } =
        measured;
    // Every time of the run counts from its first painter's spawn.
    let origin_ns = gap::Facts::origin_ns(&outcome, &steps.facts.starts, planned);
    let secs = |ns: u64| ns.saturating_sub(origin_ns) as f64 / 1e9;
    let wall_s = secs(outcome.end_ns);
    let mut painter_reports: Vec<PainterReport> = lives
        .iter()
        .enumerate()
        .map(|(index, life)| painter_report(life, steps.facts.waited_s.get(index).copied().unwrap_or(0.0)))
        .collect();
    // The run ends when its last painting is done: what the painters' threads
    // did after that (saying goodbye) is not part of it.
    let states = thread_states(&outcome, &lives, &mut painter_reports, &|ns| secs(ns).min(wall_s));
    let paintings = paintings(&outcome, &lives);
    // The mode's shape is that of its planned painters; replacements only
    // stand in for a failed one.
    let shape = &lives[..planned.min(lives.len())];
    let lanes: usize = shape.iter().map(|life| life.hello.lanes as usize).sum();
    let cores: BTreeSet<u32> = shape.iter().flat_map(|life| life.hello.cores.iter().copied()).collect();
    let timeline = Lanes::measured(&outcome, painter_reports.iter().map(Into::into), secs).with_states(states);
    for (index, painter) in painter_reports.iter_mut().enumerate() {
        painter.states = timeline.states_of_painter(index).to_vec();
    }
    let holders: Vec<cores::Holder> = painter_reports
        .iter()
        .map(|p| cores::Holder {
            name: crate::mode::painter_name(p.id),
            pid: p.pid,
            host: p.host.clone(),
            remote: p.remote,
        })
        .collect();
    let core_lanes = cores::build(&timeline, &holders, &cpu.others, wall_s);
    let state_source = state_source(&painter_reports);
    let ideal_s = steps.ideal.wall_s;
    let efficiency = if wall_s > 0.0 { ideal_s / wall_s } else { 1.0 };
    let gap = steps.gap(predicted.wall_s, wall_s);
    let mut report = RunReport {
        mode,
        processes: shape.len(),
        lanes,
        core_count: if cores.is_empty() { lanes.min(workload.allowed_cores.len()) } else { cores.len() },
        cores: core_lanes,
        state_source,
        wall_s,
        predicted_s: predicted.wall_s,
        ideal_s,
        efficiency,
        gap,
        speedup: None,
        cpu_s: lives.iter().filter_map(|life| life.farewell.exit.usage).map(|u| u.cpu_s()).sum(),
        startup_s: steps.facts.first_handout_s,
        network: workload.hosts.is_some().then(|| steps.facts.by_host(&gap)),
        painters: painter_reports,
        paintings,
        timeline,
        ideal_segments: steps.ideal.segments.clone(),
        chunk,
        chunk_guided,
        explanation: String::new(),
        failures: outcome.failures.clone(),
        lost: outcome.lost.clone(),
        coordinator_cpu_s: cpu.coordinator_cpu_s,
        coordinator_run_delay_s: cpu.coordinator_waited_s,
        coordinator_main: outcome.main_thread,
        coordinator_cpu_samples: crate::os::sampler::relative(&cpu.coordinator, origin_ns),
    };
    for (painter, points) in report.painters.iter_mut().zip(&cpu.painters) {
        painter.cpu_samples = crate::os::sampler::relative(points, origin_ns);
    }
    report.explanation = explain::sentence(&report, workload, calibration, &steps.facts, &cpu);
    report.explanation += &waits::sentence(&report);
    if let Some(cost) = cost::sentence(&report, workload) {
        report.explanation = format!("{} {cost}", report.explanation);
    }
    report
}

/// One painter's report, but for what the whole run decides (its CPU
/// samples, its thread states): `waited_s` is its time waiting for a core.
fn painter_report(life: &PainterLife, waited_s: f64) -> PainterReport {
    let PainterLife { hello, startup, farewell, .. } = life;
    let usage = farewell.exit.usage;
    let clock = farewell.clock.map(crate::hosts::clock::Clock::report);
    PainterReport {
        id: hello.painter_id,
        pid: hello.pid,
        core: hello.cores.first().copied(),
        cores: hello.cores.clone(),
        lanes: hello.lanes,
        scheduler: hello.scheduler,
        startup_s: startup.as_secs_f64(),
        cpu_s: usage.map(|u| u.cpu_s()),
        run_delay_s: waited_s,
        user_s: usage.map(|u| u.user_s),
        sys_s: usage.map(|u| u.sys_s),
        max_rss_kib: farewell
            .goodbye
            .map(|g| g.max_rss_kib)
            .filter(|&kib| kib > 0)
            .or_else(|| usage.map(|u| u.max_rss_kib)),
        exit: ExitReport::new(farewell.exit.status),
        cpu_samples: Vec::new(),
        host: hello.host.clone(),
        remote: farewell.clock.is_some(),
        clock_offset_s: clock.as_ref().map_or(0.0, |c| c.offset_s),
        clock_bound_s: clock.as_ref().map_or(0.0, |c| c.bound_s),
        clock_drift_ppm: clock.as_ref().and_then(|c| c.drift_ppm),
        clock_drift_bound_ppm: clock.as_ref().and_then(|c| c.drift_bound_ppm),
        state_source: None,
        state_resolution_s: None,
        states: Vec::new(),
    }
}

/// The finished paintings, in order.
fn paintings(outcome: &Outcome, lives: &[PainterLife]) -> Vec<PaintingReport> {
    let mut paintings: Vec<PaintingReport> = outcome
        .finished()
        .map(|done| {
            let hello = &lives[done.painter].hello;
            PaintingReport {
                id: done.job,
                painter: hello.painter_id,
                lane: done.lane,
                core: hello.cores.get(done.lane as usize).copied(),
                checksum: format!("{:016x}", done.checksum),
                path: done.path.map(str::to_owned),
            }
        })
        .collect();
    paintings.sort_by_key(|p| p.id);
    paintings
}

/// Every painter's thread states, from what it sent during the run and
/// after it, on the run's axis (a remote painter's came home already moved
/// onto this machine's clock, like its events: `hosts::refine`). Notes in
/// each painter's report how they were measured.
fn thread_states(
    outcome: &Outcome,
    lives: &[PainterLife],
    painters: &mut [PainterReport],
    secs: &impl Fn(u64) -> f64,
) -> Vec<State> {
    let during = outcome.states.iter().map(|(index, states)| (*index, states));
    let after = lives.iter().enumerate().flat_map(|(index, life)| life.farewell.states.iter().map(move |s| (index, s)));
    let mut all = Vec::new();
    for (index, sent) in during.chain(after) {
        if let Some(painter) = painters.get_mut(index) {
            // A painter is as exact as its coarsest thread's measure.
            let resolution_s = sent.resolution_ns as f64 / 1e9;
            painter.state_resolution_s = Some(painter.state_resolution_s.map_or(resolution_s, |r| r.max(resolution_s)));
            if painter.state_source != Some(protocol::StateSource::SelfMeasured.name()) {
                painter.state_source = Some(sent.source.name());
            }
        }
        all.extend(sent.spans.iter().map(|span| State {
            painter: index,
            state: span.state,
            start_s: secs(span.start_ns),
            end_s: secs(span.end_ns),
            core: span.core,
            thread: sent.lane,
        }));
    }
    all
}

/// The run's state source: `self-measured` if any painter measured itself,
/// else `switch-events` if any sent states.
fn state_source(painters: &[PainterReport]) -> Option<&'static str> {
    let sources: Vec<&str> = painters.iter().filter_map(|p| p.state_source).collect();
    let self_measured = protocol::StateSource::SelfMeasured.name();
    if sources.contains(&self_measured) { Some(self_measured) } else { sources.first().copied() }
}

/// Fills in each run's speedup: `sequential`'s wall time over its own
/// (none when `sequential` did not run).
///
/// A measured speedup above the predicted one (sequential's prediction
/// over this run's) would contradict the sentence that bounds it; where it
/// is, the run's explanation says why: sequential ran beyond its
/// prediction, or this run under its own.
pub fn speedups(runs: &mut [RunReport]) {
    let Some(sequential) = runs.iter().find(|r| r.mode == Mode::Sequential).cloned() else { return };
    for run in runs.iter_mut() {
        let speedup = sequential.wall_s / run.wall_s;
        run.speedup = Some(speedup);
        if run.mode == Mode::Sequential || run.predicted_s < 0.001 || sequential.predicted_s < 0.001 {
            continue;
        }
        let predicted = sequential.predicted_s / run.predicted_s;
        // Within 2%, clocks and rounding.
        if speedup <= predicted * 1.02 {
            continue;
        }
        let mut why = Vec::new();
        if sequential.wall_s > sequential.predicted_s * 1.01 {
            why.push(format!(
                "sequential took {}, {} beyond its prediction",
                crate::term::format::secs(sequential.wall_s),
                crate::term::format::secs(sequential.wall_s - sequential.predicted_s)
            ));
        }
        if run.wall_s < run.predicted_s * 0.99 {
            why.push(format!(
                "this run took {}, {} under its prediction",
                crate::term::format::secs(run.wall_s),
                crate::term::format::secs(run.predicted_s - run.wall_s)
            ));
        }
        let why = if why.is_empty() { String::new() } else { format!(": {}", why.join(", and ")) };
        run.explanation +=
            &format!(" The table's {speedup:.2}× against sequential is more than the {predicted:.2}× predicted{why}.");
    }
}

/// Whether a mode's lanes are threads of one process (for labels).
#[must_use]
pub fn lanes_are_threads(report: &RunReport) -> bool {
    report.painters.iter().any(|p| p.scheduler == Scheduler::Threads)
}

/// The host a `threads` run over `--hosts` ran on: its one process runs on
/// one host, so it has that host's cores alone, however many the other
/// hosts offer. `None` for any other run.
#[must_use]
pub fn threads_host(report: &RunReport) -> Option<&str> {
    if !lanes_are_threads(report) {
        return None;
    }
    report.painters.iter().find(|p| p.remote).map(|p| p.host.as_str())
}

/// A count and its noun, in the plural unless the count is 1: `1 thread`,
/// `2 blocking threads`.
#[must_use]
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// A scheduler in JSON: its name on the painter's command line.
fn scheduler_name<S: serde::Serializer>(scheduler: &Scheduler, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(scheduler.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_agrees_with_its_noun() {
        assert_eq!(count(1, "blocking thread"), "1 blocking thread");
        assert_eq!(count(2, "blocking thread"), "2 blocking threads");
        assert_eq!(count(0, "thread"), "0 threads");
    }

    #[test]
    fn speedups_are_against_sequential_and_absent_without_it() {
        let mut runs = vec![sample::sample_run(), sample::sample_run()];
        runs[0].mode = Mode::Sequential;
        runs[0].wall_s = 3.0;
        runs[1].wall_s = 1.5;
        speedups(&mut runs);
        assert_eq!(runs.iter().map(|r| r.speedup).collect::<Vec<_>>(), [Some(1.0), Some(2.0)]);
        let mut alone = vec![sample::sample_run()];
        speedups(&mut alone);
        assert_eq!(alone[0].speedup, None);
    }

    #[test]
    fn a_speedup_beyond_the_predicted_one_says_why() {
        // Predicted 3.6 s and 2.4 s: 1.50×. Sequential slowed to 4.8 s.
        let mut runs = vec![sample::sample_run(), sample::sample_run()];
        (runs[0].mode, runs[0].predicted_s, runs[0].wall_s) = (Mode::Sequential, 3.6, 4.8);
        (runs[1].mode, runs[1].predicted_s, runs[1].wall_s) = (Mode::Parallel, 2.4, 2.4);
        let before = runs[1].explanation.clone();
        speedups(&mut runs);
        let said = runs[1].explanation.strip_prefix(before.as_str()).unwrap_or_default();
        assert_eq!(
            said,
            " The table's 2.00× against sequential is more than the 1.50× predicted: sequential took 4.80s, 1.20s beyond its prediction."
        );
        // As predicted: nothing more is said.
        (runs[0].wall_s, runs[0].explanation) = (3.6, before.clone());
        runs[1].explanation = before.clone();
        speedups(&mut runs);
        assert_eq!(runs[1].explanation, before);
    }
}
