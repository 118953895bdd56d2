//! How long is a stroke here?
//!
//! `--paint 400ms` is a duration, but a painting is made of strokes, and a
//! stroke takes as long as this CPU takes. The coordinator asks one painter,
//! pinned to a core, to measure; it then gives every mode the same number of
//! strokes, so a `compare` runs identical work in each.
//!
//! The measurement paints in batches and keeps the fastest: every
//! disturbance (another process, an interrupt, a frequency change) only
//! ever makes a batch slower, so the fastest batch is the best estimate of
//! what a stroke costs on an undisturbed core. It cannot remove slower
//! drifts of the machine itself (on a shared 2-core VM, the fastest batch
//! moved between 61 and 73 µs from one invocation to the next), which is
//! why `compare` calibrates once and gives every mode the same strokes.

use std::time::{Duration, Instant};

use protocol::FromPainter;

use crate::canvas::Canvas;

/// Batches measured after a warm-up batch.
const BATCHES: usize = 16;

/// Paints for about `sample` and reports the time of one stroke in the
/// fastest batch.
#[must_use]
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn measure(sample: Duration) -> FromPainter {
    let mut canvas = Canvas::new(0);
    // A first guess from a few strokes sizes the batches.
    let probe = Instant::now();
    canvas.paint(16);
    let guess_ns = (probe.elapsed().as_nanos() as f64 / 16.0).max(1.0);
    let batch_ns = sample.as_nanos() as f64 / (BATCHES + 1) as f64;
    let per_batch = ((batch_ns / guess_ns) as u64).max(1);

    canvas.paint(per_batch); // warm-up: caches, frequency
    let mut per_stroke: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            canvas.paint(per_batch);
            start.elapsed().as_nanos() as f64 / per_batch as f64
        })
        .collect();
    per_stroke.sort_by(f64::total_cmp);
    FromPainter::Calibrated { stroke_ns: per_stroke[BATCHES / 2], strokes: canvas.strokes() }
}
