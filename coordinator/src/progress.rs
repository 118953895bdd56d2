//! What is happening now, on a terminal: a line per painter saying what it
//! paints and what dries, and a bar of finished paintings.
//!
//! Drawn on stderr with indicatif, whenever stderr is a terminal and
//! `--quiet` was not given — also when stdout is piped (`compare --json |
//! jq`), so that a long run does not leave the terminal blank. Otherwise
//! every method here does nothing, so that a log holds no escape codes.
//!
//! Every line fits the terminal: the bar and the messages take the width
//! that is left (`wide_bar`, `wide_msg`), and a message too long is cut.
//! Log lines go through [`log_writer`], which lifts the display while a
//! line is written and draws it again below, so that neither tears the
//! other.
//!
//! A painter that holds paintings and has said nothing for a while shows
//! how long it has been quiet, so a hung painter does not look idle; one
//! being stopped, gone or replaced says so.

use std::collections::{BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use protocol::{Event, EventKind};

/// After this long without a word from a painter that holds paintings, its
/// line says how long it has been quiet.
const QUIET_AFTER: Duration = Duration::from_secs(2);

/// Paintings named in one list of a painter's line.
const LISTED: usize = 6;

/// The display on the terminal, if one is shown, for [`log_writer`].
static SHOWN: Mutex<Option<MultiProgress>> = Mutex::new(None);

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
    /// Handed to it and not yet reported done.
    held: BTreeSet<u32>,
    /// Of those, the ones it has begun.
    started: BTreeSet<u32>,
    painting: BTreeSet<u32>,
    drying: BTreeSet<u32>,
    saving: BTreeSet<u32>,
    /// Stopped, gone or replaced: its line says so and changes no more.
    ended: bool,
}

impl Progress {
    /// A display on stderr if it is a terminal and `quiet` is false.
    #[must_use]
    pub fn new(quiet: bool) -> Self {
        let on = !quiet && std::io::stderr().is_terminal();
        let target = if on { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Self::with_target(on, target)
    }

    fn with_target(on: bool, target: ProgressDrawTarget) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        if on && let Ok(mut shown) = SHOWN.lock() {
            *shown = Some(multi.clone());
        }
        Self { on, multi, status: None, total: None, painters: HashMap::new() }
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
            bar.set_style(style("{spinner} {wide_msg}"));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        status.set_message(text.to_owned());
    }

    /// A mode begins: a bar for its `paintings`. With `ideal`, a long run's
    /// ideal time of this mode and of the modes after it, the bar counts
    /// down the time left, at the least.
    pub fn start_mode(&mut self, mode: &str, paintings: u32, ideal: Option<(Duration, Duration)>) {
        self.end_mode();
        if !self.on {
            return;
        }
        let bar = self.multi.add(ProgressBar::new(u64::from(paintings)));
        // The time left goes on a line of its own: beside the bar, it would
        // not fit a narrow terminal.
        let mut template = "{prefix:>10} {wide_bar} {pos}/{len} paintings {elapsed_precise}".to_owned();
        if ideal.is_some() {
            template += "\n{left}";
        }
        let left = move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            if let Some((this, after)) = ideal {
                let left = this.saturating_sub(state.elapsed()) + after;
                let _ = write!(out, "{:>10} at least {} left", "", crate::report::plan::rough(left));
            }
        };
        bar.set_style(style(&template).with_key("left", left).progress_chars("█▌ "));
        bar.set_prefix(mode.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        self.total = Some(bar);
    }

    /// Painter `index` is at work, shown as `label` (`painter-0@1`).
    pub fn painter(&mut self, index: usize, label: String) {
        if !self.on || self.painters.contains_key(&index) {
            return;
        }
        // Its length is the paintings it holds, so that the style can tell
        // a quiet painter with work from one with none.
        let bar = self.multi.add(ProgressBar::new(0));
        bar.set_style(style("{prefix:>13} {quiet}{wide_msg}").with_key("quiet", quiet));
        bar.set_prefix(label.clone());
        bar.set_message("waiting for a painting");
        bar.enable_steady_tick(Duration::from_millis(250));
        let painter = Painter {
            bar,
            label,
            held: BTreeSet::new(),
            started: BTreeSet::new(),
            painting: BTreeSet::new(),
            drying: BTreeSet::new(),
            saving: BTreeSet::new(),
            ended: false,
        };
        self.painters.insert(index, painter);
    }

    /// Painter `index` was handed painting `job`.
    pub fn handed(&mut self, index: usize, job: u32) {
        if let Some(painter) = self.painters.get_mut(&index) {
            painter.held.insert(job);
            painter.show();
        }
    }

    /// Painter `index` reported `event`.
    pub fn event(&mut self, index: usize, event: &Event) {
        let Some(painter) = self.painters.get_mut(&index) else { return };
        painter.started.insert(event.job);
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
            EventKind::SaveStarted => {
                painter.saving.insert(event.job);
            }
            EventKind::SaveFinished => {
                painter.saving.remove(&event.job);
            }
        }
        painter.bar.reset_elapsed();
        painter.show();
    }

    /// Painter `index` finished painting `job`.
    pub fn done(&mut self, index: usize, job: u32) {
        if let Some(painter) = self.painters.get_mut(&index) {
            for set in [&mut painter.held, &mut painter.started, &mut painter.painting, &mut painter.drying] {
                set.remove(&job);
            }
            painter.saving.remove(&job);
            painter.bar.reset_elapsed();
            painter.show();
        }
        if let Some(total) = &self.total {
            total.inc(1);
        }
    }

    /// Painter `index` failed (`why`) and is being stopped.
    pub fn stopping(&mut self, index: usize, why: &str) {
        self.end(index, &format!("stopping it: {why}"), false);
    }

    /// Painter `index` failed and is gone.
    pub fn gone(&mut self, index: usize, why: &str) {
        self.end(index, &format!("gone: {why}"), true);
    }

    /// Painter `index` is replaced by the painter shown as `by`.
    pub fn replaced(&mut self, index: usize, by: &str) {
        if let Some(painter) = self.painters.get(&index) {
            painter.bar.finish_with_message(format!("replaced by {by}"));
        }
    }

    fn end(&mut self, index: usize, message: &str, finish: bool) {
        if let Some(painter) = self.painters.get_mut(&index) {
            painter.ended = true;
            painter.bar.set_length(0);
            if finish {
                painter.bar.finish_with_message(message.to_owned());
            } else {
                painter.bar.set_message(message.to_owned());
            }
            tracing::debug!("{}: {message}", painter.label);
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

/// A style from a template that is known to parse.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// The `{quiet}` key: how long a painter that holds paintings has said nothing.
fn quiet(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let quiet = state.elapsed();
    if state.len().unwrap_or(0) > 0 && quiet >= QUIET_AFTER {
        let _ = write!(out, "no word for {}s · ", quiet.as_secs());
    }
}

impl Painter {
    fn show(&self) {
        if self.ended {
            return;
        }
        self.bar.set_length(self.held.len() as u64);
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
        let message = if parts.is_empty() { "waiting for a painting".to_owned() } else { parts.join(" · ") };
        self.bar.set_message(message);
    }
}

impl Drop for Progress {
    /// Leaves the terminal clean for whatever comes next (the report, an error).
    fn drop(&mut self) {
        self.end_mode();
        self.say("");
        if self.on
            && let Ok(mut shown) = SHOWN.lock()
        {
            *shown = None;
        }
    }
}

/// Where log lines go: stderr, with the live display lifted while a line
/// is written, so that it is drawn again whole below the line. For
/// `tracing_subscriber`'s `with_writer`, and for a painter's own stderr.
#[must_use]
pub fn log_writer() -> LogWriter {
    LogWriter
}

/// See [`log_writer`].
#[derive(Debug, Clone, Copy)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let shown = SHOWN.lock().ok().and_then(|shown| shown.clone());
        match shown {
            Some(multi) => multi.suspend(|| std::io::stderr().write_all(buf)).map(|()| buf.len()),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;
    use protocol::DryKind;

    use super::*;

    /// A terminal of `width` columns that keeps every line drawn on it.
    #[derive(Debug, Clone)]
    struct Screen {
        width: u16,
        lines: Arc<Mutex<Vec<String>>>,
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            let mut lines = self.lines.lock().expect("lines");
            lines.extend(s.split('\n').filter(|l| !l.is_empty()).map(str::to_owned));
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn event(job: u32, kind: EventKind) -> Event {
        Event { job, coat: 0, lane: 0, kind, at_ns: 0 }
    }

    /// The lines drawn, without escape codes.
    fn drawn(screen: &Screen) -> Vec<String> {
        let strip = |line: &str| {
            let mut out = String::new();
            let mut escape = false;
            for c in line.chars() {
                match (escape, c) {
                    (false, '\x1b') => escape = true,
                    (true, c) if c.is_ascii_alphabetic() => escape = false,
                    (true, _) => {}
                    (false, c) => out.push(c),
                }
            }
            out
        };
        screen.lines.lock().expect("lines").iter().map(|l| strip(l)).collect()
    }

    #[test]
    fn every_line_fits_a_narrow_terminal_and_a_hung_painter_is_not_idle() {
        for width in [40u16, 60, 80] {
            let screen = Screen { width, lines: Arc::default() };
            let mut progress = Progress::with_target(false, ProgressDrawTarget::term_like(Box::new(screen.clone())));
            // Drawn as on a terminal, without claiming the process's log writer.
            progress.on = true;
            progress.start_mode(
                "sequential",
                100_000,
                Some((Duration::from_secs(3600), Duration::from_secs(8 * 3600))),
            );
            progress.painter(0, "painter-12@13".to_owned());
            for job in 1..=60 {
                progress.handed(0, job);
                progress.event(0, &event(job, EventKind::DryStarted(DryKind::File)));
            }
            std::thread::sleep(Duration::from_millis(120));
            progress.event(0, &event(61, EventKind::PaintStarted));
            progress.stopping(0, "painter-12 did not finish painting #61 within 5s (--timeout), and more words");
            std::thread::sleep(Duration::from_millis(120));
            progress.multi.suspend(|| {});
            let lines = drawn(&screen);
            assert!(!lines.is_empty());
            for line in &lines {
                assert!(line.chars().count() <= usize::from(width), "{width} columns: {line:?}");
            }
            assert!(lines.iter().any(|l| l.contains("drying #1 #2")), "{lines:?}");
            assert!(lines.iter().any(|l| l.contains("stopping it")), "{lines:?}");
            assert!(lines.iter().any(|l| l == "           at least 9h left"), "{lines:?}");
        }
    }

    #[test]
    fn a_quiet_painter_with_work_says_how_long_it_has_been_quiet() {
        let screen = Screen { width: 80, lines: Arc::default() };
        let mut progress = Progress::with_target(false, ProgressDrawTarget::term_like(Box::new(screen.clone())));
        progress.on = true;
        progress.painter(0, "painter-0@0".to_owned());
        progress.painter(1, "painter-1@1".to_owned());
        progress.handed(0, 1);
        progress.event(0, &event(1, EventKind::PaintStarted));
        std::thread::sleep(QUIET_AFTER + Duration::from_millis(400));
        progress.multi.suspend(|| {});
        let lines = drawn(&screen);
        let last = |label: &str| lines.iter().rev().find(|l| l.contains(label)).cloned().unwrap_or_default();
        assert!(last("painter-0@0").contains("no word for 2s · painting #1"), "{lines:?}");
        // Nothing held: nothing to be quiet about.
        assert!(last("painter-1@1").ends_with("waiting for a painting"), "{lines:?}");
    }
}
