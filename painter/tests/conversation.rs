//! The painter binary, driven over real pipes the way the coordinator drives
//! it: handshake, calibration, jobs, events, the states of its threads,
//! shutdown.

use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use protocol::frame::{read_message, write_message};
use protocol::{EventKind, FromPainter, Job, JobDone, PROTOCOL_VERSION, StateSource, States, ThreadState, ToPainter};

struct Painter {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// What it said of its threads' states, kept aside as it came.
    states: Vec<States>,
}

impl Painter {
    fn start(scheduler: &str, extra: &[&str], out: &std::path::Path) -> Self {
        Self::spawn(Command::new(env!("CARGO_BIN_EXE_painter")), scheduler, extra, out)
    }

    /// Starts `command` (the painter binary, or a command that runs it)
    /// as painter 7.
    fn spawn(mut command: Command, scheduler: &str, extra: &[&str], out: &std::path::Path) -> Self {
        let mut child = command
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
        Self { child, stdin, stdout, states: Vec::new() }
    }

    fn send(&mut self, message: &ToPainter) {
        write_message(&mut self.stdin, message).expect("send");
        self.stdin.flush().expect("flush");
    }

    /// The next message other than `States`, which are kept in `states`.
    fn recv(&mut self) -> FromPainter {
        loop {
            match read_message(&mut self.stdout).expect("a readable frame").expect("not the end") {
                FromPainter::States(states) => self.states.push(states),
                other => return other,
            }
        }
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

    fn shutdown(self) -> protocol::Goodbye {
        self.shutdown_with_states().0
    }

    /// Shuts it down; its `Goodbye`, and every `States` it sent.
    fn shutdown_with_states(mut self) -> (protocol::Goodbye, Vec<States>) {
        self.send(&ToPainter::Shutdown);
        let FromPainter::Goodbye(goodbye) = self.recv() else { panic!("Shutdown is answered with Goodbye") };
        assert!(read_message::<FromPainter>(&mut self.stdout).expect("clean end").is_none());
        assert!(self.child.wait().expect("reaped").success());
        (goodbye, self.states)
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

/// `painter --probe --then-serve`, as the coordinator drives it over srun:
/// its line, then told its arguments it paints as painter 7, and what it
/// paints is what a painter started with them paints; told nothing (its
/// stdin closed), it exits 0; told something else, it says what and exits 2.
#[test]
fn a_probe_that_stays_paints_as_it_is_told() {
    use std::io::{BufRead, Read};
    let out = out_dir("probe-serves");
    let probe = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_painter"))
            .args(["--probe", "--then-serve"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("painter starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("its line");
        assert!(line.starts_with("atelier-probe protocol=") && line.ends_with(" serves=1\n"), "{line}");
        (child, stdout)
    };
    let (mut child, stdout) = probe();
    let mut words = Vec::new();
    for word in ["--id", "7", "--scheduler", "blocking", "--out", out.to_str().expect("a path")] {
        words.extend_from_slice(word.as_bytes());
        words.push(0);
    }
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(format!("atelier-serve {}\n", words.len()).as_bytes()).expect("told");
    stdin.write_all(&words).expect("told");
    stdin.flush().expect("flush");
    let mut painter = Painter { child, stdin, stdout, states: Vec::new() };
    let FromPainter::Hello(hello) = painter.recv() else { panic!("first message is not Hello") };
    assert_eq!((hello.protocol_version, hello.painter_id), (PROTOCOL_VERSION, 7));
    assert_eq!(std::fs::read_to_string(format!("/proc/{}/comm", hello.pid)).expect("comm").trim(), "painter-7");
    let (done, _) = painter.paint(&[job(1, 0), job(2, 0)]);
    painter.shutdown();
    let started = out_dir("probe-serves-started");
    let mut plain = Painter::start("blocking", &[], &started);
    assert!(matches!(plain.recv(), FromPainter::Hello(_)));
    let (same, _) = plain.paint(&[job(1, 0), job(2, 0)]);
    plain.shutdown();
    let sums = |done: &[JobDone]| done.iter().map(|d| (d.job, d.checksum)).collect::<Vec<_>>();
    assert_eq!(sums(&done), sums(&same), "the probe paints what a painter started so paints");

    // Told nothing: the coordinator went on without it.
    let (mut child, _stdout) = probe();
    drop(child.stdin.take());
    assert_eq!(child.wait().expect("it ends").code(), Some(0));

    // Told something else.
    let (mut child, _stdout) = probe();
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"paint please\n").expect("written");
    drop(stdin);
    let mut said = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut said).expect("stderr");
    assert_eq!(child.wait().expect("it ends").code(), Some(2), "{said}");
    assert_eq!(said.trim(), "painter --probe --then-serve: expected `atelier-serve N` on stdin, not `paint please`");
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(started);
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

/// How long `strokes` strokes take here, from the painter's own calibration.
fn strokes_for(painter: &mut Painter, wanted: Duration) -> u32 {
    painter.send(&ToPainter::Calibrate { sample: Duration::from_millis(50), seeds: vec![] });
    let FromPainter::Calibrated { stroke_ns, .. } = painter.recv() else { panic!("not Calibrated") };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let strokes = (wanted.as_nanos() as f64 / stroke_ns) as u32;
    strokes.max(1)
}

/// Spans of lane `lane`, in order and without overlap, whatever the messages.
fn spans_of(states: &[States], lane: u32) -> Vec<protocol::StateSpan> {
    let spans: Vec<_> = states.iter().filter(|s| s.lane == lane).flat_map(|s| s.spans.iter().copied()).collect();
    assert!(spans.windows(2).all(|w| w[0].end_ns <= w[1].start_ns), "lane {lane}: spans overlap");
    assert!(spans.iter().all(|s| s.start_ns < s.end_ns), "lane {lane}: an empty span");
    spans
}

/// Time in `state` between `from` and `to`.
fn time_in(spans: &[protocol::StateSpan], state: ThreadState, from: u64, to: u64) -> u64 {
    spans.iter().filter(|s| s.state == state).map(|s| s.end_ns.min(to).saturating_sub(s.start_ns.max(from))).sum()
}

#[test]
fn three_painting_threads_on_one_core_take_turns() {
    let out = out_dir("three-on-one");
    let mut painter = Painter::start("threads", &["--cores", "0,0,0"], &out);
    assert!(matches!(painter.recv(), FromPainter::Hello(_)));
    let strokes = strokes_for(&mut painter, Duration::from_millis(300));
    let jobs: Vec<Job> = (1..=3)
        .map(|id| Job { strokes, coats: 1, file_wait: Duration::ZERO, net_wait: Duration::ZERO, ..job(id, 0) })
        .collect();
    let (done, events) = painter.paint(&jobs);
    assert_eq!(done.len(), 3);
    let (_, states) = painter.shutdown_with_states();
    let mut lanes: Vec<u32> = events.iter().map(|e| e.lane).collect();
    lanes.sort_unstable();
    lanes.dedup();
    assert_eq!(lanes, [0, 1, 2], "one painting a lane");
    let all: Vec<Vec<protocol::StateSpan>> = lanes.iter().map(|&lane| spans_of(&states, lane)).collect();
    for lane in lanes {
        let at = |kind: EventKind| {
            events.iter().find(|e| e.lane == lane && e.kind == kind).map(|e| e.at_ns).expect("the event")
        };
        let (from, to) = (
            at(EventKind::PaintStarted),
            events
                .iter()
                .find_map(|e| matches!(e.kind, EventKind::PaintFinished(_) if e.lane == lane).then_some(e.at_ns))
                .expect("finished"),
        );
        let spans = &all[lane as usize];
        assert!(spans.iter().all(|s| s.core == 0), "lane {lane} pinned to core 0: {spans:?}");
        let running = time_in(spans, ThreadState::Running, from, to);
        let waiting = time_in(spans, ThreadState::Waiting, from, to);
        // What the three lanes together held of core 0 meanwhile.
        let lanes_ran: u64 = all.iter().map(|spans| time_in(spans, ThreadState::Running, from, to)).sum();
        #[allow(clippy::cast_precision_loss)]
        let (share, of_lanes, held) = (
            running as f64 / (to - from) as f64,
            running as f64 / lanes_ran as f64,
            lanes_ran as f64 / (to - from) as f64,
        );
        eprintln!(
            "lane {lane}: ran {:.0}% of its painting's {} ms ({:.0}% of what the lanes ran; they held core 0 {:.0}% of it), waited {} ms",
            share * 100.0,
            (to - from) / 1_000_000,
            of_lanes * 100.0,
            held * 100.0,
            waiting / 1_000_000
        );
        // Running and waiting fill the painting; off only for a moment
        // around its events, queued for the lock of the stdout the lanes
        // share while another lane that holds it waits for the core.
        let off = time_in(spans, ThreadState::Off, from, to);
        assert!(running + waiting >= (to - from) * 9 / 10, "lane {lane}: off {off} ns: {spans:?}");
        assert!((0.20..=0.45).contains(&of_lanes), "lane {lane} ran {of_lanes:.2} of what the three lanes ran");
        if held < 0.75 {
            // Other programs on core 0 took the rest: the share of the
            // painting's span is theirs to decide.
            eprintln!("skipped the share of the span: other programs held core 0 for {:.0}%", (1.0 - held) * 100.0);
        } else {
            assert!((0.20..=0.45).contains(&share), "lane {lane} ran {share:.2} of its painting");
        }
    }
    let _ = std::fs::remove_dir_all(out);
}

/// The painter binary copied where a user other than root can run it.
/// Once copied, it is run once here until it starts: a process that
/// another test's thread forked while the copy was open for writing holds
/// it open until it execs, and until then the copy cannot be executed
/// (ETXTBSY).
fn nobody_binary(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let binary = dir.join("painter");
    std::fs::copy(env!("CARGO_BIN_EXE_painter"), &binary).expect("copy the painter");
    for path in [dir, binary.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("open it to everyone");
    }
    for _ in 0..100 {
        match Command::new(&binary).arg("--help").stdout(Stdio::null()).status() {
            Err(error) if error.raw_os_error() == Some(26) => std::thread::sleep(std::time::Duration::from_millis(20)),
            started => {
                started.expect("the copied painter runs");
                break;
            }
        }
    }
    binary
}

/// A command that runs `binary` as `nobody` if this test runs as root.
fn as_nobody(binary: &std::path::Path) -> Command {
    // `/proc/self` belongs to the process's effective user.
    let root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self")) == 0;
    if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(binary);
        command
    } else {
        Command::new(binary)
    }
}

#[test]
fn an_unprivileged_painter_gets_switch_events_and_one_refused_them_measures_itself() {
    let paranoid: i32 = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(3);
    let expected_source = if paranoid <= 2 {
        StateSource::SwitchEvents
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "perf_event_paranoid is {paranoid} under CI: switch events need 2 or less"
        );
        eprintln!("perf_event_paranoid is {paranoid}: an unprivileged painter is refused switch events here");
        StateSource::SelfMeasured
    };
    let dir = out_dir("nobody");
    let binary = nobody_binary(&dir);
    for (fault, states_env, expected) in
        [("", "", Some(expected_source)), ("no-perf/7", "", Some(StateSource::SelfMeasured)), ("", "off", None)]
    {
        let mut command = as_nobody(&binary);
        command.env("ATELIER_PAINTER_FAULT", fault).env("ATELIER_PAINTER_STATES", states_env);
        let mut painter = Painter::spawn(command, "blocking", &[], &dir);
        let FromPainter::Hello(hello) = painter.recv() else { panic!("first message is not Hello") };
        let uid = std::fs::read_to_string(format!("/proc/{}/status", hello.pid)).expect("status");
        let uid = uid.lines().find_map(|l| l.strip_prefix("Uid:")).expect("Uid").split_whitespace().next();
        assert_ne!(uid, Some("0"), "the painter runs unprivileged");
        let (done, _) = painter.paint(&[Job { strokes: 2_000, ..job(1, 5) }]);
        assert_eq!(done.len(), 1);
        let (_, states) = painter.shutdown_with_states();
        let sources: Vec<StateSource> = states.iter().map(|s| s.source).collect();
        eprintln!("fault {fault:?}, states {states_env:?}: {} messages, {sources:?}", states.len());
        match expected {
            Some(source) => {
                assert!(!states.is_empty() && sources.iter().all(|s| *s == source), "{fault:?}: {sources:?}");
                let spans = spans_of(&states, 0);
                assert!(spans.iter().any(|s| s.state == ThreadState::Running), "{spans:?}");
                assert!(spans.iter().any(|s| s.state == ThreadState::Off), "it dried, asleep: {spans:?}");
            }
            None => assert!(states.is_empty(), "measuring is off, yet it sent {sources:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_painter_in_a_time_namespace_stamps_its_states_on_its_own_clock() {
    // The kernel stamps switch records on the machine's monotonic clock,
    // which a time namespace does not move; the painter's events are on
    // the namespace's, 1000 s ahead.
    let mut command = Command::new("unshare");
    command.args(["--time", "--monotonic", "1000", env!("CARGO_BIN_EXE_painter")]);
    let out = out_dir("time-namespace");
    let mut painter = Painter::spawn(command, "blocking", &[], &out);
    let hello = read_message::<FromPainter>(&mut painter.stdout);
    let Ok(Some(FromPainter::Hello(_))) = hello else {
        let status = painter.child.wait().expect("reaped");
        assert!(std::env::var_os("CI").is_none(), "no time namespace under CI: unshare {status}");
        eprintln!("skipped: no time namespace here (unshare {status})");
        return;
    };
    let (done, events) = painter.paint(&[Job { strokes: 2_000, ..job(1, 5) }]);
    let (_, states) = painter.shutdown_with_states();
    let spans = spans_of(&states, 0);
    assert_eq!(done.len(), 1);
    // On a core or waiting for one while the first coat was painted, and
    // asleep while it dried, where its events say so.
    let at = |kind: EventKind| {
        let same = |e: &&protocol::Event| match (e.kind, kind) {
            (EventKind::PaintFinished(_), EventKind::PaintFinished(_)) => true,
            (theirs, ours) => theirs == ours,
        };
        events.iter().filter(|e| e.coat == 0).find(same).expect("the event").at_ns
    };
    let (from, to) = (at(EventKind::PaintStarted), at(EventKind::PaintFinished(protocol::Effort::default())));
    let busy = time_in(&spans, ThreadState::Running, from, to) + time_in(&spans, ThreadState::Waiting, from, to);
    assert!(busy >= (to - from) * 9 / 10, "wanted the core {busy} ns of a {} ns coat: {spans:?}", to - from);
    let (from, to) =
        (at(EventKind::DryStarted(protocol::DryKind::File)), at(EventKind::DryFinished(protocol::DryKind::Network)));
    let off = time_in(&spans, ThreadState::Off, from, to);
    let near: Vec<_> = spans.iter().filter(|s| s.end_ns + 5_000_000 >= from && s.start_ns <= to + 5_000_000).collect();
    let sources: Vec<_> = states.iter().map(|s| s.source).collect();
    // On a busy machine, much of a drying can be waiting for the core
    // once the sleep is over: it is asleep for some of it all the same.
    assert!(off >= 1_000_000, "off {off} ns of the drying {from}..{to}: {sources:?} {near:?}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn an_async_drying_starts_as_its_coat_is_painted_and_never_ends_early() {
    let out = out_dir("async-drying");
    let mut painter = Painter::start("async", &[], &out);
    assert!(matches!(painter.recv(), FromPainter::Hello(_)));
    // Two paintings of two coats, waits of 7 and 7 ms: the four dryings
    // overlap the painting of the others on one thread.
    let (done, events) = painter.paint(&[job(1, 7), job(2, 7)]);
    assert_eq!(done.len(), 2);
    let at = |job: u32, coat: u32, kind: fn(&EventKind) -> bool| {
        events.iter().find(|e| e.job == job && e.coat == coat && kind(&e.kind)).map(|e| (e.at_ns, e)).expect("an event")
    };
    for (job, coat) in [(1, 0), (1, 1), (2, 0), (2, 1)] {
        let (painted, finished) = at(job, coat, |k| matches!(k, EventKind::PaintFinished(_)));
        let (began, _) = at(job, coat, |k| matches!(k, EventKind::DryStarted(protocol::DryKind::File)));
        let (dry, _) = at(job, coat, |k| matches!(k, EventKind::DryFinished(protocol::DryKind::Network)));
        // The drying is said next, by the thread that painted the coat.
        let next = events.iter().position(|e| std::ptr::eq(e, finished)).and_then(|i| events.get(i + 1));
        assert!(
            next.is_some_and(|e| e.job == job && e.coat == coat && matches!(e.kind, EventKind::DryStarted(_))),
            "painting {job} coat {coat}: after PaintFinished came {next:?}"
        );
        assert!(began >= painted, "painting {job} coat {coat}: dried before it was painted");
        // A timer that went off early would make the drying short.
        assert!(dry - began >= 14_000_000, "painting {job} coat {coat}: dried in {} ns, asked 14 ms", dry - began);
    }
    painter.shutdown();
    let _ = std::fs::remove_dir_all(out);
}

/// The program headers of an ELF64 file: whether one is `PT_INTERP`, the
/// dynamic loader it asks the kernel to start first.
fn asks_for_a_loader(elf: &[u8]) -> Option<bool> {
    let u16_at = |at: usize| elf.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u64_at = |at: usize| elf.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    if elf.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let (offset, size, count) = (usize::try_from(u64_at(0x20)?).ok()?, usize::from(u16_at(0x36)?), u16_at(0x38)?);
    let types = (0..usize::from(count)).map(|i| elf.get(offset + i * size..offset + i * size + 4));
    let types: Option<Vec<u32>> = types.map(|b| b.map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect();
    Some(types?.contains(&3))
}

#[test]
fn the_painter_starts_without_a_dynamic_loader() {
    // painter/build.rs links it statically, so that a painter's start is
    // not the loader's; `ATELIER_PAINTER_DYNAMIC` at build time asks for the
    // dynamic link, and a build on another C library gets it.
    if option_env!("ATELIER_PAINTER_DYNAMIC").is_some() || !cfg!(all(target_os = "linux", target_env = "gnu")) {
        eprintln!("skipped: the painter was built to link dynamically");
        return;
    }
    let elf = std::fs::read(env!("CARGO_BIN_EXE_painter")).expect("the painter binary");
    assert_eq!(
        asks_for_a_loader(&elf),
        Some(false),
        "the painter asks for a dynamic loader: the static link fell back (see the build's warning; Debian: libc6-dev)"
    );
    // And the check itself: this test, linked dynamically, asks for one.
    let test = std::fs::read(std::env::current_exe().expect("this test's path")).expect("this test's binary");
    assert_eq!(asks_for_a_loader(&test), Some(true), "this test should ask for a loader");
}
