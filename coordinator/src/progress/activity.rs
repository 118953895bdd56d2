//! What a painter is doing, from what it was handed and what it said: the
//! paintings it holds, and of those the ones it paints, dries and saves;
//! and that in words, for its line or its note under the timeline.

use std::collections::BTreeSet;

use protocol::{Event, EventKind};

/// Paintings named in one list.
const LISTED: usize = 6;

/// The paintings a painter holds, and what it does with them.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Handed to it and not yet reported done.
    held: BTreeSet<u32>,
    /// Of those, the ones it has begun.
    started: BTreeSet<u32>,
    painting: BTreeSet<u32>,
    drying: BTreeSet<u32>,
    saving: BTreeSet<u32>,
}

impl Activity {
    /// It was handed painting `job`.
    pub fn handed(&mut self, job: u32) {
        self.held.insert(job);
    }

    /// It reported `event`.
    pub fn event(&mut self, event: &Event) {
        self.started.insert(event.job);
        let (set, started) = match event.kind {
            EventKind::PaintStarted => (&mut self.painting, true),
            EventKind::PaintFinished(_) => (&mut self.painting, false),
            EventKind::DryStarted(_) => (&mut self.drying, true),
            EventKind::DryFinished(_) => (&mut self.drying, false),
            EventKind::SaveStarted => (&mut self.saving, true),
            EventKind::SaveFinished => (&mut self.saving, false),
        };
        if started {
            set.insert(event.job);
        } else {
            set.remove(&event.job);
        }
    }

    /// It finished painting `job`.
    pub fn done(&mut self, job: u32) {
        for set in [&mut self.held, &mut self.started, &mut self.painting, &mut self.drying, &mut self.saving] {
            set.remove(&job);
        }
    }

    /// How many paintings it holds.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// In words: `painting #3 · drying #1 #2 · handed #4`.
    pub fn describe(&self) -> String {
        // A few numbers, then how many more: no line can hold hundreds.
        let list = |ids: &BTreeSet<u32>| {
            let mut text = ids.iter().take(LISTED).map(|id| format!("#{id}")).collect::<Vec<_>>().join(" ");
            if ids.len() > LISTED {
                text += &format!(" +{} more", ids.len() - LISTED);
            }
            text
        };
        let waiting: BTreeSet<u32> = self.held.difference(&self.started).copied().collect();
        let mut parts = Vec::new();
        for (what, ids) in
            [("painting", &self.painting), ("saving", &self.saving), ("drying", &self.drying), ("handed", &waiting)]
        {
            if !ids.is_empty() {
                parts.push(format!("{what} {}", list(ids)));
            }
        }
        if parts.is_empty() { "waiting for a painting".to_owned() } else { parts.join(" · ") }
    }
}
