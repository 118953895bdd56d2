#!/usr/bin/env python3
"""The start-up floor for scripts/bench.sh: spawn /bin/true and wait for it.

    floor.py N

Times N rounds of posix_spawn + waitpid of /bin/true (the Python peer's
`spawn_floor`, the cheapest way Python has to start a process) and prints
{"true_spawn_wait_s": [...]}. bench.sh runs it between the coordinator's
start-up runs, so that the painters and the floor are timed on the machine
in the same state. Standard library only.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from pool_peer import spawn_floor  # noqa: E402


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    json.dump({"true_spawn_wait_s": spawn_floor(rounds)}, sys.stdout)


if __name__ == "__main__":
    main()
