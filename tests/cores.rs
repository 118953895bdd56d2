//! Seeing the cores: painters sharing a core are shown taking turns on it,
//! and a busy loop on a painter's core is named, with its pid, as the one
//! that held it while the painter waited.

use std::process::{Child, Command};

use serde_json::Value;

use crate::support::{Finished, args, needs_cores, out_dir, run, serial};

/// A painter's paint segments, as (start, end) in seconds.
fn paints(report: &Value, painter: &Value) -> Vec<(f64, f64)> {
    let id = painter["id"].as_u64();
    report["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["painter"].as_u64() == id && s["kind"] == "paint")
        .filter_map(|s| Some((s["start_s"].as_f64()?, s["end_s"].as_f64()?)))
        .collect()
}

/// Seconds a painter spent in `state` within its paintings' spans, and
/// the length of those spans.
fn in_paintings(report: &Value, painter: &Value, state: &str) -> (f64, f64) {
    let spans = paints(report, painter);
    let length: f64 = spans.iter().map(|(a, b)| b - a).sum();
    let time: f64 = painter["states"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["state"] == state)
        .filter_map(|s| Some((s["start_s"].as_f64()?, s["end_s"].as_f64()?)))
        .map(|(a, b)| spans.iter().map(|&(from, to)| (b.min(to) - a.max(from)).max(0.0)).sum::<f64>())
        .sum();
    (time, length)
}

/// Seconds within a painter's paintings that another program held `core`.
fn held_by_others(report: &Value, painter: &Value, core: &Value) -> f64 {
    let paints = paints(report, painter);
    core["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["who"] == "other")
        .filter_map(|s| Some((s["start_s"].as_f64()?, s["end_s"].as_f64()?)))
        .map(|(a, b)| paints.iter().map(|&(from, to)| (b.min(to) - a.max(from)).max(0.0)).sum::<f64>())
        .sum()
}

/// The run's report, failing with the command's output when it is not there.
fn report(finished: &Finished) -> Value {
    let report = finished.json();
    if report["cores"].as_array().is_none_or(Vec::is_empty) || report["state_source"].is_null() {
        finished.fail("the report has no cores or no state source: did the painters send their states?");
    }
    report
}

#[test]
fn three_painters_on_one_core_take_turns_and_are_never_said_to_paint_at_the_same_time() {
    let _serial = serial();
    let out = out_dir("cores-turns");
    let line = "run --mode parallel --painters 3 --pin 0 --paintings 3 --paint 300ms --dry 0ms --json";
    let finished = run(&args(line, &out));
    let report = report(&finished);
    let core0 = report["cores"].as_array().into_iter().flatten().find(|c| c["core"] == 0);
    let Some(core0) = core0 else { finished.fail("no lane for core 0") };
    // Of the time the three had core 0 among them, each ran about a third:
    // what another program held of it (a busy machine's, or a busy loop
    // beside the tests) is no painter's turn, and is taken out.
    for painter in report["painters"].as_array().into_iter().flatten() {
        let (running, span) = in_paintings(&report, painter, "running");
        let others = held_by_others(&report, painter, core0);
        let share = running / (span - others).max(f64::EPSILON);
        if !(0.20..=0.45).contains(&share) {
            finished.fail(&format!(
                "painter-{} ran {running:.3}s of the {:.3}s its paintings had core 0 among the painters ({share:.2}), not 20–45%",
                painter["id"],
                span - others
            ));
        }
    }
    for painter in 0..3 {
        let name = format!("painter-{painter}");
        let held = core0["spans"].as_array().into_iter().flatten().any(|s| s["who"] == "painter" && s["name"] == name);
        if !held {
            finished.fail(&format!("core 0's spans do not hold {name}"));
        }
    }
    let explanation = report["explanation"].as_str().unwrap_or_default();
    if explanation.contains("at the same time") || !explanation.contains("took turns") {
        finished.fail("the explanation should say they took turns, and never that they painted at the same time");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// A busy loop pinned to one core, killed and reaped when dropped.
struct BusyLoop(Child);

impl Drop for BusyLoop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_busy_loop_on_a_painters_core_is_named_as_what_held_it_while_the_painter_waited() {
    // The second of the cores this process may use: painter-1's (core 1
    // on most machines).
    let core = needs_cores(2)[1];
    let _serial = serial();
    let out = out_dir("cores-busy-loop");
    // taskset execs sh: the loop's pid is the child's.
    let busy = BusyLoop(
        Command::new("taskset")
            .args(["-c", &core.to_string(), "sh", "-c", "while :; do :; done"])
            .spawn()
            .expect("taskset starts the busy loop"),
    );
    let pid = busy.0.id();
    let line = "run --mode parallel --paintings 2 --paint 300ms --dry 0ms --json";
    let finished = run(&args(line, &out));
    drop(busy);
    let report = report(&finished);
    let on_core = report["painters"].as_array().into_iter().flatten().find(|p| p["core"] == core);
    let Some(painter) = on_core else { finished.fail(&format!("no painter on core {core}")) };
    let (waited, span) = in_paintings(&report, painter, "waiting");
    if waited < 0.3 * span {
        finished
            .fail(&format!("the painter on core {core} waited {waited:.3}s of its painting's {span:.3}s, under 30%"));
    }
    let lane = report["cores"].as_array().into_iter().flatten().find(|c| c["core"] == core);
    let Some(lane) = lane else { finished.fail(&format!("no lane for core {core}")) };
    let named = lane["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["who"] == "other" && s["name"] == "sh" && s["pid"].as_u64() == Some(u64::from(pid)));
    if !named {
        let others: Vec<String> = lane["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["who"] != "painter")
            .map(|s| format!("{} {} {}", s["who"], s["name"], s["pid"]))
            .collect();
        finished.fail(&format!("core {core}'s spans do not name sh, pid {pid}: {others:?}"));
    }
    let _ = std::fs::remove_dir_all(out);
}

/// Guided chunks keep late binding's promise: with a busy loop on one
/// painter's core, a run of many one-stroke paintings handed out in
/// chunks leaves neither painter idle while the other holds a big last
/// chunk. Each painter is busy nearly the whole run, and they finish
/// close together.
///
/// (The run's efficiency against `wall_s - gap.contention_s` says little
/// here: a one-stroke painting saves a picture that takes several times
/// as long as it paints, which the gap counts as `saving_s`, and on a
/// loaded machine much of the rest is other programs'. It is printed
/// when the test fails.)
#[test]
fn with_a_busy_loop_on_one_core_guided_chunks_leave_no_painter_a_big_last_chunk() {
    let core = needs_cores(2)[1];
    let _serial = serial();
    let out = out_dir("cores-guided");
    let busy = BusyLoop(
        Command::new("taskset")
            .args(["-c", &core.to_string(), "sh", "-c", "while :; do :; done"])
            .spawn()
            .expect("taskset starts the busy loop"),
    );
    let line = "run --mode parallel --paintings 1000 --strokes 1 --dry 0ms --json";
    let finished = run(&args(line, &out));
    drop(busy);
    let report = report(&finished);
    if report["chunk_guided"] != true || report["chunk"].as_u64().is_none_or(|chunk| chunk < 2) {
        finished.fail(&format!("not guided chunks: chunk {} guided {}", report["chunk"], report["chunk_guided"]));
    }
    let number = |value: &Value| value.as_f64().unwrap_or(f64::NAN);
    let wall = number(&report["wall_s"]);
    let startup = number(&report["startup_s"]);
    // Per painter: when its last segment ended, and how long its segments lasted.
    let mut ends = [0.0_f64; 2];
    let mut busy_s = [0.0_f64; 2];
    for segment in report["segments"].as_array().into_iter().flatten() {
        let Some(p) = segment["painter"].as_u64().and_then(|p| usize::try_from(p).ok()).filter(|&p| p < 2) else {
            finished.fail(&format!("a segment of no painter 0 or 1: {segment}"));
        };
        ends[p] = ends[p].max(number(&segment["end_s"]));
        busy_s[p] += number(&segment["end_s"]) - number(&segment["start_s"]);
    }
    let gap = &report["gap"];
    let against = wall - number(&gap["contention_s"]);
    let said = format!(
        "wall {wall:.3}s, start-up {startup:.3}s, painters ended at {ends:?}s and were busy {busy_s:?}s; \
         efficiency {:.3} against wall less contention ({against:.3}s); gap {gap}",
        number(&report["ideal_s"]) / against
    );
    // Bounds for a loaded 2-core machine: the two end within a twentieth
    // of the run, and each is busy most of the time it had. (Measured in
    // release beside a busy loop, load 6: guided chunks ended 2-3% apart;
    // fixed chunks of 250, a quarter of the paintings, 7%.)
    let run_s = wall - startup;
    if (ends[0] - ends[1]).abs() > 0.05 * run_s {
        finished.fail(&format!("one painter finished long after the other: {said}"));
    }
    if busy_s.iter().any(|&b| b < 0.75 * run_s) {
        finished.fail(&format!("a painter sat idle for a quarter of the run: {said}"));
    }
    eprintln!("{said}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn refused_the_kernels_switch_records_a_painter_measures_itself_and_the_report_says_so() {
    let _serial = serial();
    let out = out_dir("cores-self-measured");
    // The painter's fault switch makes perf_event_open fail as where it is
    // not allowed (perf_event_paranoid 3, a seccomp profile).
    let line = "run --mode sequential --paintings 2 --paint 200ms --dry 0ms";
    let json_args = args(&format!("{line} --json"), &out);
    let mut command = crate::support::coordinator(&json_args);
    command.env("ATELIER_PAINTER_FAULT", "no-perf");
    let finished = crate::support::finish(crate::support::start(command), &json_args);
    let report = report(&finished);
    if report["state_source"] != "self-measured" {
        finished.fail("the run's state_source should be self-measured");
    }
    let painter = &report["painters"][0];
    let (running, span) = in_paintings(&report, painter, "running");
    if painter["state_source"] != "self-measured" || running <= 0.0 || running > span + 1e-6 {
        finished.fail(&format!("painter-0 measured itself: ran {running:.3}s of {span:.3}s"));
    }
    let text_args = args(line, &out);
    let mut command = crate::support::coordinator(&text_args);
    command.env("ATELIER_PAINTER_FAULT", "no-perf").env("NO_COLOR", "1");
    let finished = crate::support::finish(crate::support::start(command), &text_args);
    if !finished.status.success() || !finished.stdout.contains("self-measured") {
        finished.fail("the text report should say the states were self-measured");
    }
    let _ = std::fs::remove_dir_all(out);
}
