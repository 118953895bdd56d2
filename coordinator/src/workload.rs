//! The work of one invocation: which paintings, how long each takes to
//! paint and dry, and on how many painters and cores.
//!
//! Vocabulary: uses `hosts` (what each host offered), `model` (the
//! work as the ideal needs it) and `os`; built in `app::options`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use protocol::Job;
use serde::Serialize;

use crate::os::pin::CoreList;

/// A checked workload.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// Number of paintings.
    pub paintings: u32,
    /// Coats per painting.
    pub coats: u32,
    /// Painting time per coat.
    #[serde(rename = "paint_s", serialize_with = "seconds")]
    pub paint: Duration,
    /// File wait per coat.
    #[serde(rename = "file_wait_s", serialize_with = "seconds")]
    pub file_wait: Duration,
    /// Network wait per coat.
    #[serde(rename = "net_wait_s", serialize_with = "seconds")]
    pub net_wait: Duration,
    /// `--strokes`: strokes per coat, fixed, instead of calibrated from `paint`.
    pub strokes: Option<u32>,
    /// With `--hosts`: the hosts that answered, and what they offered.
    pub hosts: Option<Vec<crate::hosts::HostReport>>,
    /// Painters (or threads) in the many-painter modes: `--painters`.
    #[serde(rename = "painters")]
    pub workers: u32,
    /// Cores handed out round-robin; `None` when unpinned.
    pub cores: Option<Vec<u32>>,
    /// Every core this process may use.
    pub allowed_cores: Vec<u32>,
    /// Picks the pictures.
    pub seed: u64,
    /// Where paintings are saved. In JSON as text, any bytes that are not
    /// UTF-8 shown as `�`: a path need not be text, a report must be.
    #[serde(serialize_with = "lossy")]
    pub out: PathBuf,
    /// Async painters: painting between two yields.
    #[serde(rename = "slice_s", serialize_with = "seconds")]
    pub slice: Duration,
    /// How many times a painting whose painter failed is handed out again.
    pub retries: u32,
    /// `--chunk`: paintings per message, if given; otherwise each mode
    /// chooses (see `assign::chunk`).
    pub chunk: Option<u32>,
    /// `--timeout`, if given; otherwise each mode derives one from its ideal.
    #[serde(rename = "timeout_s", serialize_with = "seconds_or_null")]
    pub timeout: Option<Duration>,
}

/// What a stroke costs here: `--paint` turned into strokes, measured once
/// per invocation by `app::calibrate`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Calibration {
    /// Time of one stroke, in nanoseconds (0 when nothing was measured).
    pub stroke_ns: f64,
    /// Strokes per coat, to paint for `--paint`.
    pub strokes: u32,
    /// The core it was measured on.
    pub core: Option<u32>,
}

impl Calibration {
    /// The painting time per coat that `strokes` amount to.
    #[must_use]
    pub fn paint(&self) -> Duration {
        Duration::from_secs_f64(f64::from(self.strokes) * self.stroke_ns / 1e9)
    }

    /// Strokes that take about `duration` (at least 1): how an async
    /// painter's `--slice` becomes strokes between two yields.
    #[must_use]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small and positive
    pub fn strokes_in(&self, duration: Duration) -> u64 {
        if self.stroke_ns > 0.0 { (duration.as_nanos() as f64 / self.stroke_ns).round().max(1.0) as u64 } else { 1 }
    }
}

#[allow(clippy::ref_option)] // the signature serde's `serialize_with` wants
fn seconds_or_null<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Workload {
    /// The `--timeout` of a mode whose ideal paints one painting in
    /// `longest` at most: as given, or else generous enough that only a
    /// hung painter misses it (four times the ideal, plus 5 s).
    #[must_use]
    pub fn timeout(&self, longest: Duration) -> Duration {
        self.timeout.unwrap_or_else(|| longest * 4 + Duration::from_secs(5))
    }

    /// The work as the ideal model needs it, for `paint` per coat (the
    /// calibrated time, or `--paint` itself before calibration).
    #[must_use]
    pub fn work(&self, paint: Duration) -> crate::model::schedule::Work {
        crate::model::schedule::Work {
            paintings: self.paintings,
            coats: self.coats,
            paint_s: paint.as_secs_f64(),
            file_s: self.file_wait.as_secs_f64(),
            net_s: self.net_wait.as_secs_f64(),
        }
    }

    /// Drying per coat.
    #[must_use]
    pub fn dry(&self) -> Duration {
        self.file_wait + self.net_wait
    }

    /// The jobs, numbered from 1, each painting `strokes` strokes per coat.
    #[must_use]
    pub fn jobs(&self, strokes: u32) -> Vec<Job> {
        (1..=self.paintings)
            .map(|id| Job {
                id,
                seed: self.seed.wrapping_mul(0x9e37_79b9).wrapping_add(u64::from(id)),
                strokes,
                coats: self.coats,
                file_wait: self.file_wait,
                net_wait: self.net_wait,
            })
            .collect()
    }

    /// The cores painters are pinned to, for reports.
    #[must_use]
    pub fn cores_text(&self) -> String {
        match &self.cores {
            Some(cores) => CoreList(cores).to_string(),
            None => format!("unpinned, on {}", CoreList(&self.allowed_cores)),
        }
    }

    /// Creates `out/<name>` (or `out` itself for an empty name) and proves
    /// it writable, so that a bad `--out`
    /// fails before any painting is done rather than after.
    ///
    /// # Errors
    /// If the folder cannot be created or written; the message names it.
    pub fn output_folder(&self, name: &str) -> anyhow::Result<PathBuf> {
        output_folder(&self.out, name)
    }
}

/// Makes the folder `name` of `out` (or `out` itself for ""), writable.
///
/// # Errors
/// If it cannot be made, or written in.
pub fn output_folder(out: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = if name.is_empty() { out.to_path_buf() } else { out.join(name) };
    std::fs::create_dir_all(&dir).map_err(|error| {
        anyhow::anyhow!("cannot create output folder {}: {error}; --out DIR chooses another", dir.display())
    })?;
    probe_writable(&dir)?;
    Ok(dir)
}

fn probe_writable(dir: &Path) -> anyhow::Result<()> {
    let probe = dir.join(format!(".atelier-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|error| {
        anyhow::anyhow!("cannot write to output folder {}: {error}; --out DIR chooses another", dir.display())
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Removes the paintings an earlier run left in the mode folder `dir`
/// (`painting-NNN.png`), so that every picture there is this run's.
pub fn clear_paintings(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("painting-") && name.ends_with(".png") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes what a painter that died while saving left in `dir`: its
/// temporary files, named `.<file>.<pid>.tmp`, which never became paintings
/// (a painting appears only by renaming a whole temporary file).
pub fn remove_temporary_files(dir: &Path, pid: u32) {
    let suffix = format!(".{pid}.tmp");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(&suffix) {
            tracing::debug!("removing {name}, left by a painter that did not finish saving it");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A path as text for a report, even when it is not UTF-8.
fn lossy<S: serde::Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}
