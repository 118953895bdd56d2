//! The five modes: how many painter processes, and how each schedules.
//!
//! | mode         | processes        | inside one painter                    |
//! |--------------|------------------|---------------------------------------|
//! | `sequential` | 1                | blocking: paint, dry, paint, dry      |
//! | `async`      | 1                | tokio: paint the next while one dries |
//! | `parallel`   | one per core     | blocking                              |
//! | `hybrid`     | one per core     | tokio                                 |
//! | `threads`    | 1, a thread per core | blocking, on every thread         |
//!
//! A mode is nothing more than this table: the machinery that spawns,
//! feeds and measures painters is the same for all of them.
//!
//! Vocabulary: uses only `os` (round-robin pinning); used by most modules.

use clap::ValueEnum;
use protocol::Scheduler;
use serde::Serialize;

/// The most painters (or threads) a run may have: `--painters`' limit,
/// and the most that the cores offered by `--hosts` may start.
pub const MAX_PAINTERS: u32 = 256;

/// A painter's name, the same in every line and view: `painter-2`.
#[must_use]
pub fn painter_name(id: u32) -> String {
    format!("painter-{id}")
}

/// A thread of a `threads` painter, the same in every view: `thread-1`.
#[must_use]
pub fn thread_name(thread: impl std::fmt::Display) -> String {
    format!("thread-{thread}")
}

/// A way of running the paintings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One painter: paint, dry, paint, dry. The baseline.
    Sequential,
    /// One painter that paints the next painting while the last one dries.
    Async,
    /// One blocking painter process per core.
    Parallel,
    /// One async painter process per core: both at once.
    Hybrid,
    /// One painter process with a blocking thread per core.
    Threads,
}

/// One painter process of a mode, before it is spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PainterPlan {
    /// `painter-K`.
    pub id: u32,
    /// How it schedules.
    pub scheduler: Scheduler,
    /// Its threads of painting.
    pub lanes: u32,
    /// One core per lane, or empty for unpinned.
    pub cores: Vec<u32>,
    /// With `--hosts`: which host it runs on (see `hosts::Cluster`).
    pub host: Option<usize>,
}

impl Mode {
    /// Every mode, in the order `compare` runs them.
    pub const ALL: [Self; 5] = [Self::Sequential, Self::Async, Self::Parallel, Self::Hybrid, Self::Threads];

    /// The mode's name on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Async => "async",
            Self::Parallel => "parallel",
            Self::Hybrid => "hybrid",
            Self::Threads => "threads",
        }
    }

    /// How each of its painters schedules jobs.
    #[must_use]
    pub fn scheduler(self) -> Scheduler {
        match self {
            Self::Sequential | Self::Parallel => Scheduler::Blocking,
            Self::Async | Self::Hybrid => Scheduler::Async,
            Self::Threads => Scheduler::Threads,
        }
    }

    /// The painter processes of this mode, for `workers` workers (painters
    /// or threads), given the cores to hand out (`None`: unpinned).
    #[must_use]
    pub fn layout(self, workers: u32, cores: Option<&[u32]>) -> Vec<PainterPlan> {
        let assign = |n: u32| cores.map(|c| crate::os::pin::round_robin(c, n as usize)).unwrap_or_default();
        let scheduler = self.scheduler();
        match self {
            Self::Sequential | Self::Async => {
                vec![PainterPlan { id: 0, scheduler, lanes: 1, cores: assign(1), host: None }]
            }
            Self::Threads => vec![PainterPlan { id: 0, scheduler, lanes: workers, cores: assign(workers), host: None }],
            Self::Parallel | Self::Hybrid => {
                let all = assign(workers);
                (0..workers)
                    .map(|id| PainterPlan {
                        id,
                        scheduler,
                        lanes: 1,
                        cores: all.get(id as usize).map(|&core| vec![core]).unwrap_or_default(),
                        host: None,
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let seq = Mode::Sequential.layout(2, Some(&[0, 1]));
        assert_eq!(seq.len(), 1);
        assert_eq!(seq[0].cores, vec![0]);

        let par = Mode::Parallel.layout(3, Some(&[0, 1]));
        assert_eq!(par.iter().map(|p| p.cores.clone()).collect::<Vec<_>>(), vec![vec![0], vec![1], vec![0]]);

        let threads = Mode::Threads.layout(2, Some(&[2, 3]));
        assert_eq!((threads.len(), threads[0].lanes, threads[0].cores.clone()), (1, 2, vec![2, 3]));

        let unpinned = Mode::Hybrid.layout(2, None);
        assert!(unpinned.iter().all(|p| p.cores.is_empty()));
    }
}
