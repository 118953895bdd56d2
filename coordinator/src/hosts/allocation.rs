//! A Slurm allocation this coordinator makes for its painters' job steps,
//! when it runs outside one, and that ends with it however it ends: one
//! for the whole invocation, made before the hosts are probed (so that the
//! probes are steps in it too) when Slurm says every node is [`ready`].
//!
//! `salloc --no-shell` grants an allocation and exits: the allocation is
//! then held by no process, and a coordinator killed with SIGKILL (which
//! runs no clean-up) leaves it RUNNING until someone runs `scancel`.
//! Instead, `salloc` runs a command that says the job's id and then waits
//! for its stdin to close; this coordinator holds the other end of that
//! pipe. When the coordinator ends, in whatever way, the kernel closes its
//! end, the command ends, and `salloc` gives the allocation back.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::term::visible::{self, visible};

/// The command `salloc` runs inside the allocation, on this machine: the
/// job's id on stdout, then nothing until stdin closes.
const HOLD: &str = "echo \"$SLURM_JOB_ID\"; exec cat >/dev/null";

/// How long `salloc` has to give the allocation back once asked.
const RELEASE: Duration = Duration::from_secs(10);

/// The most bytes read of what `salloc` says.
const SAID: u64 = 64 * 1024;

/// An allocation held by a `salloc` that this coordinator started.
#[derive(Debug)]
pub struct Allocation {
    /// The Slurm job's id.
    pub id: String,
    salloc: tokio::process::Child,
}

impl Allocation {
    /// Allocates `nodes`, one task each, waiting up to 30 s for them.
    ///
    /// # Errors
    /// If `salloc` cannot be run, or does not grant the allocation (its
    /// last line says why).
    pub async fn make(nodes: &[&str]) -> anyhow::Result<Self> {
        let mut salloc = tokio::process::Command::new("salloc")
            // --no-kill: a node that fails (its link lost) takes only its
            // own steps with it, and the run goes on with the other hosts;
            // without it, Slurm cancels the whole allocation, every step
            // on every host. --quiet: nothing is said on a stderr that may
            // no longer be read when the allocation is given back.
            .args(["--quiet", "--no-kill", "--immediate=30", "--job-name=atelier"])
            .arg(format!("--nodes={}", nodes.len()))
            .arg(format!("--nodelist={}", nodes.join(",")))
            .args(["--", "sh", "-c", HOLD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its end is this coordinator's to decide: a Ctrl-C on the
            // terminal reaches only the coordinator.
            .process_group(0)
            .spawn()
            .context("cannot run salloc (is Slurm installed here?)")?;
        let (Some(stdout), Some(mut stderr)) = (salloc.stdout.take(), salloc.stderr.take()) else {
            bail!("salloc started without its pipes");
        };
        let mut line = String::new();
        let read = BufReader::new(stdout.take(SAID)).read_line(&mut line).await;
        let id = line.trim();
        if read.is_ok() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            tracing::debug!(job = id, "Slurm allocation made");
            let id = id.to_owned();
            // Whatever it says from now on (it should say nothing) is passed
            // on, made visible: a full pipe must never stall it.
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr.take(SAID)).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    crate::term::stderr::line(format!("[salloc] {}", visible(&line, visible::LINE)));
                }
            });
            return Ok(Self { id, salloc });
        }
        // No id: salloc failed, and says why on stderr.
        let mut said = Vec::new();
        let _ = (&mut stderr).take(SAID).read_to_end(&mut said).await;
        let _ = salloc.wait().await;
        let said = String::from_utf8_lossy(&said);
        let why = said.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("it said nothing");
        bail!("salloc could not allocate {}: {}", nodes.join(","), visible(why, visible::LINE))
    }
}

/// Whether Slurm says every one of `nodes` can be allocated now: each
/// known, and idle, mixed or allocated (shared), or completing a job that
/// just ended (a moment's wait), and answering (no `*`).
/// Asked before an allocation that is made for hosts not yet probed: one
/// node down or unknown would fail it, or keep it waiting, for them all.
pub async fn ready(nodes: &[&str]) -> bool {
    let asked = tokio::process::Command::new("sinfo")
        .args(["-h", "-N", "-o", "%N %T", "-n"])
        .arg(nodes.join(","))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let Ok(Ok(output)) = tokio::time::timeout(Duration::from_secs(5), asked).await else { return false };
    let text = String::from_utf8_lossy(&output.stdout);
    output.status.success()
        && nodes.iter().all(|node| {
            text.lines().any(|line| {
                line.split_once(' ').is_some_and(|(name, state)| {
                    name == *node && matches!(state.trim(), "idle" | "mixed" | "allocated" | "completing")
                })
            })
        })
}

impl Drop for Allocation {
    /// Gives the allocation back: closes the command's stdin, and waits for
    /// `salloc` to end; if it does not, cancels the job and kills it.
    fn drop(&mut self) {
        drop(self.salloc.stdin.take());
        let deadline = Instant::now() + RELEASE;
        while Instant::now() < deadline {
            match self.salloc.try_wait() {
                Ok(Some(status)) if status.success() => {
                    tracing::debug!(job = self.id, "Slurm allocation given back");
                    return;
                }
                Ok(Some(status)) => {
                    tracing::debug!(job = self.id, "salloc {status}");
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break,
            }
        }
        let id = &self.id;
        match std::process::Command::new("scancel").arg(id).status() {
            Ok(status) if status.success() => tracing::debug!(job = id, "Slurm allocation cancelled"),
            Ok(status) => eprintln!("warning: scancel {id} {status}: the Slurm allocation may outlive this run"),
            Err(error) => {
                eprintln!("warning: cannot run scancel {id} ({error}): the Slurm allocation may outlive this run")
            }
        }
        let _ = self.salloc.start_kill();
        let _ = self.salloc.try_wait();
    }
}
