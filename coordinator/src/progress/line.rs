//! A painter's line, as the display shows it when the timeline does not
//! fit: what it paints, saves and dries, what it was handed and has not
//! begun, how long it has been quiet if it holds paintings, and whether
//! it was stopped, is gone or was replaced.
//!
//! What a painter is doing is kept here whichever way the display draws,
//! so that a display that falls back to lines mid-run shows each painter
//! as it is; its words are formatted only while its line is drawn.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState};
use protocol::Event;

use super::activity::Activity;
use super::board::QUIET_AFTER;
use super::style;

/// One painter, and its line.
#[derive(Debug)]
pub struct Painter {
    /// Its line; drawn nowhere until [`Painter::reveal`], so that a
    /// display that shows the timeline spends nothing on it.
    pub bar: ProgressBar,
    /// Its name.
    pub label: String,
    /// What it is doing.
    activity: Activity,
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
        Self { bar, label, activity: Activity::default(), ended: None, shown: false }
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

    /// It was handed `count` paintings from `first` on.
    pub fn handed(&mut self, first: u32, count: u32) {
        self.activity.handed(first, count);
        self.show();
    }

    /// It reported `event`.
    pub fn event(&mut self, event: &Event) {
        self.activity.event(event);
        self.heard();
    }

    /// It finished painting `job`.
    pub fn done(&mut self, job: u32) {
        self.activity.done(job);
        self.heard();
    }

    /// It finished painting `jobs`, each told at once.
    pub fn lived(&mut self, jobs: impl Iterator<Item = u32>) {
        for job in jobs {
            self.activity.done(job);
        }
        self.heard();
    }

    /// It said something (its states, say): it is not quiet.
    pub fn heard(&mut self) {
        // Kept while its line is hidden too, so that the line, once
        // drawn, says truly how long it has been quiet.
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

    fn show(&self) {
        if self.ended.is_some() || !self.shown {
            return;
        }
        self.bar.set_length(self.activity.held() as u64);
        self.bar.set_message(self.activity.describe());
    }
}

/// The `{quiet}` key: how long a painter that holds paintings has said nothing.
fn quiet(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let quiet = state.elapsed();
    if state.len().unwrap_or(0) > 0 && quiet >= QUIET_AFTER {
        let _ = write!(out, "no word for {}s · ", quiet.as_secs());
    }
}
