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
//!
//! Once the last coat is painted, the picture can be *prepared* — its
//! colours, checksum and PNG worked out, the canvas let go — while the coat
//! dries, with a core that would otherwise wait (about 0.6 ms of CPU): then
//! delivering it after the drying is only writing the file.

use protocol::{Effort, EventKind, FromPainter, Job, JobDone, JobFailed};

use crate::canvas::Canvas;
use crate::effort::Reading;
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
    picture: Option<Picture>,
    /// The thread's counters when the current coat's painting started;
    /// `None` for a coat of zero strokes, which is not measured.
    coat_started: Option<Reading>,
}

/// A finished picture, ready to save.
#[derive(Debug)]
struct Picture {
    checksum: u64,
    png: std::io::Result<Vec<u8>>,
}

impl Painting {
    /// `job`, to be painted on `lane`; nothing painted yet.
    #[must_use]
    pub fn new(job: Job, lane: u32) -> Self {
        Self { job, lane, coat: 0, canvas: None, picture: None, coat_started: None }
    }

    /// Whether every coat has been painted.
    #[must_use]
    pub fn all_coats_painted(&self) -> bool {
        self.coat >= self.job.coats
    }

    /// Says that the current coat's painting starts, and notes the
    /// thread's counters (see [`crate::effort`]). Painting takes a while
    /// (unless there is nothing to paint), so what was said goes out now.
    pub fn start_coat(&mut self, outbox: &Outbox) {
        outbox.event(self.job.id, self.lane, self.coat, EventKind::PaintStarted);
        if self.job.strokes > 0 {
            outbox.flush();
            crate::states::painting(true);
            self.coat_started = Some(Reading::now());
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
        // A few strokes at a time, with a look at the thread's record
        // between (see `crate::states`).
        let mut painted = 0;
        while painted < now {
            let strokes = (now - painted).min(crate::states::TICK_STROKES);
            canvas.paint(strokes);
            painted += strokes;
            crate::states::tick();
        }
        left - now
    }

    /// Says that the current coat is painted, with what painting it took
    /// of the thread, and moves on to the next.
    pub fn finish_coat(&mut self, outbox: &Outbox) {
        let effort = self.coat_started.take().map_or(Effort::default(), |started| {
            // Only a painter made `heavy` on purpose does anything here.
            crate::fault::after_coat(started.until(Reading::now()));
            started.until(Reading::now())
        });
        crate::states::painting(false);
        outbox.event(self.job.id, self.lane, self.coat, EventKind::PaintFinished(effort));
        if self.job.strokes > 0 {
            crate::states::coat_painted();
        } else {
            // Nothing painted: not even a look at the clock, so that empty
            // paintings keep their fast path.
            crate::states::tick();
        }
        self.coat += 1;
    }

    /// Whether [`Painting::prepare`] has done its work (or has none to do).
    #[must_use]
    pub fn is_prepared(&self) -> bool {
        self.picture.is_some() || self.canvas.is_none()
    }

    /// Works out the finished picture — colours, checksum, PNG — and lets
    /// the canvas go, as a segment of saving work of its own. Does nothing
    /// before the last coat is painted, or twice.
    pub fn prepare(&mut self, outbox: &Outbox) {
        if self.all_coats_painted() && self.picture.is_none() && self.canvas.is_some() {
            let coat = self.coat - 1; // saving belongs to the last coat
            outbox.event(self.job.id, self.lane, coat, EventKind::SaveStarted);
            self.prepare_picture();
            outbox.event(self.job.id, self.lane, coat, EventKind::SaveFinished);
        }
    }

    fn prepare_picture(&mut self) {
        if !self.all_coats_painted() || self.picture.is_some() {
            return;
        }
        if let Some(canvas) = self.canvas.take() {
            let rgb = canvas.rgb();
            let checksum = crate::canvas::checksum(&rgb, canvas.strokes());
            self.picture = Some(Picture { checksum, png: save::encode(&rgb) });
        }
    }

    /// Saves the finished picture (preparing it first if need be) and
    /// reports it, done or failed. The saving is a segment of its own,
    /// between `SaveStarted` and `SaveFinished`.
    pub fn deliver(mut self, settings: &Settings, outbox: &Outbox) {
        // Saving belongs to the last coat.
        let (job, lane, coat) = (self.job.id, self.lane, self.coat.saturating_sub(1));
        let has_picture = self.picture.is_some() || self.canvas.is_some();
        if has_picture {
            outbox.event(job, lane, coat, EventKind::SaveStarted);
            outbox.flush(); // preparing and writing a file take a moment
        }
        self.prepare_picture();
        if let Some(error) = crate::fault::fails(job) {
            if has_picture {
                outbox.event(job, lane, coat, EventKind::SaveFinished);
            }
            outbox.send(FromPainter::JobFailed(JobFailed { job, lane, at_ns: protocol::clock::now_ns(), error }));
            return;
        }
        let Some(picture) = self.picture else {
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
        let saved = picture.png.map_err(|source| crate::Error::Save { path: save::file_name(job).into(), source });
        let saved = if settings.pictures_home {
            // The coordinator writes it where it belongs, and names the path.
            saved.map(|png| save::send_home(job, &png, outbox))
        } else {
            saved.and_then(|png| save::png(&settings.out_dir, job, &png))
        };
        // Saving ends before the painting is reported done: the two are
        // stamped in that order.
        outbox.event(job, lane, coat, EventKind::SaveFinished);
        let message = match saved {
            Ok(path) => FromPainter::JobDone(JobDone {
                job,
                lane,
                at_ns: protocol::clock::now_ns(),
                checksum: picture.checksum,
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
