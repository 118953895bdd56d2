//! Each other host's clock as the run measured it: how far it is from this
//! machine's, within what bound, and how fast it drifted from the first
//! ping to the last. A remote painter's blocks are placed on the run's axis
//! by that offset, so the bound is how far any of them could be misplaced;
//! the text says it in a line per host, and the picture draws it at the
//! start of the host's lanes ([`super::svg`]).

use super::{PainterReport, RunReport};
use crate::term::format::tiny;

/// One host's clock, from its painter measured most tightly.
#[derive(Debug, Clone, PartialEq)]
pub struct HostClock<'a> {
    /// The host, as it names itself.
    pub host: &'a str,
    /// Its clock minus this machine's, seconds.
    pub offset_s: f64,
    /// The offset's error bound, ± seconds.
    pub bound_s: f64,
    /// Its drift, ppm, and that figure's bound, from the first ping to the
    /// last; `None` with one measurement.
    pub drift: Option<(f64, f64)>,
}

impl<'a> HostClock<'a> {
    /// A remote painter's clock; `None` for one on this machine.
    #[must_use]
    pub fn of(painter: &'a PainterReport) -> Option<Self> {
        painter.remote.then(|| Self {
            host: &painter.host,
            offset_s: painter.clock_offset_s,
            bound_s: painter.clock_bound_s,
            drift: painter.clock_drift_ppm.zip(painter.clock_drift_bound_ppm),
        })
    }

    /// `h2: 1000.000005s ahead of this machine ±65µs, drift +3 ±260 ppm (first ping to last)`.
    #[must_use]
    pub fn line(&self) -> String {
        let way = if self.offset_s < 0.0 { "behind" } else { "ahead of" };
        let drift = match self.drift {
            Some((ppm, bound)) => format!(", drift {ppm:+.0} ±{bound:.0} ppm (first ping to last)"),
            None => String::new(),
        };
        format!("{}: {:.6}s {way} this machine ±{}{drift}", self.host, self.offset_s.abs(), tiny(self.bound_s))
    }
}

/// Per host that painted in `run` from another machine, its clock: that of
/// its painter with the tightest bound (each painter is measured on its
/// own), in the order the painters appear.
#[must_use]
pub fn of_run(run: &RunReport) -> Vec<HostClock<'_>> {
    let mut hosts: Vec<HostClock<'_>> = Vec::new();
    for clock in run.painters.iter().filter_map(HostClock::of) {
        match hosts.iter_mut().find(|h| h.host == clock.host) {
            Some(kept) if clock.bound_s < kept.bound_s => *kept = clock,
            Some(_) => {}
            None => hosts.push(clock),
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_run;

    #[test]
    fn a_line_per_host_from_its_tightest_painter() {
        let mut run = sample_run();
        let mut far = run.painters[0].clone();
        (far.remote, far.host, far.clock_offset_s, far.clock_bound_s) = (true, "h2".into(), 1_000.000_005, 80e-6);
        (far.clock_drift_ppm, far.clock_drift_bound_ppm) = (Some(3.2), Some(260.4));
        let tight = PainterReport { clock_bound_s: 65e-6, ..far.clone() };
        let mut behind = far.clone();
        (behind.host, behind.clock_offset_s, behind.clock_drift_ppm, behind.clock_drift_bound_ppm) =
            ("h1".into(), -0.000_012, None, None);
        run.painters = vec![run.painters[0].clone(), far, tight, behind];
        let lines: Vec<String> = of_run(&run).iter().map(HostClock::line).collect();
        assert_eq!(
            lines,
            [
                "h2: 1000.000005s ahead of this machine ±65µs, drift +3 ±260 ppm (first ping to last)",
                "h1: 0.000012s behind this machine ±80µs",
            ]
        );
        assert!(of_run(&sample_run()).is_empty(), "painters on this machine have no clock of their own");
    }
}
