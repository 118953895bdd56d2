//! Who gets which painting, and when: the one rule that both the
//! dispatcher (`dispatch/`, with real painters) and the ideal model
//! (`schedule.rs`, with imaginary ones) follow, so that the ideal is the
//! ideal *of what the dispatcher does*.
//!
//! **Late binding.** A painting is handed to a painter when one of its
//! lanes can start it: a blocking lane when it has finished its painting
//! (drying included: a blocking lane waits with its painting), an async
//! painter when its CPU has finished a coat. A painting given earlier
//! would be bound to that painter while another might be free first — a
//! painter slowed by another program on its core would hold it while a
//! fast one sat idle.
//!
//! **Queue-ahead for short jobs.** A painting handed out only when a lane
//! is free reaches it a round trip through the pipes later. For paintings
//! whose coats take milliseconds that round trip is noise; for shorter ones
//! it would leave the lanes waiting more than painting. So for coats
//! shorter than [`LATE_FROM`] each lane is kept [`Rule::ahead`] paintings
//! ahead instead — enough to hold about [`AHEAD`] of work — and a painting
//! counts as taken when the painter starts it.
//!
//! In both cases the paintings waiting are shared out in rounds, one to
//! each painter that may take one, in the painters' order.
//!
//! **Chunks.** Handing out a painting costs a message, and a painter's
//! answer a few more: for a painting of a few microseconds that cost is
//! all there is. So short paintings go out in *chunks*: a run of
//! consecutive paintings in one message, answered in one message (see
//! `protocol::Chunk`). A round then gives each painter a whole chunk, and
//! a lane is kept at least two chunks ahead, so that one is painted while
//! the answer to the one before travels. Paintings bound late go out one
//! at a time.
//!
//! **Guided chunks.** By default chunks are sized as guided
//! self-scheduling sizes them: large while much is left, so that a
//! million paintings cost a few dozen messages (at most [`guided`]'s
//! largest, what Python's `Pool.map` sends: a quarter of each lane's
//! share), and shrinking as the queue empties, each at most about
//! 1/(2·lanes) of what is left ([`Rule::with_guided_chunk`]). A lane is
//! then kept two of *today's* chunks ahead, not two of the first: so a
//! painter on a busy core is never left holding a big last chunk while
//! the others sit idle, which is late binding's promise kept for chunks.

use std::collections::VecDeque;
use std::time::Duration;

/// Coats that take at least this long to paint are bound late.
pub const LATE_FROM: Duration = Duration::from_millis(5);

/// Work a painter is kept queued with, at least, when jobs are short.
const AHEAD: Duration = Duration::from_millis(1);

/// The most paintings queued per lane, however short they are.
pub const MAX_AHEAD: u32 = 1024;

/// The most paintings in one chunk (`--chunk`).
pub const MAX_CHUNK: u32 = 65_536;

/// How many paintings go out in one chunk by default, for `ahead` queued
/// per lane ([`ahead`]): one when they are bound late, else half of
/// `ahead`, so that a lane holds two chunks.
#[must_use]
pub fn chunk(ahead: u32) -> u32 {
    (ahead / 2).max(1)
}

/// The largest guided chunk for `paintings` shared by `lanes` lanes:
/// what Python's `Pool.map` sends by default, `ceil(paintings / (4 ·
/// lanes))`, and never less than [`chunk`] of `ahead` (the queue a lane
/// keeps for short paintings), nor more than `paintings`.
#[must_use]
pub fn guided(paintings: u32, lanes: u32, ahead: u32) -> u32 {
    let quarter = paintings.div_ceil(lanes.max(1).saturating_mul(4));
    quarter.max(chunk(ahead)).min(paintings.max(1))
}

/// How many paintings to keep queued per lane when they go out in chunks
/// of `chunk`: as [`ahead`] says, but at least two chunks' worth, so that a
/// painter never waits for its next chunk while the answer to its last
/// one travels.
#[must_use]
pub fn ahead_with(ahead: u32, chunk: u32) -> u32 {
    if chunk <= 1 { ahead } else { ahead.max(chunk.saturating_mul(2)) }
}

/// How many paintings to keep queued per lane: 0 (late binding) for coats
/// of [`LATE_FROM`] or more, else enough for [`AHEAD`] of work when one
/// painting takes `longest` (painting and drying), at least 1.
#[must_use]
pub fn ahead(coat: Duration, longest: Duration) -> u32 {
    if coat >= LATE_FROM {
        return 0;
    }
    if longest.is_zero() {
        return MAX_AHEAD;
    }
    u32::try_from(AHEAD.as_nanos().div_ceil(longest.as_nanos())).unwrap_or(MAX_AHEAD).clamp(1, MAX_AHEAD)
}

/// One painter, as the rule sees it.
#[derive(Debug, Clone, Copy)]
struct Claim {
    /// Lanes it paints with; 0 once it is gone.
    lanes: u32,
    /// Async: its one CPU serves many paintings, and is free again as soon
    /// as a coat is painted. Blocking: a lane is busy until its painting is done.
    is_async: bool,
    /// Paintings handed to it and not yet started.
    unstarted: u32,
    /// Lanes busy: painting (async), or holding a started painting (blocking).
    busy: u32,
}

/// The rule, with what it knows of each painter.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Paintings queued per lane beyond those being painted; 0 is late binding.
    pub ahead: u32,
    /// The most paintings handed out in one go (a chunk); 1 by default.
    chunk: u32,
    /// Whether chunks shrink with what is left ([`Rule::with_guided_chunk`]),
    /// and the queue per lane asked for before chunks were (`ahead`'s floor).
    guided: Option<u32>,
    claims: Vec<Claim>,
    /// Which painters a round of sharing has passed over, kept between
    /// rounds so that sharing allocates nothing: it runs for every message
    /// heard, and for every step of the model.
    refused: Vec<bool>,
}

impl Rule {
    /// A rule for painters with these `(lanes, is_async)`, in order.
    #[must_use]
    pub fn new(ahead: u32, painters: impl IntoIterator<Item = (u32, bool)>) -> Self {
        let mut rule = Self { ahead, chunk: 1, guided: None, claims: Vec::new(), refused: Vec::new() };
        for (lanes, is_async) in painters {
            rule.add(lanes, is_async);
        }
        rule
    }

    /// One more painter (a replacement); returns its index.
    pub fn add(&mut self, lanes: u32, is_async: bool) -> usize {
        self.claims.push(Claim { lanes, is_async, unstarted: 0, busy: 0 });
        self.claims.len() - 1
    }

    /// Painter `p` is gone: it takes nothing more.
    pub fn retire(&mut self, p: usize) {
        if let Some(claim) = self.claims.get_mut(p) {
            *claim = Claim { lanes: 0, is_async: claim.is_async, unstarted: 0, busy: 0 };
        }
    }

    /// Painter `p`, with `lanes` lanes, is ready (again) for paintings.
    pub fn admit(&mut self, p: usize, lanes: u32) {
        if let Some(claim) = self.claims.get_mut(p) {
            claim.lanes = lanes;
        }
    }

    /// The same rule handing out paintings in chunks of up to `chunk`,
    /// with lanes kept queued at least two chunks ahead ([`ahead_with`]).
    #[must_use]
    pub fn with_chunk(mut self, chunk: u32) -> Self {
        self.chunk = chunk.max(1);
        self.ahead = ahead_with(self.ahead, self.chunk);
        self
    }

    /// The same rule handing out guided chunks of at most `largest`
    /// (see [`guided`]): each chunk at most about 1/(2·lanes) of the
    /// paintings waiting when it is handed out, and a lane kept queued
    /// with two of those, or with `ahead` as before, whichever is more.
    #[must_use]
    pub fn with_guided_chunk(mut self, largest: u32) -> Self {
        self.guided = Some(self.ahead);
        self.chunk = largest.max(1);
        self
    }

    /// The chunk to hand out now, with `waiting` paintings left to hand
    /// out: the rule's chunk, or, guided, a share of what is left.
    fn chunk_now(&self, waiting: usize) -> u32 {
        if self.guided.is_none() {
            return self.chunk;
        }
        let lanes: u32 = self.claims.iter().map(|c| c.lanes).sum();
        let share = waiting.div_ceil(2 * lanes.max(1) as usize);
        u32::try_from(share).unwrap_or(u32::MAX).clamp(1, self.chunk)
    }

    /// Paintings queued per lane now, when chunks of `chunk` go out.
    fn ahead_now(&self, chunk: u32) -> u32 {
        match self.guided {
            Some(floor) => ahead_with(floor, chunk),
            None => self.ahead,
        }
    }

    /// How many more paintings painter `p` may be handed now.
    fn room(&self, p: usize) -> u32 {
        self.room_with(p, self.ahead)
    }

    /// The same, with lanes kept `ahead` paintings ahead.
    fn room_with(&self, p: usize, ahead: u32) -> u32 {
        let Some(c) = self.claims.get(p) else { return 0 };
        if ahead == 0 {
            // A painting for each lane that is free and has none coming.
            c.lanes.saturating_sub(c.unstarted.saturating_add(c.busy))
        } else {
            c.lanes.saturating_mul(ahead).saturating_sub(c.unstarted)
        }
    }

    /// Whether painter `p` may be handed another painting now.
    #[must_use]
    pub fn wants(&self, p: usize) -> bool {
        self.room(p) > 0
    }

    /// Hands out paintings from the front of `pending` in rounds, a chunk
    /// to each painter with room for it: a run of up to the rule's chunk
    /// of paintings, each of which `continues` the one before. A painter is
    /// given a run only when it has room for all of it, so chunks stay
    /// whole. `give(p, first, n)` delivers the run of `n` paintings that
    /// starts with `first` (the other `n - 1` are taken from `pending`)
    /// and says whether it could; a painter it could not deliver to is
    /// passed over until the next call.
    pub fn share_runs<T>(
        &mut self,
        pending: &mut VecDeque<T>,
        continues: impl Fn(&T, &T) -> bool,
        give: impl FnMut(usize, T, u32) -> bool,
    ) {
        if pending.is_empty() {
            return;
        }
        let mut refused = self.take_refused();
        self.share_runs_with(&mut refused, pending, continues, give);
        self.refused = refused;
    }

    /// A cleared list of who was passed over, one entry per painter.
    fn take_refused(&mut self) -> Vec<bool> {
        let mut refused = std::mem::take(&mut self.refused);
        refused.clear();
        refused.resize(self.claims.len(), false);
        refused
    }

    fn share_runs_with<T>(
        &mut self,
        refused: &mut [bool],
        pending: &mut VecDeque<T>,
        continues: impl Fn(&T, &T) -> bool,
        mut give: impl FnMut(usize, T, u32) -> bool,
    ) {
        loop {
            let mut gave = false;
            // A few paintings are shared out, not all given to the first
            // painter as one chunk.
            let takers = (0..self.claims.len()).filter(|&p| !refused[p] && self.wants(p)).count();
            let share = u32::try_from(pending.len().div_ceil(takers.max(1))).unwrap_or(u32::MAX).max(1);
            for (p, refused) in refused.iter_mut().enumerate() {
                if *refused {
                    continue;
                }
                // Guided, each chunk is sized by what is left when it goes.
                let chunk = self.chunk_now(pending.len());
                let Some(n) = self.run_for(p, pending, &continues, share, chunk) else { continue };
                let Some(first) = pending.pop_front() else { return };
                pending.drain(..(n as usize - 1).min(pending.len()));
                // Given or not, they are the painter's now: one that cannot
                // be sent to is failed, and what it held handed out again.
                self.claims[p].unstarted += n;
                if give(p, first, n) {
                    gave = true;
                } else {
                    *refused = true;
                }
            }
            if !gave {
                return;
            }
        }
    }

    /// The run of paintings at the front of `pending` that painter `p` may
    /// take now, by length, if it has room for all of it. `share` caps
    /// the run (the paintings waiting, shared among the painters that
    /// want some).
    fn run_for<T>(
        &self,
        p: usize,
        pending: &VecDeque<T>,
        continues: impl Fn(&T, &T) -> bool,
        share: u32,
        chunk: u32,
    ) -> Option<u32> {
        let room = self.room_with(p, self.ahead_now(chunk));
        if room == 0 || pending.is_empty() {
            return None;
        }
        let most = chunk.min(room.max(1));
        // Looked at no further than one past what it has room for: a run
        // that long is not handed out yet, however long it is (a guided
        // chunk may be a hundred thousand, and this runs for every message).
        let longest = chunk.min(share).min(most.saturating_add(1));
        let mut n = 1;
        while n < longest && (n as usize) < pending.len() && continues(&pending[n as usize - 1], &pending[n as usize]) {
            n += 1;
        }
        // A whole chunk (or the whole run, if shorter), or nothing yet; a
        // late-bound rule, which never has room for a chunk, takes what it can.
        if n <= most || self.ahead == 0 { Some(n.min(most)) } else { None }
    }

    /// Hands painter `p` all the runs it has room for from the front of
    /// `pending` (the paintings of a failed painter, to its replacement),
    /// as [`Rule::share_runs`] does.
    pub fn share_runs_first<T>(
        &mut self,
        p: usize,
        pending: &mut VecDeque<T>,
        continues: impl Fn(&T, &T) -> bool,
        mut give: impl FnMut(usize, T, u32) -> bool,
    ) {
        while let Some(n) = self.run_for(p, pending, &continues, u32::MAX, self.chunk_now(pending.len())) {
            let Some(first) = pending.pop_front() else { return };
            pending.drain(..(n as usize - 1).min(pending.len()));
            self.claims[p].unstarted += n;
            if !give(p, first, n) {
                return;
            }
        }
    }

    /// Hands out paintings from the front of `pending` in rounds, one to
    /// each painter that wants one, until none does or none is left.
    /// `give(p, painting)` delivers it and says whether it could; a painter
    /// it could not deliver to is passed over until the next call.
    pub fn share<T>(&mut self, pending: &mut VecDeque<T>, give: impl FnMut(usize, T) -> bool) {
        if pending.is_empty() {
            return;
        }
        let mut refused = self.take_refused();
        self.share_with(&mut refused, pending, give);
        self.refused = refused;
    }

    fn share_with<T>(
        &mut self,
        refused: &mut [bool],
        pending: &mut VecDeque<T>,
        mut give: impl FnMut(usize, T) -> bool,
    ) {
        loop {
            let mut gave = false;
            for (p, refused) in refused.iter_mut().enumerate() {
                if *refused || !self.wants(p) {
                    continue;
                }
                let Some(painting) = pending.pop_front() else { return };
                // Given or not, it is the painter's now: one that cannot
                // be sent to is failed, and what it held handed out again.
                self.claims[p].unstarted += 1;
                if give(p, painting) {
                    gave = true;
                } else {
                    *refused = true;
                }
            }
            if !gave {
                return;
            }
        }
    }

    /// A lane of painter `p` started painting coat `coat` of a painting it
    /// was handed.
    pub fn coat_started(&mut self, p: usize, coat: u32) {
        let Some(c) = self.claims.get_mut(p) else { return };
        if coat == 0 {
            c.unstarted = c.unstarted.saturating_sub(1);
        }
        if c.is_async || coat == 0 {
            c.busy = (c.busy + 1).min(c.lanes);
        }
    }

    /// Painter `p` finished painting a coat: an async painter's CPU is free.
    pub fn coat_painted(&mut self, p: usize) {
        if let Some(c) = self.claims.get_mut(p)
            && c.is_async
        {
            c.busy = c.busy.saturating_sub(1);
        }
    }

    /// Painter `p` finished (or failed) a painting it had started: a
    /// blocking lane is free.
    pub fn painting_done(&mut self, p: usize) {
        if let Some(c) = self.claims.get_mut(p)
            && !c.is_async
        {
            c.busy = c.busy.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_half_the_queue_and_the_queue_holds_two() {
        assert_eq!(chunk(0), 1, "paintings bound late go one at a time");
        assert_eq!(chunk(1), 1);
        assert_eq!(chunk(MAX_AHEAD), MAX_AHEAD / 2);
        assert_eq!(ahead_with(0, 1), 0);
        assert_eq!(ahead_with(0, 16), 32);
        assert_eq!(ahead_with(1024, 16), 1024);
    }

    #[test]
    fn runs_go_out_whole_in_rounds_and_stop_where_a_run_breaks() {
        let mut rule = Rule::new(0, [(1, false), (1, false)]).with_chunk(4);
        // Paintings 1-10, then 20-21 (put back after a failure, say).
        let mut pending: VecDeque<u32> = (1..=10).chain(20..=21).collect();
        let mut given = Vec::new();
        rule.share_runs(
            &mut pending,
            |a, b| a + 1 == *b,
            |p, first, n| {
                given.push((p, first, n));
                true
            },
        );
        // Each lane holds two chunks of 4: 1-4, 5-8 and 9-10 (its run ends), 20-21.
        assert_eq!(given, [(0, 1, 4), (1, 5, 4), (0, 9, 2), (1, 20, 2)]);
        assert!(pending.is_empty());
        // A lane with room for less than a chunk waits for more room.
        let mut rule = Rule::new(0, [(1, false)]).with_chunk(4);
        let mut pending: VecDeque<u32> = (1..=12).collect();
        let mut count = 0;
        rule.share_runs(
            &mut pending,
            |a, b| a + 1 == *b,
            |_, _, n| {
                count += n;
                true
            },
        );
        assert_eq!(count, 8);
        for _ in 0..3 {
            rule.coat_started(0, 0);
            rule.painting_done(0);
        }
        rule.share_runs(&mut pending, |a, b| a + 1 == *b, |_, _, _| panic!("room for 3, not 4"));
        rule.coat_started(0, 0);
        rule.painting_done(0);
        rule.share_runs(
            &mut pending,
            |a, b| a + 1 == *b,
            |_, first, n| {
                assert_eq!((first, n), (9, 4));
                true
            },
        );
    }

    #[test]
    fn guided_chunks_start_as_pools_and_shrink_with_what_is_left() {
        // Python's `Pool(2).map` of a million sends 125,000 a message.
        assert_eq!(guided(1_000_000, 2, MAX_AHEAD), 125_000);
        assert_eq!(guided(1000, 2, MAX_AHEAD), MAX_AHEAD / 2, "never less than the queue's chunk");
        assert_eq!(guided(3, 2, MAX_AHEAD), 3, "nor more than there are");
        let mut rule = Rule::new(MAX_AHEAD, [(1, false), (1, false)]).with_guided_chunk(125_000);
        let mut pending: VecDeque<u32> = (1..=1_000_000).collect();
        let mut chunks = 0;
        while !pending.is_empty() {
            let mut given = Vec::new();
            let waiting = pending.len();
            rule.share_runs(
                &mut pending,
                |a, b| a + 1 == *b,
                |p, _, n| {
                    given.push((p, n, waiting));
                    true
                },
            );
            let mut left = waiting;
            for &(p, n, _) in &given {
                assert!(n as usize <= left.div_ceil(4), "a chunk of {n} with {left} left: more than 1/(2·lanes)");
                left -= n as usize;
                // Painter `p` paints the whole chunk before the next round.
                for _ in 0..n {
                    rule.coat_started(p, 0);
                    rule.painting_done(p);
                }
            }
            if chunks == 0 {
                assert_eq!(given[0].1, 125_000, "large while much is left");
            }
            chunks += given.len();
            assert!(!given.is_empty(), "nothing handed out with {waiting} waiting");
        }
        assert!(chunks < 100, "{chunks} chunks for a million");
    }

    #[test]
    fn guided_chunks_leave_a_slow_painter_no_big_last_chunk() {
        // Painter 1 shares its core with a busy loop: it starts one
        // painting a tick where painter 0 starts two. Handed out as it
        // says, the two finish within a few percent of each other.
        let n = 100_000_u32;
        let mut rule = Rule::new(64, [(1, false), (1, false)]).with_guided_chunk(guided(n, 2, 64));
        let mut pending: VecDeque<u32> = (1..=n).collect();
        let mut queued = [0_u32; 2];
        let mut finished = [0_u64; 2];
        let mut tick = 0_u64;
        while !pending.is_empty() || queued.iter().any(|&q| q > 0) {
            rule.share_runs(
                &mut pending,
                |a, b| a + 1 == *b,
                |p, _, count| {
                    queued[p] += count;
                    true
                },
            );
            tick += 1;
            for (p, speed) in [(0, 2), (1, 1)] {
                for _ in 0..speed.min(queued[p]) {
                    queued[p] -= 1;
                    rule.coat_started(p, 0);
                    rule.painting_done(p);
                    finished[p] = tick;
                }
            }
        }
        let ideal = u64::from(n).div_ceil(3);
        let last = finished[0].max(finished[1]);
        assert!(last * 100 <= ideal * 105, "ended at tick {last}, ideal {ideal}: {finished:?}");
    }

    #[test]
    fn short_jobs_are_queued_deeper_and_long_coats_bound_late() {
        let ms = Duration::from_millis;
        assert_eq!(ahead(ms(400), ms(1200)), 0);
        assert_eq!(ahead(LATE_FROM, LATE_FROM), 0);
        assert_eq!(ahead(ms(1), ms(1)), 1);
        assert_eq!(ahead(Duration::from_micros(100), Duration::from_micros(100)), 10);
        assert_eq!(ahead(Duration::from_micros(3), Duration::from_micros(3)), 334);
        assert_eq!(ahead(Duration::ZERO, Duration::ZERO), MAX_AHEAD);
        assert_eq!(ahead(Duration::ZERO, Duration::from_nanos(1)), MAX_AHEAD);
    }

    #[test]
    fn late_binding_hands_a_painting_to_the_lane_that_is_free() {
        // Two blocking painters, three paintings.
        let mut rule = Rule::new(0, [(1, false), (1, false)]);
        let mut pending: VecDeque<u32> = (1..=3).collect();
        let mut given = Vec::new();
        rule.share(&mut pending, |p, job| {
            given.push((p, job));
            true
        });
        assert_eq!(given, [(0, 1), (1, 2)], "one each; the third waits for a free lane");
        rule.coat_started(0, 0);
        rule.coat_started(1, 0);
        rule.share(&mut pending, |_, _| panic!("no lane is free"));
        // Painter 1 is slow; painter 0 finishes first and gets painting 3.
        rule.painting_done(0);
        rule.share(&mut pending, |p, job| {
            given.push((p, job));
            true
        });
        assert_eq!(given.last(), Some(&(0, 3)));
    }

    #[test]
    fn each_free_thread_of_a_painter_gets_a_painting() {
        let mut rule = Rule::new(0, [(2, false)]);
        let mut pending: VecDeque<u32> = (1..=3).collect();
        rule.share(&mut pending, |_, _| true);
        assert_eq!(pending.len(), 1, "two threads, two paintings");
        rule.coat_started(0, 0);
        rule.coat_started(0, 0);
        assert!(!rule.wants(0));
        rule.painting_done(0);
        assert!(rule.wants(0));
    }

    #[test]
    fn an_async_painter_is_free_when_its_coat_is_painted() {
        let mut rule = Rule::new(0, [(1, true)]);
        let mut pending: VecDeque<u32> = (1..=2).collect();
        rule.share(&mut pending, |_, _| true);
        assert_eq!(pending.len(), 1);
        rule.coat_started(0, 0);
        assert!(!rule.wants(0));
        rule.coat_painted(0);
        assert!(rule.wants(0), "painting 1 dries; the CPU can start painting 2");
    }

    #[test]
    fn queue_ahead_keeps_lanes_stocked_and_refusals_are_passed_over() {
        let mut rule = Rule::new(2, [(2, false), (1, true)]);
        let mut pending: VecDeque<u32> = (1..=10).collect();
        let mut given = vec![0; 2];
        rule.share(&mut pending, |p, _| {
            given[p] += 1;
            true
        });
        assert_eq!(given, [4, 2]);
        rule.retire(0);
        rule.coat_started(1, 0);
        rule.share(&mut pending, |p, _| p != 1);
        assert_eq!(pending.len(), 3, "painter 0 is gone, painter 1 refused: the painting it was offered is dropped");
    }
}
