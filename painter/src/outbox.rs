//! Everything a painter says goes through here, to stdout, on one thread.
//!
//! Lanes, drying tasks and the main thread all hand messages to an
//! [`Outbox`] (a channel sender, cheap to clone); a single writer thread
//! frames them onto stdout. One writer means frames never interleave, and it
//! flushes only when the channel is momentarily empty, so a burst of events
//! leaves in one `write` instead of one per event.

use std::io::{BufWriter, Write};
use std::sync::mpsc;
use std::thread;

use protocol::frame::write_message;
use protocol::{EventKind, FromPainter};

/// A handle for sending messages to the coordinator.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<FromPainter>,
}

impl Outbox {
    /// Starts the writer thread on `writer` (stdout, or a buffer in tests).
    ///
    /// If writing fails, the coordinator has gone: nobody will read another
    /// word, so the writer logs it and ends the process.
    ///
    /// # Errors
    /// If the thread cannot be started.
    pub fn spawn(writer: impl Write + Send + 'static) -> std::io::Result<(Self, thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel::<FromPainter>();
        let handle = thread::Builder::new().name("outbox".into()).spawn(move || {
            let mut out = BufWriter::new(writer);
            while let Ok(first) = rx.recv() {
                let mut result = write_message(&mut out, &first);
                // Take whatever else is already queued before flushing.
                while let (Ok(()), Ok(next)) = (&result, rx.try_recv()) {
                    result = write_message(&mut out, &next);
                }
                if let Err(error) = result.and_then(|()| out.flush().map_err(Into::into)) {
                    tracing::error!(error = %error, "cannot write to the coordinator; stopping");
                    std::process::exit(crate::process::EXIT_STDOUT_CLOSED);
                }
            }
        })?;
        Ok((Self { tx }, handle))
    }

    /// Sends one message. Once the writer has stopped there is nobody left
    /// to tell, so a failed send is not an error.
    pub fn send(&self, message: FromPainter) {
        let _ = self.tx.send(message);
    }

    /// Sends an event about `job`, stamped now on the shared clock.
    pub fn event(&self, job: u32, lane: u32, coat: u32, kind: EventKind) {
        self.send(FromPainter::Event(protocol::Event { job, lane, coat, at_ns: protocol::clock::now_ns(), kind }));
    }
}
