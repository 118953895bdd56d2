//! What painting a coat took of the painting thread, from the kernel.
//!
//! Wall time alone cannot tell a slow core from a busy one. The kernel
//! keeps two counters per thread that can: the CPU time the thread used
//! (`CLOCK_THREAD_CPUTIME_ID`), and the time it was ready to run but
//! waited for a CPU that another thread held (`run_delay`, the second
//! field of `/proc/thread-self/schedstat`). Read before and after a coat,
//! their differences say how much of the coat's wall time was painting
//! and how much was waiting for the core. The coordinator turns them into
//! the causes of the gap between the ideal and the measured time.
//!
//! Each thread keeps its `schedstat` file open and reads it again from the
//! start (`pread`), so a look costs two system calls, not an open and a
//! close as well. A coat of zero strokes is not measured at all: empty
//! paintings keep their fast path.

use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt;

use nix::time::{ClockId, clock_gettime};
use protocol::Effort;

/// The thread's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    cpu_ns: u64,
    run_delay_ns: u64,
}

impl Reading {
    /// The calling thread's counters now. A counter the kernel cannot give
    /// (no `schedstat` without `CONFIG_SCHED_INFO`) reads 0, so its
    /// differences are 0 too: nothing measured, rather than a wrong number.
    #[must_use]
    pub fn now() -> Self {
        Self { cpu_ns: thread_cpu_ns(), run_delay_ns: run_delay_ns() }
    }

    /// What the thread used between `self` and `later`.
    #[must_use]
    pub fn until(self, later: Self) -> Effort {
        Effort {
            cpu_ns: later.cpu_ns.saturating_sub(self.cpu_ns),
            run_delay_ns: later.run_delay_ns.saturating_sub(self.run_delay_ns),
        }
    }
}

/// CPU time used by the calling thread, in nanoseconds.
pub(crate) fn thread_cpu_ns() -> u64 {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map_or(0, |t| u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec()).unwrap_or(0))
}

thread_local! {
    /// This thread's own `schedstat`, opened at its first look.
    static SCHEDSTAT: RefCell<Option<File>> = RefCell::new(File::open("/proc/thread-self/schedstat").ok());
}

/// Time the calling thread has waited for a CPU, in nanoseconds.
pub(crate) fn run_delay_ns() -> u64 {
    SCHEDSTAT.with(|file| {
        let file = file.borrow();
        let Some(file) = file.as_ref() else { return 0 };
        let mut buffer = [0u8; 128];
        match file.read_at(&mut buffer, 0) {
            Ok(read) => std::str::from_utf8(&buffer[..read]).ok().and_then(parse_run_delay).unwrap_or(0),
            Err(_) => 0,
        }
    })
}

/// The second of the three numbers in `schedstat`: time on a CPU, time
/// waiting for one, and time slices, all for this thread.
fn parse_run_delay(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_delay_is_the_second_field() {
        assert_eq!(parse_run_delay("1785440 73206 11\n"), Some(73206));
        assert_eq!(parse_run_delay("1785440\n"), None);
        assert_eq!(parse_run_delay("garbage here"), None);
    }

    #[test]
    fn painting_uses_cpu_and_the_counters_only_grow() {
        let before = Reading::now();
        let mut canvas = crate::canvas::Canvas::new(7);
        canvas.paint(300);
        let after = Reading::now();
        let effort = before.until(after);
        assert!(effort.cpu_ns > 0, "{effort:?}");
        assert!(after.run_delay_ns >= before.run_delay_ns);
        // The file is kept open: the second look reads it again from the start.
        assert!(Reading::now().run_delay_ns >= after.run_delay_ns);
    }
}
