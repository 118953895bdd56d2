//! The ideal: what each mode would take on a perfect machine (`schedule`),
//! found by simulating the same hand-out rule the dispatcher follows
//! (`assign`), so the model and the run can never disagree on who paints
//! what.
//!
//! Uses the vocabulary (`mode`) and `os` (to hear a signal during a long
//! simulation), nothing above.

pub mod assign;
pub mod schedule;
