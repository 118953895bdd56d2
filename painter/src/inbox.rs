//! Everything a painter is told arrives here, from stdin, on one thread.
//!
//! The reader thread decodes frames and forwards them to a tokio channel,
//! which both the blocking schedulers (`blocking_recv`) and the async one
//! (`recv().await`) can wait on. When stdin ends, the coordinator is gone —
//! it keeps the pipe open for as long as it wants the painter — so the
//! painter ends too: this is the backstop behind the parent-death signal.

use std::io::Read;
use std::thread;

use protocol::ToPainter;
use protocol::frame::read_message;
use tokio::sync::mpsc;

/// Messages from the coordinator, in order.
pub type Inbox = mpsc::UnboundedReceiver<ToPainter>;

/// Starts the reader thread on `reader` (stdin, or a buffer in tests).
///
/// # Errors
/// If the thread cannot be started.
pub fn spawn(mut reader: impl Read + Send + 'static) -> std::io::Result<Inbox> {
    let (tx, rx) = mpsc::unbounded_channel();
    thread::Builder::new().name("inbox".into()).spawn(move || {
        loop {
            match read_message::<ToPainter>(&mut reader) {
                Ok(Some(message)) => {
                    if tx.send(message).is_err() {
                        return; // the painter is finishing; nobody listens
                    }
                }
                Ok(None) => {
                    tracing::warn!("stdin closed: the coordinator is gone; stopping");
                    std::process::exit(crate::process::EXIT_STDIN_CLOSED);
                }
                Err(error) => {
                    tracing::error!(error = %error, "unreadable message from the coordinator; stopping");
                    std::process::exit(crate::process::EXIT_GARBLED_INPUT);
                }
            }
        }
    })?;
    Ok(rx)
}
