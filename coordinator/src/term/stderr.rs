//! The coordinator's stderr, written by a thread of its own.
//!
//! Logs, painters' forwarded lines and error lines all go to stderr, and
//! stderr may be anything: a terminal, a pipe into `head -1` that has gone
//! (a broken pipe), a pipe nobody reads (full, so a write blocks). None of
//! that may stop or kill a run. So nothing writes to fd 2 but one thread:
//! the rest hand it lines through a bounded queue and never wait. A line
//! that finds the queue full is dropped (and counted); once a write fails,
//! the thread stops writing and drops whatever follows.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Lines waiting for the writer, at most.
const QUEUE: usize = 4096;

enum Piece {
    Bytes(Vec<u8>),
    /// Answered once everything queued before it is written (or dropped).
    Flush(mpsc::Sender<()>),
}

static QUEUED: OnceLock<Mutex<SyncSender<Piece>>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How a piece reaches fd 2: written whole, and flushed. The live display
/// hands its own ([`crate::progress`] lifts itself off the terminal around
/// each piece), so that this module needs to know nothing of it.
pub type Writer = fn(&[u8]) -> std::io::Result<()>;

/// Starts the writer thread, which writes each piece with `writer`. Until
/// it runs, and if it cannot be started, lines are written directly, errors
/// ignored.
pub fn install(writer: Writer) {
    let (tx, rx) = mpsc::sync_channel::<Piece>(QUEUE);
    let started = std::thread::Builder::new().name("stderr".into()).spawn(move || {
        let mut broken = false;
        for piece in rx {
            match piece {
                Piece::Bytes(bytes) if !broken => {
                    // stderr is locked for one piece at a time, not for good:
                    // clap and a panic write to it through std too.
                    broken = writer(&bytes).is_err();
                }
                Piece::Bytes(_) => {}
                Piece::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    });
    if started.is_ok() {
        let _ = QUEUED.set(Mutex::new(tx));
    }
}

/// Queues `bytes` for stderr without waiting.
pub fn write(bytes: Vec<u8>) {
    let Some(queue) = QUEUED.get() else {
        let _ = std::io::stderr().write_all(&bytes);
        return;
    };
    let sent = queue.lock().map(|tx| tx.try_send(Piece::Bytes(bytes)));
    if matches!(sent, Ok(Err(TrySendError::Full(_)))) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Queues one line (a newline is added).
pub fn line(text: impl std::fmt::Display) {
    write(format!("{text}\n").into_bytes());
}

/// How many lines found the queue full and were dropped.
#[must_use]
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Waits up to `limit` for what was queued to be written: before the
/// process exits. A stderr that blocks longer loses the rest.
pub fn flush(limit: Duration) {
    let Some(queue) = QUEUED.get() else { return };
    let (tx, rx) = mpsc::channel();
    // The queue may be full: wait for room, but no longer than `limit`.
    let deadline = std::time::Instant::now() + limit;
    let mut piece = Piece::Flush(tx);
    loop {
        match queue.lock().map(|q| q.try_send(piece)) {
            Ok(Ok(())) => break,
            Ok(Err(TrySendError::Full(back))) if std::time::Instant::now() < deadline => {
                piece = back;
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => return,
        }
    }
    let _ = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()));
}

/// A `tracing` writer that queues each log line here.
#[derive(Debug, Default)]
pub struct Logs;

/// One log line being formatted.
#[derive(Debug, Default)]
pub struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            write(std::mem::take(&mut self.0));
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine::default()
    }
}
