//! One clock for painters on several hosts.
//!
//! `CLOCK_MONOTONIC` is per machine (and per time namespace), so a remote
//! painter's timestamps are on its own axis. The coordinator measures the
//! offset with pings, as NTP does in its simplest form: it notes when it
//! sent a ping (`t0`) and when the pong came back (`t1`); the painter
//! stamped the pong at some moment in between, so
//!
//! ```text
//! offset = painter_time - (t0 + t1) / 2,   error at most ± (t1 - t0) / 2
//! ```
//!
//! The ping with the fastest round trip gives the tightest bound, so a few
//! are sent and the fastest kept. It is done once after `Hello` and once
//! before `Shutdown`; in between, the offset is interpolated (two clocks
//! can drift apart a little), and the larger of the two bounds is reported.
//!
//! The painter's events were checked by the contract, and taken in, on the
//! first estimate. So the second may only refine the first, never move the
//! timeline somewhere else: it is kept only where it agrees with the first
//! within both bounds and the most two clocks can drift apart in between
//! ([`MAX_DRIFT_PPM`]). A second estimate outside that is not a clock that
//! drifted but a painter (or a link) that lies; it is set aside, with a
//! warning, and the first is used alone. (Not a breach: every painting was
//! already accepted, and the first estimate still places them within its
//! bound.)

use serde::Serialize;

/// Pings per estimate.
pub const PINGS: u32 = 8;

/// The most two monotonic clocks may run apart, in parts per million:
/// NTP slews a clock by at most 500 ppm, so two machines' by at most 1000.
pub const MAX_DRIFT_PPM: u64 = 1000;

/// One ping's answer: when it left and came back here, and the painter's
/// time in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// When the ping was sent, on this machine's clock.
    pub sent_ns: u64,
    /// When the pong arrived, on this machine's clock.
    pub received_ns: u64,
    /// The painter's clock when it answered.
    pub theirs_ns: u64,
}

/// An estimate of a painter's clock offset at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// When, on this machine's clock.
    pub at_ns: u64,
    /// The painter's clock minus this machine's, in nanoseconds.
    pub offset_ns: i64,
    /// Half the round trip it was measured with: the offset's error bound.
    pub bound_ns: u64,
}

impl Estimate {
    /// The estimate from the sample with the fastest round trip; `None` if
    /// there is none.
    #[must_use]
    pub fn from_samples(samples: &[Sample]) -> Option<Self> {
        let best = samples.iter().filter(|s| s.received_ns >= s.sent_ns).min_by_key(|s| s.received_ns - s.sent_ns)?;
        let midpoint = i128::from(best.sent_ns) + (i128::from(best.received_ns) - i128::from(best.sent_ns)) / 2;
        let offset = i128::from(best.theirs_ns) - midpoint;
        Some(Self {
            at_ns: u64::try_from(midpoint).unwrap_or(0),
            offset_ns: i64::try_from(offset).unwrap_or(0),
            bound_ns: (best.received_ns - best.sent_ns).div_ceil(2),
        })
    }
}

/// A painter's clock as measured over its life: its first estimate, and
/// its last once there is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// After `Hello`.
    pub start: Estimate,
    /// Before `Shutdown`.
    pub end: Option<Estimate>,
}

/// A second estimate that does not agree with the first.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "its clock, measured again, moved by {} s (more than the ±{} s the two measurements and drift allow): the second measurement is set aside",
    *moved_ns as f64 / 1e9,
    *allowed_ns as f64 / 1e9
)]
pub struct Moved {
    /// How far the second estimate's offset is from the first's.
    pub moved_ns: i128,
    /// How far it may be.
    pub allowed_ns: u64,
}

impl Clock {
    /// Takes `end`, the estimate before `Shutdown`, if it agrees with the
    /// first: their offsets apart by no more than both bounds and the drift
    /// the time between them allows.
    ///
    /// # Errors
    /// [`Moved`] when it does not; the clock is left with its first estimate.
    pub fn settle(&mut self, end: Estimate) -> Result<(), Moved> {
        let between_ns = end.at_ns.saturating_sub(self.start.at_ns);
        let drift_ns = between_ns.saturating_mul(MAX_DRIFT_PPM) / 1_000_000;
        let allowed_ns = self.start.bound_ns.saturating_add(end.bound_ns).saturating_add(drift_ns);
        let moved_ns = i128::from(end.offset_ns) - i128::from(self.start.offset_ns);
        if end.at_ns < self.start.at_ns || moved_ns.unsigned_abs() > u128::from(allowed_ns) {
            return Err(Moved { moved_ns, allowed_ns });
        }
        self.end = Some(end);
        Ok(())
    }

    /// The offset at `local_ns` on this machine's clock: interpolated
    /// between the two estimates, or the first alone.
    #[must_use]
    pub fn offset_at(self, local_ns: u64) -> i64 {
        let Some(end) = self.end.filter(|end| end.at_ns > self.start.at_ns) else { return self.start.offset_ns };
        let span = (end.at_ns - self.start.at_ns) as f64;
        let along = (local_ns as f64 - self.start.at_ns as f64) / span;
        let drift = (end.offset_ns - self.start.offset_ns) as f64;
        #[allow(clippy::cast_possible_truncation)] // an offset between two estimates' offsets
        let offset = self.start.offset_ns + (drift * along.clamp(0.0, 1.0)).round() as i64;
        offset
    }

    /// A painter's timestamp on this machine's clock.
    #[must_use]
    pub fn to_local(self, theirs_ns: u64) -> u64 {
        // The offset at about that moment: first guess with the start's offset.
        let guess = shift(theirs_ns, self.start.offset_ns);
        shift(theirs_ns, self.offset_at(guess))
    }

    /// A time this machine heard as moved by the first estimate alone,
    /// refined with the offset interpolated between the two.
    #[must_use]
    pub fn refine(self, moved_ns: u64) -> u64 {
        let theirs =
            u64::try_from((i128::from(moved_ns) + i128::from(self.start.offset_ns)).max(0)).unwrap_or(u64::MAX);
        self.to_local(theirs)
    }

    /// The same for every span of one message of a painter's threads' states.
    pub fn refine_states(self, states: &mut protocol::States) {
        for span in &mut states.spans {
            (span.start_ns, span.end_ns) = (self.refine(span.start_ns), self.refine(span.end_ns));
        }
    }

    /// The error bound: the larger of the two estimates'.
    #[must_use]
    pub fn bound_ns(self) -> u64 {
        self.end.map_or(self.start.bound_ns, |end| end.bound_ns.max(self.start.bound_ns))
    }

    /// How fast its clock ran against this machine's between the two
    /// estimates, in parts per million (positive: it gained), and that
    /// figure's bound: both estimates' bounds over the time between them.
    /// `None` with one estimate. Over a short run the bound is wide — ±65 µs
    /// twice over half a second is ±260 ppm — and says so.
    #[must_use]
    pub fn drift_ppm(self) -> Option<(f64, f64)> {
        let end = self.end?;
        let between_ns = end.at_ns.checked_sub(self.start.at_ns).filter(|&ns| ns > 0)? as f64;
        let moved_ns = (i128::from(end.offset_ns) - i128::from(self.start.offset_ns)) as f64;
        let bound_ns = self.start.bound_ns.saturating_add(end.bound_ns) as f64;
        Some((moved_ns / between_ns * 1e6, bound_ns / between_ns * 1e6))
    }

    /// For reports.
    #[must_use]
    pub fn report(self) -> ClockReport {
        let offset_ns = self.end.map_or(self.start.offset_ns, |end| (self.start.offset_ns + end.offset_ns) / 2);
        let drift = self.drift_ppm();
        ClockReport {
            offset_s: offset_ns as f64 / 1e9,
            bound_s: self.bound_ns() as f64 / 1e9,
            drift_ppm: drift.map(|(ppm, _)| ppm),
            drift_bound_ppm: drift.map(|(_, bound)| bound),
        }
    }
}

/// A painter's clock offset as reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct ClockReport {
    /// Its clock minus the coordinator's, in seconds (0 on this machine).
    pub offset_s: f64,
    /// The offset's error bound, ± seconds (0 on this machine, whose
    /// painters read the coordinator's own clock).
    pub bound_s: f64,
    /// Its drift against the coordinator's clock from the first ping to the
    /// last, ppm; `None` without a second estimate.
    pub drift_ppm: Option<f64>,
    /// The error bound of `drift_ppm`, ± ppm.
    pub drift_bound_ppm: Option<f64>,
}

/// `theirs - offset`, saturating.
fn shift(theirs_ns: u64, offset_ns: i64) -> u64 {
    u64::try_from((i128::from(theirs_ns) - i128::from(offset_ns)).max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fastest_round_trip_wins() {
        let samples = [
            Sample { sent_ns: 0, received_ns: 1000, theirs_ns: 5_000_500 },
            Sample { sent_ns: 2000, received_ns: 2100, theirs_ns: 5_002_030 },
        ];
        let e = Estimate::from_samples(&samples).expect("an estimate");
        assert_eq!((e.at_ns, e.offset_ns, e.bound_ns), (2050, 4_999_980, 50));
        assert_eq!(Estimate::from_samples(&[]), None);
    }

    #[test]
    fn offsets_are_interpolated_between_estimates() {
        let clock = Clock {
            start: Estimate { at_ns: 1_000, offset_ns: 1_000_000, bound_ns: 10 },
            end: Some(Estimate { at_ns: 3_000, offset_ns: 1_000_100, bound_ns: 30 }),
        };
        assert_eq!(clock.offset_at(2_000), 1_000_050);
        assert_eq!(clock.offset_at(0), 1_000_000);
        assert_eq!(clock.to_local(1_002_000), 1_950);
        assert_eq!(clock.bound_ns(), 30);
        let report = clock.report();
        assert!((report.offset_s - 0.001_000_05).abs() < 1e-12 && (report.bound_s - 3e-8).abs() < 1e-15);
        // 100 ns gained in 2 µs is 50,000 ppm, ± (10 + 30) ns over 2 µs.
        let (ppm, bound) = clock.drift_ppm().expect("two estimates");
        assert!((ppm - 50_000.0).abs() < 1e-6 && (bound - 20_000.0).abs() < 1e-6, "{ppm} ± {bound}");
        assert_eq!(Clock { end: None, ..clock }.drift_ppm(), None);
        assert_eq!(Clock { end: Some(clock.start), ..clock }.drift_ppm(), None, "no time between them");
    }

    #[test]
    fn a_second_estimate_only_refines_the_first() {
        // Measured after Hello to ±50 µs; the run takes 0.7 s.
        let start = Estimate { at_ns: 1_000_000_000, offset_ns: 1_000_000_000_000, bound_ns: 50_000 };
        let at_ns = start.at_ns + 700_000_000;
        // A Pong 748 s off, as a painter's after its last painting was:
        // set aside, and every timestamp stays where the first put it.
        let mut clock = Clock { start, end: None };
        let off = Estimate { at_ns, offset_ns: start.offset_ns - 748_000_000_000, bound_ns: 40_000 };
        let moved = clock.settle(off).expect_err("748 s is no drift");
        assert_eq!(moved.moved_ns, -748_000_000_000);
        // Both bounds, and 1000 ppm of 0.7 s.
        assert_eq!(moved.allowed_ns, 50_000 + 40_000 + 700_000);
        assert!(moved.to_string().starts_with("its clock, measured again, moved by -748 s (more than the ±0.00079 s"));
        assert_eq!(clock, Clock { start, end: None });
        assert_eq!(clock.to_local(1_001_500_000_000), 1_500_000_000);
        // Just past what the bounds and drift allow: set aside too.
        assert!(clock.settle(Estimate { offset_ns: start.offset_ns + 790_001, ..off }).is_err());
        // An estimate before the first is no second estimate.
        assert!(clock.settle(Estimate { at_ns: 0, offset_ns: start.offset_ns, ..off }).is_err());
        // Within them: kept, and the offset interpolated.
        let near = Estimate { at_ns, offset_ns: start.offset_ns + 300_000, bound_ns: 40_000 };
        clock.settle(near).expect("a clock that drifted 430 ppm");
        assert_eq!(clock.end, Some(near));
        assert_eq!(clock.offset_at(start.at_ns + 350_000_000), start.offset_ns + 150_000);
    }

    #[test]
    fn a_clock_behind_ours_has_a_negative_offset() {
        let e = Estimate::from_samples(&[Sample { sent_ns: 10_000, received_ns: 10_010, theirs_ns: 5 }]).expect("one");
        assert_eq!(e.offset_ns, -10_000);
        let clock = Clock { start: e, end: None };
        assert_eq!(clock.to_local(5), 10_005);
    }
}
