//! The first message: who the painter is, and which protocol it speaks.
//!
//! The coordinator reads the first frame *raw* and only then decodes it, so
//! that a painter of another version gets a clear "version 2 vs 1" instead of
//! an opaque decode error: the version sits in the first bytes of every
//! `Hello`, whatever follows it.

use crate::message::{FromPainter, Hello, PROTOCOL_VERSION, Scheduler};

/// The environment variable in which the coordinator tells a painter its
/// own pid, so that the painter can check, once it has asked to die with its
/// parent, that the parent it has is still that coordinator.
pub const COORDINATOR_PID_ENV: &str = "ATELIER_COORDINATOR_PID";
use crate::{Error, codec};

/// The `Hello` this process should send.
#[must_use]
pub fn hello(painter_id: u32, cores: Vec<u32>, lanes: u32, scheduler: Scheduler) -> FromPainter {
    FromPainter::Hello(Hello {
        protocol_version: PROTOCOL_VERSION,
        pid: std::process::id(),
        painter_id,
        cores,
        lanes,
        scheduler,
        host: host_name(),
    })
}

/// This machine's name as its own kernel knows it (`uname -n`, which a UTS
/// namespace can set); empty if it cannot be read.
#[must_use]
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|name| name.trim().to_owned()).unwrap_or_default()
}

/// Checks the payload of a painter's first frame.
///
/// # Errors
/// [`Error::VersionMismatch`] naming both versions when the painter speaks
/// another protocol (even one whose `Hello` looks different),
/// [`Error::Unexpected`] when the first message is not a `Hello`, and
/// [`Error::Decode`] for bytes that are no message at all.
pub fn accept(first_frame: &[u8]) -> Result<Hello, Error> {
    match codec::decode::<FromPainter>(first_frame) {
        Ok(FromPainter::Hello(hello)) if hello.protocol_version == PROTOCOL_VERSION => Ok(hello),
        Ok(FromPainter::Hello(hello)) => {
            Err(Error::VersionMismatch { ours: PROTOCOL_VERSION, theirs: hello.protocol_version })
        }
        Ok(other) => Err(Error::Unexpected { expected: "Hello", got: other.name() }),
        Err(decode_error) => match peek_version(first_frame) {
            Some(theirs) if theirs != PROTOCOL_VERSION => {
                Err(Error::VersionMismatch { ours: PROTOCOL_VERSION, theirs })
            }
            _ => Err(decode_error),
        },
    }
}

/// The protocol version in a frame that starts like a `Hello` (variant 0,
/// then the version), if it does.
fn peek_version(frame: &[u8]) -> Option<u32> {
    match codec::decode_prefix::<(u32, u32)>(frame)? {
        (0, version) => Some(version),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToPainter;

    #[test]
    fn accepts_our_version() {
        let bytes = codec::encode(&hello(2, vec![1], 1, Scheduler::Async)).expect("encodes");
        let got = accept(&bytes).expect("accepted");
        assert_eq!((got.painter_id, got.cores, got.scheduler), (2, vec![1], Scheduler::Async));
    }

    #[test]
    fn names_both_versions() {
        let mut message = hello(0, vec![], 1, Scheduler::Blocking);
        if let FromPainter::Hello(h) = &mut message {
            h.protocol_version = PROTOCOL_VERSION + 1;
        }
        let err = accept(&codec::encode(&message).expect("encodes")).expect_err("mismatch");
        let text = err.to_string();
        assert!(matches!(err, Error::VersionMismatch { theirs, .. } if theirs == PROTOCOL_VERSION + 1));
        assert!(text.contains(&PROTOCOL_VERSION.to_string()) && text.contains(&(PROTOCOL_VERSION + 1).to_string()));
    }

    #[test]
    fn a_future_hello_of_another_shape_still_names_its_version() {
        // Variant 0, the next version, then fields this version cannot parse.
        let future = PROTOCOL_VERSION + 1;
        let bytes = codec::encode(&(0u32, future, "a field from the future")).expect("encodes");
        assert!(matches!(accept(&bytes), Err(Error::VersionMismatch { theirs, .. }) if theirs == future));
    }

    #[test]
    fn refuses_another_first_message() {
        let bytes = codec::encode(&FromPainter::Calibrated { stroke_ns: 1.0, strokes: 1 }).expect("encodes");
        assert!(matches!(accept(&bytes), Err(Error::Unexpected { expected: "Hello", got: "Calibrated" })));
        // Bytes of the other direction are not a Hello either.
        let bytes = codec::encode(&ToPainter::Shutdown).expect("encodes");
        assert!(accept(&bytes).is_err());
    }
}
