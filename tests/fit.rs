//! The text report fits the terminal it is printed on: every line at 60,
//! 80 and 120 columns (`COLUMNS`, as a pipe has no width of its own), and
//! the numbers on the timelines never run together into other numbers.
//! Also the captions in the cases where a general sentence would be wrong.

use crate::support::{Finished, args, coordinator, finish, out_dir, serial, start};

/// Runs `line` with the report laid out for `columns`.
fn at_width(line: &str, columns: usize, test: &str) -> Finished {
    let out = out_dir(test);
    let words = args(line, &out);
    let mut command = coordinator(&words);
    command.env("COLUMNS", columns.to_string()).env_remove("NO_COLOR");
    let finished = finish(start(command), &words);
    let _ = std::fs::remove_dir_all(out);
    if !finished.status.success() {
        finished.fail("the run failed");
    }
    finished
}

/// Fails unless every line of stdout has at most `columns` characters.
#[track_caller]
fn fits(finished: &Finished, columns: usize) {
    for line in finished.stdout.lines() {
        let width = line.chars().count();
        if width > columns {
            finished.fail(&format!("a line of {width} characters at {columns} columns: {line:?}"));
        }
    }
}

/// The timelines' lanes: the lines with a `│` that are not CPU lines.
fn lanes(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.contains('│') && !l.trim_start().starts_with("cpu")).collect()
}

/// The numbers drawn on a lane (after its label).
fn numbers(lane: &str) -> Vec<u32> {
    let (_, row) = lane.split_once('│').expect("a lane");
    row.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().expect("a number")).collect()
}

#[test]
fn every_line_fits_at_60_80_and_120_columns_and_no_numbers_run_together() {
    let _serial = serial();
    // 8 paintings of 2 short coats: many small blocks side by side.
    for columns in [60, 80, 120] {
        let finished =
            at_width("compare --paintings 8 --coats 2 --paint 15ms --dry 30ms", columns, &format!("fit-{columns}"));
        fits(&finished, columns);
        let lanes = lanes(&finished.stdout);
        finished.check(lanes.len() >= 7, "a lane per painter or thread of each mode expected");
        for lane in lanes {
            for n in numbers(lane) {
                assert!((1..=8).contains(&n), "{columns} columns: `{n}` read on a lane of 8 paintings: {lane}");
            }
        }
        // The table is whole when it fits, and in blocks that each name the mode when it does not.
        let header = finished.stdout.lines().find(|l| l.starts_with("mode")).expect("a table");
        if columns >= 80 {
            assert!(header.contains("wall") && header.contains("efficiency"), "{header}");
        } else {
            let headers: Vec<&str> = finished.stdout.lines().filter(|l| l.starts_with("mode ")).collect();
            finished.check(headers.len() >= 2, "a table in blocks, each with its header, expected");
        }
        finished.check(finished.stdout.contains("cpu"), "CPU lines are drawn too");
    }
}

#[test]
fn past_thirty_paintings_a_row_the_blocks_carry_no_numbers_and_the_report_says_so() {
    let _serial = serial();
    let finished = at_width("run --mode sequential --paintings 40 --paint 0ms --dry 0ms", 80, "fit-many");
    fits(&finished, 80);
    for lane in lanes(&finished.stdout) {
        assert!(numbers(lane).is_empty(), "{lane}");
    }
    finished
        .check(finished.stdout.contains("blocks without numbers"), "the report should say the blocks carry no numbers");
}

#[test]
fn threads_on_fewer_cores_promise_no_more_cpu_than_the_cores_give() {
    let _serial = serial();
    let finished =
        at_width("run --mode threads --painters 3 --pin 0 --paintings 3 --paint 20ms --dry 0ms", 120, "fit-threads");
    let text = finished.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    finished.check(text.contains("up to 100% CPU") && !text.contains("300%"), "up to 100% CPU, never 300%, expected");
    finished.check(text.contains("3 threads share 1 core"), "no line says 3 threads share 1 core");
}

#[test]
fn with_nothing_to_paint_the_async_caption_speaks_only_of_drying() {
    let _serial = serial();
    let finished = at_width("run --mode async --paintings 3 --paint 0ms --dry 40ms", 120, "fit-no-paint");
    let text = finished.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let drying = !text.contains("one stroke at a time") && text.contains("nothing to paint");
    finished.check(drying, "the caption should say there is nothing to paint, and nothing of strokes");
}

#[test]
fn the_plan_fits_at_60_80_and_120_columns() {
    for columns in [60, 80, 120] {
        let finished = at_width("plan --paintings 8 --coats 2 --painters 3", columns, &format!("fit-plan-{columns}"));
        fits(&finished, columns);
        finished.check(finished.stdout.contains("ideal"), "no ideal in the plan");
    }
}
