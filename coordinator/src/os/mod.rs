//! What the coordinator asks of the operating system, each in its own
//! file: pinning to cores, reaping and killing processes, signals, the
//! lock on the output folder, and the sampler of CPU use from `/proc`.
//!
//! The bottom layer: nothing here uses another module of the coordinator.

pub mod lock;
pub mod pin;
pub mod reap;
pub mod sampler;
pub mod signals;
