//! A lane's blocks: painting, the two waits of drying, the mark for saving
//! a picture, and the cross where something began and was never finished.

use std::fmt::Write as _;

use crate::model::schedule::{Segment, SegmentKind};

use super::axis::Axis;
use super::markup::{escape, text};
use super::{IDEAL, ROW, SAVE_MARK, SAVE_MARK_WIDTH, palette};

/// One block, with the painting's number when it fits, and with several
/// coats, which coat it is (`2/3`) and a thin line where it begins, so
/// that two coats of one painting side by side read as two.
pub(super) fn draw_segment(out: &mut String, s: &Segment, axis: &Axis, y: f64, coats: u32) {
    let x = axis.x(s.start_s);
    let width = (axis.x(s.end_s) - x).max(1.0);
    let (class, colour, what) = match s.kind {
        SegmentKind::Paint => ("paint", palette::painting(s.painting), "painting"),
        SegmentKind::FileWait => ("file-wait", palette::FILE_WAIT, "disk wait"),
        SegmentKind::NetWait => ("net-wait", palette::NET_WAIT, "network wait"),
        SegmentKind::Save => ("save", palette::SAVE, "saving"),
    };
    let ink = colour.ink().hex();
    let tip = format!("{what}: painting {}, coat {}, {:.3}–{:.3} s", s.painting, s.coat + 1, s.start_s, s.end_s);
    if s.kind == SegmentKind::Save {
        let tip = format!("{what}: painting {}, {:.3}–{:.3} s", s.painting, s.start_s, s.end_s);
        // A small mark along the bottom of the lane, over whatever the
        // lane did meanwhile (the last coat's drying, as a rule).
        let _ = writeln!(
            out,
            r#"<rect class="save" x="{x:.1}" y="{:.1}" width="{:.1}" height="{SAVE_MARK}" fill="{}"><title>{}</title></rect>"#,
            y + ROW - SAVE_MARK,
            width.max(SAVE_MARK_WIDTH),
            colour.hex(),
            escape(&tip)
        );
        return;
    }
    let _ = writeln!(
        out,
        r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{ROW}" fill="{}"><title>{}</title></rect>"#,
        colour.hex(),
        escape(&tip)
    );
    let number = s.painting.to_string();
    let base = y + ROW / 2.0 + 4.5;
    if s.kind != SegmentKind::Paint {
        if width >= 7.0 * number.len() as f64 + 6.0 {
            let attributes = format!(r#"fill="{ink}" font-size="12" text-anchor="middle""#);
            text(out, x + width / 2.0, base, &number, &attributes);
        }
        return;
    }
    if coats > 1 && s.coat > 0 && width >= 3.0 {
        let _ = writeln!(
            out,
            r#"<line class="coat" x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="{ink}" stroke-width="1"/>"#,
            y + ROW
        );
    }
    let coat = format!("{}/{coats}", s.coat + 1);
    // About 7.5 px a bold digit at 12 px, 7 px a plain one, and a margin.
    let number_px = 7.5 * number.len() as f64;
    let coat_px = 7.0 * coat.len() as f64;
    if coats > 1 && width >= number_px + coat_px + 14.0 {
        text(out, x + 4.0, base, &number, &format!(r#"fill="{ink}" font-size="12" font-weight="bold""#));
        text(out, x + width - 3.0, base - 0.5, &coat, &format!(r#"fill="{ink}" font-size="12" text-anchor="end""#));
    } else if width >= number_px + 6.0 {
        text(
            out,
            x + width / 2.0,
            base,
            &number,
            &format!(r#"fill="{ink}" font-size="12" text-anchor="middle" font-weight="bold""#),
        );
    }
}

/// The mark for what was begun and never finished: a red cross on a lane
/// whose row starts at `y`, centred on `x`, with a tooltip.
pub(super) fn unfinished_mark(out: &mut String, x: f64, y: f64, tip: Option<&str>) {
    let (top, bottom) = (y + 4.0, y + ROW - 4.0);
    let (left, right) = (x - 6.0, x + 6.0);
    // The legend's cross is not a mark on a lane.
    let class = if tip.is_some() { "unfinished" } else { "legend" };
    let _ = write!(
        out,
        r#"<path class="{class}" d="M{left:.1},{top:.1} L{right:.1},{bottom:.1} M{right:.1},{top:.1} L{left:.1},{bottom:.1}" stroke="{IDEAL}" stroke-width="2.5" fill="none">"#
    );
    if let Some(tip) = tip {
        let _ = write!(out, "<title>{}</title>", escape(tip));
    }
    out.push_str("</path>\n");
}
