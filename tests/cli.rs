//! The command line a newcomer tries: the painter found wherever it was
//! installed, and bare `coordinator` taking `compare`'s options.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Finished, finish, out_dir, painter_binary, serial, start};

/// A copy of the coordinator alone in a folder of its own, as if installed
/// somewhere without the painter beside it.
fn lone_coordinator(test: &str) -> (PathBuf, PathBuf) {
    let dir = out_dir(test);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("create bin/");
    let copy = bin.join("coordinator");
    std::fs::copy(env!("CARGO_BIN_EXE_coordinator"), &copy).expect("copy the coordinator");
    (dir, copy)
}

/// Runs `coordinator` at `binary` with `args`, `PATH` set to `path`, and no
/// `ATELIER_PAINTER`.
fn run_with_path(binary: &Path, args: &[&str], path: &str) -> Finished {
    let mut command = Command::new(binary);
    command.args(args).env("PATH", path).env_remove("ATELIER_PAINTER").env_remove("RUST_LOG");
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    finish(start(command), &args)
}

#[test]
fn the_painter_is_found_on_path_when_it_is_not_beside_the_coordinator() {
    let _serial = serial();
    let (dir, coordinator) = lone_coordinator("painter-on-path");
    let out = dir.join("out");
    let out = out.to_str().expect("utf-8 path");
    let work = ["run", "--mode", "sequential", "--paintings", "1", "--paint", "10ms", "--dry", "0ms", "--out", out];

    let painters = painter_binary();
    let painter_dir = painters.parent().expect("the painter's folder").to_str().expect("utf-8 path");
    let found = run_with_path(&coordinator, &work, &format!("/nonexistent:{painter_dir}:/usr/bin:/bin"));
    if !found.status.success() {
        found.fail("the painter on PATH was not used");
    }

    let missing = run_with_path(&coordinator, &work, "/usr/bin:/bin");
    let first = missing.stderr.lines().next().unwrap_or_default();
    if missing.status.success()
        || !first.starts_with("error: painter binary not found at")
        || !first.contains(&coordinator.with_file_name("painter").display().to_string())
        || !first.contains("nor on PATH")
        || !first.contains("cargo install --locked --path painter")
    {
        missing.fail("a missing painter should be one line naming where it was looked for and how to get one");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bare_coordinator_is_compare_with_its_options() {
    let _serial = serial();
    let out = out_dir("bare");
    let line = "--paintings 2 --paint 10ms --dry 10ms --modes async,sequential --json";
    let mut args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    args.extend(["--out".to_owned(), out.display().to_string()]);
    let report = crate::support::run(&args).json();
    let modes: Vec<&str> =
        report["runs"].as_array().expect("runs[]").iter().filter_map(|r| r["mode"].as_str()).collect();
    assert_eq!(modes, ["async", "sequential"], "only the modes asked for, in that order");
    assert_eq!(report["workload"]["paintings"], 2);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_compare_option_before_a_subcommand_is_refused_not_ignored() {
    let finished = crate::support::run(&["--paintings".into(), "6".into(), "plan".into()]);
    if finished.status.success() || !finished.stderr.contains("--paintings goes after the subcommand") {
        finished.fail("`coordinator --paintings 6 plan` should say where --paintings goes");
    }
}
