//! The report, delivered: printed on stdout (text or JSON) and drawn into
//! its files, on a thread of its own; and `plan`'s, which needs no run.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde::Serialize;

use super::cli::PlanArgs;
use crate::report::{self, RunReport, files, text};
use crate::workload::{Calibration, Workload};

/// A report to print and the files to write, handed to a thread of their own.
pub struct Delivery {
    pub workload: Workload,
    pub calibration: Calibration,
    pub runs: Vec<RunReport>,
    pub files: files::Files,
    pub json: bool,
    pub compare: bool,
    /// No notes on stderr (`wrote FILE`).
    pub quiet: bool,
}

/// Prints the report and writes the files on a thread of its own, and
/// resolves to what went wrong. A write blocks while its reader does not
/// read (a stalled pipe, a full disk over NFS); on a thread of its own it
/// leaves the coordinator free to answer a stop signal, and to exit with
/// the write unfinished.
pub async fn deliver(delivery: Delivery) -> Vec<(ExitCode, String)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new().name("report".into()).spawn(move || {
        let Delivery { workload, calibration, runs, files, json, compare, quiet } = delivery;
        let mut errors = Vec::new();
        if let Err(error) = print(&workload, &calibration, &runs, json, compare) {
            errors.push((ExitCode::FAILURE, format!("{error:#}")));
        }
        if let Err(error) = files::write(&files, &workload, &calibration, &runs, quiet) {
            errors.push((ExitCode::FAILURE, format!("{error:#}")));
        }
        let _ = tx.send(errors);
    });
    if let Err(error) = started {
        return vec![(ExitCode::FAILURE, format!("cannot start a thread to write the report: {error}"))];
    }
    rx.await.unwrap_or_else(|_| vec![(ExitCode::FAILURE, "the report's writer ended without a word".to_owned())])
}

/// `coordinator plan`: the ideal of the modes, as text or JSON.
pub fn print_plan(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let workload = super::options::workload(&args.workload, None)?;
    if let Some(strokes) = workload.strokes {
        bail!(
            "plan predicts from --paint; --strokes {strokes} takes as long as this machine takes, which only run and compare measure"
        );
    }
    let modes = args.modes.modes();
    let planned = report::plan::plan(&workload, &modes);
    let output = if args.json {
        #[derive(Serialize)]
        struct Plan<'a> {
            schema_version: u32,
            workload: &'a Workload,
            modes: &'a [report::plan::Planned],
        }
        serde_json::to_string_pretty(&Plan {
            schema_version: report::SCHEMA_VERSION,
            workload: &workload,
            modes: &planned,
        })? + "\n"
    } else {
        let (columns, color) = terminal();
        report::plan::render(&workload, &planned, columns, color)
    };
    write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}

/// A `compare` as JSON: the workload once, then every run.
#[derive(Serialize)]
struct Comparison<'a> {
    schema_version: u32,
    workload: &'a Workload,
    calibration: &'a Calibration,
    runs: &'a [RunReport],
}

/// A single `run` as JSON: the run's fields, with the workload beside them.
#[derive(Serialize)]
struct Single<'a> {
    schema_version: u32,
    #[serde(flatten)]
    run: &'a RunReport,
    workload: &'a Workload,
    calibration: &'a Calibration,
}

fn print(
    workload: &Workload,
    calibration: &Calibration,
    runs: &[RunReport],
    json: bool,
    compare: bool,
) -> anyhow::Result<()> {
    if json {
        // Written as it is made, not made into one string first: the JSON
        // of a million paintings is half a gigabyte. In blocks of a
        // megabyte: stdout passes each block on up to its last line break,
        // so a small buffer would cost two writes every few kilobytes
        // (docs/performance.md has the count).
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let written = match (compare, runs) {
            (false, [run]) => serde_json::to_writer_pretty(
                &mut out,
                &Single { schema_version: report::SCHEMA_VERSION, run, workload, calibration },
            ),
            _ => serde_json::to_writer_pretty(
                &mut out,
                &Comparison { schema_version: report::SCHEMA_VERSION, workload, calibration, runs },
            ),
        };
        // A reader that stopped reading (`| head`) loses the report: say so.
        return written
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .context("cannot write the report to stdout");
    }
    let (columns, color) = terminal();
    write_stdout(&text::render(workload, calibration, runs, text::Options { columns, color }))
}

/// The width to fit: `$COLUMNS` when it is set to a width (so that a user,
/// or a script, can ask for one, as with `ls`), else that of stdout's
/// terminal, else a width most terminals have; and whether to use colour.
fn terminal() -> (usize, bool) {
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c > 0)
        .or_else(|| terminal_size::terminal_size_of(&stdout).map(|(width, _)| usize::from(width.0)))
        .unwrap_or(100);
    (columns, color)
}

fn write_stdout(output: &str) -> anyhow::Result<()> {
    let mut lock = std::io::stdout().lock();
    // A reader that stopped reading (`| head`) loses the report: say so.
    lock.write_all(output.as_bytes()).and_then(|()| lock.flush()).context("cannot write the report to stdout")
}
