//! Steps: what a painter says about the paintings of a chunk, packed.
//!
//! A painting handed out alone is answered in frames of its own — an
//! `Event` for each step of its life, then `JobDone` — twenty-odd bytes
//! and a frame each. For a chunk of empty paintings that is almost all
//! the work there is, on both sides of the pipe. So the paintings of a
//! chunk are answered in [`Steps`]: the same messages, each packed into a
//! few bytes, hundreds to a frame.
//!
//! The packing is this module's own, and simple: each step is a kind byte,
//! then variable-length integers (seven bits a byte, low bits first) —
//! the painting's number *minus the previous step's* (zigzag, so that
//! 0 and 1, the usual differences, take a byte), the lane, the coat (for
//! events), and the nanoseconds *since the previous step* (since `base`
//! for the first) — then what the kind carries (a coat's effort, a
//! checksum as 8 bytes, a path or an error as a length and UTF-8).
//!
//! One life is so common that it has a kind of its own: a painting of one
//! coat, started, painted and done with nothing between (an empty
//! painting's). Its three steps are packed as one [`WholeLife`]: the
//! painting, the lane, when it started, how long it painted, its coat's
//! effort, how long after it was done, and its checksum — 17 bytes a
//! painting in the unit test's chunk, where its three steps took 25 and
//! its three frames 70. It unpacks into the same
//! three messages; [`Steps::unpack_lives`] hands it over whole, for a
//! reader that can check it in one go. bincode carries the packed bytes as
//! one byte string.
//!
//! Unpacking is input checking: a step cut short, a kind that does not
//! exist, a painting number or a moment out of range, or text that is not
//! UTF-8 ends it with an [`Unpacking`] error, never a panic; a length
//! inside the bytes is checked against the bytes left before anything is
//! allocated.

use serde::{Deserialize, Serialize};

use crate::message::{DryKind, Effort, Event, EventKind, JobDone, JobFailed};

/// A step, unpacked: the message it stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// An event.
    Event(Event),
    /// A painting done.
    Done(JobDone),
    /// A painting failed.
    Failed(JobFailed),
}

impl Said {
    /// The painting it is about.
    #[must_use]
    pub fn job(&self) -> u32 {
        match self {
            Self::Event(event) => event.job,
            Self::Done(done) => done.job,
            Self::Failed(failed) => failed.job,
        }
    }
}

/// Steps of paintings of chunks, packed (see the module's documentation).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Steps {
    /// The packed steps.
    #[serde(with = "byte_string")]
    bytes: Vec<u8>,
    /// While packing: the last step's painting and moment.
    #[serde(skip)]
    last: Option<(u32, u64)>,
    /// While packing: a painting whose life may still be packed as a
    /// [`WholeLife`] (see [`Opening`]).
    #[serde(skip)]
    opening: Option<Opening>,
}

/// The start of a life that may be packed whole: a `PaintStarted` of coat
/// 0, then perhaps its `PaintFinished`, packed as steps of their own until
/// its `JobDone` comes next and they are packed again as one [`WholeLife`].
#[derive(Debug, Clone, Copy)]
struct Opening {
    /// Where its `PaintStarted` begins in the bytes.
    at: usize,
    /// The last step's painting and moment before it.
    before: (u32, u64),
    job: u32,
    lane: u32,
    /// Its moments as packed: no earlier than the step before.
    started_ns: u64,
    finished: Option<(u64, Effort)>,
}

/// A painting's whole life of one coat, started, painted and done: the
/// three messages it stands for are [`WholeLife::said`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeLife {
    /// The painting.
    pub job: u32,
    /// Its lane.
    pub lane: u32,
    /// When its coat started painting.
    pub started_ns: u64,
    /// When its coat was painted.
    pub finished_ns: u64,
    /// What the coat cost.
    pub effort: Effort,
    /// When it was done.
    pub done_ns: u64,
    /// Its picture's checksum.
    pub checksum: u64,
}

impl WholeLife {
    /// The three messages it stands for, in order.
    #[must_use]
    pub fn said(&self) -> [Said; 3] {
        let Self { job, lane, .. } = *self;
        let event = |at_ns, kind| Said::Event(Event { job, lane, coat: 0, at_ns, kind });
        [
            event(self.started_ns, EventKind::PaintStarted),
            event(self.finished_ns, EventKind::PaintFinished(self.effort)),
            Said::Done(JobDone { job, lane, at_ns: self.done_ns, checksum: self.checksum, path: None }),
        ]
    }
}

/// A step unpacked by [`Steps::unpack_lives`]: a message, or a whole life.
#[derive(Debug, Clone, PartialEq)]
pub enum Unpacked {
    /// One message.
    One(Said),
    /// A painting's whole life, three messages.
    Life(WholeLife),
}

impl PartialEq for Steps {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

/// Why packed steps could not be unpacked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step {step} {why}")]
pub struct Unpacking {
    /// Which step, from 1.
    pub step: usize,
    /// What is wrong with it.
    pub why: &'static str,
}

const PAINT_STARTED: u8 = 0;
const PAINT_FINISHED: u8 = 1;
const DRY_STARTED_FILE: u8 = 2;
const DRY_STARTED_NETWORK: u8 = 3;
const DRY_FINISHED_FILE: u8 = 4;
const DRY_FINISHED_NETWORK: u8 = 5;
const SAVE_STARTED: u8 = 6;
const SAVE_FINISHED: u8 = 7;
const DONE: u8 = 8;
const DONE_WITH_PATH: u8 = 9;
const FAILED: u8 = 10;
const LIFE: u8 = 11;

impl Steps {
    /// No steps.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes packed so far: about what the message will take in a frame.
    #[must_use]
    pub fn packed_len(&self) -> usize {
        self.bytes.len()
    }

    /// Empties it, keeping its buffer.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.last = None;
        self.opening = None;
    }

    /// Packs one more step. Its moment should not be before the last
    /// one's; if it is, it is packed as the same moment.
    pub fn push(&mut self, said: &Said) {
        let (job, at_ns) = match said {
            Said::Event(e) => (e.job, e.at_ns),
            Said::Done(d) => (d.job, d.at_ns),
            Said::Failed(f) => (f.job, f.at_ns),
        };
        let (last_job, last_ns) = self.last.unwrap_or_else(|| {
            put(&mut self.bytes, at_ns); // the base
            (0, at_ns)
        });
        if self.pack_life(said, (last_job, last_ns)) {
            return;
        }
        let kind = match said {
            Said::Event(e) => match e.kind {
                EventKind::PaintStarted => PAINT_STARTED,
                EventKind::PaintFinished(_) => PAINT_FINISHED,
                EventKind::DryStarted(DryKind::File) => DRY_STARTED_FILE,
                EventKind::DryStarted(DryKind::Network) => DRY_STARTED_NETWORK,
                EventKind::DryFinished(DryKind::File) => DRY_FINISHED_FILE,
                EventKind::DryFinished(DryKind::Network) => DRY_FINISHED_NETWORK,
                EventKind::SaveStarted => SAVE_STARTED,
                EventKind::SaveFinished => SAVE_FINISHED,
            },
            Said::Done(d) if d.path.is_some() => DONE_WITH_PATH,
            Said::Done(_) => DONE,
            Said::Failed(_) => FAILED,
        };
        self.bytes.push(kind);
        let change = i64::from(job) - i64::from(last_job);
        put(&mut self.bytes, ((change << 1) ^ (change >> 63)).cast_unsigned());
        match said {
            Said::Event(e) => {
                put(&mut self.bytes, u64::from(e.lane));
                put(&mut self.bytes, u64::from(e.coat));
            }
            Said::Done(JobDone { lane, .. }) | Said::Failed(JobFailed { lane, .. }) => {
                put(&mut self.bytes, u64::from(*lane));
            }
        }
        put(&mut self.bytes, at_ns.saturating_sub(last_ns));
        match said {
            Said::Event(Event { kind: EventKind::PaintFinished(effort), .. }) => {
                put(&mut self.bytes, effort.cpu_ns);
                put(&mut self.bytes, effort.run_delay_ns);
            }
            Said::Event(_) => {}
            Said::Done(d) => {
                self.bytes.extend_from_slice(&d.checksum.to_le_bytes());
                if let Some(path) = &d.path {
                    put_text(&mut self.bytes, path);
                }
            }
            Said::Failed(f) => put_text(&mut self.bytes, &f.error),
        }
        self.last = Some((job, at_ns.max(last_ns)));
    }

    /// Packs a painting's whole life at once, as [`Steps::push`] packs
    /// its three messages pushed one by one (the same bytes), without
    /// making them: a painter that knows a life is whole (an empty
    /// painting's) packs it in a few dozen instructions. Its moments
    /// should not be before the last step's, nor each before the one
    /// before; one that is, is packed as the same moment.
    pub fn push_life(&mut self, life: &WholeLife) {
        let (last_job, last_ns) = self.last.unwrap_or_else(|| {
            put(&mut self.bytes, life.started_ns); // the base
            (0, life.started_ns)
        });
        self.opening = None;
        let started_ns = life.started_ns.max(last_ns);
        let finished_ns = life.finished_ns.max(started_ns);
        let done_ns = life.done_ns.max(finished_ns);
        self.bytes.push(LIFE);
        let change = i64::from(life.job) - i64::from(last_job);
        put(&mut self.bytes, ((change << 1) ^ (change >> 63)).cast_unsigned());
        put(&mut self.bytes, u64::from(life.lane));
        put(&mut self.bytes, started_ns - last_ns);
        put(&mut self.bytes, finished_ns - started_ns);
        put(&mut self.bytes, life.effort.cpu_ns);
        put(&mut self.bytes, life.effort.run_delay_ns);
        put(&mut self.bytes, done_ns - finished_ns);
        self.bytes.extend_from_slice(&life.checksum.to_le_bytes());
        self.last = Some((life.job, done_ns));
    }

    /// Follows a life that may be packed whole; when `said` completes one,
    /// packs it again as one [`WholeLife`] and says so. `last` is the last
    /// step's painting and moment.
    fn pack_life(&mut self, said: &Said, last: (u32, u64)) -> bool {
        let opening = self.opening.take();
        match (said, opening) {
            (Said::Event(e), _) if e.kind == EventKind::PaintStarted && e.coat == 0 => {
                let started_ns = e.at_ns.max(last.1);
                self.opening = Some(Opening {
                    at: self.bytes.len(),
                    before: last,
                    job: e.job,
                    lane: e.lane,
                    started_ns,
                    finished: None,
                });
            }
            (Said::Event(Event { kind: EventKind::PaintFinished(effort), job, lane, coat: 0, at_ns }), Some(o))
                if o.finished.is_none() && *job == o.job && *lane == o.lane =>
            {
                self.opening = Some(Opening { finished: Some(((*at_ns).max(last.1), *effort)), ..o });
            }
            (Said::Done(d), Some(o)) if d.path.is_none() && d.job == o.job && d.lane == o.lane => {
                let Some((finished_ns, effort)) = o.finished else { return false };
                let done_ns = d.at_ns.max(last.1);
                self.bytes.truncate(o.at);
                let (last_job, last_ns) = o.before;
                self.bytes.push(LIFE);
                let change = i64::from(o.job) - i64::from(last_job);
                put(&mut self.bytes, ((change << 1) ^ (change >> 63)).cast_unsigned());
                put(&mut self.bytes, u64::from(o.lane));
                put(&mut self.bytes, o.started_ns - last_ns);
                put(&mut self.bytes, finished_ns - o.started_ns);
                put(&mut self.bytes, effort.cpu_ns);
                put(&mut self.bytes, effort.run_delay_ns);
                put(&mut self.bytes, done_ns - finished_ns);
                self.bytes.extend_from_slice(&d.checksum.to_le_bytes());
                self.last = Some((o.job, done_ns));
                return true;
            }
            _ => {}
        }
        false
    }

    /// The steps, unpacked, in order, a whole life as its three messages;
    /// after an error, nothing more.
    pub fn unpack(&self) -> impl Iterator<Item = Result<Said, Unpacking>> + '_ {
        self.unpack_lives().flat_map(|unpacked| {
            let said = match unpacked {
                Ok(Unpacked::One(said)) => [Some(Ok(said)), None, None],
                Ok(Unpacked::Life(life)) => life.said().map(|said| Some(Ok(said))),
                Err(error) => [Some(Err(error)), None, None],
            };
            said.into_iter().flatten()
        })
    }

    /// The steps, unpacked, in order, a whole life as one; after an error,
    /// nothing more.
    pub fn unpack_lives(&self) -> impl Iterator<Item = Result<Unpacked, Unpacking>> + '_ {
        let mut reader = Reader { bytes: &self.bytes, step: 0, job: 0, at_ns: 0 };
        let mut broken = false;
        std::iter::from_fn(move || {
            if broken || reader.bytes.is_empty() {
                return None;
            }
            let next = reader.next();
            broken = next.is_err();
            Some(next)
        })
    }
}

/// Unpacks steps, one at a time.
struct Reader<'a> {
    bytes: &'a [u8],
    step: usize,
    job: i64,
    at_ns: u64,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<Unpacked, Unpacking> {
        if self.step == 0 {
            self.at_ns = self.int()?;
        }
        self.step += 1;
        let (&kind, rest) = self.bytes.split_first().ok_or_else(|| self.error("is cut short"))?;
        self.bytes = rest;
        let change = self.int()?;
        let change = (change >> 1).cast_signed() ^ -((change & 1).cast_signed());
        self.job = self.job.checked_add(change).ok_or_else(|| self.error("names a painting out of range"))?;
        let job = u32::try_from(self.job).map_err(|_| self.error("names a painting out of range"))?;
        let lane = self.small()?;
        if kind == LIFE {
            return self.life(job, lane).map(Unpacked::Life);
        }
        let coat = if kind < DONE { self.small()? } else { 0 };
        let at_ns = self.later()?;
        let event = |kind| Ok(Unpacked::One(Said::Event(Event { job, lane, coat, at_ns, kind })));
        match kind {
            PAINT_STARTED => event(EventKind::PaintStarted),
            PAINT_FINISHED => {
                let effort = Effort { cpu_ns: self.int()?, run_delay_ns: self.int()? };
                event(EventKind::PaintFinished(effort))
            }
            DRY_STARTED_FILE => event(EventKind::DryStarted(DryKind::File)),
            DRY_STARTED_NETWORK => event(EventKind::DryStarted(DryKind::Network)),
            DRY_FINISHED_FILE => event(EventKind::DryFinished(DryKind::File)),
            DRY_FINISHED_NETWORK => event(EventKind::DryFinished(DryKind::Network)),
            SAVE_STARTED => event(EventKind::SaveStarted),
            SAVE_FINISHED => event(EventKind::SaveFinished),
            DONE | DONE_WITH_PATH => {
                let checksum = self.checksum()?;
                let path = if kind == DONE_WITH_PATH { Some(self.text()?) } else { None };
                Ok(Unpacked::One(Said::Done(JobDone { job, lane, at_ns, checksum, path })))
            }
            FAILED => Ok(Unpacked::One(Said::Failed(JobFailed { job, lane, at_ns, error: self.text()? }))),
            _ => Err(self.error("is of no kind there is")),
        }
    }

    /// The rest of a [`WholeLife`] of `job` on `lane`.
    #[inline]
    fn life(&mut self, job: u32, lane: u32) -> Result<WholeLife, Unpacking> {
        let started_ns = self.later()?;
        let finished_ns = self.later()?;
        let effort = Effort { cpu_ns: self.int()?, run_delay_ns: self.int()? };
        let done_ns = self.later()?;
        let checksum = self.checksum()?;
        Ok(WholeLife { job, lane, started_ns, finished_ns, effort, done_ns, checksum })
    }

    /// The moment a difference after the last one.
    #[inline]
    fn later(&mut self) -> Result<u64, Unpacking> {
        let after = self.int()?;
        self.at_ns = self.at_ns.checked_add(after).ok_or_else(|| self.error("is past the end of the clock"))?;
        Ok(self.at_ns)
    }

    #[inline]
    fn checksum(&mut self) -> Result<u64, Unpacking> {
        let checksum = self.bytes.first_chunk::<8>().ok_or_else(|| self.error("is cut short"))?;
        let checksum = u64::from_le_bytes(*checksum);
        self.bytes = &self.bytes[8..];
        Ok(checksum)
    }

    #[cold]
    fn error(&self, why: &'static str) -> Unpacking {
        Unpacking { step: self.step.max(1), why }
    }

    /// A variable-length integer: seven bits a byte, low bits first.
    ///
    /// Each number has one spelling, the one [`put`] writes: ten bytes at
    /// most, the tenth carrying only bit 63 (more would be bits past 64,
    /// silently lost), and no last byte of zeros (an overlong spelling).
    #[inline]
    fn int(&mut self) -> Result<u64, Unpacking> {
        // Most numbers here (differences, lanes, coats) take one byte.
        if let Some((&byte, rest)) = self.bytes.split_first()
            && byte < 0x80
        {
            self.bytes = rest;
            return Ok(u64::from(byte));
        }
        self.long_int()
    }

    /// [`Reader::int`] of more than one byte, kept out of line so that
    /// the one-byte case is a compare and a load where it is used.
    #[inline(never)]
    fn long_int(&mut self) -> Result<u64, Unpacking> {
        let mut value = 0u64;
        for (i, &byte) in self.bytes.iter().enumerate().take(MAX_INT_BYTES) {
            let bits = byte & 0x7f;
            if i == MAX_INT_BYTES - 1 && byte > 1 {
                return Err(self.error("carries a number past 64 bits"));
            }
            value |= u64::from(bits) << (7 * i);
            if byte & 0x80 == 0 {
                if byte == 0 {
                    return Err(self.error("carries a number in more bytes than it needs"));
                }
                self.bytes = &self.bytes[i + 1..];
                return Ok(value);
            }
        }
        Err(self.error("is cut short"))
    }

    #[inline]
    fn small(&mut self) -> Result<u32, Unpacking> {
        u32::try_from(self.int()?).map_err(|_| self.error("has a lane or coat out of range"))
    }

    /// A length, then that many bytes of UTF-8; the length is checked
    /// against the bytes left before anything is allocated.
    fn text(&mut self) -> Result<String, Unpacking> {
        let len = usize::try_from(self.int()?).unwrap_or(usize::MAX);
        if len > self.bytes.len() {
            return Err(self.error("is cut short"));
        }
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        String::from_utf8(text.to_vec()).map_err(|_| self.error("carries text that is not UTF-8"))
    }
}

/// The most bytes a variable-length integer takes: 64 bits, seven a byte.
const MAX_INT_BYTES: usize = 10;

fn put(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

fn put_text(bytes: &mut Vec<u8>, text: &str) {
    put(bytes, text.len() as u64);
    bytes.extend_from_slice(text.as_bytes());
}

/// A `Vec<u8>` as one byte string (a length and the bytes), not as a
/// sequence of numbers.
mod byte_string {
    use serde::{Deserializer, Serializer, de};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl de::Visitor<'_> for Bytes {
            type Value = Vec<u8>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a byte string")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }

            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(job: u32, at_ns: u64, kind: EventKind) -> Said {
        Said::Event(Event { job, lane: 1, coat: 2, at_ns, kind })
    }

    #[test]
    fn every_kind_of_step_unpacks_as_it_was_packed() {
        let said = vec![
            event(7, 1_000, EventKind::PaintStarted),
            event(7, 1_010, EventKind::PaintFinished(Effort { cpu_ns: 9, run_delay_ns: u64::MAX })),
            event(7, 1_010, EventKind::DryStarted(DryKind::File)),
            event(8, 5_000_000_000, EventKind::DryFinished(DryKind::Network)),
            event(6, 5_000_000_001, EventKind::SaveStarted),
            event(u32::MAX, 5_000_000_002, EventKind::SaveFinished),
            Said::Done(JobDone { job: 0, lane: 3, at_ns: u64::MAX, checksum: 0xcbf2_9ce4_8422_2325, path: None }),
            Said::Done(JobDone { job: 9, lane: 0, at_ns: u64::MAX, checksum: 1, path: Some("out/é.png".into()) }),
            Said::Failed(JobFailed { job: 9, lane: 0, at_ns: u64::MAX, error: "disk full".into() }),
        ];
        let mut steps = Steps::new();
        for s in &said {
            steps.push(s);
        }
        let back: Result<Vec<Said>, Unpacking> = steps.unpack().collect();
        assert_eq!(back, Ok(said));
        let bytes = crate::codec::encode(&steps).expect("encodes");
        assert_eq!(crate::codec::decode::<Steps>(&bytes).expect("decodes"), steps);
    }

    #[test]
    fn an_empty_painting_takes_a_few_bytes() {
        let mut steps = Steps::new();
        for job in 1..=100u32 {
            let at = 1_000_000_000 + u64::from(job) * 300;
            steps.push(&Said::Event(Event { job, lane: 0, coat: 0, at_ns: at, kind: EventKind::PaintStarted }));
            let finished = EventKind::PaintFinished(Effort::default());
            steps.push(&Said::Event(Event { job, lane: 0, coat: 0, at_ns: at + 40, kind: finished }));
            steps.push(&Said::Done(JobDone { job, lane: 0, at_ns: at + 90, checksum: u64::MAX, path: None }));
        }
        assert!(steps.packed_len() <= 100 * 20, "{} bytes", steps.packed_len());
        // Each is packed whole, and unpacks into its three messages.
        let lives: Vec<Unpacked> = steps.unpack_lives().collect::<Result<_, _>>().expect("unpacks");
        assert_eq!(lives.len(), 100);
        assert!(lives.iter().all(|u| matches!(u, Unpacked::Life(_))));
        assert_eq!(steps.unpack().count(), 300);
    }

    #[test]
    fn a_life_packed_at_once_is_the_bytes_of_its_three_steps() {
        let life = |job, at: u64| WholeLife {
            job,
            lane: 1,
            started_ns: at,
            finished_ns: at + 40,
            effort: Effort::default(),
            done_ns: at + 90,
            checksum: 0xcbf2_9ce4_8422_2325,
        };
        let (mut one_by_one, mut at_once) = (Steps::new(), Steps::new());
        for (job, at) in [(7, 1_000), (8, 1_200), (3, 1_250), (4, 900)] {
            for said in life(job, at).said() {
                one_by_one.push(&said);
            }
            at_once.push_life(&life(job, at));
        }
        assert_eq!(at_once.bytes, one_by_one.bytes);
        let lives: Vec<_> = at_once.unpack_lives().collect::<Result<_, _>>().expect("unpacks");
        assert_eq!(lives.len(), 4);
        assert_eq!(lives[0], Unpacked::Life(life(7, 1_000)));
    }

    #[test]
    fn a_life_with_anything_between_its_steps_is_packed_step_by_step() {
        let started = |job, lane| Said::Event(Event { job, lane, coat: 0, at_ns: 10, kind: EventKind::PaintStarted });
        let finished = |job, lane| {
            Said::Event(Event { job, lane, coat: 0, at_ns: 20, kind: EventKind::PaintFinished(Effort::default()) })
        };
        let done = |job, lane| Said::Done(JobDone { job, lane, at_ns: 30, checksum: 1, path: None });
        // Two lanes taking turns; a coat 1 (coats are not known here); a
        // painting done on another lane: none is a whole life.
        let coat_one = Said::Event(Event { job: 3, lane: 0, coat: 1, at_ns: 10, kind: EventKind::PaintStarted });
        for said in [
            vec![started(1, 0), started(2, 1), finished(1, 0), finished(2, 1), done(1, 0), done(2, 1)],
            vec![coat_one, finished(3, 0), done(3, 0)],
            vec![started(4, 0), finished(4, 0), done(4, 1)],
        ] {
            let mut steps = Steps::new();
            for s in &said {
                steps.push(s);
            }
            assert!(steps.unpack_lives().all(|u| matches!(u, Ok(Unpacked::One(_)))), "{said:?}");
            assert_eq!(steps.unpack().collect::<Result<Vec<_>, _>>(), Ok(said));
        }
    }

    #[test]
    fn bytes_that_are_no_steps_are_an_error_not_a_panic() {
        let mut steps = Steps::new();
        steps.push(&Said::Failed(JobFailed { job: 3, lane: 0, at_ns: 5, error: "x".repeat(300) }));
        let whole = steps.bytes.clone();
        // Every cut of it is cut short; no prefix is read past its end.
        for len in 1..whole.len() {
            let cut = Steps { bytes: whole[..len].to_vec(), ..Steps::default() };
            assert!(cut.unpack().any(|s| s.is_err()), "cut at {len}");
        }
        for bytes in [vec![0, 99, 0, 0, 0, 0], vec![0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], vec![0x80; 40]] {
            let odd = Steps { bytes, ..Steps::default() };
            assert!(odd.unpack().last().is_some_and(|s| s.is_err()));
        }
        // A number has one spelling: none past 64 bits, none overlong.
        let int = |bytes: &[u8]| Reader { bytes, step: 0, job: 0, at_ns: 0 }.int().map_err(|e| e.why);
        for value in [0, 1, 127, 128, 300, 1 << 56, (1 << 63) - 1, 1 << 63, u64::MAX] {
            let mut bytes = Vec::new();
            put(&mut bytes, value);
            assert!(bytes.len() <= MAX_INT_BYTES);
            assert_eq!(int(&bytes), Ok(value), "{bytes:x?}");
        }
        let mut past = vec![0xff; 9];
        for tenth in [0x02, 0x7f, 0x81, 0xff] {
            past.truncate(9);
            past.push(tenth);
            assert_eq!(int(&past), Err("carries a number past 64 bits"), "{past:x?}");
        }
        for overlong in [&[0x80, 0x00][..], &[0xff, 0x80, 0x00], &[0x81, 0x80, 0x80, 0x00]] {
            assert_eq!(int(overlong), Err("carries a number in more bytes than it needs"), "{overlong:x?}");
        }
        assert_eq!(int(&[0x80; 9]), Err("is cut short"));
        // A length far past the bytes there are allocates nothing.
        let mut huge = vec![0, FAILED, 0, 0, 0];
        put(&mut huge, u64::MAX);
        let odd = Steps { bytes: huge, ..Steps::default() };
        assert_eq!(odd.unpack().next(), Some(Err(Unpacking { step: 1, why: "is cut short" })));
    }
}
