//! atelier's integration tests: the real `coordinator` and `painter`
//! binaries, run the way a user runs them, checked on what a user sees —
//! the report, the files, the exit code, and `/proc`.
//!
//! One test binary with a module per area. Every test that starts painters
//! holds [`support::serial`], so that timing claims are not disturbed by
//! another test's painters on this machine's few cores. A test that needs
//! what a developer's machine seldom has is ignored unless asked for
//! ([`ignored`]).

mod browser;
mod cli;
mod cores;
mod errors;
mod faults;
mod fit;
mod hosts;
mod ignored;
mod layout;
mod live;
mod modes;
mod processes;
mod readme;
mod schema;
mod support;
mod visual;
