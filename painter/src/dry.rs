//! Drying: the IO-bound part of a painting, as waits.
//!
//! Each coat dries in two waits, one after the other: the *file* wait (the
//! canvas going to a slow disk) and the *network* wait (delivering it to the
//! gallery). While waiting, a painter uses no CPU. A blocking painter sleeps
//! its thread through them; an async painter sleeps only the task, and its
//! thread paints something else meanwhile — the whole point of `async`.
//!
//! A wait of zero is skipped, with no events, so `--dry 0ms` gives a purely
//! CPU-bound workload.
//!
//! What a painter says is buffered (see [`crate::outbox`]); a wait is a
//! wait, so before each one whatever is buffered goes to the coordinator.
//!
//! A sleep ends a little after its deadline (a thread must be woken and
//! scheduled), so each wait of a coat ends at a deadline counted from the
//! start of the first, not from the late end of the one before: the
//! lateness of a coat's drying is that of its last wait, not the sum of
//! both.

use std::time::Duration;

use protocol::{DryKind, EventKind, Job};

use crate::outbox::Outbox;

/// The waits of one coat of `job`, in order.
fn waits(job: &Job) -> impl Iterator<Item = (DryKind, Duration)> {
    [(DryKind::File, job.file_wait), (DryKind::Network, job.net_wait)].into_iter().filter(|(_, d)| !d.is_zero())
}

/// Dries one coat, blocking the calling thread. Once the first wait has
/// begun, the thread does `meanwhile` (work that need not wait for the
/// drying) before it sleeps out the rest.
pub fn blocking(job: &Job, lane: u32, coat: u32, outbox: &Outbox, meanwhile: impl FnOnce()) {
    let mut deadline = std::time::Instant::now();
    let mut meanwhile = Some(meanwhile);
    for (kind, duration) in waits(job) {
        outbox.event(job.id, lane, coat, EventKind::DryStarted(kind));
        outbox.flush();
        if let Some(work) = meanwhile.take() {
            work();
        }
        deadline += duration;
        std::thread::sleep(deadline.saturating_duration_since(std::time::Instant::now()));
        outbox.event(job.id, lane, coat, EventKind::DryFinished(kind));
    }
}

/// A coat's drying begun on the painting thread, for a task to see
/// through: see [`begin`].
#[derive(Debug)]
pub struct Drying {
    job: Job,
    lane: u32,
    coat: u32,
    /// When its first wait began, on the monotonic clock.
    began_ns: u64,
}

/// Begins drying one coat of an async painter, now: says that its first
/// wait started and returns the rest of the drying for a task to finish
/// ([`Drying::finish`]), or `None` if the coat has nothing to dry.
///
/// The first wait is said here, on the thread that painted the coat, at
/// the moment its last stroke is painted, rather than by the task once the
/// runtime first polls it: the drying's clock starts when the painting
/// stops, and the coat's `PaintFinished` and `DryStarted` leave in one
/// write.
pub fn begin(job: &Job, lane: u32, coat: u32, outbox: &Outbox) -> Option<Drying> {
    let (kind, _) = waits(job).next()?;
    let began_ns = protocol::clock::now_ns();
    outbox.event(job.id, lane, coat, EventKind::DryStarted(kind));
    Some(Drying { job: job.clone(), lane, coat, began_ns })
}

impl Drying {
    /// Waits out the coat's drying as a task: only this task waits, not
    /// the thread. Each wait ends at a deadline counted from the first
    /// one's start, to the nanosecond ([`crate::alarm`]).
    pub async fn finish(self, outbox: &Outbox) {
        let Self { job, lane, coat, began_ns } = self;
        let mut deadline = began_ns;
        for (index, (kind, duration)) in waits(&job).enumerate() {
            if index > 0 {
                outbox.event(job.id, lane, coat, EventKind::DryStarted(kind));
                outbox.flush();
            }
            deadline = deadline.saturating_add(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX));
            crate::alarm::until(deadline).await;
            outbox.event(job.id, lane, coat, EventKind::DryFinished(kind));
        }
    }
}
