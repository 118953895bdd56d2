//! The command line: what a user can ask for, and how it is spelled.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::mode::Mode;
use crate::pin::Pin;

const EXAMPLES: &str = "\
Examples:
  coordinator                                   the lecture's demo: every mode on 3 paintings
  coordinator run --mode async --dry 2s         one process hides long drying
  coordinator run --mode parallel --paint 4s    then watch `top`: one painter per core at 100%
  coordinator compare --paintings 6 --coats 2 --json | jq '.runs[] | {mode, wall_s, efficiency}'";

/// Concurrency and parallelism you can run, watch and measure.
///
/// Painting is CPU work, drying is waiting. The coordinator spawns painter
/// processes, pins each to a core, hands them paintings over pipes, and
/// reports how long each mode took against the ideal for that mode.
#[derive(Debug, Parser)]
#[command(name = "coordinator", version, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do; without one, `compare` with the defaults.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The painter binary [default: `painter` beside this executable]
    #[arg(long, global = true, env = "ATELIER_PAINTER", value_name = "PATH")]
    pub painter: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the same paintings in every mode and compare them.
    Compare(CompareArgs),
    /// Run the paintings in one mode.
    Run(RunArgs),
}

/// `coordinator compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The work to do.
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Print one JSON object (with a `runs` array) instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Files to draw the runs into.
    #[command(flatten)]
    pub files: FileArgs,
}

/// `coordinator run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How to run the paintings.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// The work to do.
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Files to draw the run into.
    #[command(flatten)]
    pub files: FileArgs,
}

/// Files written beside the report, once every mode has run.
#[derive(Debug, Clone, Default, Args)]
pub struct FileArgs {
    /// Also draw the timelines as a picture (SVG), one panel per mode.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Also write a Chrome trace (JSON) to open in Perfetto or chrome://tracing.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// The paintings, and how they are spread over processes and cores.
#[derive(Debug, Args)]
pub struct WorkloadArgs {
    /// Number of paintings.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub paintings: u32,
    /// CPU time to paint one coat (e.g. 400ms, 1.5s).
    #[arg(long, value_name = "DUR", default_value = "400ms", value_parser = duration, allow_hyphen_values = true)]
    pub paint: Duration,
    /// Time for one coat to dry, split evenly into a file wait and a network wait.
    #[arg(long, value_name = "DUR", default_value = "800ms", value_parser = duration, allow_hyphen_values = true, conflicts_with_all = ["file_wait", "net_wait"])]
    pub dry: Duration,
    /// Drying, part one: the wait for a slow disk (instead of --dry).
    #[arg(long, value_name = "DUR", value_parser = duration, allow_hyphen_values = true)]
    pub file_wait: Option<Duration>,
    /// Drying, part two: the wait for a slow network (instead of --dry).
    #[arg(long, value_name = "DUR", value_parser = duration, allow_hyphen_values = true)]
    pub net_wait: Option<Duration>,
    /// Coats per painting; each is painted, then dries.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub coats: u32,
    /// Painters (parallel, hybrid) or threads (threads) [default: one per allowed core, at most one per painting]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub painters: Option<u32>,
    /// Cores: `auto` (round-robin over the cores this process may use), `none`, or a list like `0,2-3`.
    #[arg(long, value_name = "auto|none|LIST", default_value = "auto")]
    pub pin: Pin,
    /// Chooses the pictures; the same seed paints the same pictures.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Folder for the finished paintings (one subfolder per mode).
    #[arg(long, value_name = "DIR", default_value = "atelier-out")]
    pub out: PathBuf,
    /// Async painters: how much painting between two looks at the clock.
    #[arg(long, value_name = "DUR", default_value = "2ms", value_parser = duration, allow_hyphen_values = true)]
    pub slice: Duration,
}

/// The longest duration accepted anywhere: a day. Longer is a typo.
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a duration; `allow_hyphen_values` on the arguments lets a
/// negative one reach this function, so it can say what is wrong with it.
fn duration(text: &str) -> Result<Duration, String> {
    if text.starts_with("--") {
        return Err(format!("expected a duration (e.g. 300ms), not the option {text}"));
    }
    if text.trim_start().starts_with('-') {
        return Err("a duration cannot be negative".to_owned());
    }
    let parsed = humantime::parse_duration(text).map_err(|e| format!("{e} (try e.g. 300ms, 1.5s, 0ms)"))?;
    if parsed > MAX_DURATION {
        return Err(format!(
            "{} is longer than the {} this tool accepts",
            text,
            humantime::format_duration(MAX_DURATION)
        ));
    }
    Ok(parsed)
}

/// Parses the command line; `coordinator` alone means `coordinator compare`.
pub fn parse() -> Cli {
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        /// The defaults of `compare`, as clap would parse them.
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            args: CompareArgs,
        }
        cli.command = Some(Command::Compare(Defaults::parse_from(["coordinator"]).args));
    }
    cli
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_are_human() {
        assert_eq!(duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("0ms"), Ok(Duration::ZERO));
        assert!(duration("fast").is_err());
        assert!(duration("2days").is_err());
        assert_eq!(duration("-5ms"), Err("a duration cannot be negative".to_owned()));
    }
}
