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

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

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
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&stdout);
    let stderr = String::from_utf8_lossy(&stderr);
    let said = stderr.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("");
    let said = if said.is_empty() { String::new() } else { format!(": {}", visible(said, visible::LINE)) };
    if let Some(line) = stdout.lines().find(|l| l.starts_with("atelier-probe ")) {
        return parse(line, took);
    }
    let painter = visible(&painter.display().to_string(), visible::LINE);
    // srun's own refusal (no such node, no allocation) is srun's, not the painter's.
    let srun_refused = stderr.lines().any(|l| l.trim_start().starts_with("srun: error:"));
    Err(match (launcher, status.code()) {
        (Launcher::Ssh, Some(255)) => format!("ssh cannot reach it or log in{said}"),
        (Launcher::Srun, Some(_)) if srun_refused => format!("srun cannot start a job step there{said}"),
        (_, Some(126 | 127)) => format!("no painter at {painter} there{said}"),
        (_, Some(code)) => format!("its painter --probe ({painter}, via {via}) exited with status {code}{said}"),
        (_, None) => format!("its painter --probe ({painter}, via {via}) was killed{said}"),
    })
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
