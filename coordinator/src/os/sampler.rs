//! CPU use over time: while a mode runs, how busy each painter process is,
//! and the coordinator itself, read from `/proc` the way `top` reads it.
//!
//! Every [`EVERY`] a task on the coordinator's runtime reads each process's
//! `/proc/PID/stat`: the clock ticks the kernel has counted for the process
//! (all its threads, user and system time). The ticks used since the last
//! look, over the time since the last look, is the share of one core the
//! process used: 1.0 is one core busy all the time, 2.0 is two cores (a
//! `threads` painter), 0.0 is a process that only waited.
//!
//! The kernel counts in ticks of `1/CLK_TCK` s, usually 10 ms, so a single
//! 50 ms sample is exact to about ±0.2 of a core; an average over a longer
//! stretch is closer. A painter that paints all the time reads about 1.0;
//! one that paints a third of the time, about a third.
//!
//! It also looks, once when it starts and once when it stops, at every
//! process on the machine, so that a report can name the program that
//! kept a painter's core busy ([`Other`]).
//!
//! The sampler returns what it saw as plain data ([`CpuUse`]); the report
//! is built from it in `report/mod.rs`.

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::unistd::{SysconfVar, sysconf};
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use std::collections::HashMap;

/// How often the processes are looked at.
pub const EVERY: Duration = Duration::from_millis(50);

/// One look at one process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuSample {
    /// When, in seconds from the run's start (its first painter's spawn).
    pub t_s: f64,
    /// The cores it kept busy since the look before (about [`EVERY`]
    /// earlier): 1.0 is one core all the time.
    pub cpu: f64,
}

/// Points as taken: `CLOCK_MONOTONIC` nanoseconds and the share of a core.
pub type Points = Vec<(u64, f64)>;

/// A running sampler; [`Sampler::stop`] ends it. Dropped without being
/// stopped (a run that failed), its task notices and ends too.
#[derive(Debug)]
pub struct Sampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Vec<Points>>,
    /// The coordinator's own CPU time when sampling began.
    coordinator_before: Option<Duration>,
    /// What the kernel had counted of its main thread when sampling began.
    main_before: Option<Scheduled>,
    /// Every process, when sampling began, and the pids that are ours.
    census: Census,
    ours: Vec<u32>,
}

/// What a sampler saw.
#[derive(Debug, Clone, Default)]
pub struct CpuUse {
    /// One series per painter pid, in the order given to [`Sampler::start`].
    pub painters: Vec<Points>,
    /// The coordinator's own series.
    pub coordinator: Points,
    /// The coordinator's CPU time while sampling ran, in seconds, from
    /// `getrusage` (exact, unlike the ticks of `/proc`).
    pub coordinator_cpu_s: f64,
    /// The time the coordinator's main thread (its runtime: the pipes, the
    /// dispatcher) was ready to run but waited for a CPU, while sampling
    /// ran (`run_delay` in `/proc/thread-self/schedstat`); 0 where the
    /// kernel does not count it.
    pub coordinator_waited_s: f64,
    /// Per core, the busiest process that was neither a painter nor the
    /// coordinator, if any used CPU there while sampling ran.
    pub others: Vec<Other>,
}

/// Another program, busy on one of the cores while a mode ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Other {
    /// The core it last ran on.
    pub core: u32,
    /// Its command name (`/proc/PID/comm`).
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// CPU time it used while sampling ran, in seconds.
    pub cpu_s: f64,
}

/// Every process's name, ticks used and last core, by pid.
type Census = HashMap<u32, (String, u64, u32)>;

impl Sampler {
    /// Starts looking at `painters` (pids) and at this process.
    #[must_use]
    pub fn start(painters: &[u32]) -> Self {
        let mut pids = painters.to_vec();
        pids.push(std::process::id());
        let (stop, stopped) = oneshot::channel();
        let census = census();
        let ours = pids.clone();
        let task = tokio::spawn(sample(pids, ticks_per_second(), stopped));
        Self { stop, task, coordinator_before: own_cpu_time(), main_before: this_thread(), census, ours }
    }

    /// Takes a last look, ends the task and returns what it saw. `joined`
    /// are painters started since (replacing failed ones): this run's, so
    /// never another program, though they are not sampled.
    pub async fn stop(mut self, joined: &[u32]) -> CpuUse {
        self.ours.extend_from_slice(joined);
        let coordinator_after = own_cpu_time();
        // `start` and `stop` are called on the runtime's one thread.
        let coordinator_waited_s = match (self.main_before, this_thread()) {
            (Some(before), Some(after)) => after.waited_ns.saturating_sub(before.waited_ns) as f64 / 1e9,
            _ => 0.0,
        };
        // The task ends when told, or when the sender is gone: either way.
        let _ = self.stop.send(());
        let mut series = self.task.await.unwrap_or_else(|error| {
            tracing::warn!("the CPU sampler failed: {error}");
            Vec::new()
        });
        let coordinator = series.pop().unwrap_or_default();
        let coordinator_cpu_s = match (self.coordinator_before, coordinator_after) {
            (Some(before), Some(after)) => after.saturating_sub(before).as_secs_f64(),
            _ => 0.0,
        };
        let others = busiest_others(&self.census, &census(), &self.ours, ticks_per_second(), pinned_to);
        CpuUse { painters: series, coordinator, coordinator_cpu_s, coordinator_waited_s, others }
    }
}

/// Points in seconds from `start_ns`; a look that ended before the first
/// job says nothing about the run and is left out.
#[must_use]
pub fn relative(points: &Points, start_ns: u64) -> Vec<CpuSample> {
    points
        .iter()
        .filter(|&&(at, _)| at > start_ns)
        .map(|&(at, cpu)| CpuSample { t_s: (at - start_ns) as f64 / 1e9, cpu })
        .collect()
}

/// The average number of cores busy between `from_s` and `to_s`, reading
/// each sample as covering the time since the one before it (the first, the
/// [`EVERY`] before it); `None` where no sample covers any of that time.
#[must_use]
pub fn average(samples: &[CpuSample], from_s: f64, to_s: f64) -> Option<f64> {
    let mut covered = 0.0;
    let mut busy = 0.0;
    let mut previous = samples.first().map(|s| s.t_s - EVERY.as_secs_f64());
    for sample in samples {
        let start = previous.unwrap_or(sample.t_s).max(from_s);
        let end = sample.t_s.min(to_s);
        if end > start {
            covered += end - start;
            busy += (end - start) * sample.cpu;
        }
        previous = Some(sample.t_s);
    }
    (covered > 0.0).then(|| busy / covered)
}

/// Every process's name, ticks and last core, from `/proc/*/stat`: a few
/// hundred small reads, done twice a mode.
fn census() -> Census {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Census::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let name = stat.split_once(" (")?.1.rsplit_once(") ")?.0.to_owned();
            Some((pid, (name, ticks(&stat)?, processor(&stat)?)))
        })
        .collect()
}

/// Per core, the process other than `ours` that used the most CPU
/// between two censuses. `/proc` tells only the core a process *last* ran
/// on, and its CPU time on all of them: a process pinned to one core
/// (`pinned_to`) spent all of it there, so it is preferred on that core to
/// one that may have spent its time elsewhere (a build's compiler, moving
/// between cores, beside a loop pinned to core 1).
fn busiest_others(
    before: &Census,
    after: &Census,
    ours: &[u32],
    ticks_per_s: f64,
    pinned_to: impl Fn(u32) -> Option<u32>,
) -> Vec<Other> {
    let mut by_core: HashMap<u32, Vec<(bool, Other)>> = HashMap::new();
    for (&pid, (name, ticks, core)) in after {
        if ours.contains(&pid) {
            continue;
        }
        let used = ticks.saturating_sub(before.get(&pid).map_or(0, |b| b.1));
        if used == 0 {
            continue;
        }
        let cpu_s = used as f64 / ticks_per_s;
        let (core, pinned) = pinned_to(pid).map_or((*core, false), |only| (only, true));
        by_core.entry(core).or_default().push((pinned, Other { core, name: name.clone(), pid, cpu_s }));
    }
    let mut others: Vec<Other> = by_core
        .into_values()
        .filter_map(|candidates| {
            let busiest = candidates.iter().map(|(_, o)| o.cpu_s).fold(0.0, f64::max);
            // A pinned one counts first if it was busy too (a kernel
            // thread pinned to every core, a moment's work, does not).
            let key = |(pinned, other): &(bool, Other)| (*pinned && other.cpu_s >= PINNED_SHARE * busiest, other.cpu_s);
            candidates.into_iter().max_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal))
        })
        .map(|(_, other)| other)
        .collect();
    others.sort_by_key(|o| o.core);
    others
}

/// A process pinned to a core is named there before a busier one free to
/// move if it used at least this share of the busier one's CPU time.
const PINNED_SHARE: f64 = 0.25;

/// The one core process `pid` may run on, if it may run on only one
/// (`Cpus_allowed_list` in `/proc/PID/status`, as `taskset -c 1` sets it).
fn pinned_to(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let list = status.lines().find_map(|line| line.strip_prefix("Cpus_allowed_list:"))?.trim();
    list.parse().ok()
}

/// The core a process last ran on: field 39 of `/proc/PID/stat`.
fn processor(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split_whitespace().nth(36)?.parse().ok()
}

/// The sampling task: one series per pid, until told to stop.
async fn sample(pids: Vec<u32>, ticks_per_s: f64, mut stop: oneshot::Receiver<()>) -> Vec<Points> {
    let mut last: Vec<Option<(u64, u64)>> = pids.iter().map(|&pid| look(pid)).collect();
    let mut series: Vec<Points> = vec![Vec::new(); pids.len()];
    let mut interval = tokio::time::interval(EVERY);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // An interval's first tick is immediate; the first look was just taken.
    interval.tick().await;
    loop {
        let stopping = tokio::select! {
            _ = interval.tick() => false,
            _ = &mut stop => true,
        };
        for (pid, (last, points)) in pids.iter().zip(last.iter_mut().zip(&mut series)) {
            // A process that has exited has no more to say.
            let Some((at, ticks)) = look(*pid) else { continue };
            if let Some((before_at, before_ticks)) = *last {
                let elapsed_s = at.saturating_sub(before_at) as f64 / 1e9;
                // A last look only moments after the one before would say
                // more about the tick size than about the process.
                if elapsed_s < EVERY.as_secs_f64() / 2.0 {
                    continue;
                }
                points.push((at, ticks.saturating_sub(before_ticks) as f64 / ticks_per_s / elapsed_s));
            }
            *last = Some((at, ticks));
        }
        if stopping {
            return series;
        }
    }
}

/// Now, and the ticks a process has run; `None` once it has gone.
fn look(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some((protocol::clock::now_ns(), ticks(&stat)?))
}

/// User plus system ticks from the text of `/proc/PID/stat`.
///
/// The second field is the command name in parentheses, which may itself
/// hold spaces and parentheses, so the fields are counted from its last
/// `)`: after it come the state (field 3), …, `utime` (14) and `stime` (15).
fn ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(") ")?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The kernel's clock ticks per second (`CLK_TCK`), 100 where it cannot say.
fn ticks_per_second() -> f64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as f64,
        _ => 100.0,
    }
}

/// This process's CPU time so far, user plus system.
/// How long the calling thread has waited, ready to run, for a CPU: the
/// second field of `/proc/thread-self/schedstat`, in nanoseconds.
/// What the kernel counted of a thread: its time on a CPU and its time
/// ready but waiting for one (`/proc/thread-self/schedstat`, both exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    /// On a CPU, in nanoseconds.
    pub ran_ns: u64,
    /// Ready, waiting for a CPU, in nanoseconds.
    pub waited_ns: u64,
}

/// What the kernel has counted of the calling thread so far; `None` where
/// it does not count threads.
#[must_use]
pub fn this_thread() -> Option<Scheduled> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    Some(Scheduled { ran_ns: fields.next()?.ok()?, waited_ns: fields.next()?.ok()? })
}

fn own_cpu_time() -> Option<Duration> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).ok()?;
    let time = |t: nix::sys::time::TimeVal| -> Option<Duration> {
        Some(Duration::new(u64::try_from(t.tv_sec()).ok()?, u32::try_from(t.tv_usec()).ok()? * 1000))
    };
    Some(time(usage.user_time())? + time(usage.system_time())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_counted_after_the_command_name() {
        let stat = "4242 (painter-0 (x) y) R 1 4242 4242 0 -1 4194304 100 0 0 0 37 5 0 0 20 0 1 0 99 0 0";
        assert_eq!(ticks(stat), Some(42));
        assert_eq!(ticks("4242 (cut short) R 1"), None);
        assert_eq!(ticks("garbage"), None);
    }

    #[test]
    fn a_busy_process_elsewhere_is_named_by_its_core() {
        // Fields from the state (3) on: utime is field 14, processor 39.
        let stat = |ticks: u64, core: u32| {
            let mut fields = vec!["0".to_owned(); 40];
            fields[0] = "R".into();
            fields[11] = ticks.to_string();
            fields[36] = core.to_string();
            format!("77 (busy loop) {}", fields.join(" "))
        };
        assert_eq!(ticks(&stat(5, 1)), Some(5));
        assert_eq!(processor(&stat(5, 1)), Some(1));
        let before: Census = [(77, ("busy loop".into(), 5, 1)), (78, ("ours".into(), 0, 1))].into();
        let after: Census = [(77, ("busy loop".into(), 105, 1)), (78, ("ours".into(), 500, 1))].into();
        let others = busiest_others(&before, &after, &[78], 100.0, |_| None);
        assert_eq!(others, vec![Other { core: 1, name: "busy loop".into(), pid: 77, cpu_s: 1.0 }]);
        assert!(!census().is_empty());
        // A busier compiler last seen on core 1, but free to move: the loop
        // pinned to core 1 is named there.
        let before: Census = [(77, ("sh".into(), 0, 1)), (90, ("rustc".into(), 0, 1))].into();
        let after: Census = [(77, ("sh".into(), 50, 1)), (90, ("rustc".into(), 150, 1))].into();
        let pinned = |pid| (pid == 77).then_some(1);
        let others = busiest_others(&before, &after, &[], 100.0, pinned);
        assert_eq!(others, vec![Other { core: 1, name: "sh".into(), pid: 77, cpu_s: 0.5 }]);
        // Unpinned both, the busier is named.
        let others = busiest_others(&before, &after, &[], 100.0, |_| None);
        assert_eq!(others[0].name, "rustc");
        // A kernel thread pinned to the core, a moment's work: not it.
        let before: Census = [(20, ("kworker/1:1".into(), 0, 1)), (90, ("rustc".into(), 0, 1))].into();
        let after: Census = [(20, ("kworker/1:1".into(), 1, 1)), (90, ("rustc".into(), 150, 1))].into();
        let others = busiest_others(&before, &after, &[], 100.0, |pid| (pid == 20).then_some(1));
        assert_eq!(others[0].name, "rustc");
        // This process's own mask: pinned only if it allows one core.
        let own = pinned_to(std::process::id());
        assert!(own.is_none() || crate::os::pin::allowed_cores().is_ok_and(|c| c.len() == 1), "{own:?}");
    }

    #[test]
    fn own_stat_parses() {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
        assert!(ticks(&stat).is_some());
        assert!(ticks_per_second() > 0.0);
        assert!(own_cpu_time().is_some());
    }

    #[test]
    fn points_before_the_first_job_are_left_out() {
        let points = vec![(900, 1.0), (1_000, 0.5), (50_001_000, 0.25)];
        let samples = relative(&points, 1_000);
        assert_eq!(samples, vec![CpuSample { t_s: 0.05, cpu: 0.25 }]);
    }

    #[test]
    fn averages_weigh_each_sample_by_the_time_it_covers() {
        let samples = [CpuSample { t_s: 0.05, cpu: 1.0 }, CpuSample { t_s: 0.10, cpu: 0.0 }];
        assert_eq!(average(&samples, 0.0, 0.05), Some(1.0));
        assert_eq!(average(&samples, 0.05, 0.10), Some(0.0));
        let half = average(&samples, 0.0, 0.10).expect("covered");
        assert!((half - 0.5).abs() < 1e-9);
        assert_eq!(average(&samples, 0.2, 0.3), None);
        assert_eq!(average(&[], 0.0, 1.0), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_busy_process_is_seen_busy() {
        let sampler = Sampler::start(&[]);
        // Keep this thread busy for a few samples, yielding so that the
        // sampler gets its turn: at least 300 ms, and until it has had
        // 100 ms of CPU, however busy the rest of the machine keeps the cores.
        let started = std::time::Instant::now();
        let before = own_cpu_time().unwrap_or_default();
        let busy_enough = || {
            started.elapsed() >= Duration::from_millis(300)
                && own_cpu_time().unwrap_or_default().saturating_sub(before) >= Duration::from_millis(100)
        };
        let mut spin = 0u64;
        while !busy_enough() {
            spin = spin.wrapping_add(1);
            if spin.is_multiple_of(10_000) {
                tokio::task::yield_now().await;
            }
        }
        let used = sampler.stop(&[]).await;
        assert!(used.painters.is_empty());
        assert!(used.coordinator.len() >= 4, "{} samples in 300 ms or more", used.coordinator.len());
        // How busy depends on what else this machine runs; busy it is.
        let mean = used.coordinator.iter().map(|p| p.1).sum::<f64>() / used.coordinator.len() as f64;
        assert!(mean > 0.01 && mean < 8.0, "a spinning thread used {mean} cores");
        assert!(used.coordinator_cpu_s > 0.03, "getrusage: {}", used.coordinator_cpu_s);
    }
}
