//! The blocking scheduler: one painting at a time, start to finish.
//!
//! Paint a coat, wait for it to dry, paint the next coat, … save, take the
//! next job. While a coat dries the thread sleeps and the core idles: this is
//! the baseline every other mode is measured against. The `threads`
//! scheduler runs this same loop on several threads at once.

use std::io::Read;

use protocol::{Job, ToPainter};

use crate::Settings;
use crate::calibrate;
use crate::inbox::Inbox;
use crate::outbox::Outbox;
use crate::painting::Painting;

/// Takes messages until `Shutdown`, doing each job completely before the next.
pub fn run(mut inbox: Inbox<impl Read>, outbox: &Outbox, settings: &Settings) {
    crate::states::begin(0, outbox);
    loop {
        match inbox.recv(outbox) {
            ToPainter::Job(job) => paint(job, 0, outbox, settings),
            ToPainter::Chunk(chunk) => paint_chunk(&chunk, 0, outbox, settings),
            ToPainter::Calibrate { sample, seeds } => {
                outbox.flush();
                outbox.send(crate::fault::calibrated(calibrate::measure(sample, &seeds)));
            }
            ToPainter::Ping { seq } => outbox.pong(seq),
            ToPainter::Shutdown => return crate::states::end(),
        }
    }
}

/// Every job of `chunk`, one after the other, on the calling thread;
/// what is said about them goes out as one message at the end (see
/// [`crate::outbox`]).
pub fn paint_chunk(chunk: &protocol::Chunk, lane: u32, outbox: &Outbox, settings: &Settings) {
    outbox.open_chunk(chunk);
    // An empty painting's life (no strokes, one coat, no waits) is said
    // in one step, without the machinery of a painting: the machinery is
    // all its cost (see `Outbox::empty_life`). A painter armed with a
    // fault paints each, so that the fault strikes where it is meant to.
    let empty = chunk.first.strokes == 0
        && chunk.first.coats == 1
        && chunk.first.file_wait.is_zero()
        && chunk.first.net_wait.is_zero()
        && !crate::fault::armed();
    let checksum = crate::canvas::fnv1a(&[]);
    for job in chunk.jobs() {
        if empty && outbox.empty_life(job.id, lane, protocol::clock::now_ns(), checksum) {
            crate::states::tick();
            continue;
        }
        paint(job, lane, outbox, settings);
    }
}

/// One whole job on the calling thread: every coat painted and dried, then saved.
pub fn paint(job: Job, lane: u32, outbox: &Outbox, settings: &Settings) {
    crate::fault::on_job(&job, outbox);
    let mut painting = Painting::new(job, lane);
    while !painting.all_coats_painted() {
        painting.start_coat(outbox);
        painting.paint_some(u64::MAX);
        let coat = painting.coat;
        painting.finish_coat(outbox);
        // The last coat's drying is time to prepare the picture.
        let job = painting.job.clone();
        crate::dry::blocking(&job, lane, coat, outbox, || painting.prepare(outbox));
    }
    painting.deliver(settings, outbox);
}
