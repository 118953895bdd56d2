//! The examples of the README, of `docs/*.md` and of every `--help`, run
//! the way a reader types them, and the output the README shows checked
//! against real output.
//!
//! Each command runs in `bash` in a fresh folder, with this build's
//! `coordinator` first on `PATH` (`target/release/coordinator` in the
//! README means it too), so pipes, redirections and `source <(…)` work as
//! written. The workloads of the commands that paint are shrunk twenty
//! times (`--paint 4s` becomes `--paint 200ms`, and the default
//! 400ms + 800ms is given as 20ms + 40ms), so that every ratio the README
//! talks about is kept and the whole README runs in seconds; `plan`, which
//! runs nothing, runs as written.
//!
//! Not run: `cargo …` (building, installing, and this very test),
//! `top`/`ps` (they watch a run in another terminal), the benchmark, chaos
//! and fuzzing scripts (minutes each), `scripts/hosts.sh` (it makes the test
//! hosts as root) — each kind is named below, so that a new kind of command
//! is not skipped without a word. Commands with `--hosts` run in a test of
//! their own, ignored unless asked for, as those of `tests/hosts.rs` are.

use std::path::Path;
use std::process::Command;

use crate::support::{Finished, allowed_cores, finish, in_ci, out_dir, serial, start};

/// The README, as a reader sees it.
fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fenced blocks of `markdown` in the language `language`, each as its lines.
fn blocks(markdown: &str, language: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.strip_prefix("```").is_some_and(|l| l.trim() == language) => current = Some(Vec::new()),
            Some(lines) if fence.starts_with("```") => {
                found.push(std::mem::take(lines));
                current = None;
            }
            // A line that ends in `\` goes on in the next, as in a shell.
            Some(lines) => match lines.last_mut().filter(|last| last.ends_with('\\')) {
                Some(last) => {
                    last.pop();
                    last.push_str(line.trim_start());
                }
                None => lines.push(line.trim_start().to_owned()),
            },
            None => {}
        }
    }
    found
}

/// What a line of a `sh` block is, to this test.
#[derive(Debug, PartialEq)]
enum Line {
    /// A command to run.
    Run(String),
    /// Not run, for the reason given.
    Skip(&'static str),
}

/// The words of a command after any leading `NAME=value` assignments.
fn program_words(command: &str) -> Vec<&str> {
    command.split_whitespace().skip_while(|word| word.split_once('=').is_some_and(|(name, _)| is_name(name))).collect()
}

/// Whether `text` is an environment variable's name.
fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Classifies one line of a `sh` block (its `# comment` already removed).
fn classify(line: &str) -> Line {
    let line = line.strip_prefix("cargo build --release && ").unwrap_or(line);
    let line = line.replace("target/release/coordinator", "coordinator");
    let first = program_words(&line).first().copied().unwrap_or_default();
    match first {
        "coordinator" | "source" => Line::Run(line),
        "cargo" => Line::Skip("cargo: building, installing or testing"),
        "top" | "ps" => Line::Skip("watches a run in another terminal"),
        "taskset" | "kill" => Line::Skip("starts or stops a busy loop beside a run: tests/cores.rs runs that exercise"),
        "scripts/bench.sh" | "scripts/chaos.sh" | "scripts/fuzz.sh" => Line::Skip("minutes of benchmarks or fuzzing"),
        "scripts/hosts.sh" => Line::Skip("makes or removes the test hosts, as root: namespaces, sshd, Slurm"),
        _ => panic!("the docs have a command this test does not know how to run or skip: {line}"),
    }
}

/// Removes a trailing `# comment` (outside quotes) and surrounding space.
fn without_comment(line: &str) -> String {
    let mut quote = None;
    for (index, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if index == 0 || line[..index].ends_with(' ') => return line[..index].trim().to_owned(),
            _ => {}
        }
    }
    line.trim().to_owned()
}

/// A duration as the README writes it (`400ms`, `4s`, `1.5s`), divided by 20.
fn shrunk(duration: &str) -> String {
    let (number, unit) = duration
        .strip_suffix("ms")
        .map(|n| (n, 1.0))
        .or_else(|| duration.strip_suffix('s').map(|n| (n, 1000.0)))
        .unwrap_or_else(|| panic!("a duration this test cannot shrink: {duration}"));
    let ms: f64 = number.parse::<f64>().unwrap_or_else(|_| panic!("not a duration: {duration}")) * unit;
    format!("{}ms", (ms / 20.0).round())
}

/// The command with its painting and drying shrunk twenty times; `plan`,
/// `completions` and anything but the coordinator stay as written.
fn small(command: &str) -> String {
    let (head, tail) = match command.find(" | ").or_else(|| command.find(" > ")) {
        Some(at) => command.split_at(at),
        None => (command, ""),
    };
    let words = program_words(head);
    let assignments = head.split_whitespace().count() - words.len();
    if words.first() != Some(&"coordinator") || words.iter().any(|w| matches!(*w, "plan" | "completions")) {
        return command.to_owned();
    }
    let mut out: Vec<String> = head.split_whitespace().take(assignments).map(str::to_owned).collect();
    let mut shrink_next = false;
    for word in &words {
        out.push(if shrink_next { shrunk(word) } else { (*word).to_owned() });
        shrink_next = matches!(*word, "--paint" | "--dry" | "--file-wait" | "--net-wait");
    }
    if !words.contains(&"--paint") {
        out.push("--paint 20ms".to_owned());
    }
    if !words.iter().any(|w| matches!(*w, "--dry" | "--file-wait" | "--net-wait")) {
        out.push("--dry 40ms".to_owned());
    }
    format!("{}{tail}", out.join(" "))
}

/// Whether the command pins to cores this machine does not let us use.
fn pins_elsewhere(command: &str) -> bool {
    let allowed = allowed_cores();
    let words: Vec<&str> = command.split_whitespace().collect();
    words.windows(2).any(|pair| {
        pair[0] == "--pin"
            && pair[1]
                .split(',')
                .flat_map(|part| part.split('-'))
                .any(|core| core.parse::<u32>().is_ok_and(|core| !allowed.contains(&core)))
    })
}

/// Runs `command` with bash in `dir`, this build's coordinator first on `PATH`.
fn sh(command: &str, dir: &Path) -> Finished {
    let bin = Path::new(env!("CARGO_BIN_EXE_coordinator")).parent().expect("the binaries' folder");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut bash = Command::new("bash");
    bash.args(["-c", &format!("set -o pipefail; {command}")])
        .current_dir(dir)
        .env("PATH", path)
        .env("COLUMNS", "80")
        .env_remove("ATELIER_PAINTER")
        .env_remove("RUST_LOG");
    let mut finished = finish(start(bash), &[command.to_owned()]);
    finished.command = format!("bash -c {command:?} (in {})", dir.display());
    finished
}

/// Runs every command in `commands`, each in a fresh folder; fails on the
/// first that does not exit 0.
fn run_all(commands: &[String], what: &str) {
    assert!(!commands.is_empty(), "{what}: no examples found");
    for (index, command) in commands.iter().enumerate() {
        // An example this machine cannot run is left out, saying so; under
        // CI=true, where everything is there, it fails instead.
        let cannot = if pins_elsewhere(command) {
            Some("its --pin names a core this process may not use")
        } else if command.contains("| jq") && Command::new("jq").arg("--version").output().is_err() {
            Some("jq is not installed")
        } else {
            None
        };
        if let Some(why) = cannot {
            assert!(!in_ci(), "{what}: CI=true, yet {why}: {command}");
            eprintln!("skipped on this machine ({why}): {command}");
            continue;
        }
        let dir = out_dir(&format!("{what}-{index}"));
        let finished = sh(&small(command), &dir);
        finished.check(finished.status.success(), &format!("{what}: an example failed"));
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The README and every `docs/*.md`, each as (name, text).
fn documents() -> Vec<(String, String)> {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs");
    let mut found = vec![("README.md".to_owned(), readme())];
    let mut paths: Vec<_> = std::fs::read_dir(docs)
        .unwrap_or_else(|e| panic!("{docs}: {e}"))
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        found.push((format!("docs/{}", path.file_name().unwrap_or_default().to_string_lossy()), text));
    }
    found
}

/// The commands of the `sh` blocks of the README and the docs: those to
/// run on this machine alone, and those with `--hosts`.
fn documented_commands() -> (Vec<String>, Vec<String>) {
    let mut commands = Vec::new();
    for block in documents().iter().flat_map(|(_, text)| blocks(text, "sh")) {
        for line in block.iter().map(|l| without_comment(l)).filter(|l| !l.is_empty()) {
            if let Line::Run(command) = classify(&line) {
                commands.push(command);
            }
        }
    }
    commands.into_iter().partition(|command| !command.contains("--hosts"))
}

#[test]
fn the_commands_of_the_readme_and_the_docs_run() {
    let _serial = serial();
    run_all(&documented_commands().0, "docs");
}

#[test]
#[ignore = "needs the test hosts: scripts/hosts.sh up --hosts 4, as root"]
fn the_commands_of_the_readme_and_the_docs_over_the_test_hosts_run() {
    // The hosts first, then the painters' turn, as every test of the hosts takes them.
    let _hosts = crate::hosts::hosts_up();
    let _serial = serial();
    run_all(&documented_commands().1, "docs-hosts");
}

#[test]
fn every_help_example_runs() {
    let _serial = serial();
    let mut commands = Vec::new();
    for subcommand in ["", "compare", "run", "plan"] {
        let mut args: Vec<String> = subcommand.split_whitespace().map(str::to_owned).collect();
        args.push("--help".into());
        let help = crate::support::run(&args);
        if !help.status.success() {
            help.fail("--help failed");
        }
        let examples: Vec<String> = help
            .stdout
            .lines()
            .skip_while(|line| line.trim() != "Examples:")
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            // A command on its line; its description on the next, indented further.
            .filter(|line| !line.starts_with("   "))
            .map(|line| line.trim().to_owned())
            .collect();
        if examples.is_empty() {
            help.fail("this --help has no examples");
        }
        commands.extend(examples);
    }
    run_all(&commands, "help");
}

/// The README's `text` blocks that show a command's output: their first
/// line is `$ command`.
fn shown_outputs() -> Vec<(String, Vec<String>)> {
    let markdown = readme();
    let mut shown = Vec::new();
    // Keep the indentation of output lines: they are compared as printed.
    let mut in_block = false;
    let mut current: Vec<String> = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            if in_block {
                if let Some(command) = current.first().and_then(|first| first.strip_prefix("$ ")) {
                    shown.push((command.to_owned(), current[1..].to_vec()));
                }
                current.clear();
            }
            in_block = !in_block && line.trim_start() == "```text";
            continue;
        }
        if in_block {
            current.push(line.to_owned());
        }
    }
    shown
}

/// Whether the `shown` lines appear in `real` in the same order (other
/// lines between them allowed); the first one missing if not.
fn in_order<'a>(shown: impl IntoIterator<Item = &'a String>, real: &str) -> Result<(), String> {
    let mut real = real.lines();
    for line in shown {
        // A blank line, or `…` where the README leaves lines out.
        if line.trim().is_empty() || line.trim() == "…" {
            continue;
        }
        if !real.any(|r| r.trim_end() == line.trim_end()) {
            return Err(line.clone());
        }
    }
    Ok(())
}

/// Whether a line holds a number.
fn has_digits(line: &str) -> bool {
    line.chars().any(|c| c.is_ascii_digit())
}

/// Whether a line is a caption's prose: indented two spaces, then a word.
fn is_prose(line: &str) -> bool {
    line.strip_prefix("  ").and_then(|rest| rest.chars().next()).is_some_and(|c| c.is_ascii_alphabetic())
}

/// Whether a line is drawn on a timeline (its rows and its axis).
fn is_timeline(line: &str) -> bool {
    line.contains('│') || line.contains('└')
}

#[test]
fn the_output_the_readme_shows_is_what_the_commands_print() {
    let _serial = serial();
    let shown = shown_outputs();
    assert!(shown.iter().any(|(command, _)| command.starts_with("coordinator plan")), "the README shows a plan");
    // The README was made on a 2-core machine: where this one is the same,
    // `plan`, which measures nothing, must print exactly the lines shown.
    let same_machine = allowed_cores() == [0, 1];
    for (index, (command, lines)) in shown.iter().enumerate() {
        let exact = same_machine && command.starts_with("coordinator plan");
        let dir = out_dir(&format!("readme-output-{index}"));
        let finished = sh(&small(command), &dir);
        if !finished.status.success() {
            finished.fail("a command whose output the README shows failed");
        }
        // Numbers measured vary from run to run, and so do the timelines
        // drawn from them; the words around them do not, but a caption's
        // prose wraps wherever its numbers push it.
        let checked: Vec<&String> =
            lines.iter().filter(|l| exact || (!has_digits(l) && !is_prose(l) && !is_timeline(l))).collect();
        assert!(!checked.is_empty(), "nothing to check in the output shown for {command}");
        if let Err(line) = in_order(checked, &finished.stdout) {
            finished.fail(&format!(
                "the README shows this line, which the command does not print (or not in this order):\n{line}"
            ));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn the_readme_names_the_rust_the_workspace_needs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let manifest = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no rust-version in {path}"));
    let readme = readme();
    assert!(readme.contains(&format!("Rust {version} or newer")), "the README should say it needs Rust {version}");
    assert!(readme.contains("Linux only"), "the README should say it runs on Linux only");
}

/// Every `cargo install` of the workspace's binaries, in the README, the
/// docs and the coordinator's hint for a missing painter, builds the
/// versions in `Cargo.lock`: without `--locked`, Cargo resolves the
/// dependencies afresh, to versions nobody tested, and warns that the dev
/// profile's setting for the painter matches no package.
#[test]
fn every_install_of_the_binaries_is_locked() {
    let app = concat!(env!("CARGO_MANIFEST_DIR"), "/src/app/mod.rs");
    let app = (app.to_owned(), std::fs::read_to_string(app).unwrap_or_else(|e| panic!("{app}: {e}")));
    let mut installs = 0;
    for (name, text) in documents().into_iter().chain([app]) {
        for (at, _) in text.match_indices("cargo install ") {
            let command: String = text[at..].chars().take_while(|&c| c != '`' && c != '&' && c != '\n').collect();
            if command.contains("--path") {
                installs += 1;
                assert!(command.contains("--locked"), "{name}: `{}` builds unlocked", command.trim());
            }
        }
    }
    assert!(installs >= 4, "only {installs} installs of the binaries found");
}

#[test]
fn commands_are_read_the_way_a_shell_reads_them() {
    assert_eq!(without_comment("coordinator plan   # predict"), "coordinator plan");
    assert_eq!(without_comment("jq -r '.runs[] | \"#\\(.mode)\"'"), "jq -r '.runs[] | \"#\\(.mode)\"'");
    assert_eq!(classify("cargo build --release && target/release/coordinator"), Line::Run("coordinator".into()));
    assert!(matches!(classify("cargo test --workspace"), Line::Skip(_)));
    assert_eq!(
        small("coordinator run --mode async --paint 4s"),
        "coordinator run --mode async --paint 200ms --dry 40ms"
    );
    assert_eq!(small("coordinator --json | jq ."), "coordinator --json --paint 20ms --dry 40ms | jq .");
    assert_eq!(small("coordinator plan --dry 2s"), "coordinator plan --dry 2s");
    assert_eq!(shrunk("1.5s"), "75ms");
    assert_eq!(
        small("ATELIER_PAINTER_FAULT=stop coordinator run --mode parallel"),
        "ATELIER_PAINTER_FAULT=stop coordinator run --mode parallel --paint 20ms --dry 40ms"
    );
    assert!(matches!(classify("scripts/chaos.sh 20"), Line::Skip(_)));
}
