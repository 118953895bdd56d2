#!/usr/bin/env python3
"""atelier's async mode, in Python: asyncio.gather over paintings that paint
(a CPU loop) and then dry (two awaited sleeps, a "disk" then a "network").

Like the coordinator, it first calibrates its painting: the CPU loop's
speed is taken as the fastest of several short batches, and the loop count
for --paint is derived from it. The ideal is then what a zero-overhead
single thread would take: every painting painted back to back, and the last
one dried (valid while dry >= (paintings - 1) * paint, as for 3 x (300 ms,
1 s)). overhead = measured - ideal; a second figure measures against the
painting time actually spent, which leaves out calibration error.

Prints one JSON object. Standard library only.
"""

import argparse
import asyncio
import json
import time


def spin(n):
    """The painting: n iterations of dependent integer arithmetic."""
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF
    return x


def calibrate(batch=200_000, batches=8):
    """Seconds per loop iteration: the fastest of several short batches."""
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter()
        spin(batch)
        best = min(best, time.perf_counter() - start)
    return best / batch


async def painting(iterations, dry_s, paints):
    start = time.perf_counter()
    spin(iterations)
    paints.append(time.perf_counter() - start)
    await asyncio.sleep(dry_s / 2)  # the slow disk
    await asyncio.sleep(dry_s / 2)  # the slow network


async def run(paintings, iterations, dry_s):
    paints = []
    start = time.perf_counter()
    await asyncio.gather(*(painting(iterations, dry_s, paints) for _ in range(paintings)))
    return time.perf_counter() - start, paints


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paintings", type=int, default=3)
    parser.add_argument("--paint-ms", type=float, default=300.0)
    parser.add_argument("--dry-ms", type=float, default=1000.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs, each reported")
    args = parser.parse_args()

    per_iteration = calibrate()
    iterations = round(args.paint_ms / 1000 / per_iteration)
    paint_s, dry_s = args.paint_ms / 1000, args.dry_ms / 1000
    ideal = args.paintings * paint_s + dry_s
    runs = []
    for _ in range(args.repeat):
        wall, paints = asyncio.run(run(args.paintings, iterations, dry_s))
        actual_ideal = sum(paints) + dry_s
        runs.append(
            {
                "wall_s": wall,
                "ideal_s": ideal,
                "overhead_s": wall - ideal,
                "painted_s": sum(paints),
                "overhead_vs_painted_s": wall - actual_ideal,
            }
        )
    print(json.dumps({"peer": "asyncio", "iterations": iterations, "runs": runs}))


if __name__ == "__main__":
    main()
