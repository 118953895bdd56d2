//! Everything a painter is told arrives here, from stdin.
//!
//! The thread that will act on a message reads it itself — there is no
//! reader thread to hand it over — and before it would wait for stdin it
//! flushes the [`Outbox`], so that what it has to say is on its way while
//! it waits. Two flavours of the same reader:
//!
//! - [`Inbox`], blocking, for the `blocking` scheduler and the lanes of
//!   `threads` (which share one behind a mutex: whichever lane is free reads
//!   the next message);
//! - [`AsyncInbox`], for the `async` scheduler: stdin as a non-blocking
//!   pipe registered with tokio, so that waiting for a message is one more
//!   thing the runtime waits for alongside the drying timers.
//!
//! When stdin ends, the coordinator is gone — it keeps the pipe open for as
//! long as it wants the painter — so the painter ends too, at once: this is
//! the backstop behind the parent-death signal. Bytes that are not a
//! message end it too. Both exits have a status of their own (see
//! [`crate::process`]).

use std::io::{BufReader, Read};

use bytes::BytesMut;
use protocol::ToPainter;
use protocol::frame::{HEADER_LEN, MessageCodec, read_message};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio_util::codec::Decoder;

use crate::outbox::Outbox;

/// Bytes read from stdin at a time: a burst of a thousand jobs in one `read`.
const BUFFER: usize = 64 * 1024;

/// Messages from the coordinator, read on the calling thread.
#[derive(Debug)]
pub struct Inbox<R> {
    reader: BufReader<R>,
}

impl<R: Read> Inbox<R> {
    /// Reads messages from `reader` (stdin, or a buffer in tests).
    pub fn new(reader: R) -> Self {
        Self { reader: BufReader::with_capacity(BUFFER, reader) }
    }

    /// The next message. If no whole one has arrived yet, flushes `outbox`
    /// first, then blocks until one has. Ends the process if stdin has ended or
    /// carries garbage.
    pub fn recv(&mut self, outbox: &Outbox) -> ToPainter {
        if !holds_a_frame(self.reader.buffer()) {
            outbox.flush();
        }
        match read_message::<ToPainter>(&mut self.reader) {
            Ok(Some(message)) => message,
            Ok(None) => stdin_closed(),
            Err(error) => garbled(&error),
        }
    }
}

/// Messages from the coordinator, read by the async scheduler's runtime.
#[derive(Debug)]
pub struct AsyncInbox {
    pipe: pipe::Receiver,
    buffer: BytesMut,
    codec: MessageCodec<ToPainter, protocol::FromPainter>,
}

impl AsyncInbox {
    /// Registers `stdin` with the current tokio runtime. It must be a pipe,
    /// as the coordinator gives it; it is switched to non-blocking mode.
    ///
    /// # Errors
    /// If `stdin` is not a pipe, or cannot be registered.
    pub fn new(stdin: std::fs::File) -> std::io::Result<Self> {
        Ok(Self {
            pipe: pipe::Receiver::from_file(stdin)?,
            buffer: BytesMut::with_capacity(BUFFER),
            codec: MessageCodec::new(),
        })
    }

    /// A message that has already arrived, without waiting for one.
    pub fn try_recv(&mut self) -> Option<ToPainter> {
        if let Some(message) = self.decode() {
            return Some(message);
        }
        match self.pipe.try_read_buf(&mut self.buffer) {
            Ok(0) => stdin_closed(),
            Ok(_) => self.decode(),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(error) => garbled(&error),
        }
    }

    /// The next message, waiting for it if need be; flushes `outbox` before
    /// waiting. Cancel-safe: a message is never half-taken.
    pub async fn recv(&mut self, outbox: &Outbox) -> ToPainter {
        loop {
            if let Some(message) = self.decode() {
                return message;
            }
            outbox.flush();
            self.buffer.reserve(BUFFER);
            match self.pipe.read_buf(&mut self.buffer).await {
                Ok(0) => stdin_closed(),
                Ok(_) => {}
                Err(error) => garbled(&error),
            }
        }
    }

    fn decode(&mut self) -> Option<ToPainter> {
        self.codec.decode(&mut self.buffer).unwrap_or_else(|error| garbled(&error))
    }
}

/// Whether `buffer` starts with a whole frame, which can be read without
/// waiting for the pipe.
fn holds_a_frame(buffer: &[u8]) -> bool {
    let Some(header) = buffer.first_chunk::<HEADER_LEN>() else { return false };
    buffer.len() - HEADER_LEN >= u32::from_le_bytes(*header) as usize
}

fn stdin_closed() -> ! {
    tracing::warn!("stdin closed: the coordinator is gone; stopping");
    std::process::exit(crate::process::EXIT_STDIN_CLOSED);
}

fn garbled(error: &dyn std::fmt::Display) -> ! {
    tracing::error!(error = %error, "unreadable message from the coordinator; stopping");
    std::process::exit(crate::process::EXIT_GARBLED_INPUT);
}

#[cfg(test)]
mod tests {
    use super::holds_a_frame;

    #[test]
    fn a_frame_is_whole_once_its_header_and_payload_are_there() {
        assert!(!holds_a_frame(&[]));
        assert!(!holds_a_frame(&[3, 0, 0]));
        assert!(!holds_a_frame(&[3, 0, 0, 0, 1, 2]));
        assert!(holds_a_frame(&[3, 0, 0, 0, 1, 2, 3]));
        assert!(holds_a_frame(&[0, 0, 0, 0]));
        assert!(holds_a_frame(&[1, 0, 0, 0, 9, 2, 0]));
    }
}
