//! Codec micro-benchmark: how long a message takes to become bytes and back.
//!
//! Run with `cargo bench -p atelier-protocol --bench codec`. For a `Job`
//! (coordinator → painter) and an `Event` (painter → coordinator, the most
//! frequent message), it times `codec::encode` + `codec::decode` (the
//! payload alone) and the framed path the coordinator uses
//! (`MessageCodec` into and out of a `BytesMut`), and prints the median and
//! the fastest of several batches in nanoseconds per message.
//!
//! With `ATELIER_BENCH_OUT=FILE` it also writes its figures there as one
//! flat JSON object, for `scripts/bench.sh`.

// A benchmark's figures are its output: printing them is the point.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use protocol::contract::Conversation;
use protocol::frame::MessageCodec;
use protocol::{Chunk, DryKind, Effort, Event, EventKind, FromPainter, Job, JobDone, Said, Steps, ToPainter, codec};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::codec::{Decoder, Encoder};

/// Batches per measurement; the median of them is reported.
const BATCHES: usize = 15;
/// Messages per batch: enough for a batch to last about a millisecond.
const PER_BATCH: u32 = 5_000;

fn main() {
    let job = ToPainter::Job(Job {
        id: 1234,
        seed: 0x5eed_1234_abcd,
        strokes: 5_577,
        coats: 2,
        file_wait: Duration::from_millis(400),
        net_wait: Duration::from_millis(400),
    });
    let event = FromPainter::Event(Event {
        job: 1234,
        lane: 1,
        coat: 1,
        at_ns: 1_234_567_890_123,
        kind: EventKind::DryFinished(DryKind::Network),
    });

    println!("codec: ns per message, median of {BATCHES} batches of {PER_BATCH} (fastest in brackets)");
    let mut figures = Vec::new();
    for (name, figure) in [
        ("job", payload(&job)),
        ("event", payload(&event)),
        ("job_framed", framed::<ToPainter>(&job)),
        ("event_framed", framed::<FromPainter>(&event)),
    ] {
        println!(
            "  {name:<13} {:>4} bytes  encode+decode {:>7.1} ns  [{:.1}]",
            figure.bytes, figure.median_ns, figure.min_ns
        );
        figures.push((format!("codec.{name}.ns"), figure.median_ns));
        figures.push((format!("codec.{name}.bytes"), figure.bytes as f64));
    }
    let (pack, check) = chunk_of_empty_paintings();
    println!(
        "  a chunk of {CHUNK} empty paintings, per painting: packed, encoded and decoded {pack:.1} ns; checked {check:.1} ns"
    );
    figures.push(("codec.steps_per_painting.ns".into(), pack));
    figures.push(("codec.steps_check_per_painting.ns".into(), check));
    write_json(&figures);
}

/// Paintings in the chunk of [`chunk_of_empty_paintings`].
const CHUNK: u32 = 512;

/// The answer to a chunk of empty paintings: nanoseconds per painting to
/// pack its three steps, encode and decode the message (the painter's and
/// the reader's part), and then to check them against the contract (the
/// dispatcher's part).
fn chunk_of_empty_paintings() -> (f64, f64) {
    let first = Job { id: 1, seed: 1, strokes: 0, coats: 1, file_wait: Duration::ZERO, net_wait: Duration::ZERO };
    let chunk = Chunk { first, count: CHUNK };
    let said: Vec<Said> = (1..=CHUNK)
        .flat_map(|job| {
            let at = 1_000_000 + u64::from(job) * 200;
            let event = |at_ns, kind| Said::Event(Event { job, lane: 0, coat: 0, at_ns, kind });
            [
                event(at, EventKind::PaintStarted),
                event(at + 40, EventKind::PaintFinished(Effort::default())),
                Said::Done(JobDone { job, lane: 0, at_ns: at + 90, checksum: 0xcbf2_9ce4_8422_2325, path: None }),
            ]
        })
        .collect();
    let mut steps = Steps::new();
    let (pack, _) = per_message(|| {
        steps.clear();
        for message in &said {
            steps.push(black_box(message));
        }
        let payload = codec::encode(&FromPainter::Steps(steps.clone())).expect("encodes");
        black_box(codec::decode::<FromPainter>(&payload).expect("decodes"));
    });
    let mut out = Vec::new();
    let (check, _) = per_message(|| {
        let mut talk = Conversation::new(1, 0);
        talk.handed_chunk(&chunk);
        talk.steps(black_box(&steps), u64::MAX / 2, &mut out).expect("in order");
        black_box(&out);
    });
    (pack / f64::from(CHUNK), check / f64::from(CHUNK))
}

/// One measured round trip through a codec.
struct Figure {
    bytes: usize,
    median_ns: f64,
    min_ns: f64,
}

/// `codec::encode` then `codec::decode`: serialisation alone.
fn payload<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(message: &T) -> Figure {
    let bytes = codec::encode(message).expect("encodes").len();
    let (median_ns, min_ns) = per_message(|| {
        let payload = codec::encode(black_box(message)).expect("encodes");
        let back: T = codec::decode(black_box(&payload)).expect("decodes");
        black_box(back);
    });
    Figure { bytes, median_ns, min_ns }
}

/// The coordinator's path: `MessageCodec` encodes into a `BytesMut` (header
/// and payload) and decodes the frame back out of it.
fn framed<T: Serialize + DeserializeOwned + Clone>(message: &T) -> Figure {
    let mut codec = MessageCodec::<T, T>::new();
    let mut buf = BytesMut::with_capacity(256);
    codec.encode(message.clone(), &mut buf).expect("encodes");
    let bytes = buf.len();
    buf.clear();
    let (median_ns, min_ns) = per_message(|| {
        codec.encode(black_box(message.clone()), &mut buf).expect("encodes");
        let back = codec.decode(black_box(&mut buf)).expect("decodes").expect("a whole frame");
        black_box(back);
    });
    Figure { bytes, median_ns, min_ns }
}

/// Runs `once` in batches; returns (median, fastest) nanoseconds per call.
fn per_message(mut once: impl FnMut()) -> (f64, f64) {
    for _ in 0..PER_BATCH {
        once(); // warm up caches and the allocator
    }
    let mut batches: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_BATCH {
                once();
            }
            started.elapsed().as_secs_f64() * 1e9 / f64::from(PER_BATCH)
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    (batches[BATCHES / 2], batches[0])
}

/// Writes the figures as one flat JSON object to `$ATELIER_BENCH_OUT`, if set.
fn write_json(figures: &[(String, f64)]) {
    let Some(path) = std::env::var_os("ATELIER_BENCH_OUT") else { return };
    let body: Vec<String> = figures.iter().map(|(key, value)| format!("  \"{key}\": {value}")).collect();
    std::fs::write(&path, format!("{{\n{}\n}}\n", body.join(",\n"))).expect("writes the figures");
}
