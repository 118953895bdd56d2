//! `--hosts LIST` and `--hostfile FILE`, with GNU parallel's meaning.
//!
//! A list is host entries separated by commas (a hostfile: by lines, `#`
//! starts a comment). An entry is a host name, optionally `user@` before it
//! and `N/` before that to use at most N of its cores: `h1,4/h2,:` is every
//! core `h1` allows, at most 4 of `h2`'s, and `:` — this machine, reached
//! without any launcher.
//!
//! A host name reaches a remote shell (ssh hands its destination to one, and
//! a template may too), so only the characters of a host name are accepted:
//! `h1;touch x` is refused here, before anything runs.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};

/// The longest `--hostfile` read, in bytes: far more than any list of
/// hosts, and a bound on what `--hostfile /dev/zero` makes us hold.
const MAX_HOSTFILE: u64 = 1 << 20;

/// One entry of `--hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The name as given (`h1`, `root@h1`), or `:` for this machine.
    pub name: String,
    /// At most this many of the host's cores (`N/host`).
    pub max_cores: Option<u32>,
}

impl HostSpec {
    /// Whether this is `:`, this machine, reached without a launcher.
    #[must_use]
    pub fn is_local(&self) -> bool {
        self.name == ":"
    }

    /// The host name without its `user@`, as Slurm knows the node.
    #[must_use]
    pub fn node(&self) -> &str {
        self.name.rsplit_once('@').map_or(&self.name, |(_, host)| host)
    }
}

/// Parses `--hosts`.
///
/// # Errors
/// For an empty list, a bad entry (named, with what is wrong), or a host
/// given twice.
pub fn parse_list(text: &str) -> anyhow::Result<Vec<HostSpec>> {
    let hosts = text.split(',').map(str::trim).filter(|e| !e.is_empty()).map(entry).collect::<Result<Vec<_>, _>>()?;
    finish(hosts, "--hosts")
}

/// Reads `--hostfile`: one entry per line (or several, separated by commas).
///
/// # Errors
/// If the file cannot be read, or as [`parse_list`].
pub fn read_file(path: &Path) -> anyhow::Result<Vec<HostSpec>> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_HOSTFILE + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read --hostfile {}", path.display()))?;
    if text.len() as u64 > MAX_HOSTFILE {
        bail!("--hostfile {} is longer than {} MiB: is it a list of hosts?", path.display(), MAX_HOSTFILE >> 20);
    }
    let mut hosts = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for e in line.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            hosts.push(entry(e).with_context(|| format!("--hostfile {} line {}", path.display(), number + 1))?);
        }
    }
    finish(hosts, &format!("--hostfile {}", path.display()))
}

fn finish(hosts: Vec<HostSpec>, what: &str) -> anyhow::Result<Vec<HostSpec>> {
    if hosts.is_empty() {
        bail!("{what} names no host");
    }
    for (i, host) in hosts.iter().enumerate() {
        if hosts[..i].iter().any(|h| h.name == host.name) {
            bail!("{what}: host {} is given twice", host.name);
        }
    }
    Ok(hosts)
}

/// One entry: `[N/][user@]host` or `[N/]:`.
fn entry(text: &str) -> anyhow::Result<HostSpec> {
    let (max_cores, name) = match text.split_once('/') {
        Some((n, name)) if !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()) => {
            let n: u32 = n.trim().parse().ok().filter(|&n| n > 0).with_context(|| {
                format!("--hosts: '{text}': before '/' comes a number of cores, at least 1 and at most {}", u32::MAX)
            })?;
            (Some(n), name.trim())
        }
        _ => (None, text),
    };
    if name != ":" {
        check_name(name).map_err(|why| anyhow::anyhow!("--hosts: '{text}' is not a host name: {why}"))?;
    }
    Ok(HostSpec { name: name.to_owned(), max_cores })
}

/// A host name, or `user@host`: letters, digits, `.`, `-`, `_`, not
/// starting with `-` (which a launcher would take for an option).
fn check_name(name: &str) -> Result<(), String> {
    let (user, host) = name.rsplit_once('@').map_or((None, name), |(u, h)| (Some(u), h));
    for (part, what) in [(Some(host), "the host"), (user, "the user")] {
        let Some(part) = part else { continue };
        if part.is_empty() {
            return Err(format!("{what} is empty"));
        }
        if part.starts_with('-') {
            return Err(format!("{what} starts with '-'"));
        }
        if let Some(bad) = part.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))) {
            return Err(format!("{what} holds {bad:?} (allowed: letters, digits, '.', '-', '_')"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnu_parallel_lists() {
        let hosts = parse_list("h1,4/h2,:").expect("parses");
        assert_eq!(
            hosts,
            vec![
                HostSpec { name: "h1".into(), max_cores: None },
                HostSpec { name: "h2".into(), max_cores: Some(4) },
                HostSpec { name: ":".into(), max_cores: None },
            ]
        );
        assert!(hosts[2].is_local());
        assert_eq!(parse_list("root@h1").expect("parses")[0].node(), "h1");
    }

    #[test]
    fn shell_characters_are_refused() {
        for bad in ["h1;touch x", "h1 h2", "$(reboot)", "-oProxyCommand=x", "h1`id`", "0/h1", "x/h1", "a@", "h'1"] {
            let error = parse_list(bad).expect_err(bad).to_string();
            assert!(error.starts_with("--hosts: '"), "{bad}: {error}");
        }
        assert!(parse_list(" , ").is_err());
        assert!(parse_list("h1,h1").is_err());
    }

    #[test]
    fn hostfiles_have_lines_and_comments() {
        let dir = std::env::temp_dir().join(format!("atelier-hostfile-{}", std::process::id()));
        std::fs::write(&dir, "# the test hosts\nh1\n2/h2  # two cores\n\n").expect("writes");
        let hosts = read_file(&dir).expect("reads");
        let _ = std::fs::remove_file(&dir);
        assert_eq!(
            hosts.iter().map(|h| (h.name.as_str(), h.max_cores)).collect::<Vec<_>>(),
            [("h1", None), ("h2", Some(2))]
        );
    }

    #[test]
    fn a_hostfile_without_end_is_refused_after_a_mebibyte() {
        let started = std::time::Instant::now();
        let error = format!("{:#}", read_file(Path::new("/dev/zero")).expect_err("refused"));
        assert_eq!(error, "--hostfile /dev/zero is longer than 1 MiB: is it a list of hosts?");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    }
}
