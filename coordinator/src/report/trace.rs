//! The runs as a Chrome trace (`--trace FILE`): the JSON that Perfetto
//! (ui.perfetto.dev) and `chrome://tracing` open, to zoom into a run.
//!
//! Each painter process is a process track, named `painter-K (core C)`,
//! with a thread track per lane. Painting is a complete slice (`"X"`) on
//! its lane: the CPU was busy with one painting. Drying is an async pair
//! (`"b"`/`"e"`) with an id of its own, because waits are not bound to a
//! thread: an async painter's overlapping waits show as overlapping bars,
//! stacked under its process. The CPU use sampled from `/proc` is a counter
//! track (`"C"`) per process, the coordinator's included.
//!
//! Timestamps are microseconds from the run's first job. In a `compare`,
//! every mode starts at 0 and has its own processes, named after the mode
//! and sorted in the order the modes ran: one mode above the other on one
//! time axis, as in the terminal's timelines, so a glance down the screen
//! compares them. Laid end to end on the clock they ran on, the fast modes
//! would be slivers next to the slow ones and the eye would have to
//! subtract start times to compare.

use serde_json::{Value, json};

use crate::report::{RunReport, lanes_are_threads};
use crate::sampler::{CpuSample, EVERY};
use crate::schedule::SegmentKind;

/// Process ids in the trace: room for this many painters per mode.
const PIDS_PER_MODE: usize = 1000;

/// The trace of one or more runs, as the JSON object form of the format.
#[must_use]
pub fn render(runs: &[RunReport]) -> String {
    let mut metadata = Vec::new();
    let mut events = Vec::new();
    let mut next_id = 0u64;
    let compare = runs.len() > 1;
    for (m, run) in runs.iter().enumerate() {
        let prefix = if compare { format!("{} · ", run.mode.name()) } else { String::new() };
        let threads = lanes_are_threads(run);
        let base = (m + 1) * PIDS_PER_MODE;
        for (i, painter) in run.painters.iter().enumerate() {
            let pid = base + i;
            let cores = match painter.cores.as_slice() {
                [] => "unpinned".to_owned(),
                [core] => format!("core {core}"),
                cores => format!("cores {}", cores.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
            };
            let name = format!("{prefix}painter-{} ({cores})", painter.id);
            metadata.extend(process(pid, &name, &format!("pid {}, {}", painter.pid, painter.scheduler)));
            for lane in 0..painter.lanes {
                let core = painter.cores.get(lane as usize).map_or_else(String::new, |c| format!(" (core {c})"));
                let name = if threads { format!("thread-{lane}{core}") } else { format!("painting{core}") };
                metadata
                    .push(json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": lane, "args": {"name": name}}));
            }
            events.extend(counter(pid, &painter.cpu_samples, run.wall_s));
        }
        let coordinator = base + PIDS_PER_MODE - 1;
        let label = format!("wall {:.3} s, ideal {:.3} s", run.wall_s, run.ideal_s);
        metadata.extend(process(coordinator, &format!("{prefix}coordinator"), &label));
        events.extend(counter(coordinator, &run.coordinator_cpu_samples, run.wall_s));

        for segment in &run.segments {
            let pid = base + segment.painter;
            let (n, coat) = (segment.painting, segment.coat + 1);
            let args = json!({"painting": n, "coat": coat});
            let ts = micros(segment.start_s);
            let end = micros(segment.end_s);
            let wait = match segment.kind {
                SegmentKind::Paint => {
                    events.push(json!({
                        "ph": "X", "cat": "paint", "name": format!("painting #{n} coat {coat}"),
                        "pid": pid, "tid": segment.lane, "ts": ts, "dur": end - ts, "args": args,
                    }));
                    continue;
                }
                SegmentKind::FileWait => ("file_wait", format!("disk wait #{n}")),
                SegmentKind::NetWait => ("net_wait", format!("network wait #{n}")),
                SegmentKind::Save => {
                    events.push(json!({
                        "ph": "X", "cat": "save", "name": format!("saving #{n}"),
                        "pid": pid, "tid": segment.lane, "ts": ts, "dur": end - ts, "args": args,
                    }));
                    continue;
                }
            };
            next_id += 1;
            let (cat, name) = wait;
            let common = json!({"cat": cat, "name": name, "id": next_id, "pid": pid, "tid": segment.lane});
            events.push(with(&common, json!({"ph": "b", "ts": ts, "args": args})));
            events.push(with(&common, json!({"ph": "e", "ts": end})));
        }
    }
    // In time order (stable, so a slice that starts as another ends stays
    // after it), which is how a reader of the file expects them.
    events.sort_by(|a, b| a["ts"].as_f64().unwrap_or(0.0).total_cmp(&b["ts"].as_f64().unwrap_or(0.0)));
    metadata.extend(events);
    let trace = json!({"traceEvents": metadata, "displayTimeUnit": "ms"});
    trace.to_string()
}

/// A process's name, label and place in the list.
fn process(pid: usize, name: &str, label: &str) -> [Value; 3] {
    [
        json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}),
        json!({"ph": "M", "name": "process_labels", "pid": pid, "tid": 0, "args": {"labels": label}}),
        json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}}),
    ]
}

/// CPU use as a counter. A sample tells the use since the one before, so
/// its value is set from then; nothing is drawn after the run's end.
fn counter(pid: usize, samples: &[CpuSample], wall_s: f64) -> Vec<Value> {
    let mut previous = samples.first().map_or(0.0, |s| s.t_s - EVERY.as_secs_f64());
    let mut out = Vec::new();
    for sample in samples {
        let from = previous.max(0.0);
        previous = sample.t_s;
        if from >= wall_s {
            break;
        }
        let cores = (sample.cpu * 1000.0).round() / 1000.0;
        out.push(json!({"ph": "C", "name": "cpu", "pid": pid, "tid": 0, "ts": micros(from), "args": {"cores": cores}}));
    }
    out
}

/// Seconds as the trace's microseconds, to the nanosecond.
fn micros(seconds: f64) -> f64 {
    (seconds * 1e9).round() / 1e3
}

/// `base` with the fields of `more` added.
fn with(base: &Value, more: Value) -> Value {
    let mut out = base.clone();
    if let (Some(out), Value::Object(more)) = (out.as_object_mut(), more) {
        out.extend(more);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_run;

    #[test]
    fn every_segment_is_an_event_and_waits_come_in_pairs() {
        let trace: Value = serde_json::from_str(&render(&[sample_run()])).expect("JSON");
        let events = trace["traceEvents"].as_array().expect("traceEvents");
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
    fn a_compare_names_each_mode_and_keeps_their_processes_apart() {
        let mut second = sample_run();
        second.mode = crate::mode::Mode::Sequential;
        let trace: Value = serde_json::from_str(&render(&[second, sample_run()])).expect("JSON");
        let events = trace["traceEvents"].as_array().expect("traceEvents");
        let names: Vec<&str> =
            events.iter().filter(|e| e["name"] == "process_name").filter_map(|e| e["args"]["name"].as_str()).collect();
        assert!(names.contains(&"sequential · painter-0 (core 0)") && names.contains(&"async · painter-0 (core 0)"));
        let pids: std::collections::BTreeSet<u64> =
            events.iter().filter(|e| e["name"] == "process_name").filter_map(|e| e["pid"].as_u64()).collect();
        assert_eq!(pids.len(), 4, "a painter and a coordinator per mode");
    }
}
