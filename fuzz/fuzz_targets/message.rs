//! Any bytes, as the payload of one frame: a message of either direction,
//! or a clean error; and what decodes must encode back to an equal message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{FromPainter, ToPainter, codec, handshake};

fuzz_target!(|payload: &[u8]| {
    if let Ok(message) = codec::decode::<ToPainter>(payload) {
        let bytes = codec::encode(&message).expect("a decoded message encodes");
        let again: ToPainter = codec::decode(&bytes).expect("its encoding decodes");
        assert_eq!(again, message);
    }
    if let Ok(message) = codec::decode::<FromPainter>(payload) {
        let bytes = codec::encode(&message).expect("a decoded message encodes");
        let again: FromPainter = codec::decode(&bytes).expect("its encoding decodes");
        // A NaN stroke time is never equal to itself: compare the bytes, which
        // say the same thing bit for bit, and the values where they can.
        assert_eq!(codec::encode(&again).expect("encodes"), bytes);
        if !matches!(message, FromPainter::Calibrated { stroke_ns, .. } if stroke_ns.is_nan()) {
            assert_eq!(again, message);
        }
    }
    let _ = handshake::accept(payload);
});
