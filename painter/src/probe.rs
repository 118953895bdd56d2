//! `painter --probe`: what a coordinator needs to know about a host before
//! it plans painters there, in one line on stdout.
//!
//! ```text
//! atelier-probe protocol=4 host=h2 boot=5b0c…-… cores=1
//! ```
//!
//! `cores` is this process's own `sched_getaffinity` — the cores this user
//! may use on that host, as `taskset`, cgroups or Slurm left them — not the
//! machine's count. `boot` is the kernel's boot id, which tells two hosts
//! that are one machine apart from two machines.
//!
//! Inside a Slurm job the line also says `slurm_cpus=N`, the CPUs the job
//! has on this node (`SLURM_CPUS_ON_NODE`): the node's own answer. A node
//! may offer fewer than its machine's affinity shows — Slurm without
//! task/affinity or cgroups leaves a step every core of the machine — and
//! then a coordinator plans no more painters there than the node offers.

use nix::sched::sched_getaffinity;
use nix::unistd::Pid;

/// The line's first word, so that a coordinator can find it among whatever
/// else a login prints.
pub const TAG: &str = "atelier-probe";

/// The probe's line, without its newline.
///
/// # Errors
/// If the kernel will not say which cores this process may use.
pub fn line() -> Result<String, nix::Error> {
    let set = sched_getaffinity(Pid::from_raw(0))?;
    let cores: Vec<String> = (0..nix::sched::CpuSet::count())
        .filter(|&core| set.is_set(core).unwrap_or(false))
        .map(|c| c.to_string())
        .collect();
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|id| id.trim().to_owned());
    let slurm = slurm_cpus(std::env::var("SLURM_CPUS_ON_NODE").ok().as_deref());
    Ok(format!(
        "{TAG} protocol={} host={} boot={} cores={}{}",
        protocol::PROTOCOL_VERSION,
        word(&protocol::handshake::host_name()),
        word(&boot.unwrap_or_default()),
        cores.join(","),
        slurm.map(|n| format!(" slurm_cpus={n}")).unwrap_or_default()
    ))
}

/// `SLURM_CPUS_ON_NODE` as a count, if it is one: anything else is not
/// Slurm's answer, and is left out of the line.
fn slurm_cpus(value: Option<&str>) -> Option<u32> {
    value?.trim().parse().ok().filter(|&n| n > 0)
}

/// `text` as one word: spaces (which no host name or boot id holds) become `_`.
fn word(text: &str) -> String {
    if text.is_empty() { "-".to_owned() } else { text.replace(char::is_whitespace, "_") }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_this_host_and_its_cores() {
        let line = super::line().expect("affinity");
        assert!(line.starts_with("atelier-probe protocol="), "{line}");
        let cores = line.split(' ').find_map(|w| w.strip_prefix("cores=")).expect("cores");
        assert!(!cores.is_empty() && cores.split(',').all(|c| c.parse::<u32>().is_ok()), "{line}");
    }

    #[test]
    fn slurms_count_is_said_only_when_it_is_one() {
        assert_eq!(super::slurm_cpus(Some("2")), Some(2));
        for not in [None, Some(""), Some("0"), Some("2(x3)"), Some("-1"), Some("two")] {
            assert_eq!(super::slurm_cpus(not), None, "{not:?}");
        }
    }
}
