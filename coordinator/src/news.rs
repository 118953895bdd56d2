//! What the dispatcher tells whoever listens, as it happens.
//!
//! The dispatcher (`dispatch/`) never calls the live display: it says
//! what happened, as [`News`], to a [`Listener`], and each listener makes
//! of it what it needs. The live display (`progress/`) is one; a
//! test or another front end can be another. (nextest's
//! `reporter/events.rs` draws the same line between a runner and its
//! reporters.) What a run's report is built from — every event and
//! finished painting — is what the dispatcher returns when it is done.
//!
//! Vocabulary: uses nothing of the coordinator.

use protocol::{Event, Hello, States, WholeLife};

/// Something that happened to a painter or a painting, by painter index.
#[derive(Debug, Clone, Copy)]
pub enum News<'a> {
    /// A painter is ready for work, under this label; its `Hello` says
    /// its threads (lanes), the cores they are pinned to and its host.
    Joined { painter: usize, label: &'a str, hello: &'a Hello },
    /// Paintings were handed to a painter: `count` of them from `first`
    /// on (a chunk), or one.
    Handed { painter: usize, first: u32, count: u32 },
    /// A painter reported a step of a painting.
    Step { painter: usize, event: &'a Event },
    /// A painter reported paintings whose whole life came at once: each
    /// started, was painted and is finished (a `Step` for each of its two
    /// events and a `Done`, told in one piece of news for them all).
    Lived { painter: usize, lives: &'a [WholeLife] },
    /// A painter said how one of its threads spent a stretch of time:
    /// running on a core, waiting for one, or off; on this machine's clock
    /// (a remote painter's moved, as its events are).
    States { painter: usize, states: &'a States },
    /// A painting is finished.
    Done { painter: usize, job: u32 },
    /// A painter is being stopped, and why.
    Stopping { painter: usize, why: &'a str },
    /// A painter has ended, as this says.
    Gone { painter: usize, how: &'a str },
    /// A painter was replaced by another, named so.
    Replaced { painter: usize, by: &'a str },
}

/// Whoever wants the news.
pub trait Listener {
    /// Takes in one piece of news.
    fn hear(&mut self, news: News<'_>);
}
