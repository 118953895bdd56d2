//! Running the binaries, and reading what they leave behind.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any single coordinator invocation may take in a test.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// One test that starts painters at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The painter binary, built beside the coordinator by `cargo test --workspace`.
pub fn painter_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_coordinator")).with_file_name("painter");
    assert!(path.is_file(), "{} is missing: run the tests with `cargo test --workspace`", path.display());
    path
}

/// Command-line arguments from a line of words, plus `--out out`.
pub fn args(line: &str, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    args.push("--out".into());
    args.push(out.display().to_string());
    args
}

/// A `coordinator` command with the painter binary set explicitly.
pub fn coordinator(args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coordinator"));
    command.args(args).env("ATELIER_PAINTER", painter_binary()).env_remove("RUST_LOG");
    command
}

/// A fresh, empty output folder for one test.
pub fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atelier-test-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the output folder");
    dir
}

/// What a finished command left.
#[derive(Debug)]
pub struct Finished {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Fails the test, showing the command, its status and its stderr.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\ncommand: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }

    /// Asserts success and returns stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        if !self.status.success() {
            self.fail("the command failed");
        }
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| self.fail(&format!("stdout is not JSON: {e}")))
    }
}

/// Starts `command` with its output piped.
pub fn start(mut command: Command) -> Child {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("the coordinator starts")
}

/// Waits for `child` (killing it after [`RUN_TIMEOUT`]) and collects its output.
pub fn finish(child: Child, args: &[String]) -> Finished {
    finish_watching(child, args, || {})
}

/// As [`finish`], calling `watch` every few milliseconds while `child`
/// runs: its output is drained meanwhile, so that a report larger than a
/// pipe holds never blocks it while the test looks on.
pub fn finish_watching(mut child: Child, args: &[String], mut watch: impl FnMut()) -> Finished {
    let command = format!("coordinator {}", args.join(" "));
    // Drain both pipes on threads so that a chatty child never blocks.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let mut watched = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        // Not at every turn: a look may read all of /proc.
        if watched.elapsed() >= Duration::from_millis(20) {
            watch();
            watched = Instant::now();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("wait");
            let finished = Finished { command, status, stdout: String::new(), stderr: err.join().unwrap_or_default() };
            finished.fail("the command hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Finished { command, status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() }
}

/// Runs `coordinator args…` to the end.
pub fn run(args: &[String]) -> Finished {
    finish(start(coordinator(args)), args)
}

/// Runs `coordinator args… --json` and returns the parsed report.
pub fn run_json(args: &[String]) -> Value {
    let mut args = args.to_vec();
    args.push("--json".into());
    run(&args).json()
}

/// A field as f64, failing clearly when it is missing.
#[track_caller]
pub fn f64_of(value: &Value, field: &str) -> f64 {
    value[field].as_f64().unwrap_or_else(|| panic!("`{field}` missing or not a number in {value}"))
}

/// The cores this test process may use (as `/proc/self/status` says).
pub fn allowed_cores() -> Vec<u32> {
    cpus_allowed(std::process::id()).expect("own status")
}

/// The `Cpus_allowed_list` of a process, expanded: `0-2,5` → `[0, 1, 2, 5]`.
pub fn cpus_allowed(pid: u32) -> Option<Vec<u32>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?.trim().to_owned();
    let mut cores = Vec::new();
    for part in list.split(',') {
        match part.split_once('-') {
            Some((a, b)) => cores.extend(a.parse::<u32>().ok()?..=b.parse::<u32>().ok()?),
            None => cores.push(part.parse().ok()?),
        }
    }
    Some(cores)
}

/// The `comm` of a process (its name in `top`), if it is alive.
pub fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_owned())
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

/// Pids of live processes whose parent is `parent` and whose name starts with `painter-`.
pub fn painter_children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some((_, rest)) = stat.rsplit_once(") ") else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.first() != Some(&"Z")
                && fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent)
                && comm(pid).is_some_and(|c| c.starts_with("painter-"))
        })
        .collect()
}

/// Waits until `parent` has at least `count` painter children, and returns them.
#[track_caller]
pub fn wait_for_painters(parent: u32, count: usize) -> Vec<u32> {
    let mut painters = Vec::new();
    // Generous: a painter appears in well under a second, but a test beside
    // a busy core (or a build) may wait its turn for a CPU many times over.
    let appeared = eventually(Duration::from_secs(60), || {
        painters = painter_children(parent);
        painters.len() >= count
    });
    assert!(appeared, "expected {count} painters under pid {parent}, saw {painters:?}");
    painters
}

/// Waits up to `limit` for `condition`.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
