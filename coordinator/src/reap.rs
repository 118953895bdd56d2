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
}
