//! A remote painter's messages, made local as they arrive: its timestamps
//! moved onto this machine's clock, and its pictures written into the local
//! output folder.
//!
//! A painter on another host cannot write into the coordinator's `--out`,
//! so it sends each finished PNG over its stdout in parts
//! ([`protocol::Picture`]), before the painting's `JobDone`. They are
//! gathered here and written as local painters write theirs: under a
//! temporary name, then renamed into place, so that the folder only ever
//! holds whole pictures. The `JobDone` then names the local file; a picture
//! that cannot be written turns it into a `JobFailed` saying why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use protocol::{FromPainter, JobFailed};

use super::clock::Clock;

/// The receiving end of one remote painter.
#[derive(Debug)]
pub struct Homecoming {
    out: PathBuf,
    clock: Clock,
    arriving: HashMap<u32, Vec<u8>>,
    written: HashMap<u32, Result<PathBuf, String>>,
    /// Tells this coordinator's temporary files apart from another's.
    tag: String,
}

impl Homecoming {
    /// Pictures go into `out`; timestamps are moved by `clock`'s first estimate.
    #[must_use]
    pub fn new(out: PathBuf, clock: Clock, painter: u32) -> Self {
        let tag = format!("{}-{painter}", std::process::id());
        Self { out, clock, arriving: HashMap::new(), written: HashMap::new(), tag }
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
                let bytes = self.arriving.entry(part.job).or_default();
                bytes.extend_from_slice(&part.bytes);
                if part.last {
                    let bytes = self.arriving.remove(&part.job).unwrap_or_default();
                    let written = write(&self.out, part.job, &bytes, &self.tag);
                    self.written.insert(part.job, written);
                }
                return None;
            }
            FromPainter::JobDone(mut done) => {
                done.at_ns = local(done.at_ns);
                match (done.path.is_some(), self.written.remove(&done.job)) {
                    (true, Some(Ok(path))) => done.path = Some(path.display().to_string()),
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
            other => other,
        })
    }
}

/// Writes picture `job` into `out` atomically; the error in one line.
fn write(out: &Path, job: u32, png: &[u8], tag: &str) -> Result<PathBuf, String> {
    let name = format!("painting-{job:03}.png");
    let path = out.join(&name);
    let temporary = out.join(format!(".{name}.{tag}.tmp"));
    if let Err(error) = std::fs::write(&temporary, png) {
        let _ = std::fs::remove_file(&temporary);
        return Err(format!("cannot save {}: {error}", temporary.display()));
    }
    std::fs::rename(&temporary, &path).map_err(|error| format!("cannot save {}: {error}", path.display()))?;
    Ok(path)
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
        let mut home = Homecoming::new(out.clone(), clock, 3);
        let event = Event { job: 7, lane: 0, coat: 0, at_ns: 5_000, kind: EventKind::PaintStarted };
        assert!(matches!(home.arrive(FromPainter::Event(event)), Some(FromPainter::Event(e)) if e.at_ns == 4_000));
        for (last, bytes) in [(false, vec![1, 2]), (true, vec![3])] {
            assert_eq!(home.arrive(FromPainter::Picture(Picture { job: 7, last, bytes })), None);
        }
        let done = JobDone { job: 7, lane: 0, at_ns: 9_000, checksum: 1, path: Some("painting-007.png".into()) };
        let Some(FromPainter::JobDone(done)) = home.arrive(FromPainter::JobDone(done)) else { panic!("not done") };
        let path = out.join("painting-007.png");
        assert_eq!((done.at_ns, done.path), (8_000, Some(path.display().to_string())));
        assert_eq!(std::fs::read(&path).expect("written"), [1, 2, 3]);
        assert_eq!(std::fs::read_dir(&out).expect("listed").count(), 1, "no temporary file is left");
        // A picture announced but never sent is a failure, not a silent success.
        let done = JobDone { job: 8, lane: 0, at_ns: 9_000, checksum: 1, path: Some("painting-008.png".into()) };
        assert!(matches!(home.arrive(FromPainter::JobDone(done)), Some(FromPainter::JobFailed(_))));
        let _ = std::fs::remove_dir_all(&out);
    }
}
