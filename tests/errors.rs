//! Bad input: one clear line naming what was wrong, and a non-zero exit.

use crate::support::{out_dir, painter_binary, run};

/// Runs the coordinator, expects failure, returns its first stderr line.
#[track_caller]
fn refused(args: &[&str]) -> String {
    let finished = run(args);
    if finished.status.success() {
        finished.fail("bad input was accepted");
    }
    if finished.status.code().is_none() {
        finished.fail("the coordinator died of a signal instead of reporting the error");
    }
    let first = finished
        .stderr
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if !first.starts_with("error:") || finished.stderr.contains("panicked") {
        finished.fail("expected a one-line `error: …`");
    }
    first
}

#[test]
fn zero_paintings() {
    let line = refused(&["run", "--mode", "sequential", "--paintings", "0"]);
    assert!(line.contains("--paintings"), "{line}");
}

#[test]
fn unparsable_duration() {
    let line = refused(&["compare", "--paint", "three seconds"]);
    assert!(line.contains("--paint"), "{line}");
}

#[test]
fn unknown_mode() {
    let line = refused(&["run", "--mode", "turbo"]);
    assert!(line.contains("turbo"), "{line}");
}

#[test]
fn pin_to_a_core_that_is_not_allowed() {
    let line = refused(&["run", "--mode", "parallel", "--pin", "4000"]);
    assert!(
        line.contains("core 4000") && line.contains("allowed"),
        "{line}"
    );
}

#[test]
fn missing_painter_binary() {
    let line = refused(&[
        "run",
        "--mode",
        "sequential",
        "--painter",
        "/nonexistent/painter",
    ]);
    assert!(
        line.contains("painter binary not found") && line.contains("/nonexistent/painter"),
        "{line}"
    );
}

#[test]
fn a_binary_that_is_not_a_painter() {
    let out = out_dir("not-a-painter");
    let line = refused(&[
        "run",
        "--mode",
        "sequential",
        "--painter",
        "/bin/true",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(line.contains("Hello"), "{line}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn output_folder_that_cannot_be_written() {
    // A folder inside a regular file cannot be created, not even by root.
    let file =
        std::env::temp_dir().join(format!("atelier-test-not-a-folder-{}", std::process::id()));
    std::fs::write(&file, b"").expect("a plain file");
    let out = file.join("paintings");
    let line = refused(&[
        "run",
        "--mode",
        "sequential",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(
        line.contains("output folder") && line.contains(out.to_str().expect("utf-8")),
        "{line}"
    );
    let _ = std::fs::remove_file(file);
    assert!(painter_binary().is_file());
}
