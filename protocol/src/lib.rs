//! The language atelier's processes speak over their pipes.
//!
//! The coordinator writes to a painter's stdin and reads its stdout; nothing
//! else travels on those two pipes (a painter logs to stderr). Every message
//! is one *frame*: a little-endian `u32` length, then that many bytes of
//! bincode. The layout of this crate follows the layers of that sentence:
//!
//! - [`message`]: what is said — `Hello`, `Job`, timestamped `Event`s, `Goodbye`…
//! - [`codec`]: how a message becomes bytes (bincode, behind this one module);
//! - [`steps`]: the steps of many paintings packed into one message;
//! - [`frame`]: how bytes are cut into frames on a byte stream, blocking
//!   ([`frame::read_frame`]) or async ([`frame::MessageCodec`] for tokio);
//! - [`handshake`]: the first message, and the protocol version check;
//! - [`contract`]: what may be said when: the life of a painting, checked;
//! - [`clock`]: the shared monotonic clock that timestamps events;
//! - [`error`]: everything that can go wrong, one variant per cause.
//!
//! A conversation goes: painter → `Hello`; coordinator → `Calibrate` or
//! `Job`s (or `Chunk`s of many); painter → `Event`s, `JobDone`/`JobFailed`
//! (or, for chunks, `Steps` packing many of them); coordinator →
//! `Shutdown`; painter → `Goodbye`, and exits.

pub mod clock;
pub mod codec;
pub mod contract;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod message;
pub mod steps;

pub use error::Error;
pub use message::{
    Chunk, DryKind, Effort, Event, EventKind, FromPainter, Goodbye, Hello, Job, JobDone, JobFailed, MAX_STATE_SPANS,
    PICTURE_PART, PROTOCOL_VERSION, Picture, Scheduler, StateSource, StateSpan, States, ThreadState, ToPainter,
};
pub use steps::{Said, Steps, Unpacked, WholeLife};
