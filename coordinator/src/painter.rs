//! One painter process, seen from the coordinator: spawning it, the
//! handshake, and its three pipes.
//!
//! Each pipe has its own reader or writer so that no one of them can block
//! the others: a task reads stdout and forwards every message, tagged with
//! the painter, to one channel the dispatcher listens on; another task
//! drains stderr line by line (a full stderr pipe would otherwise stall the
//! painter); stdin is written by the dispatcher.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use protocol::frame::{FrameCodec, MessageCodec};
use protocol::{FromPainter, Hello, ToPainter, handshake};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::mode::PainterPlan;

/// How long a new painter has to say `Hello`.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines of a painter's stderr kept for error messages.
const STDERR_TAIL: usize = 12;

/// The environment variable through which a painter learns its parent's pid
/// (the painter's own `process` module reads it).
const COORDINATOR_PID_ENV: &str = "ATELIER_COORDINATOR_PID";

/// A message from a painter, as the dispatcher receives it.
#[derive(Debug)]
pub struct Incoming {
    /// Index of the painter in its pool (its id).
    pub painter: usize,
    /// When the coordinator read it, on the shared clock.
    pub at_ns: u64,
    /// The message; `Ok(None)` when the painter closed its stdout.
    pub message: Result<Option<FromPainter>, protocol::Error>,
}

/// A running painter process.
#[derive(Debug)]
pub struct Painter {
    /// What the painter said about itself.
    pub hello: Hello,
    /// From spawn to `Hello`.
    pub startup: Duration,
    child: Child,
    stdin: FramedWrite<ChildStdin, MessageCodec<FromPainter, ToPainter>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

/// Starts one painter and waits for its `Hello`. Its messages will arrive on
/// `incoming`, tagged with `index`.
///
/// The painter gets a process group of its own, so that a Ctrl-C on the
/// terminal reaches only the coordinator, which then stops the painters in
/// order; and so that killing the group also kills anything it started.
///
/// # Errors
/// If the binary cannot be started, or the painter does not complete the
/// handshake (exits, stays silent, says something else, speaks another
/// protocol version); the painter is then killed and reaped.
pub async fn spawn(
    binary: &Path,
    plan: &PainterPlan,
    out: &Path,
    slice_strokes: u64,
    index: usize,
    incoming: mpsc::UnboundedSender<Incoming>,
) -> anyhow::Result<Painter> {
    let started = Instant::now();
    let name = format!("painter-{}", plan.id);
    let mut command = Command::new(binary);
    command
        .args(["--id", &plan.id.to_string(), "--scheduler", plan.scheduler.name()])
        .arg("--out")
        .arg(out)
        .args(["--slice-strokes", &slice_strokes.to_string()]);
    if plan.cores.is_empty() {
        command.args(["--lanes", &plan.lanes.to_string()]);
    } else {
        let cores: Vec<String> = plan.cores.iter().map(u32::to_string).collect();
        command.args(["--cores", &cores.join(",")]);
    }
    command
        .env(COORDINATOR_PID_ENV, std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn().with_context(|| format!("cannot start {name} from {}", binary.display()))?;
    let pid = child.id().unwrap_or(0);
    let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        bail!("{name} (pid {pid}) started without its pipes");
    };
    let stderr_tail = forward_stderr(plan.id, stderr);

    let mut frames = FramedRead::new(stdout, FrameCodec::new());
    let first = tokio::time::timeout(HANDSHAKE_TIMEOUT, frames.next()).await;
    let hello = match first {
        Ok(Some(Ok(frame))) => {
            handshake::accept(&frame).with_context(|| format!("{name} (pid {pid}) failed the handshake"))
        }
        Ok(Some(Err(error))) => {
            Err(anyhow::Error::new(error).context(format!("{name} (pid {pid}) sent a bad first frame")))
        }
        Ok(None) => {
            let status = child.wait().await.map(describe).unwrap_or_else(|e| e.to_string());
            Err(anyhow::anyhow!("{name} (pid {pid}) {status} before saying Hello{}", tail_text(&stderr_tail)))
        }
        Err(_) => Err(anyhow::anyhow!(
            "{name} (pid {pid}) did not say Hello within {}: is {} a painter?",
            humantime::format_duration(HANDSHAKE_TIMEOUT),
            binary.display()
        )),
    };
    let hello = match hello {
        Ok(hello) => hello,
        Err(error) => {
            kill_group(pid);
            let _ = child.wait().await;
            return Err(error);
        }
    };

    let mut messages = frames.map_decoder(|_| MessageCodec::<FromPainter, ToPainter>::new());
    tokio::spawn(async move {
        loop {
            let message = messages.next().await.transpose();
            let last = !matches!(message, Ok(Some(_)));
            let incoming_message = Incoming { painter: index, at_ns: protocol::clock::now_ns(), message };
            if incoming.send(incoming_message).is_err() || last {
                break;
            }
        }
    });

    Ok(Painter {
        hello,
        startup: started.elapsed(),
        child,
        stdin: FramedWrite::new(stdin, MessageCodec::new()),
        stderr_tail,
    })
}

impl Painter {
    /// `painter-K`.
    #[must_use]
    pub fn name(&self) -> String {
        format!("painter-{}", self.hello.painter_id)
    }

    /// Sends one message (and flushes it).
    ///
    /// # Errors
    /// If the painter's stdin is closed: it has exited.
    pub async fn send(&mut self, message: ToPainter) -> anyhow::Result<()> {
        let what = format!("cannot write to {} (pid {})", self.name(), self.hello.pid);
        self.stdin.send(message).await.context(what)
    }

    /// The last lines the painter wrote to stderr, ready to append to an
    /// error message (empty if it wrote none).
    #[must_use]
    pub fn stderr_tail(&self) -> String {
        tail_text(&self.stderr_tail)
    }

    /// Waits up to `grace` for the painter to exit, then kills its process
    /// group; always reaps it. Returns how it ended.
    pub async fn reap(&mut self, grace: Duration) -> std::io::Result<ExitStatus> {
        if let Ok(status) = tokio::time::timeout(grace, self.child.wait()).await {
            return status;
        }
        tracing::warn!(painter = self.hello.painter_id, pid = self.hello.pid, "did not exit in time; killing it");
        kill_group(self.hello.pid);
        self.child.wait().await
    }

    /// Kills the painter's process group at once and reaps the painter.
    pub async fn kill(&mut self) {
        kill_group(self.hello.pid);
        let _ = self.child.wait().await;
    }
}

/// SIGKILL to a painter's process group (the painter and anything it started).
fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// How a process ended, in words: "exited with status 1", "was killed by SIGKILL".
#[must_use]
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => {
            let name = Signal::try_from(signal).map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_owned());
            format!("was killed by {name}")
        }
        (None, None) => "ended".to_owned(),
    }
}

/// Drains a painter's stderr on a task of its own, echoing each line to our
/// stderr as `[painter-K] …` and keeping the last few for error messages.
fn forward_stderr(id: u32, stderr: ChildStderr) -> Arc<Mutex<VecDeque<String>>> {
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
    let keep = Arc::clone(&tail);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line).await, Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            line.clear();
            eprintln!("[painter-{id}] {text}");
            if let Ok(mut tail) = keep.lock() {
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(text);
            }
        }
    });
    tail
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let lines = tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
    if lines.is_empty() { String::new() } else { format!("; its stderr ended with: {}", lines.join(" | ")) }
}
