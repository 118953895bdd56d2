//! What is happening now, on a terminal: a line per painter saying what it
//! paints and what dries, and a bar of finished paintings.
//!
//! Drawn on stderr with indicatif, only when both stdout and stderr are
//! terminals and `--quiet` was not given; otherwise every method here does
//! nothing, so that a piped report or log holds no escape codes.

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use protocol::{Event, EventKind};

/// The live display (or nothing).
#[derive(Debug)]
pub struct Progress {
    on: bool,
    multi: MultiProgress,
    status: Option<ProgressBar>,
    total: Option<ProgressBar>,
    painters: HashMap<usize, Painter>,
}

/// One painter's line.
#[derive(Debug)]
struct Painter {
    bar: ProgressBar,
    label: String,
    painting: BTreeSet<u32>,
    drying: BTreeSet<u32>,
}

impl Progress {
    /// A display on stderr if it and stdout are terminals and `quiet` is false.
    #[must_use]
    pub fn new(quiet: bool) -> Self {
        let on = !quiet && std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
        let target = if on { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Self { on, multi: MultiProgress::with_draw_target(target), status: None, total: None, painters: HashMap::new() }
    }

    /// A one-line status with a spinner (an empty `text` removes it).
    pub fn say(&mut self, text: &str) {
        if !self.on {
            return;
        }
        if text.is_empty() {
            if let Some(status) = self.status.take() {
                status.finish_and_clear();
            }
            return;
        }
        let status = self.status.get_or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        status.set_message(text.to_owned());
    }

    /// A mode begins: a bar for its `paintings`.
    pub fn start_mode(&mut self, mode: &str, paintings: u32) {
        self.end_mode();
        if !self.on {
            return;
        }
        let bar = self.multi.add(ProgressBar::new(u64::from(paintings)));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>11} [{bar:30}] {pos}/{len} paintings  {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("█▌ "),
        );
        bar.set_prefix(mode.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        self.total = Some(bar);
    }

    /// Painter `index` is at work, shown as `label` (`painter-0@1`).
    pub fn painter(&mut self, index: usize, label: String) {
        if !self.on || self.painters.contains_key(&index) {
            return;
        }
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>13} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(label.clone());
        bar.set_message("idle");
        self.painters.insert(index, Painter { bar, label, painting: BTreeSet::new(), drying: BTreeSet::new() });
    }

    /// Painter `index` reported `event`.
    pub fn event(&mut self, index: usize, event: &Event) {
        let Some(painter) = self.painters.get_mut(&index) else { return };
        match event.kind {
            EventKind::PaintStarted => {
                painter.painting.insert(event.job);
            }
            EventKind::PaintFinished(_) => {
                painter.painting.remove(&event.job);
            }
            EventKind::DryStarted(_) => {
                painter.drying.insert(event.job);
            }
            EventKind::DryFinished(_) => {
                painter.drying.remove(&event.job);
            }
            EventKind::SaveStarted | EventKind::SaveFinished => {}
        }
        painter.show();
    }

    /// Painter `index` finished painting `job`.
    pub fn done(&mut self, index: usize, job: u32) {
        if let Some(painter) = self.painters.get_mut(&index) {
            painter.painting.remove(&job);
            painter.drying.remove(&job);
            painter.show();
        }
        if let Some(total) = &self.total {
            total.inc(1);
        }
    }

    /// Painter `index` failed and is gone.
    pub fn gone(&mut self, index: usize, why: &str) {
        if let Some(painter) = self.painters.get_mut(&index) {
            painter.bar.finish_with_message(format!("gone: {why}"));
            tracing::debug!("{} is gone", painter.label);
        }
    }

    /// The mode is over: its lines disappear, leaving the terminal clean.
    pub fn end_mode(&mut self) {
        for (_, painter) in self.painters.drain() {
            painter.bar.finish_and_clear();
        }
        if let Some(total) = self.total.take() {
            total.finish_and_clear();
        }
    }
}

impl Painter {
    fn show(&self) {
        let list = |ids: &BTreeSet<u32>| ids.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(" ");
        let message = match (self.painting.is_empty(), self.drying.is_empty()) {
            (true, true) => "idle".to_owned(),
            (false, true) => format!("painting {}", list(&self.painting)),
            (true, false) => format!("drying {}", list(&self.drying)),
            (false, false) => format!("painting {} · drying {}", list(&self.painting), list(&self.drying)),
        };
        self.bar.set_message(message);
    }
}

impl Drop for Progress {
    /// Leaves the terminal clean for whatever comes next (the report, an error).
    fn drop(&mut self) {
        self.end_mode();
        self.say("");
    }
}
