//! One ssh connection per host, for the whole invocation.
//!
//! A login is a key exchange and an authentication: 0.3–0.6 s on the test
//! hosts, more across a real network. Made once per painter, a `compare`
//! over two hosts paid it ten times, and a replacement painter once more.
//! OpenSSH can carry many sessions over one connection: a *master*
//! (`ssh -M`) holds the connection and listens on a control socket
//! (`ControlPath`); every later `ssh` to that socket opens a session
//! over it, with no login. So each host gets one master before its probe,
//! and every painter there (each mode's, each replacement's) is a session
//! over it.
//!
//! The sockets live in a directory of this run's own, made 0700 under
//! `$XDG_RUNTIME_DIR` (or the temporary directory), so that no one else
//! can open a session over them. The masters are this coordinator's
//! children, in process groups of their own (a Ctrl-C must not end the
//! connections before the painters over them are stopped), and go with it
//! however it ends: asked to exit (`ssh -O exit`) when the cluster is
//! dropped, killed if they do not; and, should the coordinator be killed
//! outright, ended by the kernel (`PR_SET_PDEATHSIG`), with SIGTERM, on
//! which ssh removes its socket and closes the connection, which ends
//! every session over it and so every painter there.

#![allow(unsafe_code)] // the one `pre_exec`, which sets the parent-death signal

use std::collections::VecDeque;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use super::HostSpec;
use crate::term::visible::{self, visible};

/// How long `ssh -O exit` and then the master have to end, before it is killed.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The most bytes read of what one master says on stderr.
const SAID: u64 = 64 * 1024;

/// Lines of a master's stderr kept, for the reason a link was lost.
const KEPT: usize = 2;

/// How often a master's socket is looked for while it logs in.
const POLL: Duration = Duration::from_millis(5);

/// The private directory of a run's control sockets.
#[derive(Debug)]
pub struct Sockets {
    dir: PathBuf,
}

impl Sockets {
    /// Makes the directory: mode 0700, a new name (never one that exists,
    /// which could be someone else's), short enough for a socket's path.
    ///
    /// # Errors
    /// If no such directory can be made.
    pub fn make() -> Result<Self, String> {
        let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|d| d.is_absolute() && d.is_dir());
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("atelier-ssh.{}.{nanos:x}", std::process::id());
        // A socket's path has at most 107 bytes, and ssh first binds one
        // with 17 more characters; the directory must leave room for that
        // and a socket's own name (`/h` and the host's number).
        let bases = runtime.into_iter().chain([std::env::temp_dir(), PathBuf::from("/tmp")]);
        let mut last = String::new();
        for base in bases.filter(|b| b.join(&name).as_os_str().len() <= 107 - 17 - 8) {
            sweep(&base);
            let dir = base.join(&name);
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(Self { dir }),
                Err(error) => last = format!("cannot make {}: {error}", dir.display()),
            }
        }
        Err(if last.is_empty() {
            "no directory with a path short enough for ssh's control sockets".into()
        } else {
            last
        })
    }

    /// The socket of the `index`th host.
    #[must_use]
    pub fn socket(&self, index: usize) -> PathBuf {
        self.dir.join(format!("h{index}"))
    }
}

/// Removes the socket directories of coordinators that are gone: one
/// killed outright (SIGKILL runs no clean-up) leaves its directory,
/// emptied by its masters as they ended. Only this user's, and only where
/// no process has the pid in its name.
fn sweep(base: &std::path::Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(base) else { return };
    // This process's own user: /proc/self belongs to it.
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("atelier-ssh.")).and_then(|n| n.split('.').next())
        else {
            continue;
        };
        let Ok(pid) = pid.parse::<i32>() else { continue };
        let gone = pid > 0
            && matches!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None), Err(nix::errno::Errno::ESRCH));
        // Not followed if a link: only a directory of this user's own.
        let ours = std::fs::symlink_metadata(entry.path()).is_ok_and(|m| m.is_dir() && m.uid() == uid);
        if gone && ours {
            tracing::debug!(dir = %entry.path().display(), "removing the ssh sockets' directory of a coordinator that is gone");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Sockets {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A host's master connection.
#[derive(Debug)]
pub struct Master {
    /// Where it logged in, `[user@]host` (the port is ssh's business, not the socket's).
    host: String,
    /// Its control socket.
    pub socket: PathBuf,
    /// How long its login took: from starting ssh to its socket listening.
    pub login: Duration,
    child: tokio::process::Child,
    said: Arc<Mutex<VecDeque<String>>>,
}

/// The `-o` options of a master: a login that never asks for a password,
/// gives up on a host that does not answer, and notices a dead link
/// within seconds (a painter over it then ends with its session).
const OPTIONS: [&str; 14] = [
    "-o",
    "ControlMaster=yes",
    "-o",
    "ControlPersist=no",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=INFO",
    "-o",
    "ServerAliveInterval=2",
    "-o",
    "ServerAliveCountMax=3",
];

impl Master {
    /// Logs in to `host` and waits until the master listens at `socket`,
    /// for at most `limit`.
    ///
    /// # Errors
    /// Why it cannot, in one line: ssh cannot reach the host or log in
    /// (with ssh's last words), or does not within `limit`.
    pub async fn open(host: &HostSpec, socket: PathBuf, limit: Duration) -> Result<Self, String> {
        let mut command = tokio::process::Command::new("ssh");
        command
            .args(["-M", "-N", "-T"])
            .args(OPTIONS)
            .arg("-o")
            .arg(format!("ControlPath={}", socket.display()))
            .args(host.port.map(|port| ["-p".to_owned(), port.to_string()]).into_iter().flatten())
            .arg("--")
            .arg(host.destination())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let parent = nix::unistd::getpid();
        // SAFETY: between fork and exec only async-signal-safe calls are
        // made: prctl and getppid, two system calls.
        unsafe {
            command.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)?;
                // The coordinator died before the signal was set: it will not come.
                if nix::unistd::getppid() != parent {
                    return Err(std::io::Error::other("the coordinator is gone"));
                }
                Ok(())
            });
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|error| format!("cannot start ssh: {error}"))?;
        let said = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let keep = Arc::clone(&said);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr.take(SAID)).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let line = visible(line.trim(), visible::LINE);
                    tracing::debug!(target: "atelier::ssh", "{line}");
                    if let Ok(mut kept) = keep.lock()
                        && !line.is_empty()
                    {
                        if kept.len() == KEPT {
                            kept.pop_front();
                        }
                        kept.push_back(line);
                    }
                }
            });
        }
        let mut master = Self { host: host.destination().to_owned(), socket, login: Duration::ZERO, child, said };
        loop {
            if master.socket.exists() {
                master.login = started.elapsed();
                tracing::debug!(host = master.host, login = ?master.login, "ssh master connection up");
                return Ok(master);
            }
            if let Ok(Some(status)) = master.child.try_wait() {
                // Its last words come with its end; give the reader a moment.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let said = master.last_words();
                let said = if said.is_empty() { String::new() } else { format!(": {said}") };
                return Err(match status.code() {
                    Some(255) => format!("ssh cannot reach it or log in{said}"),
                    _ => format!("its ssh connection ended ({status}){said}"),
                });
            }
            if started.elapsed() > limit {
                return Err(format!("no ssh login within {}", humantime::format_duration(limit)));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// What the master said last on stderr (`Timeout, server h2 not
    /// responding.` for a lost link), or nothing.
    #[must_use]
    pub fn last_words(&self) -> String {
        self.said.lock().map(|kept| kept.iter().cloned().collect::<Vec<_>>().join(" | ")).unwrap_or_default()
    }

    /// Asks the master to exit (`ssh -O exit`), waits a moment, kills it if
    /// it did not, and reaps it.
    fn close(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let asked = std::process::Command::new("ssh")
                .args(["-O", "exit", "-o"])
                .arg(format!("ControlPath={}", self.socket.display()))
                .arg("--")
                .arg(&self.host)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let deadline = Instant::now() + CLOSE_GRACE;
            if let Ok(mut asked) = asked {
                while Instant::now() < deadline && matches!(asked.try_wait(), Ok(None)) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                let _ = asked.kill();
                let _ = asked.wait();
            }
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            tracing::warn!(host = self.host, "its ssh master did not exit when asked: killing it");
            let _ = self.child.start_kill();
        }
        // Reaped: a killed child is waited for here, briefly, by tokio's
        // orphan reaping otherwise.
        for _ in 0..100 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        self.close();
    }
}
