//! The runs as a Chrome trace (`--trace FILE`): the JSON that Perfetto
//! (ui.perfetto.dev) and `chrome://tracing` open, to zoom into a run.
//!
//! Each painter is a process track under its real pid, named
//! `painter-K (core C)`, with a thread track per lane. Painting (and saving
//! the picture) is a complete slice (`"X"`) on its lane's thread: the CPU
//! was busy with one painting. Drying is an async pair (`"b"`/`"e"`) with an
//! id of its own, because waits are not bound to a thread and an async
//! painter's waits overlap; every wait of one lane has the same name
//! (`drying`, or `drying · thread-L`), so a viewer gathers them on one
//! track per lane, and which painting, coat and wait it was are arguments.
//! Where a lane began something it never finished (its painter failed),
//! an instant (`"i"`) marks it on the lane's thread.
//! The CPU use sampled from `/proc` is a counter track (`"C"`) per process;
//! the coordinator (this process, its real pid) has one per mode.
//!
//! Where the painters sent their threads' states, each lane has a second
//! thread track, `states · …`, of thread-state slices: `running (core C)`
//! and `waiting for a core (C)` (off is left empty, as Perfetto leaves a
//! sleeping thread). And the cores get a process of their own, `cores`, with
//! one track per CPU as Perfetto draws CPU tracks: `CPU C`, its slices who
//! held it (a painter and its painting, or another program by name and pid;
//! idle left empty). The JSON format has no real CPU tracks, so this is a
//! process of made-up pid ([`CORES_PID`] and up).
//!
//! Timestamps are microseconds from the run's start (its first painter's
//! spawn). In a `compare`, every mode starts at 0 and its painters are
//! named after the mode and sorted in the order the modes ran: one mode
//! above the other on one time axis, as in the terminal's timelines. Laid
//! end to end on the clock they ran on, the fast modes would be slivers
//! next to the slow ones.
//!
//! The file is written as it is made, event by event, in time order: the
//! lanes' segments are in order of start and the CPU samples in order of
//! time, so the events are merged from them as they go, and what is held is
//! one entry per stream and per wait not yet ended — never the events of the
//! whole trace, nor its JSON — so that 100,000 paintings cost no more
//! memory than 3.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::mode::{painter_name, thread_name};
use crate::model::schedule::{Segment, SegmentKind};
use crate::os::sampler::EVERY;
use crate::report::cores::{CoreLane, CoreSpan, Who};
use crate::report::lanes::{Lane, State, Unfinished};
use crate::report::{PainterReport, RunReport};

/// One event to write, found again from its run by its indices.
///
/// The derived order is the order in which events of one moment are
/// written: a run's segments before its CPU samples and those before its
/// marks of what was never finished, segments by index with a wait's
/// begin before its end, samples painter by painter (the coordinator last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    /// A painting or saving slice or the begin of a wait (`end: false`),
    /// or the end of a wait.
    Segment { segment: u32, end: bool },
    /// A CPU sample of painter `painter` (`u32::MAX`: the coordinator).
    Sample { painter: u32, sample: u32 },
    /// A mark where a lane began something it never finished.
    Unfinished { index: u32 },
    /// A thread state of a lane (by its index among the run's states).
    State { index: u32 },
    /// Span `span` of core lane `core`.
    Core { core: u32, span: u32 },
}

/// The made-up pid of the first run's `cores` process; a compare's next
/// runs have the ones after it.
pub const CORES_PID: u32 = 1_000_000_000;

/// A lane's thread-state track: its thread id plus this.
const STATES_TID: u32 = 100_000;

/// The coordinator, where an [`Item::Sample`] names a painter.
const COORDINATOR: u32 = u32::MAX;

/// An event waiting its turn: when, in which run, what.
#[derive(Debug, Clone, Copy)]
struct Next {
    at_s: f64,
    run: u32,
    item: Item,
}

impl Next {
    fn key(&self) -> (u32, Item) {
        (self.run, self.item)
    }
}

impl Ord for Next {
    /// By time; at one moment, in the order the runs and their events
    /// are listed (so that a slice that starts as another ends stays after it).
    fn cmp(&self, other: &Self) -> Ordering {
        self.at_s.total_cmp(&other.at_s).then_with(|| self.key().cmp(&other.key()))
    }
}

impl PartialOrd for Next {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Next {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Next {}

/// Writes the trace of one or more runs, in the JSON object form of the
/// format.
///
/// # Errors
/// If `out` cannot be written.
pub fn write(runs: &[RunReport], out: &mut impl Write) -> io::Result<()> {
    let coordinator = std::process::id();
    let compare = runs.len() > 1;
    out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
    let mut events = Events { out, first: true };

    names(&mut events, runs, coordinator)?;

    // The events in time order, merged from each run's segments (in order
    // of start) and its CPU samples (in order of time); a wait's end joins
    // them when its begin is written.
    let mut queue = first_of_each(runs);
    while let Some(Reverse(Next { at_s, run: r, item })) = queue.pop() {
        let run = &runs[r as usize];
        match item {
            Item::Segment { segment, end } => {
                let s = &run.timeline.segments()[segment as usize];
                events.segment(run, r, s, segment, !end)?;
                if !end {
                    if matches!(s.kind, SegmentKind::FileWait | SegmentKind::NetWait) {
                        queue.push(Reverse(Next { at_s: s.end_s, run: r, item: Item::Segment { segment, end: true } }));
                    }
                    queue.extend(segment.checked_add(1).and_then(|next| segment_start(run, r, next)));
                }
            }
            Item::Sample { painter, sample: i } => {
                let (pid, samples, name) = if painter == COORDINATOR {
                    let name = if compare { format!("cpu · {}", run.mode.name()) } else { "cpu".to_owned() };
                    (coordinator, &run.coordinator_cpu_samples, name)
                } else {
                    let painter = &run.painters[painter as usize];
                    (painter.pid, &painter.cpu_samples, "cpu".to_owned())
                };
                events.counter(pid, &name, at_s, samples[i as usize].cpu)?;
                queue.extend(i.checked_add(1).and_then(|next| sample(run, r, painter, next)));
            }
            Item::Unfinished { index } => {
                events.unfinished(run, &run.timeline.unfinished()[index as usize])?;
                queue.extend(index.checked_add(1).and_then(|next| unfinished(run, r, next)));
            }
            Item::State { index: i } => {
                let states = run.timeline.states();
                let state = &states[i as usize];
                events.state(run, state)?;
                if let Some(next) = states.get(i as usize + 1)
                    && (next.painter, next.thread) == (state.painter, state.thread)
                {
                    queue.push(Reverse(Next { at_s: next.start_s, run: r, item: Item::State { index: i + 1 } }));
                }
            }
            Item::Core { core, span } => {
                let lane = &run.cores[core as usize];
                events.core(CORES_PID + r, core, lane, &lane.spans[span as usize])?;
                queue.extend(span.checked_add(1).and_then(|next| core_span(run, r, core, next)));
            }
        }
    }
    let out = events.out;
    out.write_all(b"\n]}\n")?;
    out.flush()
}

/// Who is who: processes, their order, their threads; the coordinator's
/// label says each run's wall and ideal times.
fn names<W: Write>(events: &mut Events<'_, W>, runs: &[RunReport], coordinator: u32) -> io::Result<()> {
    let compare = runs.len() > 1;
    for (m, run) in runs.iter().enumerate() {
        let prefix = if compare { format!("{} · ", run.mode.name()) } else { String::new() };
        for (i, painter) in run.painters.iter().enumerate() {
            let name = format!("{prefix}{}{} ({})", painter.host_prefix(), painter_name(painter.id), cores(painter));
            let label = format!("{}, {}", painter.scheduler.name(), painter.exit.description);
            // Modes in the order they ran, painters in theirs.
            events.process(painter.pid, &name, &label, m * 10_000 + i)?;
            for lane in run.timeline.of_painter(i) {
                events.thread(painter.pid, tid(painter.pid, lane.thread), &lane_name(lane))?;
                if !run.timeline.states_of(lane).is_empty() {
                    let name = format!("states · {}", lane_name(lane));
                    events.thread(painter.pid, tid(painter.pid, lane.thread) + STATES_TID, &name)?;
                }
            }
        }
        if !run.cores.is_empty() {
            let pid = CORES_PID + index(m);
            let name = format!("{prefix}cores");
            let label = run.state_source.unwrap_or_default();
            events.process(pid, &name, label, m * 10_000 + 9_999)?;
            for (c, core) in run.cores.iter().enumerate() {
                let name =
                    if core.remote { format!("{} CPU {}", core.host, core.core) } else { format!("CPU {}", core.core) };
                events.thread(pid, index(c), &name)?;
            }
        }
    }
    let label = runs
        .iter()
        .map(|r| format!("{}: wall {:.3} s, ideal {:.3} s", r.mode.name(), r.wall_s, r.ideal_s))
        .collect::<Vec<_>>()
        .join("; ");
    events.process(coordinator, "coordinator", &label, runs.len() * 10_000)
}

/// The first event of each stream of each run: its segments (in order of
/// start), unfinished marks, each lane's states, each core's spans and each
/// CPU sampler's samples; each event, written, queues the next of its stream.
fn first_of_each(runs: &[RunReport]) -> BinaryHeap<Reverse<Next>> {
    let mut queue: BinaryHeap<Reverse<Next>> = BinaryHeap::new();
    for (r, run) in runs.iter().enumerate() {
        let r = index(r);
        queue.extend(segment_start(run, r, 0));
        queue.extend(unfinished(run, r, 0));
        let states = run.timeline.states();
        // A stream per lane: its first state, each following its own.
        for (i, state) in states.iter().enumerate() {
            if i == 0 || (states[i - 1].painter, states[i - 1].thread) != (state.painter, state.thread) {
                queue.push(Reverse(Next { at_s: state.start_s, run: r, item: Item::State { index: index(i) } }));
            }
        }
        for core in 0..index(run.cores.len()) {
            queue.extend(core_span(run, r, core, 0));
        }
        for painter in (0..index(run.painters.len())).chain([COORDINATOR]) {
            queue.extend(sample(run, r, painter, 0));
        }
    }
    queue
}

/// The trace as a string (for tests).
#[cfg(test)]
#[must_use]
pub fn render(runs: &[RunReport]) -> String {
    let mut out = Vec::new();
    write(runs, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// An index into the runs' vectors, as the queue's entries keep it. A run
/// holds at most 100,000 paintings' segments, far below `u32::MAX`.
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A lane's thread id: the painter's pid for its first (a single-threaded
/// painter's main thread is its pid), then the numbers after it. Perfetto
/// needs them distinct within the process, not the kernel's.
fn tid(pid: u32, lane: u32) -> u32 {
    pid.saturating_add(lane)
}

/// A painter's cores, in words.
fn cores(painter: &PainterReport) -> String {
    match painter.cores.as_slice() {
        [] => "unpinned".to_owned(),
        [core] => format!("core {core}"),
        cores => format!("cores {}", cores.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
    }
}

/// A lane's thread name: `thread-L (core C)` in `threads` mode, else
/// `painting (core C)`.
fn lane_name(lane: &Lane) -> String {
    let core = lane.core.map_or_else(String::new, |c| format!(" (core {c})"));
    if lane.threads { format!("{}{core}", thread_name(lane.thread)) } else { format!("painting{core}") }
}

/// The name every wait of a lane shares, so that they gather on one track.
fn drying_track(lane: Option<&Lane>) -> String {
    match lane {
        Some(lane) if lane.threads => format!("drying · {}", thread_name(lane.thread)),
        _ => "drying".to_owned(),
    }
}

/// Segment `segment` of run `r`, to be written when it starts (none past
/// the last).
fn segment_start(run: &RunReport, r: u32, segment: u32) -> Option<Reverse<Next>> {
    let s = run.timeline.segments().get(segment as usize)?;
    Some(Reverse(Next { at_s: s.start_s, run: r, item: Item::Segment { segment, end: false } }))
}

/// Mark `index` of what run `r` began and never finished (none past the last).
fn unfinished(run: &RunReport, r: u32, index: u32) -> Option<Reverse<Next>> {
    let u = run.timeline.unfinished().get(index as usize)?;
    Some(Reverse(Next { at_s: u.start_s, run: r, item: Item::Unfinished { index } }))
}

/// Span `span` of core lane `core` of run `r` (none past the last).
fn core_span(run: &RunReport, r: u32, core: u32, span: u32) -> Option<Reverse<Next>> {
    let s = run.cores.get(core as usize)?.spans.get(span as usize)?;
    Some(Reverse(Next { at_s: s.start_s, run: r, item: Item::Core { core, span } }))
}

/// Sample `i` of painter `painter` of run `r` (or of the coordinator), to
/// be written from the time its value holds: a sample tells the use since
/// the one before it. None once the samples, or the run, are over.
fn sample(run: &RunReport, r: u32, painter: u32, i: u32) -> Option<Reverse<Next>> {
    let samples = if painter == COORDINATOR {
        &run.coordinator_cpu_samples
    } else {
        &run.painters.get(painter as usize)?.cpu_samples
    };
    let from = match i.checked_sub(1) {
        None => samples.first()?.t_s - EVERY.as_secs_f64(),
        Some(before) => samples.get(before as usize)?.t_s,
    };
    let from = from.max(0.0);
    let item = Item::Sample { painter, sample: i };
    ((i as usize) < samples.len() && from < run.wall_s).then_some(Reverse(Next { at_s: from, run: r, item }))
}

/// Seconds as the trace's microseconds, to the nanosecond.
fn micros(seconds: f64) -> f64 {
    let micros = (seconds * 1e9).round() / 1e3;
    if micros.is_finite() { micros } else { 0.0 }
}

/// A JSON string, quoted and escaped.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The events written so far, comma-separated, one a line.
struct Events<'a, W: Write> {
    out: &'a mut W,
    first: bool,
}

impl<W: Write> Events<'_, W> {
    fn line(&mut self, args: std::fmt::Arguments<'_>) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        self.out.write_fmt(args)
    }

    /// A process's name, label and place in the list.
    fn process(&mut self, pid: u32, name: &str, label: &str, sort_index: usize) -> io::Result<()> {
        let (name, label) = (quoted(name), quoted(label));
        self.line(format_args!(
            r#"{{"ph":"M","name":"process_name","pid":{pid},"tid":{pid},"args":{{"name":{name}}}}}"#
        ))?;
        self.line(format_args!(
            r#"{{"ph":"M","name":"process_labels","pid":{pid},"tid":{pid},"args":{{"labels":{label}}}}}"#
        ))?;
        self.line(format_args!(
            r#"{{"ph":"M","name":"process_sort_index","pid":{pid},"tid":{pid},"args":{{"sort_index":{sort_index}}}}}"#
        ))
    }

    /// A thread's name.
    fn thread(&mut self, pid: u32, tid: u32, name: &str) -> io::Result<()> {
        let name = quoted(name);
        self.line(format_args!(r#"{{"ph":"M","name":"thread_name","pid":{pid},"tid":{tid},"args":{{"name":{name}}}}}"#))
    }

    /// A segment's slice, or its wait's begin (`start`) or end.
    fn segment(&mut self, run: &RunReport, r: u32, s: &Segment, index: u32, start: bool) -> io::Result<()> {
        let Some(painter) = run.painters.get(s.painter) else { return Ok(()) };
        let (pid, tid) = (painter.pid, tid(painter.pid, s.lane));
        let (n, coat) = (s.painting, s.coat + 1);
        let (ts, end) = (micros(s.start_s), micros(s.end_s));
        // Rounded again: a difference of two rounded numbers is not one.
        let dur = ((end - ts).max(0.0) * 1e3).round() / 1e3;
        let (cat, wait) = match s.kind {
            SegmentKind::Paint => {
                return self.line(format_args!(
                    r#"{{"ph":"X","cat":"paint","name":"painting #{n} coat {coat}","pid":{pid},"tid":{tid},"ts":{ts},"dur":{dur},"args":{{"painting":{n},"coat":{coat}}}}}"#
                ));
            }
            SegmentKind::Save => {
                return self.line(format_args!(
                    r#"{{"ph":"X","cat":"save","name":"saving #{n}","pid":{pid},"tid":{tid},"ts":{ts},"dur":{dur},"args":{{"painting":{n}}}}}"#
                ));
            }
            SegmentKind::FileWait => ("file_wait", "disk"),
            SegmentKind::NetWait => ("net_wait", "network"),
        };
        // An id per wait, unique over the runs: the run, then the segment.
        let id = (u64::from(r) << 32) | u64::from(index);
        let name = quoted(&drying_track(run.timeline.lane(s)));
        if start {
            self.line(format_args!(
                r#"{{"ph":"b","cat":"{cat}","name":{name},"id":{id},"pid":{pid},"tid":{tid},"ts":{ts},"args":{{"painting":{n},"coat":{coat},"wait":"{wait}"}}}}"#
            ))
        } else {
            self.line(format_args!(
                r#"{{"ph":"e","cat":"{cat}","name":{name},"id":{id},"pid":{pid},"tid":{tid},"ts":{end}}}"#
            ))
        }
    }

    /// An instant on a lane where it began what it never finished.
    fn unfinished(&mut self, run: &RunReport, u: &Unfinished) -> io::Result<()> {
        let Some(painter) = run.painters.get(u.painter) else { return Ok(()) };
        let (pid, tid) = (painter.pid, tid(painter.pid, u.lane));
        let (n, coat, ts) = (u.painting, u.coat + 1, micros(u.start_s));
        let what = match u.kind {
            SegmentKind::Paint => "painting",
            SegmentKind::FileWait => "disk wait",
            SegmentKind::NetWait => "network wait",
            SegmentKind::Save => "saving",
        };
        self.line(format_args!(
            r#"{{"ph":"i","s":"t","cat":"unfinished","name":"{what} #{n} coat {coat}: never finished","pid":{pid},"tid":{tid},"ts":{ts},"args":{{"painting":{n},"coat":{coat}}}}}"#
        ))
    }

    /// A thread-state slice on its lane's state track; off is left empty.
    fn state(&mut self, run: &RunReport, state: &State) -> io::Result<()> {
        let Some(painter) = run.painters.get(state.painter) else { return Ok(()) };
        let name = match state.state {
            protocol::ThreadState::Running => format!("running (core {})", state.core),
            protocol::ThreadState::Waiting => format!("waiting for a core ({})", state.core),
            protocol::ThreadState::Off => return Ok(()),
        };
        let (pid, tid) = (painter.pid, tid(painter.pid, state.thread) + STATES_TID);
        let (ts, end) = (micros(state.start_s), micros(state.end_s));
        let dur = ((end - ts).max(0.0) * 1e3).round() / 1e3;
        let (kind, core) = (state.state.name(), state.core);
        self.line(format_args!(
            r#"{{"ph":"X","cat":"state","name":"{name}","pid":{pid},"tid":{tid},"ts":{ts},"dur":{dur},"args":{{"state":"{kind}","core":{core}}}}}"#
        ))
    }

    /// Who held a core, as a slice on its CPU track; idle is left empty.
    fn core(&mut self, pid: u32, tid: u32, lane: &CoreLane, span: &CoreSpan) -> io::Result<()> {
        let name = match (span.who, span.painting) {
            (Who::Idle, _) => return Ok(()),
            (Who::Painter, Some(n)) => format!("{} · painting #{n}", span.holder()),
            _ => span.holder(),
        };
        let (ts, end) = (micros(span.start_s), micros(span.end_s));
        let dur = ((end - ts).max(0.0) * 1e3).round() / 1e3;
        let (name, who) = (quoted(&name), quoted(&format!("{:?}", span.who).to_lowercase()));
        let pid_arg = span.pid.map_or_else(|| "null".to_owned(), |p| p.to_string());
        let core = lane.core;
        self.line(format_args!(
            r#"{{"ph":"X","cat":"core","name":{name},"pid":{pid},"tid":{tid},"ts":{ts},"dur":{dur},"args":{{"core":{core},"who":{who},"pid":{pid_arg}}}}}"#
        ))
    }

    /// A CPU use counter's value, in cores, from `from_s` on.
    fn counter(&mut self, pid: u32, name: &str, from_s: f64, cores: f64) -> io::Result<()> {
        let cores = (cores * 1000.0).round() / 1000.0;
        let cores = if cores.is_finite() { cores } else { 0.0 };
        let (ts, name) = (micros(from_s), quoted(name));
        self.line(format_args!(
            r#"{{"ph":"C","name":{name},"pid":{pid},"tid":{pid},"ts":{ts},"args":{{"cores":{cores}}}}}"#
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::sample::sample_run;

    fn events(trace: &Value) -> &Vec<Value> {
        trace["traceEvents"].as_array().expect("traceEvents")
    }

    #[test]
    fn every_segment_is_an_event_and_waits_come_in_pairs() {
        let trace: Value = serde_json::from_str(&render(&[sample_run()])).expect("JSON");
        let events = events(&trace);
        let phase = |ph: &str| events.iter().filter(|e| e["ph"] == ph).collect::<Vec<_>>();
        assert_eq!(phase("X").len(), 2);
        assert_eq!(phase("b").len(), 4);
        assert_eq!(phase("e").len(), 4);
        assert_eq!(phase("X")[0]["name"], "painting #1 coat 1");
        assert_eq!(phase("X")[0]["dur"], 400_000.0);
        let names: Vec<&str> = phase("M").iter().filter_map(|e| e["args"]["name"].as_str()).collect();
        assert!(names.contains(&"painter-0 (core 0)"), "{names:?}");
        // Overlapping waits keep apart by their ids.
        let ids: std::collections::BTreeSet<u64> = phase("b").iter().filter_map(|e| e["id"].as_u64()).collect();
        assert_eq!(ids.len(), 4);
        // Time order.
        let ts: Vec<f64> = events.iter().filter_map(|e| e["ts"].as_f64()).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn pids_are_real_and_a_lanes_waits_share_one_name() {
        let run = sample_run();
        let trace: Value = serde_json::from_str(&render(std::slice::from_ref(&run))).expect("JSON");
        let events = events(&trace);
        for event in events.iter().filter(|e| e["ph"] == "X" || e["ph"] == "b") {
            assert_eq!(event["pid"], run.painters[0].pid, "{event}");
        }
        let waits: Vec<&Value> = events.iter().filter(|e| e["ph"] == "b").collect();
        assert!(waits.iter().all(|w| w["name"] == "drying"), "{waits:?}");
        let paintings: Vec<u64> = waits.iter().filter_map(|w| w["args"]["painting"].as_u64()).collect();
        assert_eq!(paintings, [1, 1, 2, 2]);
        let coordinator = events.iter().find(|e| e["name"] == "process_name" && e["args"]["name"] == "coordinator");
        assert_eq!(coordinator.expect("a coordinator")["pid"], std::process::id());
    }

    #[test]
    fn thread_states_are_slices_on_a_track_per_lane_and_each_core_a_cpu_track() {
        let run = crate::report::sample::three_taking_turns();
        let trace: Value = serde_json::from_str(&render(std::slice::from_ref(&run))).expect("JSON");
        let events = events(&trace);
        let states: Vec<&Value> = events.iter().filter(|e| e["cat"] == "state").collect();
        assert_eq!(states.len(), 270, "90 slices of 3 painters");
        let running = states.iter().filter(|e| e["args"]["state"] == "running").count();
        assert_eq!(running, 90);
        assert!(states.iter().all(|e| e["tid"].as_u64() == e["pid"].as_u64().map(|p| p + u64::from(STATES_TID))));
        let names: Vec<&str> =
            events.iter().filter(|e| e["ph"] == "M").filter_map(|e| e["args"]["name"].as_str()).collect();
        assert!(names.contains(&"cores") && names.contains(&"CPU 0") && names.contains(&"states · painting (core 0)"));
        let on_core: Vec<&Value> = events.iter().filter(|e| e["cat"] == "core").collect();
        assert_eq!(on_core.len(), 90, "a slice per turn, idle left empty");
        assert_eq!(on_core[1]["name"], "painter-1 · painting #2");
        assert!(on_core.iter().all(|e| e["pid"] == CORES_PID && e["tid"] == 0));
        let ts: Vec<f64> = events.iter().filter_map(|e| e["ts"].as_f64()).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "time order");
    }

    #[test]
    fn a_compare_names_each_mode_and_gives_the_coordinator_a_counter_per_mode() {
        let mut second = sample_run();
        second.mode = crate::mode::Mode::Sequential;
        second.painters[0].pid = 4343;
        second.coordinator_cpu_samples = second.painters[0].cpu_samples.clone();
        let mut first = sample_run();
        first.coordinator_cpu_samples = first.painters[0].cpu_samples.clone();
        let trace: Value = serde_json::from_str(&render(&[second, first])).expect("JSON");
        let events = events(&trace);
        let names: Vec<&str> =
            events.iter().filter(|e| e["name"] == "process_name").filter_map(|e| e["args"]["name"].as_str()).collect();
        assert!(names.contains(&"sequential · painter-0 (core 0)") && names.contains(&"async · painter-0 (core 0)"));
        let counters: std::collections::BTreeSet<&str> = events
            .iter()
            .filter(|e| e["ph"] == "C" && e["pid"] == std::process::id())
            .filter_map(|e| e["name"].as_str())
            .collect();
        assert_eq!(counters.into_iter().collect::<Vec<_>>(), ["cpu · async", "cpu · sequential"]);
    }
}
