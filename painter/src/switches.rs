//! The kernel's record of every time the calling thread got on a core and
//! left it: `perf_event_open(2)` with `context_switch`.
//!
//! A software "dummy" event that counts nothing, opened on the calling
//! thread alone (pid 0, any cpu), asks the kernel to write a
//! `PERF_RECORD_SWITCH` into a ring buffer shared with this process each
//! time the thread is switched in or out — what `perf record -e dummy
//! --switch-events` uses. Each record carries (`sample_id_all`) the
//! thread, the moment on `CLOCK_MONOTONIC` (`use_clockid`: the protocol's
//! clock, so the records line up with the painter's events) and the cpu.
//! A switch out says whether the thread was preempted (still runnable) or
//! left by its own choice (sleeping, waiting for a pipe or a lock).
//!
//! The kernel stamps the records with its own monotonic clock, which a
//! time namespace does not move (a painter in one reads its
//! `CLOCK_MONOTONIC` ahead or behind the machine's): the namespace's offset
//! (`/proc/self/timens_offsets`) is added, so that the records keep the
//! painter's clock.
//!
//! Only user-space is asked about (`exclude_kernel`), which is what lets an
//! unprivileged process open it at `perf_event_paranoid` 2; switch records
//! come all the same. Where the call is refused (paranoid 3, a seccomp
//! profile, no perf in the kernel), [`Switches::open`] says so, and the
//! painter measures itself instead (see [`crate::states`]).
//!
//! Reading the ring costs no system call: the kernel moves `data_head`
//! forward as it writes, this side reads up to it and moves `data_tail`,
//! which tells the kernel the space is free again. If the reader falls
//! behind, the kernel drops records and writes a `PERF_RECORD_LOST` instead.
//!
//! The one module of the painter with `unsafe` code: the system call, and
//! reading memory the kernel writes.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{Ordering, fence};

use perf_event_open_sys as sys;
use sys::bindings as b;

/// Pages of records after the header page: 32 KiB, a thousand records of
/// 32 bytes, five hundred switches between two reads. Small, because the
/// kernel counts it against the user's locked-memory allowance, which
/// every painter thread of that user shares.
const DATA_PAGES: usize = 8;

/// Bytes of a switch record: its header, then the sample id (pid and tid,
/// time, cpu and a reserved word), as `sample_type` asks.
const SWITCH_LEN: usize = 8 + 8 + 8 + 8;

/// What the kernel wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// The thread got on core `cpu` at `at_ns`.
    In {
        /// When, on `CLOCK_MONOTONIC`.
        at_ns: u64,
        /// Which core.
        cpu: u32,
    },
    /// The thread left core `cpu` at `at_ns`: preempted (`preempted`, it
    /// still wanted to run), or of its own choice.
    Out {
        /// When, on `CLOCK_MONOTONIC`.
        at_ns: u64,
        /// Which core.
        cpu: u32,
        /// Whether it was still runnable.
        preempted: bool,
    },
    /// The reader fell behind and the kernel dropped records, up to `at_ns`.
    Lost {
        /// When the kernel said so.
        at_ns: u64,
    },
}

impl Record {
    /// The same record, its time moved by `offset_ns`.
    fn shifted(self, offset_ns: i64) -> Self {
        let shift = |at_ns: u64| at_ns.saturating_add_signed(offset_ns);
        match self {
            Self::In { at_ns, cpu } => Self::In { at_ns: shift(at_ns), cpu },
            Self::Out { at_ns, cpu, preempted } => Self::Out { at_ns: shift(at_ns), cpu, preempted },
            Self::Lost { at_ns } => Self::Lost { at_ns: shift(at_ns) },
        }
    }
}

/// The monotonic clock's offset in `/proc/self/timens_offsets`
/// (`monotonic <seconds> <nanoseconds>`), in nanoseconds; 0 if none is said.
fn monotonic_offset(text: &str) -> i64 {
    text.lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "monotonic").then_some(())?;
            let seconds: i64 = words.next()?.parse().ok()?;
            let nanos: i64 = words.next()?.parse().ok()?;
            seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
        })
        .unwrap_or(0)
}

/// The calling thread's switch records, as they come.
#[derive(Debug)]
pub struct Switches {
    /// Kept open for as long as the ring is mapped.
    _fd: OwnedFd,
    /// The mapping: one header page, then the data pages.
    base: NonNull<u8>,
    len: usize,
    data_offset: usize,
    data_size: usize,
    /// A record that wraps round the end of the ring, copied whole.
    scratch: Vec<u8>,
    /// The time namespace's monotonic offset, added to each record's time.
    offset_ns: i64,
}

impl Switches {
    /// Starts recording the calling thread's switches.
    ///
    /// # Errors
    /// Whatever the kernel says: `EACCES` or `EPERM` where it is not
    /// allowed, `ENOSYS` or `ENOENT` where there is no such event, `EPERM`
    /// from the mapping once the user's locked-memory allowance is spent.
    pub fn open() -> io::Result<Self> {
        let mut attr = b::perf_event_attr {
            type_: b::PERF_TYPE_SOFTWARE,
            size: u32::try_from(std::mem::size_of::<b::perf_event_attr>()).unwrap_or(u32::MAX),
            config: u64::from(b::PERF_COUNT_SW_DUMMY),
            sample_type: u64::from(b::PERF_SAMPLE_TID | b::PERF_SAMPLE_TIME | b::PERF_SAMPLE_CPU),
            clockid: libc::CLOCK_MONOTONIC,
            ..Default::default()
        };
        attr.set_context_switch(1);
        attr.set_sample_id_all(1);
        attr.set_use_clockid(1);
        attr.set_exclude_kernel(1);
        attr.set_exclude_hv(1);
        // SAFETY: `attr` is a zeroed, fully initialised attribute struct
        // whose `size` is its own; the event it asks for only records.
        let fd =
            unsafe { sys::perf_event_open(&raw mut attr, 0, -1, -1, libc::c_ulong::from(b::PERF_FLAG_FD_CLOEXEC)) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just gave us this descriptor, and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let page = page_size();
        let len = (1 + DATA_PAGES) * page;
        // SAFETY: a fresh shared mapping of the event's ring, of the
        // length the kernel requires (one page and a power of two more);
        // writable, so that moving `data_tail` frees space.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave a null pointer"))?;
        let offset_ns =
            std::fs::read_to_string("/proc/self/timens_offsets").ok().map_or(0, |text| monotonic_offset(&text));
        let mut switches = Self {
            _fd: fd,
            base,
            len,
            data_offset: page,
            data_size: DATA_PAGES * page,
            scratch: Vec::new(),
            offset_ns,
        };
        // Kernels since 4.1 say where the data is; older ones put it on the next page.
        let (offset, size) = {
            let header = switches.header();
            // SAFETY: the header page is mapped for as long as `switches` lives.
            unsafe { ((*header).data_offset, (*header).data_size) }
        };
        if offset != 0 && size != 0 {
            switches.data_offset = usize::try_from(offset).unwrap_or(page);
            switches.data_size = usize::try_from(size).unwrap_or(DATA_PAGES * page);
        }
        Ok(switches)
    }

    fn header(&self) -> *mut b::perf_event_mmap_page {
        self.base.as_ptr().cast()
    }

    /// Whether the kernel has written records not read yet: one load,
    /// cheap enough to ask between strokes.
    #[must_use]
    pub fn pending(&self) -> bool {
        let header = self.header();
        // SAFETY: the header page is mapped while `self` lives; the kernel
        // writes `data_head`, so it is read as volatile.
        let (head, tail) = unsafe {
            (
                std::ptr::read_volatile(&raw const (*header).data_head),
                std::ptr::read_volatile(&raw const (*header).data_tail),
            )
        };
        head != tail
    }

    /// Hands every record written since the last call to `each`, oldest first.
    pub fn drain(&mut self, mut each: impl FnMut(Record)) {
        let header = self.header();
        // SAFETY: as in `pending`.
        let head = unsafe { std::ptr::read_volatile(&raw const (*header).data_head) };
        // The records the kernel wrote before moving `data_head` are to
        // be read only after reading it.
        fence(Ordering::Acquire);
        // SAFETY: only this side writes `data_tail`.
        let mut tail = unsafe { std::ptr::read_volatile(&raw const (*header).data_tail) };
        let size = self.data_size as u64;
        let offset_ns = self.offset_ns;
        while head.wrapping_sub(tail) >= 8 {
            let at = usize::try_from(tail % size).unwrap_or(0);
            let (kind, misc, len) = {
                let head_bytes = self.bytes(at, 8);
                let kind = u32::from_ne_bytes([head_bytes[0], head_bytes[1], head_bytes[2], head_bytes[3]]);
                let misc = u16::from_ne_bytes([head_bytes[4], head_bytes[5]]);
                let len = u16::from_ne_bytes([head_bytes[6], head_bytes[7]]);
                (kind, misc, usize::from(len))
            };
            if len < 8 || head.wrapping_sub(tail) < len as u64 {
                break; // not a record: stop rather than read nonsense
            }
            let record = self.bytes(at, len);
            if let Some(record) = parse(kind, misc, record) {
                each(record.shifted(offset_ns));
            }
            tail = tail.wrapping_add(len as u64);
        }
        // Everything read is read before the space is handed back.
        fence(Ordering::Release);
        // SAFETY: as above; the kernel reads `data_tail` to know what is free.
        unsafe { std::ptr::write_volatile(&raw mut (*header).data_tail, tail) };
    }

    /// `len` bytes of the data area from offset `at`, copied whole into
    /// `scratch` (a record may wrap round the end of the ring).
    fn bytes(&mut self, at: usize, len: usize) -> &[u8] {
        self.scratch.clear();
        let first = len.min(self.data_size - at);
        // SAFETY: both ranges lie inside the data area, which is mapped
        // while `self` lives; the kernel does not write what lies between
        // `data_tail` and `data_head`.
        unsafe {
            let data = self.base.as_ptr().add(self.data_offset);
            self.scratch.extend_from_slice(std::slice::from_raw_parts(data.add(at), first));
            self.scratch.extend_from_slice(std::slice::from_raw_parts(data, len - first));
        }
        &self.scratch
    }
}

impl Drop for Switches {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `open`, which nothing
        // else points into once `self` is gone; the descriptor closes after.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

/// A record of a kind we asked for, from its bytes (header included).
fn parse(kind: u32, misc: u16, record: &[u8]) -> Option<Record> {
    let word = |at: usize| -> Option<u64> { Some(u64::from_ne_bytes(record.get(at..at + 8)?.try_into().ok()?)) };
    let half = |at: usize| -> Option<u32> { Some(u32::from_ne_bytes(record.get(at..at + 4)?.try_into().ok()?)) };
    match kind {
        b::PERF_RECORD_SWITCH if record.len() >= SWITCH_LEN => {
            // header, pid+tid, time, cpu+reserved
            let (at_ns, cpu) = (word(16)?, half(24)?);
            if u32::from(misc) & b::PERF_RECORD_MISC_SWITCH_OUT != 0 {
                let preempted = u32::from(misc) & b::PERF_RECORD_MISC_SWITCH_OUT_PREEMPT != 0;
                Some(Record::Out { at_ns, cpu, preempted })
            } else {
                Some(Record::In { at_ns, cpu })
            }
        }
        // header, id, count lost, then the sample id: pid+tid, time, cpu.
        b::PERF_RECORD_LOST => Some(Record::Lost { at_ns: word(32)? }),
        _ => None,
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf only reads a constant of the system.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_namespace_offset_is_read_in_nanoseconds() {
        assert_eq!(monotonic_offset("monotonic           0         0\nboottime            0         0\n"), 0);
        assert_eq!(monotonic_offset("monotonic        1000         5\nboottime 0 0\n"), 1_000_000_000_005);
        assert_eq!(monotonic_offset("monotonic       -2   0\n"), -2_000_000_000);
        assert_eq!(monotonic_offset("boottime 3 0\n"), 0);
    }

    #[test]
    fn a_sleep_is_a_switch_out_of_its_own_choice_then_a_switch_in() {
        let mut switches = match Switches::open() {
            Ok(switches) => switches,
            Err(error) => {
                assert!(std::env::var_os("CI").is_none(), "perf_event_open refused under CI: {error}");
                eprintln!("skipped: perf_event_open refused here: {error}");
                return;
            }
        };
        let before = protocol::clock::now_ns();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let after = protocol::clock::now_ns();
        assert!(switches.pending());
        let mut records = Vec::new();
        switches.drain(|record| records.push(record));
        assert!(!switches.pending());
        let out = records.iter().find_map(|r| match *r {
            Record::Out { at_ns, preempted: false, .. } => Some(at_ns),
            _ => None,
        });
        let back = records.iter().rev().find_map(|r| match *r {
            Record::In { at_ns, .. } => Some(at_ns),
            _ => None,
        });
        let (Some(out), Some(back)) = (out, back) else { panic!("no sleep in {records:?}") };
        assert!(before <= out && out < back && back <= after, "{before} {out} {back} {after}");
        assert!(back - out >= 5_000_000, "slept {} ns", back - out);
    }
}
