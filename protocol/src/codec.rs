//! Messages to bytes and back: the one place that knows about bincode.
//!
//! Callers see `encode`/`decode` and [`crate::Error`]; swapping the
//! serialisation format means changing this file only.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::frame::MAX_FRAME_LEN;

/// bincode's standard configuration (little-endian, variable-length
/// integers) with a decode limit: a hostile length inside a message (a
/// `Vec` claiming a billion elements) fails instead of allocating.
fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_little_endian().with_limit::<MAX_FRAME_LEN>()
}

/// Serialises a message into the payload of one frame.
///
/// # Errors
/// [`Error::Encode`] if the message cannot be serialised, and
/// [`Error::FrameTooLarge`] if it would not fit in one frame.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, Error> {
    let bytes = bincode::serde::encode_to_vec(message, config()).map_err(Error::Encode)?;
    if bytes.len() > MAX_FRAME_LEN {
        return Err(Error::FrameTooLarge { len: bytes.len(), max: MAX_FRAME_LEN });
    }
    Ok(bytes)
}

/// Deserialises the payload of one frame, which must hold exactly one message.
///
/// # Errors
/// [`Error::Decode`] if the bytes are not a `T`, [`Error::TrailingBytes`] if
/// they hold more than one.
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, Error> {
    let (message, used) = bincode::serde::decode_from_slice(payload, config()).map_err(Error::Decode)?;
    if used != payload.len() {
        return Err(Error::TrailingBytes(payload.len() - used));
    }
    Ok(message)
}

/// Decodes only the first fields of a payload as `T`, ignoring the rest: how
/// the handshake reads a version number from a `Hello` it cannot fully parse.
pub(crate) fn decode_prefix<T: DeserializeOwned>(payload: &[u8]) -> Option<T> {
    bincode::serde::decode_from_slice(payload, config()).ok().map(|(value, _)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{DryKind, Event, EventKind, FromPainter};

    #[test]
    fn round_trip() {
        let message = FromPainter::Event(Event {
            job: 3,
            lane: 1,
            coat: 0,
            at_ns: 123_456_789,
            kind: EventKind::DryStarted(DryKind::Network),
        });
        let bytes = encode(&message).expect("encodes");
        assert_eq!(decode::<FromPainter>(&bytes).expect("decodes"), message);
    }

    #[test]
    fn the_most_state_spans_a_message_holds_fit_in_a_frame() {
        use crate::message::{MAX_STATE_SPANS, StateSource, StateSpan, States, ThreadState};
        let span = StateSpan { state: ThreadState::Waiting, start_ns: u64::MAX - 1, end_ns: u64::MAX, core: u32::MAX };
        let states = States {
            lane: u32::MAX,
            source: StateSource::SelfMeasured,
            resolution_ns: u64::MAX,
            spans: vec![span; MAX_STATE_SPANS],
        };
        assert!(encode(&FromPainter::States(states)).is_ok(), "{MAX_STATE_SPANS} spans do not fit in a frame");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = decode::<FromPainter>(&[0xff, 0xfe, 0x00, 0x17, 0x42]).expect_err("garbage");
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut bytes = encode(&crate::ToPainter::Shutdown).expect("encodes");
        bytes.push(0);
        assert!(matches!(decode::<crate::ToPainter>(&bytes), Err(Error::TrailingBytes(1))));
    }

    #[test]
    fn a_huge_inner_length_does_not_allocate() {
        // `Calibrated` is fine, but a `Hello` whose `cores` vector claims
        // 2^62 elements must fail on the limit, not try to reserve them.
        let mut bytes = vec![0u8, 1, 2, 3]; // Hello, version 1, pid 2, painter 3
        bytes.push(253); // varint marker: a u64 follows
        bytes.extend_from_slice(&(1u64 << 62).to_le_bytes());
        assert!(matches!(decode::<FromPainter>(&bytes), Err(Error::Decode(_))));
    }
}
