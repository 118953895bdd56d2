//! `--hosts LIST` and `--hostfile FILE`, as users already write them for
//! GNU parallel (`--sshlogin`, `--sshloginfile`) and for MPI (hostfiles).
//!
//! A list is host entries separated by commas. An entry is a host name,
//! optionally `user@` before it, `:PORT` after it (the port ssh logs in on),
//! and `N/` before all that to use at most N of its cores: `h1,4/h2,:` is
//! every core `h1` allows, at most 4 of `h2`'s, and `:` — this machine,
//! reached without any launcher.
//!
//! A hostfile has an entry per line (or several, separated by commas);
//! `#` starts a comment, and blank lines are skipped. After a host, a line
//! may say how many of its cores to use as MPI does: `h1 slots=4` (Open
//! MPI's `max_slots=N` is read the same way). Where the two conventions
//! disagree, the one that names a login wins: `h1:4` is port 4, as for ssh,
//! not MPICH's four processes — `4/h1` or `h1 slots=4` says that. A line
//! that cannot be read is refused with its number and what is wrong.
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
    /// The name as given (`h1`, `root@h1`, `root@h1:2222`), or `:` for this
    /// machine: how reports name the host.
    pub name: String,
    /// At most this many of the host's cores (`N/host`, `slots=N`).
    pub max_cores: Option<u32>,
    /// The port ssh logs in on (`host:PORT`), if not its default.
    pub port: Option<u16>,
}

impl HostSpec {
    /// A host given by name alone: every core it offers, ssh's own port.
    #[cfg(test)]
    #[must_use]
    pub fn named(name: &str) -> Self {
        Self { name: name.to_owned(), max_cores: None, port: None }
    }

    /// Whether this is `:`, this machine, reached without a launcher.
    #[must_use]
    pub fn is_local(&self) -> bool {
        self.name == ":"
    }

    /// Where ssh (or a template's `{host}`) goes: `[user@]host`, without
    /// the port, which ssh takes on its own (`-p`).
    #[must_use]
    pub fn destination(&self) -> &str {
        match self.port {
            Some(_) => self.name.rsplit_once(':').map_or(&self.name, |(destination, _)| destination),
            None => &self.name,
        }
    }

    /// The host name without its `user@` and `:port`, as Slurm knows the node.
    #[must_use]
    pub fn node(&self) -> &str {
        let destination = self.destination();
        destination.rsplit_once('@').map_or(destination, |(_, host)| host)
    }
}

/// Parses `--hosts`.
///
/// # Errors
/// For an empty list, a bad entry (named, with what is wrong), or a host
/// given twice.
pub fn parse_list(text: &str) -> anyhow::Result<Vec<HostSpec>> {
    let mut hosts = Vec::new();
    for e in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        hosts.push(entry(e).map_err(|why| anyhow::anyhow!("--hosts: {why}"))?);
    }
    finish(hosts, "--hosts")
}

/// Reads `--hostfile`: one entry per line (or several, separated by
/// commas), each optionally followed by `slots=N` or `max_slots=N`.
///
/// # Errors
/// If the file cannot be read, for a line that cannot be read (its number
/// and why), or as [`parse_list`].
pub fn read_file(path: &Path) -> anyhow::Result<Vec<HostSpec>> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_HOSTFILE + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read --hostfile {}", path.display()))?;
    if text.len() as u64 > MAX_HOSTFILE {
        bail!("--hostfile {} is longer than {} MiB: is it a list of hosts?", path.display(), MAX_HOSTFILE >> 20);
    }
    let what = format!("--hostfile {}", path.display());
    let hosts = parse_lines(&text).map_err(|(number, why)| anyhow::anyhow!("{what} line {number}: {why}"))?;
    finish(hosts, &what)
}

/// The entries of a hostfile's text, or the first bad line's number
/// (from 1) and what is wrong with it.
fn parse_lines(text: &str) -> Result<Vec<HostSpec>, (usize, String)> {
    let mut hosts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for part in line.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            hosts.push(file_entry(part).map_err(|why| (index + 1, why))?);
        }
    }
    Ok(hosts)
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

/// A hostfile's entry: `[N/][user@]host[:port]` and then, MPI's way,
/// `slots=N` or `max_slots=N`.
fn file_entry(text: &str) -> Result<HostSpec, String> {
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("");
    let mut host = entry(first)?;
    let mut given: Option<(&str, u32)> = None;
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!(
                "after the host '{first}' comes '{word}', where only slots=N or max_slots=N may (a login command such as 'ssh -p 2222 h1' is written h1:2222)"
            ));
        };
        if !matches!(key, "slots" | "max_slots") {
            return Err(format!("'{word}': {key} is not known here (known: slots=N, max_slots=N)"));
        }
        let n =
            value.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!("'{word}': {key} takes a number of cores, at least 1 and at most {}", u32::MAX)
            })?;
        // Open MPI's slots is the count to use and max_slots the most it
        // may oversubscribe to; a painter per core takes the smaller.
        given = Some(match given {
            Some((earlier, _)) if earlier == key => return Err(format!("{key} is given twice")),
            Some((earlier, m)) => (earlier, m.min(n)),
            None => (key, n),
        });
    }
    if let Some((key, n)) = given {
        if let Some(cut) = host.max_cores {
            return Err(format!("'{text}' gives its cores twice: {cut}/ before the host and {key}= after it"));
        }
        host.max_cores = Some(n);
    }
    Ok(host)
}

/// One entry: `[N/][user@]host[:port]` or `[N/]:`. The error names the
/// entry and what is wrong with it.
fn entry(text: &str) -> Result<HostSpec, String> {
    let (max_cores, name) = match text.split_once('/') {
        Some((n, name)) if !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()) => {
            let n: u32 = n.trim().parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!("'{text}': before '/' comes a number of cores, at least 1 and at most {}", u32::MAX)
            })?;
            (Some(n), name.trim())
        }
        _ => (None, text),
    };
    if name == ":" {
        return Ok(HostSpec { name: name.to_owned(), max_cores, port: None });
    }
    let (destination, port) = match name.rsplit_once(':') {
        Some((destination, port)) => {
            let port = port.parse::<u16>().ok().filter(|&p| p > 0 && port.bytes().all(|b| b.is_ascii_digit()));
            let port = port.ok_or_else(|| format!("'{text}': after ':' comes a port, from 1 to 65535"))?;
            (destination, Some(port))
        }
        None => (name, None),
    };
    check_name(destination).map_err(|why| format!("'{text}' is not a host name: {why}"))?;
    Ok(HostSpec { name: name.to_owned(), max_cores, port })
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
            vec![HostSpec::named("h1"), HostSpec { max_cores: Some(4), ..HostSpec::named("h2") }, HostSpec::named(":"),]
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
    fn a_port_goes_to_ssh_and_not_into_the_node() {
        let host = &parse_list("root@h1:2222").expect("parses")[0];
        assert_eq!(
            (host.name.as_str(), host.destination(), host.node(), host.port),
            ("root@h1:2222", "root@h1", "h1", Some(2222))
        );
        for bad in ["h1:", "h1:0", "h1:65536", "h1:22x", "h1:+22", ":22"] {
            let error = parse_list(bad).expect_err(bad).to_string();
            assert!(error.starts_with(&format!("--hosts: '{bad}'")), "{bad}: {error}");
        }
    }

    /// The forms of GNU parallel's --sshloginfile and of MPI's hostfiles, in one file.
    #[test]
    fn hostfiles_are_read_as_users_write_them() {
        let text =
            "# the test hosts\nh1\n2/h2  # two cores\n\nh3 slots=3\nroot@h4:2222 max_slots=4 slots=1\n  h5 ,6/h6\n:\n";
        let hosts = parse_lines(text).expect("reads");
        assert_eq!(
            hosts.iter().map(|h| (h.name.as_str(), h.max_cores, h.port)).collect::<Vec<_>>(),
            [
                ("h1", None, None),
                ("h2", Some(2), None),
                ("h3", Some(3), None),
                ("root@h4:2222", Some(1), Some(2222)),
                ("h5", None, None),
                ("h6", Some(6), None),
                (":", None, None),
            ]
        );
    }

    #[test]
    fn a_hostfile_line_that_cannot_be_read_is_named_by_its_number() {
        for (text, line, why) in [
            ("h1\nh2 slots=0\n", 2, "'slots=0': slots takes a number of cores, at least 1 and at most 4294967295"),
            ("h1\n\n# x\nh2 cpu=4\n", 4, "'cpu=4': cpu is not known here (known: slots=N, max_slots=N)"),
            (
                "ssh -p 2222 h1\n",
                1,
                "after the host 'ssh' comes '-p', where only slots=N or max_slots=N may (a login command such as 'ssh -p 2222 h1' is written h1:2222)",
            ),
            ("2/h1 slots=2\n", 1, "'2/h1 slots=2' gives its cores twice: 2/ before the host and slots= after it"),
            ("h1 slots=2 slots=3\n", 1, "slots is given twice"),
            (
                "h1\nh1;reboot\n",
                2,
                "'h1;reboot' is not a host name: the host holds ';' (allowed: letters, digits, '.', '-', '_')",
            ),
            ("h1:ssh\n", 1, "'h1:ssh': after ':' comes a port, from 1 to 65535"),
        ] {
            assert_eq!(parse_lines(text), Err((line, why.to_owned())), "{text:?}");
        }
        // And whole, as the user sees it: one line naming the file and the line.
        let path = std::env::temp_dir().join(format!("atelier-hostfile-bad-{}", std::process::id()));
        std::fs::write(&path, "h1\n0/h2\n").expect("writes");
        let error = format!("{:#}", read_file(&path).expect_err("refused"));
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            error,
            format!(
                "--hostfile {} line 2: '0/h2': before '/' comes a number of cores, at least 1 and at most 4294967295",
                path.display()
            )
        );
        assert!(!error.contains('\n'));
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
