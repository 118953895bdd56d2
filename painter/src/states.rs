//! What each painting thread did from moment to moment: on a core
//! (running), ready but kept off one (waiting), or off by its own choice.
//!
//! Each thread that paints records itself, from [`begin`] to [`end`], and
//! says what it saw in `States` messages, as spans on the protocol's clock.
//! Two ways to see it, the first that works:
//!
//! - **Switch events** ([`crate::switches`]): the kernel writes a record
//!   each time the thread is switched in or out. A switch in starts
//!   *running* on that record's core; a switch out that was a preemption
//!   starts *waiting*; any other switch out starts *off*. A thread woken
//!   from a sleep may still wait for a core before it runs, which no
//!   switch record shows; the kernel counts it in the thread's `run_delay`
//!   (`/proc/thread-self/schedstat`) instead. So when a drain finds the
//!   thread back from a sleep, the growth of `run_delay` since the last
//!   look, less the preempted waits the records showed, is carved off the
//!   end of the sleep as *waiting*: the waits then add up to `run_delay`.
//! - **Self-measured**, where the kernel refuses the records: every
//!   millisecond or so of painting, the thread reads its CPU clock against
//!   the monotonic clock and asks `sched_getcpu()` where it is. Wall time
//!   that did not become CPU time was spent waiting for the core. Between
//!   paintings, what was neither CPU time nor `run_delay` was off. A wait
//!   shorter than the sampling period is smeared over its period.
//!
//! Sending costs a message, so spans are gathered and sent when a coat is
//! painted, at most every [`SEND_EVERY`] per thread (a chunk of tiny
//! paintings does not pay a message each), when [`HOLD`] of them have
//! gathered, and all that is left at [`end`], before the painter's
//! `Goodbye`. A coat of zero strokes paints nothing and sends nothing: it
//! only takes in the records (see [`tick`]). Nothing here waits for anything.
//!
//! `ATELIER_PAINTER_STATES=off` turns it all off (no `States` at all),
//! for measuring what measuring costs.

use std::cell::RefCell;
use std::sync::OnceLock;

use protocol::{FromPainter, MAX_STATE_SPANS, StateSource, StateSpan, States, ThreadState};

use crate::outbox::Outbox;
use crate::switches::{Record, Switches};

/// The environment variable that turns measuring off (`off`) or on (`on`,
/// the default).
pub const ENV: &str = "ATELIER_PAINTER_STATES";

/// The least time between two `States` of one thread, in nanoseconds.
pub const SEND_EVERY: u64 = 20_000_000;

/// The most spans in one `States` message: what fits in a frame
/// whatever they hold. A span encodes in at most 24 bytes (two nanosecond
/// stamps of 9, a state of 1, a core of 5), so 2048 take at most 48 KiB of
/// a 64 KiB frame. The protocol's own bound, [`MAX_STATE_SPANS`], is a
/// count, not a size: 4096 spans of a painter whose thread switched at
/// every empty job (one message each) made a frame of 80 KB, which the
/// outbox refused, and the painter stopped.
pub const SPANS_PER_MESSAGE: usize = 2048;
const _: () = assert!(SPANS_PER_MESSAGE <= MAX_STATE_SPANS);

/// How often a self-measuring thread looks at its clocks while painting.
pub const SAMPLE_EVERY: u64 = 1_000_000;

/// Spans gathered before they are sent, whatever the time: a bound on
/// the memory one thread's record takes (24 bytes a span).
pub const HOLD: usize = 4096;

/// Strokes between two looks at the record while painting: a stroke is
/// some 10 µs, so a look every 100 µs or so, a load (switch events) or a
/// read of the vDSO clock (self-measured).
pub const TICK_STROKES: u64 = 8;

static ON: OnceLock<bool> = OnceLock::new();

/// Reads [`ENV`], once, at start.
///
/// # Errors
/// If it is set to something other than `on` or `off`.
pub fn arm() -> Result<(), String> {
    let on = match std::env::var(ENV).as_deref() {
        Ok("off") => false,
        Ok("on" | "") | Err(_) => true,
        Ok(other) => return Err(format!("{ENV}: {other:?} is neither on nor off")),
    };
    let _ = ON.set(on);
    Ok(())
}

thread_local! {
    /// The calling thread's record, between [`begin`] and [`end`].
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Starts recording the calling thread, as lane `lane`, its `States` to
/// go out through `outbox`. Does nothing if measuring is off.
pub fn begin(lane: u32, outbox: &Outbox) {
    if !ON.get().copied().unwrap_or(true) {
        return;
    }
    let recorder = Recorder::start(lane, outbox.clone(), crate::fault::refuses_perf());
    RECORDER.with(|cell| *cell.borrow_mut() = Some(recorder));
}

/// Between strokes: takes in what the kernel wrote, or (self-measured)
/// looks at the clocks if a period has passed.
pub fn tick() {
    with(Recorder::tick);
}

/// The thread starts (`true`) or stops painting: for a self-measuring
/// thread, the time since its last look was, or was not, painting.
pub fn painting(on: bool) {
    with(|recorder| recorder.painting(on));
}

/// A coat is painted: the spans gathered go out, if the last `States`
/// went out long enough ago.
pub fn coat_painted() {
    with(Recorder::coat_painted);
}

/// Stops recording the calling thread, and sends what is left.
pub fn end() {
    if let Some(mut recorder) = RECORDER.with(|cell| cell.borrow_mut().take()) {
        recorder.finish();
    }
}

fn with(f: impl FnOnce(&mut Recorder)) {
    RECORDER.with(|cell| {
        if let Some(recorder) = cell.borrow_mut().as_mut() {
            f(recorder);
        }
    });
}

/// One thread's record.
struct Recorder {
    lane: u32,
    outbox: Outbox,
    how: How,
    spans: Spans,
    sent_ns: u64,
}

enum How {
    Switches(Exact),
    Sampled(Sampled),
}

impl Recorder {
    fn start(lane: u32, outbox: Outbox, refuse: bool) -> Self {
        let opened = if refuse { Err(std::io::Error::from_raw_os_error(libc::EACCES)) } else { Switches::open() };
        let now = protocol::clock::now_ns();
        let how = match opened {
            Ok(switches) => How::Switches(Exact::new(switches, now)),
            Err(error) => {
                tracing::debug!(lane, %error, "no switch records; measuring this thread from its clocks");
                How::Sampled(Sampled::new(now))
            }
        };
        Self { lane, outbox, how, spans: Spans::default(), sent_ns: now }
    }

    fn tick(&mut self) {
        match &mut self.how {
            How::Switches(exact) => {
                if exact.switches.pending() {
                    exact.drain(&mut self.spans);
                }
            }
            How::Sampled(sampled) => {
                if sampled.painting {
                    let now = protocol::clock::now_ns();
                    if now.saturating_sub(sampled.at_ns) >= SAMPLE_EVERY {
                        sampled.sample(now, &mut self.spans);
                    }
                }
            }
        }
        if self.spans.list.len() >= HOLD {
            self.send();
        }
    }

    fn painting(&mut self, on: bool) {
        if let How::Sampled(sampled) = &mut self.how
            && sampled.painting != on
        {
            sampled.sample(protocol::clock::now_ns(), &mut self.spans);
            sampled.painting = on;
        }
    }

    fn coat_painted(&mut self) {
        self.tick();
        if protocol::clock::now_ns().saturating_sub(self.sent_ns) >= SEND_EVERY {
            self.send();
        }
    }

    /// Everything up to now, out.
    fn send(&mut self) {
        let now = match &mut self.how {
            How::Switches(exact) => exact.settle(&mut self.spans),
            How::Sampled(sampled) => {
                let now = protocol::clock::now_ns();
                sampled.sample(now, &mut self.spans);
                now
            }
        };
        self.sent_ns = now;
        let (source, resolution_ns) = match self.how {
            How::Switches(_) => (StateSource::SwitchEvents, 1),
            How::Sampled(_) => (StateSource::SelfMeasured, SAMPLE_EVERY),
        };
        let mut spans = std::mem::take(&mut self.spans.list);
        while !spans.is_empty() {
            let rest = spans.split_off(spans.len().min(SPANS_PER_MESSAGE));
            let states = States { lane: self.lane, source, resolution_ns, spans };
            self.outbox.send(FromPainter::States(states));
            spans = rest;
        }
        // Later spans start where these stopped.
        self.spans.floor_ns = self.spans.floor_ns.max(now);
    }

    fn finish(&mut self) {
        self.send();
    }
}

/// Spans gathered, in order, and the moment before which no new one may start.
#[derive(Debug, Default)]
struct Spans {
    list: Vec<StateSpan>,
    floor_ns: u64,
}

impl Spans {
    /// Adds `[start_ns, end_ns)` in `state` on `core`, joined to the last
    /// span if it goes on from it; never before what came before (the
    /// clocks are read one after the other), and never empty. Whether a
    /// span now ends at `end_ns` in that state.
    fn push(&mut self, state: ThreadState, start_ns: u64, end_ns: u64, core: u32) -> bool {
        let start_ns = start_ns.max(self.floor_ns).max(self.list.last().map_or(0, |s| s.end_ns));
        if end_ns <= start_ns {
            return false;
        }
        match self.list.last_mut() {
            Some(last) if last.state == state && last.core == core && last.end_ns == start_ns => last.end_ns = end_ns,
            _ => self.list.push(StateSpan { state, start_ns, end_ns, core }),
        }
        true
    }

    /// Turns the last `wait_ns` of the off span at `index` into waiting.
    fn carve(&mut self, index: usize, wait_ns: u64) {
        let Some(&off) = self.list.get(index) else { return };
        let wait_ns = wait_ns.min(off.end_ns - off.start_ns);
        if wait_ns == 0 || off.state != ThreadState::Off {
            return;
        }
        let split = off.end_ns - wait_ns;
        let waiting = StateSpan { state: ThreadState::Waiting, start_ns: split, ..off };
        if split == off.start_ns {
            self.list[index] = waiting;
        } else {
            self.list[index].end_ns = split;
            self.list.insert(index + 1, waiting);
        }
    }
}

/// Switch records, and `run_delay` for the waits they cannot show.
struct Exact {
    switches: Switches,
    follow: Follow,
}

impl Exact {
    fn new(switches: Switches, now_ns: u64) -> Self {
        Self { switches, follow: Follow::new(now_ns, current_core(), crate::effort::run_delay_ns()) }
    }

    /// Takes in every record written so far, and reads `run_delay` if a
    /// sleep ended (or records were lost) meanwhile.
    fn drain(&mut self, spans: &mut Spans) {
        let follow = &mut self.follow;
        self.switches.drain(|record| follow.take(record, spans));
        if follow.wants_a_look() {
            follow.look(crate::effort::run_delay_ns(), spans);
        }
    }

    /// Takes in every record, then closes the current span now, for
    /// sending; returns now. Records written meanwhile are taken in
    /// before, so that none is older than the cut.
    fn settle(&mut self, spans: &mut Spans) -> u64 {
        let mut now_ns;
        loop {
            self.drain(spans);
            now_ns = protocol::clock::now_ns();
            if !self.switches.pending() {
                break;
            }
        }
        self.follow.cut(now_ns, spans);
        now_ns
    }
}

/// What the switch records say, turned into spans: the thread's state
/// since its last record, and what `run_delay` must account for.
#[derive(Debug)]
struct Follow {
    /// The state the thread is in, since when, on which core; `None`
    /// after lost records, until the next switch.
    now: Option<(ThreadState, u64, u32)>,
    /// `run_delay` at the last look, and the preempted waits the records
    /// showed since.
    run_delay_ns: u64,
    preempted_ns: u64,
    /// Off spans a switch in closed since the last look, by index:
    /// sleeps, some of whose end may have been a wait for the core.
    woken: Vec<usize>,
    /// Whether records were lost since the last look: then the waits
    /// seen do not account for `run_delay`'s growth.
    lost: bool,
}

impl Follow {
    /// Following a thread running on `core` since `now_ns`, whose
    /// `run_delay` is `run_delay_ns`.
    fn new(now_ns: u64, core: u32, run_delay_ns: u64) -> Self {
        Self {
            now: Some((ThreadState::Running, now_ns, core)),
            run_delay_ns,
            preempted_ns: 0,
            woken: Vec::new(),
            lost: false,
        }
    }

    /// One record: the span it ends, and the state it starts.
    fn take(&mut self, record: Record, spans: &mut Spans) {
        match record {
            Record::In { at_ns, cpu } => {
                if let Some((state, since_ns, core)) = self.now {
                    let closed = spans.push(state, since_ns, at_ns, core);
                    match state {
                        ThreadState::Waiting => self.preempted_ns += at_ns.saturating_sub(since_ns),
                        ThreadState::Off if closed => self.woken.push(spans.list.len() - 1),
                        _ => {}
                    }
                }
                self.now = Some((ThreadState::Running, at_ns, cpu));
            }
            Record::Out { at_ns, cpu, preempted } => {
                if let Some((state, since_ns, core)) = self.now {
                    spans.push(state, since_ns, at_ns, core);
                }
                let state = if preempted { ThreadState::Waiting } else { ThreadState::Off };
                self.now = Some((state, at_ns, cpu));
            }
            Record::Lost { at_ns } => {
                tracing::debug!(at_ns, "switch records lost: a gap in this thread's states");
                self.now = None;
                self.lost = true;
            }
        }
    }

    /// Whether `run_delay` is to be read now: a sleep ended, or records
    /// were lost, since the last look.
    fn wants_a_look(&self) -> bool {
        !self.woken.is_empty() || self.lost
    }

    /// `run_delay` read: what it grew by beyond the preempted waits was
    /// spent waking up, and is carved off the sleeps it followed, shared
    /// evenly between them.
    fn look(&mut self, run_delay_ns: u64, spans: &mut Spans) {
        let grew = run_delay_ns.saturating_sub(self.run_delay_ns);
        let woken = std::mem::take(&mut self.woken);
        if !self.lost && !woken.is_empty() {
            let mut left = grew.saturating_sub(self.preempted_ns);
            let share = left / woken.len() as u64;
            // From the last, because carving one moves those after it.
            for (k, &index) in woken.iter().enumerate().rev() {
                let wait = if k == 0 { left } else { share.min(left) };
                spans.carve(index, wait);
                left -= wait;
            }
        }
        self.run_delay_ns = run_delay_ns;
        self.preempted_ns = 0;
        self.lost = false;
    }

    /// Closes the current span at `now_ns`; the state goes on from there.
    fn cut(&mut self, now_ns: u64, spans: &mut Spans) {
        if let Some((state, since_ns, core)) = self.now
            && now_ns > since_ns
        {
            spans.push(state, since_ns, now_ns, core);
            self.now = Some((state, now_ns, core));
        }
    }
}

/// The thread's clocks, looked at now and then.
struct Sampled {
    at_ns: u64,
    cpu_ns: u64,
    core: u32,
    /// Whether the thread has been painting since the last look.
    painting: bool,
    /// `run_delay` when the thread last stopped painting, and the waits
    /// seen while painting since, which that counter holds too: so that
    /// painting costs no read of it.
    run_delay_ns: u64,
    painting_waits_ns: u64,
}

impl Sampled {
    fn new(now_ns: u64) -> Self {
        Self {
            at_ns: now_ns,
            cpu_ns: crate::effort::thread_cpu_ns(),
            core: current_core(),
            painting: false,
            run_delay_ns: crate::effort::run_delay_ns(),
            painting_waits_ns: 0,
        }
    }

    /// Looks at the clocks, and turns the time since the last look into spans.
    fn sample(&mut self, now_ns: u64, spans: &mut Spans) {
        let cpu_ns = crate::effort::thread_cpu_ns();
        let core = current_core();
        let start = self.at_ns;
        let wall = now_ns.saturating_sub(start);
        let ran = cpu_ns.saturating_sub(self.cpu_ns).min(wall);
        if self.painting {
            // It wanted the core all along: what it did not get, it waited for.
            spans.push(ThreadState::Running, start, start + ran, core);
            spans.push(ThreadState::Waiting, start + ran, now_ns, core);
            self.painting_waits_ns += wall - ran;
        } else {
            // It slept, woke, waited for the core, and ran up to this look.
            let run_delay_ns = crate::effort::run_delay_ns();
            let grew = run_delay_ns.saturating_sub(self.run_delay_ns);
            let waited = grew.saturating_sub(self.painting_waits_ns).min(wall - ran);
            (self.run_delay_ns, self.painting_waits_ns) = (run_delay_ns, 0);
            let woke = now_ns - ran - waited;
            spans.push(ThreadState::Off, start, woke, self.core);
            spans.push(ThreadState::Waiting, woke, now_ns - ran, core);
            spans.push(ThreadState::Running, now_ns - ran, now_ns, core);
        }
        (self.at_ns, self.cpu_ns, self.core) = (now_ns, cpu_ns, core);
    }
}

/// The core the calling thread is on now.
fn current_core() -> u32 {
    nix::sched::sched_getcpu().ok().and_then(|cpu| u32::try_from(cpu).ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests;
