//! Faults: a painter that dies, hangs, garbles its output or leaves
//! children behind; signals to the coordinator; an output folder that
//! vanishes. In every case the run says what happened, no painting is lost
//! without being named, and no process outlives the run.
//!
//! Painters are made to misbehave with the painter's test-only fault switch
//! (`ATELIER_PAINTER_FAULT`, see `painter/src/fault.rs`), or with real
//! signals from outside.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::{Finished, alive, args, coordinator, finish, out_dir, serial, start, wait_for_painters};

fn pid_of(pid: u32) -> Pid {
    Pid::from_raw(i32::try_from(pid).expect("pid"))
}

/// Runs `coordinator line… --json` with painter 0 armed with `fault`.
fn with_fault(fault: &str, line: &str, out: &Path) -> Finished {
    let args = args(&format!("{line} --json"), out);
    let mut command = coordinator(&args);
    command.env("ATELIER_PAINTER_FAULT", fault);
    finish(start(command), &args)
}

/// The JSON report of a finished run, whatever its exit status.
fn report(finished: &Finished) -> Value {
    serde_json::from_str(&finished.stdout).unwrap_or_else(|e| finished.fail(&format!("stdout is not JSON: {e}")))
}

/// Every painter the report names has gone, and the folder holds no
/// temporary file: only whole paintings.
#[track_caller]
fn nothing_left_behind(report: &Value, folder: &Path) {
    for painter in report["painters"].as_array().expect("painters[]") {
        let pid = u32::try_from(painter["pid"].as_u64().expect("pid")).expect("pid");
        assert!(!alive(pid), "painter {pid} outlived the run: {painter}");
    }
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "a temporary file was left in {}: {name}", folder.display());
        let bytes = std::fs::read(entry.path()).expect("read a painting");
        assert!(bytes.starts_with(b"\x89PNG") && bytes.ends_with(b"IEND\xae\x42\x60\x82"), "{name} is not a whole PNG");
    }
}

/// Ids of the finished paintings in a report.
fn finished_ids(report: &Value) -> Vec<u64> {
    report["paintings"].as_array().expect("paintings[]").iter().map(|p| p["id"].as_u64().expect("id")).collect()
}

/// The one failure a run reports, checked to name painter 0 and to have
/// handed its painting out again; the run still finished every painting.
#[track_caller]
fn recovered(finished: &Finished, paintings: u64, expect: &[&str]) -> Value {
    if !finished.status.success() {
        finished.fail("the run did not recover from the painter's failure");
    }
    let report = report(finished);
    assert_eq!(finished_ids(&report), (1..=paintings).collect::<Vec<_>>(), "{report}");
    let failures = report["failures"].as_array().expect("failures[]");
    assert_eq!(failures.len(), 1, "{report}");
    let what = failures[0]["what"].as_str().expect("what");
    assert!(what.starts_with("painter-0 (pid "), "{what}");
    for text in expect {
        assert!(what.contains(text), "expected {text:?} in: {what}");
    }
    assert_eq!(failures[0]["held"], failures[0]["retried"], "{report}");
    assert!(report["lost"].as_array().expect("lost[]").is_empty(), "{report}");
    report
}

/// A run in which painter 0 fails as `fault` on its first painting.
fn fault_is_survived(name: &str, fault: &str, expect: &[&str]) -> Value {
    let _serial = serial();
    let out = out_dir(name);
    let line = "run --mode parallel --painters 2 --paintings 3 --paint 80ms --dry 40ms --timeout 1s";
    let finished = with_fault(fault, line, &out);
    let report = recovered(&finished, 3, expect);
    nothing_left_behind(&report, &out.join("parallel"));
    let _ = std::fs::remove_dir_all(out);
    report
}

/// Waits until the run's painters — not the calibrating painter that comes
/// and goes before them — are running, and returns them. The mode's output
/// folder appears after calibration, just before its painters start.
fn wait_for_run(coordinator: u32, out: &Path, line: &str, count: usize) -> Vec<u32> {
    let mode = ["sequential", "async", "parallel", "hybrid", "threads"]
        .into_iter()
        .find(|mode| line.contains(mode))
        .expect("a mode in the command line");
    let started = crate::support::eventually(Duration::from_secs(20), || out.join(mode).is_dir());
    assert!(started, "the {mode} run never started");
    std::thread::sleep(Duration::from_millis(50));
    wait_for_painters(coordinator, count)
}

// 1. Killed painters.

/// SIGKILLs the first painter of `line` once it has run for `after`, and
/// returns the run and the victim's pid.
fn kill_a_painter(line: &str, out: &Path, after: Duration) -> (Finished, u32, Duration) {
    let args = args(&format!("{line} --json"), out);
    let child = start(coordinator(&args));
    let painters = wait_for_run(child.id(), out, line, 1);
    std::thread::sleep(after);
    let victim = painters[0];
    kill(pid_of(victim), Signal::SIGKILL).expect("kill the painter");
    let killed = Instant::now();
    let finished = finish(child, &args);
    (finished, victim, killed.elapsed())
}

#[test]
fn a_painter_killed_mid_painting_is_replaced_and_its_painting_painted_again() {
    let _serial = serial();
    let out = out_dir("killed-painting");
    let line = "run --mode sequential --paintings 2 --paint 1500ms --dry 0ms";
    let (finished, victim, after_kill) = kill_a_painter(line, &out, Duration::from_millis(500));
    let report = recovered(&finished, 2, &[&format!("pid {victim})"), "SIGKILL", "holding paintings #1"]);
    // Noticed at once: the rest of the run is painting #1 again and #2, 3 s
    // of CPU work, plus the time the replacement waited for its core while
    // other programs held it (the kernel's count), plus a generous margin.
    let painters = report["painters"].as_array().expect("painters[]");
    let waited: f64 = painters.iter().filter_map(|p| p["run_delay_s"].as_f64()).sum();
    assert!(
        after_kill < Duration::from_secs_f64(3.0 + waited + 3.0),
        "the run went on for {after_kill:?} after the kill, {waited:.2} s of it waiting for a CPU"
    );
    assert_eq!(painters.len(), 2, "the killed painter and its replacement: {report}");
    assert_eq!(painters[0]["exit"]["signal"], 9, "{report}");
    assert_eq!(painters[0]["exit"]["description"], "was killed by SIGKILL", "{report}");
    assert_eq!(painters[1]["core"], painters[0]["core"], "the replacement works on the same core: {report}");
    assert_eq!(report["paintings"][0]["painter"], painters[1]["id"], "{report}");
    nothing_left_behind(&report, &out.join("sequential"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_painter_killed_while_its_painting_dries_is_replaced() {
    let _serial = serial();
    let out = out_dir("killed-drying");
    let line = "run --mode async --paintings 2 --paint 50ms --dry 3s";
    let (finished, victim, _) = kill_a_painter(line, &out, Duration::from_millis(800));
    let report = recovered(&finished, 2, &[&format!("pid {victim})"), "SIGKILL", "holding paintings #1, #2"]);
    nothing_left_behind(&report, &out.join("async"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn an_idle_painter_killed_between_jobs_costs_no_painting() {
    let _serial = serial();
    let out = out_dir("killed-idle");
    // Two painters, one painting: painter 1 has nothing to do.
    let args = args("run --mode parallel --painters 2 --paintings 1 --paint 1500ms --dry 0ms --json", &out);
    let child = start(coordinator(&args));
    let painters = wait_for_run(child.id(), &out, "parallel", 2);
    std::thread::sleep(Duration::from_millis(300));
    let idle = *painters.iter().max().expect("two painters");
    kill(pid_of(idle), Signal::SIGKILL).expect("kill the idle painter");
    let finished = finish(child, &args);
    let report = report(&finished);
    finished.succeeded();
    assert_eq!(finished_ids(&report), vec![1]);
    let what = report["failures"][0]["what"].as_str().expect("a failure");
    assert!(what.contains(&format!("pid {idle})")) && what.contains("holding paintings none"), "{what}");
    nothing_left_behind(&report, &out.join("parallel"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn without_retries_the_paintings_of_a_failed_painter_are_reported_lost() {
    let _serial = serial();
    let out = out_dir("no-retries");
    let line = "run --mode sequential --paintings 3 --paint 30ms --dry 0ms --retries 0";
    let finished = with_fault("exit", line, &out);
    finished.exited(1);
    let report = report(&finished);
    assert_eq!(finished_ids(&report), vec![2, 3], "{report}");
    assert_eq!(report["lost"][0]["id"], 1, "{report}");
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(line.contains("lost 1 of 3") && line.contains("finished: #2, #3; unfinished: #1"), "{line}");
    nothing_left_behind(&report, &out.join("sequential"));
    let _ = std::fs::remove_dir_all(out);
}

// 2. Hung painters.

#[test]
fn a_stopped_painter_times_out_and_is_replaced() {
    let _ = fault_is_survived("stopped", "stop", &["did not finish painting #1 within 1s", "SIGTERM"]);
}

#[test]
fn an_endless_painting_times_out_and_is_replaced() {
    let _ = fault_is_survived("endless", "hang", &["did not finish painting #1 within 1s", "SIGTERM"]);
}

// 3. Early exits and panics.

#[test]
fn a_painter_that_hangs_in_a_chunk_times_out_after_one_timeout_not_one_per_painting() {
    let _serial = serial();
    let out = out_dir("chunk-hang");
    // Painter 0 hangs on its first painting, in a chunk of hundreds: the
    // chunk is allowed one --timeout (and its paintings' ideal time, none
    // here), not one per painting.
    let line = "run --mode parallel --painters 2 --paintings 3000 --paint 0ms --dry 0ms --timeout 1s";
    let started = std::time::Instant::now();
    let finished = with_fault("hang", line, &out);
    let report = recovered(&finished, 3000, &["did not finish its chunk of paintings #1–", "SIGTERM"]);
    assert!(report["chunk"].as_u64().is_some_and(|chunk| chunk > 1), "{report}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(out);
}

/// Each painting of a run of `paintings` is named exactly once, as
/// finished or as lost, and the finished ones are returned.
#[track_caller]
fn each_painting_once(finished: &Finished, paintings: u64) -> (Vec<u64>, Vec<u64>) {
    let report = report(finished);
    let done = finished_ids(&report);
    let lost: Vec<u64> =
        report["lost"].as_array().expect("lost[]").iter().map(|l| l["id"].as_u64().expect("id")).collect();
    let mut seen = vec![0_u32; usize::try_from(paintings).expect("paintings") + 1];
    for &id in done.iter().chain(&lost) {
        match seen.get_mut(usize::try_from(id).expect("id")) {
            Some(count) if id > 0 => *count += 1,
            _ => finished.fail(&format!("painting #{id} is not one of the run's")),
        }
    }
    let twice: Vec<usize> = (1..seen.len()).filter(|&id| seen[id] > 1).collect();
    let never: Vec<usize> = (1..seen.len()).filter(|&id| seen[id] == 0).collect();
    if !twice.is_empty() || !never.is_empty() {
        finished.fail(&format!(
            "{} paintings counted twice (first: {:?}), {} neither finished nor lost (first: {:?})",
            twice.len(),
            twice.first(),
            never.len(),
            never.first()
        ));
    }
    (done, lost)
}

/// A run of 1100 one-stroke paintings in chunks of 512, on one painter,
/// with `fault` striking inside the first chunk. Each picture is saved,
/// and the painter says so as it starts saving: a chunk's news comes in
/// many messages, so a painting put back is handed out again while its
/// chunk is still held.
fn chunk_faults(name: &str, fault: &str, extra: &str) -> Finished {
    let _serial = serial();
    let out = out_dir(name);
    let line = format!("run --mode sequential --paintings 1100 --strokes 1 --paint 0ms --dry 0ms --chunk 512 {extra}");
    let finished = with_fault(fault, &line, &out);
    let _ = std::fs::remove_dir_all(out);
    finished
}

#[test]
fn a_painting_that_fails_inside_a_chunk_is_painted_again_and_no_other_is_counted_twice() {
    // Painting #1 is the chunk's first: its retry, handed to the same
    // painter, once replaced the chunk in the dispatcher's books; #100's
    // hid the rest of the chunk.
    let finished = chunk_faults("chunk-fail", "fail@1,fail@100", "--retries 2");
    let (done, lost) = each_painting_once(&finished, 1100);
    if !finished.status.success() || done.len() != 1100 || !lost.is_empty() {
        finished.fail("every painting should have been finished, the two that failed on their second try");
    }
}

#[test]
fn a_painter_that_fails_a_painting_in_a_chunk_then_dies_loses_nothing() {
    let finished = chunk_faults("chunk-fail-exit", "fail@100,exit@300", "--retries 2");
    let (done, lost) = each_painting_once(&finished, 1100);
    if !finished.status.success() || done.len() != 1100 || !lost.is_empty() {
        finished.fail("the replacement painter should have finished what the first one held");
    }
}

#[test]
fn a_painter_that_fails_a_painting_in_a_chunk_then_hangs_is_stopped_and_nothing_is_lost() {
    let started = Instant::now();
    let finished = chunk_faults("chunk-fail-hang", "fail@100,hang@300", "--retries 2 --timeout 5s");
    let (done, lost) = each_painting_once(&finished, 1100);
    if !finished.status.success() || done.len() != 1100 || !lost.is_empty() {
        finished.fail("the hung painter should have been replaced and its paintings painted again");
    }
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn without_retries_a_painting_that_fails_in_a_chunk_is_lost_once_and_the_rest_finished() {
    let finished = chunk_faults("chunk-fail-lost", "fail@100,exit@300", "--retries 0");
    let (done, lost) = each_painting_once(&finished, 1100);
    assert!(lost.contains(&100) && lost.contains(&300), "{lost:?}");
    finished.check(
        done.len() + lost.len() == 1100 && !finished.status.success(),
        "every painting finished or lost, and a non-zero exit status",
    );
}

#[test]
#[ignore = "needs root: mounts a 1 MiB tmpfs"]
fn a_full_disk_inside_a_chunk_leaves_every_painting_finished_or_lost_once() {
    // A real full disk: a 1 MiB tmpfs, which needs root to mount.
    crate::support::needs_root("mounting a tmpfs");
    let _serial = serial();
    let small = out_dir("full-disk");
    std::fs::create_dir_all(&small).expect("make the mount point");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .output()
        .expect("run mount");
    Finished::of(format!("mount -t tmpfs -o size=1m tmpfs {}", small.display()), &mounted).succeeded();
    let out = small.join("o");
    let args = args(
        "run --mode sequential --paintings 1500 --strokes 1 --paint 0ms --dry 0ms --chunk 512 --retries 1 -q --json",
        &out,
    );
    let finished = finish(start(coordinator(&args)), &args);
    let _ = std::process::Command::new("umount").arg(&small).status();
    let _ = std::fs::remove_dir_all(&small);
    let (done, lost) = each_painting_once(&finished, 1500);
    assert!(!lost.is_empty() && !done.is_empty(), "a 1 MiB disk holds some of the paintings, not all");
    finished.check(!finished.status.success(), "a run that lost paintings must not exit 0");
}

#[test]
fn a_painter_that_exits_early_is_reported_with_its_stderr() {
    let _ = fault_is_survived("exits", "exit", &["exited with status 7", "exiting early on purpose"]);
}

#[test]
fn a_painter_that_panics_is_reported_with_its_panic_message() {
    let _ = fault_is_survived("panics", "panic", &["exited with status 101", "went wrong on purpose"]);
}

// 4. Signals to the coordinator.

/// Starts `line` in a process group of its own, as a shell starts a job,
/// and waits until its painters are at work.
fn start_job(
    line: &str,
    out: &Path,
    fault: Option<&str>,
    painters: usize,
) -> (std::process::Child, Vec<String>, Vec<u32>) {
    let args = args(line, out);
    let mut command = coordinator(&args);
    command.process_group(0);
    if let Some(fault) = fault {
        command.env("ATELIER_PAINTER_FAULT", fault);
    }
    let child = start(command);
    let pids = wait_for_run(child.id(), out, line, painters);
    std::thread::sleep(Duration::from_millis(300));
    (child, args, pids)
}

/// What a terminal does on Ctrl-C: the signal to the whole foreground group.
fn to_group(child: &std::process::Child, signal: Signal) {
    killpg(pid_of(child.id()), signal).expect("signal the coordinator's process group");
}

#[test]
fn ctrl_c_to_the_process_group_stops_painters_and_exits_130() {
    let _serial = serial();
    let out = out_dir("ctrl-c-group");
    let (child, args, painters) =
        start_job("run --mode parallel --painters 2 --paintings 4 --paint 3s --dry 0ms", &out, None, 2);
    to_group(&child, Signal::SIGINT);
    let signalled = Instant::now();
    let finished = finish(child, &args);
    finished.exited(130);
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(line.contains("interrupted by SIGINT") && line.contains("unfinished: #1–#4"), "{line}");
    // Asked, then SIGTERM after a moment: well within the grace period.
    assert!(signalled.elapsed() < Duration::from_secs(2), "stopping took {:?}", signalled.elapsed());
    assert!(painters.iter().all(|&p| !alive(p)), "painters {painters:?} outlived the coordinator");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn sigterm_exits_143_and_a_painter_deaf_to_it_is_killed_after_the_grace_period() {
    let _serial = serial();
    let out = out_dir("sigterm");
    let line = "run --mode sequential --paintings 2 --paint 5s --dry 0ms";
    let (child, args, painters) = start_job(line, &out, Some("deaf"), 1);
    to_group(&child, Signal::SIGTERM);
    let signalled = Instant::now();
    let finished = finish(child, &args);
    finished.exited(143);
    // The painter ignores SIGTERM: it goes only when the grace period is over.
    assert!(signalled.elapsed() >= Duration::from_millis(1500), "stopped after {:?}", signalled.elapsed());
    assert!(painters.iter().all(|&p| !alive(p)), "painters {painters:?} outlived the coordinator");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_second_ctrl_c_kills_at_once() {
    let _serial = serial();
    let out = out_dir("ctrl-c-twice");
    let line = "run --mode sequential --paintings 2 --paint 5s --dry 0ms";
    let (child, args, painters) = start_job(line, &out, Some("deaf"), 1);
    to_group(&child, Signal::SIGINT);
    std::thread::sleep(Duration::from_millis(600));
    to_group(&child, Signal::SIGINT);
    let again = Instant::now();
    let finished = finish(child, &args);
    finished.exited(130);
    assert!(again.elapsed() < Duration::from_millis(1000), "the second Ctrl-C took {:?}", again.elapsed());
    assert!(painters.iter().all(|&p| !alive(p)), "painters {painters:?} outlived the coordinator");
    let _ = std::fs::remove_dir_all(out);
}

// 6. Corrupt streams.

#[test]
fn a_frame_length_over_the_limit_is_refused_and_the_painter_replaced() {
    let _ = fault_is_survived("oversize", "oversize", &["bad frame", "over the limit", "SIGTERM"]);
}

#[test]
fn a_truncated_frame_is_reported_and_the_painter_replaced() {
    // The painter writes half a frame and exits: whichever is heard first,
    // the broken frame or the exit, names it.
    let _ = fault_is_survived("truncated", "truncated", &["holding paintings #1"]);
}

#[test]
fn bytes_that_do_not_decode_are_reported_and_the_painter_replaced() {
    let _ = fault_is_survived("garbage", "garbage", &["bad frame", "does not decode", "SIGTERM"]);
}

#[test]
fn a_log_line_on_stdout_is_reported_and_the_painter_replaced() {
    let _ = fault_is_survived("stdout-log", "stdout-log", &["bad frame", "over the limit"]);
}

#[test]
fn a_message_out_of_place_is_reported_and_the_painter_replaced() {
    let _ = fault_is_survived("unknown", "unknown", &["sent Calibrated in the middle of its work"]);
}

#[test]
fn a_painter_of_another_protocol_version_is_refused_by_name() {
    let _serial = serial();
    let out = out_dir("version");
    let finished = with_fault("version", "run --mode sequential --paintings 1 --paint 0ms --dry 0ms", &out);
    finished.exited(1);
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    let (ours, theirs) = (protocol::PROTOCOL_VERSION, protocol::PROTOCOL_VERSION + 98);
    assert!(
        line.contains("painter-0 (pid")
            && line.contains(&format!("version {ours}"))
            && line.contains(&format!("version {theirs}")),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(out);
}

// 7. Output.

#[test]
fn an_output_folder_that_vanishes_mid_run_is_reported_with_what_was_saved() {
    let _serial = serial();
    let out = out_dir("vanishing");
    let args = args("run --mode sequential --paintings 3 --paint 400ms --dry 0ms --json", &out);
    let child = start(coordinator(&args));
    let folder = out.join("sequential");
    let saved = crate::support::eventually(Duration::from_secs(20), || folder.join("painting-001.png").exists());
    assert!(saved, "painting 1 was never saved");
    std::fs::remove_dir_all(&folder).expect("remove the output folder");
    let finished = finish(child, &args);
    finished.exited(1);
    let report = report(&finished);
    assert_eq!(finished_ids(&report), vec![1], "{report}");
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(line.contains("finished: #1; unfinished: #2, #3") && line.contains("sequential"), "{line}");
    let lost = report["lost"][0]["why"].as_str().unwrap_or_default();
    assert!(lost.contains("cannot save") || lost.contains("No such file"), "{lost}");
    let _ = std::fs::remove_dir_all(out);
}

// 8. Pipes.

#[test]
fn a_descendant_holding_the_pipes_does_not_hang_the_run() {
    let report = fault_is_survived("fork", "fork", &["exited with status 8"]);
    // The `sleep 30` the painter left behind went with its process group.
    let sleepers = std::process::Command::new("pgrep").args(["-x", "sleep"]).output();
    if let Ok(output) = sleepers {
        for pid in String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| l.parse::<u32>().ok()) {
            let pgid = nix::unistd::getpgid(Some(pid_of(pid))).map(|p| p.as_raw());
            let painter_group = report["painters"][0]["pid"].as_i64();
            assert!(
                !(alive(pid) && pgid.ok().map(i64::from) == painter_group),
                "the painter's child {pid} outlived it"
            );
        }
    }
}

#[test]
fn a_painter_that_floods_its_stderr_is_not_blocked() {
    let _serial = serial();
    let out = out_dir("flood");
    let finished = with_fault("flood", "run --mode sequential --paintings 2 --paint 50ms --dry 0ms", &out);
    let report = report(&finished);
    finished.succeeded();
    assert_eq!(finished_ids(&report), vec![1, 2]);
    finished.check(finished.stderr.contains("[painter-0] painter: a very talkative painter"), "stderr is forwarded");
    let _ = std::fs::remove_dir_all(out);
}

// 9. Painters that break the protocol: each is stopped, named, replaced,
// and its paintings finished by another.

#[test]
fn a_coat_finished_before_it_started_is_a_breach_of_protocol() {
    let report = fault_is_survived(
        "unstarted",
        "unstarted",
        &["broke the protocol", "PaintFinished of coat 1", "where PaintStarted of coat 1 was due"],
    );
    assert_eq!(report["failures"][0]["kind"], "protocol", "{report}");
}

#[test]
fn a_start_said_again_and_again_cannot_put_off_its_end() {
    let report = fault_is_survived("restart", "restart", &["broke the protocol", "PaintStarted of coat 1"]);
    assert_eq!(report["failures"][0]["kind"], "protocol", "{report}");
}

#[test]
fn a_timestamp_years_away_is_refused() {
    let report = fault_is_survived("time-travel", "time-travel", &["broke the protocol", "after the message arrived"]);
    assert_eq!(report["failures"][0]["kind"], "protocol", "{report}");
}

#[test]
fn states_from_before_the_painter_started_are_refused() {
    let needles = ["broke the protocol", "states of lane 0", "before the painter was started"];
    let report = fault_is_survived("past-states", "past-states", &needles);
    assert_eq!(report["failures"][0]["kind"], "protocol", "{report}");
}

#[test]
fn a_painting_it_was_never_given_is_refused() {
    let report = fault_is_survived("foreign", "foreign", &["broke the protocol", "#99999, which it does not hold"]);
    assert_eq!(report["failures"][0]["kind"], "protocol", "{report}");
}

#[test]
fn a_hello_with_no_lanes_is_refused_by_name_and_nothing_hangs() {
    let _serial = serial();
    let out = out_dir("no-lanes");
    let started = Instant::now();
    let line = "run --mode parallel --painters 2 --paintings 2 --paint 20ms --dry 0ms --timeout 3s";
    let finished = with_fault("no-lanes/1", line, &out);
    finished.exited(1);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(line.contains("painter-1") && line.contains("lanes 0"), "{line}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_calibration_that_is_no_number_is_refused_without_a_panic() {
    let _serial = serial();
    let out = out_dir("huge-stroke");
    let finished = with_fault("huge-stroke", "run --mode sequential --paintings 2 --paint 50ms --dry 0ms", &out);
    finished.exited(1);
    finished.check(!finished.stderr.contains("panicked"), "a panic");
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(line.contains("broke the protocol") && line.contains("1e300"), "{line}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_pid_a_painter_claims_is_never_signalled() {
    let _serial = serial();
    let out = out_dir("claimed-pid");
    // Someone else's process, in a process group of its own.
    let mut victim = std::process::Command::new("sleep").arg("30").process_group(0).spawn().expect("sleep");
    let fault = format!("pid={}", victim.id());
    let line = "run --mode sequential --paintings 2 --paint 3s --dry 0ms";
    let (child, args, painters) = start_job(line, &out, Some(&fault), 1);
    // Stopping the run signals its painters' groups: the ones it started.
    to_group(&child, Signal::SIGINT);
    let finished = finish(child, &args);
    finished.exited(130);
    let claimed = format!("says its pid is {}", victim.id());
    finished.check(finished.stderr.contains(&claimed), &format!("no line {claimed:?}"));
    assert!(painters.iter().all(|&p| !alive(p)), "painters {painters:?} outlived the coordinator");
    assert!(victim.try_wait().expect("wait").is_none(), "the process whose pid a painter claimed was signalled");
    let _ = victim.kill();
    let _ = victim.wait();
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn escape_sequences_from_a_painter_never_reach_the_terminal() {
    let _serial = serial();
    let out = out_dir("escape");
    let finished = with_fault("escape", "run --mode sequential --paintings 2 --paint 20ms --dry 0ms", &out);
    finished.succeeded();
    let sent = finished.stderr.contains('\u{1b}') || finished.stderr.contains('\u{7}');
    finished.check(!sent, "an escape sequence reached the terminal");
    finished.check(
        finished.stderr.contains("\\x1b]0;pwned\\x07\\x1b[31m"),
        "the escape sequences should be shown, not sent",
    );
    let _ = std::fs::remove_dir_all(out);
}

// 10. Where the report goes: nothing the coordinator prints can kill it,
// and no report is lost.

#[test]
fn a_stderr_nobody_reads_drops_lines_and_the_run_goes_on() {
    let _serial = serial();
    let out = out_dir("broken-stderr");
    // `coordinator … 2>&1 | head -1`, with a painter that fails, so that
    // there are warnings to write into the broken pipe.
    let args = args("run --mode parallel --painters 2 --paintings 3 --paint 40ms --dry 0ms --timeout 3s --json", &out);
    let mut command = coordinator(&args);
    command
        .env("ATELIER_PAINTER_FAULT", "exit")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = command.spawn().expect("start");
    drop(child.stderr.take());
    let output = child.wait_with_output().expect("wait");
    let finished = Finished::of(format!("coordinator {} 2>&- (a stderr nobody reads)", args.join(" ")), &output);
    let report = finished.json();
    assert_eq!(finished_ids(&report), vec![1, 2, 3], "{report}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_reader_that_went_away_is_an_error_not_a_silent_success() {
    let _serial = serial();
    let out = out_dir("broken-stdout");
    let args = args("run --mode sequential --paintings 1 --paint 20ms --dry 0ms", &out);
    let mut command = coordinator(&args);
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("start");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let finished = Finished::of(format!("coordinator {} >&- (a stdout nobody reads)", args.join(" ")), &output);
    finished.exited(1);
    finished.check(
        finished.stderr.contains("error: cannot write the report to stdout") && !finished.stderr.contains("panicked"),
        "one line should say the report could not be written, without a panic",
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_stdout_opened_read_write_on_dev_null_is_not_taken_for_a_closed_one() {
    // `1<>/dev/null`, as Python's subprocess.DEVNULL and systemd's
    // StandardOutput=null give it: a place to throw the report away.
    let _serial = serial();
    let out = out_dir("dev-null-stdout");
    let line = format!(
        "exec \"$0\" run --mode sequential --paintings 1 --paint 20ms --dry 0ms --out '{}' 1<>/dev/null",
        out.display()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &line, env!("CARGO_BIN_EXE_coordinator")])
        .env("ATELIER_PAINTER", crate::support::painter_binary())
        .output()
        .expect("sh");
    let finished = Finished::of(format!("sh -c {line:?}"), &output);
    finished.succeeded();
    finished.check(out.join("sequential/painting-001.png").exists(), "nothing was painted");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_closed_stdout_is_refused_before_anything_is_painted() {
    let _serial = serial();
    let out = out_dir("closed-stdout");
    let line =
        format!("exec \"$0\" run --mode sequential --paintings 1 --paint 20ms --dry 0ms --out '{}' >&-", out.display());
    let output = std::process::Command::new("sh")
        .args(["-c", &line, env!("CARGO_BIN_EXE_coordinator")])
        .env("ATELIER_PAINTER", crate::support::painter_binary())
        .output()
        .expect("sh");
    let finished = Finished::of(format!("sh -c {line:?}"), &output);
    finished.exited(1);
    finished.check(finished.stderr.starts_with("error: stdout is closed"), "one line should say stdout is closed");
    finished.check(!out.join("sequential").exists(), "it painted into a closed stdout");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_later_mode_that_cannot_start_keeps_the_reports_of_the_modes_before_it() {
    let _serial = serial();
    let out = out_dir("later-mode");
    // Painter 1 exists only in the modes of two painters: parallel comes third.
    let line = "compare --paintings 2 --paint 20ms --dry 0ms --painters 2 --timeout 3s";
    let finished = with_fault("no-lanes/1", line, &out);
    finished.exited(1);
    let report = report(&finished);
    let modes: Vec<&str> =
        report["runs"].as_array().expect("runs[]").iter().filter_map(|r| r["mode"].as_str()).collect();
    assert_eq!(modes, ["sequential", "async"], "{report}");
    let line = finished.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(line.contains("parallel mode failed") && line.contains("lanes 0"), "{line}");
    let _ = std::fs::remove_dir_all(out);
}

// 11. One run per --out, and only its own paintings in it.

#[test]
fn a_second_run_into_the_same_out_is_refused_and_the_first_finishes() {
    let _serial = serial();
    let out = out_dir("locked");
    let first_args = args("run --mode sequential --paintings 2 --paint 1s --dry 0ms --json", &out);
    let first = start(coordinator(&first_args));
    let started = crate::support::eventually(Duration::from_secs(20), || out.join("sequential").is_dir());
    assert!(started, "the first run never started");
    let second = crate::support::run(&args("run --mode sequential --paintings 1 --paint 10ms --dry 0ms", &out));
    second.exited(1);
    let refused = second.stderr.starts_with("error: another run is writing into --out");
    second.check(refused && second.stderr.contains("(coordinator pid "), "the refusal should name the run that writes");
    let first = finish(first, &first_args);
    first.succeeded();
    assert_eq!(finished_ids(&report(&first)), vec![1, 2]);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn paintings_an_earlier_run_left_are_cleared_before_a_mode_runs() {
    let _serial = serial();
    let out = out_dir("cleared");
    std::fs::create_dir_all(out.join("sequential")).expect("a mode folder");
    std::fs::write(out.join("sequential/painting-999.png"), b"an old picture").expect("an old painting");
    let finished = crate::support::run(&args("run --mode sequential --paintings 1 --paint 10ms --dry 0ms", &out));
    finished.succeeded();
    assert!(!out.join("sequential/painting-999.png").exists(), "the old painting is still there");
    assert!(out.join("sequential/painting-001.png").exists(), "this run's painting is missing");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn an_out_folder_whose_name_is_not_utf8_works_with_json() {
    use std::os::unix::ffi::OsStringExt;
    let _serial = serial();
    let base = out_dir("not-utf8");
    let out = base.join(std::ffi::OsString::from_vec(b"caf\xe9".to_vec()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coordinator"))
        .args(["run", "--mode", "sequential", "--paintings", "2", "--paint", "10ms", "--dry", "0ms", "--json", "--out"])
        .arg(&out)
        .env("ATELIER_PAINTER", crate::support::painter_binary())
        .output()
        .expect("run");
    let command = "coordinator run --mode sequential --paintings 2 --paint 10ms --dry 0ms --json --out";
    let finished = Finished::of(format!("{command} {}", out.display()), &output);
    let report = finished.json();
    assert_eq!(finished_ids(&report), vec![1, 2], "{report}");
    assert!(report["workload"]["out"].as_str().is_some_and(|o| o.ends_with("caf\u{fffd}")), "{report}");
    assert!(out.join("sequential/painting-002.png").exists());
    let _ = std::fs::remove_dir_all(base);
}
