//! Whether this process was started with its stdout closed (`>&-`).
//!
//! A closed stdout would lose the report; and the painters' pipes could be
//! given its number, fd 1, so that the report went into one of them. But
//! Rust's runtime, before `main`, opens `/dev/null` read-write on each of
//! fds 0–2 that a program is started without, so that no other file takes
//! the number. From then on a closed stdout looks exactly like one a user
//! opened read-write on `/dev/null` (`1<>/dev/null`, Python's
//! `subprocess.DEVNULL`, systemd's `StandardOutput=null`), which is a fine
//! place to throw a report away. So the question is asked before the
//! runtime's fix: by a function in `.init_array`, which the C library runs
//! before `main`, as it does every program's constructors.
//!
//! That function is the one piece of unsafe code here: a section attribute
//! and one `fcntl(2)`.

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::bail;

/// Fd 1 was closed when the process started.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Run by the C library before `main`, with the arguments it gives every
/// constructor (unused here).
#[used]
#[unsafe(link_section = ".init_array")]
static LOOK: extern "C" fn(libc::c_int, *const *const libc::c_char, *const *const libc::c_char) = look;

extern "C" fn look(_: libc::c_int, _: *const *const libc::c_char, _: *const *const libc::c_char) {
    // SAFETY: F_GETFD reads a descriptor's flags and touches no memory; on
    // a descriptor that is not open it fails (EBADF), which is the question.
    let closed = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1;
    CLOSED.store(closed, Ordering::Relaxed);
}

/// Refuses to start when stdout was closed: the report would be lost.
/// `/dev/null`, however it was opened, is accepted.
///
/// # Errors
/// When fd 1 was closed at start, or is not open now.
pub fn check() -> anyhow::Result<()> {
    let open_now = nix::fcntl::fcntl(std::io::stdout(), nix::fcntl::FcntlArg::F_GETFD).is_ok();
    if CLOSED.load(Ordering::Relaxed) || !open_now {
        bail!(
            "stdout is closed (`>&-`): there would be nowhere to print the report (to throw it away, send it to /dev/null)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_test_binary_was_started_with_a_stdout() {
        // This test binary has the constructor too: cargo starts it with a stdout.
        assert!(super::check().is_ok());
    }
}
