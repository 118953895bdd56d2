//! How a painter is started on another host: the command that carries its
//! stdin and stdout there.
//!
//! Three launchers, each a [`std::process::Command`] whose child is the
//! local end of the painter's pipes:
//!
//! - `ssh`: `ssh -T -o BatchMode=yes -o ServerAliveInterval=… HOST 'exec …'`.
//!   Never a pseudo-terminal (`-t` would translate bytes of the binary
//!   frames); never a password prompt; a dead link noticed within seconds.
//!   ssh hands the remote shell one string, so every word of the painter's
//!   command is quoted here, and the string starts with `exec` so that the
//!   painter is sshd's own child, which the session's end reaches.
//! - `srun`: one job step per painter (srun would give its stdin to every
//!   task of a step), `-u` so that output without a newline — every binary
//!   frame — is passed on at once, `--overlap` so that steps share the
//!   allocation's cores, and `--cpu-bind=map_cpu:CORE` on a host that
//!   offers more than one core.
//! - a template with `{host}` and `{cmd}` (the painter's command as separate
//!   words, no shell) or `{qcmd}` (as one quoted string for a remote shell,
//!   starting with `exec`): `ip netns exec {host} {cmd}`,
//!   `docker exec -i {host} {cmd}`.

use std::ffi::OsString;
use std::process::Command;
use std::str::FromStr;

/// `--launcher`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launcher {
    /// OpenSSH's client.
    Ssh,
    /// Slurm's `srun`, one job step per painter.
    Srun,
    /// Anything else that forwards stdio: words with `{host}` and `{cmd}` or `{qcmd}`.
    Template(Vec<String>),
}

impl FromStr for Launcher {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "ssh" => Ok(Self::Ssh),
            "srun" => Ok(Self::Srun),
            template => {
                let words: Vec<String> = template.split_whitespace().map(str::to_owned).collect();
                let cmds = words.iter().filter(|w| *w == "{cmd}" || *w == "{qcmd}").count();
                if words.is_empty() || cmds != 1 || !words.iter().any(|w| w.contains("{host}")) {
                    return Err(format!(
                        "'{template}' is neither ssh nor srun nor a template with {{host}} and one {{cmd}} (or {{qcmd}}) word, like 'ip netns exec {{host}} {{cmd}}'"
                    ));
                }
                Ok(Self::Template(words))
            }
        }
    }
}

/// How often ssh checks that the link is alive, and how many missed
/// answers make it give up: a dead link is noticed within 6–8 s, and ssh
/// ends saying `Timeout, server … not responding.` (which `LogLevel=INFO`
/// lets through: it is the one line that tells a lost link from a painter
/// that died there, since ssh exits with 255 for both).
const SSH_ALIVE: [&str; 4] = ["-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3"];

impl Launcher {
    /// Its name in reports: `ssh`, `srun`, or the template's first word.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Ssh => "ssh",
            Self::Srun => "srun",
            Self::Template(words) => words.first().map_or("template", String::as_str),
        }
    }

    /// The command that runs `argv` on `host` (a checked host name, see
    /// [`super::spec`]), with its stdio carried back here. `core` binds a
    /// Slurm step to that core; `job` is the Slurm allocation to run in;
    /// `control` is the socket of the host's ssh master connection
    /// ([`super::master`]), over which the painter's session is opened
    /// with no login.
    #[must_use]
    pub fn command(
        &self,
        host: &super::HostSpec,
        argv: &[OsString],
        core: Option<u32>,
        job: Option<&str>,
        control: Option<&std::path::Path>,
    ) -> Command {
        match self {
            Self::Ssh => {
                let mut command = Command::new("ssh");
                command
                    .args(["-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=INFO"])
                    .args(SSH_ALIVE);
                if let Some(socket) = control {
                    // A session over the master; should the master be gone,
                    // ssh logs in on its own.
                    command.args(["-o", "ControlMaster=no", "-o"]).arg(format!("ControlPath={}", socket.display()));
                }
                if let Some(port) = host.port {
                    command.arg("-p").arg(port.to_string());
                }
                command.arg("--").arg(host.destination()).arg(remote_shell_command(argv));
                command
            }
            Self::Srun => {
                let mut command = Command::new("srun");
                command.args(["-u", "--quiet", "--overlap", "-N1", "-n1", "-w", host.node()]);
                if let Some(job) = job {
                    command.arg(format!("--jobid={job}"));
                }
                if let Some(core) = core {
                    command.arg(format!("--cpu-bind=map_cpu:{core}"));
                }
                command.arg("--").args(argv);
                command
            }
            Self::Template(words) => {
                let mut expanded: Vec<OsString> = Vec::new();
                for word in words {
                    match word.as_str() {
                        "{cmd}" => expanded.extend(argv.iter().cloned()),
                        "{qcmd}" => expanded.push(remote_shell_command(argv)),
                        other => expanded.push(other.replace("{host}", host.destination()).into()),
                    }
                }
                let mut command = Command::new(&expanded[0]);
                command.args(&expanded[1..]);
                command
            }
        }
    }
}

/// `exec 'word' 'word' …`: one string that a POSIX shell turns back into
/// exactly these words, and runs in its own place.
#[must_use]
pub fn remote_shell_command(argv: &[OsString]) -> OsString {
    let mut line = OsString::from("exec");
    for word in argv {
        line.push(" ");
        line.push(quote(&word.to_string_lossy()));
    }
    line
}

/// `text` in single quotes, each `'` in it written `'\''`: nothing inside
/// is interpreted by the shell.
#[must_use]
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::HostSpec;

    fn host(name: &str) -> HostSpec {
        HostSpec::named(name)
    }

    fn args(command: &Command) -> Vec<String> {
        std::iter::once(command.get_program())
            .chain(command.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn ssh_quotes_every_word_and_starts_with_exec() {
        let argv: Vec<OsString> = ["/opt/my painter", "--out", "it's $(here)"].map(OsString::from).to_vec();
        let command = Launcher::Ssh.command(&host("h1"), &argv, Some(1), None, None);
        let args = args(&command);
        assert!(args.contains(&"-T".into()) && args.contains(&"BatchMode=yes".into()), "{args:?}");
        assert!(!args.iter().any(|a| a == "-t" || a == "-tt"));
        assert_eq!(args.last().map(String::as_str), Some(r"exec '/opt/my painter' '--out' 'it'\''s $(here)'"));
        // A shell gives the words back unchanged.
        let out = Command::new("sh")
            .args(["-c", &format!("set -- {}; printf '%s\\n' \"$@\"", &args.last().expect("command")[5..])])
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "/opt/my painter\n--out\nit's $(here)\n");
    }

    #[test]
    fn ssh_logs_in_on_the_port_given() {
        let host = crate::hosts::spec::parse_list("root@h1:2222").expect("parses").remove(0);
        let args = args(&Launcher::Ssh.command(&host, &[OsString::from("/bin/painter")], None, None, None));
        let at = args.iter().position(|a| a == "--").expect("--");
        assert_eq!(args[at - 2..at + 2], ["-p", "2222", "--", "root@h1"], "{args:?}");
    }

    #[test]
    fn srun_is_one_unbuffered_step_bound_to_its_core() {
        let argv = vec![OsString::from("/bin/painter")];
        let args = args(&Launcher::Srun.command(&host("root@h2"), &argv, Some(1), Some("42"), None));
        assert_eq!(
            args,
            [
                "srun",
                "-u",
                "--quiet",
                "--overlap",
                "-N1",
                "-n1",
                "-w",
                "h2",
                "--jobid=42",
                "--cpu-bind=map_cpu:1",
                "--",
                "/bin/painter"
            ]
        );
    }

    #[test]
    fn templates_put_the_command_where_it_says() {
        let launcher: Launcher = "ip netns exec {host} {cmd}".parse().expect("a template");
        let argv: Vec<OsString> = ["/bin/painter", "--id", "3"].map(OsString::from).to_vec();
        let args = args(&launcher.command(&host("h1"), &argv, None, None, None));
        assert_eq!(args, ["ip", "netns", "exec", "h1", "/bin/painter", "--id", "3"]);
        assert!("docker exec -i box {cmd}".parse::<Launcher>().is_err());
        assert!("rsh {host}".parse::<Launcher>().is_err());
    }
}
