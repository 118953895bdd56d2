//! The async scheduler: one thread, a tokio current-thread runtime, and
//! paintings that dry while the next one is painted.
//!
//! The thread's CPU serves one painting at a time — painting is CPU work,
//! and concurrency does not make a CPU faster. But drying is waiting, and a
//! wait is just a sleeping task: as soon as a coat is painted, its drying is
//! spawned as a task and the thread goes on to paint whatever is ready next.
//!
//! What is ready next: a painting whose previous coat has dried, or a new
//! job. The one with the most coats still to paint goes first, and among
//! those the one that arrived first (a `BTreeMap` keyed by that [`Priority`]).
//! Most coats first keeps as many paintings as possible drying at once: with
//! 5 paintings of 2 coats (0.1 s paint, 0.3 s dry), painting every first
//! coat before any second one takes 1.3 s; finishing started paintings
//! first takes 1.6 s. The coordinator's ideal model assumes the same rule.
//!
//! Painting is plain CPU work that never awaits anything, so it is cut into
//! slices with a `yield_now` between them: that is when the runtime notices
//! timers that fired and messages that arrived, and when what the drying
//! tasks said is flushed to the coordinator. Bigger slices mean less
//! switching but later notice; `--slice` sets it.
//!
//! Messages arrive on the same thread: stdin is a non-blocking pipe that
//! the runtime watches ([`AsyncInbox`]), one more thing to wait for beside
//! the drying timers.
//!
//! A painting whose last coat is drying stays with the scheduler, and when
//! there is nothing to paint the scheduler prepares its picture (colours,
//! checksum, PNG): work that would otherwise wait for the drying, done on a
//! core that would otherwise idle, and never before a coat that is ready
//! to be painted.

use std::cmp::Reverse;
use std::collections::{BTreeMap, VecDeque};

use protocol::ToPainter;
use tokio::sync::mpsc;

use crate::inbox::AsyncInbox;
use crate::outbox::Outbox;
use crate::painting::Painting;
use crate::{Error, Settings, calibrate};

/// Runs the scheduler on messages from `stdin` (a pipe) until `Shutdown`
/// and every painting it holds is delivered.
///
/// # Errors
/// If the runtime cannot be built, or stdin is not a pipe.
pub fn run(stdin: std::fs::File, outbox: &Outbox, settings: &Settings) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()
        .map_err(|source| Error::Start { what: "the async runtime", source })?;
    runtime.block_on(async {
        let inbox =
            AsyncInbox::new(stdin).map_err(|source| Error::Start { what: "reading stdin as a pipe", source })?;
        // Every task runs on this thread: one record holds them all.
        crate::states::begin(0, outbox);
        Scheduler::new(outbox.clone(), settings.clone()).run(inbox).await;
        crate::states::end();
        Ok(())
    })
}

struct Scheduler {
    outbox: Outbox,
    settings: Settings,
    /// Paintings whose next coat can be painted now, in the order to paint them.
    ready: BTreeMap<Priority, Painting>,
    /// Paintings held: ready, being painted, or drying.
    held: usize,
    /// Paintings whose last coat is drying, by arrival, for their pictures
    /// to be prepared meanwhile; and those not prepared yet, oldest first.
    finishing: BTreeMap<u64, Painting>,
    to_prepare: VecDeque<u64>,
    arrivals: u64,
    shutting_down: bool,
    /// Drying tasks say here when a coat is dry, handing back the painting
    /// (or `None` when it is in `finishing`).
    dried_tx: mpsc::UnboundedSender<(u64, Option<Painting>)>,
    dried_rx: mpsc::UnboundedReceiver<(u64, Option<Painting>)>,
}

impl Scheduler {
    fn new(outbox: Outbox, settings: Settings) -> Self {
        let (dried_tx, dried_rx) = mpsc::unbounded_channel();
        Self {
            outbox,
            settings,
            ready: BTreeMap::new(),
            held: 0,
            finishing: BTreeMap::new(),
            to_prepare: VecDeque::new(),
            arrivals: 0,
            shutting_down: false,
            dried_tx,
            dried_rx,
        }
    }

    async fn run(mut self, mut inbox: AsyncInbox) {
        loop {
            // Take in whatever arrived while we were painting.
            while let Some(message) = inbox.try_recv() {
                self.take(message);
            }
            while let Ok((order, painting)) = self.dried_rx.try_recv() {
                self.dried(order, painting);
            }
            if let Some((Priority(_, order), painting)) = self.ready.pop_first() {
                self.paint_coat(order, painting).await;
                continue;
            }
            if self.shutting_down && self.held == 0 {
                return;
            }
            // Nothing to paint: prepare a drying painting's picture, if one
            // is waiting, then look again.
            if let Some(order) = self.to_prepare.pop_front() {
                if let Some(painting) = self.finishing.get_mut(&order) {
                    painting.prepare(&self.outbox);
                }
                continue;
            }
            // Nothing to paint: sleep until a message or a dry coat (the
            // inbox flushes what we said before it waits).
            tokio::select! {
                message = inbox.recv(&self.outbox) => self.take(message),
                Some((order, painting)) = self.dried_rx.recv() => self.dried(order, painting),
            }
        }
    }

    fn take(&mut self, message: ToPainter) {
        match message {
            ToPainter::Job(job) => self.arrive(job),
            ToPainter::Chunk(chunk) => {
                self.outbox.open_chunk(&chunk);
                for job in chunk.jobs() {
                    self.arrive(job);
                }
            }
            ToPainter::Calibrate { sample, seeds } => {
                self.outbox.flush();
                self.outbox.send(calibrate::measure(sample, &seeds));
            }
            ToPainter::Ping { seq } => self.outbox.pong(seq),
            ToPainter::Shutdown => self.shutting_down = true,
        }
    }

    fn arrive(&mut self, job: protocol::Job) {
        crate::fault::on_job(&job, &self.outbox);
        let painting = Painting::new(job, 0);
        self.ready.insert(Priority::of(&painting, self.arrivals), painting);
        self.arrivals += 1;
        self.held += 1;
    }

    /// Paints one coat in slices, then leaves it to dry in a task of its own.
    async fn paint_coat(&mut self, order: u64, mut painting: Painting) {
        painting.start_coat(&self.outbox);
        while painting.paint_some(self.settings.slice_strokes) > 0 {
            tokio::task::yield_now().await;
            // Whatever the drying tasks said meanwhile.
            self.outbox.flush();
        }
        let coat = painting.coat;
        painting.finish_coat(&self.outbox);
        // The drying starts now, on this thread, and the coordinator hears
        // of both in one write before anything else is done: it hands out
        // the next painting when a coat is painted.
        let drying = crate::dry::begin(&painting.job, painting.lane, coat, &self.outbox);
        // (An empty coat with nothing to dry keeps its fast path: what it
        // said goes with the next write.)
        if drying.is_some() || painting.job.strokes > 0 {
            self.outbox.flush();
        }
        let (outbox, dried) = (self.outbox.clone(), self.dried_tx.clone());
        let painting = if painting.all_coats_painted() && !painting.is_prepared() {
            self.finishing.insert(order, painting);
            self.to_prepare.push_back(order);
            None
        } else {
            Some(painting)
        };
        match drying {
            Some(drying) => {
                tokio::spawn(async move {
                    drying.finish(&outbox).await;
                    let _ = dried.send((order, painting));
                });
            }
            // Nothing to dry: the coat is dry now.
            None => self.dried(order, painting),
        }
    }

    fn dried(&mut self, order: u64, painting: Option<Painting>) {
        match painting.or_else(|| self.finishing.remove(&order)) {
            Some(painting) if painting.all_coats_painted() => {
                painting.deliver(&self.settings, &self.outbox);
                self.held -= 1;
            }
            Some(painting) => {
                self.ready.insert(Priority::of(&painting, order), painting);
            }
            None => {}
        }
    }
}

/// Which ready coat to paint first: most coats left, then earliest arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Priority(Reverse<u32>, u64);

impl Priority {
    fn of(painting: &Painting, arrival: u64) -> Self {
        Self(Reverse(painting.job.coats.saturating_sub(painting.coat)), arrival)
    }
}
