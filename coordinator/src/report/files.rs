//! `--svg` and `--trace`: the runs drawn into files, beside the report.
//!
//! Where the files go is checked before anything runs, so that a typo in a
//! folder name does not cost a whole run; the files are written only once
//! every mode has finished, so that a failed run leaves no half a picture.

use std::path::Path;

use anyhow::{Context, bail};

use crate::calibrate::Calibration;
use crate::cli::FileArgs;
use crate::report::{RunReport, svg, trace};
use crate::workload::Workload;

/// Checks that each file asked for can be created: its folder exists and
/// the path is not a folder itself.
///
/// # Errors
/// Naming the option and the path that cannot be written.
pub fn check(files: &FileArgs) -> anyhow::Result<()> {
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
    }
    Ok(())
}

/// Writes each file asked for.
///
/// # Errors
/// If a file cannot be written; the message names it.
pub fn write(
    files: &FileArgs,
    workload: &Workload,
    calibration: &Calibration,
    runs: &[RunReport],
) -> anyhow::Result<()> {
    if let Some(path) = &files.svg {
        let written = std::fs::File::create(path).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            svg::write(workload, calibration, runs, &mut out)
        });
        written.with_context(|| format!("cannot write --svg {}", path.display()))?;
    }
    if let Some(path) = &files.trace {
        // Written as it is made: the trace of 100,000 paintings is never
        // held whole in memory.
        let written = std::fs::File::create(path).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            trace::write(runs, &mut out)
        });
        written.with_context(|| format!("cannot write --trace {}", path.display()))?;
    }
    Ok(())
}

/// The files asked for, with the option that asked.
fn named(files: &FileArgs) -> impl Iterator<Item = (&'static str, &Path)> {
    let svg = files.svg.as_deref().map(|p| ("--svg", p));
    let trace = files.trace.as_deref().map(|p| ("--trace", p));
    svg.into_iter().chain(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_refused_before_the_run() {
        let files = FileArgs { svg: Some("no-such-folder/x.svg".into()), trace: None };
        let error = check(&files).expect_err("refused").to_string();
        assert_eq!(error, "cannot write --svg no-such-folder/x.svg: there is no folder no-such-folder");
        let files = FileArgs { svg: None, trace: Some(std::env::temp_dir()) };
        assert!(check(&files).expect_err("refused").to_string().contains("it is a folder"));
        let files = FileArgs { svg: Some("timeline.svg".into()), trace: None };
        assert!(check(&files).is_ok());
        assert!(check(&FileArgs::default()).is_ok());
    }
}
