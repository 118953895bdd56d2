//! `--svg` and `--trace`: the runs drawn into files, beside the report.
//!
//! Where the files go is checked before anything runs — the folder is there
//! and lets us write — so that a typo does not cost a whole run. Each file is
//! written whole or not at all: into a temporary file beside it, flushed and
//! synced, then renamed over the name asked for; a full disk leaves the old
//! file (or none), never a truncated one.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::report::{RunReport, svg, trace};
use crate::workload::Calibration;
use crate::workload::Workload;

/// The files to write beside the report (`--svg`, `--trace`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The timelines as a picture (SVG), one panel per mode.
    pub svg: Option<PathBuf>,
    /// A Chrome trace (JSON) to open in Perfetto or chrome://tracing.
    pub trace: Option<PathBuf>,
}

/// Checks that each file asked for can be created: its folder exists and
/// the path is not a folder itself.
///
/// # Errors
/// Naming the option and the path that cannot be written.
pub fn check(files: &Files) -> anyhow::Result<()> {
    for (option, path) in named(files) {
        let folder = match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        if path.is_dir() {
            bail!("cannot write {option} {}: it is a folder", path.display());
        }
        if !folder.is_dir() {
            bail!("cannot write {option} {}: there is no folder {}", path.display(), folder.display());
        }
        let probe = temporary(path);
        std::fs::File::create(&probe).with_context(|| format!("cannot write {option} {}", path.display()))?;
        let _ = std::fs::remove_file(probe);
    }
    Ok(())
}

/// `dir/.name.PID.tmp` for `dir/name`: beside it, so that renaming it is atomic.
fn temporary(path: &Path) -> std::path::PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_else(|| std::ffi::OsStr::new("atelier")));
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Writes `path` whole, or leaves it as it was.
fn atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let temporary = temporary(path);
    let written = std::fs::File::create(&temporary).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Writes each file asked for, and says so on stderr (`wrote t.svg`)
/// unless `quiet`.
///
/// # Errors
/// If a file cannot be written; the message names it.
pub fn write(
    files: &Files,
    workload: &Workload,
    calibration: &Calibration,
    runs: &[RunReport],
    quiet: bool,
) -> anyhow::Result<()> {
    let wrote = |path: &Path| {
        if !quiet {
            crate::term::stderr::line(format_args!(
                "wrote {}",
                crate::term::visible::visible(&path.display().to_string(), 200)
            ));
        }
    };
    if let Some(path) = &files.svg {
        let written = atomically(path, |out| svg::write(workload, calibration, runs, out));
        written.with_context(|| format!("cannot write --svg {}", path.display()))?;
        wrote(path);
    }
    if let Some(path) = &files.trace {
        // Written as it is made: the trace of 100,000 paintings is never
        // held whole in memory.
        let written = atomically(path, |out| trace::write(runs, out));
        written.with_context(|| format!("cannot write --trace {}", path.display()))?;
        wrote(path);
    }
    Ok(())
}

/// The files asked for, with the option that asked.
fn named(files: &Files) -> impl Iterator<Item = (&'static str, &Path)> {
    let svg = files.svg.as_deref().map(|p| ("--svg", p));
    let trace = files.trace.as_deref().map(|p| ("--trace", p));
    svg.into_iter().chain(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_refused_before_the_run() {
        let files = Files { svg: Some("no-such-folder/x.svg".into()), trace: None };
        let error = check(&files).expect_err("refused").to_string();
        assert_eq!(error, "cannot write --svg no-such-folder/x.svg: there is no folder no-such-folder");
        let files = Files { svg: None, trace: Some(std::env::temp_dir()) };
        assert!(check(&files).expect_err("refused").to_string().contains("it is a folder"));
        let files = Files { svg: Some("timeline.svg".into()), trace: None };
        assert!(check(&files).is_ok());
        assert!(check(&Files::default()).is_ok());
    }

    #[test]
    fn a_file_that_cannot_be_written_whole_is_not_written_at_all() {
        let dir = std::env::temp_dir().join(format!("atelier-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let path = dir.join("t.svg");
        std::fs::write(&path, "the old picture").expect("an old file");
        let failed = atomically(&path, |out| {
            std::io::Write::write_all(out, b"half a pic")?;
            Err(std::io::Error::other("No space left on device"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("still there"), "the old picture");
        assert_eq!(std::fs::read_dir(&dir).expect("the folder").count(), 1, "no temporary file left");
        atomically(&path, |out| std::io::Write::write_all(out, b"the new picture")).expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("written"), "the new picture");
        let _ = std::fs::remove_dir_all(dir);
    }
}
