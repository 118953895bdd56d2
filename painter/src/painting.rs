//! One painting's life: blank canvas, coats of paint, saved PNG.
//!
//! The schedulers decide *when* each step happens; this module is the steps
//! themselves, so that every scheduler paints exactly the same picture.
//!
//! The canvas is made when the first stroke is about to be painted, not
//! when the job arrives: an async painter may be handed many jobs at once,
//! and holds canvases only for those it has started. A painting of zero
//! strokes never gets one: nothing is painted, so there is no picture to
//! save, and its checksum is that of no pixels at all. Such jobs measure
//! the machinery alone (`--paint 0ms`).

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
    canvas: Option<Canvas>,
}

impl Painting {
    /// `job`, to be painted on `lane`; nothing painted yet.
    #[must_use]
    pub fn new(job: Job, lane: u32) -> Self {
        Self { job, lane, coat: 0, canvas: None }
    }

    /// Whether every coat has been painted.
    #[must_use]
    pub fn all_coats_painted(&self) -> bool {
        self.coat >= self.job.coats
    }

    /// Says that the current coat's painting starts. Painting takes a while
    /// (unless there is nothing to paint), so what was said goes out now.
    pub fn start_coat(&self, outbox: &Outbox) {
        outbox.event(self.job.id, self.lane, self.coat, EventKind::PaintStarted);
        if self.job.strokes > 0 {
            outbox.flush();
        }
    }

    /// Paints up to `max` more strokes of the current coat; returns how many
    /// remain. The caller calls [`Painting::finish_coat`] when none do.
    pub fn paint_some(&mut self, max: u64) -> u64 {
        let coat_end = u64::from(self.coat + 1) * u64::from(self.job.strokes);
        if coat_end == 0 {
            return 0;
        }
        let seed = self.job.seed;
        let canvas = self.canvas.get_or_insert_with(|| Canvas::new(seed));
        let left = coat_end.saturating_sub(canvas.strokes());
        let now = left.min(max);
        canvas.paint(now);
        left - now
    }

    /// Says that the current coat is painted, and moves on to the next.
    pub fn finish_coat(&mut self, outbox: &Outbox) {
        outbox.event(self.job.id, self.lane, self.coat, EventKind::PaintFinished);
        self.coat += 1;
    }

    /// Saves the finished picture and reports it, done or failed.
    pub fn deliver(self, settings: &Settings, outbox: &Outbox) {
        let (job, lane) = (self.job.id, self.lane);
        let Some(canvas) = self.canvas else {
            let checksum = crate::canvas::fnv1a(&[]);
            outbox.send(FromPainter::JobDone(JobDone {
                job,
                lane,
                at_ns: protocol::clock::now_ns(),
                checksum,
                path: None,
            }));
            return;
        };
        let rgb = canvas.rgb();
        let checksum = crate::canvas::fnv1a(&rgb);
        outbox.flush(); // saving takes a millisecond or so
        let message = match save::png(&settings.out_dir, job, &rgb) {
            Ok(path) => FromPainter::JobDone(JobDone {
                job,
                lane,
                at_ns: protocol::clock::now_ns(),
                checksum,
                path: Some(path.display().to_string()),
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
