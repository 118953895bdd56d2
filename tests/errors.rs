//! Bad input: one clear line naming what was wrong, and a non-zero exit.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{args, out_dir, run};

/// Runs `coordinator line…`, expects a reported failure, returns the first
/// line of stderr.
#[track_caller]
fn refused(line: &str) -> String {
    // A folder of its own per call: these tests run concurrently.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let out = out_dir(&format!("refused-{}", CALLS.fetch_add(1, Ordering::Relaxed)));
    let first = refused_args(&args(line, &out));
    let _ = std::fs::remove_dir_all(out);
    first
}

/// As [`refused`], for a command line already split.
#[track_caller]
fn refused_args(args: &[String]) -> String {
    let finished = run(args);
    if finished.status.success() {
        finished.fail("bad input was accepted");
    }
    if finished.status.code().is_none() {
        finished.fail("the coordinator died of a signal instead of reporting the error");
    }
    let first = finished.stderr.lines().next().unwrap_or_default().to_owned();
    if !first.starts_with("error:") || finished.stderr.contains("panicked") {
        finished.fail("expected a one-line `error: …`");
    }
    first
}

#[test]
fn zero_paintings() {
    let line = refused("run --mode sequential --paintings 0");
    assert!(line.contains("--paintings"), "{line}");
}

#[test]
fn unparsable_duration() {
    let line = refused("compare --paint 3parsecs");
    assert!(line.contains("--paint") && line.contains("3parsecs"), "{line}");
}

#[test]
fn unknown_mode() {
    let line = refused("run --mode turbo");
    assert!(line.contains("turbo"), "{line}");
}

#[test]
fn pin_to_a_core_that_is_not_allowed() {
    let line = refused("run --mode parallel --pin 4000");
    assert!(line.contains("core 4000") && line.contains("allowed"), "{line}");
}

#[test]
fn missing_painter_binary() {
    let line = refused("run --mode sequential --painter /nonexistent/painter");
    assert!(line.contains("painter binary not found") && line.contains("/nonexistent/painter"), "{line}");
}

#[test]
fn a_binary_that_is_not_a_painter() {
    let line = refused("run --mode sequential --painter /bin/true");
    assert!(line.contains("Hello"), "{line}");
}

#[test]
fn output_folder_that_cannot_be_written() {
    // A folder inside a regular file cannot be created, not even by root.
    let file = std::env::temp_dir().join(format!("atelier-test-not-a-folder-{}", std::process::id()));
    std::fs::write(&file, b"").expect("a plain file");
    let out = file.join("paintings");
    let first = refused_args(&args("run --mode sequential", &out));
    let _ = std::fs::remove_file(&file);
    assert!(first.starts_with("error:") && first.contains("output folder"), "{first}");
    assert!(first.contains(&out.display().to_string()), "{first}");
    assert!(first.ends_with("; --out DIR chooses another"), "a hint: {first}");
}

#[test]
fn negative_duration() {
    let line = refused("run --mode async --dry -1s");
    assert!(line.contains("--dry") && line.contains("negative"), "{line}");
}

#[test]
fn too_many_paintings() {
    let line = refused("run --mode sequential --paintings 1000001");
    assert!(line.contains("--paintings") && line.contains("1000001"), "{line}");
    assert!(line.ends_with("it must be from 1 to 1000000"), "{line}");
}

#[test]
fn a_negative_count_is_named_with_its_range() {
    for (option, range) in
        [("--paintings", "from 1 to 1000000"), ("--coats", "from 1 to 100"), ("--strokes", "1 or more")]
    {
        let line = refused(&format!("run --mode sequential {option} -1"));
        assert_eq!(line, format!("error: invalid value '-1' for '{option} <N>': it must be {range}"));
    }
}

#[test]
fn more_painters_than_a_sane_limit() {
    let line = refused("run --mode parallel --painters 257");
    assert_eq!(line, "error: invalid value '257' for '--painters <N>': it must be from 1 to 256");
}

#[test]
fn a_duration_longer_than_a_day() {
    let line = refused("run --mode async --dry 2days");
    assert!(line.contains("--dry"), "{line}");
}

#[test]
fn a_zero_timeout() {
    let line = refused("run --mode sequential --timeout 0s");
    assert!(line.contains("--timeout") && line.contains("zero"), "{line}");
}

#[test]
fn too_many_retries() {
    let line = refused("run --mode sequential --retries 11");
    assert!(line.contains("--retries") && line.contains("11"), "{line}");
}

#[test]
fn a_painter_binary_that_is_not_executable() {
    let file = std::env::temp_dir().join(format!("atelier-test-not-executable-{}", std::process::id()));
    std::fs::write(&file, b"#!/bin/sh\n").expect("a plain file");
    let line = refused(&format!("run --mode sequential --painter {}", file.display()));
    let _ = std::fs::remove_file(&file);
    assert!(line.contains("cannot start painter-0") && line.contains("ermission denied"), "{line}");
}

#[test]
fn a_binary_that_never_says_hello() {
    // A program that takes any arguments and says nothing: the handshake
    // times out, and the program (and its `sleep`) is killed.
    use std::os::unix::fs::PermissionsExt;
    let script = std::env::temp_dir().join(format!("atelier-test-silent-{}", std::process::id()));
    std::fs::write(&script, "#!/bin/sh\nexec sleep 60\n").expect("a script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    let line = refused(&format!("run --mode sequential --paint 0ms --painter {}", script.display()));
    let _ = std::fs::remove_file(&script);
    assert!(line.contains("no Hello within 5s") && line.contains("is it a painter?"), "{line}");
}

#[test]
fn a_chunk_is_auto_or_a_number_of_paintings() {
    for bad in ["0", "65537", "some"] {
        let line = refused(&format!("run --mode parallel --paintings 4 --paint 0ms --dry 0ms --chunk {bad}"));
        assert!(line.contains("--chunk") && line.contains(bad) && line.contains("auto"), "{line}");
    }
    // `auto`, which the help names as the default, is taken as given.
    let out = out_dir("chunk-auto");
    let finished = run(&args("run --mode parallel --paintings 4 --paint 0ms --dry 0ms --chunk auto", &out));
    if !finished.status.success() {
        finished.fail("--chunk auto was refused");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// Runs one short run into a fresh `--out` whose lock file `plant` has put
/// there, expects it refused, and returns its first line with what
/// `plant` returned.
#[track_caller]
fn refused_with_a_lock_file<T>(test: &str, plant: impl FnOnce(&std::path::Path) -> T) -> (String, T) {
    let out = out_dir(test);
    let planted = plant(&out.join(".atelier.lock"));
    let started = std::time::Instant::now();
    let line = refused_args(&args("run --mode sequential --paintings 1 --paint 0ms --dry 0ms", &out));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "refused only after {:?}", started.elapsed());
    assert!(line.contains(&out.join(".atelier.lock").display().to_string()), "the path is not named: {line}");
    assert!(!out.join("sequential").exists(), "the run went on and painted: {line}");
    let _ = std::fs::remove_dir_all(out);
    (line, planted)
}

#[test]
fn a_lock_file_that_is_a_symbolic_link_is_not_followed() {
    let target = std::env::temp_dir().join(format!("atelier-test-lock-target-{}", std::process::id()));
    std::fs::write(&target, b"precious\n").expect("a file to protect");
    let (line, ()) = refused_with_a_lock_file("lock-symlink", |lock| {
        std::os::unix::fs::symlink(&target, lock).expect("a symbolic link");
    });
    let left = std::fs::read(&target).expect("the target is still there");
    let _ = std::fs::remove_file(&target);
    assert!(line.contains("symbolic link"), "{line}");
    assert_eq!(left, b"precious\n", "the link's target was written into");
}

#[test]
fn a_lock_file_that_links_to_dev_zero_is_refused_at_once() {
    let (line, ()) = refused_with_a_lock_file("lock-zero", |lock| {
        std::os::unix::fs::symlink("/dev/zero", lock).expect("a symbolic link");
    });
    assert!(line.contains("symbolic link"), "{line}");
}

#[test]
fn a_lock_file_that_is_a_fifo_is_refused_without_waiting() {
    let (line, ()) = refused_with_a_lock_file("lock-fifo", |lock| {
        nix::unistd::mkfifo(lock, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("a FIFO");
    });
    assert!(line.contains("is a FIFO, not a regular file"), "{line}");
}

#[test]
fn a_lock_file_with_another_name_is_not_written_into() {
    let other = std::env::temp_dir().join(format!("atelier-test-lock-other-{}", std::process::id()));
    std::fs::write(&other, b"precious\n").expect("a file to protect");
    let (line, ()) = refused_with_a_lock_file("lock-hard-link", |lock| {
        std::fs::hard_link(&other, lock).expect("a hard link");
    });
    let left = std::fs::read(&other).expect("the other name is still there");
    let _ = std::fs::remove_file(&other);
    assert!(line.contains("has 2 names"), "{line}");
    assert_eq!(left, b"precious\n", "the file behind the other name was written into");
}
