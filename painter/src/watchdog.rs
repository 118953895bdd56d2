//! A painter stops when its coordinator is gone, whatever it is doing.
//!
//! The coordinator holds the write end of the painter's stdin for as long
//! as it wants the painter: until it has its `Goodbye`. When that end
//! closes — the coordinator exited, was killed, or its ssh or srun carrying
//! the pipe to another host went away — nobody is left to report to. A
//! painter in the middle of a long coat would notice only at its next read
//! of stdin; and on another host, no parent-death signal reaches it. So a
//! thread of its own sleeps in `poll(2)` on stdin, asking for nothing but
//! the hang-up the kernel reports when the last writer has gone, and ends
//! the process at once when it comes.

use std::os::fd::{AsFd, OwnedFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::process::EXIT_STDIN_CLOSED;

/// Starts the watchdog on a duplicate of stdin.
///
/// # Errors
/// If stdin cannot be duplicated or the thread cannot be started.
pub fn start() -> std::io::Result<()> {
    let stdin: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned()?;
    std::thread::Builder::new().name("watchdog".into()).spawn(move || watch(&stdin))?;
    Ok(())
}

fn watch(stdin: &OwnedFd) {
    loop {
        // No events asked for: poll reports only a hang-up or an error,
        // which are always reported, never the data the painter reads.
        let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::empty())];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {
                let gone = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
                if fds[0].revents().is_some_and(|events| events.intersects(gone)) {
                    tracing::debug!("stdin hung up: the coordinator is gone");
                    std::process::exit(EXIT_STDIN_CLOSED);
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(error) => {
                // Without the watchdog, the painter still ends at its next
                // read of stdin and by its parent-death signal.
                tracing::warn!("the stdin watchdog stops: {error}");
                return;
            }
        }
    }
}
