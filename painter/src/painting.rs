//! One painting's life: blank canvas, coats of paint, saved PNG.
//!
//! The schedulers decide *when* each step happens; this module is the steps
//! themselves, so that every scheduler paints exactly the same picture.

use protocol::{EventKind, FromPainter, Job, JobDone, JobFailed};

use crate::canvas::Canvas;
use crate::outbox::Outbox;
use crate::{Settings, save};

/// A job in progress.
#[derive(Debug)]
pub struct Painting {
    /// What to paint.
    pub job: Job,
    /// The lane painting it.
    pub lane: u32,
    /// The next coat to paint.
    pub coat: u32,
    canvas: Canvas,
}

impl Painting {
    /// A blank canvas for `job`, on `lane`.
    #[must_use]
    pub fn new(job: Job, lane: u32) -> Self {
        let canvas = Canvas::new(job.seed);
        Self { job, lane, coat: 0, canvas }
    }

    /// Whether every coat has been painted.
    #[must_use]
    pub fn all_coats_painted(&self) -> bool {
        self.coat >= self.job.coats
    }

    /// Says that the current coat's painting starts.
    pub fn start_coat(&self, outbox: &Outbox) {
        outbox.event(self.job.id, self.lane, self.coat, EventKind::PaintStarted);
    }

    /// Paints up to `max` more strokes of the current coat; returns how many
    /// remain. The caller calls [`Painting::finish_coat`] when none do.
    pub fn paint_some(&mut self, max: u64) -> u64 {
        let coat_end = u64::from(self.coat + 1) * u64::from(self.job.strokes);
        let left = coat_end.saturating_sub(self.canvas.strokes());
        let now = left.min(max);
        self.canvas.paint(now);
        left - now
    }

    /// Says that the current coat is painted, and moves on to the next.
    pub fn finish_coat(&mut self, outbox: &Outbox) {
        outbox.event(self.job.id, self.lane, self.coat, EventKind::PaintFinished);
        self.coat += 1;
    }

    /// Saves the finished picture and reports it, done or failed.
    pub fn deliver(self, settings: &Settings, outbox: &Outbox) {
        let rgb = self.canvas.rgb();
        let checksum = crate::canvas::fnv1a(&rgb);
        let (job, lane) = (self.job.id, self.lane);
        let message = match save::png(&settings.out_dir, job, &rgb) {
            Ok(path) => FromPainter::JobDone(JobDone {
                job,
                lane,
                at_ns: protocol::clock::now_ns(),
                checksum,
                path: path.display().to_string(),
            }),
            Err(error) => {
                let error = chain(&error);
                tracing::warn!(job, error, "painting not saved");
                FromPainter::JobFailed(JobFailed { job, lane, at_ns: protocol::clock::now_ns(), error })
            }
        };
        outbox.send(message);
    }
}

/// An error and its causes on one line: `cannot save x: No space left on device`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}
