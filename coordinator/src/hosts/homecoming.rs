//! A remote painter's messages, made local as they arrive: its timestamps
//! moved onto this machine's clock, and its pictures written into the local
//! output folder.
//!
//! A painter on another host cannot write into the coordinator's `--out`,
//! so it sends each finished PNG over its stdout in parts
//! ([`protocol::Picture`]), before the painting's `JobDone`. They are
//! gathered here, on the painter's reader task; the `JobDone` then names
//! the local file, and the whole picture waits on the painter's
//! [`Doorstep`]. Only once the dispatcher's contract has accepted that
//! `JobDone` — the painting was this painter's, and it finished it — is the
//! picture written ([`Doorstep::bring_in`]), as local painters write theirs:
//! under a temporary name, then renamed into place, so that the folder only
//! ever holds whole pictures of paintings really finished. A painter cannot
//! put a file into `--out` for a painting it was not handed.
//!
//! What arrives is input from another machine: a picture may be no larger
//! than [`MAX_PICTURE`], and at most [`MAX_ARRIVING`] may be on their way at
//! once (arriving, or waiting on the doorstep), so that no painter can make
//! the coordinator hold more than that. A picture too large turns its
//! painting's `JobDone` into a `JobFailed` saying why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use protocol::{FromPainter, JobFailed};

use super::clock::Clock;

/// The largest picture taken, in bytes: a PNG of a 240 × 160 canvas is
/// under 120 KiB.
pub const MAX_PICTURE: usize = 1 << 20;

/// The most pictures on their way at once (sent in part, whole and
/// awaiting their painting's `JobDone`, or on the doorstep).
pub const MAX_ARRIVING: usize = 64;

/// The receiving end of one remote painter, on its reader task.
#[derive(Debug)]
pub struct Homecoming {
    clock: Clock,
    arriving: HashMap<u32, Vec<u8>>,
    /// Whole pictures awaiting their `JobDone`, or why one was refused.
    whole: HashMap<u32, Result<Vec<u8>, String>>,
    doorstep: Doorstep,
}

/// Whole pictures whose painting's `JobDone` has been passed on, waiting
/// for the dispatcher to accept it; shared by a painter's reader task, which
/// leaves them, and the dispatcher, which brings them in.
#[derive(Debug, Clone)]
pub struct Doorstep {
    out: PathBuf,
    /// Tells this coordinator's temporary files apart from another's.
    tag: String,
    waiting: Arc<Mutex<HashMap<u32, Vec<u8>>>>,
}

impl Doorstep {
    /// Pictures of painter `painter` are brought into `out`.
    #[must_use]
    pub fn new(out: PathBuf, painter: u32) -> Self {
        let tag = format!("{}-{painter}", std::process::id());
        Self { out, tag, waiting: Arc::default() }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Vec<u8>>> {
        // Nothing can panic while holding it; a poisoned map is still whole.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where painting `job`'s picture goes.
    #[must_use]
    pub fn path(&self, job: u32) -> PathBuf {
        self.out.join(format!("painting-{job:03}.png"))
    }

    /// Writes painting `job`'s picture, if one waits: to be called only
    /// once its `JobDone` has been accepted. `Ok(false)` if none waits (a
    /// `JobDone` without a picture, or a local painter's).
    ///
    /// # Errors
    /// The picture could not be written, in one line.
    pub fn bring_in(&self, job: u32) -> Result<bool, String> {
        let Some(png) = self.waiting().remove(&job) else { return Ok(false) };
        write(&self.path(job), &png, &self.tag).map(|()| true)
    }

    /// How many pictures wait.
    fn len(&self) -> usize {
        self.waiting().len()
    }
}

impl Homecoming {
    /// Timestamps are moved by `clock`'s first estimate; whole pictures
    /// are left on `doorstep`.
    #[must_use]
    pub fn new(clock: Clock, doorstep: Doorstep) -> Self {
        Self { clock, arriving: HashMap::new(), whole: HashMap::new(), doorstep }
    }

    /// What to pass on of `message`: the same message with its time made
    /// local, or nothing for a part of a picture, which is kept.
    pub fn arrive(&mut self, message: FromPainter) -> Option<FromPainter> {
        let local = |at_ns: u64| shift(at_ns, self.clock.start.offset_ns);
        Some(match message {
            FromPainter::Event(mut event) => {
                event.at_ns = local(event.at_ns);
                FromPainter::Event(event)
            }
            FromPainter::Picture(part) => {
                if matches!(self.whole.get(&part.job), Some(Err(_))) {
                    return None; // refused already: the rest of it is dropped
                }
                let on_the_way = self.arriving.len() + self.whole.len() + self.doorstep.len();
                if !self.arriving.contains_key(&part.job) && on_the_way >= MAX_ARRIVING {
                    // Dropped, and not even noted: its `JobDone` then finds
                    // no picture, and becomes a `JobFailed` saying so.
                    return None;
                }
                let bytes = self.arriving.entry(part.job).or_default();
                if bytes.len() + part.bytes.len() > MAX_PICTURE {
                    self.arriving.remove(&part.job);
                    let error = format!("its picture is over {} KiB", MAX_PICTURE / 1024);
                    self.whole.insert(part.job, Err(error));
                    return None;
                }
                bytes.extend_from_slice(&part.bytes);
                if part.last {
                    let bytes = self.arriving.remove(&part.job).unwrap_or_default();
                    self.whole.insert(part.job, Ok(bytes));
                }
                return None;
            }
            FromPainter::JobDone(mut done) => {
                done.at_ns = local(done.at_ns);
                match (done.path.is_some(), self.whole.remove(&done.job)) {
                    (true, Some(Ok(png))) => {
                        // Not written yet: the dispatcher brings it in once
                        // it has accepted this `JobDone`.
                        done.path = Some(self.doorstep.path(done.job).display().to_string());
                        self.doorstep.waiting().insert(done.job, png);
                    }
                    (true, Some(Err(error))) => {
                        return Some(FromPainter::JobFailed(JobFailed {
                            job: done.job,
                            lane: done.lane,
                            at_ns: done.at_ns,
                            error,
                        }));
                    }
                    (true, None) => {
                        return Some(FromPainter::JobFailed(JobFailed {
                            job: done.job,
                            lane: done.lane,
                            at_ns: done.at_ns,
                            error: "the painter said its picture was sent home, but none came".to_owned(),
                        }));
                    }
                    (false, _) => {}
                }
                FromPainter::JobDone(done)
            }
            FromPainter::JobFailed(mut failed) => {
                failed.at_ns = local(failed.at_ns);
                FromPainter::JobFailed(failed)
            }
            FromPainter::States(mut states) => {
                for span in &mut states.spans {
                    (span.start_ns, span.end_ns) = (local(span.start_ns), local(span.end_ns));
                }
                FromPainter::States(states)
            }
            other => other,
        })
    }
}

impl Homecoming {
    /// Bytes of pictures held, for the tests.
    #[cfg(test)]
    fn arrive_bytes(&self) -> usize {
        self.arriving.values().map(Vec::len).sum()
    }
}

/// Writes `png` to `path` atomically; the error in one line.
fn write(path: &Path, png: &[u8], tag: &str) -> Result<(), String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{tag}.tmp"));
    if let Err(error) = std::fs::write(&temporary, png) {
        let _ = std::fs::remove_file(&temporary);
        return Err(format!("cannot save {}: {error}", temporary.display()));
    }
    std::fs::rename(&temporary, path).map_err(|error| format!("cannot save {}: {error}", path.display()))
}

/// `theirs - offset`, saturating.
fn shift(theirs_ns: u64, offset_ns: i64) -> u64 {
    u64::try_from((i128::from(theirs_ns) - i128::from(offset_ns)).max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use protocol::{Event, EventKind, JobDone, Picture};

    use super::*;
    use crate::hosts::clock::Estimate;

    #[test]
    fn pictures_are_written_whole_and_times_made_local() {
        let out = std::env::temp_dir().join(format!("atelier-homecoming-{}", std::process::id()));
        std::fs::create_dir_all(&out).expect("a folder");
        let clock = Clock { start: Estimate { at_ns: 0, offset_ns: 1_000, bound_ns: 1 }, end: None };
        let doorstep = Doorstep::new(out.clone(), 3);
        let mut home = Homecoming::new(clock, doorstep.clone());
        let event = Event { job: 7, lane: 0, coat: 0, at_ns: 5_000, kind: EventKind::PaintStarted };
        assert!(matches!(home.arrive(FromPainter::Event(event)), Some(FromPainter::Event(e)) if e.at_ns == 4_000));
        for (last, bytes) in [(false, vec![1, 2]), (true, vec![3])] {
            assert_eq!(home.arrive(FromPainter::Picture(Picture { job: 7, last, bytes })), None);
        }
        let done = JobDone { job: 7, lane: 0, at_ns: 9_000, checksum: 1, path: Some("painting-007.png".into()) };
        let Some(FromPainter::JobDone(done)) = home.arrive(FromPainter::JobDone(done)) else { panic!("not done") };
        let path = out.join("painting-007.png");
        assert_eq!((done.at_ns, done.path), (8_000, Some(path.display().to_string())));
        // Nothing is written until the dispatcher, having accepted the
        // `JobDone`, brings the picture in.
        assert!(!path.exists(), "written before its JobDone was accepted");
        assert_eq!(doorstep.bring_in(7), Ok(true));
        assert_eq!(doorstep.bring_in(7), Ok(false), "brought in once");
        assert_eq!(std::fs::read(&path).expect("written"), [1, 2, 3]);
        assert_eq!(std::fs::read_dir(&out).expect("listed").count(), 1, "no temporary file is left");
        // A picture announced but never sent is a failure, not a silent success.
        let done = JobDone { job: 8, lane: 0, at_ns: 9_000, checksum: 1, path: Some("painting-008.png".into()) };
        assert!(matches!(home.arrive(FromPainter::JobDone(done)), Some(FromPainter::JobFailed(_))));
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn a_painter_cannot_make_the_coordinator_hold_more_than_the_bounds() {
        let out = std::env::temp_dir().join(format!("atelier-homecoming-bounds-{}", std::process::id()));
        std::fs::create_dir_all(&out).expect("a folder");
        let clock = Clock { start: Estimate { at_ns: 0, offset_ns: 0, bound_ns: 1 }, end: None };
        let doorstep = Doorstep::new(out.clone(), 3);
        let mut home = Homecoming::new(clock, doorstep.clone());
        // A picture that never ends is refused past its size, and nothing is kept of it.
        let part = || Picture { job: 1, last: false, bytes: vec![0; 60 * 1024] };
        for _ in 0..(2 * MAX_PICTURE) / (60 * 1024) {
            assert_eq!(home.arrive(FromPainter::Picture(part())), None);
        }
        assert!(home.arrive_bytes() == 0, "{} bytes held", home.arrive_bytes());
        let done = JobDone { job: 1, lane: 0, at_ns: 9, checksum: 1, path: Some("painting-001.png".into()) };
        assert!(
            matches!(home.arrive(FromPainter::JobDone(done)), Some(FromPainter::JobFailed(f)) if f.error.contains("over"))
        );
        // Pictures of ever more paintings: past the bound, refused.
        for job in 2..2 + 2 * MAX_ARRIVING as u32 {
            home.arrive(FromPainter::Picture(Picture { job, last: false, bytes: vec![1] }));
        }
        assert!(home.arriving.len() + home.whole.len() + doorstep.len() <= MAX_ARRIVING, "bounded");
        // Whole pictures whose `JobDone` is never accepted are bounded too.
        let doorstep = Doorstep::new(out.clone(), 4);
        let mut home = Homecoming::new(clock, doorstep.clone());
        for job in 1000..1000 + 2 * MAX_ARRIVING as u32 {
            home.arrive(FromPainter::Picture(Picture { job, last: true, bytes: vec![1] }));
            let done = JobDone { job, lane: 0, at_ns: 9, checksum: 1, path: Some(String::new()) };
            home.arrive(FromPainter::JobDone(done));
        }
        assert_eq!(doorstep.len(), MAX_ARRIVING);
        assert_eq!(std::fs::read_dir(&out).expect("listed").count(), 0, "nothing written");
        let _ = std::fs::remove_dir_all(&out);
    }
}
