#!/usr/bin/env python3
"""The start-up floor for scripts/bench.sh: spawn /bin/true and wait for it.

    floor.py N

Times N rounds of posix_spawn + waitpid of /bin/true (the cheapest way
Python has to start a process) and prints {"true_spawn_wait_s": [...]}.
bench.sh runs it between the coordinator's start-up runs, so that the
painters and the floor are timed on the machine in the same state.
Standard library only.
"""

import json
import os
import sys
import time


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
        os.waitpid(pid, 0)
        times.append(time.perf_counter() - started)
    json.dump({"true_spawn_wait_s": times}, sys.stdout)


if __name__ == "__main__":
    main()
