//! Ctrl-C, SIGTERM and SIGHUP: a request to stop, not a reason to leave
//! painters behind.
//!
//! The handlers are installed once, at start-up, so that a signal that
//! arrives between two runs of a `compare` is still seen by the next one.

use nix::sys::signal::Signal;
use tokio::signal::unix::{SignalKind, signal};

/// The stop signals, listened to for the whole life of the coordinator.
#[derive(Debug)]
pub struct Interrupts {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Interrupts {
    /// Installs the handlers.
    ///
    /// # Errors
    /// If the runtime cannot register them.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next stop signal.
    pub async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.int.recv() => Signal::SIGINT,
            _ = self.term.recv() => Signal::SIGTERM,
            _ = self.hup.recv() => Signal::SIGHUP,
        }
    }
}
