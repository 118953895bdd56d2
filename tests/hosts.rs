//! Painters on other machines, over the real launchers: the hosts `h1` …
//! `h4` that `scripts/hosts.sh up --hosts 4` makes (network namespaces,
//! each with its own sshd on one core, two of them on each core of a
//! two-core machine, `h2` with its monotonic clock 1000 s ahead, and a
//! four-node Slurm cluster on them).
//!
//! They are ignored unless asked for with `--include-ignored` (`.ci/run`
//! brings the hosts up, then asks), and fail if the hosts are missing then.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::{
    args, comm, coordinator, cpus_allowed, eventually, finish, out_dir, painter_binary, run, serial, start,
};

/// Where `scripts/hosts.sh up` keeps what it made.
const STATE: &str = "/run/atelier-hosts";

/// The lock that hands the hosts to one test at a time. It lies beside
/// [`STATE`], not in it: `scripts/hosts.sh down` removes that folder, and a
/// test that takes the hosts down and up again holds the lock meanwhile.
const LOCK: &str = "/run/atelier-hosts.tests.lock";

/// The script that makes the hosts.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/hosts.sh");

/// The hosts the tests use: `scripts/hosts.sh up --hosts 4`.
const FOUR: [&str; 4] = ["h1", "h2", "h3", "h4"];

/// The test hosts, held by one test at a time across every process on the
/// machine: another test suite's painters in the same namespaces (or its
/// cut link) would otherwise count in this one's.
pub struct Hosts {
    _held: nix::fcntl::Flock<std::fs::File>,
}

/// The hosts, for a test that is `#[ignore]`d unless asked for (the hosts
/// are made as root and shared by everything on the machine): asked for and
/// the hosts are not up, the test fails, saying why. Waits for any other
/// test process using them.
pub fn hosts_up() -> Hosts {
    let missing =
        |why: String| -> ! { panic!("the test hosts are not up ({why}): run `scripts/hosts.sh up --hosts 4` as root") };
    if !Path::new(STATE).join("known_hosts").is_file() {
        missing(format!("{STATE} is missing"));
    }
    // The lock first: the login below is counted by a test that holds it.
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(LOCK).expect("the lock file");
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).map_err(|(_, e)| e).expect("a lock");
    if !Command::new("ssh").args(["-o", "BatchMode=yes", "h1", "true"]).status().is_ok_and(|s| s.success()) {
        missing("`ssh h1 true` fails".to_owned());
    }
    if !Path::new(STATE).join("h4").is_dir() {
        missing("there is no h4".to_owned());
    }
    Hosts { _held: held }
}

/// The core `scripts/hosts.sh` gave a host.
fn host_core(host: &str) -> u32 {
    let text = std::fs::read_to_string(Path::new(STATE).join(host).join("core")).expect("the host's core");
    text.trim().parse().expect("a core number")
}

/// Live processes named `painter-*` inside a host's network namespace.
fn painters_in(host: &str) -> Vec<u32> {
    let output = Command::new("ip").args(["netns", "pids", host]).output().expect("ip netns pids");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .filter(|&pid| crate::support::alive(pid) && comm(pid).is_some_and(|c| c.starts_with("painter-")))
        .collect()
}

/// Live processes (not zombies) whose command line contains `text`.
fn processes_with(text: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|&pid| {
            let line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let line = String::from_utf8_lossy(&line).replace('\0', " ");
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = state.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z'));
            line.contains(text) && !zombie
        })
        .collect()
}

/// The ssh master connections (`ssh -M`) whose sockets are under `dir`.
fn masters_under(dir: &Path) -> Vec<u32> {
    processes_with(&format!("ControlPath={}", dir.display()))
        .into_iter()
        .filter(|&pid| {
            let line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            line.split(|&b| b == 0).any(|word| word == b"-M")
        })
        .collect()
}

/// What is left under `dir`, where the coordinator was told to keep its
/// ssh sockets (`XDG_RUNTIME_DIR`): every file, at any depth.
fn left_under(dir: &Path) -> Vec<PathBuf> {
    let mut left = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path.clone());
            }
            left.push(path);
        }
    }
    left
}

/// The logins a host's sshd has accepted so far.
fn logins(host: &str) -> usize {
    let log = std::fs::read_to_string(Path::new(STATE).join(host).join("sshd.log")).unwrap_or_default();
    log.lines().filter(|l| l.contains("Accepted publickey")).count()
}

/// The checksums of a report's paintings, by number.
fn checksums(report: &Value) -> Vec<(u64, String)> {
    report["paintings"]
        .as_array()
        .expect("paintings[]")
        .iter()
        .map(|p| (p["id"].as_u64().expect("id"), p["checksum"].as_str().expect("checksum").to_owned()))
        .collect()
}

fn run_ok(line: &str, out: &Path) -> Value {
    let args = args(&format!("{line} --json"), out);
    run(&args).json()
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn the_same_pictures_over_ssh_over_srun_and_locally() {
    let _hosts = hosts_up();
    let _serial = serial();
    let work = "run --mode parallel --paintings 4 --strokes 200 --dry 0ms";
    let local = checksums(&run_ok(work, &out_dir("hosts-local")));
    assert_eq!(local.len(), 4);
    for launcher in ["ssh", "srun"] {
        let out = out_dir(&format!("hosts-{launcher}"));
        let report = run_ok(&format!("{work} --hosts h1,h2 --launcher {launcher}"), &out);
        assert_eq!(checksums(&report), local, "over {launcher}");
        crate::schema::assert_valid(&crate::schema::validator(), &format!("run over {launcher}"), &report);
        let hosts = report["workload"]["hosts"].as_array().expect("workload.hosts[]");
        assert_eq!(hosts.len(), 2, "{hosts:?}");
        for host in hosts {
            assert_eq!(host["launcher"], launcher, "{host}");
        }
        let hosts: Vec<&str> = report["painters"]
            .as_array()
            .expect("painters[]")
            .iter()
            .map(|p| p["host"].as_str().expect("host"))
            .collect();
        assert!(hosts.contains(&"h1") && hosts.contains(&"h2"), "over {launcher}: painters on {hosts:?}");
        // The pictures came home, whole, into the local folder.
        for painting in report["paintings"].as_array().expect("paintings[]") {
            let path = PathBuf::from(painting["path"].as_str().expect("a path"));
            assert!(path.starts_with(&out), "{} is not under {}", path.display(), out.display());
            let bytes = std::fs::read(&path).expect("the picture is there");
            assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 1000, "{} is no whole PNG", path.display());
        }
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn each_painter_runs_on_the_core_its_host_offers() {
    let _hosts = hosts_up();
    let _serial = serial();
    for launcher in ["ssh", "srun"] {
        painters_on_their_hosts_cores(launcher);
    }
}

/// Over `launcher`, the probe finds each host's one core, and every painter
/// seen running there is allowed that core only.
fn painters_on_their_hosts_cores(launcher: &str) {
    let out = out_dir(&format!("hosts-cores-{launcher}"));
    let line =
        format!("run --mode hybrid --paintings 4 --paint 700ms --dry 0ms --hosts h1,h2 --launcher {launcher} --json");
    let args = args(&line, &out);
    let mut child = start(coordinator(&args));
    // While they paint: each host's painters are allowed its one core only.
    // Looked for as long as the run lasts: under srun the allocation can
    // wait on Slurm (a node it has just seen cut off, say) longer than the
    // painting takes.
    let mut seen = Vec::new();
    eventually(Duration::from_secs(120), || {
        for host in ["h1", "h2"] {
            for pid in painters_in(host) {
                if let Some(cores) = cpus_allowed(pid)
                    && !seen.contains(&(host, pid, cores.clone()))
                {
                    seen.push((host, pid, cores));
                }
            }
        }
        ["h1", "h2"].iter().all(|h| seen.iter().any(|(host, ..)| host == h))
            || child.try_wait().is_ok_and(|status| status.is_some())
    });
    let finished = finish(child, &args);
    let report = finished.json();
    for host in ["h1", "h2"] {
        if !seen.iter().any(|(h, ..)| *h == host) {
            finished.fail(&format!("{launcher}: no painter seen in {host}: {seen:?}"));
        }
    }
    for (host, pid, cores) in &seen {
        assert_eq!(cores, &vec![host_core(host)], "{launcher}: painter pid {pid} in {host}");
    }
    for host in report["workload"]["hosts"].as_array().expect("workload.hosts[]") {
        let name = host["name"].as_str().expect("name");
        assert_eq!(host["cores"], serde_json::json!([host_core(name)]), "{launcher}: {host}");
    }
    for painter in report["painters"].as_array().expect("painters[]") {
        let host = painter["host"].as_str().expect("host");
        assert_eq!(painter["cores"], serde_json::json!([host_core(host)]), "{launcher}: {painter}");
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn h2s_clock_is_found_1000_s_ahead_within_its_bound() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-clock");
    for launcher in ["ssh", "srun"] {
        let report = run_ok(
            &format!("run --mode parallel --paintings 4 --paint 200ms --dry 100ms --hosts h1,h2 --launcher {launcher}"),
            &out,
        );
        for painter in report["painters"].as_array().expect("painters[]") {
            let (offset, bound) = (
                painter["clock_offset_s"].as_f64().expect("offset"),
                painter["clock_bound_s"].as_f64().expect("bound"),
            );
            let truth = if painter["host"] == "h2" { 1000.0 } else { 0.0 };
            // The offset is exact here (h2's clock is this one + 1000 s), so the
            // estimate must be within its own bound of it; and the bound is a
            // round trip's half, well under a second.
            assert!(bound > 0.0 && bound < 0.5, "{launcher}: {painter}");
            assert!((offset - truth).abs() <= bound + 1e-6, "{launcher}: offset {offset} ± {bound}, truth {truth}");
            // The hosts' clocks are this machine's (a time namespace only
            // moves them), so they drift by nothing: 0 within the bound.
            let (drift, drift_bound) = (
                painter["clock_drift_ppm"].as_f64().expect("a drift, from the first and last pings"),
                painter["clock_drift_bound_ppm"].as_f64().expect("its bound"),
            );
            assert!(drift.abs() <= drift_bound + 1e-3, "{launcher}: drift {drift} ± {drift_bound} ppm, truth 0");
        }
        // Both hosts' segments lie on the run's one time axis.
        let wall = report["wall_s"].as_f64().expect("wall_s");
        for segment in report["segments"].as_array().expect("segments[]") {
            let (start, end) = (segment["start_s"].as_f64().expect("start"), segment["end_s"].as_f64().expect("end"));
            assert!(start >= -0.01 && end <= wall + 0.01 && start <= end, "{launcher}: {segment} outside 0..{wall}");
        }
    }
    let _ = std::fs::remove_dir_all(out);
}

/// SIGKILLs a coordinator whose painters, on both hosts, are in the middle
/// of a long coat, and checks that none is left a second later.
/// With `job`, inside that Slurm allocation, as a user's shell in one would be.
/// Over ssh, its master connections too: none is left, and no socket.
fn killed_mid_coat(launcher: &str, job: Option<&str>) {
    let out = out_dir(&format!("hosts-kill-{launcher}"));
    let args = args(
        &format!("run --mode parallel --paintings 4 --paint 20s --dry 0ms --hosts h1,h2,h3,h4 --launcher {launcher}"),
        &out,
    );
    // The ssh sockets go where the test can look.
    let runtime = out.join("r");
    std::fs::create_dir_all(&runtime).expect("a runtime folder");
    let mut command = coordinator(&args);
    command.env("XDG_RUNTIME_DIR", &runtime);
    if let Some(job) = job {
        command.env("SLURM_JOB_ID", job);
    }
    let child = start(command);
    let all = eventually(Duration::from_secs(30), || FOUR.iter().all(|h| !painters_in(h).is_empty()));
    let pid = i32::try_from(child.id()).expect("a pid");
    let masters = masters_under(&runtime);
    if !all {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        let finished = finish(child, &args);
        finished.fail(&format!("over {launcher}, painters never appeared in all four hosts"));
    }
    let expected = if launcher == "ssh" { 4 } else { 0 };
    if masters.len() != expected {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        let finished = finish(child, &args);
        finished.fail(&format!("over {launcher}, {expected} ssh masters expected, saw {masters:?}"));
    }
    std::thread::sleep(Duration::from_millis(500)); // well into the first coat
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill the coordinator");
    let killed = Instant::now();
    let _ = finish(child, &args);
    let gone = eventually(Duration::from_secs(1), || FOUR.iter().all(|h| painters_in(h).is_empty()));
    let left: Vec<u32> = FOUR.iter().flat_map(|h| painters_in(h)).collect();
    assert!(
        gone,
        "over {launcher}: painters {left:?} still alive {:?} after the coordinator was killed",
        killed.elapsed()
    );
    // The masters die with the coordinator, and take their sockets (and
    // every session over them) with them.
    let over_sockets = || processes_with(&format!("ControlPath={}", runtime.display()));
    let no_ssh = eventually(Duration::from_secs(2), || over_sockets().is_empty());
    assert!(no_ssh, "over {launcher}: ssh {:?} outlived the coordinator", over_sockets());
    let sockets: Vec<PathBuf> = left_under(&runtime).into_iter().filter(|p| !p.is_dir()).collect();
    assert!(sockets.is_empty(), "over {launcher}: left behind: {sockets:?}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_killed_coordinator_leaves_no_painter_on_any_host_over_ssh() {
    let _hosts = hosts_up();
    let _serial = serial();
    killed_mid_coat("ssh", None);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_killed_coordinator_leaves_no_painter_on_any_host_over_srun() {
    let _hosts = hosts_up();
    let _serial = serial();
    // Inside an allocation of the test's own, which it cancels: the killed
    // coordinator cannot cancel one it made.
    let salloc = Command::new("salloc")
        .args(["--no-shell", "--immediate=30", "--job-name=atelier-test", "--nodes=4", "--nodelist=h1,h2,h3,h4"])
        .output()
        .expect("salloc runs");
    let stderr = String::from_utf8_lossy(&salloc.stderr);
    let job = stderr
        .lines()
        .find_map(|l| l.split("Granted job allocation ").nth(1))
        .map(str::trim)
        .unwrap_or_else(|| panic!("salloc: {stderr}"))
        .to_owned();
    let result = std::panic::catch_unwind(|| killed_mid_coat("srun", Some(&job)));
    let _ = Command::new("scancel").arg(&job).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn an_unreachable_host_and_one_without_a_painter_are_named_and_the_paintings_finish_elsewhere() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-missing");
    // A host no one can reach.
    let line = args("run --mode parallel --paintings 3 --strokes 100 --dry 0ms --hosts h1,nohost --json", &out);
    let finished = run(&line);
    let report = finished.json();
    let lines: Vec<&str> = finished.stderr.lines().filter(|l| l.contains("nohost")).collect();
    assert_eq!(lines.len(), 1, "one line about nohost: {}", finished.stderr);
    assert!(lines[0].starts_with("warning: host nohost left out: ssh cannot reach it"), "{}", lines[0]);
    assert_eq!(checksums(&report).len(), 3);
    assert!(report["painters"].as_array().expect("painters[]").iter().all(|p| p["host"] == "h1"), "{report}");
    // A host without the painter at the path given: h2 is asked for one
    // that does not exist, while `:` (this machine) uses its own.
    let line = args(
        "run --mode parallel --paintings 3 --strokes 100 --dry 0ms --hosts :,h2 --remote-painter /nonexistent/atelier/painter --json",
        &out,
    );
    let finished = run(&line);
    let report = finished.json();
    let lines: Vec<&str> = finished.stderr.lines().filter(|l| l.contains("h2")).collect();
    assert_eq!(lines.len(), 1, "one line about h2: {}", finished.stderr);
    assert!(
        lines[0].starts_with("warning: host h2 left out: no painter at /nonexistent/atelier/painter there"),
        "{}",
        lines[0]
    );
    assert_eq!(checksums(&report).len(), 3);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn names_and_paths_never_reach_a_shell_unquoted() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-quoting");
    let marker = out.join("x");
    // A host name with a shell command in it is refused before anything runs.
    let mut line = args("run --mode sequential --paintings 1 --strokes 10 --dry 0ms", &out);
    line.extend(["--hosts".into(), format!("h1;touch {}", marker.display())]);
    let finished = run(&line);
    assert!(!finished.status.success() && finished.stderr.contains("is not a host name"), "{}", finished.stderr);
    assert!(!marker.exists(), "the shell ran a host name");
    // A painter path and an output folder with spaces, quotes and `$(…)`
    // arrive as one word each.
    let odd = out.join("it's a $(touch x) dir");
    std::fs::create_dir_all(&odd).expect("a folder with an odd name");
    let painter = odd.join("my painter");
    std::fs::copy(painter_binary(), &painter).expect("copy the painter");
    let pictures = odd.join("pictures here");
    let mut line = args("run --mode parallel --paintings 2 --strokes 10 --dry 0ms --hosts h1,h2 --json", &pictures);
    line.extend(["--remote-painter".into(), painter.display().to_string()]);
    let report = run(&line).json();
    assert_eq!(checksums(&report).len(), 2);
    for painting in report["paintings"].as_array().expect("paintings[]") {
        assert!(Path::new(painting["path"].as_str().expect("path")).starts_with(&pictures), "{painting}");
    }
    assert!(!Path::new("x").exists() && !odd.join("x").exists(), "a path was interpreted by a shell");
    let _ = std::fs::remove_dir_all(out);
}

/// A painter "on another host" that runs here: the launcher template starts
/// it as it is, so the pictures still come home over its pipe.
const HERE: &str = "env ATELIER_TEST_HOST={host} {cmd}";

#[test]
fn a_picture_is_written_only_for_a_painting_its_painter_finished() {
    // No test hosts needed: the painter comes home over its pipe from here.
    let _serial = serial();
    // A forged picture of a painting the painter was never given, and one
    // of the painting it was given, said done before a stroke of it; each
    // is a breach, and nothing of it may reach the folder.
    for (fault, forged) in [("foreign-picture", 99_999_u64), ("early-picture", 1)] {
        let out = out_dir(&format!("hosts-{fault}"));
        let mut line = args("run --mode parallel --painters 2 --paintings 3 --strokes 50 --dry 0ms --retries 0", &out);
        line.extend(["--hosts".into(), "here".into(), "--launcher".into(), HERE.into(), "--json".into()]);
        let mut command = coordinator(&line);
        command.env("ATELIER_PAINTER_FAULT", fault);
        let finished = finish(start(command), &line);
        let report: Value = serde_json::from_str(&finished.stdout)
            .unwrap_or_else(|e| finished.fail(&format!("{fault}: stdout is not JSON: {e}")));
        assert_eq!(report["failures"][0]["kind"], "protocol", "{fault}: {report}");
        // The faulty painter's own painting (#1, its first) is lost, without
        // retries; the others finished, with their pictures.
        let lost: Vec<u64> =
            report["lost"].as_array().expect("lost[]").iter().filter_map(|l| l["id"].as_u64()).collect();
        assert_eq!(lost, [1], "{fault}: {report}");
        let finished_ids: Vec<u64> = checksums(&report).iter().map(|(id, _)| *id).collect();
        assert_eq!(finished_ids, [2, 3], "{fault}: {report}");
        let folder = out.join("parallel");
        let forged_file = folder.join(format!("painting-{forged:03}.png"));
        assert!(!forged_file.exists(), "{fault}: {} was written", forged_file.display());
        let mut pictures = 0;
        for entry in std::fs::read_dir(&folder).expect("the mode's folder") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "png") {
                let bytes = std::fs::read(&path).expect("a picture");
                assert!(!bytes.windows(6).any(|w| w == b"forged"), "{fault}: {} is forged", path.display());
                assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 1000, "{fault}: {}", path.display());
                pictures += 1;
            }
        }
        assert_eq!(pictures, 2, "{fault}: the two finished paintings' pictures, and no other");
        let _ = std::fs::remove_dir_all(out);
    }
}

/// Brings a host's link back up when dropped, however the test ends.
struct LinkDown(&'static str);

impl LinkDown {
    fn cut(host: &'static str) -> Self {
        let status = Command::new("ip").args(["link", "set", &format!("at-{host}"), "down"]).status();
        assert!(status.is_ok_and(|s| s.success()), "cannot take {host}'s link down");
        Self(host)
    }
}

impl Drop for LinkDown {
    fn drop(&mut self) {
        let host = self.0;
        let _ = Command::new("ip").args(["link", "set", &format!("at-{host}"), "up"]).status();
        // The srun tests after this one need the host's Slurm node back.
        // Cut off longer than SlurmdTimeout, it is set DOWN and stays so
        // until resumed; cut off long enough to miss one of slurmctld's
        // pings, it is marked not responding (`idle*`) until the next ping
        // answers, and a step sent there meanwhile waits on it (the probe
        // then leaves the host out: two CI runs failed so). Wait for it.
        let node = || {
            let state = Command::new("sinfo").args(["-h", "-n", host, "-o", "%T"]).output();
            state.map(|s| String::from_utf8_lossy(&s.stdout).trim().to_owned()).unwrap_or_default()
        };
        let back = eventually(Duration::from_secs(60), || {
            let state = node();
            if state.starts_with("down") {
                let _ = Command::new("scontrol").args(["update", &format!("NodeName={host}"), "State=RESUME"]).status();
            }
            state == "idle" || {
                std::thread::sleep(Duration::from_millis(250)); // not a busy loop on slurmctld
                false
            }
        });
        if !back && !std::thread::panicking() {
            panic!("{host}'s Slurm node is {:?}, not idle, a minute after its link came back", node());
        }
    }
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_link_lost_mid_run_is_named_and_its_paintings_finish_on_the_other_host() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-link");
    // --timeout is long, so that it is ssh's keep-alive that notices the lost link.
    let line = "run --mode parallel --paintings 6 --paint 1s --dry 0ms --hosts h1,h2 --timeout 120s --json";
    let args = args(line, &out);
    let child = start(coordinator(&args));
    if !eventually(Duration::from_secs(30), || !painters_in("h2").is_empty()) {
        let _ = kill(Pid::from_raw(i32::try_from(child.id()).expect("a pid")), Signal::SIGKILL);
        finish(child, &args).fail("no painter appeared on h2");
    }
    std::thread::sleep(Duration::from_millis(300)); // into its first painting
    let link = LinkDown::cut("h2");
    let cut = Instant::now();
    let finished = finish(child, &args);
    let took = cut.elapsed();
    // Nothing is left painting on either host, a second after the run,
    // even with the link still down: h2's sshd gives up on the session
    // (ClientAliveInterval), and the painter notices its stdin hang up.
    let gone = eventually(Duration::from_secs(1), || painters_in("h1").is_empty() && painters_in("h2").is_empty());
    let left: Vec<(&str, u32)> =
        ["h1", "h2"].iter().flat_map(|&h| painters_in(h).into_iter().map(move |p| (h, p))).collect();
    drop(link);
    let report = finished.json();
    assert!(gone, "painters {left:?} still alive a second after the run");
    // Every painting finished, the lost host's on h1.
    assert_eq!(checksums(&report).len(), 6, "{report}");
    assert!(report["lost"].as_array().expect("lost[]").is_empty(), "{report}");
    let failures = report["failures"].as_array().expect("failures[]");
    assert_eq!(failures.len(), 1, "one failure: {failures:?}");
    let retried = failures[0]["retried"].as_array().expect("retried[]");
    assert!(!retried.is_empty(), "{failures:?}");
    let painters = report["painters"].as_array().expect("painters[]");
    let host_of = |id: &Value| painters.iter().find(|p| &p["id"] == id).map(|p| p["host"].clone());
    for painting in report["paintings"].as_array().expect("paintings[]") {
        if retried.contains(&painting["id"]) {
            assert_eq!(host_of(&painting["painter"]), Some("h1".into()), "{painting} was retried on h1");
        }
    }
    // One line on stderr names the host and says why; ssh's own words
    // (`Timeout, server … not responding.`) tell a lost link.
    let lines: Vec<&str> = finished.stderr.lines().filter(|l| l.contains("h2")).collect();
    assert_eq!(lines.len(), 1, "one line about h2:\n{}", finished.stderr);
    for words in ["h2/painter-", "ssh to h2", "lost link", "not responding"] {
        assert!(lines[0].contains(words), "{words:?} not in: {}", lines[0]);
    }
    // Noticed within ssh's keep-alive (2 s × 3), not the 120 s --timeout.
    assert!(took < Duration::from_secs(45), "the run went on {took:?} after the link was cut");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn the_network_is_shown_host_by_host_with_the_start_up_by_launcher() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-network");
    for launcher in ["ssh", "srun"] {
        let report = run_ok(
            &format!("run --mode parallel --paintings 4 --paint 50ms --dry 0ms --hosts h1,h2 --launcher {launcher}"),
            &out,
        );
        let hosts = report["network"].as_array().expect("network[] with --hosts");
        let names: Vec<&str> = hosts.iter().filter_map(|h| h["host"].as_str()).collect();
        assert_eq!(names, ["h1", "h2"], "{launcher}: {report}");
        let mut came_home = 0;
        for host in hosts {
            assert_eq!(host["launcher"], launcher, "{host}");
            // A session after the login (10–30 ms here), and the painter's
            // start and pings; over srun the painter was the host's probe,
            // told to paint, and its start is the pings (2–10 ms).
            let startup = host["startup_s"].as_f64().expect("startup_s");
            assert!(startup > 0.0 && startup < 10.0, "{launcher}: {host}");
            let round_trip = host["round_trip_s"].as_f64().expect("a round trip to another host");
            assert!(round_trip > 0.0 && round_trip < 0.5, "{launcher}: {host}");
            came_home += host["paintings"].as_u64().expect("paintings");
        }
        assert_eq!(came_home, 4, "every painting came home: {report}");
        let gap = &report["gap"];
        // A local spawn's worth of each start is start-up; the session or
        // job step beyond it is the network's.
        let (startup, network) = (gap["startup_s"].as_f64(), gap["network_s"].as_f64());
        assert!(startup.is_some_and(|s| s > 0.0) && network.is_some_and(|s| s > 0.0), "{launcher}: {gap}");
        let explanation = report["explanation"].as_str().expect("explanation");
        assert!(
            explanation.contains(&format!("By host: h1 over {launcher}: 1 painter started in "))
                && explanation.contains(&format!("; h2 over {launcher}: 1 painter started in ")),
            "{explanation}"
        );
        if launcher == "ssh" {
            // Two sessions over the hosts' connections, started at once:
            // all but a local spawn's worth of them is the network's, and
            // the largest cause, named host by host — other programs'
            // share of the cores aside (contention): on a busy machine
            // (a build beside the tests) that can be larger.
            assert_eq!(
                gap.as_object()
                    .expect("gap")
                    .iter()
                    .filter(|(name, _)| name.as_str() != "contention_s")
                    .max_by(|a, b| {
                        let value = |v: &Value| v.as_f64().unwrap_or(0.0).abs();
                        value(a.1).total_cmp(&value(b.1))
                    })
                    .map(|(name, _)| name.as_str()),
                Some("network_s"),
                "{gap}"
            );
            for host in hosts {
                assert!(host["beyond_local_s"].as_f64().is_some_and(|s| s > 0.0), "{host}");
            }
            assert!(explanation.contains("starting painters on other hosts took more than here (h1 "), "{explanation}");
        }
    }
    let _ = std::fs::remove_dir_all(out);
}

/// A painter on `h1` that hangs when it is handed painting 2: ssh passes
/// no environment, so the fault is asked for by a wrapper there.
fn hanging_painter(out: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let wrapper = out.join("hanging-painter");
    let script = format!("#!/bin/sh\nATELIER_PAINTER_FAULT=hang@2 exec '{}' \"$@\"\n", painter_binary().display());
    std::fs::write(&wrapper, script).expect("write the wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    wrapper
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_painter_stopped_as_hung_over_ssh_is_replaced_on_its_own_host() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-hung");
    let wrapper = hanging_painter(&out);
    // One host: were the coordinator's own SIGTERM (which makes ssh exit
    // with 255) taken for a lost link, no painter could take its place.
    let mut line =
        args("run --mode parallel --paintings 4 --paint 100ms --dry 0ms --timeout 2s --hosts h1 --json", &out);
    line.extend(["--remote-painter".into(), wrapper.display().to_string()]);
    let finished = run(&line);
    let report = finished.json();
    assert_eq!(checksums(&report).len(), 4, "every painting finished: {report}");
    assert!(report["lost"].as_array().expect("lost[]").is_empty(), "{report}");
    let failures = report["failures"].as_array().expect("failures[]");
    assert_eq!(failures.len(), 1, "one failure: {failures:?}");
    assert_eq!(failures[0]["kind"], "hung", "{failures:?}");
    assert_eq!(failures[0]["retried"], serde_json::json!([2]), "{failures:?}");
    let what = failures[0]["what"].as_str().expect("what");
    assert!(!what.contains("lost link"), "a painter the coordinator stopped is no lost link: {what}");
    let painters = report["painters"].as_array().expect("painters[]");
    assert_eq!(painters.len(), 2, "the hung painter and its replacement: {painters:?}");
    assert!(painters.iter().all(|p| p["host"] == "h1"), "{painters:?}");
    if finished.stderr.contains("link to h1 failed") {
        finished.fail("the coordinator's own SIGTERM was taken for a lost link");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// The Slurm jobs named `atelier` (the coordinator's own allocations) that
/// are pending or running, by id.
fn atelier_jobs() -> Vec<String> {
    let output = Command::new("squeue")
        .args(["-h", "-n", "atelier", "-t", "PENDING,RUNNING", "-o", "%i"])
        .output()
        .expect("squeue runs");
    String::from_utf8_lossy(&output.stdout).split_whitespace().map(str::to_owned).collect()
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_killed_coordinator_leaves_no_slurm_allocation_behind() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-kill-allocation");
    let before = atelier_jobs();
    let args = args("run --mode parallel --paintings 2 --paint 20s --dry 0ms --hosts h1,h2 --launcher srun", &out);
    // Outside any allocation: the coordinator makes its own.
    let mut command = coordinator(&args);
    command.env_remove("SLURM_JOB_ID");
    let child = start(command);
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let both = eventually(Duration::from_secs(60), || !painters_in("h1").is_empty() && !painters_in("h2").is_empty());
    let made: Vec<String> = atelier_jobs().into_iter().filter(|job| !before.contains(job)).collect();
    kill(pid, Signal::SIGKILL).expect("kill the coordinator");
    let finished = finish(child, &args);
    if !both {
        finished.fail("painters never appeared in both hosts");
    }
    if made.len() != 1 {
        finished.fail(&format!("one allocation of its own expected, saw {made:?} (before: {before:?})"));
    }
    let gone = eventually(Duration::from_secs(10), || atelier_jobs().iter().all(|job| !made.contains(job)));
    let left: Vec<String> = atelier_jobs().into_iter().filter(|job| made.contains(job)).collect();
    for job in &left {
        let _ = Command::new("scancel").arg(job).status();
    }
    if !gone {
        finished.fail(&format!("allocation {left:?} still held 10 s after the coordinator was killed"));
    }
    let painters = eventually(Duration::from_secs(5), || painters_in("h1").is_empty() && painters_in("h2").is_empty());
    assert!(painters, "painters outlived the coordinator and its allocation");
    let _ = std::fs::remove_dir_all(out);
}

/// A launcher for hosts that lie at the probe, run here: `{host}` chooses
/// what the probe says, and every painter after it is the real one.
const LIAR: &str = r#"#!/bin/sh
host=$1; shift
case "$*" in *--probe*) ;; *) exec "$@" ;; esac
case $host in
  flood) exec head -c 200000000 /dev/zero ;;
  shout) head -c 200000000 /dev/zero >&2; exit 1 ;;
  title) printf 'welcome \033]0;pwned\007\033[31m to h1\n' >&2; exit 3 ;;
  many) "$@" | sed "s/cores=\([0-9]*\).*/cores=\1,$(seq -s, 1000 1258)/" ;;
esac
"#;

#[test]
fn what_a_host_answers_at_the_probe_is_bounded_made_visible_and_held_to_the_painter_limit() {
    // No test hosts needed: the hosts are a shell script's answers.
    use std::os::unix::fs::PermissionsExt;
    let _serial = serial();
    let out = out_dir("hosts-liars");
    let script = out.join("liar");
    std::fs::write(&script, LIAR).expect("the launcher");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    // 300 paintings, so that the 260 cores `many` claims would make 260
    // painters; the sequential mode starts one of them.
    let mut line = args("run --mode sequential --paintings 300 --strokes 1 --dry 0ms --json", &out);
    let template = format!("{} {{host}} {{cmd}}", script.display());
    line.extend(["--hosts".into(), "flood,shout,title,many".into(), "--launcher".into(), template]);
    let started = Instant::now();
    let finished = run(&line);
    let took = started.elapsed();
    let report = finished.json();
    let said = |host: &str| {
        let prefix = format!("warning: host {host} left out: ");
        finished.stderr.lines().find_map(|l| l.strip_prefix(&prefix).map(str::to_owned)).unwrap_or_else(|| {
            finished.fail(&format!("no line says why {host} was left out"));
        })
    };
    // 200 MB on either stream is not read: the probe is stopped at 64 KiB.
    assert_eq!(said("flood"), "its probe wrote more than 64 KiB to stdout, which is not an answer");
    assert_eq!(said("shout"), "its probe wrote more than 64 KiB to stderr, which is not an answer");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    // What a host says reaches the terminal as text, not as a command to it.
    let title = said("title");
    assert!(title.ends_with(r": welcome \x1b]0;pwned\x07\x1b[31m to h1"), "{title}");
    if finished.stderr.contains('\u{1b}') || finished.stderr.contains('\u{7}') {
        finished.fail("an escape sequence reached stderr");
    }
    // 260 cores offered, 256 painters at most.
    let warned = "warning: the hosts offer 260 cores, more than the 256 painters a run may have: 256 are started";
    if !finished.stderr.contains(warned) {
        finished.fail("the painter limit is not named");
    }
    assert_eq!(report["workload"]["painters"], 256, "{}", report["workload"]);
    let hosts: Vec<&str> =
        report["workload"]["hosts"].as_array().expect("hosts[]").iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(hosts, ["many"]);
    assert_eq!(report["paintings"].as_array().map(Vec::len), Some(300), "every painting finished on `many`");
    let _ = std::fs::remove_dir_all(out);
}

/// The processes `scripts/hosts.sh up` started, by the pid files it
/// recorded: munged (unless one was serving already), slurmctld, and an
/// sshd and a slurmd in each host.
fn daemons() -> Vec<(String, u32)> {
    let mut files = vec!["munged.pid".to_owned(), "slurm/slurmctld.pid".to_owned()];
    for host in ["h1", "h2"] {
        files.push(format!("{host}/sshd.pid"));
        files.push(format!("slurm/slurmd-{host}.pid"));
    }
    files
        .into_iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(Path::new(STATE).join(&file)).ok()?;
            Some((file, text.trim().parse().ok()?))
        })
        .collect()
}

/// What each of a process's open descriptors is, as /proc names it.
fn open_files(pid: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    let mut files: Vec<(u32, String)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let fd = entry.file_name().to_str()?.parse().ok()?;
            Some((fd, std::fs::read_link(entry.path()).ok()?.display().to_string()))
        })
        .collect();
    files.sort();
    files
}

/// `flock FILE scripts/hosts.sh up | tee up.log`: the daemons `up` starts
/// keep neither the caller's lock nor its pipe, so the lock is free and the
/// pipe ends once `up` has. This test takes the hosts down and brings them
/// up again, holding the hosts' lock meanwhile.
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn up_leaves_its_callers_lock_and_pipe_to_the_caller() {
    let _hosts = hosts_up();
    let down = Command::new(SCRIPT).arg("down").output().expect("scripts/hosts.sh down");
    assert!(down.status.success(), "scripts/hosts.sh down: {}", String::from_utf8_lossy(&down.stderr));

    let dir = out_dir("hosts-up-fds");
    let lock = dir.join("caller.lock");
    // The caller's pipe is up's stdout, and its descriptor 9 as well, as a
    // shell's redirections leave one: a daemon that detaches makes its 0-2
    // /dev/null, but closes nothing above them.
    let mut up = Command::new("sh")
        .args(["-c", r#"exec flock "$0" "$1" up --hosts 4 9>&1"#])
        .arg(&lock)
        .arg(SCRIPT)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flock FILE scripts/hosts.sh up");
    // What the pipes' ends are called in /proc, to find them in a daemon.
    let stdout = up.stdout.take().expect("up's stdout");
    let stderr = up.stderr.take().expect("up's stderr");
    let pipes: Vec<String> = [stdout.as_raw_fd(), stderr.as_raw_fd()]
        .into_iter()
        .map(|fd| std::fs::read_link(format!("/proc/self/fd/{fd}")).expect("a pipe").display().to_string())
        .collect();
    let (sender, ends) = std::sync::mpsc::channel();
    for mut pipe in [Box::new(stdout) as Box<dyn Read + Send>, Box::new(stderr)] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            let _ = sender.send(text);
        });
    }
    let status = up.wait().expect("wait for up");
    // Both pipes reach their end soon after `up` exits, unless a daemon
    // still holds one open.
    let mut said = String::new();
    for _ in 0..2 {
        let Ok(text) = ends.recv_timeout(Duration::from_secs(30)) else {
            let holders: Vec<String> = daemons()
                .into_iter()
                .filter(|&(_, pid)| open_files(pid).iter().any(|(_, file)| pipes.contains(file)))
                .map(|(name, pid)| format!("{name} {pid}"))
                .collect();
            panic!("up's output never reached its end, 30 s after up exited ({status}); held by {holders:?}");
        };
        said.push_str(&text);
    }
    assert!(status.success(), "scripts/hosts.sh up failed ({status}): {said}");

    let file = std::fs::OpenOptions::new().write(true).open(&lock).expect("the caller's lock file");
    let free = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).is_ok();
    let lock_name = lock.display().to_string();
    let daemons = daemons();
    // munged is left out when one was serving already.
    assert!(daemons.len() >= 5, "up recorded {daemons:?}");
    for (name, pid) in &daemons {
        let files = open_files(*pid);
        assert!(!files.is_empty(), "{name}: no /proc/{pid}/fd");
        for (fd, file) in &files {
            assert!(
                *file != lock_name && !pipes.contains(file),
                "{name} (pid {pid}) holds its caller's {file} as descriptor {fd}: {files:?}"
            );
        }
    }
    assert!(free, "the caller's lock {} is still held after up", lock.display());
    let _ = std::fs::remove_dir_all(dir);
}

/// Over `--hosts`, `threads` is one process, so one host: the table and the
/// caption say so, with the count of threads in words that agree with it.
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn threads_over_hosts_says_why_it_has_one_hosts_cores() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-threads");
    let line = "compare --modes sequential,threads --paintings 2 --strokes 200 --dry 0ms --hosts h1,h2";
    let finished = run(&args(line, &out));
    if !finished.status.success() {
        finished.fail("a threads run over ssh failed");
    }
    // The words, whatever the width wrapped them to.
    let text = finished.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let expected = [
        "threads: a process runs on one host, so this one ran on h1 alone, with 1 thread for h1's cores; h2 painted nothing".to_owned(),
        "threads — 1 painter process on h1, 1 blocking thread: a process runs on one host, on that host's cores".to_owned(),
        format!("h1/thread-0@{}", host_core("h1")),
    ];
    for line in expected {
        if !text.contains(&line) {
            finished.fail(&format!("no {line:?} in the report"));
        }
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn four_hosts_start_at_once_and_an_unreachable_one_is_named_while_the_rest_paint() {
    let _hosts = hosts_up();
    let _serial = serial();
    for (launcher, why) in
        [("ssh", "ssh cannot reach it"), ("srun", "srun cannot start a job step there: srun: error:")]
    {
        four_hosts_and_one_unreachable(launcher, why);
    }
}

/// Over `launcher`: `nohost` is left out with one line saying `why`, the
/// four others paint, and they started at once (and one after another
/// with `--fanout 1`).
fn four_hosts_and_one_unreachable(launcher: &str, why: &str) {
    let out = out_dir(&format!("hosts-four-{launcher}"));
    let line = format!(
        "run --mode parallel --paintings 8 --paint 50ms --dry 0ms --hosts h1,h2,nohost,h3,h4 --launcher {launcher} --json"
    );
    let args = args(&line, &out);
    let finished = run(&args);
    let report = finished.json();
    let lines: Vec<&str> = finished.stderr.lines().filter(|l| l.contains("nohost")).collect();
    if lines.len() != 1 || !lines[0].starts_with(&format!("warning: host nohost left out: {why}")) {
        finished.fail(&format!("over {launcher}, one line about nohost expected"));
    }
    assert_eq!(checksums(&report).len(), 8, "{report}");
    let mut on: Vec<&str> =
        report["painters"].as_array().expect("painters[]").iter().filter_map(|p| p["host"].as_str()).collect();
    on.sort_unstable();
    assert_eq!(on, FOUR, "a painter on each host that answered");
    // Started at once: the run waited for less than the four starts one
    // after another would have taken (generously: 90% of their sum).
    let starts = |report: &Value| -> (f64, f64) {
        let network = report["network"].as_array().expect("network[]");
        let each: f64 = network.iter().map(|h| h["startup_s"].as_f64().expect("startup_s")).sum();
        (report["startup_s"].as_f64().expect("startup_s"), each)
    };
    let (startup, each) = starts(&report);
    if startup >= 0.9 * each {
        finished.fail(&format!("start-up {startup}s, while the four starts took {each}s in all: not at once"));
    }
    // --fanout 1 starts them one after another again: the run waits for
    // all four starts, one after the other.
    let mut line = args.clone();
    line.extend(["--fanout".into(), "1".into()]);
    let finished = run(&line);
    let (startup, each) = starts(&finished.json());
    if startup < each {
        finished.fail(&format!("--fanout 1: start-up {startup}s, less than the four starts' {each}s"));
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_compare_logs_in_once_per_host_and_leaves_no_ssh_master_behind() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-one-login");
    let runtime = out.join("r");
    std::fs::create_dir_all(&runtime).expect("a runtime folder");
    let before: Vec<usize> = FOUR.iter().map(|h| logins(h)).collect();
    let args = args("compare --paintings 4 --paint 50ms --dry 0ms --hosts h1,h2,h3,h4 --json", &out);
    let mut command = coordinator(&args);
    command.env("XDG_RUNTIME_DIR", &runtime);
    // While it runs: one master per host, and no more, looked for on a
    // thread of its own while the run's output is read.
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watch = {
        let (running, runtime) = (std::sync::Arc::clone(&running), runtime.clone());
        std::thread::spawn(move || {
            let (mut most, mut every) = (0, std::collections::BTreeSet::new());
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                let masters = masters_under(&runtime);
                most = most.max(masters.len());
                every.extend(masters);
                std::thread::sleep(Duration::from_millis(20));
            }
            (most, every)
        })
    };
    let finished = finish(start(command), &args);
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let (most, every) = watch.join().expect("the watching thread");
    let report = finished.json();
    if most != 4 {
        finished.fail(&format!("4 ssh masters expected at most at once, saw {most}"));
    }
    // The same four processes through every mode: none ended and was made again.
    if every.len() != 4 {
        finished.fail(&format!("the same 4 ssh masters expected over the whole compare, saw pids {every:?}"));
    }
    let runs = report["runs"].as_array().expect("runs[]");
    assert_eq!(runs.len(), 5, "every mode ran");
    for run in runs {
        assert_eq!(checksums(run).len(), 4, "{}", run["mode"]);
    }
    // Every mode, and the probe, over one login per host.
    let after: Vec<usize> = FOUR.iter().map(|h| logins(h)).collect();
    let each: Vec<usize> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    if each != [1, 1, 1, 1] {
        finished.fail(&format!("one login per host expected, sshd logged {each:?} for h1…h4"));
    }
    for host in report["workload"]["hosts"].as_array().expect("hosts[]") {
        assert!(host["login_s"].as_f64().is_some_and(|s| s > 0.0), "{host}");
    }
    // Nothing left: no ssh over those sockets (master or session), no
    // socket, not its directory, no painter on any host.
    let left = left_under(&runtime);
    let ssh = processes_with(&format!("ControlPath={}", runtime.display()));
    let painters: Vec<u32> = FOUR.iter().flat_map(|h| painters_in(h)).collect();
    if !ssh.is_empty() || !left.is_empty() || !painters.is_empty() {
        finished.fail(&format!("left behind: ssh {ssh:?}, files {left:?}, painters {painters:?}"));
    }
    let _ = std::fs::remove_dir_all(out);
}

/// A hostfile as GNU parallel's `--sshloginfile` and MPI's hostfiles write
/// it: comments, `user@host:port`, `host slots=N`, `N/host`; and a line
/// that cannot be read, named by its number.
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_hostfile_in_gnu_parallels_and_mpis_forms_is_read_and_a_bad_line_named() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-hostfile");
    let file = out.join("hosts");
    std::fs::write(&file, "# the test hosts\nroot@h1:22\nh2 slots=1   # Open MPI's way\n\n1/h3\n").expect("a hostfile");
    let mut line = args("run --mode parallel --paintings 3 --strokes 100 --dry 0ms --json", &out);
    line.extend(["--hostfile".into(), file.display().to_string()]);
    let finished = run(&line);
    let report = finished.json();
    assert_eq!(checksums(&report).len(), 3, "{report}");
    let mut on: Vec<&str> =
        report["painters"].as_array().expect("painters[]").iter().filter_map(|p| p["host"].as_str()).collect();
    on.sort_unstable();
    assert_eq!(on, ["h1", "h2", "h3"], "a painter on each host of the file");
    let hosts: Vec<(&str, &Value)> = report["workload"]["hosts"]
        .as_array()
        .expect("workload.hosts[]")
        .iter()
        .map(|h| (h["name"].as_str().expect("name"), &h["cores"]))
        .collect();
    let cores = |host: &str| serde_json::json!([host_core(host)]);
    assert_eq!(hosts, [("root@h1:22", &cores("h1")), ("h2", &cores("h2")), ("h3", &cores("h3"))]);
    std::fs::write(&file, "h1\nh2 slots=two\n").expect("a bad hostfile");
    let finished = run(&line);
    let expected = format!(
        "error: --hostfile {} line 2: 'slots=two': slots takes a number of cores, at least 1 and at most 4294967295",
        file.display()
    );
    if finished.status.code() != Some(1) || finished.stderr.trim_end() != expected {
        finished.fail(&format!("exit 1 and one line expected: {expected}"));
    }
    let _ = std::fs::remove_dir_all(out);
}

/// A Slurm node that offers one CPU gives one painter, even where its job
/// step may run on every core of the machine (Slurm without task/affinity
/// or cgroups): the node's count, not the machine's. The test hosts' steps
/// are held to one core by `taskset`, so each step here widens its own mask
/// to every core of this machine first, as such a cluster would leave it.
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_slurm_node_that_offers_one_cpu_gives_one_painter_whatever_the_machine_has() {
    let _hosts = hosts_up();
    let _serial = serial();
    let all = cpus_allowed(std::process::id()).expect("this process's cores");
    if all.len() < 2 {
        eprintln!("skipped: this machine allows one core, so a step cannot see more than its node offers");
        return;
    }
    let all = all.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let out = out_dir("hosts-slurm-cpus");
    let mut line = args("run --mode parallel --paintings 4 --strokes 100 --dry 0ms --hosts h1,h2 --json", &out);
    line.extend([
        "--launcher".into(),
        format!("srun -u --quiet --overlap -N1 -n1 -w {{host}} taskset -a -c {all} {{cmd}}"),
    ]);
    let finished = run(&line);
    let report = finished.json();
    assert_eq!(checksums(&report).len(), 4, "{report}");
    for host in report["workload"]["hosts"].as_array().expect("workload.hosts[]") {
        if host["cores"].as_array().map(Vec::len) != Some(1) {
            finished.fail(&format!("one core expected from a one-CPU node, the probe found {host}"));
        }
    }
    let painters = report["painters"].as_array().expect("painters[]");
    if painters.len() != 2 {
        finished.fail(&format!("one painter per one-CPU node expected, {} started", painters.len()));
    }
    let _ = std::fs::remove_dir_all(out);
}

/// Each host's clock bound, drawn and said: an error bar at the start of
/// each remote painter's lane in the SVG, and a line per host in the text.
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn each_hosts_clock_bound_is_drawn_and_said() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-clock-drawn");
    let svg = out.join("run.svg");
    let mut line = args("run --mode parallel --paintings 2 --paint 100ms --dry 0ms --hosts h1,h2", &out);
    line.extend(["--svg".into(), svg.display().to_string()]);
    let finished = run(&line);
    let picture = std::fs::read_to_string(&svg).expect("the SVG");
    // The number after `lead` in `text`, up to the first character that is
    // not part of it.
    let number_after = |text: &str, lead: &str| -> Option<f64> {
        let rest = &text[text.find(lead)? + lead.len()..];
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(rest.len());
        rest[..end].parse().ok()
    };
    // h2's clock runs 1000 s ahead (its time namespace); each estimate is
    // said and drawn within its bound of the truth.
    for (host, truth) in [("h1", 0.0), ("h2", 1000.0)] {
        let lead = format!("(clock {host}: ");
        let Some(offset) = number_after(&finished.stdout, &lead) else {
            finished.fail(&format!("no {lead:?} and an offset in the text"))
        };
        // Its bound, in the unit it is said in (`±85µs`, `±1.2ms`).
        let said = &finished.stdout[finished.stdout.find(&lead).unwrap_or(0)..];
        let bound = number_after(said, "±").unwrap_or(0.0);
        let unit = said
            .split_once('±')
            .map_or("", |(_, rest)| rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'));
        let bound_s = bound
            * if unit.starts_with("µs") {
                1e-6
            } else if unit.starts_with("ms") {
                1e-3
            } else {
                1.0
            };
        if (offset - truth).abs() > bound_s + 1e-6 {
            finished.fail(&format!("{host}'s clock said {offset} s ahead ±{bound_s} s, where it is {truth} s"));
        }
        let drawn = format!(r#"<g class="clock-bound"><title>clock of {host}: "#);
        assert_eq!(picture.matches(&drawn).count(), 1, "one bar for {host}'s painter: {drawn}");
        let bar = number_after(&picture, &drawn).expect("the bar's offset");
        assert!((bar - offset).abs() < 1e-3, "{host}: the bar says {bar}, the text {offset}");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// The id Slurm gives a new job: a one-task job of its own on h1.
fn next_job_id() -> u64 {
    let output = Command::new("srun")
        .args(["--quiet", "-N1", "-n1", "-w", "h1", "--", "sh", "-c", "echo $SLURM_JOB_ID"])
        .env_remove("SLURM_JOB_ID")
        .output()
        .expect("srun runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim().parse().unwrap_or_else(|_| panic!("srun said {text:?}, {}", String::from_utf8_lossy(&output.stderr)))
}

/// Over srun, outside any allocation, a compare over four hosts makes one
/// allocation for everything, its probes included: Slurm numbers jobs one
/// after another, so the jobs made during the run are those between two
/// of the test's own (the hosts are the test's alone meanwhile).
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn a_compare_over_srun_makes_one_allocation_for_its_probes_and_every_mode() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-one-allocation");
    let args = args(
        "compare --modes sequential,parallel --paintings 2 --strokes 100 --dry 0ms --hosts h1,h2,h3,h4 --launcher srun --json",
        &out,
    );
    let before = next_job_id();
    let mut command = coordinator(&args);
    command.env_remove("SLURM_JOB_ID");
    let finished = finish(start(command), &args);
    let after = next_job_id();
    let report = finished.json();
    for run in report["runs"].as_array().expect("runs[]") {
        assert_eq!(checksums(run).len(), 2, "{}", run["mode"]);
    }
    let made = after - before - 1;
    if made != 1 {
        finished.fail(&format!("one Slurm job expected for the whole run, {made} were made (ids {before} … {after})"));
    }
    let _ = std::fs::remove_dir_all(out);
}

/// The processes still waiting as a host's probe (`painter --probe
/// --then-serve`, not yet told to be a painter, which would have named
/// itself `painter-K`).
fn waiting_probes() -> Vec<u32> {
    processes_with("--probe --then-serve").into_iter().filter(|&pid| comm(pid).as_deref() == Some("painter")).collect()
}

/// Over srun each host's probe stays and becomes its first painter, so a
/// run's first painting waits for one job step, not two: the first mode's
/// painters start in the time of their pings, a small part of a step. A
/// mode with fewer painters than hosts lets the other probes end as it
/// starts, and nothing of them is left after the run.
#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn over_srun_each_hosts_probe_is_its_first_painter() {
    let _hosts = hosts_up();
    let _serial = serial();
    let out = out_dir("hosts-probe-paints");
    let line = "compare --modes sequential,parallel --paintings 4 --paint 300ms --dry 0ms --hosts h1,h2,h3,h4 --launcher srun --json";
    let args = args(line, &out);
    let child = start(coordinator(&args));
    // The sequential mode paints on h1 alone for about 1.2 s: by then the
    // probes of h2, h3 and h4, which it did not need, have ended.
    let painting = eventually(Duration::from_secs(20), || !painters_in("h1").is_empty());
    let released = painting && eventually(Duration::from_secs(2), || waiting_probes().is_empty());
    let waiting = waiting_probes();
    let finished = finish(child, &args);
    if !painting {
        finished.fail("no painter appeared on h1");
    }
    if !released {
        finished.fail(&format!("probes {waiting:?} still waiting while the first mode painted"));
    }
    let report = finished.json();
    let probes: Vec<f64> = report["workload"]["hosts"]
        .as_array()
        .expect("hosts[]")
        .iter()
        .map(|h| h["probe_s"].as_f64().expect("probe_s"))
        .collect();
    assert_eq!(probes.len(), 4, "{}", report["workload"]);
    let first = &report["runs"][0]["painters"][0];
    assert_eq!(first["host"], "h1", "{first}");
    let startup = first["startup_s"].as_f64().expect("startup_s");
    // A job step took 26-31 ms here; h1's probe told to paint started in
    // 2-10 ms, its pings.
    assert!(startup < probes[0] / 2.0, "h1's first painter started in {startup} s, its probe took {} s", probes[0]);
    for run in 0..2 {
        assert_eq!(checksums(&report["runs"][run]).len(), 4, "{report}");
    }
    // Afterwards: no probe, no painter on any host.
    let gone = eventually(Duration::from_secs(2), || {
        processes_with("--then-serve").is_empty() && ["h1", "h2", "h3", "h4"].iter().all(|h| painters_in(h).is_empty())
    });
    assert!(gone, "left after the run: {:?}", processes_with("--then-serve"));
    let _ = std::fs::remove_dir_all(out);
}
