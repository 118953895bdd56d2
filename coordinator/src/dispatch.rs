//! Handing out paintings and collecting what the painters report.
//!
//! The rule is the one a good foreman follows: no painter waits for work
//! while paintings wait for a painter. Each painter is kept with one job
//! queued per lane beyond what it is working on, so that when it finishes
//! a job the next is already in its pipe; a job counts as *taken* when the
//! painter reports starting to paint it, and that is when the painter is
//! given another. The ideal model (`schedule.rs`) follows the same rule,
//! with zero overhead.

use std::collections::{BTreeSet, VecDeque};

use anyhow::anyhow;
use nix::sys::signal::Signal;
use protocol::{Event, EventKind, FromPainter, Job, JobDone, ToPainter};

use crate::painter::{Heard, describe};
use crate::pool::Pool;
use crate::signals::Interrupts;

/// What a run produced: every event and every finished painting, tagged
/// with the painter that sent it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// When the first job was handed out, on the shared clock.
    pub start_ns: u64,
    /// When the last painting was reported done.
    pub end_ns: u64,
    /// Every event, in the order received.
    pub events: Vec<(usize, Event)>,
    /// Every finished painting.
    pub done: Vec<(usize, JobDone)>,
}

/// The run was stopped by a signal.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {}: {} of {total} paintings finished ({}), unfinished: {}", signal.as_str(), finished.len(), ids(finished), ids(unfinished))]
pub struct Interrupted {
    /// Which signal.
    pub signal: Signal,
    /// Paintings finished before it.
    pub finished: Vec<u32>,
    /// Paintings not finished.
    pub unfinished: Vec<u32>,
    /// All paintings.
    pub total: usize,
}

impl Interrupted {
    /// The conventional exit code: 128 + the signal's number.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.signal as i32).unwrap_or(255)
    }
}

fn ids(ids: &[u32]) -> String {
    if ids.is_empty() {
        return "none".into();
    }
    ids.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", ")
}

/// How long to wait for a painter's exit status once its stdout has closed.
const EXIT_NEWS: std::time::Duration = std::time::Duration::from_millis(200);

/// Per painter: jobs sent but not yet started, and jobs held (not yet done).
#[derive(Debug, Default)]
struct Holding {
    unstarted: u32,
    held: BTreeSet<u32>,
}

/// Hands `jobs` to the pool's painters until every one is done.
///
/// # Errors
/// If a painter fails a painting, exits, or breaks the protocol ([`Failed`]:
/// it names the painter, the paintings it held, and which paintings were
/// finished and which not), or if a stop signal arrives ([`Interrupted`]).
pub async fn run(pool: &mut Pool, jobs: Vec<Job>, interrupts: &mut Interrupts) -> anyhow::Result<Outcome> {
    let every_id: Vec<u32> = jobs.iter().map(|job| job.id).collect();
    let mut outcome = Outcome { start_ns: protocol::clock::now_ns(), ..Outcome::default() };
    match hand_out(pool, jobs, interrupts, &mut outcome).await {
        Ok(()) => Ok(outcome),
        Err(stop) => {
            let (finished, unfinished) = progress(&every_id, &outcome);
            Err(match stop {
                Stop::Signal(signal) => Interrupted { signal, finished, unfinished, total: every_id.len() }.into(),
                Stop::Failure(cause) => Failed { cause, finished, unfinished }.into(),
            })
        }
    }
}

/// The run stopped before every painting was done.
#[derive(Debug, thiserror::Error)]
#[error("{cause:#} (finished: {}; unfinished: {})", ids(finished), ids(unfinished))]
pub struct Failed {
    /// What went wrong.
    pub cause: anyhow::Error,
    /// Paintings finished before it.
    pub finished: Vec<u32>,
    /// Paintings not finished.
    pub unfinished: Vec<u32>,
}

/// Why [`hand_out`] stopped early.
enum Stop {
    Signal(Signal),
    Failure(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Stop {
    fn from(error: E) -> Self {
        Self::Failure(error.into())
    }
}

/// Paintings finished, and paintings not, by id.
fn progress(every_id: &[u32], outcome: &Outcome) -> (Vec<u32>, Vec<u32>) {
    let mut finished: Vec<u32> = outcome.done.iter().map(|(_, done)| done.job).collect();
    finished.sort_unstable();
    let unfinished = every_id.iter().copied().filter(|id| !finished.contains(id)).collect();
    (finished, unfinished)
}

async fn hand_out(
    pool: &mut Pool,
    jobs: Vec<Job>,
    interrupts: &mut Interrupts,
    outcome: &mut Outcome,
) -> Result<(), Stop> {
    let total = jobs.len();
    let mut pending: VecDeque<Job> = jobs.into();
    let mut holding: Vec<Holding> = pool.painters.iter().map(|_| Holding::default()).collect();
    for index in 0..pool.painters.len() {
        top_up(pool, &mut holding, &mut pending, index)?;
    }

    while outcome.done.len() < total {
        let incoming = tokio::select! {
            incoming = pool.incoming.recv() => incoming.ok_or_else(|| anyhow!("every painter's pipe is closed"))?,
            signal = interrupts.recv() => return Err(Stop::Signal(signal)),
        };
        let index = incoming.painter;
        let painter = &pool.painters[index];
        let held = || ids(&holding[index].held.iter().copied().collect::<Vec<_>>());
        match incoming.heard {
            Heard::Message(FromPainter::Event(event)) => {
                if event.kind == EventKind::PaintStarted && event.coat == 0 {
                    holding[index].unstarted = holding[index].unstarted.saturating_sub(1);
                    top_up(pool, &mut holding, &mut pending, index)?;
                }
                outcome.events.push((index, event));
            }
            Heard::Message(FromPainter::JobDone(done)) => {
                if !holding[index].held.remove(&done.job) {
                    return Err(anyhow!(
                        "{} reported painting #{} done, which it was not given",
                        painter.who(),
                        done.job
                    )
                    .into());
                }
                tracing::debug!(painter = index, job = done.job, checksum = done.checksum, "painting done");
                outcome.end_ns = incoming.at_ns;
                outcome.done.push((index, done));
            }
            Heard::Message(FromPainter::JobFailed(failed)) => {
                return Err(
                    anyhow!("{} could not finish painting #{}: {}", painter.who(), failed.job, failed.error).into()
                );
            }
            Heard::Message(other) => {
                return Err(anyhow!("{} sent {} in the middle of its work", painter.who(), other.name()).into());
            }
            Heard::Garbled(error) => {
                let context = format!("{} sent a bad frame while holding paintings {}", painter.who(), held());
                return Err(anyhow::Error::new(error).context(context).into());
            }
            Heard::Closed => {
                // A closed pipe usually means a dead painter: give its exit
                // status a moment to arrive, so the error can say how it died.
                let painter = &mut pool.painters[index];
                let how = match painter.exit_within(EXIT_NEWS).await {
                    Some(Some(status)) => describe(status),
                    Some(None) => "ended".to_owned(),
                    None => "closed its stdout".to_owned(),
                };
                return Err(anyhow!(
                    "{} {how} while holding paintings {}{}",
                    painter.who(),
                    held(),
                    painter.stderr_tail()
                )
                .into());
            }
            Heard::Exited(status) => {
                return Err(anyhow!(
                    "{} {} while holding paintings {}{}",
                    painter.who(),
                    status.map_or_else(|| "ended".to_owned(), describe),
                    held(),
                    painter.stderr_tail()
                )
                .into());
            }
        }
    }
    Ok(())
}

/// Sends painter `index` jobs until it has one unstarted job per lane.
fn top_up(pool: &Pool, holding: &mut [Holding], pending: &mut VecDeque<Job>, index: usize) -> anyhow::Result<()> {
    let painter = &pool.painters[index];
    while holding[index].unstarted < painter.hello.lanes {
        let Some(job) = pending.pop_front() else {
            break;
        };
        holding[index].unstarted += 1;
        holding[index].held.insert(job.id);
        tracing::trace!(painter = index, job = job.id, "job sent");
        painter.send(ToPainter::Job(job))?;
    }
    Ok(())
}
