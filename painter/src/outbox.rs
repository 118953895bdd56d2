//! Everything a painter says goes through here, to stdout.
//!
//! Lanes, drying tasks and the main thread all write through one
//! [`Outbox`]: a buffered writer behind a mutex. A frame is encoded and
//! written whole while the lock is held, so frames never interleave.
//!
//! The buffer goes down the pipe when whoever holds the outbox is about to
//! wait — for the next message, for a coat to dry, or through a long
//! stretch of painting — and calls [`Outbox::flush`]. So a burst of events
//! (an empty job's three, or those of a few hundred empty jobs: 30–40 KB)
//! leaves in one `write`, and nothing is left in the buffer while the
//! painter waits. The message is written on the thread that did the work,
//! rather than handed to a writer thread, which saves one thread wake-up
//! per message: an event reaches the pipe in the time of one `write`.

use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use protocol::frame::write_message;
use protocol::{EventKind, FromPainter};

/// Bytes buffered before a write is forced: a few hundred events.
const BUFFER: usize = 64 * 1024;

type Writer = BufWriter<Box<dyn Write + Send>>;

/// A handle for sending messages to the coordinator; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    writer: Arc<Mutex<Writer>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox writing to `writer` (stdout, or a buffer in tests).
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        let writer: Box<dyn Write + Send> = Box::new(writer);
        Self { writer: Arc::new(Mutex::new(BufWriter::with_capacity(BUFFER, writer))) }
    }

    /// Buffers one message; it reaches the pipe at the next [`Outbox::flush`]
    /// (or sooner, when the buffer fills).
    ///
    /// If writing fails, the coordinator has gone: nobody will read another
    /// word, so the painter logs it and ends the process.
    pub fn send(&self, message: FromPainter) {
        let mut writer = self.lock();
        if let Err(error) = write_message(&mut *writer, &message) {
            gone(&error);
        }
    }

    /// Sends an event about `job`, stamped now on the shared clock.
    pub fn event(&self, job: u32, lane: u32, coat: u32, kind: EventKind) {
        self.send(FromPainter::Event(protocol::Event { job, lane, coat, at_ns: protocol::clock::now_ns(), kind }));
    }

    /// Answers the coordinator's `Ping` at once with the time now on this
    /// machine's clock, from which it works out how far this clock is from its own.
    pub fn pong(&self, seq: u32) {
        self.send(FromPainter::Pong { seq, at_ns: protocol::clock::now_ns() });
        self.flush();
    }

    /// Writes whatever is buffered to the pipe. Call it before waiting or
    /// painting for a while; with nothing buffered it makes no system call.
    pub fn flush(&self) {
        let mut writer = self.lock();
        if let Err(error) = writer.flush() {
            gone(&error);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Writer> {
        // A lane that panicked while writing leaves at worst a partial frame,
        // which the coordinator reports; the other lanes carry on.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stdout is closed or broken: log it and stop.
fn gone(error: &dyn std::fmt::Display) -> ! {
    tracing::error!(error = %error, "cannot write to the coordinator; stopping");
    std::process::exit(crate::process::EXIT_STDOUT_CLOSED);
}
