//! The command line: what a user can ask for, and how it is spelled.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::mode::Mode;
use crate::pin::Pin;

const EXAMPLES: &str = "\
Examples:
  coordinator                                   the lecture's demo: every mode on 3 paintings
  coordinator plan                              the same, predicted: the ideal of each mode
  coordinator run --mode async --dry 2s         one process hides long drying
  coordinator run --mode parallel --paint 4s    then watch `top`: one painter per core at 100%
  coordinator compare --svg t.svg --trace t.json   a picture, and a trace for ui.perfetto.dev
  coordinator compare --paintings 6 --coats 2 --json | jq '.runs[] | {mode, wall_s, efficiency}'
  source <(coordinator completions bash)        tab completion in this shell";

const COMPARE_EXAMPLES: &str = "\
Examples:
  coordinator compare                            every mode, 3 paintings of 400ms + 800ms drying
  coordinator compare --paintings 8 --coats 2    more work: watch async and hybrid pull ahead
  coordinator compare --dry 0ms                  no waiting: only parallelism helps
  coordinator compare --json > runs.json         everything measured, for a script";

const RUN_EXAMPLES: &str = "\
Examples:
  coordinator run --mode sequential              the baseline: paint, dry, paint, dry
  coordinator run --mode async --dry 2s          one process hides the drying
  coordinator run --mode parallel --paint 4s     long enough to watch in `top`
  coordinator run --mode threads --painters 4    one process, 4 threads: 400% in `top` on 4 cores
  coordinator run --mode hybrid --retries 0 --timeout 10s   fail fast on a broken painter";

const PLAN_EXAMPLES: &str = "\
Examples:
  coordinator plan                               predict the demo before running it
  coordinator plan --mode async --paintings 5    one mode's ideal timeline
  coordinator plan --painters 3 --pin 0-1        3 painters on 2 cores: at most 2x";

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
    /// No live progress display on the terminal (it is never shown when stdout or stderr is not a terminal).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the same paintings in every mode and compare them.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Run the paintings in one mode.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Print the ideal timeline and time of each mode, without running anything.
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Print a shell completion script (e.g. `source <(coordinator completions bash)`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `coordinator plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Only this mode [default: every mode]
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// The work to plan.
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Print one JSON object (with a `modes` array) instead of the timelines.
    #[arg(long)]
    pub json: bool,
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
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub paintings: u32,
    /// CPU time to paint one coat (e.g. 400ms, 1.5s). With 0ms nothing is painted or
    /// saved: the run measures the machinery alone.
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
    /// When a painter dies, hangs or garbles its output: how many times each of its paintings is handed out again (to a fresh painter on the same cores) before it is reported lost.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// How long a painting may wait in a painter's queue, and then take to paint, before the painter is taken to be hung and stopped [default: 4 × the ideal time of one painting + 5s]
    #[arg(long, value_name = "DUR", value_parser = positive_duration, allow_hyphen_values = true)]
    pub timeout: Option<Duration>,
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

/// A duration that must not be zero.
fn positive_duration(text: &str) -> Result<Duration, String> {
    let parsed = duration(text)?;
    if parsed.is_zero() {
        return Err("must be longer than zero".to_owned());
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
