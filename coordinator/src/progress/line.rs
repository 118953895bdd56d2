//! A painter's line, as the display shows it when the timeline does not
//! fit: what it paints, saves and dries, what it was handed and has not
//! begun, how long it has been quiet if it holds paintings, and whether
//! it was stopped, is gone or was replaced.
//!
//! What a painter is doing is kept here whichever way the display draws,
//! so that the timeline's notes say the same words, and a display that
//! falls back to lines mid-run shows each painter as it is.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState};
use protocol::{Event, EventKind};

use super::board::{Note, QUIET_AFTER};
use super::style;

/// Paintings named in one list of a painter's line.
const LISTED: usize = 6;

/// One painter, and its line.
#[derive(Debug)]
pub struct Painter {
    /// Its line; drawn nowhere until [`Painter::reveal`], so that a
    /// display that shows the timeline spends nothing on it.
    pub bar: ProgressBar,
    /// Its name.
    pub label: String,
    /// Handed to it and not yet reported done.
    held: BTreeSet<u32>,
    /// Of those, the ones it has begun.
    started: BTreeSet<u32>,
    painting: BTreeSet<u32>,
    drying: BTreeSet<u32>,
    saving: BTreeSet<u32>,
    /// When it last said something.
    heard: Instant,
    /// Stopped, gone or replaced: what its line says, which changes no
    /// more, and whether the line is finished.
    ended: Option<(String, bool)>,
    /// Whether its line is drawn.
    shown: bool,
}

impl Painter {
    /// A painter shown as `label`, its line not drawn yet.
    pub fn new(label: String) -> Self {
        // Its length is the paintings it holds, so that the style can tell
        // a quiet painter with work from one with none.
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        bar.set_style(style("{prefix:>13} {quiet}{wide_msg}").with_key("quiet", quiet));
        bar.set_prefix(label.clone());
        bar.set_message("waiting for a painting");
        Self {
            bar,
            label,
            held: BTreeSet::new(),
            started: BTreeSet::new(),
            painting: BTreeSet::new(),
            drying: BTreeSet::new(),
            saving: BTreeSet::new(),
            heard: Instant::now(),
            ended: None,
            shown: false,
        }
    }

    /// Its line is drawn from now on (it has just been added to the display).
    pub fn reveal(&mut self) {
        self.shown = true;
        match self.ended.clone() {
            Some((message, finish)) => self.end(message, finish),
            None => {
                self.bar.enable_steady_tick(Duration::from_millis(250));
                self.show();
            }
        }
    }

    /// It was handed painting `job`.
    pub fn handed(&mut self, job: u32) {
        self.held.insert(job);
        self.show();
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
        self.heard();
    }

    /// It finished painting `job`.
    pub fn done(&mut self, job: u32) {
        for set in [&mut self.held, &mut self.started, &mut self.painting, &mut self.drying, &mut self.saving] {
            set.remove(&job);
        }
        self.heard();
    }

    /// It said something (its states, say): it is not quiet.
    pub fn heard(&mut self) {
        self.heard = Instant::now();
        self.bar.reset_elapsed();
        self.show();
    }

    /// It is stopped, gone or replaced, as `message` says; `finish` ends its line.
    pub fn end(&mut self, message: String, finish: bool) {
        if self.shown {
            self.bar.set_length(0);
            if finish {
                self.bar.finish_with_message(message.clone());
            } else {
                self.bar.set_message(message.clone());
            }
        }
        self.ended = Some((message, finish));
    }

    /// What the timeline's note for it says.
    pub fn note(&self) -> Note {
        Note {
            label: self.label.clone(),
            held: self.held.len(),
            heard: Some(self.heard),
            doing: self.doing(),
            ended: self.ended.as_ref().map(|(message, _)| message.clone()),
        }
    }

    /// What it is doing, in words.
    fn doing(&self) -> String {
        // A few numbers, then how many more: no line can hold hundreds,
        // and this runs on every event.
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

    fn show(&self) {
        if self.ended.is_some() || !self.shown {
            return;
        }
        self.bar.set_length(self.held.len() as u64);
        self.bar.set_message(self.doing());
    }
}

/// The `{quiet}` key: how long a painter that holds paintings has said nothing.
fn quiet(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let quiet = state.elapsed();
    if state.len().unwrap_or(0) > 0 && quiet >= QUIET_AFTER {
        let _ = write!(out, "no word for {}s · ", quiet.as_secs());
    }
}
