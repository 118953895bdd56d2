#!/usr/bin/env python3
"""The hosts section of scripts/bench.sh: painters over ssh and srun beside
the floor of each launcher, measured in the same run.

    hosts.py floor LAUNCHER ROUNDS      # prints {"true_s": [...], "rtt_s": [...]}
    hosts.py steps REPS                 # a step per painter against one step of N tasks
    hosts.py cpu N                      # the CPU one login and one job step cost
    hosts.py table WORK_DIR             # prints the section's rows

floor: LAUNCHER is `local`, `ssh` or `srun`; it times ROUNDS starts of
`true` through it (local: posix_spawn of /bin/true), then one `cat` started
through it and 8 ping-pongs of 8 bytes over its stdin and stdout (as many
as the coordinator's clock sends a painter at a time). The bench measures
the floor between its runs, a little at a time, so both see the same
moments of a shared machine.
srun runs in $SLURM_JOB_ID, as the coordinator's steps do. Standard library only.
"""

import datetime
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


def floor(launcher, rounds, cat=True):
    true_s = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(through(launcher, ["/bin/true"]), check=True, stdin=subprocess.DEVNULL)
        true_s.append(time.perf_counter() - started)
    rtt_s = []
    if not cat:
        json.dump({"true_s": true_s, "rtt_s": rtt_s}, sys.stdout)
        return
    cat = subprocess.Popen(through(launcher, ["/bin/cat"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
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


def steps(reps):
    """N painters' steps on one node: a step each, all started at once (as
    the coordinator starts them), against one step of N tasks (what one step
    per host would be). Times to all of them having run `true`."""
    out = {}
    for n in [1, 2, 4, 8]:
        each, one = [], []
        for _ in range(reps):
            started = time.perf_counter()
            procs = [subprocess.Popen(through("srun", ["/bin/true"]), stdin=subprocess.DEVNULL) for _ in range(n)]
            if any(p.wait() for p in procs):
                raise SystemExit("a step failed")
            each.append(time.perf_counter() - started)
            started = time.perf_counter()
            argv = ["srun", "-u", "--quiet", "--overlap", "--overcommit", "-N1", f"-n{n}", "-w", "h1", "--", "/bin/true"]
            subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
            one.append(time.perf_counter() - started)
        out[str(n)] = {"each_s": each, "one_s": one}
    json.dump(out, sys.stdout)


def cpu(n):
    """The CPU one login (`ssh h1 true`, no master) and one job step (`srun
    -w h1 true`) cost, client and server, N of each one after another: the
    clients' own accounting (RUSAGE_CHILDREN), the daemons' (h1's sshd,
    with the sessions it reaped; slurmctld and h1's slurmd), and the whole
    machine's busy time (/proc/stat) less what it was busy with before,
    which also counts what no one reaps here (slurmstepd)."""
    import resource
    state = "/run/atelier-hosts"
    tick = os.sysconf("SC_CLK_TCK")

    def pid(name):
        with open(os.path.join(state, name)) as f:
            return int(f.read().strip())

    def used(p):
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / tick

    def busy():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / tick

    def children():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    out = {}
    for launcher, daemons in [("ssh", ["h1/sshd.pid"]), ("srun", ["slurm/slurmctld.pid", "slurm/slurmd-h1.pid"])]:
        pids = [pid(d) for d in daemons]
        started, before = time.perf_counter(), busy()
        time.sleep(1)
        background = (busy() - before) / (time.perf_counter() - started)
        d0, c0, b0, started = [used(p) for p in pids], children(), busy(), time.perf_counter()
        for _ in range(n):
            subprocess.run(through(launcher, ["/bin/true"]), check=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        d1, c1, b1 = [used(p) for p in pids], children(), busy()
        out[launcher] = {
            "wall_s": wall / n,
            "client_s": (c1 - c0) / n,
            "daemons_s": sum(b - a for a, b in zip(d0, d1)) / n,
            "machine_s": ((b1 - b0) - background * wall) / n,
            "background_cores": background,
        }
    json.dump(out, sys.stdout)


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
        # A compare's later mode: painters started through the launcher
        # (over srun, the first mode's are the probes told to paint).
        started = [p for r in runs for p in (r["runs"][-1]["painters"] if "runs" in r else r["painters"])]
        startups = [p["startup_s"] for p in started]
        bounds = [p["clock_bound_s"] for r in runs for run in r.get("runs", [r]) for p in run["painters"] if p.get("remote")]
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
    rows += scale(work)
    print("hosts: painters on h1 and h2 (scripts/hosts.sh up), beside each launcher's own floor;")
    print("  then 1, 2 and 4 hosts (h1 … h4), a two-mode compare each, beside one login or step of the same run")
    print(f"  {'figure':36} {'launcher':8} {'measured':>10}  {'beside':28} {'ratio':>6}  {'target':>7}")
    for figure, launcher, measured, beside, r, target in rows:
        verdict = "-" if target is None or r is None else ("ok" if r <= target else "MISSED")
        shown = "n/a" if measured is None else (f"{measured:.0f}/s" if "second" in figure else fmt(measured))
        tgt = f"≤{target}×" if target else ""
        print(f"  {figure:36} {launcher:8} {shown:>10}  {beside:28} {'' if r is None else f'{r:.2f}×':>6}  {tgt:>7} {verdict}")


def ready_after(work, name):
    """Seconds from the command's start (NAME.started, the wall clock) to
    its first mode's last painter ready, as the coordinator's log
    (NAME.log, RUST_LOG=coordinator=debug) timed it: when the first
    painting is handed out. None without both."""
    try:
        with open(os.path.join(work, name + ".started")) as f:
            started = float(f.read().strip())
        with open(os.path.join(work, name + ".log")) as f:
            lines = f.read().splitlines()
    except (OSError, ValueError):
        return None
    ready = []
    for line in lines:
        # The first mode ends with the pings before its painters' Shutdown.
        if "clock pings before Shutdown" in line:
            break
        if " DEBUG painter ready " in line:
            stamp = line.split(" ", 1)[0].replace("Z", "+00:00")
            try:
                ready.append(datetime.datetime.fromisoformat(stamp).timestamp())
            except ValueError:
                continue
    return max(ready) - started if ready else None


def scale(work):
    """Rows for 1, 2 and 4 hosts beside each other: the first mode's
    start-up from the command (the slowest host's login and probe, then the
    mode's own start-up) against one login (`ssh h1 true`) or one job step
    timed in the same run and, over ssh, against the slowest login of the
    same run (its hosts' own `login_s`: logins at once, as the run made
    them); the same from the wall clock, which also counts the
    coordinator's own start, its local probe and its planning; the mode's
    own start-up (its painters' sessions or steps, or over srun the probes
    told to paint) beside it; and the second mode's start-up."""
    rows = []
    for launcher in ["ssh", "srun"]:
        for n in ["1", "2", "4"]:
            runs = [load(p) for p in sorted(glob.glob(os.path.join(work, f"scale-{launcher}-{n}-*.json")))]
            runs = [r for r in runs if r and len(r.get("runs", [])) == 2]
            if not runs:
                continue
            floors = [load(p) for p in sorted(glob.glob(os.path.join(work, f"scale-floor-{launcher}-{n}-*.json")))]
            one = [t for f in floors if f for t in f["true_s"]]
            one = statistics.median(one) if one else None
            first = statistics.median(
                max((h.get("login_s") or 0) + h["probe_s"] for h in r["workload"]["hosts"]) + r["runs"][0]["startup_s"]
                for r in runs
            )
            own = statistics.median(r["runs"][0]["startup_s"] for r in runs)
            later = statistics.median(r["runs"][1]["startup_s"] for r in runs)
            what = "login" if launcher == "ssh" else "step"
            rows.append((f"{n} host(s): command to 1st hand-out", launcher, first, f"one {what} {fmt(one)}", ratio(first, one), 1.3))
            if launcher == "srun":
                # Each run against its own slowest probe: a step, started
                # at once with the other hosts' (then told to paint).
                own_ratio = [
                    (max(h["probe_s"] for h in r["workload"]["hosts"]) + r["runs"][0]["startup_s"])
                    / max(h["probe_s"] for h in r["workload"]["hosts"])
                    for r in runs
                ]
                slowest = statistics.median(max(h["probe_s"] for h in r["workload"]["hosts"]) for r in runs)
                rows.append((f"{n} host(s): command to 1st hand-out", launcher, first, f"slowest probe step, same run {fmt(slowest)}", statistics.median(own_ratio), None))
            if launcher == "ssh":
                # Each run against its own slowest login, then the median.
                own_ratio = [
                    (max((h.get("login_s") or 0) + h["probe_s"] for h in r["workload"]["hosts"]) + r["runs"][0]["startup_s"])
                    / max(h.get("login_s") or 0 for h in r["workload"]["hosts"])
                    for r in runs
                    if max(h.get("login_s") or 0 for h in r["workload"]["hosts"]) > 0
                ]
                slowest = statistics.median(max(h.get("login_s") or 0 for h in r["workload"]["hosts"]) for r in runs)
                if own_ratio:
                    rows.append((f"{n} host(s): command to 1st hand-out", launcher, first, f"slowest login, same run {fmt(slowest)}", statistics.median(own_ratio), 1.3))
            stems = [p[: -len(".started")] for p in sorted(glob.glob(os.path.join(work, f"scale-{launcher}-{n}-*.started")))]
            walls = [w for stem in stems if (w := ready_after(work, os.path.basename(stem))) is not None]
            if walls:
                wall = statistics.median(walls)
                rows.append((f"{n} host(s): wall, command to 1st hand-out", launcher, wall, f"one {what} {fmt(one)}", ratio(wall, one), 1.3))
            rows.append((f"{n} host(s): first mode's own", launcher, own, f"one {what} {fmt(one)}", ratio(own, one), None))
            rows.append((f"{n} host(s): a later mode's", launcher, later, "the target 0.1 s", ratio(later, 0.1), 1.0))
    cores = len(os.sched_getaffinity(0))
    for launcher, both in sorted((load(os.path.join(work, "cpu.json")) or {}).items()):
        what = "login" if launcher == "ssh" else "job step"
        rows.append((f"CPU a {what}, client+server", launcher, both["daemons_s"] + both["client_s"], f"its wall {fmt(both['wall_s'])}", None, None))
        # What four at once need of this machine's cores, if nothing else ran.
        rows.append((f"CPU a {what}, whole machine", launcher, both["machine_s"], f"4 at once ≥ {fmt(4 * both['machine_s'] / cores)} on {cores} cores", ratio(4 * both["machine_s"] / cores, both["wall_s"]), None))
    st = load(os.path.join(work, "steps.json")) or {}
    for n, both in sorted(st.items(), key=lambda kv: int(kv[0])):
        each, one = statistics.median(both["each_s"]), statistics.median(both["one_s"])
        rows.append((f"{n} steps at once on h1", "srun", each, f"1 step, {n} tasks {fmt(one)}", ratio(each, one), None))
    return rows


def fmt(seconds):
    if seconds is None:
        return "n/a"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a, b):
    return a / b if a is not None and b else None


if __name__ == "__main__":
    if sys.argv[1] == "floor":
        floor(sys.argv[2], int(sys.argv[3]), "--no-cat" not in sys.argv)
    elif sys.argv[1] == "steps":
        steps(int(sys.argv[2]))
    elif sys.argv[1] == "cpu":
        cpu(int(sys.argv[2]))
    else:
        table(sys.argv[2])
