//! Waking an async painter on time: a sleep until a deadline on the
//! monotonic clock, to the nanosecond, for a task of the tokio runtime.
//!
//! tokio's own timer counts whole milliseconds: a `sleep_until` ends on
//! the first tick of its wheel at or after the deadline, so a drying asked
//! for 1 s lasts 1.000–1.001 s before the thread is even woken, and the
//! runtime's `epoll_wait` timeout, in milliseconds too, is stretched by the
//! thread's timer slack. A drying that ends late is wall time the async
//! painter loses when nothing else is ready to paint.
//!
//! An [`Alarm`] is a `timerfd` set to the absolute deadline: the kernel's
//! high-resolution timer fires at that nanosecond (with no slack for a
//! timerfd), and the runtime watches the descriptor like stdin, so the
//! same `epoll_wait` that waits for messages wakes for it. It costs a few
//! system calls per wait (create, set, register, read, close), which is
//! nothing beside a wait long enough to be worth sleeping through.
//!
//! Where a timerfd cannot be had (the descriptor limit reached, say), the
//! wait falls back on tokio's timer, late by up to a millisecond but still
//! a wait.

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Sleeps the calling task until `deadline_ns` on the monotonic clock
/// ([`protocol::clock::now_ns`]). Returns at once if it has passed.
pub async fn until(deadline_ns: u64) {
    let now = protocol::clock::now_ns();
    if deadline_ns <= now {
        return;
    }
    match Alarm::set(deadline_ns) {
        Ok(alarm) => alarm.ring().await,
        Err(error) => {
            tracing::debug!(%error, "no timerfd; waiting on tokio's millisecond timer");
            tokio::time::sleep(Duration::from_nanos(deadline_ns - now)).await;
        }
    }
}

/// A timerfd set to go off once, registered with the runtime.
struct Alarm {
    fd: AsyncFd<Fd>,
}

/// The timer, with the raw descriptor tokio's `AsyncFd` asks for.
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        use std::os::fd::AsFd;
        self.0.as_fd().as_raw_fd()
    }
}

impl Alarm {
    fn set(deadline_ns: u64) -> std::io::Result<Self> {
        let timer = TimerFd::new(ClockId::CLOCK_MONOTONIC, TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC)?;
        // A deadline of 0 would disarm the timer; `until` never asks for one.
        let at = TimeSpec::from_duration(Duration::from_nanos(deadline_ns.max(1)));
        timer.set(Expiration::OneShot(at), TimerSetTimeFlags::TFD_TIMER_ABSTIME)?;
        // SAFETY: the descriptor is the timer's own, owned by the `Fd` that
        // the `AsyncFd` owns in turn: it stays open for as long as it is
        // registered, and is closed only when both are dropped.
        #[allow(unsafe_code)]
        let fd = unsafe { AsyncFd::register_with_interest(Fd(timer), Interest::READABLE) };
        Ok(Self { fd: fd.map_err(std::io::Error::from)? })
    }

    /// Waits until the timer has gone off.
    async fn ring(self) {
        loop {
            let Ok(mut ready) = self.fd.readable().await else { return };
            // Reading the expiry count says whether it really went off; a
            // spurious readiness reads EAGAIN and waits on.
            let mut count = [0_u8; 8];
            match nix::unistd::read(&ready.get_inner().0, &mut count) {
                Ok(_) => return,
                Err(nix::errno::Errno::EAGAIN) => ready.clear_ready(),
                Err(nix::errno::Errno::EINTR) => {}
                // Nothing else can happen to a timerfd read; should it, end
                // the wait rather than spin.
                Err(_) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::until;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
    }

    #[test]
    fn wakes_at_the_deadline_not_before() {
        runtime().block_on(async {
            for wait_ns in [300_000_u64, 2_500_000, 10_000_000] {
                let deadline = protocol::clock::now_ns() + wait_ns;
                until(deadline).await;
                let woke = protocol::clock::now_ns();
                assert!(woke >= deadline, "woke {} ns early", deadline - woke);
            }
        });
    }

    #[test]
    fn a_deadline_passed_returns_at_once() {
        runtime().block_on(async {
            let before = protocol::clock::now_ns();
            until(before.saturating_sub(1_000_000)).await;
            assert!(protocol::clock::now_ns() - before < 50_000_000);
        });
    }

    #[test]
    fn waits_overlap_on_one_thread() {
        // Two waits of 50 ms side by side take about 50 ms, not 100.
        runtime().block_on(async {
            let start = protocol::clock::now_ns();
            let deadline = start + 50_000_000;
            tokio::join!(until(deadline), until(deadline));
            let took = protocol::clock::now_ns() - start;
            assert!((50_000_000..100_000_000).contains(&took), "took {took} ns: one after the other would be 100 ms");
        });
    }
}
