//! Reaping a painter, and what the kernel says it used.
//!
//! `wait4(2)` returns a child's exit status together with the kernel's own
//! accounting of it: user and system CPU time and peak resident memory —
//! the same figures `top` and `time` show. Neither std nor nix offers it, so
//! this module is the one place in the workspace that calls libc directly.
//!
//! A painter is reaped in two steps, each blocking a thread of its own:
//! [`exited`] waits until it has exited *without* reaping it (`waitid` with
//! `WNOWAIT`), so its pid cannot yet be reused and it is still safe to
//! signal its process group; [`reap`] then collects it.

#![allow(unsafe_code)]

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use serde::Serialize;

/// What the kernel accounted to a reaped process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Usage {
    /// CPU time in user mode, seconds.
    pub user_s: f64,
    /// CPU time in the kernel on its behalf, seconds.
    pub sys_s: f64,
    /// Peak resident memory, KiB.
    pub max_rss_kib: u64,
}

impl Usage {
    /// User plus system CPU time, seconds.
    #[must_use]
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }
}

/// Blocks until process `pid`, a child of ours, has exited, leaving it
/// unreaped (a zombie) so that its pid stays ours.
///
/// # Errors
/// If `pid` is not a child of this process.
pub fn exited(pid: u32) -> io::Result<()> {
    let pid = Pid::from_raw(as_pid(pid)?);
    loop {
        match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Blocks until process `pid`, a child of ours, has exited, reaps it, and
/// returns its exit status and the kernel's accounting of it.
///
/// # Errors
/// If `pid` is not a child of this process (or was already reaped).
pub fn reap(pid: u32) -> io::Result<(ExitStatus, Usage)> {
    let pid = as_pid(pid)?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct of integers, for which all zero
    // bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live, writable locals of the types
        // wait4 expects, and it keeps neither after it returns.
        let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
        if reaped == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let seconds = |t: libc::timeval| Duration::new(t.tv_sec.unsigned_abs(), 0).as_secs_f64() + t.tv_usec as f64 / 1e6;
    Ok((
        ExitStatus::from_raw(status),
        Usage {
            user_s: seconds(usage.ru_utime),
            sys_s: seconds(usage.ru_stime),
            // Linux reports ru_maxrss in KiB.
            max_rss_kib: usage.ru_maxrss.unsigned_abs(),
        },
    ))
}

/// Kills every child of this process that leads a process group of its
/// own, with its group, and reaps it. Only for a phase in which every such
/// child is this process's to end: the probes of the hosts, each in a
/// group of its own, before any painter (which leads one too, and is
/// reaped by a thread of its own) is started.
pub fn kill_groups() {
    use nix::sys::signal::{Signal, killpg};
    for child in children() {
        let Ok(raw) = as_pid(child) else { continue };
        let pid = Pid::from_raw(raw);
        // Unreaped, it is still ours, and so is its group: neither number
        // can have been given to another process.
        if nix::unistd::getpgid(Some(pid)) != Ok(pid) {
            continue;
        }
        let _ = killpg(pid, Signal::SIGKILL);
        while let Err(nix::errno::Errno::EINTR) = nix::sys::wait::waitpid(pid, None) {}
    }
}

/// The pids of this process's children not yet reaped, as `/proc` lists them.
fn children() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // `pid (comm) state ppid …`: the name may hold spaces and parentheses.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            let parent = stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<u32>().ok());
            parent == Some(me)
        })
        .collect()
}

fn as_pid(pid: u32) -> io::Result<i32> {
    i32::try_from(pid).ok().filter(|&p| p > 0).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::zombie_processes)] // reaped by `reap`, which clippy cannot see
    fn a_reaped_child_reports_its_status_and_cpu() {
        // A child that burns a little CPU, then exits with status 3.
        let child = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3"])
            .spawn()
            .expect("sh starts");
        exited(child.id()).expect("it exits");
        let (status, usage) = reap(child.id()).expect("it is reaped");
        assert_eq!(status.code(), Some(3));
        assert!(usage.cpu_s() > 0.0, "{usage:?}");
        assert!(usage.max_rss_kib > 100, "{usage:?}");
        // Reaped once: a second reap finds no such child.
        assert!(reap(child.id()).is_err());
    }

    #[test]
    fn children_leading_groups_are_killed_with_their_groups_and_reaped() {
        use std::os::unix::process::CommandExt;
        // A child in a group of its own, and a grandchild in that group,
        // which killing the child alone would leave running.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; wait"])
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh starts");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
            .expect("the grandchild's pid");
        let grandchild: i32 = line.trim().parse().expect("a pid");
        assert!(children().contains(&child.id()), "{:?} lacks {}", children(), child.id());
        kill_groups();
        assert!(!children().contains(&child.id()));
        // Reaped already: nothing is left to wait for.
        assert!(child.try_wait().is_err());
        // The grandchild, now init's (or a subreaper's), was killed with the group.
        let dead = (0..100).any(|_| {
            let gone = nix::sys::signal::kill(Pid::from_raw(grandchild), None).is_err()
                || std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                    .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')));
            gone || {
                std::thread::sleep(Duration::from_millis(10));
                false
            }
        });
        assert!(dead, "sleep (pid {grandchild}) outlived its group's killing");
    }
}
