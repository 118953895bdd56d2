//! A remote painter's clock bound, drawn where its lane starts: an error
//! bar over its first block's start, as wide as the offset's bound on the
//! time axis (a tick, at least [`LEAST`] wide, when the bound is far below
//! a pixel), with the host's offset, bound and drift as its tooltip.
//! Every block of that lane may be misplaced by up to the bound.

use std::fmt::Write as _;

use super::axis::Axis;
use super::lanes::Lane;
use super::markup::escape;
use super::{INK, ROW};
use crate::report::PainterReport;
use crate::report::clocks::HostClock;

/// The narrowest bar drawn, in pixels: a tick that can be seen.
const LEAST: f64 = 3.0;

/// The bar of `painter`'s clock over `lane` (its first), at `y`, the
/// lane's top; nothing for a painter on this machine.
pub(super) fn bound(out: &mut String, painter: &PainterReport, lane: &Lane<'_>, axis: &Axis, y: f64) {
    let Some(clock) = HostClock::of(painter) else { return };
    let start = lane.rows.iter().flatten().map(|s| s.start_s).fold(f64::INFINITY, f64::min);
    let start = if start.is_finite() { start } else { 0.0 };
    let (mut left, mut right) = (axis.x(start - clock.bound_s), axis.x(start + clock.bound_s));
    if right - left < LEAST {
        let middle = axis.x(start);
        (left, right) = (middle - LEAST / 2.0, middle + LEAST / 2.0);
    }
    // Above the lane's first row, clear of the blocks: whiskers down to it.
    let (bar, foot) = (y - 1.5, y + ROW / 3.0);
    let _ = writeln!(
        out,
        r#"<g class="clock-bound"><title>clock of {}</title><line x1="{left:.1}" y1="{bar:.1}" x2="{right:.1}" y2="{bar:.1}" stroke="{INK}" stroke-width="1.5"/><line x1="{left:.1}" y1="{bar:.1}" x2="{left:.1}" y2="{foot:.1}" stroke="{INK}"/><line x1="{right:.1}" y1="{bar:.1}" x2="{right:.1}" y2="{foot:.1}" stroke="{INK}"/></g>"#,
        escape(&clock.line())
    );
}
