//! One painter process, seen from the coordinator: spawning it, the
//! handshake, its three pipes, and its exit.
//!
//! Everything that can block gets a task of its own, so that no painter can
//! stall another or the dispatcher:
//!
//! - a *reader* task decodes the painter's stdout and forwards each message,
//!   tagged with the painter, to the one channel the dispatcher listens on;
//! - a *writer* task owns the painter's stdin; [`Painter::send`] only queues;
//! - a *stderr* task drains stderr line by line (a full stderr pipe would
//!   otherwise stall the painter), echoing it as `[painter-K] …`;
//! - a *reaper* task waits for the process to exit, reaps it, and says so on
//!   the same channel. A painter's death is thus noticed from its pipe (EOF)
//!   and from its exit status, whichever comes first, and no painter is ever
//!   left a zombie.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use protocol::frame::{FrameCodec, MessageCodec};
use protocol::{FromPainter, Hello, ToPainter, handshake};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::{mpsc, watch};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::mode::PainterPlan;

/// How long a new painter has to say `Hello`.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines of a painter's stderr kept for error messages.
const STDERR_TAIL: usize = 12;

/// What the dispatcher hears from or about a painter.
#[derive(Debug)]
pub enum Heard {
    /// A message.
    Message(FromPainter),
    /// Its stdout ended cleanly, between frames.
    Closed,
    /// Its stdout carried something that is not a message.
    Garbled(protocol::Error),
    /// The process exited (and was reaped); `None` if waiting for it failed.
    Exited(Option<ExitStatus>),
}

/// One thing heard, tagged with the painter and the moment.
#[derive(Debug)]
pub struct Incoming {
    /// Index of the painter in its pool (its id).
    pub painter: usize,
    /// When the coordinator heard it, on the shared clock.
    pub at_ns: u64,
    /// What it heard.
    pub heard: Heard,
}

/// Where a painter process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Running,
    /// Exited and reaped; `None` if the status could not be read.
    Ended(Option<ExitStatus>),
}

/// A running painter process.
#[derive(Debug)]
pub struct Painter {
    /// What the painter said about itself.
    pub hello: Hello,
    /// From spawn to `Hello`.
    pub startup: Duration,
    stdin: mpsc::UnboundedSender<ToPainter>,
    life: watch::Receiver<Life>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

/// Starts one painter and waits for its `Hello`. What it says afterwards
/// arrives on `incoming`, tagged with `index`.
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
        .env(handshake::COORDINATOR_PID_ENV, std::process::id().to_string())
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
    let hello = match handshake(&mut frames, &mut child, &stderr_tail, binary).await {
        Ok(hello) => hello,
        Err(error) => {
            kill_group(pid);
            let _ = child.wait().await;
            return Err(error.context(format!("{name} (pid {pid}) failed the handshake")));
        }
    };

    tracing::debug!(painter = plan.id, pid, cores = ?hello.cores, lanes = hello.lanes, startup = ?started.elapsed(), "painter ready");
    let life = reap_when_done(child, index, incoming.clone());
    read_messages(frames.map_decoder(|_| MessageCodec::new()), index, incoming);
    Ok(Painter { hello, startup: started.elapsed(), stdin: write_messages(stdin), life, stderr_tail })
}

/// Reads the first frame, which must be a `Hello` of our protocol version.
async fn handshake(
    frames: &mut FramedRead<ChildStdout, FrameCodec>,
    child: &mut Child,
    stderr_tail: &Mutex<VecDeque<String>>,
    binary: &Path,
) -> anyhow::Result<Hello> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, frames.next()).await {
        Ok(Some(Ok(frame))) => Ok(handshake::accept(&frame)?),
        Ok(Some(Err(error))) => Err(anyhow::Error::new(error).context("bad first frame")),
        Ok(None) => {
            let status = child.wait().await.map(describe).unwrap_or_else(|e| e.to_string());
            Err(anyhow!("it {status} before saying Hello{}", tail_text(stderr_tail)))
        }
        Err(_) => Err(anyhow!(
            "no Hello within {}: is {} a painter?",
            humantime::format_duration(HANDSHAKE_TIMEOUT),
            binary.display()
        )),
    }
}

/// The reader task: every message from the painter's stdout, until it ends.
fn read_messages(
    mut messages: FramedRead<ChildStdout, MessageCodec<FromPainter, ToPainter>>,
    index: usize,
    incoming: mpsc::UnboundedSender<Incoming>,
) {
    tokio::spawn(async move {
        loop {
            let (heard, last) = match messages.next().await {
                Some(Ok(message)) => (Heard::Message(message), false),
                Some(Err(error)) => (Heard::Garbled(error), true),
                None => (Heard::Closed, true),
            };
            let sent = incoming.send(Incoming { painter: index, at_ns: protocol::clock::now_ns(), heard });
            if sent.is_err() || last {
                return;
            }
        }
    });
}

/// The writer task: owns the painter's stdin until every sender is gone,
/// then closes it (which a painter takes as the coordinator leaving).
fn write_messages(stdin: ChildStdin) -> mpsc::UnboundedSender<ToPainter> {
    let (tx, mut rx) = mpsc::unbounded_channel::<ToPainter>();
    tokio::spawn(async move {
        let mut sink = FramedWrite::new(stdin, MessageCodec::<FromPainter, ToPainter>::new());
        while let Some(first) = rx.recv().await {
            // Whatever is queued goes out in one write.
            let mut result = sink.feed(first).await;
            while let (Ok(()), Ok(next)) = (&result, rx.try_recv()) {
                result = sink.feed(next).await;
            }
            if let Err(error) = result.and(sink.flush().await) {
                // The painter is gone; its reader and reaper will say so.
                tracing::debug!("cannot write to a painter: {error}");
                return;
            }
        }
    });
    tx
}

/// The reaper task: waits for the process to exit, reaps it, and tells both
/// the dispatcher (`Heard::Exited`) and the [`Painter`] handle.
fn reap_when_done(mut child: Child, index: usize, incoming: mpsc::UnboundedSender<Incoming>) -> watch::Receiver<Life> {
    let (tx, rx) = watch::channel(Life::Running);
    tokio::spawn(async move {
        let status = child.wait().await.inspect_err(|e| tracing::warn!("cannot wait for a painter: {e}")).ok();
        let _ = tx.send(Life::Ended(status));
        let _ =
            incoming.send(Incoming { painter: index, at_ns: protocol::clock::now_ns(), heard: Heard::Exited(status) });
    });
    rx
}

impl Painter {
    /// `painter-K (pid N)`, for messages.
    #[must_use]
    pub fn who(&self) -> String {
        format!("painter-{} (pid {})", self.hello.painter_id, self.hello.pid)
    }

    /// Queues a message for the painter's stdin.
    ///
    /// # Errors
    /// If its stdin is closed: the painter has gone.
    pub fn send(&self, message: ToPainter) -> anyhow::Result<()> {
        self.stdin.send(message).map_err(|_| anyhow!("cannot write to {}: its stdin is closed", self.who()))
    }

    /// The last lines the painter wrote to stderr, ready to append to an
    /// error message (empty if it wrote none).
    #[must_use]
    pub fn stderr_tail(&self) -> String {
        tail_text(&self.stderr_tail)
    }

    /// Waits up to `grace` for the painter to exit, then kills its process
    /// group and waits for that. Returns how it ended.
    pub async fn reap(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Ok(status) = tokio::time::timeout(grace, self.ended()).await {
            return status;
        }
        tracing::warn!(painter = self.hello.painter_id, pid = self.hello.pid, "did not exit in time; killing it");
        self.kill().await
    }

    /// Kills the painter's process group at once and waits until it is reaped.
    pub async fn kill(&mut self) -> Option<ExitStatus> {
        // Only while it runs: once reaped, its pid may already be another's.
        if *self.life.borrow() == Life::Running {
            kill_group(self.hello.pid);
        }
        self.ended().await
    }

    /// The painter's exit, if it comes within `limit`: `Some(status)`, where
    /// the status itself is `None` if it could not be read.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<Option<ExitStatus>> {
        tokio::time::timeout(limit, self.ended()).await.ok()
    }

    async fn ended(&mut self) -> Option<ExitStatus> {
        match self.life.wait_for(|life| *life != Life::Running).await.map(|life| *life) {
            Ok(Life::Ended(status)) => status,
            // The reaper task is gone without a word: nothing more to learn.
            Ok(Life::Running) | Err(_) => None,
        }
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
