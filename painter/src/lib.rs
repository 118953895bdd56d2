//! atelier's painter: the process that does the work.
//!
//! A painter is started by the coordinator with its stdin and stdout on
//! pipes. It says [`Hello`](protocol::Hello), then takes jobs and reports, as
//! timestamped events, what it does with them: painting (real CPU work, in
//! [`canvas`]) and drying (waits, in [`dry`]). How it fits jobs together is
//! its *scheduler*, chosen on its command line:
//!
//! - [`blocking`]: paint, dry, next — one painting at a time;
//! - [`asynchronous`]: a tokio current-thread runtime paints the next painting
//!   while earlier ones dry, each drying woken on time by an [`alarm`];
//! - [`threads`]: one OS thread per core, each blocking.
//!
//! The plumbing around them: [`inbox`] reads stdin and [`outbox`] writes
//! stdout, both on the thread that does the work, [`process`] pins and names the
//! process and ties its life to the coordinator's, [`painting`] is one job's
//! life from blank canvas to saved PNG ([`save`]), and [`calibrate`] measures
//! how long a stroke takes here. [`effort`] reads, from the kernel, what
//! painting a coat took of the thread, and [`states`] records, from the
//! kernel's switch records ([`switches`]) or the thread's own clocks, when
//! each painting thread ran, waited for a core, or was off. [`fault`] makes a painter misbehave on
//! purpose, for the coordinator's tests.

pub mod alarm;
pub mod asynchronous;
pub mod blocking;
pub mod calibrate;
pub mod canvas;
pub mod dry;
pub mod effort;
pub mod error;
pub mod fault;
pub mod inbox;
pub mod outbox;
pub mod painting;
pub mod probe;
pub mod process;
pub mod save;
pub mod states;
pub mod switches;
pub mod threads;
pub mod watchdog;

pub use error::Error;

use std::path::PathBuf;

/// What every scheduler needs to know besides its jobs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where finished paintings are saved.
    pub out_dir: PathBuf,
    /// Async scheduler: strokes painted between two yields to the runtime.
    pub slice_strokes: u64,
    /// Send finished pictures home over stdout instead of saving them: a
    /// painter on another host has no access to the coordinator's folder.
    pub pictures_home: bool,
}
