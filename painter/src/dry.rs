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
//! A sleep ends a little after its deadline (tokio's timer counts whole
//! milliseconds; a thread must be woken and scheduled), so each wait of a
//! coat ends at a deadline counted from the start of the first, not from
//! the late end of the one before: the lateness of a coat's drying is that
//! of its last wait, not the sum of both.

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

/// Dries one coat as a task: only this task waits, not the thread.
pub async fn concurrent(job: &Job, lane: u32, coat: u32, outbox: &Outbox) {
    let mut deadline = tokio::time::Instant::now();
    for (kind, duration) in waits(job) {
        outbox.event(job.id, lane, coat, EventKind::DryStarted(kind));
        outbox.flush();
        deadline += duration;
        tokio::time::sleep_until(deadline).await;
        outbox.event(job.id, lane, coat, EventKind::DryFinished(kind));
    }
}
