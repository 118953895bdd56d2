//! Painters on other machines.
//!
//! A painter speaks only over its stdin and stdout, so anything that carries
//! a process's stdio can put it on another host: ssh, Slurm's `srun`, or a
//! user's template ([`launcher`]). `--hosts` ([`spec`]) names the hosts;
//! before planning, each is asked ([`probe`]) which cores this user may use
//! there, its name and its boot id, and painters are laid out and pinned per
//! host from that ([`Cluster::layout`]). Each remote painter's clock offset
//! is measured with pings ([`clock`], [`sync`]), and its pictures come home
//! over its pipe ([`homecoming`]). Under `srun` outside an allocation, the
//! coordinator makes one that ends with it ([`allocation`]); over ssh, it
//! logs in to each host once, and every painter there is a session over
//! that connection ([`master`]).
//!
//! Hosts are probed, and painters on them started, many at once (up to
//! `--fanout`): a user with eight hosts waits for about one login, not
//! eight one after another. Over srun each host's probe stays and becomes
//! its first painter ([`Cluster::held`]), so the first painting waits for
//! one job step, not two.
//!
//! Without `--hosts`, none of this runs and a run is what it always was.
//!
//! Uses only `mode` (a host's painters are laid out as `PainterPlan`s),
//! `os` and `term`: what starts and feeds painters (`pool`, `dispatch`)
//! sits above it, and the command line is read in `app`, which hands it a
//! [`Request`].

pub mod allocation;
pub mod clock;
pub mod homecoming;
pub mod launcher;
pub mod master;
pub mod probe;
pub mod spec;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use protocol::frame::FrameCodec;
use protocol::{FromPainter, ToPainter};
use tokio::process::ChildStdout;
use tokio_util::codec::FramedRead;

pub use self::launcher::Launcher;
pub use self::spec::HostSpec;
use crate::mode::MAX_PAINTERS;
use crate::mode::{Mode, PainterPlan};

/// Where to paint beyond this machine, as the command line asked.
#[derive(Debug)]
pub struct Request {
    /// The hosts, in the order given.
    pub specs: Vec<HostSpec>,
    /// How painters are started there.
    pub launcher: Launcher,
    /// The painter's path there, if not this machine's.
    pub remote_painter: Option<PathBuf>,
    /// How many hosts are probed, and remote painters started, at once.
    pub fanout: usize,
    /// `--painters`, if given: otherwise one per core offered.
    pub painters: Option<u32>,
}

/// A host as reports show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostReport {
    /// As given on the command line (`h1`, `root@h1`, `:`).
    pub name: String,
    /// As it names itself.
    pub hostname: String,
    /// Its kernel's boot id: two names with one boot id are one machine.
    pub boot_id: String,
    /// The cores painters got there.
    pub cores: Vec<u32>,
    /// How painters were started there: `ssh`, `srun`, a template's first
    /// word, or `local` for `:`.
    pub launcher: String,
    /// From starting the launcher to the probe's answer: a job step (or,
    /// over ssh, a session on the connection made just before) and a
    /// painter's start.
    pub probe_s: f64,
    /// Over ssh, the one login: from starting the master connection to it
    /// listening. `null` for other launchers and this machine.
    pub login_s: Option<f64>,
}

impl HostReport {
    /// How `host`, reached with `launcher`, is reported.
    #[must_use]
    pub fn of(host: &Host, launcher: &Launcher) -> Self {
        Self {
            name: host.spec.name.clone(),
            hostname: host.found.hostname.clone(),
            boot_id: host.found.boot.clone(),
            cores: host.cores.clone(),
            launcher: if host.spec.is_local() { "local".to_owned() } else { launcher.name().to_owned() },
            probe_s: host.found.took.as_secs_f64(),
            login_s: host.master.as_ref().map(|m| m.login.as_secs_f64()),
        }
    }
}

/// A host that answered its probe.
#[derive(Debug)]
pub struct Host {
    /// How it was named on the command line.
    pub spec: HostSpec,
    /// What the probe found there.
    pub found: probe::Found,
    /// The cores painters get there: the probe's, cut to `N/host`.
    pub cores: Vec<u32>,
    /// Over ssh, the host's master connection, which every painter there uses.
    pub master: Option<master::Master>,
    /// Over srun, its probe, waiting to be told to paint: the first
    /// painter there takes it ([`Cluster::held`]). Started before any
    /// core was known, its step is bound to none: the painter pins itself.
    held: std::sync::Mutex<Option<probe::Held>>,
}

/// The hosts of a run, and how painters get there.
#[derive(Debug)]
pub struct Cluster {
    /// The hosts that answered, in the order given.
    pub hosts: Vec<Host>,
    /// How painters are started on them.
    pub launcher: Launcher,
    /// The painter's path there.
    pub remote_painter: PathBuf,
    /// `--painters`, if given: otherwise one per core offered.
    painters: Option<u32>,
    /// The Slurm allocation painters' steps run in.
    job: Option<String>,
    /// An allocation this coordinator made, given back when it is done
    /// (or when it dies).
    made_allocation: Option<allocation::Allocation>,
    /// How many hosts are probed, and remote painters started, at once.
    pub fanout: usize,
    /// How long a painter takes to start on this machine (its `--probe`,
    /// timed before the hosts are asked): what a remote painter's start
    /// would have cost without the network.
    pub local_spawn: Option<Duration>,
    /// The private directory of the ssh masters' sockets: declared after
    /// `hosts`, so that it is removed after the masters have closed.
    sockets: Option<master::Sockets>,
    /// The threads that wait for held probes no painter took to end.
    releasing: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Cluster {
    /// Probes every host asked for, and keeps those that answered; each
    /// that did not gets one line on stderr naming it and why.
    ///
    /// # Errors
    /// When no host answered, or an allocation cannot be made.
    pub async fn open(request: Request, local_painter: &Path) -> anyhow::Result<Self> {
        let Request { specs, launcher, remote_painter, fanout, painters } = request;
        let remote_painter = remote_painter.unwrap_or_else(|| local_painter.to_path_buf());
        let job =
            std::env::var("SLURM_JOB_ID").ok().filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        let mut cluster = Self {
            hosts: Vec::new(),
            launcher,
            remote_painter,
            painters,
            job,
            made_allocation: None,
            fanout,
            local_spawn: None,
            sockets: None,
            releasing: std::sync::Mutex::new(Vec::new()),
        };
        // Alone, before the hosts: a start with nothing else going on.
        let mut local = Command::new(local_painter);
        local.arg("--probe");
        cluster.local_spawn =
            probe::run(local, local_painter, &cluster.launcher, true).await.ok().map(|found| found.took);
        if cluster.launcher == Launcher::Ssh && specs.iter().any(|spec| !spec.is_local()) {
            match master::Sockets::make() {
                Ok(sockets) => cluster.sockets = Some(sockets),
                // Each painter then logs in on its own, as ssh does by default.
                Err(why) => eprintln!("warning: {why}: every painter over ssh logs in on its own"),
            }
        }
        // Over srun, one allocation for the invocation, probes included,
        // when every node can be had now; otherwise (a node down, unknown,
        // not answering) each probe is a job of its own, as srun alone
        // makes one, and the allocation is made for those that answered.
        if cluster.launcher == Launcher::Srun && cluster.job.is_none() {
            let mut nodes: Vec<&str> = specs.iter().filter(|s| !s.is_local()).map(HostSpec::node).collect();
            nodes.sort_unstable();
            nodes.dedup();
            if !nodes.is_empty() && allocation::ready(&nodes).await {
                match allocation::Allocation::make(&nodes).await {
                    Ok(allocation) => {
                        cluster.job = Some(allocation.id.clone());
                        cluster.made_allocation = Some(allocation);
                    }
                    Err(why) => tracing::debug!("{why:#}: each host is probed in a job of its own"),
                }
            }
        }
        // At most `fanout` at once, answers in the order the hosts were given.
        let probes = futures_util::stream::iter(specs.iter().enumerate())
            .map(|(index, spec)| cluster.probe(index, spec, local_painter))
            .buffered(fanout)
            .collect::<Vec<_>>();
        let answers = Probing { probes: Box::pin(probes), done: false }.await;
        for (spec, answer) in specs.into_iter().zip(answers) {
            match answer {
                Ok((found, master, held)) => {
                    let mut cores = found.cores.clone();
                    cores.truncate(spec.max_cores.map_or(usize::MAX, |n| n as usize));
                    cluster.hosts.push(Host { spec, found, cores, master, held: std::sync::Mutex::new(held) });
                }
                Err(why) => eprintln!("warning: host {} left out: {why}", spec.name),
            }
        }
        if cluster.hosts.is_empty() {
            bail!("no host could run a painter (each one's reason is above)");
        }
        if cluster.launcher == Launcher::Srun && cluster.job.is_none() && cluster.remote_hosts() > 0 {
            let nodes: Vec<&str> = cluster.hosts.iter().filter(|h| !h.spec.is_local()).map(|h| h.spec.node()).collect();
            let allocation = allocation::Allocation::make(&nodes).await?;
            cluster.job = Some(allocation.id.clone());
            cluster.made_allocation = Some(allocation);
        }
        // The cores are the hosts' word: a run never has more painters than
        // `--painters` may ask for, however many cores they offer.
        let offered = cluster.total_cores();
        if cluster.painters.is_none() && offered > MAX_PAINTERS as usize {
            eprintln!(
                "warning: the hosts offer {offered} cores, more than the {MAX_PAINTERS} painters a run may have: {MAX_PAINTERS} are started (--painters or N/host chooses fewer)"
            );
            cluster.painters = Some(MAX_PAINTERS);
        }
        Ok(cluster)
    }

    fn remote_hosts(&self) -> usize {
        self.hosts.iter().filter(|h| !h.spec.is_local()).count()
    }

    /// Probes the `index`th host; over ssh, logs in first, and probes over
    /// that connection, which is kept for the painters there. Over srun in
    /// an allocation, the probe stays, to be the host's first painter.
    async fn probe(
        &self,
        index: usize,
        spec: &HostSpec,
        local_painter: &Path,
    ) -> Result<(probe::Found, Option<master::Master>, Option<probe::Held>), String> {
        let master = match &self.sockets {
            Some(sockets) if !spec.is_local() => {
                Some(master::Master::open(spec, sockets.socket(index), probe::TIMEOUT).await?)
            }
            _ => None,
        };
        // Outside an allocation each probe is a job of its own, which a
        // painter's step could not join.
        let stays = !spec.is_local() && self.launcher == Launcher::Srun && self.job.is_some();
        let mut command = if spec.is_local() {
            let mut command = Command::new(local_painter);
            command.arg("--probe");
            command
        } else {
            let mut argv = vec![self.remote_painter.clone().into_os_string(), "--probe".into()];
            if stays {
                argv.push("--then-serve".into());
            }
            let control = master.as_ref().map(|m| m.socket.as_path());
            self.launcher.command(spec, &argv, None, self.job.as_deref(), control)
        };
        // A group of its own: on a stop signal, whatever the launcher
        // started goes with it (see `Probing`).
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        if stays {
            // It may become a painter, which is told no coordinator's pid
            // to check (see `pool::painter`).
            command.env_remove(protocol::handshake::COORDINATOR_PID_ENV);
            let (found, held) = probe::stay(command, &self.remote_painter, &self.launcher).await?;
            return Ok((found, master, held));
        }
        let painter = if spec.is_local() { local_painter } else { &self.remote_painter };
        let found = probe::run(command, painter, &self.launcher, spec.is_local()).await?;
        Ok((found, master, None))
    }

    /// The probe still waiting on the host of `plan`, if any: the first
    /// painter there is told to be it, rather than started anew.
    #[must_use]
    pub fn held(&self, plan: &PainterPlan) -> Option<probe::Held> {
        let host = self.hosts.get(plan.host?)?;
        host.held.lock().ok()?.take()
    }

    /// Lets every probe no painter took end (once the first mode's
    /// painters have started): they are not kept waiting through the run.
    pub fn release_held(&self) {
        let released: Vec<_> = self
            .hosts
            .iter()
            .filter_map(|host| host.held.lock().ok()?.take())
            .filter_map(probe::Held::release)
            .collect();
        if let Ok(mut releasing) = self.releasing.lock() {
            releasing.extend(released);
        }
    }

    /// A painter's arguments on another host: `args`, and its pictures
    /// sent home.
    #[must_use]
    pub fn remote_args(mut args: Vec<OsString>) -> Vec<OsString> {
        args.push("--pictures-home".into());
        args
    }

    /// The painters of `mode` over the hosts: one per core offered for
    /// `parallel` and `hybrid` (or `workers` of them, round-robin over the
    /// cores of every host in turn), one on the first host's first core for
    /// `sequential` and `async`, and for `threads` one on the first host
    /// with a thread per core there (or `--painters` threads).
    #[must_use]
    pub fn layout(&self, mode: Mode) -> Vec<PainterPlan> {
        let workers = self.painters;
        let slots: Vec<(usize, u32)> =
            self.hosts.iter().enumerate().flat_map(|(i, h)| h.cores.iter().map(move |&core| (i, core))).collect();
        let scheduler = mode.scheduler();
        let plan = |id: u32, host: usize, cores: Vec<u32>, lanes: u32| PainterPlan {
            id,
            scheduler,
            lanes,
            cores,
            host: Some(host),
        };
        let Some(&(first_host, first_core)) = slots.first() else { return Vec::new() };
        match mode {
            Mode::Sequential | Mode::Async => vec![plan(0, first_host, vec![first_core], 1)],
            Mode::Threads => {
                let cores = &self.hosts[first_host].cores;
                let lanes = workers.unwrap_or(u32::try_from(cores.len()).unwrap_or(1));
                vec![plan(0, first_host, crate::os::pin::round_robin(cores, lanes as usize), lanes)]
            }
            Mode::Parallel | Mode::Hybrid => {
                let n = workers.unwrap_or(u32::try_from(slots.len()).unwrap_or(1));
                (0..n).zip(slots.iter().cycle()).map(|(id, &(host, core))| plan(id, host, vec![core], 1)).collect()
            }
        }
    }

    /// Every core offered, over all hosts.
    #[must_use]
    pub fn total_cores(&self) -> usize {
        self.hosts.iter().map(|h| h.cores.len()).sum()
    }

    /// The command that starts a painter of `plan` with `args`, and
    /// whether it runs on another host. Without a host, or on `:`, it is
    /// the painter itself.
    #[must_use]
    pub fn command(&self, local_painter: &Path, plan: &PainterPlan, args: Vec<OsString>) -> (Command, Option<String>) {
        let Some(host) = plan.host.and_then(|i| self.hosts.get(i)).filter(|h| !h.spec.is_local()) else {
            let mut command = Command::new(local_painter);
            command.args(args);
            return (command, None);
        };
        let mut argv = vec![self.remote_painter.clone().into_os_string()];
        argv.extend(Self::remote_args(args));
        // A host that offers one core leaves a step nowhere else to run:
        // binding it would only ask Slurm for what it may lack (a cluster
        // without task/affinity says so on stderr for every step).
        let core = plan.cores.first().copied().filter(|_| host.found.cores.len() > 1);
        let control = host.master.as_ref().map(|m| m.socket.as_path());
        let command = self.launcher.command(&host.spec, &argv, core, self.job.as_deref(), control);
        (command, Some(host.spec.name.clone()))
    }

    /// What the ssh master connection of the host named `name` said last
    /// (why its link was lost), or nothing.
    #[must_use]
    pub fn link_words(&self, name: &str) -> String {
        self.hosts
            .iter()
            .find(|h| h.spec.name == name)
            .and_then(|h| h.master.as_ref())
            .map(master::Master::last_words)
            .unwrap_or_default()
    }

    /// Another host than `host` for a painter whose host failed, with the
    /// first core there.
    #[must_use]
    pub fn elsewhere(&self, host: usize) -> Vec<(usize, u32)> {
        (0..self.hosts.len())
            .filter(|&i| i != host)
            .filter_map(|i| self.hosts[i].cores.first().map(|&core| (i, core)))
            .collect()
    }

    /// The cores of the ideal model: a host's core is not another host's,
    /// so each gets a number of its own.
    #[must_use]
    pub fn model_plans(plans: &[PainterPlan]) -> Vec<PainterPlan> {
        plans
            .iter()
            .map(|plan| {
                let host = plan.host.unwrap_or(0) as u32;
                let cores = plan.cores.iter().map(|&core| (host << 16) | core).collect();
                PainterPlan { cores, ..plan.clone() }
            })
            .collect()
    }
}

impl Drop for Cluster {
    /// Ends what is left of the probes before the allocation they run in
    /// is given back (a field, dropped after this).
    fn drop(&mut self) {
        self.release_held();
        let releasing = self.releasing.get_mut().map(std::mem::take).unwrap_or_default();
        for thread in releasing {
            let _ = thread.join();
        }
    }
}

/// The hosts being probed. Dropped before they have all answered — the
/// probing abandoned on a stop signal — it kills each probe with its
/// process group (the launcher, and anything it started: a login, a job
/// step, a template's own commands) and reaps it, so that nothing is left
/// running; the probes are then this coordinator's only children in a
/// group of their own. It does so before the probes themselves are
/// dropped: a probe's child, killed and reaped as it is dropped, would
/// leave what it started out of reach.
struct Probing<F: Future> {
    probes: std::pin::Pin<Box<F>>,
    done: bool,
}

impl<F: Future> Future for Probing<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let answers = self.probes.as_mut().poll(cx);
        self.done = answers.is_ready();
        answers
    }
}

impl<F: Future> Drop for Probing<F> {
    fn drop(&mut self) {
        if !self.done {
            crate::os::reap::kill_groups();
        }
    }
}

/// Measures a new remote painter's clock: [`clock::PINGS`] pings, one at a
/// time, right after its `Hello`, while it does nothing else.
///
/// # Errors
/// If it does not answer, or answers something else.
pub async fn sync(
    frames: &mut FramedRead<ChildStdout, FrameCodec>,
    stdin: &tokio::sync::mpsc::UnboundedSender<ToPainter>,
) -> anyhow::Result<clock::Estimate> {
    let mut samples = Vec::new();
    for seq in 0..clock::PINGS {
        let sent_ns = protocol::clock::now_ns();
        stdin.send(ToPainter::Ping { seq }).map_err(|_| anyhow::anyhow!("its stdin closed"))?;
        let frame = tokio::time::timeout(Duration::from_secs(5), frames.next())
            .await
            .map_err(|_| anyhow::anyhow!("no answer to a ping within 5 s"))?
            .context("it closed its stdout instead of answering a ping")??;
        let received_ns = protocol::clock::now_ns();
        match protocol::codec::decode::<FromPainter>(&frame)? {
            FromPainter::Pong { seq: answered, at_ns } if answered == seq => {
                samples.push(clock::Sample { sent_ns, received_ns, theirs_ns: at_ns });
            }
            other => bail!("it answered a ping with {}", other.name()),
        }
    }
    tracing::debug!(round_trips_ns = ?round_trips(&samples), "clock pings after Hello");
    clock::Estimate::from_samples(&samples).context("no ping came back")
}

/// Each sample's round trip, for the logs.
pub fn round_trips(samples: &[clock::Sample]) -> Vec<u64> {
    samples.iter().map(|s| s.received_ns.saturating_sub(s.sent_ns)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, cores: Vec<u32>) -> Host {
        let found =
            probe::Found { hostname: name.into(), boot: "b".into(), cores: cores.clone(), took: Duration::ZERO };
        Host { spec: HostSpec::named(name), found, cores, master: None, held: std::sync::Mutex::new(None) }
    }

    #[test]
    fn a_step_is_bound_to_its_core_only_where_the_host_offers_more_than_one() {
        let cluster = Cluster {
            hosts: vec![host("h1", vec![0]), host("h2", vec![0, 1])],
            launcher: Launcher::Srun,
            remote_painter: "/bin/painter".into(),
            painters: None,
            job: Some("7".into()),
            made_allocation: None,
            fanout: 32,
            local_spawn: None,
            sockets: None,
            releasing: std::sync::Mutex::new(Vec::new()),
        };
        let plans = cluster.layout(Mode::Parallel);
        assert_eq!(plans.len(), 3);
        let words = |plan: &PainterPlan| -> Vec<String> {
            let (command, remote) = cluster.command(Path::new("/local/painter"), plan, Vec::new());
            assert!(remote.is_some());
            command.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
        };
        // h1 offers core 0 alone: a step there has nowhere else to run.
        assert!(!words(&plans[0]).iter().any(|w| w.starts_with("--cpu-bind")), "{:?}", words(&plans[0]));
        // h2 offers two: each step is bound to its own.
        assert!(words(&plans[1]).contains(&"--cpu-bind=map_cpu:0".to_owned()), "{:?}", words(&plans[1]));
        assert!(words(&plans[2]).contains(&"--cpu-bind=map_cpu:1".to_owned()), "{:?}", words(&plans[2]));
    }
}
