#!/usr/bin/env python3
"""Prints bench.sh's `gap` section: how well each run's time is explained.

    gap.py WORK_DIR/gap

Reads quiet-*.json and busy-*.json (each a `compare --json`). Per mode:
the efficiency (ideal for the work as painted / wall: median, min-max),
beside the old calibrated efficiency (the prediction / wall); the
unexplained share of the wall time (median, max of |unexplained_s| / wall);
and, with a busy loop on one core, the contention share and how often it
was the largest cause. Then the issue's two checks on the quiet runs:
every efficiency <= 1.01, and |unexplained_s| <= 2% of wall in at least
80% of the mode-runs. Standard library only.
"""

import glob
import json
import os
import statistics
import sys

MODES = ["sequential", "async", "parallel", "hybrid", "threads"]


def runs(work, kind):
    found = []
    for path in sorted(glob.glob(os.path.join(work, f"{kind}-*.json"))):
        if path.endswith(".meta.json"):
            continue
        try:
            with open(path) as f:
                found.extend(json.load(f)["runs"])
        except (OSError, ValueError, KeyError):
            pass
    return found


def spread(values, fmt):
    if not values:
        return "n/a"
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def pct(x):
    return f"{100 * x:.1f}%"


def largest(run):
    # late_wakeups_s is part of drying_s and unexplained_s, not a cause.
    causes = {k: v for k, v in run["gap"].items() if k != "late_wakeups_s"}
    return max(causes.items(), key=lambda kv: abs(kv[1]))[0]


def table(work, kind, title):
    all_runs = runs(work, kind)
    count = len(all_runs) // len(MODES) if all_runs else 0
    print(f"\n{title} ({count} compares)")
    print(f"  {'mode':<11} {'efficiency':<22} {'old (predicted/wall)':<22} {'|unexplained|/wall':<22} "
          f"{'contention/wall':<16} largest cause (times)")
    for mode in MODES:
        mine = [r for r in all_runs if r["mode"] == mode and r["wall_s"] > 0]
        eff = [r["efficiency"] for r in mine]
        old = [r["predicted_s"] / r["wall_s"] for r in mine]
        unexplained = [abs(r["gap"]["unexplained_s"]) / r["wall_s"] for r in mine]
        contention = [r["gap"]["contention_s"] / r["wall_s"] for r in mine]
        causes = {}
        for r in mine:
            causes[largest(r)] = causes.get(largest(r), 0) + 1
        said = ", ".join(f"{k[:-2]} {v}" for k, v in sorted(causes.items(), key=lambda kv: -kv[1]))
        med_max = f"{pct(statistics.median(unexplained))} (max {pct(max(unexplained))})" if unexplained else "n/a"
        print(f"  {mode:<11} {spread(eff, lambda x: f'{x:.3f}'):<22} {spread(old, lambda x: f'{x:.3f}'):<22} "
              f"{med_max:<22} {spread(contention, pct) if contention else 'n/a':<16} {said}")
    return all_runs


def main():
    work = sys.argv[1]
    quiet = table(work, "quiet", "gap: default compare")
    table(work, "busy", "gap: default compare, a busy loop on the last allowed core")
    if quiet:
        over = [r for r in quiet if r["efficiency"] > 1.01]
        small = [r for r in quiet if abs(r["gap"]["unexplained_s"]) <= 0.02 * r["wall_s"]]
        print(f"\n  quiet runs: efficiency <= 1.01 in {len(quiet) - len(over)} of {len(quiet)} mode-runs"
              f" ({'ok' if not over else 'MISSED'}); |unexplained_s| <= 2% of wall in {len(small)} of {len(quiet)}"
              f" ({'ok' if len(small) >= 0.8 * len(quiet) else 'MISSED'}, target 80%)")


if __name__ == "__main__":
    main()
