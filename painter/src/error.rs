//! Everything that can stop a painter, one variant per cause.

use std::io;
use std::path::PathBuf;

/// An error in a painter process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The core does not exist, or this process may not use it.
    #[error("cannot pin to core {core}")]
    Pin {
        /// The core asked for.
        core: u32,
        /// What the kernel said.
        #[source]
        source: nix::Error,
    },
    /// `prctl(PR_SET_NAME)` or `prctl(PR_SET_PDEATHSIG)` failed.
    #[error("prctl({what}) failed")]
    Prctl {
        /// Which request.
        what: &'static str,
        /// What the kernel said.
        #[source]
        source: nix::Error,
    },
    /// The coordinator died before this painter could tie its life to it.
    #[error("the coordinator (pid {0}) is already gone")]
    Orphaned(i32),
    /// A painting could not be saved.
    #[error("cannot save {path}")]
    Save {
        /// The file being written.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A thread or the async runtime could not be started.
    #[error("cannot start {what}")]
    Start {
        /// What was being started.
        what: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A painting thread panicked (a bug).
    #[error("a painting thread panicked")]
    LanePanicked,
}
