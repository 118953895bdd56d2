#!/usr/bin/env python3
"""The hosts section of scripts/bench.sh: painters over ssh and srun beside
the floor of each launcher, measured in the same run.

    hosts.py floor LAUNCHER ROUNDS      # prints {"true_s": [...], "rtt_s": [...]}
    hosts.py table WORK_DIR             # prints the section's rows

floor: LAUNCHER is `local`, `ssh` or `srun`; it times ROUNDS starts of
`true` through it (local: posix_spawn of /bin/true), then one `cat` started
through it and 8 ping-pongs of 8 bytes over its stdin and stdout (as many
as the coordinator's clock sends a painter at a time). The bench measures
the floor between its runs, a little at a time, so both see the same
moments of a shared machine.
srun runs in $SLURM_JOB_ID, as the coordinator's steps do. Standard library only.
"""

import glob
import json
import os
import statistics
import subprocess
import sys
import time


def through(launcher, argv):
    if launcher == "ssh":
        return ["ssh", "-T", "-o", "BatchMode=yes", "h1", " ".join(["exec"] + argv)]
    if launcher == "srun":
        return ["srun", "-u", "--quiet", "--overlap", "-N1", "-n1", "-w", "h1", "--"] + argv
    return argv


def floor(launcher, rounds):
    true_s = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(through(launcher, ["/bin/true"]), check=True, stdin=subprocess.DEVNULL)
        true_s.append(time.perf_counter() - started)
    cat = subprocess.Popen(through(launcher, ["/bin/cat"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    rtt_s = []
    for _ in range(8):
        started = time.perf_counter()
        os.write(cat.stdin.fileno(), b"12345678")
        got = b""
        while len(got) < 8:
            got += os.read(cat.stdout.fileno(), 8 - len(got))
        rtt_s.append(time.perf_counter() - started)
    cat.stdin.close()
    cat.wait()
    json.dump({"true_s": true_s, "rtt_s": rtt_s}, sys.stdout)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def table(work):
    rows = []
    for launcher in ["local", "ssh", "srun"]:
        fl = {"true_s": [], "rtt_s": []}
        for part in [load(p) for p in sorted(glob.glob(os.path.join(work, f"floor-{launcher}-*.json")))]:
            for key in fl:
                fl[key] += (part or {}).get(key, [])
        runs = [load(p) for p in sorted(glob.glob(os.path.join(work, f"startup-{launcher}-*.json")))]
        runs = [r for r in runs if r]
        startups = [p["startup_s"] for r in runs for p in r["painters"]]
        bounds = [p["clock_bound_s"] for r in runs for p in r["painters"] if p.get("remote")]
        tp = [load(p) for p in sorted(glob.glob(os.path.join(work, f"throughput-{launcher}-*.json")))]
        # From the first painting handed out to the last done: the run's
        # wall time counts the painters' start-up too, shown on its own row.
        tp = [len(r["paintings"]) / (r["wall_s"] - r["startup_s"]) for r in tp if r and r["wall_s"] > r["startup_s"]]
        true_s = statistics.median(fl["true_s"]) if fl.get("true_s") else None
        start = statistics.median(startups) if startups else None
        rows.append(("start-up per painter", launcher, start, f"`true` through it {fmt(true_s)}", ratio(start, true_s), 1.2 if launcher != "local" else None))
        if launcher != "local":
            # The fastest ping-pong of each: the clock's bound is half of one.
            rtt = 2 * min(bounds) if bounds else None
            cat = min(fl["rtt_s"]) if fl.get("rtt_s") else None
            rows.append(("round trip (fastest)", launcher, rtt, f"`cat` through it {fmt(cat)}", ratio(rtt, cat), 1.3))
        rows.append(("empty paintings per second", launcher, statistics.median(tp) if tp else None, "", None, None))
    print("hosts: painters on h1 and h2 (scripts/hosts.sh up), beside each launcher's own floor")
    print(f"  {'figure':28} {'launcher':8} {'measured':>10}  {'beside':28} {'ratio':>6}  {'target':>7}")
    for figure, launcher, measured, beside, r, target in rows:
        verdict = "-" if target is None or r is None else ("ok" if r <= target else "MISSED")
        shown = "n/a" if measured is None else (f"{measured:.0f}/s" if "second" in figure else fmt(measured))
        tgt = f"≤{target}×" if target else ""
        print(f"  {figure:28} {launcher:8} {shown:>10}  {beside:28} {'' if r is None else f'{r:.2f}×':>6}  {tgt:>7} {verdict}")


def fmt(seconds):
    if seconds is None:
        return "n/a"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a, b):
    return a / b if a is not None and b else None


if __name__ == "__main__":
    if sys.argv[1] == "floor":
        floor(sys.argv[2], int(sys.argv[3]))
    else:
        table(sys.argv[2])
