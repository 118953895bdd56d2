//! The time axis that every panel of the picture shares: round ticks in
//! seconds, and where a time falls on the page.

use std::fmt::Write as _;

use super::markup::text;
use super::{INK, LEFT, MUTED, RIGHT};

/// The time axis of one panel: every panel has the same span and scale,
/// each at its own place on the page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Axis {
    /// The time at the right end.
    pub(super) span_s: f64,
    /// Between two ticks.
    pub(super) step_s: f64,
    /// The panel's left edge on the page.
    pub(super) x0: f64,
    /// The panel's width.
    pub(super) width: f64,
}

impl Axis {
    /// An axis up to `span_s`, with round ticks, on a panel `width` wide
    /// at the page's left edge.
    pub(super) fn new(span_s: f64, width: f64) -> Self {
        // The smallest step of 1, 2 or 5 × 10^k that gives at most 12 ticks.
        let span_s = if span_s > 0.0 { span_s } else { 1.0 };
        let mut step_s = 10f64.powf((span_s / 12.0).log10().floor());
        for factor in [1.0, 2.0, 5.0, 10.0] {
            if span_s / (step_s * factor) <= 12.0 {
                step_s *= factor;
                break;
            }
        }
        Self { span_s, step_s, x0: 0.0, width }
    }

    /// The same axis for a panel whose left edge is at `x0`.
    pub(super) fn at(self, x0: f64) -> Self {
        Self { x0, ..self }
    }

    /// Where the lanes begin: right of their labels.
    pub(super) fn left(&self) -> f64 {
        self.x0 + LEFT
    }

    /// Where the lanes end: left of the room for the last tick's label.
    pub(super) fn right(&self) -> f64 {
        self.x0 + self.width - RIGHT
    }

    /// The x of a time.
    pub(super) fn x(&self, t: f64) -> f64 {
        self.left() + (t / self.span_s).clamp(0.0, 1.0) * (self.width - LEFT - RIGHT)
    }

    /// The ticks' times.
    pub(super) fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        // Multiplied rather than added up, so that 0.1 + 0.1 + 0.1 does not drift.
        (0..).map(|i| f64::from(i) * self.step_s).take_while(|&t| t <= self.span_s + 1e-9)
    }
}

/// The time axis with its ticks in seconds; returns the y below it.
pub(super) fn time_axis(out: &mut String, axis: &Axis, y: f64) -> f64 {
    let _ = writeln!(
        out,
        r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{INK}"/>"#,
        axis.left(),
        axis.x(axis.span_s)
    );
    for t in axis.ticks() {
        let x = axis.x(t);
        let _ = writeln!(out, r#"<line x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="{INK}"/>"#, y + 5.0);
        let label = format!("{} s", seconds(t, axis.step_s));
        text(out, x, y + 18.0, &label, &format!(r#"fill="{MUTED}" font-size="12" text-anchor="middle""#));
    }
    y + 18.0
}

/// A tick's time, with as many decimals as the step between ticks needs.
fn seconds(t: f64, step_s: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..=6
    let decimals = (-step_s.log10()).ceil().clamp(0.0, 6.0) as usize;
    let text = format!("{t:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        let axis = Axis::new(3.61, 1000.0);
        assert!((axis.step_s - 0.5).abs() < 1e-9);
        assert_eq!(axis.ticks().count(), 8);
        assert!((axis.x(0.0) - LEFT).abs() < 1e-9);
        assert!((Axis::new(0.12, 1000.0).step_s - 0.01).abs() < 1e-9);
        assert_eq!(seconds(1.5, 0.5), "1.5");
        assert_eq!(seconds(2.0, 0.5), "2");
        assert_eq!(seconds(0.0015, 0.0005), "0.0015");
        assert_eq!(seconds(20.0, 10.0), "20");
    }
}
