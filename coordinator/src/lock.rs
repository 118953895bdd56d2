//! One run per `--out` at a time.
//!
//! Two runs writing into one folder would overwrite each other's paintings
//! and mix their reports. So a run holds an exclusive `flock(2)` on
//! `OUT/.atelier.lock` from before it paints until it ends; the kernel lets
//! go of it however the run ends, even by SIGKILL. A second run finds it
//! held and stops at once, naming the run that holds it.

use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, bail};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// The name of the lock file in `--out`.
pub const FILE: &str = ".atelier.lock";

/// The lock on one `--out`, held while it lives.
#[derive(Debug)]
pub struct OutLock {
    _held: Flock<std::fs::File>,
}

/// Takes the lock on `out`, which must exist.
///
/// # Errors
/// If another run holds it (naming its pid), or it cannot be taken.
pub fn take(out: &Path) -> anyhow::Result<OutLock> {
    let path = out.join(FILE);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    let mut held = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(held) => held,
        Err((mut file, Errno::EWOULDBLOCK)) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.chars().all(|c| c.is_ascii_digit()) && !holder.is_empty() {
                format!(" (coordinator pid {holder})")
            } else {
                String::new()
            };
            bail!(
                "another run is writing into --out {}{who}: wait for it to end, or give this one another --out",
                out.display()
            );
        }
        Err((_, errno)) => bail!("cannot lock {}: {errno}", path.display()),
    };
    // Who holds it, for the message a second run prints.
    let _ = held.set_len(0);
    let _ = held.rewind();
    let _ = write!(held, "{}", std::process::id());
    Ok(OutLock { _held: held })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_folder_is_refused_until_the_first_is_let_go() {
        let out = std::env::temp_dir().join(format!("atelier-lock-{}", std::process::id()));
        std::fs::create_dir_all(&out).expect("a folder");
        let first = take(&out).expect("the first lock");
        let refused = take(&out).expect_err("a second lock").to_string();
        assert!(refused.starts_with("another run is writing into --out"), "{refused}");
        assert!(refused.contains(&format!("(coordinator pid {})", std::process::id())), "{refused}");
        drop(first);
        assert!(take(&out).is_ok(), "free again once let go");
        let _ = std::fs::remove_dir_all(out);
    }
}
