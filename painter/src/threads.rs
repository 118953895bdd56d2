//! The threads scheduler: one process, one OS thread per core.
//!
//! Each thread (a *lane*) is pinned to its own core and runs the blocking
//! loop of [`crate::blocking`]; all lanes take jobs from one shared queue.
//! In Rust, unlike Python under its GIL, these threads truly run at the
//! same time: `top` shows one painter process at up to N×100% CPU.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::Context;
use protocol::{Job, ToPainter};

use crate::inbox::Inbox;
use crate::outbox::Outbox;
use crate::{Settings, blocking, calibrate, process};

/// Runs one lane per entry of `cores` (unpinned lanes where `cores` holds
/// `None`) until `Shutdown`, then waits for every lane to finish its jobs.
///
/// # Errors
/// If a lane cannot be started, or cannot pin itself.
pub fn run(mut inbox: Inbox, outbox: &Outbox, settings: &Settings, cores: &[Option<u32>]) -> anyhow::Result<()> {
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    let name = process::name();
    let lanes = cores
        .iter()
        .enumerate()
        .map(|(lane, &core)| {
            let (jobs, outbox, settings) = (Arc::clone(&jobs_rx), outbox.clone(), settings.clone());
            let lane = u32::try_from(lane).context("too many lanes")?;
            thread::Builder::new()
                .name(format!("{name}.{lane}"))
                .spawn(move || -> anyhow::Result<()> {
                    if let Some(core) = core {
                        process::pin(core)?;
                    }
                    // Holding the lock while waiting is fine: whoever holds it
                    // takes the next job, the others queue for the lock.
                    while let Some(job) = next_job(&jobs) {
                        blocking::paint(job, lane, &outbox, &settings);
                    }
                    Ok(())
                })
                .context("cannot start a painting thread")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    while let Some(message) = inbox.blocking_recv() {
        match message {
            ToPainter::Job(job) => jobs_tx.send(job).context("every painting thread has stopped")?,
            ToPainter::Calibrate { sample } => outbox.send(calibrate::measure(sample)),
            ToPainter::Shutdown => break,
        }
    }
    drop(jobs_tx); // lanes finish what is queued, then see the end
    for lane in lanes {
        lane.join().map_err(|_| anyhow::anyhow!("a painting thread panicked"))??;
    }
    Ok(())
}

fn next_job(jobs: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    jobs.lock().ok()?.recv().ok()
}
