//! The clock every process on the machine shares.
//!
//! `CLOCK_MONOTONIC` counts from an arbitrary point (usually boot) that is the
//! same for all processes of one machine, never jumps with wall-clock changes,
//! and never goes back. A painter stamps its events with it and the
//! coordinator subtracts its own start time, so the lanes of different
//! processes line up on one timeline without any clock synchronisation.

use nix::time::{ClockId, clock_gettime};

/// Nanoseconds on `CLOCK_MONOTONIC`.
///
/// Reading this clock cannot fail on Linux for this clock id; should it ever,
/// 0 is returned rather than a panic, and the timeline shows it.
#[must_use]
pub fn now_ns() -> u64 {
    clock_gettime(ClockId::CLOCK_MONOTONIC)
        .map_or(0, |t| u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::now_ns;

    #[test]
    fn never_goes_back() {
        let a = now_ns();
        let b = now_ns();
        assert!(a > 0);
        assert!(b >= a);
    }
}
