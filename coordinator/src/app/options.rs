//! The command line made into the domain's values, once, here at the top
//! (as hyperfine's `options.rs` does): nothing below `app` reads `cli`.
//!
//! A run's workload has one author: [`workload`], which reads the
//! workload's options together with the hosts that answered, if any.

use std::path::PathBuf;

use anyhow::bail;

use super::cli::{Cli, Command, FileArgs, HostsArgs, RunOptions, WorkloadArgs};
use crate::hosts::{self, Cluster, HostReport};
use crate::mode::MAX_PAINTERS;
use crate::mode::Mode;
use crate::os::pin;
use crate::report::files::Files;
use crate::workload::Workload;

/// What a `run` or a `compare` asks for.
#[derive(Debug)]
pub struct Invocation {
    /// The modes, in order: one for `run`.
    pub modes: Vec<Mode>,
    /// A `compare` (speedups against sequential), not a `run`.
    pub compare: bool,
    /// One JSON object instead of the report.
    pub json: bool,
    /// No live display and no notes on stderr.
    pub quiet: bool,
    /// `--painter`, if given.
    pub painter: Option<PathBuf>,
    /// The workload's options, read by [`workload`] once the hosts are known.
    pub workload: WorkloadArgs,
    /// The files to write beside the report.
    pub files: Files,
    /// Where painters run beyond this machine: `None` without `--hosts`.
    pub hosts: Option<hosts::Request>,
}

/// What the command line asks for: a run (or a compare), or something
/// that is done at once and says nothing more (`plan`, `completions`).
#[derive(Debug)]
pub enum Asked {
    /// `run` or `compare`.
    Run(Box<Invocation>),
    /// `plan`.
    Plan(Box<super::cli::PlanArgs>),
    /// `completions`.
    Completions(clap_complete::Shell),
}

/// Reads the parsed command line.
///
/// # Errors
/// For host options that cannot be read (a hostfile that is not there).
pub fn asked(cli: Cli) -> anyhow::Result<Asked> {
    let (modes, compare, json, options): (Vec<Mode>, bool, bool, RunOptions) = match cli.command {
        Some(Command::Run(run)) => (vec![run.mode], false, run.json, run.options),
        Some(Command::Compare(compare)) => (compare.modes.modes(), true, compare.json, compare.options),
        Some(Command::Plan(plan)) => return Ok(Asked::Plan(Box::new(plan))),
        Some(Command::Completions { shell }) => return Ok(Asked::Completions(shell)),
        None => bail!("no command"),
    };
    let RunOptions { workload, files, hosts } = options;
    Ok(Asked::Run(Box::new(Invocation {
        modes,
        compare,
        json,
        quiet: cli.quiet,
        painter: cli.painter,
        files: files_of(files),
        hosts: hosts_of(&hosts, &workload)?,
        workload,
    })))
}

fn files_of(args: FileArgs) -> Files {
    Files { svg: args.svg, trace: args.trace }
}

fn hosts_of(args: &HostsArgs, workload: &WorkloadArgs) -> anyhow::Result<Option<hosts::Request>> {
    let specs = match (&args.hosts, &args.hostfile) {
        (None, None) => {
            if args.launcher.is_some() || args.remote_painter.is_some() {
                bail!("--launcher and --remote-painter need --hosts or --hostfile");
            }
            return Ok(None);
        }
        (Some(list), None) => hosts::spec::parse_list(list)?,
        (None, Some(file)) => hosts::spec::read_file(file)?,
        (Some(_), Some(_)) => bail!("give --hosts or --hostfile, not both"),
    };
    let launcher = args.launcher.clone().unwrap_or(hosts::Launcher::Ssh);
    if launcher != hosts::Launcher::Ssh
        && let Some(spec) = specs.iter().find(|spec| spec.port.is_some())
    {
        bail!("host {} has a port, which only --launcher ssh logs in on", spec.name);
    }
    if workload.pin != pin::Pin::Auto {
        bail!("--pin cannot be used with --hosts: painters are pinned to the cores each host offers");
    }
    Ok(Some(hosts::Request {
        painters: workload.painters,
        specs,
        launcher,
        remote_painter: args.remote_painter.clone(),
        fanout: usize::try_from(args.fanout).unwrap_or(1).max(1),
    }))
}

/// The workload, checked against this machine and, with `--hosts`, sized
/// to the cores the hosts offer (unless `--painters` says otherwise).
///
/// # Errors
/// If `--pin` names a core this process may not use.
pub fn workload(args: &WorkloadArgs, cluster: Option<&Cluster>) -> anyhow::Result<Workload> {
    let allowed_cores = pin::allowed_cores()?;
    let cores = args.pin.cores(&allowed_cores)?;
    let available = cores.as_ref().map_or(allowed_cores.len(), Vec::len);
    let default_workers = u32::try_from(available).unwrap_or(u32::MAX).min(args.paintings).max(1);
    let (file_wait, net_wait) = match (args.file_wait, args.net_wait) {
        (None, None) => (args.dry / 2, args.dry - args.dry / 2),
        (file, net) => (file.unwrap_or_default(), net.unwrap_or_default()),
    };
    let mut workload = Workload {
        paintings: args.paintings,
        coats: args.coats,
        paint: args.paint,
        file_wait,
        net_wait,
        strokes: args.strokes,
        hosts: None,
        workers: args.painters.unwrap_or(default_workers),
        cores,
        allowed_cores,
        seed: args.seed,
        out: args.out.clone(),
        slice: args.slice,
        retries: args.retries,
        chunk: args.chunk.0,
        timeout: args.timeout,
    };
    if let Some(cluster) = cluster {
        let offered = u32::try_from(cluster.total_cores()).unwrap_or(u32::MAX).min(MAX_PAINTERS);
        workload.workers = args.painters.unwrap_or(offered.min(workload.paintings)).max(1);
        workload.hosts = Some(cluster.hosts.iter().map(|host| HostReport::of(host, &cluster.launcher)).collect());
    }
    Ok(workload)
}
