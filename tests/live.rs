//! The live display, on a real terminal: `script` (util-linux) gives the
//! coordinator a pseudo-terminal for stderr while its stdout goes to a
//! file, as in `compare --json | jq`, and the test reads what was drawn.
//! (That each drawn line fits the terminal is checked in `progress.rs`,
//! on a terminal that records lines one by one: here lines exactly as wide
//! as the terminal run on into the next without a newline.)

use std::process::Command;

use crate::support::{out_dir, painter_binary, serial};

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
    let drawn = String::from_utf8_lossy(&ran.stdout);
    assert!(ran.status.success(), "status {}: {drawn}", ran.status);
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
    let drawn = String::from_utf8_lossy(&ran.stdout);
    assert!(ran.status.success(), "status {}: {drawn}", ran.status);
    assert!(drawn.contains("sequential"), "no plan drawn: {drawn:?}");
    for line in drawn.lines().map(|l| l.trim_end_matches('\r')) {
        assert!(line.chars().count() <= 60, "{} columns: {line:?}", line.chars().count());
    }
}
