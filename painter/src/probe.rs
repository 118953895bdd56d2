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
//!
//! `painter --probe --then-serve` says the same line with `serves=1` at
//! its end, and stays: the coordinator may then make it that host's first
//! painter, instead of starting another one there (over srun, a second job
//! step, which costs as much as the first). It waits on stdin for [`told`]:
//! `atelier-serve N`, a newline, and N bytes of the painter's arguments,
//! each ending in a NUL (no argument can hold one); it then runs as a
//! painter started with them. Stdin ending first means the coordinator
//! went on without it, and the probe exits.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;

use nix::sched::sched_getaffinity;
use nix::unistd::Pid;

/// The line's first word, so that a coordinator can find it among whatever
/// else a login prints.
pub const TAG: &str = "atelier-probe";

/// The first word of what a coordinator tells a probe that stays.
pub const SERVE: &str = "atelier-serve";

/// The most bytes of arguments a probe that stays reads: a painter's
/// command line is a few hundred.
pub const MOST_TOLD: usize = 64 * 1024;

/// The probe's line, without its newline; `serves=1` at its end when the
/// probe stays to be told what to paint as (`--then-serve`).
///
/// # Errors
/// If the kernel will not say which cores this process may use.
pub fn line(serves: bool) -> Result<String, nix::Error> {
    let set = sched_getaffinity(Pid::from_raw(0))?;
    let cores: Vec<String> = (0..nix::sched::CpuSet::count())
        .filter(|&core| set.is_set(core).unwrap_or(false))
        .map(|c| c.to_string())
        .collect();
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|id| id.trim().to_owned());
    let slurm = slurm_cpus(std::env::var("SLURM_CPUS_ON_NODE").ok().as_deref());
    Ok(format!(
        "{TAG} protocol={} host={} boot={} cores={}{}{}",
        protocol::PROTOCOL_VERSION,
        word(&protocol::handshake::host_name()),
        word(&boot.unwrap_or_default()),
        cores.join(","),
        slurm.map(|n| format!(" slurm_cpus={n}")).unwrap_or_default(),
        if serves { " serves=1" } else { "" }
    ))
}

/// What the coordinator tells a probe that stays: the arguments it is to
/// paint with, or `None` if `input` ends before a word of it (the
/// coordinator went on without this probe).
///
/// `input` is read a byte at a time up to the header's newline, then
/// exactly the bytes it announces: nothing after them is taken from it,
/// for what follows is the protocol's, read by the painter.
///
/// # Errors
/// What was wrong with what was said, in one line.
pub fn told(input: &mut impl Read) -> Result<Option<Vec<OsString>>, String> {
    let mut header = Vec::new();
    let mut byte = [0u8];
    loop {
        match input.read(&mut byte) {
            Ok(0) if header.is_empty() => return Ok(None),
            Ok(0) => return Err("stdin ended inside the line that says what to paint as".to_owned()),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if header.len() >= 64 => return Err(format!("expected `{SERVE} N` on stdin, not a longer line")),
            Ok(_) => header.push(byte[0]),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(format!("cannot read stdin: {error}")),
        }
    }
    let header = String::from_utf8_lossy(&header);
    let size = header
        .strip_prefix(SERVE)
        .and_then(|rest| rest.strip_prefix(' '))
        .and_then(|n| n.parse::<usize>().ok())
        .ok_or_else(|| format!("expected `{SERVE} N` on stdin, not `{}`", header.escape_default()))?;
    if size > MOST_TOLD {
        return Err(format!("{size} bytes of arguments is more than the {MOST_TOLD} a painter takes"));
    }
    let mut words = vec![0u8; size];
    input.read_exact(&mut words).map_err(|error| format!("cannot read the {size} bytes of arguments: {error}"))?;
    let Some(words) = words.strip_suffix(&[0]) else {
        return Err("the arguments do not end in a NUL".to_owned());
    };
    Ok(Some(words.split(|&b| b == 0).map(|word| OsString::from_vec(word.to_vec())).collect()))
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
        let line = super::line(false).expect("affinity");
        assert!(line.starts_with("atelier-probe protocol="), "{line}");
        assert!(!line.contains("serves="), "{line}");
        assert!(super::line(true).expect("affinity").ends_with(" serves=1"));
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

    #[test]
    fn a_probe_that_stays_is_told_its_arguments_and_reads_no_further() {
        use std::io::{Cursor, Read};
        let said = b"atelier-serve 15\n--id\x003\x00/my out\x00FRAMES".to_vec();
        let mut input = Cursor::new(said);
        let words = super::told(&mut input).expect("reads").expect("told");
        assert_eq!(words, ["--id", "3", "/my out"].map(std::ffi::OsString::from));
        let mut rest = String::new();
        input.read_to_string(&mut rest).expect("the rest");
        assert_eq!(rest, "FRAMES", "what follows the arguments is left for the protocol");
        // The coordinator went on without it.
        assert_eq!(super::told(&mut Cursor::new(Vec::new())), Ok(None));
        let wrong = |bytes: &[u8]| super::told(&mut Cursor::new(bytes.to_vec())).expect_err("refused");
        assert_eq!(wrong(b"hello\n"), "expected `atelier-serve N` on stdin, not `hello`");
        assert_eq!(
            wrong(b"atelier-serve 99999999\n"),
            "99999999 bytes of arguments is more than the 65536 a painter takes"
        );
        assert!(wrong(b"atelier-serve 9\n--id\x00").starts_with("cannot read the 9 bytes"));
        assert_eq!(wrong(b"atelier-serve 4\n--id"), "the arguments do not end in a NUL");
        assert_eq!(wrong(b"atelier-se"), "stdin ended inside the line that says what to paint as");
        assert!(wrong(&[b'x'; 100]).contains("not a longer line"));
    }
}
