//! Cutting a byte stream into frames: a little-endian `u32` length, then
//! that many bytes.
//!
//! A pipe is a stream of bytes with no boundaries; the length prefix puts
//! them back. Two rules make it safe against a peer that misbehaves:
//!
//! - a length over [`MAX_FRAME_LEN`] is an error *before* anything is
//!   allocated, so a forged prefix cannot make us reserve gigabytes;
//! - end of stream *between* frames is a clean end (`Ok(None)`), end of
//!   stream *inside* one is [`Error::Truncated`].
//!
//! The blocking functions serve the painter, which reads its stdin on a
//! plain thread; [`MessageCodec`] serves the coordinator's tokio tasks and
//! plugs into tokio-util's `FramedRead`/`FramedWrite`.

use std::io::{ErrorKind, Read, Write};
use std::marker::PhantomData;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::codec::{Decoder, Encoder};

use crate::{Error, codec};

/// The largest frame either side accepts. Every message of this protocol is
/// far smaller; the limit exists to refuse garbage.
pub const MAX_FRAME_LEN: usize = 64 * 1024;

/// Bytes in the length prefix.
pub const HEADER_LEN: usize = 4;

/// Reads one frame's payload, blocking.
///
/// Returns `Ok(None)` when the stream ends cleanly between frames.
///
/// # Errors
/// [`Error::Truncated`] when the stream ends inside a frame,
/// [`Error::FrameTooLarge`] for a length over the limit, [`Error::Io`] when
/// reading fails.
pub fn read_frame(reader: &mut impl Read) -> Result<Option<Vec<u8>>, Error> {
    let mut header = [0u8; HEADER_LEN];
    match read_full(reader, &mut header)? {
        0 => return Ok(None),
        HEADER_LEN => {}
        got => {
            return Err(Error::Truncated { got, expected: HEADER_LEN });
        }
    }
    let len = checked_len(header)?;
    let mut payload = vec![0u8; len];
    let got = read_full(reader, &mut payload)?;
    if got < len {
        return Err(Error::Truncated { got: HEADER_LEN + got, expected: HEADER_LEN + len });
    }
    Ok(Some(payload))
}

/// Writes one frame, blocking. The caller decides when to flush, so that
/// several frames can share one `write` system call.
///
/// # Errors
/// [`Error::FrameTooLarge`] for a payload over the limit, [`Error::Io`] when
/// writing fails.
pub fn write_frame(writer: &mut impl Write, payload: &[u8]) -> Result<(), Error> {
    let len = payload_len(payload)?;
    writer.write_all(&len.to_le_bytes())?;
    writer.write_all(payload)?;
    Ok(())
}

/// Reads and decodes one message, blocking; `Ok(None)` at a clean end.
///
/// # Errors
/// As [`read_frame`] and [`codec::decode`].
pub fn read_message<T: DeserializeOwned>(reader: &mut impl Read) -> Result<Option<T>, Error> {
    read_frame(reader)?.map(|payload| codec::decode(&payload)).transpose()
}

/// Encodes and writes one message, blocking (not flushed).
///
/// # Errors
/// As [`codec::encode`] and [`write_frame`].
pub fn write_message<T: Serialize>(writer: &mut impl Write, message: &T) -> Result<(), Error> {
    write_frame(writer, &codec::encode(message)?)
}

/// The header for a payload, if it is within the limit.
fn payload_len(payload: &[u8]) -> Result<u32, Error> {
    u32::try_from(payload.len())
        .ok()
        .filter(|&len| len as usize <= MAX_FRAME_LEN)
        .ok_or(Error::FrameTooLarge { len: payload.len(), max: MAX_FRAME_LEN })
}

/// The payload length a header announces, if it is within the limit.
fn checked_len(header: [u8; HEADER_LEN]) -> Result<usize, Error> {
    let len = u32::from_le_bytes(header) as usize;
    if len > MAX_FRAME_LEN {
        return Err(Error::FrameTooLarge { len, max: MAX_FRAME_LEN });
    }
    Ok(len)
}

/// Fills `buf` as far as the stream allows; returns how many bytes arrived
/// (fewer than `buf.len()` only at end of stream).
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, Error> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// Frames without meaning: the payload bytes of each frame, for tokio's
/// `FramedRead`/`FramedWrite`. Used on its own for the handshake, whose
/// first frame is inspected before it is trusted (see [`crate::handshake`]).
///
/// tokio-util's `LengthDelimitedCodec` would cut these frames too, but it
/// consumes a header before its payload has arrived, and so cannot tell at
/// end of stream how much of a frame was lost. This codec leaves a frame in
/// the buffer until all of it is there, which makes that report exact.
#[derive(Debug, Default)]
pub struct FrameCodec {
    _private: (),
}

impl FrameCodec {
    /// A codec with this protocol's header and limit.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole length (header included) of the frame that starts `src`,
    /// once its header has arrived.
    fn frame_len(src: &BytesMut) -> Result<Option<usize>, Error> {
        let Some(header) = src.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let mut bytes = [0u8; HEADER_LEN];
        bytes.copy_from_slice(header);
        Ok(Some(HEADER_LEN + checked_len(bytes)?))
    }
}

impl Decoder for FrameCodec {
    type Item = BytesMut;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, Error> {
        let Some(len) = Self::frame_len(src)? else {
            return Ok(None);
        };
        if src.len() < len {
            // Reserving is safe: `len` has passed the limit check.
            src.reserve(len - src.len());
            return Ok(None);
        }
        let mut frame = src.split_to(len);
        frame.advance(HEADER_LEN);
        Ok(Some(frame))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, Error> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let expected = Self::frame_len(src)?.unwrap_or(HEADER_LEN);
        Err(Error::Truncated { got: src.len(), expected })
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        let len = payload_len(&payload)?;
        dst.reserve(HEADER_LEN + payload.len());
        dst.put_u32_le(len);
        dst.put_slice(&payload);
        Ok(())
    }
}

/// Typed frames for tokio: decodes `In` messages, encodes `Out` messages.
///
/// The coordinator reads a painter's stdout with
/// `FramedRead<_, MessageCodec<FromPainter, ToPainter>>` and writes its stdin
/// with the same codec, so a message in the wrong direction does not compile.
#[derive(Debug)]
pub struct MessageCodec<In, Out> {
    frames: FrameCodec,
    types: PhantomData<fn(Out) -> In>,
}

impl<In, Out> MessageCodec<In, Out> {
    /// A typed codec over this protocol's frames.
    #[must_use]
    pub fn new() -> Self {
        Self { frames: FrameCodec::new(), types: PhantomData }
    }
}

impl<In, Out> Default for MessageCodec<In, Out> {
    fn default() -> Self {
        Self::new()
    }
}

impl<In: DeserializeOwned, Out> Decoder for MessageCodec<In, Out> {
    type Item = In;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<In>, Error> {
        self.frames.decode(src)?.map(|payload| codec::decode(&payload)).transpose()
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<In>, Error> {
        self.frames.decode_eof(src)?.map(|payload| codec::decode(&payload)).transpose()
    }
}

impl<In, Out: Serialize> Encoder<Out> for MessageCodec<In, Out> {
    type Error = Error;

    fn encode(&mut self, message: Out, dst: &mut BytesMut) -> Result<(), Error> {
        self.frames.encode(Bytes::from(codec::encode(&message)?), dst)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::message::{FromPainter, Goodbye, ToPainter};

    fn framed(messages: &[FromPainter]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for message in messages {
            write_message(&mut bytes, message).expect("writes");
        }
        bytes
    }

    fn goodbye() -> FromPainter {
        FromPainter::Goodbye(Goodbye { user_ns: 1, sys_ns: 2, max_rss_kib: 3 })
    }

    #[test]
    fn round_trip_then_clean_end() {
        let messages = [FromPainter::Calibrated { stroke_ns: 12.5, strokes: 800 }, goodbye()];
        let mut reader = Cursor::new(framed(&messages));
        for expected in &messages {
            let got: FromPainter = read_message(&mut reader).expect("reads").expect("a message");
            assert_eq!(&got, expected);
        }
        assert!(read_message::<FromPainter>(&mut reader).expect("clean end").is_none());
    }

    #[test]
    fn end_inside_the_header_is_truncated() {
        let mut reader = Cursor::new(vec![5u8, 0]);
        let err = read_frame(&mut reader).expect_err("cut header");
        assert!(matches!(err, Error::Truncated { got: 2, expected: 4 }), "{err:?}");
    }

    #[test]
    fn end_inside_the_payload_is_truncated() {
        let mut bytes = framed(&[goodbye()]);
        let full = bytes.len();
        bytes.truncate(full - 1);
        let err = read_frame(&mut Cursor::new(bytes)).expect_err("cut payload");
        assert!(matches!(err, Error::Truncated { got, expected } if got == full - 1 && expected == full), "{err:?}");
    }

    #[test]
    fn oversized_length_is_refused_before_allocation() {
        // Only the header exists: had the reader gone on to allocate and read
        // a payload, the error would be `Truncated`, not `FrameTooLarge`.
        let mut reader = Cursor::new(u32::MAX.to_le_bytes());
        let err = read_frame(&mut reader).expect_err("too large");
        assert!(matches!(err, Error::FrameTooLarge { len, max: MAX_FRAME_LEN } if len == u32::MAX as usize));
    }

    #[test]
    fn oversized_payload_is_not_written() {
        let mut sink = Vec::new();
        let err = write_frame(&mut sink, &vec![0u8; MAX_FRAME_LEN + 1]).expect_err("too large");
        assert!(matches!(err, Error::FrameTooLarge { .. }));
        assert!(sink.is_empty());
    }

    #[test]
    fn garbage_payload_is_a_decode_error() {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &[0xde, 0xad, 0xbe, 0xef]).expect("writes");
        let err = read_message::<FromPainter>(&mut Cursor::new(bytes)).expect_err("garbage");
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
    }

    #[test]
    fn async_codec_round_trip_and_eof() {
        let mut codec = MessageCodec::<ToPainter, ToPainter>::new();
        let mut buf = BytesMut::new();
        codec.encode(ToPainter::Shutdown, &mut buf).expect("encodes");
        codec.encode(ToPainter::Shutdown, &mut buf).expect("encodes");
        let whole = buf.len();
        buf.truncate(whole - 1);
        assert_eq!(codec.decode(&mut buf).expect("decodes"), Some(ToPainter::Shutdown));
        // The second frame lacks its last byte: more may come...
        assert_eq!(codec.decode(&mut buf).expect("waits"), None);
        // ...unless the stream has ended.
        let err = codec.decode_eof(&mut buf).expect_err("truncated");
        assert!(matches!(err, Error::Truncated { .. }), "{err:?}");
        assert_eq!(codec.decode_eof(&mut BytesMut::new()).expect("clean"), None);
    }

    #[test]
    fn async_codec_refuses_oversized_length() {
        let mut codec = MessageCodec::<FromPainter, ToPainter>::new();
        let mut buf = BytesMut::from(&u32::MAX.to_le_bytes()[..]);
        let err = codec.decode(&mut buf).expect_err("too large");
        assert!(matches!(err, Error::FrameTooLarge { .. }), "{err:?}");
        assert!(buf.capacity() < MAX_FRAME_LEN, "nothing was reserved for the payload");
    }
}
