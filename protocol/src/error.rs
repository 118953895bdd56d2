//! Everything that can go wrong between two ends of a pipe.

use std::io;

/// An error reading, writing or understanding a message.
///
/// Each variant is a cause a caller may want to treat on its own: a peer that
/// hung up mid-frame ([`Error::Truncated`]) is not the same
/// trouble as a peer that speaks nonsense ([`Error::FrameTooLarge`],
/// [`Error::Decode`]) or another version ([`Error::VersionMismatch`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the pipe failed.
    #[error("pipe i/o failed")]
    Io(#[from] io::Error),
    /// The peer closed its end in the middle of a frame.
    #[error("the pipe closed inside a frame: {got} of {expected} bytes arrived")]
    Truncated {
        /// Bytes of the frame (header included) that arrived.
        got: usize,
        /// Bytes the frame should have had (header included; only the header's
        /// 4 when the header itself was cut short).
        expected: usize,
    },
    /// A length prefix over the limit: refused before allocating anything.
    #[error("frame of {len} bytes is over the limit of {max} bytes")]
    FrameTooLarge {
        /// The length the prefix claimed.
        len: usize,
        /// The most this protocol accepts.
        max: usize,
    },
    /// The bytes of a frame are not a message.
    #[error("frame does not decode as a message")]
    Decode(#[source] bincode::error::DecodeError),
    /// A message decoded but did not use the whole frame.
    #[error("frame has {0} bytes left over after its message")]
    TrailingBytes(usize),
    /// A message could not be encoded (it would not fit in a frame).
    #[error("message does not encode")]
    Encode(#[source] bincode::error::EncodeError),
    /// The peer speaks another version of the protocol.
    #[error("protocol version mismatch: this side speaks version {ours}, the other side version {theirs}")]
    VersionMismatch {
        /// [`crate::PROTOCOL_VERSION`].
        ours: u32,
        /// What the peer said.
        theirs: u32,
    },
    /// A well-formed message that has no place at this point of the conversation.
    #[error("expected {expected}, got {got}")]
    Unexpected {
        /// What the conversation called for.
        expected: &'static str,
        /// What arrived.
        got: &'static str,
    },
}
