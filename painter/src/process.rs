//! The painter as an operating-system process: its name, its core, and a
//! life tied to the coordinator's.

use std::sync::OnceLock;

use nix::sched::{CpuSet, sched_setaffinity};
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::unistd::{Pid, getppid};

use crate::Error;

/// Exit status when stdout can no longer be written: nobody is listening.
pub const EXIT_STDOUT_CLOSED: i32 = 3;
/// Exit status when stdin ends: the coordinator is gone.
pub const EXIT_STDIN_CLOSED: i32 = 4;
/// Exit status when stdin carries something that is not a message.
pub const EXIT_GARBLED_INPUT: i32 = 5;

static NAME: OnceLock<String> = OnceLock::new();

/// This painter's name, `painter-K`, once [`set_name`] has run.
#[must_use]
pub fn name() -> &'static str {
    NAME.get().map_or("painter", String::as_str)
}

/// Names the process `painter-K`, as `top`, `ps` and `pgrep` show it
/// (`prctl(PR_SET_NAME)`, at most 15 bytes).
///
/// # Errors
/// If the kernel refuses.
pub fn set_name(id: u32) -> Result<(), Error> {
    let name = format!("painter-{id}");
    // A formatted number holds no NUL byte, so this cannot fail.
    let c_name = std::ffi::CString::new(name.clone()).unwrap_or_default();
    prctl::set_name(&c_name).map_err(|source| Error::Prctl { what: "PR_SET_NAME", source })?;
    let _ = NAME.set(name);
    Ok(())
}

/// Pins the calling thread — and every thread it starts afterwards — to `core`.
///
/// # Errors
/// If `core` does not exist or is not allowed to this process (`taskset`, cgroups).
pub fn pin(core: u32) -> Result<(), Error> {
    let mut set = CpuSet::new();
    set.set(core as usize).map_err(|source| Error::Pin { core, source })?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(|source| Error::Pin { core, source })
}

/// Makes sure this painter never outlives the coordinator.
///
/// `PR_SET_PDEATHSIG` asks the kernel to SIGKILL us when our parent dies.
/// Precisely, it fires when the parent *thread* that forked us exits, which
/// is why the coordinator spawns painters from a thread that lives as long
/// as the run. If the parent died before this call, the signal will never
/// come, so we check that our parent is still the coordinator that started us.
///
/// # Errors
/// If the kernel refuses, or the coordinator is already gone.
pub fn die_with_parent() -> Result<(), Error> {
    prctl::set_pdeathsig(Signal::SIGKILL).map_err(|source| Error::Prctl { what: "PR_SET_PDEATHSIG", source })?;
    if let Some(expected) =
        std::env::var(protocol::handshake::COORDINATOR_PID_ENV).ok().and_then(|pid| pid.parse::<i32>().ok())
        && getppid().as_raw() != expected
    {
        return Err(Error::Orphaned(expected));
    }
    Ok(())
}

/// CPU time of this whole process (every thread), as the kernel accounts
/// it, and its peak memory.
///
/// The peak is `VmHWM`, the high-water mark of this process's own memory.
/// `getrusage`'s (and `wait4`'s) `ru_maxrss` is not: it also counts the
/// peak of the memory an `exec` replaced, and a painter is spawned with
/// `vfork` + `exec`, so that is the coordinator's own peak at the moment
/// it spawned the painter (14 MiB after planning 100,000 paintings).
#[must_use]
pub fn goodbye() -> protocol::Goodbye {
    use nix::sys::resource::{UsageWho, getrusage};
    let nanos = |t: nix::sys::time::TimeVal| {
        u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_usec()).unwrap_or(0) * 1_000
    };
    let max_rss_kib = peak_rss_kib().unwrap_or(0);
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(usage) => {
            protocol::Goodbye { user_ns: nanos(usage.user_time()), sys_ns: nanos(usage.system_time()), max_rss_kib }
        }
        Err(_) => protocol::Goodbye { user_ns: 0, sys_ns: 0, max_rss_kib },
    }
}

/// `VmHWM` from `/proc/self/status`, in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}
