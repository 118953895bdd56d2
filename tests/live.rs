//! The live display, on a real terminal: `script` (util-linux) gives the
//! coordinator a pseudo-terminal for stderr while its stdout goes to a
//! file, as in `compare --json | jq`, and the test reads what was drawn.
//! indicatif pads each line to the terminal's width and lets it run on
//! into the next row without a newline, so what was drawn is replayed on
//! a small model of the terminal ([`frames`]): a line too wide for it
//! would wrap, and its tail would begin a row of its own.

use std::path::Path;
use std::process::Command;

use crate::support::{Finished, out_dir, painter_binary, serial};

#[test]
fn progress_is_drawn_on_a_terminal_even_when_stdout_is_piped() {
    let _serial = serial();
    let out = out_dir("live");
    let json = out.join("report.json");
    let line = format!(
        "stty rows 24 cols 60; exec {} run --mode sequential --paintings 3 --paint 300ms --dry 200ms --json --out {} > {}",
        env!("CARGO_BIN_EXE_coordinator"),
        out.display(),
        json.display()
    );
    let ran = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("ATELIER_PAINTER", painter_binary())
        .env("RUST_LOG", "info")
        .output()
        .expect("script (util-linux) runs");
    let ran = Finished::of(format!("script -q -e -c {line:?} /dev/null"), &ran);
    let drawn = &ran.succeeded().stdout;
    // The report went to the file, whole; the terminal got the display.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the report")).expect("JSON on stdout");
    assert_eq!(report["mode"], "sequential");
    assert!(drawn.contains("paintings") && drawn.contains("sequential"), "no progress drawn: {drawn:?}");
    assert!(drawn.contains("painter-0"), "no painter's line: {drawn:?}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn columns_asks_for_a_width_even_on_a_wider_terminal() {
    // `COLUMNS=60 coordinator plan` on an 81-column terminal fits 60.
    let line = format!("stty rows 24 cols 81; COLUMNS=60 exec {} plan", env!("CARGO_BIN_EXE_coordinator"));
    let ran = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .expect("script (util-linux) runs");
    let ran = Finished::of(format!("script -q -e -c {line:?} /dev/null"), &ran);
    let drawn = &ran.succeeded().stdout;
    assert!(drawn.contains("sequential"), "no plan drawn: {drawn:?}");
    for line in drawn.lines().map(|l| l.trim_end_matches('\r')) {
        assert!(line.chars().count() <= 60, "{} columns: {line:?}", line.chars().count());
    }
}

/// Runs `coordinator` with `words` on a terminal of `cols` × `rows`, without
/// colour, its stdout to a file in `out`, and checks that it succeeded; what
/// the terminal got is the stdout of the `script` around it.
fn on_terminal(cols: u16, rows: u16, words: &str, out: &Path) -> Finished {
    let line = format!(
        "stty rows {rows} cols {cols}; exec {} {words} --out {} > {}",
        env!("CARGO_BIN_EXE_coordinator"),
        out.display(),
        out.join("report.txt").display()
    );
    let ran = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("ATELIER_PAINTER", painter_binary())
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("script (util-linux) runs");
    let ran = Finished::of(format!("script -q -e -c {line:?} /dev/null"), &ran);
    ran.succeeded();
    ran
}

/// What a terminal `width` columns wide showed, each time the display was
/// about to be drawn again (it moves the cursor up to its first line):
/// its rows, escape codes gone. Knows what indicatif writes: text, `\r`,
/// `\n`, cursor up and down, and erasing lines.
fn frames(drawn: &str, width: usize) -> Vec<Vec<String>> {
    let mut screen: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut frames = Vec::new();
    let mut chars = drawn.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    continue;
                }
                chars.next();
                let mut arg = String::new();
                let command = loop {
                    match chars.next() {
                        Some(c) if c.is_ascii_digit() || c == ';' || c == '?' => arg.push(c),
                        other => break other,
                    }
                };
                let n = arg.parse::<usize>().unwrap_or(1);
                match command {
                    Some('A') => {
                        frames
                            .push(screen.iter().map(|r| r.iter().collect::<String>().trim_end().to_owned()).collect());
                        row = row.saturating_sub(n);
                    }
                    Some('B') => row += n,
                    Some('K') => screen[row].truncate(col),
                    Some('J') => {
                        screen[row].truncate(col);
                        screen.truncate(row + 1);
                    }
                    _ => {}
                }
            }
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
            }
            c => {
                // Past the last column, the terminal wraps.
                if col >= width {
                    row += 1;
                    col = 0;
                }
                while screen.len() <= row {
                    screen.push(Vec::new());
                }
                let line = &mut screen[row];
                line.resize(line.len().max(col), ' ');
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
        while screen.len() <= row {
            screen.push(Vec::new());
        }
    }
    frames.push(screen.iter().map(|r| r.iter().collect::<String>().trim_end().to_owned()).collect());
    frames
}

const TAKING_TURNS: &str = "run --mode parallel --painters 3 --pin 0 --paintings 3 --paint 300ms --dry 200ms";

#[test]
fn the_timeline_is_drawn_as_it_grows_on_80_by_24() {
    let _serial = serial();
    let out = out_dir("live-timeline");
    let drawn = on_terminal(80, 24, TAKING_TURNS, &out).stdout;
    let frames = frames(&drawn, 80);
    // Every row begins as one of the display's lines does: a line too wide
    // would have wrapped, its tail beginning a row.
    let kinds = ["█ painting", "painter-", "core ", "└", "parallel"];
    for row in frames.iter().flatten().map(|r| r.trim_start()).filter(|r| !r.is_empty()) {
        let known = kinds.iter().any(|k| row.starts_with(k)) || row.starts_with(|c: char| c.is_ascii_digit());
        assert!(known, "a row no line begins with (a line wider than 80?): {row:?}\n{drawn}");
    }
    // The painters' lanes, then the core's, as the run goes on.
    let lanes = |frame: &Vec<String>, names: &[&str]| {
        names.iter().all(|name| frame.iter().any(|r| r.trim_start().starts_with(&format!("{name} │"))))
    };
    let painters = ["painter-0@0", "painter-1@0", "painter-2@0"];
    assert!(frames.iter().any(|f| lanes(f, &painters)), "no painters' lanes: {frames:#?}");
    // The core's lane, drawn from the painters' States.
    assert!(frames.iter().any(|f| lanes(f, &["core 0"])), "no core's lane: {frames:#?}");
    assert!(frames.iter().flatten().any(|r| r.starts_with("█ painting  ▒ waiting for a core")), "{frames:#?}");
    // The painting grows: some frame shows a lane with more of it than another.
    let painted = |frame: &Vec<String>| {
        frame.iter().filter(|r| r.starts_with("painter-0@0 │")).map(|r| r.matches(['█', '▒']).count()).max()
    };
    let sizes: Vec<usize> = frames.iter().filter_map(painted).collect();
    assert!(sizes.iter().max() > sizes.iter().min(), "{sizes:?}");
    // No painter's line: they are the timeline's lanes.
    assert!(!frames.iter().flatten().any(|r| r.contains("painter-0@0 painting #1")), "{frames:#?}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_terminal_too_small_for_the_timeline_gets_a_line_per_painter() {
    let _serial = serial();
    let out = out_dir("live-lines");
    // Too narrow; too short for the legend, 3 lanes, a core, the axis, a
    // note, the bar and the cursor's row.
    for (cols, rows) in [(40, 24), (80, 9)] {
        let drawn = on_terminal(cols, rows, TAKING_TURNS, &out).stdout;
        let frames = frames(&drawn, usize::from(cols));
        let rows: Vec<&String> = frames.iter().flatten().collect();
        assert!(rows.iter().any(|r| r.contains("painter-1@0 painting #2")), "{cols}×{rows:?}: no painter's line");
        assert!(!rows.iter().any(|r| r.contains('│') || r.contains('└')), "a timeline on {cols} columns: {rows:#?}");
    }
    let _ = std::fs::remove_dir_all(out);
}
