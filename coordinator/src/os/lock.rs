//! One run per `--out` at a time.
//!
//! Two runs writing into one folder would overwrite each other's paintings
//! and mix their reports. So a run holds an exclusive `flock(2)` on
//! `OUT/.atelier.lock` from before it paints until it ends; the kernel lets
//! go of it however the run ends, even by SIGKILL. A second run finds it
//! held and stops at once, naming the run that holds it.
//!
//! The lock file's name is known to anyone who can write into `--out`, so
//! what is found there is input: it is opened without following a symbolic
//! link (else the pid written into it would truncate whatever the link points
//! at, as root any file), without blocking (a FIFO there would wait for a
//! writer for ever), and it must be a regular file with one name (a hard link
//! to another file would be truncated the same way). The pid a second run
//! reads back is at most a few dozen bytes, whatever the file holds.

use std::io::{Read, Seek, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg, OFlag};

/// The name of the lock file in `--out`.
pub const FILE: &str = ".atelier.lock";

/// The most bytes of the holder's pid read back: a pid has at most 10 digits.
const HOLDER_BYTES: u64 = 32;

/// The lock on one `--out`, held while it lives.
#[derive(Debug)]
pub struct OutLock {
    _held: Flock<std::fs::File>,
}

/// Takes the lock on `out`, which must exist.
///
/// # Errors
/// If another run holds it (naming its pid), if what is at the lock file's
/// path is not a plain file (a symbolic link, a FIFO, a device, a file with
/// other names), or if it cannot be taken.
pub fn take(out: &Path) -> anyhow::Result<OutLock> {
    let path = out.join(FILE);
    let flags = OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC | OFlag::O_NOCTTY;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(flags.bits())
        .open(&path)
    {
        Ok(file) => file,
        // O_NOFOLLOW's answer when the last component is a symbolic link.
        Err(error) if error.raw_os_error() == Some(Errno::ELOOP as i32) => bail!(
            "the lock file {} is a symbolic link, which atelier does not follow: remove it, or give another --out",
            path.display()
        ),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot open the lock file {}", path.display()));
        }
    };
    // Asked of the file opened, not of the path, so that nothing can be
    // swapped in between the check and the use.
    let meta = file.metadata().with_context(|| format!("cannot read what the lock file {} is", path.display()))?;
    if !meta.file_type().is_file() {
        bail!(
            "the lock file {} is {}, not a regular file: remove it, or give another --out",
            path.display(),
            kind(meta.file_type())
        );
    }
    if meta.nlink() > 1 {
        bail!(
            "the lock file {} has {} names (hard links), so writing into it would change another file: remove it, or give another --out",
            path.display(),
            meta.nlink()
        );
    }
    let mut held = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(held) => held,
        Err((file, Errno::EWOULDBLOCK)) => {
            let mut holder = String::new();
            let _ = file.take(HOLDER_BYTES).read_to_string(&mut holder);
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

/// What a file that is not a regular one is, in words.
fn kind(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
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
