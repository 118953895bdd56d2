//! The painter binary against the floors it cannot beat, measured side by
//! side in one process so that both see the same machine at the same time.
//!
//! Run with `cargo bench -p atelier-painter --bench pipe`. Four figures:
//!
//! - **start-up**: spawn → `Hello` of a real painter, next to spawn → exit
//!   of `/bin/true` (the floor: one `fork`/`exec`/`wait`);
//! - **round trip**: an empty job (0 strokes, 0 waits) → its first event,
//!   next to a 16-byte ping-pong through `cat` over the same kind of pipes.
//!   The two alternate in blocks, so a noisy neighbour hurts both alike;
//! - **throughput**: N empty jobs written to 2 painters without waiting,
//!   read until N `JobDone`s, next to N 16-byte frames pipelined through
//!   `cat` (what the pipes alone can carry);
//! - **per-painting cost**: what a painting costs a painter besides its
//!   strokes — a new canvas, then the RGB picture, its checksum and its
//!   PNG — timed in-process. An empty job costs none of it.
//!
//! Painters here run unpinned. With `ATELIER_BENCH_OUT=FILE` the figures
//! are also written there as one flat JSON object, for `scripts/bench.sh`;
//! `ATELIER_BENCH_JOBS=N` sets the throughput job count (20000).

// A benchmark's figures are its output: printing them is the point.
#![allow(clippy::print_stdout)]

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use painter::canvas::{Canvas, fnv1a};
use protocol::frame::{read_message, write_message};
use protocol::{FromPainter, Job, ToPainter};

/// Bytes in one ping of the raw ping-pong.
const PING: usize = 16;

fn main() {
    let out = std::env::temp_dir().join(format!("atelier-bench-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("a scratch folder");
    let jobs = std::env::var("ATELIER_BENCH_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);

    let mut figures = Figures::default();
    startup(&out, &mut figures);
    round_trip(&out, &mut figures);
    throughput(&out, jobs, &mut figures);
    per_job_cost(&out, &mut figures);

    let _ = std::fs::remove_dir_all(&out);
    figures.write_json();
}

/// Spawn → `Hello` of a painter, next to spawn → exit of `/bin/true`.
fn startup(out: &Path, figures: &mut Figures) {
    const ROUNDS: usize = 30;
    let (mut painter, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut child = Painter::start(out, None);
        assert!(matches!(child.recv(), FromPainter::Hello(_)), "a painter's first word is Hello");
        painter.push(started.elapsed());
        child.shutdown();

        let started = Instant::now();
        let status = Command::new("/bin/true").status().expect("/bin/true runs");
        floor.push(started.elapsed());
        assert!(status.success());
    }
    println!("start-up, median of {ROUNDS} (p99):");
    figures.times("startup.painter_hello", "painter spawn → Hello", &mut painter);
    figures.times("startup.true_spawn_wait", "/bin/true spawn → exit", &mut floor);
}

/// Empty job → first event, next to a 16-byte ping-pong through `cat`.
fn round_trip(out: &Path, figures: &mut Figures) {
    const BLOCKS: usize = 10;
    const PER_BLOCK: usize = 200;
    let mut painter = Painter::start(out, None);
    assert!(matches!(painter.recv(), FromPainter::Hello(_)));
    let mut cat = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("cat runs");
    let (mut cat_in, mut cat_out) = (cat.stdin.take().expect("stdin"), cat.stdout.take().expect("stdout"));

    let (mut job_rtt, mut ping_rtt) = (Vec::new(), Vec::new());
    let mut ping = [0u8; PING];
    for block in 0..BLOCKS {
        for _ in 0..PER_BLOCK {
            // The same id every time: the painter overwrites one PNG.
            let started = Instant::now();
            painter.send(&ToPainter::Job(empty_job(1)));
            let first = painter.recv();
            job_rtt.push(started.elapsed());
            assert!(matches!(first, FromPainter::Event(_)), "an empty job's first word is an event: {first:?}");
            painter.recv_until_done(1);
        }
        for i in 0..PER_BLOCK {
            ping[0] = u8::try_from((block * PER_BLOCK + i) % 251).unwrap_or(0);
            let started = Instant::now();
            cat_in.write_all(&ping).expect("cat reads");
            let mut pong = [0u8; PING];
            cat_out.read_exact(&mut pong).expect("cat answers");
            ping_rtt.push(started.elapsed());
            assert_eq!(pong, ping);
        }
    }
    painter.shutdown();
    drop(cat_in);
    let _ = cat.wait();
    println!("round trip, {} each in {BLOCKS} alternating blocks, median (p99):", BLOCKS * PER_BLOCK);
    figures.times("roundtrip.painter_job_first_event", "painter: empty Job → first Event", &mut job_rtt);
    figures.times("roundtrip.cat_pingpong_16b", "cat: 16-byte ping → pong", &mut ping_rtt);
}

/// `jobs` empty jobs through 2 painters without waiting; then as many
/// 16-byte frames through `cat`.
fn throughput(out: &Path, jobs: u32, figures: &mut Figures) {
    let started = Instant::now();
    let lanes: Vec<_> = (0..2u32)
        .map(|lane| {
            let mut painter = Painter::start(out, Some(lane));
            assert!(matches!(painter.recv(), FromPainter::Hello(_)));
            let Painter { child, stdin, stdout } = painter;
            let writer = std::thread::spawn(move || {
                let mut stdin = BufWriter::new(stdin);
                for id in (lane..jobs).step_by(2) {
                    write_message(&mut stdin, &ToPainter::Job(empty_job(id))).expect("the painter reads");
                }
                stdin.flush().expect("the painter reads");
                stdin.into_inner().expect("flushed")
            });
            let reader = std::thread::spawn(move || {
                let mut stdout = stdout;
                let mine = (lane..jobs).step_by(2).count();
                let mut done = 0;
                while done < mine {
                    match read_message::<FromPainter>(&mut stdout).expect("a frame").expect("not the end") {
                        FromPainter::JobDone(_) => done += 1,
                        FromPainter::Event(_) | FromPainter::States(_) => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
                stdout
            });
            (child, writer, reader)
        })
        .collect();
    let spawned = started.elapsed();
    for (child, writer, reader) in lanes {
        let stdin = writer.join().expect("writer");
        let stdout = reader.join().expect("reader");
        Painter { child, stdin, stdout }.shutdown();
    }
    let elapsed = started.elapsed() - spawned;
    let rate = f64::from(jobs) / elapsed.as_secs_f64();
    println!("throughput:");
    println!("  {:<36} {rate:>12.0} jobs/s  ({jobs} jobs in {elapsed:.2?})", "2 painters, empty jobs, pipelined");
    figures.push("throughput.painters2_jobs_per_s", rate);

    // The pipes' own ceiling: the same number of 16-byte frames, pipelined.
    let frames = u64::from(jobs) * 50;
    let mut cat = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("cat runs");
    let (cat_in, mut cat_out) = (cat.stdin.take().expect("stdin"), cat.stdout.take().expect("stdout"));
    let started = Instant::now();
    let writer = std::thread::spawn(move || {
        let mut cat_in = BufWriter::new(cat_in);
        for i in 0..frames {
            let mut frame = [0u8; PING];
            frame[..8].copy_from_slice(&i.to_le_bytes());
            cat_in.write_all(&frame).expect("cat reads");
        }
    });
    let mut frame = [0u8; PING];
    let mut reader = BufReader::new(&mut cat_out);
    for i in 0..frames {
        reader.read_exact(&mut frame).expect("cat answers");
        assert_eq!(frame[..8], i.to_le_bytes());
    }
    let elapsed = started.elapsed();
    writer.join().expect("writer");
    let _ = cat.wait();
    #[allow(clippy::cast_precision_loss)] // a few million frames
    let rate = frames as f64 / elapsed.as_secs_f64();
    println!("  {:<36} {rate:>12.0} frames/s ({frames} frames in {elapsed:.2?})", "cat, 16-byte frames, pipelined");
    figures.push("throughput.cat_frames_per_s", rate);
}

/// What a painting costs a painter besides its strokes: a new canvas (its
/// pixel state, and for Julia views every pixel's start), and for a
/// painted picture the RGB picture, its checksum, and the PNG written and
/// renamed into place. An empty job (0 strokes) does none of it.
fn per_job_cost(out: &Path, figures: &mut Figures) {
    const ROUNDS: u32 = 300;
    let mut new = Vec::new();
    for i in 0..ROUNDS {
        let started = Instant::now();
        std::hint::black_box(Canvas::new(u64::from(i) * 31));
        new.push(started.elapsed());
    }
    let mut painted = Canvas::new(7);
    painted.paint(4_000); // about 0.3 s of painting here
    let (mut rgb, mut sum, mut png) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..ROUNDS / 10 {
        let started = Instant::now();
        let picture = painted.rgb();
        rgb.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(fnv1a(&picture));
        sum.push(started.elapsed());
        let started = Instant::now();
        let encoded = painter::save::encode(&picture).expect("encodes");
        painter::save::png(out, i, &encoded).expect("saves");
        png.push(started.elapsed());
    }
    println!("a new canvas, median of {ROUNDS} (p99):");
    figures.times("perjob.canvas_new", "Canvas::new", &mut new);
    println!("delivering a painted picture (4,000 strokes), median of {} (p99):", ROUNDS / 10);
    figures.times("painted.rgb", "Canvas::rgb", &mut rgb);
    figures.times("painted.fnv1a", "fnv1a checksum", &mut sum);
    figures.times("painted.png_save", "PNG encode + write + rename", &mut png);
}

/// A job with nothing to paint and nothing to wait for, in one coat: it
/// makes its events and no canvas or file, as `--paint 0ms --dry 0ms` does.
fn empty_job(id: u32) -> Job {
    Job { id, seed: u64::from(id) * 31, strokes: 0, coats: 1, file_wait: Duration::ZERO, net_wait: Duration::ZERO }
}

/// A painter process on pipes, driven the way the coordinator drives one.
struct Painter {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Painter {
    fn start(out: &Path, id: Option<u32>) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_painter"))
            .args(["--id", &id.unwrap_or(0).to_string(), "--scheduler", "blocking", "--out"])
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the painter starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self { child, stdin, stdout }
    }

    fn send(&mut self, message: &ToPainter) {
        write_message(&mut self.stdin, message).expect("the painter reads");
        self.stdin.flush().expect("the painter reads");
    }

    /// The next message other than `States` (what the painter's threads did).
    fn recv(&mut self) -> FromPainter {
        loop {
            match read_message(&mut self.stdout).expect("a frame").expect("not the end") {
                FromPainter::States(_) => {}
                other => return other,
            }
        }
    }

    fn recv_until_done(&mut self, job: u32) {
        loop {
            match self.recv() {
                FromPainter::JobDone(done) if done.job == job => return,
                FromPainter::Event(_) | FromPainter::States(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn shutdown(mut self) {
        self.send(&ToPainter::Shutdown);
        assert!(matches!(self.recv(), FromPainter::Goodbye(_)), "Shutdown is answered with Goodbye");
        assert!(self.child.wait().expect("reaped").success());
    }
}

/// The figures of one run, printed as they come and kept for the JSON.
#[derive(Default)]
struct Figures(Vec<(String, f64)>);

impl Figures {
    fn push(&mut self, key: &str, value: f64) {
        self.0.push((key.to_owned(), value));
    }

    /// Prints the median and p99 of `samples` in µs, and keeps both.
    fn times(&mut self, key: &str, label: &str, samples: &mut [Duration]) {
        samples.sort_unstable();
        let at = |q: f64| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let index = ((samples.len() - 1) as f64 * q).round() as usize;
            samples[index].as_secs_f64() * 1e6
        };
        let (median, p99) = (at(0.5), at(0.99));
        println!("  {label:<36} {median:>9.1} µs  ({p99:.1})");
        self.push(&format!("{key}.median_us"), median);
        self.push(&format!("{key}.p99_us"), p99);
    }

    /// Writes the figures as one flat JSON object to `$ATELIER_BENCH_OUT`, if set.
    fn write_json(&self) {
        let Some(path) = std::env::var_os("ATELIER_BENCH_OUT").map(PathBuf::from) else { return };
        let body: Vec<String> = self.0.iter().map(|(key, value)| format!("  \"{key}\": {value}")).collect();
        std::fs::write(&path, format!("{{\n{}\n}}\n", body.join(",\n"))).expect("writes the figures");
    }
}
