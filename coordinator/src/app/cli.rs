//! The command line: what a user can ask for, and how it is spelled.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::mode::Mode;
use crate::os::pin::Pin;

const EXAMPLES: &str = "\
Examples:
  coordinator
      the lecture's demo: every mode on 3 paintings
  coordinator --paintings 6 --modes sequential,async
      compare's options, without `compare`
  coordinator plan
      the demo predicted: each mode's ideal; runs nothing
  coordinator run --mode async --dry 2s
      one process hides long drying
  coordinator run --mode parallel --paint 4s
      watch `top`: a painter per core, 100% as it paints
  coordinator compare --svg t.svg --trace t.json
      a picture, and a trace for ui.perfetto.dev
  coordinator --coats 2 --json | jq -c '.runs[] | {mode, wall_s, efficiency}'
      each mode's wall time and efficiency, a line each
  source <(coordinator completions bash)
      tab completion in this shell";

const COMPARE_EXAMPLES: &str = "\
Examples:
  coordinator compare
      every mode, 3 paintings of 400ms + 800ms drying
  coordinator compare --modes sequential,async
      only these two modes, drawn in two panels
  coordinator compare --paintings 8 --coats 2
      more work: watch async and hybrid pull ahead
  coordinator compare --dry 0ms
      no drying: async gains nothing, parallel still does
  coordinator compare --json > runs.json
      everything measured, for a script";

const RUN_EXAMPLES: &str = "\
Examples:
  coordinator run --mode sequential
      the baseline: paint, dry, paint, dry
  coordinator run --mode async --dry 2s
      one process hides the drying
  coordinator run --mode parallel --paint 4s
      long enough to watch in `top`
  coordinator run --mode threads --paint 4s
      one process, a thread per core: `top -H` shows them
  coordinator run --mode hybrid --retries 0 --timeout 10s
      fail fast on a broken painter";

const PLAN_EXAMPLES: &str = "\
Examples:
  coordinator plan
      predict the demo before running it
  coordinator plan --modes async --paintings 5
      one mode's ideal timeline
  coordinator plan --painters 3 --pin 0-1
      3 painters on 2 cores: two of them share a core";

/// Every `Examples:` section of `--help` (`tests/readme.rs` runs them).
#[cfg(test)]
const ALL_EXAMPLES: [&str; 4] = [EXAMPLES, COMPARE_EXAMPLES, RUN_EXAMPLES, PLAN_EXAMPLES];

/// Concurrency and parallelism you can run, watch and measure.
///
/// Painting is CPU work, drying is waiting. The coordinator spawns painter
/// processes, pins each to a core, hands them paintings over pipes, and
/// reports how long each mode took against the ideal for that mode.
/// Without a subcommand it runs `compare`, and takes every option `compare`
/// takes.
#[derive(Debug, Parser)]
#[command(
    name = "coordinator",
    version,
    after_help = EXAMPLES,
    args_override_self = true
)]
pub struct Cli {
    /// What to do; without one, `compare`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `compare`'s options, for `coordinator` without a subcommand.
    #[command(flatten)]
    pub compare: CompareArgs,
    /// The painter binary [default: `painter` beside this executable, else on PATH]
    #[arg(long, global = true, env = "ATELIER_PAINTER", value_name = "PATH")]
    pub painter: Option<PathBuf>,
    /// No live progress display (drawn on stderr, only when stderr is a terminal), and no notes on stderr (how long a long run will take, which files were written). Errors are still said.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the same paintings in every mode (or those of --modes) and compare them.
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

/// `--modes sequential,async`: which modes, in which order.
#[derive(Debug, Clone, Args)]
pub struct ModesArg {
    /// Only these modes, comma-separated, in this order [default: every mode]
    #[arg(long, alias = "mode", value_enum, value_delimiter = ',', value_name = "MODE,...")]
    modes: Vec<Mode>,
}

impl ModesArg {
    /// The modes asked for, each once, or every mode when none was named.
    #[must_use]
    pub fn modes(&self) -> Vec<Mode> {
        let mut modes: Vec<Mode> = Vec::new();
        for &mode in &self.modes {
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        if modes.is_empty() { Mode::ALL.to_vec() } else { modes }
    }
}

/// `coordinator plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The modes to plan.
    #[command(flatten)]
    pub modes: ModesArg,
    /// The work to plan.
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Print one JSON object (with a `modes` array) instead of the timelines.
    #[arg(long)]
    pub json: bool,
}

/// `coordinator compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The modes to run.
    #[command(flatten)]
    pub modes: ModesArg,
    /// Print one JSON object (with a `runs` array) instead of the report.
    #[arg(long)]
    pub json: bool,
    /// The work, the files and the hosts, as `run` takes them.
    #[command(flatten)]
    pub options: RunOptions,
}

/// `coordinator run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How to run the paintings.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    /// The work, the files and the hosts, as `compare` takes them.
    #[command(flatten)]
    pub options: RunOptions,
}

/// What `run` and `compare` both take.
#[derive(Debug, Clone, Args)]
pub struct RunOptions {
    /// The work to do.
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Files to draw the runs into.
    #[command(flatten)]
    pub files: FileArgs,
    /// Other machines to paint on.
    #[command(flatten)]
    pub hosts: HostsArgs,
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

/// Painters on other machines.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Other machines")]
pub struct HostsArgs {
    /// Paint on these hosts, comma-separated, as GNU parallel's
    /// --sshlogin: `h1,4/h2,:` is every core h1 allows, at most 4 of h2's,
    /// and `:` this machine; `user@h3:2222` logs in as user on port 2222.
    /// Each host is asked for its allowed cores first.
    #[arg(long, value_name = "LIST", conflicts_with = "hostfile")]
    pub hosts: Option<String>,
    /// The same, one host per line (`#` starts a comment), as GNU
    /// parallel's --sshloginfile or an MPI hostfile (`h1 slots=4`).
    #[arg(long, value_name = "FILE")]
    pub hostfile: Option<PathBuf>,
    /// How to start a painter there: ssh (the default), srun (a Slurm job
    /// step per painter, in $SLURM_JOB_ID or an allocation made for the
    /// run), or a template with {host} and {cmd}, e.g. 'ip netns exec {host} {cmd}'.
    #[arg(long, value_name = "ssh|srun|TEMPLATE", value_parser = clap::value_parser!(crate::hosts::Launcher))]
    pub launcher: Option<crate::hosts::Launcher>,
    /// The painter's path on the other hosts (default: this painter's path).
    #[arg(long, value_name = "PATH")]
    pub remote_painter: Option<PathBuf>,
    /// How many hosts are probed, and painters on other hosts started, at
    /// once (as pdsh's fan-out).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub fanout: u32,
}

/// The paintings, and how they are spread over processes and cores.
#[derive(Debug, Clone, Args)]
pub struct WorkloadArgs {
    /// Number of paintings.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 3, value_parser = |text: &str| whole(text, 1, 1_000_000))]
    pub paintings: u32,
    /// CPU time to paint one coat (e.g. 400ms, 1.5s). With 0ms nothing is painted or
    /// saved: the run measures the machinery alone.
    #[arg(long, value_name = "DUR", default_value = "400ms", value_parser = duration, allow_hyphen_values = true)]
    pub paint: Duration,
    /// Paint exactly N strokes per coat instead of what --paint measures to:
    /// the same pictures, and checksums, on every machine and in every run.
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = |text: &str| whole(text, 1, u32::MAX))]
    pub strokes: Option<u32>,
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
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 1, value_parser = |text: &str| whole(text, 1, 100))]
    pub coats: u32,
    /// Painters (parallel, hybrid) or threads (threads) [default: one per allowed core, at most one per painting]
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = |text: &str| whole(text, 1, crate::mode::MAX_PAINTERS))]
    pub painters: Option<u32>,
    /// Cores: `auto` (round-robin over the cores this process may use), `none`, or a list like `0,2-3`.
    #[arg(long, value_name = "auto|none|LIST", default_value = "auto", value_parser = PinParser, hide_possible_values = true)]
    pub pin: Pin,
    /// Chooses the pictures; the same seed paints the same pictures.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Folder for the finished paintings (one subfolder per mode). A mode's
    /// subfolder is cleared of earlier paintings before it runs; one run at a
    /// time may use a folder (a second one is refused).
    #[arg(long, value_name = "DIR", default_value = "atelier-out")]
    pub out: PathBuf,
    /// Async painters: how much painting between two looks at the clock.
    #[arg(long, value_name = "DUR", default_value = "2ms", value_parser = duration, allow_hyphen_values = true)]
    pub slice: Duration,
    /// Paintings handed out in one message, and answered in one: 1 sends
    /// each on its own, as a task queue does [default: auto: when paintings
    /// are shorter than 5ms, guided chunks, as large as Python's Pool.map
    /// sends while many are left and smaller as the queue empties; else 1]
    #[arg(long, allow_negative_numbers = true, value_name = "auto|N", default_value = "auto", value_parser = chunk, hide_default_value = true)]
    pub chunk: Chunk,
    /// When a painter dies, hangs or garbles its output: how many times each of its paintings is handed out again (to a fresh painter on the same cores) before it is reported lost.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 1, value_parser = |text: &str| whole(text, 0, 10))]
    pub retries: u32,
    /// How long a painting may wait in a painter's queue, and then take to paint, before the painter is taken to be hung and stopped [default: 4 × the ideal time of one painting + 5s]
    #[arg(long, value_name = "DUR", value_parser = positive_duration, allow_hyphen_values = true)]
    pub timeout: Option<Duration>,
}

/// The longest duration accepted anywhere: a day. Longer is a typo.
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a duration; `allow_hyphen_values` on the arguments lets a
/// negative one reach this function, so it can say what is wrong with it.
/// `coordinator help --help` as `coordinator help help`, and `help run
/// --help` as `help run`: clap's `help` takes the names of subcommands
/// only, and would refuse `--help` with exit status 2.
fn help_for_help<I, T>(args: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_some_and(|word| word == "help") {
        let asked = args.len();
        args.retain(|word| word != "--help" && word != "-h");
        if args.len() < asked && args.len() == 2 {
            args.push("help".into());
        }
    }
    args
}

/// A whole number from `min` to `max`; a number out of range, negative
/// ones too, is named with the range (clap says which option it was).
fn whole(text: &str, min: u32, max: u32) -> Result<u32, String> {
    let range = if max == u32::MAX { format!("{min} or more") } else { format!("from {min} to {max}") };
    let number: i128 = text.trim().parse().map_err(|_| format!("not a whole number: it must be {range}"))?;
    u32::try_from(number).ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| format!("it must be {range}"))
}

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
/// `--chunk`: paintings handed out in one message, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk(
    /// `None` for `auto`.
    pub Option<u32>,
);

/// Parses `--chunk`: `auto`, or a whole number from 1 to
/// [`crate::model::assign::MAX_CHUNK`].
fn chunk(text: &str) -> Result<Chunk, String> {
    if text == "auto" {
        return Ok(Chunk(None));
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=crate::model::assign::MAX_CHUNK).contains(&n) => Ok(Chunk(Some(n))),
        _ => {
            Err(format!("expected auto, or a whole number of paintings from 1 to {}", crate::model::assign::MAX_CHUNK))
        }
    }
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    let parsed = duration(text)?;
    if parsed.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    Ok(parsed)
}

/// `--pin`'s parser: `auto`, `none` or a list of cores. It names `auto` and
/// `none` as its possible values, so that shell completion offers them
/// (a list is still accepted: the values only help, they do not restrict).
#[derive(Debug, Clone, Copy)]
struct PinParser;

impl TypedValueParser for PinParser {
    type Value = Pin;

    fn parse_ref(&self, command: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<Pin, clap::Error> {
        StringValueParser::new().try_map(|text| text.parse::<Pin>()).parse_ref(command, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let values = [
            PossibleValue::new("auto").help("round-robin over the cores this process may use"),
            PossibleValue::new("none").help("leave the painters unpinned"),
        ];
        Some(Box::new(values.into_iter()))
    }
}

/// Parses the command line; `coordinator` alone means `coordinator compare`,
/// with the `compare` options given beside it. On bad input, prints clap's
/// error and exits 2.
#[must_use]
pub fn parse() -> Cli {
    Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|error| error.exit())
}

impl Cli {
    /// Parses `args` (the program's name first).
    ///
    /// # Errors
    /// Clap's error, ready to print, for anything it does not accept, and
    /// for a `compare` option given before a subcommand
    /// (`coordinator --paintings 6 run`), which would otherwise be ignored.
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Self::command();
        let matches = command.try_get_matches_from_mut(help_for_help(args))?;
        if let Some((name, _)) = matches.subcommand() {
            // The global options (`--quiet`, `--painter`) may go anywhere;
            // the others at the top level are `compare`'s.
            let early = command.get_arguments().filter(|arg| !arg.is_global_set()).find(|arg| {
                matches.value_source(arg.get_id().as_str()) == Some(clap::parser::ValueSource::CommandLine)
            });
            if let Some(arg) = early {
                let flag = arg.get_long().map_or_else(|| arg.get_id().to_string(), |long| format!("--{long}"));
                return Err(command.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("{flag} goes after the subcommand: `coordinator {name} {flag} …`"),
                ));
            }
        }
        Ok(Self::from_arg_matches(&matches)?.with_default_command())
    }

    /// Fills in the command: without a subcommand, `compare` with the
    /// options given at the top level.
    #[must_use]
    pub fn with_default_command(mut self) -> Self {
        if self.command.is_none() {
            self.command = Some(Command::Compare(self.compare.clone()));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(line: &str) -> Cli {
        Cli::try_parse_from(line.split_whitespace())
            .map(Cli::with_default_command)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn bare_coordinator_takes_the_options_of_compare() {
        let Some(Command::Compare(compare)) = parse("coordinator --paintings 6 --modes async,sequential,async").command
        else {
            panic!("bare coordinator is compare");
        };
        assert_eq!(compare.options.workload.paintings, 6);
        assert_eq!(compare.modes.modes(), vec![Mode::Async, Mode::Sequential]);
        let Some(Command::Compare(compare)) = parse("coordinator").command else {
            panic!("bare coordinator is compare")
        };
        assert_eq!(compare.modes.modes(), Mode::ALL.to_vec());
        // Options at the top level do not mix with a subcommand.
        let error = Cli::try_parse_args(["coordinator", "--paintings", "6", "run", "--mode", "async"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("--paintings goes after the subcommand"), "{error}");
        // The global options still go anywhere.
        assert!(parse("coordinator run --mode async --quiet").quiet);
        assert!(parse("coordinator --quiet run --mode async").quiet);
    }

    #[test]
    fn a_later_option_overrides_an_earlier_one() {
        let Some(Command::Run(run)) = parse("coordinator run --mode async --paint 4s --paint 20ms").command else {
            panic!("run");
        };
        assert_eq!(run.options.workload.paint, Duration::from_millis(20));
    }

    #[test]
    fn plan_takes_one_mode_or_several() {
        let Some(Command::Plan(plan)) = parse("coordinator plan --mode async").command else { panic!("plan") };
        assert_eq!(plan.modes.modes(), vec![Mode::Async]);
        let Some(Command::Plan(plan)) = parse("coordinator plan --modes parallel,hybrid").command else {
            panic!("plan")
        };
        assert_eq!(plan.modes.modes(), vec![Mode::Parallel, Mode::Hybrid]);
    }

    #[test]
    fn pin_offers_auto_and_none_but_takes_a_list() {
        let values: Vec<String> =
            PinParser.possible_values().into_iter().flatten().map(|v| v.get_name().to_owned()).collect();
        assert_eq!(values, ["auto", "none"]);
        let Some(Command::Compare(compare)) = parse("coordinator --pin 0,2-3").command else { panic!("compare") };
        assert_eq!(compare.options.workload.pin, Pin::List(vec![0, 2, 3]));
        let mut script = Vec::new();
        clap_complete::generate(clap_complete::Shell::Bash, &mut Cli::command(), "coordinator", &mut script);
        let script = String::from_utf8(script).expect("utf-8");
        assert!(script.contains("auto none"), "bash completes --pin with auto and none");
    }

    #[test]
    fn examples_fit_an_unwrapped_help() {
        // clap wraps help at 100 columns when it cannot ask a terminal: an
        // example wider than that would be cut in two, and its command with it.
        for examples in ALL_EXAMPLES {
            for line in examples.lines().skip(1) {
                // Each command alone on its line, its description on the next,
                // indented further: at any width, neither runs into the other.
                assert!(line.chars().count() <= 80, "too wide for --help: {line}");
                let command = line.strip_prefix("  ").filter(|l| !l.starts_with(' '));
                match command {
                    Some(command) => assert!(
                        command.starts_with("coordinator") || command.starts_with("source "),
                        "not a command: {line}"
                    ),
                    None => assert!(line.starts_with("      ") && !line.contains("coordinator "), "{line}"),
                }
                assert!(!line.trim().contains("   "), "a command and its description on one line: {line}");
            }
        }
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
