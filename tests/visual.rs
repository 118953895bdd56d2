//! What a user looks at besides the report: the `--svg` picture, the
//! `--trace` for Perfetto, and the CPU use sampled from `/proc`, each
//! checked against the run's own JSON.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::{
    Finished, args, coordinator, eventually, f64_of, finish, out_dir, run, serial, start, wait_for_painters,
};

/// The workload every test here runs: small and quick, with drying long
/// enough to overlap in the async modes.
const WORKLOAD: &str = "--paintings 3 --paint 60ms --dry 60ms";

/// One `compare`, with its JSON, its trace and its picture.
pub struct Compared {
    pub report: Value,
    pub trace: Value,
    pub svg: String,
}

/// The `compare` every test here reads, run once for all of them.
pub fn compared() -> &'static Compared {
    static COMPARED: OnceLock<Compared> = OnceLock::new();
    COMPARED.get_or_init(|| {
        let _serial = serial();
        let out = out_dir("visual");
        let (svg, trace) = (out.join("timeline.svg"), out.join("trace.json"));
        let mut line = args(&format!("compare {WORKLOAD} --json"), &out);
        line.extend(["--svg".into(), svg.display().to_string(), "--trace".into(), trace.display().to_string()]);
        let finished = run(&line);
        let report = finished.json();
        let svg = std::fs::read_to_string(&svg).unwrap_or_else(|e| finished.fail(&format!("no --svg file: {e}")));
        let trace = std::fs::read_to_string(&trace).unwrap_or_else(|e| finished.fail(&format!("no --trace file: {e}")));
        let trace =
            serde_json::from_str(&trace).unwrap_or_else(|e| finished.fail(&format!("--trace is not JSON: {e}")));
        let _ = std::fs::remove_dir_all(out);
        Compared { report, trace, svg }
    })
}

/// The runs of the report.
fn runs(report: &Value) -> &Vec<Value> {
    report["runs"].as_array().expect("runs[]")
}

/// A run's segments of one kind.
fn segments<'a>(run: &'a Value, kind: &str) -> Vec<&'a Value> {
    run["segments"].as_array().expect("segments[]").iter().filter(|s| s["kind"] == kind).collect()
}

/// A number as u64.
#[track_caller]
fn int(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| panic!("not a whole number: {value}"))
}

/// The trace's events, and each process's name by pid.
fn trace_events(trace: &Value) -> (&Vec<Value>, HashMap<u64, String>) {
    let events = trace["traceEvents"].as_array().expect("traceEvents[]");
    let names = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| (int(&e["pid"]), e["args"]["name"].as_str().expect("a process name").to_owned()))
        .collect();
    (events, names)
}

#[test]
fn the_trace_has_a_slice_for_every_painting_on_its_painters_track() {
    let Compared { report, trace, .. } = compared();
    assert_eq!(trace["displayTimeUnit"], "ms");
    let (events, names) = trace_events(trace);
    for run in runs(report) {
        let mode = run["mode"].as_str().expect("mode");
        let painters = run["painters"].as_array().expect("painters[]");
        let paints = segments(run, "paint");
        assert_eq!(paints.len(), 3, "{mode}: one coat of each of 3 paintings");
        for segment in paints {
            let painter = &painters[usize::try_from(int(&segment["painter"])).expect("an index")];
            let core = int(&painter["core"]);
            let track = format!("{mode} · painter-{} (core", painter["id"]);
            let name = format!("painting #{} coat {}", segment["painting"], int(&segment["coat"]));
            let slice = events.iter().find(|e| {
                e["ph"] == "X"
                    && e["name"] == name.as_str()
                    && names.get(&int(&e["pid"])).is_some_and(|n| n.starts_with(&track))
            });
            let slice = slice.unwrap_or_else(|| panic!("{mode}: no slice `{name}` on a track `{track} …`"));
            // The painter's real pid; its lanes are threads numbered from it.
            assert_eq!(slice["pid"], painter["pid"], "{mode}: {name} under the painter's pid");
            assert_eq!(
                int(&slice["tid"]),
                int(&painter["pid"]) + int(&segment["thread"]),
                "{mode}: {name} on its lane"
            );
            assert!(names[&int(&slice["pid"])].contains(&format!("core {core}")) || painter["threads"] != 1);
            let ts = f64_of(slice, "ts");
            assert!((ts - f64_of(segment, "start_s") * 1e6).abs() < 1.0, "{mode}: {name} starts at {ts} µs");
        }
    }
}

#[test]
fn every_wait_in_the_trace_begins_and_ends() {
    let Compared { report, trace, .. } = compared();
    let (events, names) = trace_events(trace);
    let mut pairs: BTreeMap<u64, (Vec<&Value>, Vec<&Value>)> = BTreeMap::new();
    for event in events {
        match event["ph"].as_str() {
            Some("b") => pairs.entry(int(&event["id"])).or_default().0.push(event),
            Some("e") => pairs.entry(int(&event["id"])).or_default().1.push(event),
            _ => {}
        }
    }
    let waits: usize =
        runs(report).iter().map(|r| segments(r, "file_wait").len() + segments(r, "net_wait").len()).sum();
    assert_eq!(pairs.len(), waits, "an id per wait");
    for (id, (begins, ends)) in &pairs {
        assert_eq!((begins.len(), ends.len()), (1, 1), "wait {id}: one begin and one end");
        let (b, e) = (begins[0], ends[0]);
        assert_eq!((&b["name"], &b["cat"], &b["pid"]), (&e["name"], &e["cat"], &e["pid"]), "wait {id}");
        assert!(f64_of(b, "ts") <= f64_of(e, "ts"), "wait {id} ends after it begins");
        // One track per lane: the name says whose waits, the arguments which.
        let name = b["name"].as_str().expect("name");
        assert!(name == "drying" || name.starts_with("drying · thread-"), "{name}");
        assert!(b["args"]["painting"].as_u64().is_some() && b["args"]["coat"].as_u64().is_some(), "{b}");
        assert!(names.contains_key(&int(&b["pid"])), "wait {id} on a named process");
    }
    // Each mode's drying, wait by wait.
    for run in runs(report) {
        let mode = run["mode"].as_str().expect("mode");
        for (kind, cat) in [("file_wait", "file_wait"), ("net_wait", "net_wait")] {
            let in_trace = pairs
                .values()
                .filter(|(b, _)| b[0]["cat"] == cat)
                .filter(|(b, _)| names[&int(&b[0]["pid"])].starts_with(&format!("{mode} · ")))
                .count();
            assert_eq!(in_trace, segments(run, kind).len(), "{mode}: every {kind}");
        }
    }
}

#[test]
fn trace_timestamps_run_forward_within_the_run() {
    let Compared { report, trace, .. } = compared();
    let (events, names) = trace_events(trace);
    let wall_us: HashMap<&str, f64> =
        runs(report).iter().map(|r| (r["mode"].as_str().expect("mode"), f64_of(r, "wall_s") * 1e6)).collect();
    let mut last: HashMap<(u64, u64), f64> = HashMap::new();
    for event in events.iter().filter(|e| e["ph"] != "M") {
        let pid = int(&event["pid"]);
        // A painter's process is named after its mode; the coordinator's
        // counters are, one per mode.
        let mode = if names[&pid] == "coordinator" {
            event["name"].as_str().and_then(|n| n.strip_prefix("cpu · ")).expect("a counter per mode")
        } else {
            names[&pid].split(" · ").next().expect("a mode")
        };
        let ts = f64_of(event, "ts");
        let end = ts + event["dur"].as_f64().unwrap_or(0.0);
        assert!(ts >= 0.0 && end <= wall_us[mode] + 1.0, "{event} outside 0..{} µs", wall_us[mode]);
        let track = (pid, int(&event["tid"]));
        let before = last.insert(track, ts).unwrap_or(0.0);
        assert!(ts >= before, "{event} before {before} µs on its track");
    }
}

#[test]
fn the_svg_is_xml_with_a_block_for_every_paint_and_wait() {
    let Compared { report, svg, .. } = compared();
    let document = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("--svg is not XML: {e}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    // A 16:9 slide: 1600 × 900, or wider (and as much taller) where the
    // panels need the room, text at its size.
    let size = |name: &str| root.attribute(name).and_then(|v| v.parse::<f64>().ok()).expect("a size");
    let (width, height) = (size("width"), size("height"));
    assert!(width >= 1600.0 && (width / height - 16.0 / 9.0).abs() < 0.01, "{width} × {height}");
    for label in root.descendants().filter(|n| n.has_tag_name("text")) {
        let px = label.attribute("font-size").map_or(13.0, |v| v.parse().expect("a size"));
        assert!(px >= 12.0, "a label of {px} px: {:?}", label.text());
    }
    for run in runs(report) {
        let mode = run["mode"].as_str().expect("mode");
        let panel = root
            .descendants()
            .find(|n| n.tag_name().name() == "g" && n.attribute("id") == Some(mode))
            .unwrap_or_else(|| panic!("no panel for {mode}"));
        let count = |class: &str| panel.descendants().filter(|n| n.attribute("class") == Some(class)).count();
        for (class, kind) in [("paint", "paint"), ("file-wait", "file_wait"), ("net-wait", "net_wait")] {
            assert_eq!(count(class), segments(run, kind).len(), "{mode}: a `{class}` block per {kind} segment");
        }
        let sampled = run["painters"]
            .as_array()
            .expect("painters[]")
            .iter()
            .filter(|p| p["cpu_samples"] != Value::Array(Vec::new()))
            .count();
        assert_eq!(count("cpu"), sampled, "{mode}: a CPU line per sampled painter");
        let text: String = panel.descendants().filter_map(|n| n.text()).collect();
        assert!(text.contains("measured") && text.contains("ideal"), "{mode}: both ends are marked");
    }
}

#[test]
fn every_timeline_marks_every_picture_saved() {
    // The picture and the trace: a mark per save segment of the JSON.
    let Compared { report, trace, svg } = compared();
    let document = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("--svg is not XML: {e}"));
    let (events, _) = trace_events(trace);
    for run in runs(report) {
        let mode = run["mode"].as_str().expect("mode");
        let saves = segments(run, "save");
        assert!(saves.len() >= 3, "{mode}: each of 3 pictures saved");
        let panel = document
            .descendants()
            .find(|n| n.tag_name().name() == "g" && n.attribute("id") == Some(mode))
            .unwrap_or_else(|| panic!("no panel for {mode}"));
        let marks = panel.descendants().filter(|n| n.attribute("class") == Some("save")).count();
        assert_eq!(marks, saves.len(), "{mode}: a `save` mark per save segment in the picture");
        let pids: Vec<&Value> = run["painters"].as_array().expect("painters[]").iter().map(|p| &p["pid"]).collect();
        let slices = events.iter().filter(|e| e["cat"] == "save" && pids.contains(&&e["pid"])).count();
        assert_eq!(slices, saves.len(), "{mode}: a `save` slice per save segment in the trace");
    }
    // The terminal: the mark on the painter's lane, and the legend that says it.
    let _serial = serial();
    let out = out_dir("save-mark");
    let finished = run(&args(&format!("run --mode sequential {WORKLOAD}"), &out));
    if !finished.status.success() {
        finished.fail("the run failed");
    }
    let lane = finished.stdout.lines().find(|l| l.trim_start().starts_with("painter-0@"));
    let lane = lane.unwrap_or_else(|| finished.fail("no lane `painter-0@…`"));
    assert!(lane.contains('▪'), "a saving mark on the lane: {lane}");
    finished.check(finished.stdout.contains("▪ saving the picture"), "the legend should name the saving mark");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_painting_its_painter_never_finished_is_marked_where_it_began_in_every_timeline() {
    let _serial = serial();
    let out = out_dir("unfinished");
    let (svg, trace) = (out.join("timeline.svg"), out.join("trace.json"));
    let mut line = args("run --mode sequential --paintings 1 --paint 1500ms --dry 0ms", &out);
    line.extend(["--svg".into(), svg.display().to_string(), "--trace".into(), trace.display().to_string()]);
    let child = start(coordinator(&line));
    // The mode's folder appears after calibration, just before its painter starts.
    assert!(eventually(Duration::from_secs(20), || out.join("sequential").is_dir()), "the run never started");
    std::thread::sleep(Duration::from_millis(50));
    let victim = wait_for_painters(child.id(), 1)[0];
    std::thread::sleep(Duration::from_millis(500));
    let pid = i32::try_from(victim).expect("a pid");
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill the painter");
    let finished = finish(child, &line);
    if !finished.status.success() {
        finished.fail("the run did not recover from the painter's death");
    }
    // The terminal: the killed painter's lane holds the mark, and the legend says it.
    let lane = finished.stdout.lines().find(|l| l.trim_start().starts_with("painter-0@"));
    let lane = lane.unwrap_or_else(|| finished.fail("no lane `painter-0@…`"));
    assert!(lane.contains('✗'), "the killed painter's lane marks painting #1 begun: {lane}");
    finished.check(finished.stdout.contains("✗ begun, never finished"), "the legend should name the unfinished mark");
    // The picture: one mark on a lane, with its tooltip.
    let svg = std::fs::read_to_string(&svg).unwrap_or_else(|e| finished.fail(&format!("no --svg file: {e}")));
    let document = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("--svg is not XML: {e}"));
    let marks: Vec<_> = document.descendants().filter(|n| n.attribute("class") == Some("unfinished")).collect();
    assert_eq!(marks.len(), 1, "one mark for painting #1");
    let tip: String = marks[0].descendants().filter_map(|n| n.text()).collect();
    assert!(tip.contains("never finished: painting 1, coat 1"), "{tip}");
    // The trace: an instant on the killed painter's lane.
    let trace = std::fs::read_to_string(&trace).unwrap_or_else(|e| finished.fail(&format!("no --trace file: {e}")));
    let trace: Value = serde_json::from_str(&trace).unwrap_or_else(|e| finished.fail(&format!("not JSON: {e}")));
    let (events, _) = trace_events(&trace);
    let instants: Vec<&Value> = events.iter().filter(|e| e["cat"] == "unfinished").collect();
    assert_eq!(instants.len(), 1, "{instants:?}");
    assert_eq!((&instants[0]["ph"], int(&instants[0]["pid"])), (&Value::from("i"), u64::from(victim)));
    assert_eq!(instants[0]["name"], "painting #1 coat 1: never finished");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn every_painter_is_sampled_and_uses_at_most_its_cores() {
    let Compared { report, .. } = compared();
    for run in runs(report) {
        let mode = run["mode"].as_str().expect("mode");
        for painter in run["painters"].as_array().expect("painters[]") {
            let samples = painter["cpu_samples"].as_array().expect("cpu_samples[]");
            assert!(!samples.is_empty(), "{mode}: painter {} was sampled", painter["id"]);
            let lanes = f64_of(painter, "threads");
            let mut last = 0.0;
            for sample in samples {
                let (t, cpu) = (f64_of(sample, "t_s"), f64_of(sample, "cpu"));
                assert!(t > last, "{mode}: samples in time order");
                last = t;
                // The kernel counts 10 ms ticks: a 50 ms look can read a tick over.
                assert!((0.0..=lanes * 1.2 + 0.25).contains(&cpu), "{mode}: {cpu} cores used by {lanes} lanes");
            }
        }
        assert!(f64_of(run, "coordinator_cpu_s") >= 0.0);
        assert!(run["coordinator_cpu_samples"].is_array());
    }
}

#[test]
fn the_report_shows_each_painters_cpu_use() {
    let _serial = serial();
    let out = out_dir("sparkline");
    let finished = run(&args(&format!("run --mode parallel --painters 2 {WORKLOAD}"), &out));
    if !finished.status.success() {
        finished.fail("the run failed");
    }
    for painter in ["cpu p0 │", "cpu p1 │"] {
        let line = finished.stdout.lines().find(|l| l.contains(painter));
        let line = line.unwrap_or_else(|| finished.fail(&format!("no `{painter}` line")));
        assert!(line.trim_end().ends_with('%'), "{line}");
        assert!(line.chars().any(|c| ('▁'..='█').contains(&c)), "{line}");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// Expects a reported failure; returns the whole of stderr.
#[track_caller]
fn refused(finished: &Finished) -> &str {
    if finished.status.success() || finished.status.code().is_none() {
        finished.fail("expected a reported failure");
    }
    let lines: Vec<&str> = finished.stderr.lines().collect();
    if lines.len() != 1 || !lines[0].starts_with("error:") {
        finished.fail("expected one line `error: …`");
    }
    &finished.stderr
}

#[test]
fn a_picture_in_a_missing_folder_is_refused_before_the_run() {
    let out = out_dir("svg-folder");
    let mut line = args(&format!("run --mode sequential {WORKLOAD}"), &out);
    line.extend(["--svg".into(), out.join("no/such/folder.svg").display().to_string()]);
    let finished = run(&line);
    let error = refused(&finished);
    assert!(error.contains("--svg") && error.contains("no/such"), "{error}");
    assert!(!out.join("sequential").exists(), "nothing was painted");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_trace_that_cannot_be_written_is_refused_before_anything_is_painted() {
    let _serial = serial();
    let out = out_dir("trace-unwritable");
    // /proc exists, and no file can be made in it, not even by root.
    let mut line = args(&format!("run --mode sequential {WORKLOAD}"), &out);
    line.extend(["--trace".into(), "/proc/atelier-trace.json".into()]);
    let finished = run(&line);
    let error = refused(&finished);
    assert!(error.contains("--trace /proc/atelier-trace.json"), "{error}");
    assert!(!out.join("sequential").exists(), "nothing was painted");
    let _ = std::fs::remove_dir_all(out);
}
