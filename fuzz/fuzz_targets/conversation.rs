//! The coordinator's side of a conversation: after a valid `Hello` and a
//! few paintings handed out, any bytes as the stream of frames a painter
//! sends, each message that decodes checked against the contract. Whatever
//! the painter says — out of order, about paintings it never had, at any
//! time, of any cost — the check answers, and never panics.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use protocol::contract::{Conversation, StateLines, check_calibrated, check_hello};
use protocol::frame::read_message;
use protocol::{Chunk, FromPainter, Job, Scheduler};

fuzz_target!(|data: &[u8]| {
    let Some((&shape, mut stream)) = data.split_first() else { return };
    let lanes = u32::from(shape % 4) + 1;
    let mut talk = Conversation::new(lanes, 1_000_000);
    let mut lines = StateLines::new(1_000_000);
    // Paintings of every shape: with and without a picture, each wait or
    // none, one to three coats.
    for id in 1..=u32::from(shape / 4 % 8) + 1 {
        talk.handed(&Job {
            id,
            seed: u64::from(id),
            strokes: id % 2,
            coats: id % 3 + 1,
            file_wait: Duration::from_millis(u64::from(id % 2)),
            net_wait: Duration::from_millis(u64::from(id % 4 / 2)),
        });
    }
    // And a chunk, answered in steps.
    let first = Job {
        id: 100,
        seed: 1,
        strokes: u32::from(shape % 2),
        coats: 1,
        file_wait: Duration::ZERO,
        net_wait: Duration::ZERO,
    };
    talk.handed_chunk(&Chunk { first, count: u32::from(shape % 16) + 1 });
    let mut said = Vec::new();
    let mut heard_ns = 2_000_000_u64;
    while let Ok(Some(message)) = read_message::<FromPainter>(&mut stream) {
        heard_ns += 1_000_000;
        let _ = match message {
            FromPainter::Event(event) => talk.event(&event, heard_ns),
            FromPainter::JobDone(done) => talk.done(&done, heard_ns),
            FromPainter::JobFailed(failed) => talk.failed(&failed),
            FromPainter::Steps(steps) => talk.steps(&steps, heard_ns, &mut said),
            FromPainter::States(states) => lines.check(&states, lanes, heard_ns),
            FromPainter::Hello(hello) => check_hello(&hello, 3, Scheduler::Blocking, &[1], lanes),
            FromPainter::Calibrated { stroke_ns, strokes } => {
                check_calibrated(stroke_ns, strokes, Duration::from_millis(240))
            }
            _ => Ok(()),
        };
    }
});
