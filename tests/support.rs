//! Running the binaries, and reading what they leave behind.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
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
pub struct Finished {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// The story, as [`Finished::fail`] tells it, so that even a bare
/// `{finished:?}` in a message shows what ran and what it said.
impl std::fmt::Debug for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.status,
            shown(&self.stdout),
            shown(&self.stderr)
        )
    }
}

/// A stream as a failing test shows it: whole up to 32 KiB, else its first
/// and last 8 KiB and how much was left out between (a painter that floods
/// its stderr writes megabytes).
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    const WHOLE: usize = 32 << 10;
    const END: usize = 8 << 10;
    if text.len() <= WHOLE {
        return text.into();
    }
    let mut head = END;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - END;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}\n[… {} bytes left out …]\n{}", &text[..head], tail - head, &text[tail..]).into()
}

impl Finished {
    /// What a command started its own way (a shell around it, a closed
    /// pipe, a terminal) left, as `command` names it.
    pub fn of(command: impl Into<String>, output: &Output) -> Self {
        Self {
            command: command.into(),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Fails the test, showing the command, its status, stdout and stderr.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        panic!("{why}\n{self:?}")
    }

    /// Fails the test as [`Finished::fail`] does unless `holds`.
    #[track_caller]
    pub fn check(&self, holds: bool, why: &str) {
        if !holds {
            self.fail(why);
        }
    }

    /// Fails the test as [`Finished::fail`] does unless the command exited 0.
    #[track_caller]
    pub fn succeeded(&self) -> &Self {
        self.check(self.status.success(), "the command failed");
        self
    }

    /// Fails the test as [`Finished::fail`] does unless the command exited
    /// with `code`.
    #[track_caller]
    pub fn exited(&self, code: i32) -> &Self {
        self.check(self.status.code() == Some(code), &format!("exit status {code} expected"));
        self
    }

    /// Asserts success and returns stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        self.succeeded();
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

/// Whether the tests run under CI (`CI=true`), where whatever a test needs
/// is there, and a test whose service is missing fails rather than skip
/// what it cannot do.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The cores this process may use, at least `count` of them: a test of
/// painters side by side fails, saying so, where they would have to take
/// turns on fewer (under `taskset -c 0`, or in a one-core container).
/// Every machine atelier is for has two cores, CI's too, so such a test is
/// not ignored, as the ones that need root or the test hosts are.
#[track_caller]
pub fn needs_cores(count: usize) -> Vec<u32> {
    let cores = allowed_cores();
    assert!(
        cores.len() >= count,
        "this test needs {count} cores, and this process may use {} ({cores:?}): run it where it may use {count}",
        cores.len()
    );
    cores
}

/// Fails the test unless it runs as root, naming what needs root. A test
/// that calls this is `#[ignore]`d, and runs when asked for with
/// `--include-ignored` (as `.ci/run` does, as root).
#[track_caller]
pub fn needs_root(why: &str) {
    let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    assert!(matches!(uid, Ok(0)), "{why} needs root: run this test as root");
}
