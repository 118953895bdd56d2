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
//!
//! Paintings handed out in a chunk are answered differently: what is said
//! about them is packed as [`Step`]s, a byte or two each, and goes out as
//! one `Steps` message when every painting of the chunk is done (or
//! sooner, when a frame's worth has gathered). For a chunk of empty
//! paintings that is one frame and one `write` for hundreds of paintings.

use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use protocol::frame::write_message;
use protocol::{Chunk, EventKind, FromPainter, Said, Steps, WholeLife};

/// Bytes buffered before a write is forced: a few hundred events.
const BUFFER: usize = 64 * 1024;

/// Packed steps are sent once they pass this many bytes: with the
/// largest step there is (an error cut to [`STEP_ERROR`], or a path), the
/// message still fits in one frame.
const PACK_AT: usize = protocol::frame::MAX_FRAME_LEN - 8 * 1024;

/// The longest error a step carries, in bytes; the rest is cut.
const STEP_ERROR: usize = 1024;

type Writer = BufWriter<Box<dyn Write + Send>>;

/// A handle for sending messages to the coordinator; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    writer: Arc<Mutex<Inner>>,
}

/// The writer, and what is being gathered for the chunks being painted.
struct Inner {
    writer: Writer,
    /// Chunks with paintings not yet done: their first painting, how many
    /// they have, and how many of those are not done.
    open: Vec<(u32, u32, u32)>,
    /// Steps gathered, not yet sent.
    steps: Steps,
}

impl Inner {
    /// The open chunk that holds painting `job`, by its place in `open`.
    fn chunk_of(&self, job: u32) -> Option<usize> {
        self.open.iter().position(|&(first, count, _)| job >= first && job - first < count)
    }

    /// Gathers a step about a painting of an open chunk.
    fn gather(&mut self, said: &Said) {
        self.steps.push(said);
        if self.steps.packed_len() >= PACK_AT {
            self.pack();
        }
    }

    /// A painting of open chunk `index` is done: once all of the chunk's
    /// are, its steps go out.
    fn finished(&mut self, index: usize) {
        let left = &mut self.open[index].2;
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.open.swap_remove(index);
            self.pack();
            if let Err(error) = self.writer.flush() {
                gone(&error);
            }
        }
    }

    /// Writes the steps gathered as one message.
    fn pack(&mut self) {
        if self.steps.is_empty() {
            return;
        }
        let message = FromPainter::Steps(std::mem::take(&mut self.steps));
        if let Err(error) = write_message(&mut self.writer, &message) {
            gone(&error);
        }
        // The same buffer serves the next message.
        if let FromPainter::Steps(mut steps) = message {
            steps.clear();
            self.steps = steps;
        }
    }

    fn write(&mut self, message: &FromPainter) {
        if let Err(error) = write_message(&mut self.writer, message) {
            gone(&error);
        }
    }
}

impl Outbox {
    /// An outbox writing to `writer` (stdout, or a buffer in tests).
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        let writer: Box<dyn Write + Send> = Box::new(writer);
        Self {
            writer: Arc::new(Mutex::new(Inner {
                writer: BufWriter::with_capacity(BUFFER, writer),
                open: Vec::new(),
                steps: Steps::new(),
            })),
        }
    }

    /// From now on, what is said about the paintings of `chunk` is packed
    /// into steps, until every one of them is done.
    pub fn open_chunk(&self, chunk: &Chunk) {
        // As many as it has: none past painting number `u32::MAX`.
        let count = chunk.paintings();
        if count > 0 {
            self.lock().open.push((chunk.first.id, count, count));
        }
    }

    /// Buffers one message; it reaches the pipe at the next [`Outbox::flush`]
    /// (or sooner, when the buffer fills). A message about a painting of a
    /// chunk becomes a step of the chunk's answer instead.
    ///
    /// If writing fails, the coordinator has gone: nobody will read another
    /// word, so the painter logs it and ends the process.
    pub fn send(&self, message: FromPainter) {
        let mut inner = self.lock();
        let job = match &message {
            FromPainter::Event(event) => event.job,
            FromPainter::JobDone(done) => done.job,
            FromPainter::JobFailed(failed) => failed.job,
            _ => return inner.write(&message),
        };
        let Some(index) = inner.chunk_of(job) else { return inner.write(&message) };
        match message {
            FromPainter::Event(event) => inner.gather(&Said::Event(event)),
            FromPainter::JobDone(done) => {
                inner.gather(&Said::Done(done));
                inner.finished(index);
            }
            FromPainter::JobFailed(mut failed) => {
                let error = &mut failed.error;
                if error.len() > STEP_ERROR {
                    let mut end = STEP_ERROR;
                    while !error.is_char_boundary(end) {
                        end -= 1;
                    }
                    error.truncate(end);
                }
                inner.gather(&Said::Failed(failed));
                inner.finished(index);
            }
            _ => {}
        }
    }

    /// Says that painting `job` of an open chunk, an empty one (one coat,
    /// nothing to paint or dry), was started at `started_ns`, painted at
    /// once, and is done now, with `checksum`: packed as one whole life,
    /// under one lock, where its three messages would each take the lock,
    /// be made and be packed (see `protocol::Steps::push_life`). Returns
    /// false, saying nothing, if `job` is in no open chunk.
    pub fn empty_life(&self, job: u32, lane: u32, started_ns: u64, checksum: u64) -> bool {
        let mut inner = self.lock();
        let Some(index) = inner.chunk_of(job) else { return false };
        let done_ns = protocol::clock::now_ns();
        let effort = protocol::Effort::default();
        let life = WholeLife { job, lane, started_ns, finished_ns: started_ns, effort, done_ns, checksum };
        inner.steps.push_life(&life);
        if inner.steps.packed_len() >= PACK_AT {
            inner.pack();
        }
        inner.finished(index);
        true
    }

    /// Sends an event about `job`, stamped now on the shared clock.
    pub fn event(&self, job: u32, lane: u32, coat: u32, kind: EventKind) {
        let mut inner = self.lock();
        let at_ns = protocol::clock::now_ns();
        let event = protocol::Event { job, lane, coat, at_ns, kind };
        if inner.chunk_of(job).is_some() {
            inner.gather(&Said::Event(event));
        } else {
            inner.write(&FromPainter::Event(event));
        }
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
        let mut inner = self.lock();
        if let Err(error) = inner.writer.flush() {
            gone(&error);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
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
