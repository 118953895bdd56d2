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
//! - a *reaper* thread waits for the process to exit, reaps it with
//!   `wait4` (`reap.rs`: its exit status and the kernel's account of its CPU
//!   time and memory), and says so on the same channel. A painter's death is
//!   thus noticed from its pipe (EOF) and from its exit status, whichever
//!   comes first — the exit status even when a descendant of the painter
//!   still holds its pipes open — and no painter is ever left a zombie.
//!
//! Painters are spawned from the coordinator's main thread, which lives as
//! long as the run: a painter's parent-death signal fires when the *thread*
//! that spawned it ends, not the process.

use std::collections::VecDeque;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::{FutureExt, SinkExt, StreamExt};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use protocol::frame::{FrameCodec, MessageCodec};
use protocol::{FromPainter, Hello, ToPainter, contract, handshake};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::{mpsc, watch};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::mode::{PainterPlan, painter_name};
use crate::os::reap::{self, Usage};
use crate::term::visible::{self, visible};

/// How long a new painter has to say `Hello`.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines of a painter's stderr kept for error messages.
const STDERR_TAIL: usize = 4;

/// The most bytes of a painter's stderr read as one line.
const STDERR_PIECE: u64 = 4096;

/// What the dispatcher hears from or about a painter.
#[derive(Debug)]
pub enum Heard {
    /// A message.
    Message(FromPainter),
    /// Its stdout ended cleanly, between frames.
    Closed,
    /// Its stdout carried something that is not a message.
    Garbled(protocol::Error),
    /// The process exited and was reaped.
    Exited(Exit),
}

/// One thing heard, tagged with the painter and the moment.
#[derive(Debug)]
pub struct Incoming {
    /// Index of the painter in its pool.
    pub painter: usize,
    /// When the coordinator heard it, on the shared clock.
    pub at_ns: u64,
    /// What it heard.
    pub heard: Heard,
}

/// The sending end of a pool's [`Inbound`]: things heard, in batches.
pub type Outlet = mpsc::UnboundedSender<Vec<Incoming>>;

/// Everything heard from the painters of a pool, one thing at a time.
///
/// A reader task sends what it decoded from one read of a painter's stdout
/// as one batch — a busy painter's events arrive hundreds at a time — so
/// that the channel and the wake-up it costs are paid once per batch, not
/// once per message.
#[derive(Debug)]
pub struct Inbound {
    rx: mpsc::UnboundedReceiver<Vec<Incoming>>,
    ready: VecDeque<Incoming>,
}

impl Inbound {
    /// A channel: its sending end, for the tasks, and its receiving end.
    #[must_use]
    pub fn channel() -> (Outlet, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, Self { rx, ready: VecDeque::new() })
    }

    /// The next thing heard, waiting for it; `None` once every sender is
    /// gone. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Incoming> {
        if self.ready.is_empty() {
            self.ready.extend(self.rx.recv().await?);
        }
        self.ready.pop_front()
    }

    /// The next thing heard, if something has been.
    pub fn try_recv(&mut self) -> Option<Incoming> {
        if self.ready.is_empty() {
            self.ready.extend(self.rx.try_recv().ok()?);
        }
        self.ready.pop_front()
    }
}

/// How a painter process ended, as its reaping told.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Exit {
    /// Its exit status (`None` if it could not be read).
    pub status: Option<ExitStatus>,
    /// The kernel's account of what it used.
    pub usage: Option<Usage>,
}

impl Exit {
    /// "exited with status 1", "was killed by SIGKILL", or "ended".
    #[must_use]
    pub fn describe(&self) -> String {
        self.status.map_or_else(|| "ended".to_owned(), describe)
    }
}

/// Where a painter process is in its life.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Life {
    Running,
    /// Exited, not yet reaped: its process group may no longer be signalled
    /// once it is, so from here on nothing is sent to it.
    Exited,
    /// Exited and reaped.
    Ended(Exit),
}

/// A running painter process. Dropping it kills the process group of a
/// painter still running, so no error path can leave one behind.
#[derive(Debug)]
pub struct Painter {
    /// What the painter said about itself, checked against what it was
    /// started as; its `pid` is the one the coordinator spawned (see
    /// [`Painter::claimed_pid`]).
    pub hello: Hello,
    /// The pid the painter's `Hello` claimed, when it is not the process
    /// the coordinator started (a wrapper script, a painter behind a
    /// launcher): reported, never signalled.
    pub claimed_pid: Option<u32>,
    /// When it was spawned, on the shared clock: none of its timestamps
    /// may be earlier.
    pub spawned_ns: u64,
    /// What it was started as.
    pub plan: PainterPlan,
    /// Where each of its threads' line of states has got to, as the
    /// contract follows it through its `States`, during the run and after.
    pub states: protocol::contract::StateLines,
    /// From spawn to `Hello`.
    pub startup: Duration,
    /// When it was ready for work, on the shared clock: after its `Hello`,
    /// and for a remote painter after its clock was measured too.
    pub ready_ns: u64,
    /// With `--hosts`, where it runs when that is not this machine.
    pub remote: Option<Remote>,
    /// The process this coordinator started: the painter itself, or the
    /// launcher (ssh, srun) that carries a remote painter's pipes. The only
    /// one it ever signals.
    local_pid: u32,
    /// Whether this coordinator has sent it a signal that ends a process
    /// (SIGTERM, SIGKILL): then an ssh that exits with 255 did so because
    /// it was told to, not because its link was lost.
    signalled: AtomicBool,
    stdin: mpsc::UnboundedSender<ToPainter>,
    life: watch::Receiver<Life>,
    stderr_tail: Arc<Mutex<Tail>>,
}

/// What a painter is started with, besides its plan.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The painter binary.
    pub binary: std::path::PathBuf,
    /// Where it saves paintings.
    pub out: std::path::PathBuf,
    /// Async painters: strokes between two yields.
    pub slice_strokes: u64,
    /// With `--hosts`: the hosts, and how to start painters there.
    pub hosts: Option<Arc<crate::hosts::Cluster>>,
}

/// A painter on another host: which, over what, its clock, and where its
/// pictures come home to.
#[derive(Debug)]
pub struct Remote {
    /// The host, as given (`h1`).
    pub host: String,
    /// What carries its pipes: `ssh`, `srun`, a template's first word.
    pub carrier: String,
    /// Its clock, as measured after its `Hello` (and, once the pool shuts
    /// down, before its `Shutdown`); `None` only while it starts.
    pub clock: Option<crate::hosts::clock::Clock>,
    /// Its pictures, home and waiting to be written; `None` only while it
    /// starts.
    doorstep: Option<crate::hosts::homecoming::Doorstep>,
}

/// Starts one painter and waits for its `Hello`. What it says afterwards
/// arrives on `incoming`, tagged with `index`.
///
/// The painter gets a process group of its own, so that a Ctrl-C on the
/// terminal reaches only the coordinator, which then stops the painters in
/// order; and so that signalling the group also reaches anything it started.
///
/// # Errors
/// If the binary cannot be started, or the painter does not complete the
/// handshake (exits, stays silent, says something else, speaks another
/// protocol version); the painter is then killed and reaped.
pub async fn spawn(launch: &Launch, plan: &PainterPlan, index: usize, incoming: Outlet) -> anyhow::Result<Painter> {
    let binary = &launch.binary;
    let (mut command, remote) = command(launch, plan);
    let name =
        remote.as_ref().map_or_else(|| painter_name(plan.id), |host| format!("{host}/{}", painter_name(plan.id)));
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    // Over srun, the host's probe may be waiting to be this painter.
    let held = launch.hosts.as_ref().filter(|_| remote.is_some()).and_then(|cluster| cluster.held(plan));
    // The reaper thread is started first: if it cannot be, no painter is
    // left without one; and starting a thread while the painter starts
    // would compete with it for the cores (docs/performance.md, start-up).
    let (reap_pid, life) = reaper(&name)?;
    // std's `Child` neither kills nor waits when dropped: the reaper thread
    // owns the process's end, and `Painter`'s `Drop` its killing.
    let mut started = Instant::now();
    let mut spawned_ns = protocol::clock::now_ns();
    let serving = match held {
        Some(held) => {
            let args = crate::hosts::Cluster::remote_args(arguments(launch, plan));
            match held.serve(&args).await {
                Ok(serving) => Some(serving),
                // It has been killed and reaped: a painter is started there as usual.
                Err(error) => {
                    tracing::debug!(painter = plan.id, "cannot tell the probe on its host to paint: {error}");
                    (started, spawned_ns) = (Instant::now(), protocol::clock::now_ns());
                    None
                }
            }
        }
        None => None,
    };
    let (pid, stdin, stdout, stderr) = match serving {
        Some(serving) => {
            let _ = reap_pid.send(serving.pid);
            tracing::debug!(painter = plan.id, "the probe on its host paints");
            (serving.pid, serving.stdin, serving.stdout, serving.stderr)
        }
        None => {
            let mut child =
                command.spawn().with_context(|| format!("cannot start {name} from {}", binary.display()))?;
            let pid = child.id();
            let _ = reap_pid.send(pid);
            let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
            let (Some(stdin), Some(stdout), Some(stderr)) = pipes else {
                signal_group(pid, Signal::SIGKILL);
                bail!("{name} (pid {pid}) started without its pipes");
            };
            (pid, ChildStdin::from_std(stdin)?, ChildStdout::from_std(stdout)?, ChildStderr::from_std(stderr)?)
        }
    };
    let stderr_tail = forward_stderr(plan.id, stderr);

    let mut frames = FramedRead::new(stdout, FrameCodec::new());
    let mut painter = Painter {
        // Stands in until the painter says its own `Hello`.
        hello: Hello {
            protocol_version: protocol::PROTOCOL_VERSION,
            pid,
            painter_id: plan.id,
            cores: plan.cores.clone(),
            lanes: plan.lanes,
            scheduler: plan.scheduler,
            host: String::new(),
        },
        claimed_pid: None,
        spawned_ns,
        plan: plan.clone(),
        states: protocol::contract::StateLines::new(spawned_ns),
        startup: Duration::ZERO,
        ready_ns: spawned_ns,
        remote: remote.clone().zip(launch.hosts.as_ref()).map(|(host, cluster)| Remote {
            host,
            carrier: cluster.launcher.name().to_owned(),
            clock: None,
            doorstep: None,
        }),
        local_pid: pid,
        signalled: AtomicBool::new(false),
        stdin: write_messages(stdin),
        life,
        stderr_tail,
    };
    match handshake(&mut frames, &mut painter, binary).await {
        Ok(hello) => painter.accept(hello, &name),
        Err(error) => {
            painter.kill().await;
            return Err(error.context(format!("{name} (pid {pid}) failed the handshake")));
        }
    }
    painter.startup = started.elapsed();
    let mut home = None;
    if remote.is_some() {
        match crate::hosts::sync(&mut frames, &painter.stdin).await {
            Ok(start) => home = Some(painter.homecoming(start, &launch.out)),
            Err(error) => {
                painter.kill().await;
                return Err(error.context(format!("{name} did not answer the clock's pings")));
            }
        }
    }
    painter.ready_ns = protocol::clock::now_ns();
    tracing::debug!(painter = plan.id, pid, cores = ?painter.hello.cores, lanes = painter.hello.lanes, startup = ?painter.startup, "painter ready");
    announce_exit(painter.life.clone(), index, incoming.clone());
    read_messages(frames.map_decoder(|_| MessageCodec::new()), index, incoming, home);
    Ok(painter)
}

/// The painter's arguments for `plan`, after its path.
fn arguments(launch: &Launch, plan: &PainterPlan) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> =
        ["--id", &plan.id.to_string(), "--scheduler", plan.scheduler.name()].map(Into::into).to_vec();
    args.extend(["--out".into(), launch.out.clone().into_os_string()]);
    args.extend(["--slice-strokes".into(), launch.slice_strokes.to_string().into()]);
    if plan.cores.is_empty() {
        args.extend(["--lanes".into(), plan.lanes.to_string().into()]);
    } else {
        let cores: Vec<String> = plan.cores.iter().map(u32::to_string).collect();
        args.extend(["--cores".into(), cores.join(",").into()]);
    }
    args
}

/// The command that starts the painter of `plan`, and the host it runs
/// on when that is another one.
fn command(launch: &Launch, plan: &PainterPlan) -> (std::process::Command, Option<String>) {
    let args = arguments(launch, plan);
    let (mut command, remote) = match &launch.hosts {
        Some(cluster) => cluster.command(&launch.binary, plan, args),
        None => {
            let mut command = std::process::Command::new(&launch.binary);
            command.args(args);
            (command, None)
        }
    };
    if remote.is_none() {
        command.env(handshake::COORDINATOR_PID_ENV, std::process::id().to_string());
    } else {
        // Its parent there is sshd or slurmstepd, not this process: a pid
        // to check would only make it think it was orphaned.
        command.env_remove(handshake::COORDINATOR_PID_ENV);
    }
    (command, remote)
}

impl Painter {
    /// Takes in its `Hello`. Every signal, wait and clean-up uses the pid
    /// spawned here; the one a painter on this machine claims is only
    /// reported. (A remote painter's pid is another machine's: kept, for
    /// `top` there.)
    fn accept(&mut self, hello: Hello, name: &str) {
        let pid = self.local_pid;
        if self.remote.is_none() && hello.pid != pid {
            tracing::warn!(
                "{name} (pid {pid}) says its pid is {}; only pid {pid}, which the coordinator started, is ever signalled",
                hello.pid
            );
            self.claimed_pid = Some(hello.pid);
            self.hello = Hello { pid, ..hello };
        } else {
            self.hello = hello;
        }
    }

    /// A remote painter's clock, first measured as `start`, and the way
    /// home of its pictures into `out`.
    fn homecoming(
        &mut self,
        start: crate::hosts::clock::Estimate,
        out: &std::path::Path,
    ) -> crate::hosts::homecoming::Homecoming {
        let clock = crate::hosts::clock::Clock { start, end: None };
        let doorstep = crate::hosts::homecoming::Doorstep::new(out.to_path_buf(), self.plan.id);
        if let Some(remote) = self.remote.as_mut() {
            (remote.clock, remote.doorstep) = (Some(clock), Some(doorstep.clone()));
        }
        crate::hosts::homecoming::Homecoming::new(clock, doorstep)
    }
}

/// Reads the first frame, which must be a `Hello` of our protocol version.
async fn handshake(
    frames: &mut FramedRead<ChildStdout, FrameCodec>,
    painter: &mut Painter,
    binary: &Path,
) -> anyhow::Result<Hello> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, frames.next()).await {
        Ok(Some(Ok(frame))) => {
            let hello = handshake::accept(&frame)?;
            let plan = &painter.plan;
            contract::check_hello(&hello, plan.id, plan.scheduler, &plan.cores, plan.lanes)?;
            Ok(hello)
        }
        Ok(Some(Err(error))) => Err(anyhow::Error::new(error).context("bad first frame")),
        Ok(None) => {
            let exit = painter.exit_within(Duration::from_secs(1)).await.unwrap_or_default();
            Err(anyhow!("it {} before saying Hello{}", exit.describe(), painter.stderr_tail()))
        }
        Err(_) => match &painter.remote {
            // Its probe found a painter there; a launcher that does not
            // connect within the time is the likelier cause.
            Some(Remote { host, carrier, .. }) => Err(anyhow!(
                "no Hello within {} over {carrier} from {host}: is {host} still reachable?",
                humantime::format_duration(HANDSHAKE_TIMEOUT)
            )),
            _ => Err(anyhow!(
                "no Hello within {}: is it a painter? ({})",
                humantime::format_duration(HANDSHAKE_TIMEOUT),
                binary.display()
            )),
        },
    }
}

/// The most messages in one batch.
const BATCH: usize = 1024;

/// The reader task: every message from the painter's stdout, until it
/// ends, in batches of what one read brought.
fn read_messages(
    mut messages: FramedRead<ChildStdout, MessageCodec<FromPainter, ToPainter>>,
    index: usize,
    incoming: Outlet,
    mut home: Option<crate::hosts::homecoming::Homecoming>,
) {
    // A remote painter's message is made local first (its time, its
    // picture); a part of a picture is kept, not passed on.
    let mut heard = move |next: Option<Result<FromPainter, protocol::Error>>| match next {
        Some(Ok(message)) => match home.as_mut() {
            None => (Some(Heard::Message(message)), false),
            Some(home) => (home.arrive(message).map(Heard::Message), false),
        },
        Some(Err(error)) => (Some(Heard::Garbled(error)), true),
        None => (Some(Heard::Closed), true),
    };
    tokio::spawn(async move {
        loop {
            let (first, mut last) = heard(messages.next().await);
            let at_ns = protocol::clock::now_ns();
            let mut batch: Vec<Incoming> =
                first.map(|heard| Incoming { painter: index, at_ns, heard }).into_iter().collect();
            // The rest of what that read brought, without waiting for more.
            while !last && batch.len() < BATCH {
                let Some(next) = messages.next().now_or_never() else { break };
                let (next, end) = heard(next);
                batch.extend(next.map(|heard| Incoming { painter: index, at_ns, heard }));
                last = end;
            }
            if batch.is_empty() {
                continue;
            }
            if incoming.send(batch).is_err() || last {
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

/// The reaper thread: told the painter's pid once it is spawned, it waits
/// for the process to exit, kills what is left of its process group, then
/// reaps it, telling the [`Painter`] handle at each step. If it is never
/// told a pid (the spawn failed), it ends.
fn reaper(name: &str) -> anyhow::Result<(std::sync::mpsc::Sender<u32>, watch::Receiver<Life>)> {
    let (pid_tx, pid_rx) = std::sync::mpsc::channel::<u32>();
    let (tx, rx) = watch::channel(Life::Running);
    std::thread::Builder::new()
        .name(format!("reap-{name}"))
        .spawn(move || {
            let Ok(pid) = pid_rx.recv() else { return };
            if let Err(error) = reap::exited(pid) {
                tracing::warn!("cannot wait for pid {pid}: {error}");
            }
            let _ = tx.send(Life::Exited);
            // Anything the painter started and left behind (holding its pipes,
            // perhaps) goes with it. Its process group is still its own while
            // it is unreaped, so this reaches no one else.
            signal_group(pid, Signal::SIGKILL);
            let exit = match reap::reap(pid) {
                Ok((status, usage)) => Exit { status: Some(status), usage: Some(usage) },
                Err(error) => {
                    tracing::warn!("cannot reap pid {pid}: {error}");
                    Exit::default()
                }
            };
            let _ = tx.send(Life::Ended(exit));
        })
        .context("cannot start a reaper thread")?;
    Ok((pid_tx, rx))
}

/// Tells the dispatcher (`Heard::Exited`) when a painter has been reaped.
fn announce_exit(mut life: watch::Receiver<Life>, index: usize, incoming: Outlet) {
    tokio::spawn(async move {
        let exit = match life.wait_for(|life| matches!(life, Life::Ended(_))).await.map(|life| *life) {
            Ok(Life::Ended(exit)) => exit,
            _ => Exit::default(),
        };
        let _ = incoming.send(vec![Incoming {
            painter: index,
            at_ns: protocol::clock::now_ns(),
            heard: Heard::Exited(exit),
        }]);
    });
}

impl Painter {
    /// The host it runs on, when that is another.
    #[must_use]
    pub fn host(&self) -> Option<&str> {
        self.remote.as_ref().map(|r| r.host.as_str())
    }

    /// A remote painter's clock, once measured.
    #[must_use]
    pub fn clock(&self) -> Option<crate::hosts::clock::Clock> {
        self.remote.as_ref().and_then(|r| r.clock)
    }

    /// `painter-K (pid N)`, for messages.
    #[must_use]
    pub fn who(&self) -> String {
        match self.host() {
            Some(host) => format!("{host}/{} (pid {} there)", painter_name(self.hello.painter_id), self.hello.pid),
            None => format!("{} (pid {})", painter_name(self.hello.painter_id), self.local_pid),
        }
    }

    /// How the painter ended, in words that follow its name: `exited with
    /// status 7`. A remote painter's end is seen as its launcher's, which
    /// this coordinator started and reaped: `ended with its ssh to h2, which
    /// exited with status 255 (…)`. `stopped`: this coordinator stopped it.
    #[must_use]
    pub fn describe_exit(&self, exit: &Exit, stopped: bool) -> String {
        let Some(Remote { host, carrier, .. }) = &self.remote else { return exit.describe() };
        let said = format!("ended with its {carrier} to {host}, which {}", exit.describe());
        if !stopped && self.link_failed(exit) {
            format!("{said} (ssh's status for a lost link, or for a painter there that left no exit status)")
        } else {
            said
        }
    }

    /// Whether `exit` says ssh, not the painter, failed (see [`link_lost`]).
    #[must_use]
    pub fn link_failed(&self, exit: &Exit) -> bool {
        self.remote.as_ref().is_some_and(|r| link_lost(&r.carrier, exit, self.signalled.load(Ordering::Relaxed)))
    }

    /// How it ended, once it has been reaped.
    #[must_use]
    pub fn exit(&self) -> Option<Exit> {
        match *self.life.borrow() {
            Life::Ended(exit) => Some(exit),
            _ => None,
        }
    }

    /// Writes the picture a remote painter sent home for painting `job`:
    /// called once the contract has accepted that it finished it. Nothing
    /// to do for a local painter, which saved its own.
    ///
    /// # Errors
    /// The picture could not be written, in one line.
    pub fn bring_in(&self, job: u32) -> Result<(), String> {
        let doorstep = self.remote.as_ref().and_then(|r| r.doorstep.as_ref());
        doorstep.map_or(Ok(()), |doorstep| doorstep.bring_in(job).map(|_| ()))
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

    /// The pid of the process the coordinator started.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.local_pid
    }

    /// Whether the process is still running (not yet exited).
    #[must_use]
    pub fn running(&self) -> bool {
        *self.life.borrow() == Life::Running
    }

    /// Waits up to `grace` for the painter to exit, then kills its process
    /// group and waits for that. Returns how it ended.
    pub async fn reap(&mut self, grace: Duration) -> Exit {
        if let Some(exit) = self.exit_within(grace).await {
            return exit;
        }
        tracing::warn!(painter = self.hello.painter_id, pid = self.local_pid, "did not exit in time; killing it");
        self.kill().await
    }

    /// How it started, for the report: `cluster` says how a remote
    /// painter was launched, and what a start costs on this machine.
    #[must_use]
    pub fn start(&self, cluster: Option<&crate::hosts::Cluster>) -> super::Start {
        super::Start {
            spawned_ns: self.spawned_ns,
            ready_ns: self.ready_ns,
            remote: self.host().map(str::to_owned),
            launcher: self.remote.as_ref().map_or_else(|| "local".to_owned(), |r| r.carrier.clone()),
            round_trip_s: self.clock().map(|c| c.start.bound_ns as f64 * 2.0 / 1e9),
            local_s: self.remote.as_ref().and(cluster).and_then(|c| c.local_spawn).map(|d| d.as_secs_f64()),
        }
    }

    /// Stops the painter the polite way: SIGCONT (in case it was stopped)
    /// and SIGTERM to its process group, then SIGKILL if it has not exited
    /// within `grace`. Waits until it is reaped.
    pub async fn terminate(&mut self, grace: Duration) -> Exit {
        self.ask_to_end();
        self.reap(grace).await
    }

    /// The polite signal, the one way every stop sends it: SIGCONT first,
    /// for a stopped painter cannot act on SIGTERM until it runs again.
    pub fn ask_to_end(&self) {
        self.signal_group(Signal::SIGCONT);
        self.signal_group(Signal::SIGTERM);
    }

    /// Kills the painter's process group at once and waits until it is reaped.
    pub async fn kill(&mut self) -> Exit {
        self.signal_group(Signal::SIGKILL);
        self.ended().await
    }

    /// Sends `signal` to the painter's process group, which also holds
    /// anything the painter started. Only while the painter has not exited:
    /// once it is reaped, its pid may already be another process's.
    pub fn signal_group(&self, signal: Signal) {
        if self.running() {
            if signal != Signal::SIGCONT {
                self.signalled.store(true, Ordering::Relaxed);
            }
            // The process started here: a remote painter's pid is another
            // machine's, and its launcher's end takes the painter with it.
            signal_group(self.local_pid, signal);
        }
    }

    /// The painter's exit, if it comes within `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<Exit> {
        tokio::time::timeout(limit, self.ended()).await.ok()
    }

    /// Waits until the painter has been reaped.
    pub async fn ended(&mut self) -> Exit {
        match self.life.wait_for(|life| matches!(life, Life::Ended(_))).await.map(|life| *life) {
            Ok(Life::Ended(exit)) => exit,
            // The reaper thread is gone without a word: nothing more to learn.
            _ => Exit::default(),
        }
    }
}

impl Drop for Painter {
    fn drop(&mut self) {
        self.signal_group(Signal::SIGKILL);
    }
}

/// Sends `signal` to process group `pid` (a painter and anything it started).
fn signal_group(pid: u32, signal: Signal) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        let _ = killpg(Pid::from_raw(pid), signal);
    }
}

/// Whether a remote painter's end, seen as its launcher's `exit`, says
/// that the link to its host was lost: ssh exits with 255 when its link is
/// lost (or the remote command left no exit status), and otherwise with
/// the remote painter's own status. But ssh also exits with 255 when it is
/// told to stop: a painter this coordinator stopped itself (`signalled`:
/// hung past `--timeout`, a protocol breach, a garbled frame) says nothing
/// about its link, and its host may take a painter in its place.
#[must_use]
fn link_lost(carrier: &str, exit: &Exit, signalled: bool) -> bool {
    !signalled && carrier == "ssh" && exit.status.and_then(|status| status.code()) == Some(255)
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

/// The end of a painter's stderr, kept for error messages: its last lines,
/// and the lines of a panic, which a backtrace after them would push out.
#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
    panic: Vec<String>,
}

/// Drains a painter's stderr on a task of its own, echoing each line to our
/// stderr as `[painter-K] …` and keeping the end of it for error messages.
fn forward_stderr(id: u32, stderr: ChildStderr) -> Arc<Mutex<Tail>> {
    let tail = Arc::new(Mutex::new(Tail::default()));
    let keep = Arc::clone(&tail);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        // A line is read a piece at a time, so that a painter that never
        // writes a newline cannot make the coordinator hold all it writes.
        while matches!((&mut reader).take(STDERR_PIECE).read_until(b'\n', &mut line).await, Ok(n) if n > 0) {
            let text = visible(String::from_utf8_lossy(&line).trim_end(), visible::LINE);
            line.clear();
            crate::term::stderr::line(format!("[painter-{id}] {text}"));
            if let Ok(mut tail) = keep.lock() {
                // "thread 'main' panicked at src/x.rs:1:2:" and the message after it.
                if (text.contains(" panicked at ") && tail.panic.is_empty()) || tail.panic.len() == 1 {
                    tail.panic.push(text.clone());
                }
                if tail.lines.len() == STDERR_TAIL {
                    tail.lines.pop_front();
                }
                tail.lines.push_back(text);
            }
        }
    });
    tail
}

fn tail_text(tail: &Mutex<Tail>) -> String {
    let Ok(tail) = tail.lock() else { return String::new() };
    let mut lines: Vec<&str> = tail.panic.iter().filter(|l| !tail.lines.contains(l)).map(String::as_str).collect();
    if !lines.is_empty() {
        lines.push("…");
    }
    lines.extend(tail.lines.iter().map(String::as_str));
    if lines.is_empty() { String::new() } else { format!("; its stderr ended with: {}", lines.join(" | ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exited(code: i32) -> Exit {
        Exit { status: Some(ExitStatus::from_raw(code << 8)), usage: None }
    }

    #[test]
    fn only_an_ssh_that_exits_255_unasked_has_lost_its_link() {
        assert!(link_lost("ssh", &exited(255), false));
        // Told to stop (SIGTERM makes ssh exit with 255): the painter was
        // stopped here, and its host is as reachable as it was.
        assert!(!link_lost("ssh", &exited(255), true));
        // The remote painter's own status, passed on by ssh.
        assert!(!link_lost("ssh", &exited(7), false));
        // Killed by a signal: no status at all.
        let killed = Exit { status: Some(ExitStatus::from_raw(9)), usage: None };
        assert!(!link_lost("ssh", &killed, false));
        // Only ssh says a lost link with 255.
        assert!(!link_lost("srun", &exited(255), false));
    }
}
