//! The painters of one run: started together, replaced one at a time when
//! one fails, stopped together, and every one of them reaped.
//!
//! On this machine painters are started one after another: each takes a
//! few milliseconds, and starting them at once would only make them
//! compete for the cores. On other hosts a start is mostly waiting (for a
//! session, a job step, a round trip), so up to `--fanout` are started at
//! once, and a painter whose host fails to start it is started on another
//! host instead, with one line saying so.
//!
//! Uses `hosts` (how a painter is started elsewhere), `mode` (a
//! painter's plan), `os` and `term`; used by `dispatch`, `report` (each
//! painter's [`PainterLife`]) and `app`.

pub mod painter;

use std::time::Duration;

use protocol::{FromPainter, Goodbye, ToPainter};

use self::painter::{Exit, Heard, Inbound, Launch, Outlet, Painter};
use crate::mode::PainterPlan;
use crate::os::signals::Interrupts;

/// How long painters have to say `Goodbye` and exit after `Shutdown`.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long, once every painter has exited, the coordinator waits for
/// what is still in their pipes (their `Goodbye`s).
const LAST_WORDS: Duration = Duration::from_millis(250);
/// How long a painter that has said `Goodbye` has left to exit.
const EXIT_GRACE: Duration = Duration::from_secs(1);
/// On an interrupt: how long painters have to stop when asked, before SIGTERM.
const ASK_GRACE: Duration = Duration::from_millis(300);
/// On an interrupt or a failure: how long after SIGTERM before SIGKILL.
pub const TERM_GRACE: Duration = Duration::from_secs(2);

/// Running painters and the one channel all their messages arrive on.
#[derive(Debug)]
pub struct Pool {
    /// Every painter the pool started, in order; a replacement is added at
    /// the end, and the painter it replaces stays (ended) where it was.
    pub painters: Vec<Painter>,
    /// Everything heard from every painter, tagged with its index.
    pub incoming: Inbound,
    tx: Outlet,
    launch: Launch,
}

/// What a painter left behind.
#[derive(Debug, Clone, Default)]
pub struct Farewell {
    /// Its last words, if it said them.
    pub goodbye: Option<Goodbye>,
    /// How it ended, and what the kernel accounted to it. For a painter on
    /// another host, whose process this machine's kernel never saw, what it
    /// said in its `Goodbye` stands in for the account of its launcher.
    pub exit: Exit,
    /// A remote painter's clock, measured after its `Hello` and before its
    /// `Shutdown`.
    pub clock: Option<crate::hosts::clock::Clock>,
    /// How its threads spent the time after the last painting was handed
    /// out, as it said after `Shutdown` (see [`crate::dispatch::Outcome::states`]).
    pub states: Vec<protocol::States>,
}

/// How one painter of a run started, on the shared clock: what the report
/// is told of it.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// When it was spawned.
    pub spawned_ns: u64,
    /// When it was ready for work: at its `Hello`, or for a remote
    /// painter once its clock was measured too.
    pub ready_ns: u64,
    /// The host it ran on, as given (`h1`), when that was another host.
    pub remote: Option<String>,
    /// How it was started: `local`, `ssh`, `srun`, a template's first word.
    pub launcher: String,
    /// A remote painter's fastest round trip (a ping and its answer).
    pub round_trip_s: Option<f64>,
    /// For a remote painter, how long a painter takes to start on this
    /// machine (measured once per run): what its start would have cost
    /// without the network.
    pub local_s: Option<f64>,
}

impl Start {
    /// What its start cost beyond a local spawn: the session or login, the
    /// job step, the clock's pings. 0 on this machine.
    #[must_use]
    pub fn beyond_local_s(&self) -> f64 {
        self.local_s.map_or(0.0, |local| (self.took_s() - local).max(0.0))
    }

    /// From its spawn to ready, in seconds.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn took_s(&self) -> f64 {
        self.ready_ns.saturating_sub(self.spawned_ns) as f64 / 1e9
    }
}

/// One painter's life in a mode, as the report needs it: how it started,
/// what it said of itself, and what it left behind. One per painter the
/// pool started, in the pool's order (planned painters first, then any
/// replacement).
#[derive(Debug, Clone)]
pub struct PainterLife {
    /// What it said in its `Hello`.
    pub hello: protocol::Hello,
    /// From its spawn to its `Hello`.
    pub startup: Duration,
    /// How it started, on the shared clock.
    pub start: Start,
    /// What it left behind.
    pub farewell: Farewell,
}

impl Pool {
    /// Starts one painter per plan (with `--hosts`, up to `--fanout` at
    /// once). A painter that its host fails to start is started on another
    /// host, with a line naming the host and why; on any other failure,
    /// stops those already started.
    ///
    /// # Errors
    /// As [`painter::spawn`], when a painter cannot be started anywhere.
    pub async fn spawn(launch: Launch, plans: &[PainterPlan]) -> anyhow::Result<Self> {
        use futures_util::StreamExt;
        let (tx, incoming) = Inbound::channel();
        let fanout = launch.hosts.as_ref().map_or(1, |cluster| cluster.fanout);
        // Each painter's index is its place in `plans`, fixed before it
        // starts: what it says is tagged with it.
        let started: Vec<anyhow::Result<Painter>> = futures_util::stream::iter(plans.iter().enumerate())
            .map(|(index, plan)| painter::spawn(&launch, plan, index, tx.clone()))
            .buffered(fanout)
            .collect()
            .await;
        let mut pool = Self { painters: Vec::with_capacity(plans.len()), incoming, tx, launch };
        let mut failed = None;
        for (index, (plan, result)) in plans.iter().zip(started).enumerate() {
            let painter = match result {
                Ok(painter) => painter,
                Err(error) if failed.is_none() => match pool.elsewhere(plan, index, error).await {
                    Ok(painter) => painter,
                    Err(error) => {
                        failed = Some(error);
                        continue;
                    }
                },
                Err(_) => continue,
            };
            pool.painters.push(painter);
        }
        // Probes that stayed for painters that did not come (a mode with
        // fewer painters than hosts) end now, not with the run.
        if let Some(cluster) = &pool.launch.hosts {
            cluster.release_held();
        }
        if let Some(error) = failed {
            pool.kill().await;
            return Err(error);
        }
        Ok(pool)
    }

    /// Starts painter `index` of `plan`, which its own host failed to
    /// start with `error`, on another host: the next one after its own that
    /// can, on its first core. Says so in one line.
    async fn elsewhere(&self, plan: &PainterPlan, index: usize, error: anyhow::Error) -> anyhow::Result<Painter> {
        let (Some(cluster), Some(host)) = (&self.launch.hosts, plan.host) else { return Err(error) };
        let mut others = cluster.elsewhere(host);
        // Painters of one failed host are spread over the others.
        let turn = if others.is_empty() { 0 } else { index % others.len() };
        others.rotate_left(turn);
        for (other, core) in others {
            let moved = PainterPlan { host: Some(other), cores: vec![core; plan.cores.len().max(1)], ..plan.clone() };
            if let Ok(painter) = painter::spawn(&self.launch, &moved, index, self.tx.clone()).await {
                eprintln!("warning: {error:#}; {} took its place", painter.who());
                return Ok(painter);
            }
        }
        Err(error)
    }

    /// Starts a painter like painter `index` — same scheduler, same cores —
    /// under the next unused id, and returns its index.
    ///
    /// # Errors
    /// As [`painter::spawn`].
    pub async fn replace(&mut self, index: usize) -> anyhow::Result<usize> {
        let next_id = self.painters.iter().map(|p| p.plan.id + 1).max().unwrap_or(0);
        let plan = PainterPlan { id: next_id, ..self.painters[index].plan.clone() };
        let failed = &self.painters[index];
        // A host whose link was just lost is not tried again: its painter's
        // failure has said so (the one line about it), and a login there
        // would only time out.
        let link_failed = failed.exit().is_some_and(|exit| failed.link_failed(&exit));
        let error = if link_failed {
            anyhow::anyhow!("the link to {} failed", failed.host().unwrap_or("its host"))
        } else {
            match self.start(plan.clone()).await {
                Ok(new) => return Ok(new),
                Err(error) => error,
            }
        };
        // With --hosts, a host that cannot take the replacement (it is down,
        // its link is lost) is skipped for the others, each on its first core.
        let elsewhere = match (&self.launch.hosts, plan.host) {
            (Some(cluster), Some(host)) => cluster.elsewhere(host),
            _ => Vec::new(),
        };
        for (host, core) in elsewhere {
            let moved = PainterPlan { host: Some(host), cores: vec![core; plan.cores.len().max(1)], ..plan.clone() };
            if let Ok(new) = self.start(moved).await {
                if !link_failed {
                    eprintln!("warning: {error:#}; {} took its place", self.painters[new].who());
                }
                return Ok(new);
            }
        }
        Err(error)
    }

    async fn start(&mut self, plan: PainterPlan) -> anyhow::Result<usize> {
        let index = self.painters.len();
        let painter = painter::spawn(&self.launch, &plan, index, self.tx.clone()).await?;
        self.painters.push(painter);
        Ok(index)
    }

    /// What the ssh connection of painter `index`'s host said last, when
    /// it said something (`Timeout, server h2 not responding.`), ready to
    /// append to an error message.
    #[must_use]
    pub fn link_words(&self, index: usize) -> String {
        let (Some(cluster), Some(host)) = (&self.launch.hosts, self.painters[index].host()) else {
            return String::new();
        };
        let said = cluster.link_words(host);
        if said.is_empty() { said } else { format!("; its ssh connection to {host} said: {said}") }
    }

    /// Where the painters save their paintings.
    #[must_use]
    pub fn out(&self) -> &std::path::Path {
        &self.launch.out
    }

    /// Asks every running painter to stop, collects their `Goodbye`s, and
    /// reaps them all (killing any that do not exit in time). Painters that
    /// had already ended are reported as they ended.
    pub async fn shutdown(mut self) -> Vec<PainterLife> {
        let mut farewells = vec![Farewell::default(); self.painters.len()];
        // Remote painters' clocks, once more, now that they are idle; what
        // the others say meanwhile is kept for the loop below.
        let mut early = std::collections::VecDeque::new();
        for index in 0..self.painters.len() {
            let painter = &self.painters[index];
            if painter.running() && painter.remote.is_some() {
                let end = sync_again(painter, index, &mut self.incoming, &mut early).await;
                let who = painter.who();
                if let (Some(clock), Some(end)) =
                    (self.painters[index].remote.as_mut().and_then(|r| r.clock.as_mut()), end)
                    && let Err(moved) = clock.settle(end)
                {
                    crate::term::stderr::line(format_args!("warning: {who}: {moved}"));
                }
            }
        }
        let mut running = 0;
        for painter in self.painters.iter().filter(|p| p.running()) {
            running += 1;
            if let Err(error) = painter.send(ToPainter::Shutdown) {
                tracing::warn!("{error:#}");
            }
        }
        let deadline = tokio::time::Instant::now() + GOODBYE_TIMEOUT;
        // A painter's exit and its last words travel apart (its reaper and
        // its stdout's reader): the exit can be heard first. Its words are
        // still in the pipe, and follow promptly, since its process group
        // is gone by then; so a painter is heard out when its stdout has
        // ended too. Without its `Goodbye` the report would fall back on the
        // kernel's `ru_maxrss`, which counts the coordinator's own memory
        // at the painter's spawn (`vfork` + `exec`): tens of MB.
        let mut ended = vec![false; self.painters.len()];
        let mut unread: Vec<usize> = Vec::new();
        let mut last_words_by = None;
        while running > 0 || !unread.is_empty() {
            let until = if running > 0 {
                deadline
            } else {
                *last_words_by.get_or_insert_with(|| (tokio::time::Instant::now() + LAST_WORDS).min(deadline))
            };
            let incoming = match early.pop_front() {
                Some(incoming) => incoming,
                None => match tokio::time::timeout_at(until, self.incoming.recv()).await {
                    Ok(Some(incoming)) => incoming,
                    _ => break,
                },
            };
            let index = incoming.painter;
            let painter = &mut self.painters[index];
            match incoming.heard {
                Heard::Message(FromPainter::Goodbye(goodbye)) => farewells[index].goodbye = Some(goodbye),
                // Checked as during the run; too late to fail the painter
                // for a breach, but not too late to refuse what it said.
                Heard::Message(FromPainter::States(states)) => {
                    match painter.states.check(&states, painter.hello.lanes, incoming.at_ns) {
                        Ok(()) => farewells[index].states.push(states),
                        Err(breach) => tracing::warn!("{} broke the protocol after Shutdown: {breach}", painter.who()),
                    }
                }
                Heard::Message(other) => tracing::warn!("{} said {} after Shutdown", painter.who(), other.name()),
                Heard::Garbled(error) => {
                    tracing::warn!("{} sent a bad frame during shutdown: {error}", painter.who());
                    ended[index] = true;
                    unread.retain(|&i| i != index);
                }
                Heard::Closed => {
                    ended[index] = true;
                    unread.retain(|&i| i != index);
                }
                Heard::Exited(_) => {
                    running -= 1;
                    if !ended[index] && !unread.contains(&index) {
                        unread.push(index);
                    }
                }
            }
        }
        for (painter, farewell) in self.painters.iter_mut().zip(&mut farewells) {
            farewell.exit = painter.reap(EXIT_GRACE).await;
            farewell.clock = painter.clock();
            if painter.remote.is_some() {
                farewell.exit.usage = farewell.goodbye.map(|g| crate::os::reap::Usage {
                    user_s: g.user_ns as f64 / 1e9,
                    sys_s: g.sys_ns as f64 / 1e9,
                    max_rss_kib: g.max_rss_kib,
                });
            }
            match farewell.exit.status {
                Some(status) if status.success() => {}
                Some(_) if farewell.goodbye.is_none() => {} // it failed during the run, and was reported then
                Some(status) => tracing::warn!("{} {}", painter.who(), painter::describe(status)),
                None => tracing::warn!("{}: exit status unknown", painter.who()),
            }
        }
        let cluster = self.launch.hosts.as_deref();
        self.painters
            .iter()
            .zip(farewells)
            .map(|(painter, farewell)| PainterLife {
                hello: painter.hello.clone(),
                startup: painter.startup,
                start: painter.start(cluster),
                farewell,
            })
            .collect()
    }

    /// Stops every painter after an interrupt, politely but surely: asks
    /// them to stop (`Shutdown`), sends SIGTERM to those still running after
    /// a moment, SIGKILL after a grace period, and reaps them all. Another
    /// stop signal meanwhile (a second Ctrl-C) kills them at once.
    pub async fn stop(&mut self, interrupts: &mut Interrupts) {
        for painter in self.painters.iter().filter(|p| p.running()) {
            let _ = painter.send(ToPainter::Shutdown);
        }
        if !self.all_ended_within(ASK_GRACE, interrupts).await {
            self.painters.iter().for_each(Painter::ask_to_end);
            self.all_ended_within(TERM_GRACE, interrupts).await;
        }
        self.kill().await;
    }

    /// Whether every painter ends within `limit`; `false` at once on a
    /// stop signal.
    async fn all_ended_within(&mut self, limit: Duration, interrupts: &mut Interrupts) -> bool {
        let all = futures_util::future::join_all(self.painters.iter_mut().map(Painter::ended));
        tokio::select! {
            ended = tokio::time::timeout(limit, all) => ended.is_ok(),
            signal = interrupts.recv() => {
                tracing::warn!("{} again: killing every painter now", signal.as_str());
                false
            }
        }
    }

    /// Kills every painter at once and reaps them: for errors and interrupts.
    pub async fn kill(&mut self) {
        for painter in &mut self.painters {
            painter.kill().await;
        }
    }
}

/// Measures an established remote painter's clock again, as
/// [`crate::hosts::sync`] does after `Hello`, but over the pool's channel,
/// where its messages arrive among the others': before `Shutdown`.
async fn sync_again(
    painter: &crate::pool::painter::Painter,
    index: usize,
    incoming: &mut crate::pool::painter::Inbound,
    others: &mut std::collections::VecDeque<crate::pool::painter::Incoming>,
) -> Option<crate::hosts::clock::Estimate> {
    let mut samples = Vec::new();
    for seq in 0..crate::hosts::clock::PINGS {
        let sent_ns = protocol::clock::now_ns();
        painter.send(ToPainter::Ping { seq }).ok()?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let heard = tokio::time::timeout_at(deadline, incoming.recv()).await.ok()??;
            if heard.painter != index {
                others.push_back(heard);
                continue;
            }
            match heard.heard {
                crate::pool::painter::Heard::Message(FromPainter::Pong { seq: answered, at_ns }) if answered == seq => {
                    samples.push(crate::hosts::clock::Sample { sent_ns, received_ns: heard.at_ns, theirs_ns: at_ns });
                    break;
                }
                crate::pool::painter::Heard::Message(_) => others.push_back(heard),
                crate::pool::painter::Heard::Garbled(_)
                | crate::pool::painter::Heard::Closed
                | crate::pool::painter::Heard::Exited(_) => {
                    others.push_back(heard);
                    return None;
                }
            }
        }
    }
    tracing::debug!(painter = index, round_trips_ns = ?crate::hosts::round_trips(&samples), "clock pings before Shutdown");
    crate::hosts::clock::Estimate::from_samples(&samples)
}
