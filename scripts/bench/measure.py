#!/usr/bin/env python3
"""Runs one command for scripts/bench.sh and records what it cost.

    measure.py META STDOUT -- COMMAND...

The command's stdout goes to STDOUT; META gets one JSON object: exit code,
wall time, and two peak-memory figures in KiB:

- own_hwm_kib: the command's own peak (VmHWM in /proc/PID/status, polled
  every 2 ms until it exits, so a peak in its last 2 ms can be missed);
- tree_maxrss_kib: `/usr/bin/time -f %M`, i.e. ru_maxrss from wait4, which
  Linux takes over the command *and every descendant it reaped* (the
  coordinator's painters). It is measured through /usr/bin/time because a
  child forked by Python starts with Python's own resident set, which
  ru_maxrss would count; null when /usr/bin/time is missing.

Exits with the command's exit code. Standard library only.
"""

import json
import os
import subprocess
import sys
import time


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def child_of(pid):
    """The first child of `pid`, if it has one yet."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            first = children.read().split()
        return int(first[0]) if first else None
    except OSError:
        return None


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    meta_path, stdout_path, command = sys.argv[1], sys.argv[2], sys.argv[4:]
    timed = os.access("/usr/bin/time", os.X_OK)
    tree_path = meta_path + ".maxrss"
    if timed:
        command = ["/usr/bin/time", "-f", "%M", "-o", tree_path, *command]
    start = time.perf_counter()
    with open(stdout_path, "wb") as stdout:
        child = subprocess.Popen(command, stdout=stdout)
        hwm, target = 0, None if timed else child.pid
        while child.poll() is None:
            target = target or child_of(child.pid)
            if target:
                hwm = max(hwm, vm_hwm_kib(target) or 0)
            time.sleep(0.002)
    elapsed = time.perf_counter() - start
    code = child.returncode
    tree = None
    if timed:
        try:
            with open(tree_path) as maxrss:
                tree = int(maxrss.read().split()[-1])
            os.remove(tree_path)
        except (OSError, ValueError, IndexError):
            tree = None
    meta = {
        "command": command,
        "rc": code,
        "elapsed_s": elapsed,
        "own_hwm_kib": hwm,
        "tree_maxrss_kib": tree,
    }
    with open(meta_path, "w") as out:
        json.dump(meta, out)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
