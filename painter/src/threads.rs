//! The threads scheduler: one process, one OS thread per core.
//!
//! Each thread (a *lane*) is pinned to its own core and runs the blocking
//! loop of [`crate::blocking`]; all lanes take jobs from one shared queue.
//! In Rust, unlike Python under its GIL, these threads truly run at the
//! same time: `top` shows one painter process at up to N×100% CPU.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use protocol::{Job, ToPainter};

use crate::inbox::Inbox;
use crate::outbox::Outbox;
use crate::{Error, Settings, blocking, calibrate, process};

/// Runs one lane per entry of `cores` (unpinned lanes where `cores` holds
/// `None`) until `Shutdown`, then waits for every lane to finish its jobs.
///
/// # Errors
/// If a lane cannot be started or cannot pin itself (then the other lanes
/// finish what they hold first), or if a lane panicked.
pub fn run(mut inbox: Inbox, outbox: &Outbox, settings: &Settings, cores: &[Option<u32>]) -> Result<(), Error> {
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    let name = process::name();
    let mut lanes = Vec::with_capacity(cores.len());
    for (lane, &core) in (0u32..).zip(cores) {
        let (jobs, outbox, settings) = (Arc::clone(&jobs_rx), outbox.clone(), settings.clone());
        let thread = thread::Builder::new().name(format!("{name}.{lane}")).spawn(move || -> Result<(), Error> {
            if let Some(core) = core {
                process::pin(core)?;
            }
            // Holding the lock while waiting is fine: whoever holds it
            // takes the next job, the others queue for the lock.
            while let Some(job) = next_job(&jobs) {
                blocking::paint(job, lane, &outbox, &settings);
            }
            Ok(())
        });
        lanes.push(thread.map_err(|source| Error::Start { what: "a painting thread", source })?);
    }

    while let Some(message) = inbox.blocking_recv() {
        match message {
            // Fails only once every lane has stopped: joining them says why.
            ToPainter::Job(job) => {
                if jobs_tx.send(job).is_err() {
                    break;
                }
            }
            ToPainter::Calibrate { sample } => outbox.send(calibrate::measure(sample)),
            ToPainter::Shutdown => break,
        }
    }
    drop(jobs_tx); // lanes finish what is queued, then see the end
    lanes.into_iter().try_for_each(|lane| lane.join().map_err(|_| Error::LanePanicked)?)
}

fn next_job(jobs: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    jobs.lock().ok()?.recv().ok()
}
