//! The painter binary, driven over real pipes the way the coordinator drives
//! it: handshake, calibration, jobs, events, shutdown.

use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use protocol::frame::{read_message, write_message};
use protocol::{EventKind, FromPainter, Job, JobDone, PROTOCOL_VERSION, ToPainter};

struct Painter {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Painter {
    fn start(scheduler: &str, extra: &[&str], out: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_painter"))
            .args(["--id", "7", "--scheduler", scheduler, "--out"])
            .arg(out)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("painter starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self { child, stdin, stdout }
    }

    fn send(&mut self, message: &ToPainter) {
        write_message(&mut self.stdin, message).expect("send");
        self.stdin.flush().expect("flush");
    }

    fn recv(&mut self) -> FromPainter {
        read_message(&mut self.stdout).expect("a readable frame").expect("not the end")
    }

    /// Sends `jobs`, collects messages until each is done, returns
    /// (what was done, by job; every event).
    fn paint(&mut self, jobs: &[Job]) -> (Vec<JobDone>, Vec<protocol::Event>) {
        for job in jobs {
            self.send(&ToPainter::Job(job.clone()));
        }
        let (mut done, mut events) = (Vec::new(), Vec::new());
        while done.len() < jobs.len() {
            match self.recv() {
                FromPainter::Event(event) => events.push(event),
                FromPainter::JobDone(d) => done.push(d),
                other => panic!("unexpected {other:?}"),
            }
        }
        done.sort_unstable_by_key(|d| d.job);
        (done, events)
    }

    fn shutdown(mut self) -> protocol::Goodbye {
        self.send(&ToPainter::Shutdown);
        let FromPainter::Goodbye(goodbye) = self.recv() else { panic!("Shutdown is answered with Goodbye") };
        assert!(read_message::<FromPainter>(&mut self.stdout).expect("clean end").is_none());
        assert!(self.child.wait().expect("reaped").success());
        goodbye
    }
}

fn job(id: u32, wait_ms: u64) -> Job {
    Job {
        id,
        seed: u64::from(id) * 31,
        strokes: 200,
        coats: 2,
        file_wait: Duration::from_millis(wait_ms),
        net_wait: Duration::from_millis(wait_ms),
    }
}

fn out_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atelier-painter-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("out dir");
    dir
}

#[test]
fn hello_calibrate_paint_goodbye() {
    let out = out_dir("blocking");
    let mut painter = Painter::start("blocking", &[], &out);
    let FromPainter::Hello(hello) = painter.recv() else { panic!("first message is not Hello") };
    assert_eq!((hello.protocol_version, hello.painter_id, hello.lanes), (PROTOCOL_VERSION, 7, 1));
    assert_eq!(hello.pid, painter.child.id());
    assert_eq!(std::fs::read_to_string(format!("/proc/{}/comm", hello.pid)).expect("comm").trim(), "painter-7");

    painter.send(&ToPainter::Calibrate { sample: Duration::from_millis(50), seeds: vec![31, 62] });
    let FromPainter::Calibrated { stroke_ns, strokes } = painter.recv() else { panic!("not Calibrated") };
    assert!(stroke_ns > 0.0 && strokes > 0);

    let (done, events) = painter.paint(&[job(1, 5), job(2, 5)]);
    assert_eq!(done.len(), 2);
    for done in &done {
        let bytes = std::fs::read(done.path.as_ref().expect("a painted picture has a file")).expect("saved");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
    // Per job: 2 coats × (paint start, paint end, 2 waits × start/end),
    // then saving: preparing the picture while the last coat dries, and
    // writing it once it is dry, each a start and an end.
    assert_eq!(events.len(), 2 * (2 * 6 + 4));
    let saves = events.iter().filter(|e| matches!(e.kind, EventKind::SaveStarted | EventKind::SaveFinished));
    assert_eq!(saves.count(), 2 * 4);
    // Every coat says what painting it took of the thread.
    for event in &events {
        if let EventKind::PaintFinished(effort) = event.kind {
            assert!(effort.cpu_ns > 0, "coat {} of painting {}: {effort:?}", event.coat, event.job);
        }
    }
    assert!(events.windows(2).all(|w| w[0].at_ns <= w[1].at_ns), "one blocking lane: events in time order");
    // Its peak memory is its own (`VmHWM`), not the test's: `ru_maxrss` of a
    // process started with vfork + exec would count this test's too.
    let status = std::fs::read_to_string(format!("/proc/{}/status", hello.pid)).expect("status");
    let hwm: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    let goodbye = painter.shutdown();
    assert!(
        goodbye.max_rss_kib >= hwm && goodbye.max_rss_kib < hwm + 1024,
        "{} KiB, VmHWM {hwm} KiB",
        goodbye.max_rss_kib
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn every_scheduler_paints_the_same_pictures() {
    let jobs = [job(1, 0), job(2, 20), job(3, 0)];
    let mut results = Vec::new();
    for (scheduler, extra) in
        [("blocking", &[][..]), ("async", &["--slice-strokes", "7"][..]), ("threads", &["--lanes", "2"][..])]
    {
        let out = out_dir(&format!("same-{scheduler}"));
        let mut painter = Painter::start(scheduler, extra, &out);
        assert!(matches!(painter.recv(), FromPainter::Hello(_)));
        let (done, events) = painter.paint(&jobs);
        painter.shutdown();
        let _ = std::fs::remove_dir_all(out);
        let checksums: Vec<(u32, u64)> = done.iter().map(|d| (d.job, d.checksum)).collect();
        results.push((scheduler, checksums, events));
    }
    assert_eq!(results[0].1, results[1].1, "async paints what blocking paints");
    assert_eq!(results[0].1, results[2].1, "threads paint what blocking paints");

    // The async painter started painting job 2's second coat only after its
    // first coat had dried, and painted job 3 meanwhile.
    let events = &results[1].2;
    let at = |job, coat, kind| {
        events.iter().find(|e| e.job == job && e.coat == coat && e.kind == kind).expect("event").at_ns
    };
    let dried = at(2, 0, EventKind::DryFinished(protocol::DryKind::Network));
    assert!(at(2, 1, EventKind::PaintStarted) >= dried);
    assert!(at(3, 0, EventKind::PaintStarted) < dried, "job 3 was painted while job 2 dried");
}

#[test]
fn stdin_closing_ends_the_painter() {
    let out = out_dir("eof");
    let mut painter = Painter::start("async", &[], &out);
    assert!(matches!(painter.recv(), FromPainter::Hello(_)));
    let Painter { mut child, stdin, .. } = painter;
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "painter still running 5 s after stdin closed");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_painter_in_the_middle_of_a_long_coat_ends_when_its_stdin_hangs_up() {
    for scheduler in ["blocking", "async"] {
        let out = out_dir(&format!("hangup-{scheduler}"));
        let mut painter = Painter::start(scheduler, &[], &out);
        assert!(matches!(painter.recv(), FromPainter::Hello(_)));
        // Minutes of painting in one coat: it reads stdin again only after.
        painter.send(&ToPainter::Job(Job { strokes: u32::MAX, ..job(1, 0) }));
        assert!(matches!(painter.recv(), FromPainter::Event(e) if e.kind == EventKind::PaintStarted), "{scheduler}");
        let Painter { mut child, stdin, .. } = painter;
        drop(stdin);
        let hung_up = Instant::now();
        // The watchdog answers in microseconds; a generous bound for a busy machine.
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                hung_up.elapsed() < Duration::from_secs(1),
                "{scheduler}: painter still painting 1 s after its stdin hung up"
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        eprintln!("{scheduler}: ended {:?} after its stdin hung up, {status}", hung_up.elapsed());
        assert_eq!(status.code(), Some(painter::process::EXIT_STDIN_CLOSED), "{scheduler}");
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn a_painting_of_zero_strokes_is_reported_without_a_picture_by_every_scheduler() {
    let empty = |id| Job { strokes: 0, ..job(id, 0) };
    for (scheduler, extra) in [("blocking", &[][..]), ("async", &[][..]), ("threads", &["--lanes", "2"][..])] {
        let out = out_dir(&format!("empty-{scheduler}"));
        let mut painter = Painter::start(scheduler, extra, &out);
        assert!(matches!(painter.recv(), FromPainter::Hello(_)));
        let jobs: Vec<Job> = (1..=500).map(empty).collect();
        let (done, events) = painter.paint(&jobs);
        painter.shutdown();
        assert_eq!(done.len(), jobs.len(), "{scheduler}");
        assert!(done.iter().all(|d| d.path.is_none() && d.checksum == painter::canvas::fnv1a(&[])), "{scheduler}");
        // Two coats each, painted (in no time) but never dried: no waits.
        assert_eq!(events.len(), jobs.len() * 2 * 2, "{scheduler}");
        let files = std::fs::read_dir(&out).expect("the folder").count();
        assert_eq!(files, 0, "{scheduler}: nothing to save, nothing saved");
        let _ = std::fs::remove_dir_all(out);
    }
}
