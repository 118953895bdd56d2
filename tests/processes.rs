//! Real processes: pinned, named, and gone when the run is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::prctl;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::support::{
    alive, allowed_cores, args, comm, coordinator, cpus_allowed, eventually, finish, finish_watching, out_dir,
    painter_children, serial, start, wait_for_painters,
};

fn signal(pid: u32, signal: Signal) {
    kill(Pid::from_raw(i32::try_from(pid).expect("pid")), signal).expect("signal the coordinator");
}

#[test]
fn painters_are_pinned_named_and_reaped() {
    let cores = allowed_cores();
    let _serial = serial();
    let out = out_dir("pinned");
    let painters = cores.len().min(2);
    // --timeout: the one derived from the ideal (11 s for these 1.5 s coats)
    // is for painters that hang; on a loaded machine (beside a busy core, two
    // builds) a coat here took longer, and healthy painters were stopped.
    let line = format!("run --mode parallel --paintings {painters} --paint 1500ms --dry 0ms --timeout 120s --json");
    let args = args(&line, &out);
    let child = start(coordinator(&args));
    let parent = child.id();

    // While it runs, note every painter process: its name and its cores.
    // (The calibrating painter comes and goes first; it is noted too, and
    // simply not looked up below.)
    // Its output is drained meanwhile: the JSON report, with every
    // painter's thread states, may be larger than a pipe holds (38 kB beside
    // a busy core here), and a coordinator blocked writing it would never end.
    let mut seen: BTreeMap<u32, (String, Vec<u32>)> = BTreeMap::new();
    let report = finish_watching(child, &args, || {
        for pid in painter_children(parent) {
            if let (Some(name), Some(cpus)) = (comm(pid), cpus_allowed(pid)) {
                seen.insert(pid, (name, cpus));
            }
        }
    })
    .json();
    let mut pinned = BTreeSet::new();
    for painter in report["painters"].as_array().expect("painters[]") {
        let pid = u32::try_from(painter["pid"].as_u64().expect("pid")).expect("pid");
        let core = u32::try_from(painter["core"].as_u64().expect("core")).expect("core");
        let (name, allowed) =
            seen.get(&pid).unwrap_or_else(|| panic!("painter pid {pid} never seen running: {seen:?}"));
        assert_eq!(name, &format!("painter-{}", painter["id"]), "/proc/{pid}/comm");
        assert_eq!(allowed, &vec![core], "/proc/{pid}/status Cpus_allowed_list");
        assert!(cores.contains(&core));
        assert!(!alive(pid), "painter {pid} still exists after the run");
        pinned.insert(core);
    }
    assert_eq!(pinned.len(), painters, "each painter on a core of its own: {report}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn ctrl_c_stops_every_painter_and_exits_130() {
    let _serial = serial();
    let out = out_dir("ctrl-c");
    let args = args("run --mode hybrid --painters 2 --paintings 4 --paint 2s --dry 0ms", &out);
    let child = start(coordinator(&args));
    // Two: the run's painters, not the calibrating painter that comes first.
    let painters = wait_for_painters(child.id(), 2);
    std::thread::sleep(Duration::from_millis(300));
    signal(child.id(), Signal::SIGINT);
    let finished = finish(child, &args);
    finished.exited(130);
    let said = finished.stderr.contains("interrupted") && finished.stderr.contains("unfinished");
    finished.check(said, "the interruption and the unfinished paintings should be named");
    assert!(painters.iter().all(|&p| !alive(p)), "painters {painters:?} outlived the coordinator");
    let _ = std::fs::remove_dir_all(out);
}

/// CPU time a process has used, in clock ticks (`utime + stime`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat(5), counted here from field 3 (the state).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

#[test]
fn painters_die_with_a_killed_coordinator() {
    let _serial = serial();
    // Orphans are adopted by the nearest "subreaper": make that this test
    // process rather than init, so that the test can reap them itself and
    // see how they died. (No other test orphans a painter.)
    prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
    let out = out_dir("sigkill");
    // Coats of 30 s: a painter that outlived its coordinator would still be
    // painting long after the generous bound below, and be seen alive.
    let args = args("run --mode parallel --painters 2 --paintings 2 --paint 30s --dry 0ms", &out);
    let child = start(coordinator(&args));
    let painters = wait_for_painters(child.id(), 2);
    // Killed in the middle of a coat, when nothing but the kernel can tell a
    // painter its coordinator is gone: not in its first moments, while it
    // still talks to the coordinator (and, beside a busy core, those
    // moments can last long enough to be hit).
    let painting =
        eventually(Duration::from_secs(60), || painters.iter().all(|&p| cpu_ticks(p).is_some_and(|t| t >= 5)));
    assert!(painting, "the painters {painters:?} never started painting");
    signal(child.id(), Signal::SIGKILL);
    let _ = finish(child, &args);
    for painter in painters {
        let pid = Pid::from_raw(i32::try_from(painter).expect("pid"));
        let mut last = None;
        // Within milliseconds when all is well; generous, for a loaded
        // machine, and still far short of the 30 s coat.
        let died = eventually(Duration::from_secs(10), || {
            last = Some(waitpid(pid, Some(WaitPidFlag::WNOHANG)));
            !matches!(last, Some(Ok(WaitStatus::StillAlive)))
        });
        assert!(died, "painter {painter} outlived a SIGKILLed coordinator by more than 10 s, in a coat of 30 s");
        // Killed by its parent-death signal, or (if the kernel's closing of
        // the coordinator's pipes woke it first) ended by the stdin-EOF
        // watchdog (`EXIT_STDIN_CLOSED`, 4).
        assert!(
            matches!(last, Some(Ok(WaitStatus::Signaled(_, Signal::SIGKILL, _) | WaitStatus::Exited(_, 4)))),
            "painter {painter} ended with {last:?}"
        );
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn the_allowed_cores_are_respected() {
    // Run the coordinator under `taskset` on the last allowed core: every
    // painter, the calibrating one included, must stay on that core.
    // taskset is util-linux's, as `script` is for tests/live.rs: not a
    // service a machine may lack, so its absence fails the test.
    let only = *allowed_cores().last().expect("this process may use a core");
    let _serial = serial();
    let out = out_dir("taskset");
    let args = args("run --mode parallel --paintings 2 --paint 20ms --dry 0ms --json", &out);
    let mut command = std::process::Command::new("taskset");
    command.args(["-c", &only.to_string()]).arg(env!("CARGO_BIN_EXE_coordinator")).args(&args);
    command.env("ATELIER_PAINTER", crate::support::painter_binary());
    let report = finish(start(command), &args).json();
    assert_eq!(report["workload"]["allowed_cores"], serde_json::json!([only]), "{report}");
    assert_eq!(report["calibration"]["core"], serde_json::json!(only), "{report}");
    let painters = report["painters"].as_array().expect("painters[]");
    assert_eq!(painters.len(), 1, "one allowed core: one painter by default: {report}");
    assert_eq!(painters[0]["core"], serde_json::json!(only), "{report}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn painter_logs_arrive_prefixed_and_follow_rust_log() {
    let _serial = serial();
    let out = out_dir("logs");
    let args = args("run --mode parallel --painters 2 --paintings 2 --paint 0ms --dry 0ms", &out);
    let quiet = finish(start(coordinator(&args)), &args);
    quiet.succeeded();
    quiet.check(!quiet.stderr.contains("[painter-"), "no painter logs without RUST_LOG");
    let mut command = coordinator(&args);
    command.env("RUST_LOG", "debug");
    let chatty = finish(start(command), &args);
    chatty.succeeded();
    for painter in ["[painter-0]", "[painter-1]"] {
        let logged = chatty.stderr.lines().any(|l| l.starts_with(painter) && l.contains("DEBUG"));
        chatty.check(logged, &format!("{painter}'s debug lines, prefixed, expected"));
    }
    let _ = std::fs::remove_dir_all(out);
}

/// The stop signals, each with the exit code it ends a run with.
const STOPS: [(Signal, i32); 3] = [(Signal::SIGINT, 130), (Signal::SIGTERM, 143), (Signal::SIGHUP, 129)];

/// A launcher that takes its time, as a login that hangs does: it notes
/// its own pid and that of a `sleep` it waits on in `DIR/slow-launcher.pids`,
/// and starts the command only 30 s later.
fn slow_launcher(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("slow-launcher");
    let script = "#!/bin/sh\necho $$ >> \"$0.pids\"\nsleep 30 &\necho $! >> \"$0.pids\"\nwait\nshift\nexec \"$@\"\n";
    std::fs::write(&path, script).expect("write the launcher");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    path
}

#[test]
fn a_stop_signal_while_the_hosts_are_probed_ends_the_run_and_every_probe() {
    let _serial = serial();
    for (stop, code) in STOPS {
        let out = out_dir(&format!("probe-{}", stop.as_str()));
        let launcher = slow_launcher(&out);
        let mut line = args("run --mode parallel --paintings 3 --strokes 10 --dry 0ms --hosts here", &out);
        line.extend(["--launcher".into(), format!("{} {{host}} {{cmd}}", launcher.display())]);
        let child = start(coordinator(&line));
        let pids_file = out.join("slow-launcher.pids");
        let mut pids: Vec<u32> = Vec::new();
        let probing = eventually(Duration::from_secs(20), || {
            pids = std::fs::read_to_string(&pids_file)
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            pids.len() == 2
        });
        signal(child.id(), stop);
        let sent = Instant::now();
        let finished = finish(child, &line);
        let took = sent.elapsed();
        // The launcher and what it started are gone with the run.
        let gone = eventually(Duration::from_secs(1), || pids.iter().all(|&pid| !alive(pid)));
        let left: Vec<u32> = pids.iter().copied().filter(|&pid| alive(pid)).collect();
        for &pid in &left {
            let _ = kill(Pid::from_raw(i32::try_from(pid).expect("pid")), Signal::SIGKILL);
        }
        if !probing {
            finished.fail("the probe's launcher never started");
        }
        if finished.status.code() != Some(code) {
            finished.fail(&format!("{} during the probe should end the run with {code}", stop.as_str()));
        }
        let expected = format!(
            "error: interrupted by {}: 0 of 3 paintings finished (finished: none; unfinished: #1–#3), while probing the hosts",
            stop.as_str()
        );
        if !finished.stderr.lines().any(|l| l.starts_with(&expected)) {
            finished.fail(&format!("no line starting {expected:?}"));
        }
        if !gone {
            finished.fail(&format!("the probe's launcher and its sleep {left:?} outlived the run"));
        }
        assert!(took < Duration::from_secs(5), "{} took {took:?} to end the run", stop.as_str());
        let _ = std::fs::remove_dir_all(out);
    }
}

/// Whether a thread of process `pid` waits to write to a full pipe.
fn writing_to_a_full_pipe(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return false };
    tasks
        .filter_map(Result::ok)
        .any(|task| std::fs::read_to_string(task.path().join("wchan")).is_ok_and(|wchan| wchan.contains("pipe_write")))
}

#[test]
fn a_stop_signal_while_the_report_waits_on_a_stalled_stdout_ends_the_run() {
    let _serial = serial();
    for (stop, code) in STOPS {
        let out = out_dir(&format!("stalled-{}", stop.as_str()));
        // A report of about 200 KB, more than a pipe holds; its reader
        // reads nothing until the run has ended (as `| sleep 30` would).
        let line = args("run --mode sequential --paintings 300 --strokes 1 --dry 0ms --json -q", &out);
        let mut child = start(coordinator(&line));
        let blocked = eventually(Duration::from_secs(60), || writing_to_a_full_pipe(child.id()));
        signal(child.id(), stop);
        let ended = eventually(Duration::from_secs(5), || child.try_wait().is_ok_and(|s| s.is_some()));
        // Reads stdout now: a coordinator still blocked on it ends too.
        let finished = finish(child, &line);
        if !blocked {
            finished.fail("the coordinator never waited on its stdout");
        }
        if !ended {
            finished.fail(&format!("{} did not end a run blocked on its stdout", stop.as_str()));
        }
        if finished.status.code() != Some(code) {
            finished.fail(&format!("{} while writing the report should end the run with {code}", stop.as_str()));
        }
        let expected = format!(
            "error: interrupted by {} while writing the report, which is incomplete: sequential mode finished 300 of 300 paintings (finished: #1–#300; unfinished: none)",
            stop.as_str()
        );
        if !finished.stderr.lines().any(|l| l == expected) {
            finished.fail(&format!("no line {expected:?}"));
        }
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn a_coordinator_stopped_longer_than_the_timeout_does_not_take_its_painters_for_hung() {
    let _serial = serial();
    let out = out_dir("stopped-coordinator");
    let line = args("run --mode parallel --painters 2 --paintings 8 --paint 100ms --dry 0ms --timeout 1s --json", &out);
    let child = start(coordinator(&line));
    wait_for_painters(child.id(), 2);
    std::thread::sleep(Duration::from_millis(150)); // into the first paintings
    // Stopped three timeouts long, while its painters go on and finish
    // what they hold; then resumed.
    signal(child.id(), Signal::SIGSTOP);
    std::thread::sleep(Duration::from_secs(3));
    signal(child.id(), Signal::SIGCONT);
    let finished = finish(child, &line);
    let report = finished.json();
    let failures = report["failures"].as_array().expect("failures[]");
    if !failures.is_empty() || report["paintings"].as_array().map(Vec::len) != Some(8) {
        finished.fail("a healthy painter was taken for hung after the coordinator itself was stopped");
    }
    if !finished.stderr.contains("the coordinator did not run for") {
        finished.fail("the stall is not said");
    }
    let _ = std::fs::remove_dir_all(out);
}
