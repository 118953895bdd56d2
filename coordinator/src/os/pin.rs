//! Which cores painters run on.
//!
//! The cores a process may use are not always `0..nproc`: `taskset`,
//! cgroups and container limits shrink the set. So the coordinator asks the
//! kernel (`sched_getaffinity`) which cores *it* may use, and hands those
//! out round-robin; a painter then pins itself with `sched_setaffinity`.

use std::fmt;
use std::str::FromStr;

use anyhow::Context;
use nix::sched::{CpuSet, sched_getaffinity};
use nix::unistd::Pid;

/// The cores this process may run on, in increasing order.
///
/// # Errors
/// If the kernel will not say.
pub fn allowed_cores() -> anyhow::Result<Vec<u32>> {
    let set = sched_getaffinity(Pid::from_raw(0)).context("sched_getaffinity")?;
    let cores: Vec<u32> = (0..CpuSet::count())
        .filter(|&core| set.is_set(core).unwrap_or(false))
        .filter_map(|core| u32::try_from(core).ok())
        .collect();
    anyhow::ensure!(!cores.is_empty(), "this process may run on no core at all");
    Ok(cores)
}

/// `--pin`: how to choose cores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// Round-robin over the allowed cores.
    Auto,
    /// Leave painters where the scheduler puts them.
    None,
    /// Round-robin over these cores.
    List(Vec<u32>),
}

impl Pin {
    /// The cores to hand out round-robin, or `None` for unpinned painters.
    ///
    /// # Errors
    /// If a listed core is not one this process may use.
    pub fn cores(&self, allowed: &[u32]) -> anyhow::Result<Option<Vec<u32>>> {
        match self {
            Self::Auto => Ok(Some(allowed.to_vec())),
            Self::None => Ok(None),
            Self::List(cores) => {
                if let Some(bad) = cores.iter().find(|core| !allowed.contains(core)) {
                    anyhow::bail!("--pin: core {bad} is not one this process may use (allowed: {})", CoreList(allowed));
                }
                Ok(Some(cores.clone()))
            }
        }
    }
}

impl FromStr for Pin {
    type Err = String;

    /// `auto`, `none`, or a list of cores and ranges: `0,2-3`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => return Ok(Self::Auto),
            "none" => return Ok(Self::None),
            _ => {}
        }
        let mut cores = Vec::new();
        for part in text.split(',') {
            let number = |s: &str| s.trim().parse::<u32>().map_err(|_| format!("`{s}` is not a core number"));
            match part.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (number(first)?, number(last)?);
                    if first > last {
                        return Err(format!("`{part}` is an empty range"));
                    }
                    if last - first >= 4096 {
                        return Err(format!("`{part}` names more cores than any machine has"));
                    }
                    cores.extend(first..=last);
                }
                None => cores.push(number(part)?),
            }
        }
        cores.dedup();
        Ok(Self::List(cores))
    }
}

/// The `i`-th of `n` painters gets `cores[i % len]`.
#[must_use]
pub fn round_robin(cores: &[u32], n: usize) -> Vec<u32> {
    cores.iter().copied().cycle().take(n).collect()
}

/// A list of cores written the way `taskset` and `/proc` write them: `0-3,6`.
#[derive(Debug, Clone, Copy)]
pub struct CoreList<'a>(pub &'a [u32]);

impl fmt::Display for CoreList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sorted = self.0.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut i = 0;
        while i < sorted.len() {
            let mut j = i;
            while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
                j += 1;
            }
            if i > 0 {
                f.write_str(",")?;
            }
            if j > i {
                write!(f, "{}-{}", sorted[i], sorted[j])?;
            } else {
                write!(f, "{}", sorted[i])?;
            }
            i = j + 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges() {
        assert_eq!("auto".parse(), Ok(Pin::Auto));
        assert_eq!("none".parse(), Ok(Pin::None));
        assert_eq!("0,2-4".parse(), Ok(Pin::List(vec![0, 2, 3, 4])));
        assert!("x".parse::<Pin>().is_err());
        assert!("3-1".parse::<Pin>().is_err());
        assert!("".parse::<Pin>().is_err());
    }

    #[test]
    fn refuses_cores_outside_the_allowed_set() {
        let err = Pin::List(vec![0, 9]).cores(&[0, 1]).expect_err("9 is not allowed");
        assert!(err.to_string().contains("core 9"), "{err}");
        assert_eq!(Pin::List(vec![1]).cores(&[0, 1]).expect("allowed"), Some(vec![1]));
    }

    #[test]
    fn round_robin_wraps() {
        assert_eq!(round_robin(&[0, 1], 3), vec![0, 1, 0]);
    }

    #[test]
    fn writes_ranges() {
        assert_eq!(CoreList(&[0, 1, 2, 3, 6]).to_string(), "0-3,6");
        assert_eq!(CoreList(&[5]).to_string(), "5");
    }

    #[test]
    fn this_process_may_use_some_core() {
        assert!(!allowed_cores().expect("affinity").is_empty());
    }
}
