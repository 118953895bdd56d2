//! The coordinator's own output: its stderr (written by a thread of its
//! own), its stdout, every duration it prints (`format`), and text made safe to show on a terminal.
//!
//! Nothing here uses another module of the coordinator: the live display
//! (`progress/`) lifts itself around stderr's lines by handing stderr a
//! writer, not by stderr calling it.

pub mod format;
pub mod stderr;
pub mod stdout;
pub mod visible;
