//! The threads scheduler: one process, one OS thread per core.
//!
//! Each thread (a *lane*) is pinned to its own core and runs the blocking
//! loop of [`crate::blocking`]. The lanes share the one [`Inbox`] behind a
//! mutex: a lane that is free takes the lock and reads the next message
//! itself, while the others paint or queue for the lock. In Rust, unlike
//! Python under its GIL, these threads truly run at the same time: `top`
//! shows one painter process at up to N×100% CPU.

use std::io::Read;
use std::sync::Mutex;
use std::thread;

use protocol::ToPainter;

use crate::inbox::Inbox;
use crate::outbox::Outbox;
use crate::{Error, Settings, blocking, calibrate, process};

/// The inbox the lanes share, and whether one of them has read `Shutdown`.
struct Shared<R> {
    inbox: Inbox<R>,
    shut_down: bool,
}

/// Runs one lane per entry of `cores` (unpinned lanes where `cores` holds
/// `None`) until `Shutdown`, then waits for every lane to finish its job.
///
/// # Errors
/// If a lane cannot be started or cannot pin itself (then the other lanes
/// go on until `Shutdown`), or if a lane panicked.
pub fn run(
    inbox: Inbox<impl Read + Send>,
    outbox: &Outbox,
    settings: &Settings,
    cores: &[Option<u32>],
) -> Result<(), Error> {
    let shared = Mutex::new(Shared { inbox, shut_down: false });
    let name = process::name();
    thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(cores.len());
        for (lane, &core) in (0u32..).zip(cores) {
            let shared = &shared;
            let thread = thread::Builder::new().name(format!("{name}.{lane}")).spawn_scoped(scope, move || {
                if let Some(core) = core {
                    process::pin(core)?;
                }
                crate::states::begin(lane, outbox);
                while let Some(message) = next(shared, outbox) {
                    match message {
                        ToPainter::Job(job) => blocking::paint(job, lane, outbox, settings),
                        ToPainter::Chunk(chunk) => blocking::paint_chunk(&chunk, lane, outbox, settings),
                        ToPainter::Calibrate { sample, seeds } => {
                            outbox.flush();
                            outbox.send(calibrate::measure(sample, &seeds));
                        }
                        ToPainter::Ping { seq } => outbox.pong(seq),
                        ToPainter::Shutdown => break,
                    }
                }
                crate::states::end();
                Ok(())
            });
            lanes.push(thread.map_err(|source| Error::Start { what: "a painting thread", source })?);
        }
        lanes.into_iter().try_for_each(|lane| lane.join().map_err(|_| Error::LanePanicked)?)
    })
}

/// The next message for a free lane; `None` once `Shutdown` has been read.
/// Holding the lock while waiting is fine: whoever holds it takes the next
/// message, the others queue for the lock. A lane may queue for a long
/// time, so it flushes what it said before it does.
fn next<R: Read>(shared: &Mutex<Shared<R>>, outbox: &Outbox) -> Option<ToPainter> {
    outbox.flush();
    let mut shared = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if shared.shut_down {
        return None;
    }
    let message = shared.inbox.recv(outbox);
    shared.shut_down = matches!(message, ToPainter::Shutdown);
    Some(message)
}
