//! What the cores did, in the picture: over each painting block, where its
//! thread waited for a core (hatched and pale), and under the painters, a
//! row per core saying who held it.
//!
//! Both are drawn in strips of [`STRIP`] pixels rather than turn by turn:
//! painters taking turns in slices of a few milliseconds would otherwise
//! be thousands of slivers narrower than a pixel. In a strip, the part its
//! thread ran stays solid on the left and the part it waited is hatched;
//! a core's strip goes to whoever held it most, in proportion over the row
//! ([`cores::columns`]), so turns show as turns.

use std::fmt::Write as _;

use crate::model::schedule::Segment;
use crate::report::cores::{self, CoreLane, Held, On};

use super::axis::Axis;
use super::markup::{escape, text};
use super::{LEFT, RIGHT, ROW, palette};
use crate::term::format;

/// The width of a strip, in pixels.
pub(super) const STRIP: f64 = 4.0;

/// Another program, on a core's row.
pub(super) const OTHER: &str = "#424242";

/// The hatching of a wait, defined once per picture.
pub(super) fn defs(out: &mut String) {
    out.push_str(
        r##"<defs><pattern id="waiting" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff" fill-opacity="0.6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#444444" stroke-width="1.5"/></pattern></defs>
"##,
    );
}

/// The strips across a panel's time axis: one grid for its lanes and its
/// core rows, so that they line up.
pub(super) fn strips(axis: &Axis) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a few hundred strips
    let strips = ((axis.width - LEFT - RIGHT) / STRIP).ceil() as usize;
    strips
}

/// Who held each of `cores`, strip by strip.
pub(super) fn held(cores: &[CoreLane], axis: &Axis) -> Vec<Vec<Option<Held>>> {
    cores.iter().map(|core| cores::columns(&core.spans, axis.span_s, strips(axis))).collect()
}

/// Marks the parts of painting block `s` (drawn at `y`) where its thread
/// did not have a core, strip by strip, as `on` (its lane's, from
/// [`cores::lane_on`]) says: hatched where it waited for one, blank where
/// it did neither. Elsewhere the block stays solid, so that lanes and core
/// rows agree strip by strip.
pub(super) fn waits(out: &mut String, s: &Segment, on: &[On], axis: &Axis, y: f64) {
    let (left, right) = (axis.x(s.start_s), axis.x(s.end_s));
    // Stretches of strips alike, each drawn as one rectangle.
    let mut marked: Vec<(On, f64, f64)> = Vec::new();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let mut strip = ((left - axis.left()) / STRIP).floor().max(0.0) as usize;
    loop {
        #[allow(clippy::cast_precision_loss)]
        let x = axis.left() + strip as f64 * STRIP;
        if x >= right {
            break;
        }
        let (from_x, to_x) = (x.max(left), (x + STRIP).min(right));
        let on = on.get(strip).copied().unwrap_or(On::Ran);
        if on != On::Ran {
            match marked.last_mut() {
                Some(last) if last.0 == on && (last.2 - from_x).abs() < 0.05 => last.2 = to_x,
                _ => marked.push((on, from_x, to_x)),
            }
        }
        strip += 1;
    }
    for (on, from, to) in marked {
        let (class, fill, what) = match on {
            On::Waited => ("waiting", "url(#waiting)", "waiting for a core (ready, another held it)"),
            _ => ("off", "#ffffff", "off its core: neither running nor waiting for one"),
        };
        let tip = format!("painting {}: {what}", s.painting);
        let _ = writeln!(
            out,
            r#"<rect class="{class}" x="{from:.1}" y="{y:.1}" width="{:.1}" height="{ROW}" fill="{fill}"><title>{}</title></rect>"#,
            to - from,
            escape(&tip)
        );
    }
}

/// A core's row at `y`: its label, and who held it strip by strip (`held`,
/// its row of [`held`]).
pub(super) fn core_row(out: &mut String, core: &CoreLane, held: &[Option<Held>], axis: &Axis, y: f64) {
    text(out, axis.x0 + 20.0, y + ROW / 2.0 + 4.5, &core.label(), "");
    let strips = held.len();
    let mut start = 0;
    while start < held.len() {
        let end = (start..held.len()).find(|&i| held[i] != held[start]).unwrap_or(held.len());
        if let Some(who) = held[start] {
            #[allow(clippy::cast_precision_loss)]
            let (x, width) = (axis.left() + start as f64 * STRIP, (end - start) as f64 * STRIP);
            let width = width.min(axis.right() - x);
            #[allow(clippy::cast_precision_loss)]
            let (from_s, to_s) = (axis.span_s * start as f64 / strips as f64, axis.span_s * end as f64 / strips as f64);
            // The spans under these strips (they are in order of time).
            let first = core.spans.partition_point(|s| s.end_s <= from_s);
            let under = || core.spans[first..].iter().take_while(|s| s.start_s < to_s);
            let holder = under().find(|s| Held::of(s) == who).map(cores::CoreSpan::holder).unwrap_or_default();
            // How long the holder really held it here: turns shorter than a
            // strip are drawn as strips in proportion, so a strip drawn as
            // one painter's was partly the others'.
            let time: f64 = under()
                .filter(|s| Held::of(s).thread_only() == who.thread_only())
                .map(|s| (s.end_s.min(to_s) - s.start_s.max(from_s)).max(0.0))
                .sum();
            let tip = if who == Held::Idle {
                format!(
                    "{}, {from_s:.3}–{to_s:.3} s: drawn idle; no painter ran or waited there {} of its {}",
                    core.label(),
                    format::fine(time),
                    format::fine(to_s - from_s)
                )
            } else {
                format!(
                    "{}, {from_s:.3}–{to_s:.3} s: drawn as {holder}'s; {holder} {} of its {}",
                    core.label(),
                    format::fine(time),
                    format::fine(to_s - from_s)
                )
            };
            let (class, fill) = match who {
                Held::Painter { painting: Some(n), .. } => ("core-painter", palette::painting(n).hex()),
                Held::Painter { painting: None, .. } => ("core-painter", palette::NET_WAIT.hex()),
                Held::Other => ("core-other", OTHER.to_owned()),
                Held::Idle => ("core-idle", "#ffffff".to_owned()),
            };
            let stroke = if who == Held::Idle { r##" stroke="#cccccc" stroke-dasharray="2,2""## } else { "" };
            let _ = writeln!(
                out,
                r#"<rect class="{class}" x="{x:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{fill}"{stroke}><title>{}</title></rect>"#,
                y + 3.0,
                ROW - 6.0,
                escape(&tip)
            );
            // The other program's name, where it has room.
            if who == Held::Other && width > 7.5 * holder.chars().count() as f64 {
                let name = core.spans.iter().find(|s| Held::of(s) == Held::Other).map(cores::CoreSpan::holder);
                if let Some(name) = name {
                    text(out, x + 4.0, y + ROW / 2.0 + 4.0, &name, r##"fill="#ffffff" font-size="12""##);
                }
            }
        }
        start = end;
    }
}
