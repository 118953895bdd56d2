//! How long is a stroke here?
//!
//! `--paint 400ms` is a duration, but a painting is made of strokes, and a
//! stroke takes as long as this CPU takes. The coordinator asks one painter,
//! pinned to a core, to measure; it then gives every mode the same number of
//! strokes, so a `compare` runs identical work in each.
//!
//! The measurement paints in batches, on the pictures of the paintings to
//! come (a stroke costs a few percent more or less from one picture to
//! another, so measuring on another picture would make every ideal a few
//! percent off), and keeps the median batch. Each batch is timed by the
//! CPU time the thread used (`CLOCK_THREAD_CPUTIME_ID`), not by the wall
//! clock: time spent waiting while another program held the core is not
//! painting, and would make every stroke look slower (a report counts
//! such waits as contention, from the kernel's own numbers). A
//! disturbance that does cost CPU (an interrupt, a cold cache) spoils a
//! batch or two, not the median. It cannot remove slower drifts of the
//! machine itself, which is why `compare` calibrates once and gives every
//! mode the same strokes, and why `--strokes` exists.

use std::time::Duration;

use protocol::FromPainter;

use crate::canvas::Canvas;
use crate::effort::Reading;

/// Batches measured after a warm-up batch.
const BATCHES: usize = 16;

/// The most pictures measured on.
pub const MAX_SEEDS: usize = 4;

/// Paints for about `sample`, in batches taking turns on the pictures of
/// `seeds` (at most [`MAX_SEEDS`]; seed 0 if none), and reports the time of
/// one stroke in the median batch.
#[must_use]
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn measure(sample: Duration, seeds: &[u64]) -> FromPainter {
    let seeds = if seeds.is_empty() { &[0][..] } else { &seeds[..seeds.len().min(MAX_SEEDS)] };
    let mut canvases: Vec<Canvas> = seeds.iter().map(|&seed| Canvas::new(seed)).collect();
    // A first guess from a few strokes sizes the batches.
    let probe = Reading::now();
    canvases[0].paint(16);
    let guess_ns = (probe.until(Reading::now()).cpu_ns as f64 / 16.0).max(1.0);
    let batch_ns = sample.as_nanos() as f64 / (BATCHES + 1) as f64;
    let per_batch = ((batch_ns / guess_ns) as u64).max(1);

    canvases[0].paint(per_batch); // warm-up: caches, frequency
    let turns = canvases.len();
    let mut per_stroke: Vec<f64> = (0..BATCHES)
        .map(|batch| {
            let canvas = &mut canvases[batch % turns];
            let start = Reading::now();
            canvas.paint(per_batch);
            start.until(Reading::now()).cpu_ns as f64 / per_batch as f64
        })
        .collect();
    per_stroke.sort_by(f64::total_cmp);
    let strokes = canvases.iter().map(Canvas::strokes).sum();
    FromPainter::Calibrated { stroke_ns: per_stroke[BATCHES / 2], strokes }
}
