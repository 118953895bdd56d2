//! Asking a host, before planning, what a painter may use there.
//!
//! The painter itself answers (`painter --probe`, one line), started the way
//! painters will be started there, so the probe also proves that the
//! launcher works and the painter is where it is expected. What it reports
//! is its own `sched_getaffinity` — the cores this user may use there, as
//! `taskset`, cgroups or Slurm set them, not the machine's count — its host
//! name and boot id. Inside a Slurm job it also says how many CPUs the job
//! has on that node (`slurm_cpus`), and a host offers no more cores than
//! that: a node configured with one CPU gives one painter, even where its
//! step may run on every core of the machine.
//!
//! Over srun the probe stays ([`stay`], `painter --probe --then-serve`):
//! once it has answered, it waits, [`Held`], to be told what to paint as,
//! and becomes that host's first painter. A job step costs as much as the
//! probe itself, so without this a run's first painting waited for two
//! steps, the probe's and the painter's, one after the other
//! (docs/performance.md, start-up against the number of hosts).
//! Not through a template: it may pass the line on through something that
//! holds it until the probe ends (`… | sed`), and a probe that waited
//! would then wait for ever. Not over ssh, where the painter's session
//! after the login costs a few milliseconds, not a second login: there
//! the first mode's sessions are the network's share of its start-up,
//! which its report shows host by host.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};

use super::Launcher;
use crate::term::visible::{self, visible};

/// How long a host has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// What a host said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its name, as its own kernel knows it.
    pub hostname: String,
    /// Its kernel's boot id.
    pub boot: String,
    /// The cores a painter may use there.
    pub cores: Vec<u32>,
    /// From starting the launcher to the answer.
    pub took: Duration,
}

/// The most bytes read of a probe's stdout, and of its stderr: its answer is
/// one line of a few hundred bytes; what a host says beyond this is not an
/// answer, and is never held in memory.
pub const MOST: u64 = 64 * 1024;

/// Runs `command` (which ends in `painter --probe`) and reads its line.
///
/// What the host says is input from another machine: at most [`MOST`]
/// bytes of each stream are read (more is an error, and the probe is
/// stopped), and whatever of it is kept or printed is made visible (no
/// escape sequence reaches the terminal).
///
/// # Errors
/// Why the host cannot run painters, in one line: it cannot be reached or
/// refuses the login, it has no painter at `painter`, it answers nothing or
/// something else or too much, or speaks another protocol.
pub async fn run(command: Command, painter: &Path, launcher: &Launcher, local: bool) -> Result<Found, String> {
    let mut command = tokio::process::Command::from(command);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let started = Instant::now();
    let via = if local { "this machine".to_owned() } else { launcher.name().to_owned() };
    let mut child = command.spawn().map_err(|error| format!("cannot start {via}: {error}"))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(format!("cannot read what {via} says"));
    };
    // Both streams at once, so that a full pipe on one never stalls the
    // other; the first that says too much ends the probe (the child is
    // killed when dropped).
    let heard = async {
        let (stdout, stderr) = tokio::try_join!(bounded(stdout, "stdout"), bounded(stderr, "stderr"))?;
        let status = child.wait().await.map_err(|error| format!("{via} failed: {error}"))?;
        Ok::<_, String>((stdout, stderr, status))
    };
    let (stdout, stderr, status) = tokio::time::timeout(TIMEOUT, heard)
        .await
        .map_err(|_| format!("no answer within {} ({via})", humantime::format_duration(TIMEOUT)))??;
    let status = Some(status);
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&stdout);
    if let Some(line) = stdout.lines().find(|l| l.starts_with("atelier-probe ")) {
        return parse(line, took);
    }
    Err(refusal(launcher, painter, &via, status, &stderr))
}

/// Why a probe that said no line failed, in one line: from how it ended
/// (`status`) and the last line of its stderr.
fn refusal(launcher: &Launcher, painter: &Path, via: &str, status: Option<ExitStatus>, stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let said = stderr.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("");
    let said = if said.is_empty() { String::new() } else { format!(": {}", visible(said, visible::LINE)) };
    let painter = visible(&painter.display().to_string(), visible::LINE);
    // srun's own refusal (no such node, no allocation) is srun's, not the painter's.
    let srun_refused = stderr.lines().any(|l| l.trim_start().starts_with("srun: error:"));
    match (launcher, status.and_then(|status| status.code())) {
        (Launcher::Ssh, Some(255)) => format!("ssh cannot reach it or log in{said}"),
        (Launcher::Srun, Some(_)) if srun_refused => format!("srun cannot start a job step there{said}"),
        (_, Some(126 | 127)) => format!("no painter at {painter} there{said}"),
        (_, Some(code)) => format!("its painter --probe ({painter}, via {via}) exited with status {code}{said}"),
        (_, None) => format!("its painter --probe ({painter}, via {via}) was killed{said}"),
    }
}

/// A probe that answered and stayed (`serves=1`): a painter on its host,
/// started, waiting to be told what to paint as. Dropped untold, it is
/// killed with its process group (its launcher, and anything that
/// started here) and reaped; [`Held::release`] lets it end on its own.
#[derive(Debug)]
pub struct Held {
    /// The launcher this coordinator started; `None` once it is a
    /// painter's, or has ended.
    child: Option<std::process::Child>,
    stdin: Option<ChildStdin>,
    pipes: Option<(ChildStdout, ChildStderr)>,
}

/// A held probe told to paint: the pid of its launcher, which the caller
/// now reaps, and its pipes, now a painter's.
#[derive(Debug)]
pub struct Serving {
    /// The process this coordinator started (the launcher).
    pub pid: u32,
    /// The painter's stdin.
    pub stdin: ChildStdin,
    /// The painter's stdout: its frames.
    pub stdout: ChildStdout,
    /// The painter's stderr.
    pub stderr: ChildStderr,
}

/// What a probe that stays is told before its arguments (the painter's `probe::SERVE`).
const SERVE: &str = "atelier-serve";

/// How long a released probe has to end on its own before it is killed.
const RELEASE: Duration = Duration::from_secs(2);

impl Held {
    /// Tells it to paint with `args` (a painter's arguments, after its
    /// path). From here on its launcher's pid is the caller's to reap.
    ///
    /// # Errors
    /// If it cannot be told (it has ended); it is then killed and reaped.
    pub async fn serve(mut self, args: &[OsString]) -> std::io::Result<Serving> {
        let mut words = Vec::new();
        for arg in args {
            words.extend_from_slice(arg.as_bytes());
            words.push(0);
        }
        let mut told = format!("{SERVE} {}\n", words.len()).into_bytes();
        told.extend(words);
        let (Some(mut stdin), Some((stdout, stderr))) = (self.stdin.take(), self.pipes.take()) else {
            return Err(std::io::Error::other("its pipes are gone"));
        };
        stdin.write_all(&told).await?;
        stdin.flush().await?;
        // std's `Child` neither kills nor waits when dropped: its end is
        // the caller's now.
        let pid = self.child.take().map_or(0, |child| child.id());
        Ok(Serving { pid, stdin, stdout, stderr })
    }

    /// Lets it end on its own: its stdin closes, which a probe that stays
    /// takes as the coordinator going on without it. A thread waits for
    /// its end (killing it if it has not ended within [`RELEASE`]), and is
    /// returned, to be joined.
    pub fn release(mut self) -> Option<std::thread::JoinHandle<()>> {
        drop((self.stdin.take(), self.pipes.take()));
        let child = self.child.take()?;
        let pid = child.id();
        let waiting = std::thread::Builder::new().name("probe-release".into()).spawn(move || {
            end(child, RELEASE);
        });
        match waiting {
            Ok(thread) => Some(thread),
            Err(error) => {
                tracing::warn!("cannot start a thread to wait for probe {pid}: {error}");
                None
            }
        }
    }

    /// Lets it end on its own, as [`Held::release`], and waits for that.
    async fn ended(mut self) -> Option<ExitStatus> {
        drop((self.stdin.take(), self.pipes.take()));
        let child = self.child.take()?;
        tokio::task::spawn_blocking(move || end(child, TIMEOUT)).await.ok().flatten()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            end(child, Duration::ZERO);
        }
    }
}

/// Waits up to `grace` for `child` to end, then kills its process group,
/// and reaps it; its status, unless something else reaped it first (the
/// probing abandoned on a stop signal kills and reaps every probe).
fn end(mut child: std::process::Child, grace: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Err(_) => return None,
            Ok(None) if Instant::now() >= deadline => break,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    // Unreaped, it is still ours, and so is its group: neither number can
    // have been given to another process.
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    child.wait().ok()
}

/// Runs `command` (which ends in `painter --probe --then-serve`) and reads
/// its line, as [`run`]; a painter that says `serves=1` is then kept,
/// [`Held`], to be told what to paint as. [`Found::took`] is from the
/// start to the line, for the probe's work ends there.
///
/// # Errors
/// As [`run`].
pub async fn stay(mut command: Command, painter: &Path, launcher: &Launcher) -> Result<(Found, Option<Held>), String> {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let via = launcher.name().to_owned();
    let started = Instant::now();
    let mut child = command.spawn().map_err(|error| format!("cannot start {via}: {error}"))?;
    let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    // From here on, every way out ends it.
    let mut held = Held { child: Some(child), stdin: None, pipes: None };
    let (Some(stdin), Some(stdout), Some(stderr)) = pipes else {
        return Err(format!("cannot read what {via} says"));
    };
    let tokio_pipes = (ChildStdin::from_std(stdin), ChildStdout::from_std(stdout), ChildStderr::from_std(stderr));
    let (Ok(stdin), Ok(mut stdout), Ok(mut stderr)) = tokio_pipes else {
        return Err(format!("cannot read what {via} says"));
    };
    held.stdin = Some(stdin);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let heard = tokio::time::timeout(TIMEOUT, listen(&mut stdout, &mut stderr, &mut out, &mut err))
        .await
        .map_err(|_| format!("no answer within {} ({via})", humantime::format_duration(TIMEOUT)))??;
    if let Some(line) = heard {
        let found = parse(&line, started.elapsed())?;
        // Anything after the line would be read as the painter's frames.
        let alone = out.ends_with(line.as_bytes()) || out.ends_with(format!("{line}\n").as_bytes());
        if line.split(' ').any(|word| word == "serves=1") && alone {
            held.pipes = Some((stdout, stderr));
            return Ok((found, Some(held)));
        }
        held.pipes = Some((stdout, stderr));
        held.ended().await;
        return Ok((found, None));
    }
    // No line: why is in how it ended, and on its stderr.
    let rest = tokio::time::timeout(TIMEOUT, bounded(&mut stderr, "stderr")).await;
    err.extend(rest.ok().and_then(Result::ok).unwrap_or_default());
    err.truncate(MOST as usize);
    held.pipes = Some((stdout, stderr));
    let status = held.ended().await;
    Err(refusal(launcher, painter, &via, status, &err))
}

/// Reads a probe's stdout, and its stderr meanwhile, until stdout holds a
/// whole probe line, which is returned, or ends (`None`). At most
/// [`MOST`] bytes of each.
async fn listen(
    stdout: &mut ChildStdout,
    stderr: &mut ChildStderr,
    out: &mut Vec<u8>,
    err: &mut Vec<u8>,
) -> Result<Option<String>, String> {
    let (mut chunk, mut said) = ([0u8; 4096], [0u8; 4096]);
    let mut stderr_open = true;
    loop {
        tokio::select! {
            read = stdout.read(&mut chunk) => {
                let n = read.map_err(|error| format!("cannot read its probe's stdout: {error}"))?;
                if n == 0 {
                    return Ok(None);
                }
                out.extend_from_slice(&chunk[..n]);
                if out.len() as u64 > MOST {
                    return Err(format!("its probe wrote more than {} KiB to stdout, which is not an answer", MOST / 1024));
                }
                let whole = out.iter().rposition(|&b| b == b'\n').map_or(&out[..0], |end| &out[..end]);
                if let Some(line) = String::from_utf8_lossy(whole).lines().find(|l| l.starts_with("atelier-probe ")) {
                    return Ok(Some(line.to_owned()));
                }
            }
            read = stderr.read(&mut said), if stderr_open => match read {
                Ok(0) | Err(_) => stderr_open = false,
                Ok(n) => {
                    err.extend_from_slice(&said[..n]);
                    if err.len() as u64 > MOST {
                        return Err(format!("its probe wrote more than {} KiB to stderr, which is not an answer", MOST / 1024));
                    }
                }
            },
        }
    }
}

/// All of `stream` up to its end, or an error naming it once it passes [`MOST`] bytes.
async fn bounded(stream: impl tokio::io::AsyncRead + Unpin, name: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    stream
        .take(MOST + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|error| format!("cannot read its probe's {name}: {error}"))?;
    if bytes.len() as u64 > MOST {
        return Err(format!("its probe wrote more than {} KiB to {name}, which is not an answer", MOST / 1024));
    }
    Ok(bytes)
}

/// Reads `atelier-probe protocol=3 host=h1 boot=… cores=0,1`.
fn parse(line: &str, took: Duration) -> Result<Found, String> {
    let field = |key: &str| line.split(' ').find_map(|w| w.strip_prefix(key)).unwrap_or("");
    let theirs: u32 = field("protocol=").parse().unwrap_or(0);
    if theirs != protocol::PROTOCOL_VERSION {
        return Err(format!(
            "its painter speaks protocol {theirs}, this coordinator {}: install the same version there",
            protocol::PROTOCOL_VERSION
        ));
    }
    let cores: Result<Vec<u32>, _> = field("cores=").split(',').filter(|c| !c.is_empty()).map(str::parse).collect();
    let cores = cores.map_err(|_| format!("its probe said something unreadable: {}", visible(line, visible::LINE)))?;
    if cores.is_empty() {
        return Err("it allows a painter no core".to_owned());
    }
    let mut seen = std::collections::HashSet::with_capacity(cores.len());
    if let Some(core) = cores.iter().find(|&&core| !seen.insert(core)) {
        return Err(format!("its probe names core {core} twice"));
    }
    let mut cores = cores;
    match field("slurm_cpus=") {
        "" => {}
        n => {
            let n: usize = n
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("its probe said something unreadable: {}", visible(line, visible::LINE)))?;
            if n < cores.len() {
                tracing::debug!(offered = n, allowed = ?cores, "the Slurm node offers fewer CPUs than the step may use");
                cores.truncate(n);
            }
        }
    }
    // Both are shown in reports: kept visible, and no longer than a host name.
    let hostname = visible(field("host="), protocol::contract::MAX_HOST);
    let boot = visible(field("boot="), protocol::contract::MAX_HOST);
    Ok(Found { hostname, boot, cores, took })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_line() {
        let line = format!("atelier-probe protocol={} host=h2 boot=abc cores=1,3", protocol::PROTOCOL_VERSION);
        let found = parse(&line, Duration::ZERO).expect("parses");
        assert_eq!((found.hostname.as_str(), found.boot.as_str(), found.cores), ("h2", "abc", vec![1, 3]));
        let old = parse("atelier-probe protocol=1 host=h2 boot=abc cores=1", Duration::ZERO).expect_err("old");
        assert!(old.contains("protocol 1"), "{old}");
        assert!(parse(&line.replace("cores=1,3", "cores=x"), Duration::ZERO).is_err());
        let twice = parse(&line.replace("cores=1,3", "cores=1,3,1"), Duration::ZERO).expect_err("twice");
        assert_eq!(twice, "its probe names core 1 twice");
        // A Slurm node that offers one CPU gives one core, whatever the step's affinity.
        let node = parse(&format!("{line} slurm_cpus=1"), Duration::ZERO).expect("parses");
        assert_eq!(node.cores, vec![1]);
        let node = parse(&format!("{line} slurm_cpus=4"), Duration::ZERO).expect("parses");
        assert_eq!(node.cores, vec![1, 3], "a node's count never adds cores the step may not use");
        assert!(parse(&format!("{line} slurm_cpus=0"), Duration::ZERO).is_err());
        let odd = parse(&line.replace("host=h2", "host=h2\u{1b}]0;x\u{7}"), Duration::ZERO).expect("parses");
        assert_eq!(odd.hostname, "h2\\x1b]0;x\\x07", "a host name is shown, never sent to a terminal");
    }

    #[tokio::test]
    async fn srun_refusing_a_step_is_told_as_srun_and_not_as_the_painter() {
        let mut command = Command::new("sh");
        command
            .args(["-c", "echo 'srun: error: Unable to allocate resources: Invalid node name specified' >&2; exit 1"]);
        let why = run(command, Path::new("/bin/painter"), &Launcher::Srun, false).await.expect_err("fails");
        assert_eq!(
            why,
            "srun cannot start a job step there: srun: error: Unable to allocate resources: Invalid node name specified"
        );
    }

    #[tokio::test]
    async fn a_missing_painter_is_named() {
        let mut command = Command::new("sh");
        command.args(["-c", "exec /nonexistent/painter --probe"]);
        let why = run(command, Path::new("/nonexistent/painter"), &Launcher::Ssh, false).await.expect_err("fails");
        assert!(why.starts_with("no painter at /nonexistent/painter there"), "{why}");
    }
}
