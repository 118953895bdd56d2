//! The states a thread records agree with what the kernel counted for it:
//! its waits with `run_delay`, its running with its CPU time.
//!
//! A recording thread and, in some tests, a competitor that spins are
//! pinned to one core, the least busy one, so that another program keeping
//! one core busy does not decide the outcome.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// A writer whose bytes the test reads back.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a recording thread said, and what the kernel counted for it.
#[derive(Debug)]
struct Recorded {
    states: Vec<States>,
    began_ns: u64,
    ended_ns: u64,
    cpu_ns: u64,
    run_delay_ns: u64,
}

impl Recorded {
    fn spans(&self) -> impl Iterator<Item = &StateSpan> {
        self.states.iter().flat_map(|s| &s.spans)
    }

    fn total(&self, state: ThreadState) -> u64 {
        self.spans().filter(|s| s.state == state).map(|s| s.end_ns - s.start_ns).sum()
    }

    /// Spans in order, without overlap, inside the recording, each on `core`.
    fn check_shape(&self, core: u32) {
        let mut last = self.began_ns;
        for span in self.spans() {
            assert!(span.start_ns >= last && span.start_ns < span.end_ns, "{span:?} after {last}");
            assert_eq!(span.core, core, "{span:?}");
            last = span.end_ns;
        }
        assert!(last <= self.ended_ns, "spans go on past the end");
    }

    /// Waiting agrees with `run_delay` within 2 ms or 1%, running with
    /// the CPU time within 1%.
    fn check_against_the_kernel(&self) {
        let (waiting, running) = (self.total(ThreadState::Waiting), self.total(ThreadState::Running));
        let slack = (self.run_delay_ns / 100).max(2_000_000);
        assert!(
            waiting.abs_diff(self.run_delay_ns) <= slack,
            "waiting {waiting} ns, run_delay {} ns: {self:#?}",
            self.run_delay_ns
        );
        assert!(
            running.abs_diff(self.cpu_ns) <= self.cpu_ns / 100,
            "running {running} ns, CPU time {} ns: {self:#?}",
            self.cpu_ns
        );
    }
}

/// One recording at a time: the tests' threads would compete for one
/// another's cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The allowed core that was least busy over a tenth of a second, and
/// the share of that time it was busy.
fn quietest_core() -> (u32, f64) {
    let busy = || -> Vec<(u32, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        stat.lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let core = words.next()?.strip_prefix("cpu")?.parse().ok()?;
                let ticks: Vec<u64> = words.filter_map(|w| w.parse().ok()).collect();
                // user, nice, system, (idle, iowait), irq, softirq, steal
                let busy = ticks.iter().enumerate().filter(|(k, _)| *k != 3 && *k != 4).map(|(_, t)| t).sum();
                Some((core, busy))
            })
            .collect()
    };
    let allowed = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).expect("affinity");
    let before = busy();
    std::thread::sleep(Duration::from_millis(100));
    let after = busy();
    let (core, ticks) = before
        .iter()
        .zip(&after)
        .filter(|((core, _), _)| allowed.is_set(*core as usize).unwrap_or(false))
        .map(|((core, b), (_, a))| (*core, a.saturating_sub(*b)))
        .min_by_key(|&(_, ticks)| ticks)
        .unwrap_or((0, 0));
    // USER_HZ is 100 on Linux: 10 ticks in a tenth of a second.
    #[allow(clippy::cast_precision_loss)]
    (core, ticks as f64 / 10.0)
}

/// Records a thread pinned to `core` that paints 80 ms then sleeps 20 ms,
/// three times, beside a thread spinning on the same core if `competitor`.
fn record(core: u32, competitor: bool, refuse: bool) -> Recorded {
    eprintln!("recording on core {core}, competitor: {competitor}, switch records refused: {refuse}");
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = competitor.then(|| {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            crate::process::pin(core).expect("pin the competitor");
            let mut x = 1_u64;
            while !stop.load(Ordering::Relaxed) {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
        })
    });
    let capture = Capture::default();
    let outbox = Outbox::new(capture.clone());
    let recording = std::thread::spawn(move || {
        crate::process::pin(core).expect("pin the recording thread");
        // Let the competitor settle on the core first.
        std::thread::sleep(Duration::from_millis(20));
        let began_ns = protocol::clock::now_ns();
        RECORDER.with(|cell| *cell.borrow_mut() = Some(Recorder::start(0, outbox, refuse)));
        // The counters are read as close as can be to where the spans
        // start (after the record is opened) and end (before they are sent).
        let (cpu, run_delay) = (crate::effort::thread_cpu_ns(), crate::effort::run_delay_ns());
        let mut canvas = crate::canvas::Canvas::new(3);
        for _ in 0..3 {
            painting(true);
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(80) {
                canvas.paint(TICK_STROKES);
                tick();
            }
            painting(false);
            coat_painted();
            std::thread::sleep(Duration::from_millis(20));
        }
        let (cpu, run_delay) = (crate::effort::thread_cpu_ns() - cpu, crate::effort::run_delay_ns() - run_delay);
        end();
        let ended_ns = protocol::clock::now_ns();
        (began_ns, ended_ns, cpu, run_delay)
    });
    let (began_ns, ended_ns, cpu_ns, run_delay_ns) = recording.join().expect("the recording thread");
    stop.store(true, Ordering::Relaxed);
    if let Some(spinner) = spinner {
        spinner.join().expect("the competitor");
    }
    let bytes = capture.0.lock().expect("capture").clone();
    let mut reader = bytes.as_slice();
    let mut states = Vec::new();
    while let Some(message) = protocol::frame::read_message::<FromPainter>(&mut reader).expect("frames") {
        if let FromPainter::States(said) = message {
            states.push(said);
        }
    }
    Recorded { states, began_ns, ended_ns, cpu_ns, run_delay_ns }
}

fn switch_events_here() -> bool {
    match Switches::open() {
        Ok(_) => true,
        Err(error) => {
            assert!(std::env::var_os("CI").is_none(), "perf_event_open refused under CI: {error}");
            eprintln!("skipped: perf_event_open refused here ({error})");
            false
        }
    }
}

#[test]
fn sharing_a_core_the_switch_events_agree_with_the_kernel() {
    if !switch_events_here() {
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (core, _) = quietest_core();
    let recorded = record(core, true, false);
    assert!(recorded.states.iter().all(|s| s.source == StateSource::SwitchEvents), "{recorded:#?}");
    // Sent every coat (80 ms apart) and at the end.
    assert!(recorded.states.len() >= 3, "{recorded:#?}");
    recorded.check_shape(core);
    recorded.check_against_the_kernel();
    eprintln!(
        "running {} ns (CPU time {} ns), waiting {} ns (run_delay {} ns), off {} ns",
        recorded.total(ThreadState::Running),
        recorded.cpu_ns,
        recorded.total(ThreadState::Waiting),
        recorded.run_delay_ns,
        recorded.total(ThreadState::Off)
    );
    // The competitor took about half the core while the thread painted.
    assert!(recorded.total(ThreadState::Waiting) >= 60_000_000, "{recorded:#?}");
    assert!(recorded.total(ThreadState::Off) >= 55_000_000, "three sleeps of 20 ms: {recorded:#?}");
}

#[test]
fn alone_on_a_core_the_switch_events_show_little_waiting() {
    if !switch_events_here() {
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (core, busy) = quietest_core();
    let recorded = record(core, false, false);
    recorded.check_shape(core);
    recorded.check_against_the_kernel();
    eprintln!(
        "running {} ns (CPU time {} ns), waiting {} ns (run_delay {} ns), off {} ns",
        recorded.total(ThreadState::Running),
        recorded.cpu_ns,
        recorded.total(ThreadState::Waiting),
        recorded.run_delay_ns,
        recorded.total(ThreadState::Off)
    );
    let span = recorded.ended_ns - recorded.began_ns;
    if busy > 0.1 {
        // Other programs on every core: waiting is what they made it.
        eprintln!("skipped the check that waiting is small: the quietest core was {:.0}% busy", busy * 100.0);
        return;
    }
    if recorded.run_delay_ns > span / 10 {
        // Something came to that core meanwhile: the kernel itself counted
        // the wait (and the states agree with it, checked above).
        eprintln!(
            "skipped the check that waiting is small: the core grew busy while recording (run_delay {} ns of {span} ns)",
            recorded.run_delay_ns
        );
        return;
    }
    assert!(recorded.total(ThreadState::Waiting) <= span / 10, "{recorded:#?}");
    assert!(recorded.total(ThreadState::Running) >= 200_000_000, "{recorded:#?}");
}

#[test]
fn refused_the_switch_events_a_thread_measures_itself_and_agrees_with_the_kernel() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (core, _) = quietest_core();
    let recorded = record(core, true, true);
    assert!(
        recorded.states.iter().all(|s| s.source == StateSource::SelfMeasured && s.resolution_ns == SAMPLE_EVERY),
        "{recorded:#?}"
    );
    recorded.check_shape(core);
    recorded.check_against_the_kernel();
    eprintln!(
        "running {} ns (CPU time {} ns), waiting {} ns (run_delay {} ns), off {} ns",
        recorded.total(ThreadState::Running),
        recorded.cpu_ns,
        recorded.total(ThreadState::Waiting),
        recorded.run_delay_ns,
        recorded.total(ThreadState::Off)
    );
    assert!(recorded.total(ThreadState::Waiting) >= 60_000_000, "{recorded:#?}");
}

#[test]
fn spans_join_when_they_go_on_and_never_go_back() {
    let mut spans = Spans::default();
    assert!(spans.push(ThreadState::Running, 10, 20, 1));
    assert!(spans.push(ThreadState::Running, 20, 30, 1));
    assert_eq!(spans.list.len(), 1, "joined: {:?}", spans.list);
    // Starts before the last end: moved up to it; nothing left: nothing added.
    assert!(spans.push(ThreadState::Off, 25, 40, 1));
    assert_eq!(spans.list[1].start_ns, 30);
    assert!(!spans.push(ThreadState::Waiting, 35, 40, 1));
    // The end of a sleep carved off as a wait.
    spans.carve(1, 4);
    assert_eq!(
        spans.list[1..],
        [
            StateSpan { state: ThreadState::Off, start_ns: 30, end_ns: 36, core: 1 },
            StateSpan { state: ThreadState::Waiting, start_ns: 36, end_ns: 40, core: 1 },
        ]
    );
    // Never more than the sleep lasted.
    spans.carve(1, 100);
    assert_eq!(spans.list[1].state, ThreadState::Waiting);
    assert_eq!((spans.list[1].start_ns, spans.list[1].end_ns), (30, 36));
}

fn span(state: ThreadState, start_ns: u64, end_ns: u64, core: u32) -> StateSpan {
    StateSpan { state, start_ns, end_ns, core }
}

#[test]
fn switch_records_become_spans_and_a_wake_up_wait_is_carved_off_the_sleep() {
    use ThreadState::{Off, Running, Waiting};
    let mut spans = Spans::default();
    let mut follow = Follow::new(100, 1, 1_000);
    for record in [
        Record::Out { at_ns: 110, cpu: 1, preempted: true },
        Record::In { at_ns: 115, cpu: 1 },
        Record::Out { at_ns: 120, cpu: 1, preempted: false },
        Record::In { at_ns: 150, cpu: 0 },
    ] {
        follow.take(record, &mut spans);
    }
    assert!(follow.wants_a_look(), "a sleep ended");
    // run_delay grew by the 5 ns preempted and 8 ns more: the wake-up's.
    follow.look(1_013, &mut spans);
    follow.cut(160, &mut spans);
    assert_eq!(
        spans.list,
        [
            span(Running, 100, 110, 1),
            span(Waiting, 110, 115, 1),
            span(Running, 115, 120, 1),
            span(Off, 120, 142, 1),
            span(Waiting, 142, 150, 1),
            span(Running, 150, 160, 0),
        ]
    );
    assert!(!follow.wants_a_look());
}

#[test]
fn two_sleeps_share_the_wake_up_waits_and_lost_records_leave_a_gap() {
    use ThreadState::{Off, Running, Waiting};
    let mut spans = Spans::default();
    let mut follow = Follow::new(0, 0, 0);
    for record in [
        Record::Out { at_ns: 10, cpu: 0, preempted: false },
        Record::In { at_ns: 30, cpu: 0 },
        Record::Out { at_ns: 40, cpu: 0, preempted: false },
        Record::In { at_ns: 60, cpu: 0 },
    ] {
        follow.take(record, &mut spans);
    }
    follow.look(6, &mut spans);
    assert_eq!(
        spans.list,
        [
            span(Running, 0, 10, 0),
            span(Off, 10, 27, 0),
            span(Waiting, 27, 30, 0),
            span(Running, 30, 40, 0),
            span(Off, 40, 57, 0),
            span(Waiting, 57, 60, 0),
        ]
    );
    // Records lost: the state is unknown until the next switch, and
    // run_delay's growth meanwhile is not put on any sleep.
    spans.list.clear();
    follow.take(Record::Lost { at_ns: 80 }, &mut spans);
    assert!(follow.wants_a_look());
    follow.look(50, &mut spans);
    follow.take(Record::Out { at_ns: 90, cpu: 0, preempted: false }, &mut spans);
    follow.take(Record::In { at_ns: 95, cpu: 1 }, &mut spans);
    follow.look(52, &mut spans);
    follow.cut(100, &mut spans);
    assert_eq!(spans.list, [span(Off, 90, 93, 0), span(Waiting, 93, 95, 0), span(Running, 95, 100, 1)]);
}

#[test]
fn the_most_spans_one_message_carries_fit_in_a_frame_whatever_they_hold() {
    let widest = StateSpan { state: ThreadState::Waiting, start_ns: u64::MAX - 1, end_ns: u64::MAX, core: u32::MAX };
    let states = States {
        lane: u32::MAX,
        source: StateSource::SelfMeasured,
        resolution_ns: u64::MAX,
        spans: vec![widest; SPANS_PER_MESSAGE],
    };
    let mut frame = Vec::new();
    protocol::frame::write_message(&mut frame, &FromPainter::States(states)).expect("fits in one frame");
    assert!(frame.len() <= protocol::frame::MAX_FRAME_LEN, "{} bytes", frame.len());
}
