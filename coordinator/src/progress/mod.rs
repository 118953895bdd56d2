//! What is happening now, on a terminal: the timeline as it grows — a
//! lane per painter's thread and a lane per core, as a class would see it
//! drawn on the board (`board.rs`) — and a bar of finished paintings.
//! Where the timeline does not fit (fewer than about 60 columns, too few
//! rows for its lanes), a line per painter says what it paints and what
//! dries instead (`line.rs`), as it did before there was a timeline.
//!
//! Drawn on stderr with indicatif, whenever stderr is a terminal and
//! `--quiet` was not given — also when stdout is piped (`compare --json |
//! jq`), so that a long run does not leave the terminal blank. Otherwise
//! every method here does nothing, so that a log holds no escape codes.
//!
//! The timeline is one multi-line bar whose text is drawn from the board
//! at each of its ticks, ten a second: news only changes the board, so a
//! burst of events costs no drawing. Every line fits the terminal: the
//! board is laid out for its width, the painters' lines take the width
//! that is left (`wide_msg`). Log lines go through [`write_lifted`], which
//! lifts the display while a line is written and draws it again below,
//! so that neither tears the other.
//!
//! A painter that holds paintings and has said nothing for a while shows
//! how long it has been quiet, so a hung painter does not look idle; one
//! being stopped, gone or replaced says so: on its line, or in a note
//! under the timeline.
//!
//! Uses `news` (what it hears), `report` (the marks and colours of the
//! report's timeline, so that the two look alike) and `mode`; used only by
//! `app`.

mod activity;
mod board;
mod line;
mod timeline;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use protocol::{Event, Hello, Said, States, WholeLife};

use self::board::{Board, Frame, Note};
use self::line::Painter;
use crate::news::{Listener, News};

/// How often the timeline is drawn again.
const TICK: Duration = Duration::from_millis(100);

/// The display on the terminal, if one is shown, for [`write_lifted`].
static SHOWN: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// The live display (or nothing).
#[derive(Debug)]
pub struct Progress {
    on: bool,
    multi: MultiProgress,
    /// Where the board learns the terminal's size and whether to use colour.
    screen: Screen,
    status: Option<ProgressBar>,
    total: Option<ProgressBar>,
    painters: HashMap<usize, Painter>,
    /// The timeline, while the mode's is drawn.
    live: Option<Live>,
}

/// The timeline: the board, and the bar it is drawn on once drawn.
#[derive(Debug)]
struct Live {
    bar: Option<ProgressBar>,
    board: Arc<Mutex<Board>>,
}

/// The terminal the board is drawn for.
#[derive(Debug, Clone, Copy)]
enum Screen {
    /// Stderr's, asked at every drawing (it may be resized), and whether
    /// colour is wanted.
    Stderr { color: bool },
    /// A fixed size, for tests.

    #[cfg(test)]
    Fixed { width: usize, height: usize },
}

impl Screen {
    /// Columns and rows, if known.
    fn size(self) -> Option<(usize, usize)> {
        match self {
            Self::Stderr { .. } => terminal_size::terminal_size_of(std::io::stderr())
                .map(|(width, height)| (usize::from(width.0), usize::from(height.0))),
            #[cfg(test)]
            Self::Fixed { width, height } => Some((width, height)),
        }
    }

    fn color(self) -> bool {
        match self {
            Self::Stderr { color } => color,
            #[cfg(test)]
            Self::Fixed { .. } => false,
        }
    }
}

impl Progress {
    /// A display on stderr if it is a terminal and `quiet` is false.
    #[must_use]
    pub fn new(quiet: bool) -> Self {
        let on = !quiet && std::io::stderr().is_terminal();
        // At most ten drawings a second, as the timeline ticks.
        let target = if on { ProgressDrawTarget::stderr_with_hz(10) } else { ProgressDrawTarget::hidden() };
        let screen = Screen::Stderr { color: std::env::var_os("NO_COLOR").is_none() };
        Self::with_target(on, target, screen)
    }

    fn with_target(on: bool, target: ProgressDrawTarget, screen: Screen) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        if on && let Ok(mut shown) = SHOWN.lock() {
            *shown = Some(multi.clone());
        }
        Self { on, multi, screen, status: None, total: None, painters: HashMap::new(), live: None }
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

    /// A mode begins: a bar for its `paintings`, and its timeline above it
    /// if the terminal has room for one.
    ///
    /// With `ideal`, a long run's ideal time of this mode and of the modes
    /// after it, the bar counts down the time left, at the least.
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
                let _ = write!(out, "{:>10} at least {} left", "", crate::term::format::rough(left));
            }
        };
        bar.set_style(style(&template).with_key("left", left).progress_chars("█▌ "));
        bar.set_prefix(mode.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        let board = Board::default();
        if self.screen.size().is_some_and(|(width, height)| board::fits(&board, width, height, 1)) {
            self.live = Some(Live { bar: None, board: Arc::new(Mutex::new(board)) });
        }
        self.total = Some(bar);
    }

    /// Starts drawing the board, above the paintings' bar.
    fn draw_board(&mut self) {
        let (Some(live), Some(total)) = (&mut self.live, &self.total) else { return };
        let bar = self.multi.insert_before(total, ProgressBar::new(0));
        let (board, screen) = (Arc::clone(&live.board), self.screen);
        let draw = move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
            let Ok(mut board) = board.lock() else { return };
            let Some((width, height)) = screen.size() else { return };
            let frame = Frame { width, height, now_ns: protocol::clock::now_ns(), color: screen.color(), others: 1 };
            // A terminal made too small mid-run gets one line saying so.
            let lines = board::draw(&mut board, frame)
                .unwrap_or_else(|| vec!["(the timeline does not fit this terminal now)".chars().take(width).collect()]);
            let _ = out.write_str(&lines.join("\n"));
        };
        bar.set_style(style("{timeline}").with_key("timeline", draw));
        bar.enable_steady_tick(TICK);
        live.bar = Some(bar);
    }

    /// Changes the board, if there is one, and falls back to the painters'
    /// lines if it no longer fits. The board is drawn from the first news
    /// after the painters have joined (`settle`), when the lanes it needs
    /// are known: a terminal too small for them never sees it.
    fn on_board(&mut self, settle: bool, change: impl FnOnce(&mut Board)) {
        let Some(live) = &self.live else { return };
        let fits = match live.board.lock() {
            Ok(mut board) => {
                change(&mut board);
                self.screen.size().is_some_and(|(width, height)| board::fits(&board, width, height, 1))
            }
            Err(_) => false,
        };
        if !fits {
            self.fall_back();
        } else if settle && live.bar.is_none() {
            self.draw_board();
        }
    }

    /// The timeline no longer fits (more lanes than rows, say): the
    /// painters' lines are drawn instead, for the rest of the mode.
    fn fall_back(&mut self) {
        let Some(live) = self.live.take() else { return };
        if let Some(bar) = live.bar {
            bar.finish_and_clear();
        }
        let mut painters: Vec<_> = self.painters.iter_mut().collect();
        painters.sort_by_key(|(index, _)| **index);
        for (_, painter) in painters {
            self.multi.add(painter.bar.clone());
            painter.reveal();
        }
    }

    /// Painter `index` is at work, shown as `label` (`painter-0@1`), as
    /// its `hello` says.
    pub fn painter(&mut self, index: usize, label: String, hello: &Hello) {
        if !self.on || self.painters.contains_key(&index) {
            return;
        }
        let mut painter = Painter::new(label.clone());
        if self.live.is_none() {
            self.multi.add(painter.bar.clone());
            painter.reveal();
        }
        self.painters.insert(index, painter);
        self.on_board(false, |board| {
            board.timeline.joined(index, &label, hello);
            let heard = Some(Instant::now());
            board.notes.insert(index, Note { label, heard, ..Note::default() });
        });
    }

    /// Painter `index` was handed `count` paintings from `first` on.
    pub fn handed(&mut self, index: usize, first: u32, count: u32) {
        let Some(painter) = self.painters.get_mut(&index) else { return };
        painter.handed(first, count);
        self.on_board(true, |board| {
            board.timeline.handed(protocol::clock::now_ns());
            if let Some(note) = board.notes.get_mut(&index) {
                note.activity.handed(first, count);
            }
        });
    }

    /// Painter `index` reported whole lives: each painting started, was
    /// painted and is finished. Told at once, as the steps of each would
    /// be, the painter's line and the total move once for them all.
    pub fn lived(&mut self, index: usize, lives: &[WholeLife]) {
        if let Some(painter) = self.painters.get_mut(&index) {
            painter.lived(lives.iter().map(|life| life.job));
            self.on_board(true, |board| {
                for life in lives {
                    for said in life.said() {
                        if let Said::Event(event) = said {
                            board.timeline.event(index, &event);
                        }
                    }
                }
                if let Some(note) = board.notes.get_mut(&index) {
                    for life in lives {
                        note.activity.done(life.job);
                    }
                    note.heard = Some(Instant::now());
                }
            });
        }
        if let Some(total) = &self.total {
            total.inc(lives.len() as u64);
        }
    }

    /// Painter `index` reported `event`.
    pub fn event(&mut self, index: usize, event: &Event) {
        let Some(painter) = self.painters.get_mut(&index) else { return };
        painter.event(event);
        self.on_board(true, |board| {
            board.timeline.event(index, event);
            if let Some(note) = board.notes.get_mut(&index) {
                note.activity.event(event);
                note.heard = Some(Instant::now());
            }
        });
    }

    /// Painter `index` said how one of its threads spent its time.
    pub fn states(&mut self, index: usize, states: &States) {
        let Some(painter) = self.painters.get_mut(&index) else { return };
        painter.heard();
        self.on_board(true, |board| {
            board.timeline.states(index, states, protocol::clock::now_ns());
            if let Some(note) = board.notes.get_mut(&index) {
                note.heard = Some(Instant::now());
            }
        });
    }

    /// Painter `index` finished painting `job`.
    pub fn done(&mut self, index: usize, job: u32) {
        if let Some(painter) = self.painters.get_mut(&index) {
            painter.done(job);
            self.on_board(true, |board| {
                if let Some(note) = board.notes.get_mut(&index) {
                    note.activity.done(job);
                    note.heard = Some(Instant::now());
                }
            });
        }
        if let Some(total) = &self.total {
            total.inc(1);
        }
    }

    /// Painter `index` failed (`why`) and is being stopped.
    pub fn stopping(&mut self, index: usize, why: &str) {
        self.end(index, format!("stopping it: {why}"), false);
    }

    /// Painter `index` failed and is gone.
    pub fn gone(&mut self, index: usize, why: &str) {
        self.end(index, format!("gone: {why}"), true);
    }

    /// Painter `index` is replaced by the painter shown as `by`.
    pub fn replaced(&mut self, index: usize, by: &str) {
        self.end(index, format!("replaced by {by}"), true);
    }

    fn end(&mut self, index: usize, message: String, finish: bool) {
        let Some(painter) = self.painters.get_mut(&index) else { return };
        tracing::debug!("{}: {message}", painter.label);
        painter.end(message.clone(), finish);
        self.on_board(true, |board| {
            board.timeline.ended(index);
            if let Some(note) = board.notes.get_mut(&index) {
                note.ended = Some(message);
            }
        });
    }

    /// The mode is over: its lines disappear, leaving the terminal clean.
    pub fn end_mode(&mut self) {
        if let Some(bar) = self.live.take().and_then(|live| live.bar) {
            bar.finish_and_clear();
        }
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

/// Writes a piece of stderr (a log line, a painter's line, an error)
/// with the live display lifted, so that it is drawn again whole below
/// it: the writer `term::stderr` is installed with.
///
/// # Errors
/// As writing to stderr.
pub fn write_lifted(bytes: &[u8]) -> std::io::Result<()> {
    let write = || {
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(bytes).and_then(|()| stderr.flush())
    };
    let shown = SHOWN.lock().ok().and_then(|shown| shown.clone());
    match shown {
        Some(multi) => multi.suspend(write),
        None => write(),
    }
}

/// The display is one listener of the dispatcher's news.
impl Listener for Progress {
    fn hear(&mut self, news: News<'_>) {
        match news {
            News::Joined { painter, label, hello } => self.painter(painter, label.to_owned(), hello),
            News::Handed { painter, first, count } => self.handed(painter, first, count),
            News::Lived { painter, lives } => self.lived(painter, lives),
            News::Step { painter, event } => self.event(painter, event),
            News::States { painter, states } => self.states(painter, states),
            News::Done { painter, job } => self.done(painter, job),
            News::Stopping { painter, why } => self.stopping(painter, why),
            News::Gone { painter, how } => self.gone(painter, how),
            News::Replaced { painter, by } => self.replaced(painter, by),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;
    use protocol::{DryKind, EventKind};

    use super::*;
    use crate::progress::board::QUIET_AFTER;
    use crate::progress::timeline::tests::hello;

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
            // Too few rows for the timeline: the painters' lines.
            let fixed = super::Screen::Fixed { width: usize::from(width), height: 5 };
            let mut progress =
                Progress::with_target(false, ProgressDrawTarget::term_like(Box::new(screen.clone())), fixed);
            // Drawn as on a terminal, without claiming the process's log writer.
            progress.on = true;
            progress.start_mode(
                "sequential",
                100_000,
                Some((Duration::from_secs(3600), Duration::from_secs(8 * 3600))),
            );
            assert!(progress.live.is_none());
            progress.painter(0, "painter-12@13".to_owned(), &hello(12, &[13]));
            for job in 1..=60 {
                progress.handed(0, job, 1);
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
        let fixed = super::Screen::Fixed { width: 80, height: 24 };
        let mut progress = Progress::with_target(false, ProgressDrawTarget::term_like(Box::new(screen.clone())), fixed);
        progress.on = true;
        progress.painter(0, "painter-0@0".to_owned(), &hello(0, &[0]));
        progress.painter(1, "painter-1@1".to_owned(), &hello(1, &[1]));
        progress.handed(0, 1, 1);
        progress.event(0, &event(1, EventKind::PaintStarted));
        std::thread::sleep(QUIET_AFTER + Duration::from_millis(400));
        progress.multi.suspend(|| {});
        let lines = drawn(&screen);
        let last = |label: &str| lines.iter().rev().find(|l| l.contains(label)).cloned().unwrap_or_default();
        assert!(last("painter-0@0").contains("no word for 2s · painting #1"), "{lines:?}");
        // Nothing held: nothing to be quiet about.
        assert!(last("painter-1@1").ends_with("waiting for a painting"), "{lines:?}");
    }

    #[test]
    fn the_timeline_is_drawn_where_it_fits_and_the_lines_where_it_no_longer_does() {
        use protocol::{StateSource, StateSpan, ThreadState};
        let screen = Screen { width: 80, lines: Arc::default() };
        let fixed = super::Screen::Fixed { width: 80, height: 10 };
        let mut progress = Progress::with_target(false, ProgressDrawTarget::term_like(Box::new(screen.clone())), fixed);
        progress.on = true;
        progress.start_mode("parallel", 3, None);
        assert!(progress.live.is_some());
        progress.painter(0, "painter-0@0".to_owned(), &hello(0, &[0]));
        progress.painter(1, "painter-1@1".to_owned(), &hello(1, &[1]));
        progress.handed(0, 1, 1);
        progress.handed(1, 2, 1);
        let now = protocol::clock::now_ns();
        progress.event(0, &Event { job: 1, lane: 0, coat: 0, at_ns: now, kind: EventKind::PaintStarted });
        // States speak of what has been.
        std::thread::sleep(Duration::from_millis(100));
        let spans = vec![StateSpan { state: ThreadState::Running, start_ns: now, end_ns: now + 50_000_000, core: 0 }];
        progress.states(0, &States { lane: 0, source: StateSource::SwitchEvents, resolution_ns: 1, spans });
        std::thread::sleep(Duration::from_millis(350));
        progress.multi.suspend(|| {});
        let lines = drawn(&screen);
        for line in &lines {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        for lane in ["painter-0@0 │1█", "painter-1@1 │", "     core 0 │0", "     core 1 │", "└┬", "parallel"]
        {
            assert!(lines.iter().any(|l| l.contains(lane)), "no {lane:?} in {lines:#?}");
        }
        assert!(!lines.iter().any(|l| l.contains("painting #1")), "{lines:#?}");
        // A replacement makes a lane too many for 10 rows: lines from now on.
        progress.replaced(1, "painter-2@1");
        progress.painter(2, "painter-2@1".to_owned(), &hello(2, &[1]));
        assert!(progress.live.is_none());
        std::thread::sleep(Duration::from_millis(350));
        progress.multi.suspend(|| {});
        let lines = drawn(&screen);
        assert!(lines.iter().any(|l| l.contains("painter-0@0 painting #1")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("painter-1@1 replaced by painter-2@1")), "{lines:#?}");
    }
}
