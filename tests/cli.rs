//! The command line a newcomer tries: the painter found wherever it was
//! installed, and bare `coordinator` taking `compare`'s options.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::Receiver;

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

/// Starts `coordinator line`, and returns it, its stderr's lines as they
/// come, and the command as typed.
fn start_reading(line: &str, out: &Path) -> (std::process::Child, Receiver<String>, String) {
    let args = crate::support::args(line, out);
    let command = format!("coordinator {}", args.join(" "));
    let mut child = start(crate::support::coordinator(&args));
    let stderr = child.stderr.take().expect("stderr");
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    (child, lines, command)
}

/// What a run that [`start_reading`] started as `command` left once it
/// ended, with `said`, the lines of its stderr read so far.
fn ended(mut child: std::process::Child, command: String, said: &[String], lines: &Receiver<String>) -> Finished {
    let status = child.wait().expect("wait");
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stdout);
    }
    let stderr: Vec<String> = said.iter().cloned().chain(lines.iter()).collect();
    Finished { command, status, stdout, stderr: stderr.join("\n") }
}

/// `--dry 1h` is a compare of hours: it says so before it starts (the
/// modes' ideals added up, as `plan` computes them), and Ctrl-C stops it.
/// A run of less than a minute says nothing of the kind.
#[test]
fn a_run_over_a_minute_says_how_long_it_will_take_before_it_starts() {
    use nix::sys::signal::{Signal, kill};
    let _serial = serial();
    let out = out_dir("long-run");
    // sequential 2 × (10ms + 1h), async 2 × 10ms + 1h: 3h 0m 0.04s.
    let (child, lines, command) =
        start_reading("compare --modes sequential,async --paintings 2 --paint 10ms --dry 1h", &out);
    let said = lines.recv_timeout(std::time::Duration::from_secs(60)).ok();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, Signal::SIGINT).expect("SIGINT");
    let finished = ended(child, command, said.as_slice(), &lines);
    let expected = "atelier: this run will take 3h or more: 2 modes, each its ideal at least (`coordinator plan` shows them); Ctrl-C stops it";
    finished.check(said.as_deref() == Some(expected), &format!("its first line on stderr should be:\n{expected}"));
    finished.exited(130);
    finished.check(finished.stderr.contains("interrupted by SIGINT"), "Ctrl-C should be named");

    let (child, lines, command) = start_reading("run --mode async --paintings 2 --paint 10ms --dry 1h --quiet", &out);
    std::thread::sleep(std::time::Duration::from_secs(2));
    kill(nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid")), Signal::SIGINT).expect("SIGINT");
    let quiet = ended(child, command, &[], &lines);
    quiet.check(!quiet.stderr.contains("will take"), "--quiet, yet it said how long the run will take");

    let short = crate::support::run(&crate::support::args(
        "compare --modes sequential,async --paintings 2 --paint 10ms --dry 200ms",
        &out,
    ));
    short.succeeded().check(!short.stderr.contains("will take"), "a short run should not say how long it will take");
    let _ = std::fs::remove_dir_all(out);
}

/// `plan`'s speedup is against sequential only when it plans sequential,
/// as `compare`'s is against a sequential run it shows: else "-" (`null`).
#[test]
fn plan_shows_a_speedup_only_against_a_sequential_it_lists() {
    let out = out_dir("plan-speedup");
    let plan = |line: &str| crate::support::run(&crate::support::args(line, &out));
    let without = plan("plan --modes async,hybrid");
    // The table's rows: mode, processes, threads, cores, ideal, speedup.
    let rows: Vec<&str> = without
        .stdout
        .lines()
        .filter(|l| (l.starts_with("async ") || l.starts_with("hybrid ")) && l.split_whitespace().count() == 6)
        .collect();
    without.check(rows.len() == 2, "a row for async and one for hybrid expected");
    assert!(rows.iter().all(|row| row.ends_with(" -")), "{rows:?}");
    let json = plan("plan --modes async,hybrid --json").json();
    assert!(json["modes"].as_array().expect("modes[]").iter().all(|m| m["speedup"].is_null()), "{json}");
    let with = plan("plan --modes async,sequential --json").json();
    let speedups: Vec<f64> =
        with["modes"].as_array().expect("modes[]").iter().map(|m| m["speedup"].as_f64().expect("a number")).collect();
    assert!(speedups[0] > 1.0 && (speedups[1] - 1.0).abs() < 1e-9, "{speedups:?}");
    let _ = std::fs::remove_dir_all(out);
}

/// `help --help` is help, as `help run --help` is run's: exit status 0.
#[test]
fn help_takes_help() {
    for line in ["help --help", "help run --help", "help -h", "help plan"] {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        let finished = crate::support::run(&args);
        if !finished.status.success() || !finished.stdout.contains("Usage: coordinator") {
            finished.fail("no help");
        }
    }
}

/// `--svg` and `--trace` say on stderr what they wrote, unless `--quiet`.
#[test]
fn the_files_written_are_named() {
    let _serial = serial();
    let out = out_dir("wrote");
    let (svg, trace) = (out.join("t.svg"), out.join("t.json"));
    let line = format!(
        "run --mode async --paintings 1 --paint 10ms --dry 0ms --svg {} --trace {}",
        svg.display(),
        trace.display()
    );
    let said = crate::support::run(&crate::support::args(&line, &out));
    let wrote = format!("wrote {}\nwrote {}\n", svg.display(), trace.display());
    if !said.status.success() || said.stderr != wrote {
        said.fail(&format!("expected on stderr exactly:\n{wrote}"));
    }
    let quiet = crate::support::run(&crate::support::args(&format!("{line} --quiet"), &out));
    if !quiet.status.success() || !quiet.stderr.is_empty() {
        quiet.fail("--quiet, yet stderr has words");
    }
    let _ = std::fs::remove_dir_all(out);
}
