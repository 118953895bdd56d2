//! Any bytes, read as a stream of frames, by every reader the processes use.
//!
//! The first byte chooses how the stream arrives at the tokio codecs (all at
//! once, or in chunks of that many bytes, as a pipe may cut it); the rest is
//! the stream. Each reader must end cleanly or with an error, never panic,
//! and never hold more than one frame's worth of buffer beyond its input.

#![no_main]

use std::io::Cursor;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use protocol::frame::{self, FrameCodec, HEADER_LEN, MAX_FRAME_LEN, MessageCodec};
use protocol::{FromPainter, ToPainter};
use serde::de::DeserializeOwned;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    blocking::<FromPainter>(stream);
    blocking::<ToPainter>(stream);
    tokio::<FromPainter>(stream, usize::from(chunk));
    tokio::<ToPainter>(stream, usize::from(chunk));
    raw_frames(stream, usize::from(chunk));
});

/// The painter's (and the handshake's) blocking reader.
fn blocking<T: DeserializeOwned>(stream: &[u8]) {
    let mut reader = Cursor::new(stream);
    while let Ok(Some(_)) = frame::read_message::<T>(&mut reader) {}
    let mut reader = Cursor::new(stream);
    while let Ok(Some(payload)) = frame::read_frame(&mut reader) {
        assert!(payload.len() <= MAX_FRAME_LEN, "a frame of {} bytes was accepted", payload.len());
    }
}

/// The coordinator's typed codec, fed `chunk` bytes at a time (0: all at
/// once), then told that the stream has ended.
fn tokio<T: DeserializeOwned>(stream: &[u8], chunk: usize) {
    let mut codec = MessageCodec::<T, T>::new();
    let mut buf = BytesMut::new();
    let step = if chunk == 0 { stream.len().max(1) } else { chunk };
    for piece in stream.chunks(step) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(_) => return,
            }
        }
        check_capacity(&buf, step);
    }
    while let Ok(Some(_)) = codec.decode_eof(&mut buf) {}
}

/// The untyped codec the handshake reads its first frame with.
fn raw_frames(stream: &[u8], chunk: usize) {
    let mut codec = FrameCodec::new();
    let mut buf = BytesMut::new();
    let step = if chunk == 0 { stream.len().max(1) } else { chunk };
    for piece in stream.chunks(step) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(payload)) => {
                    assert!(payload.len() <= MAX_FRAME_LEN);
                    let _ = protocol::handshake::accept(&payload);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        check_capacity(&buf, step);
    }
    let _ = codec.decode_eof(&mut buf);
}

/// A decoder may reserve room for the frame it is waiting for, which the
/// limit keeps under one frame; growth is at most doubling.
fn check_capacity(buf: &BytesMut, step: usize) {
    let bound = 2 * (HEADER_LEN + MAX_FRAME_LEN + step);
    assert!(buf.capacity() <= bound, "buffer of {} bytes after chunks of {step}", buf.capacity());
}
