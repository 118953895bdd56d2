#!/usr/bin/env python3
"""Python's process pool, for comparison with atelier's painters: the
process start-up floor (os.posix_spawn of /bin/true, then waitpid),
multiprocessing.Pool(2) start-up (constructor to the first result), and
tiny-job throughput (Pool(2).map of a no-op, with chunksize 1, 16 and 256,
and with the default chunksize).

Prints one JSON object. Standard library only.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import time


def noop(x):
    return x


def spawn_floor(rounds):
    """Seconds from posix_spawn of /bin/true to its reaped exit."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
        os.waitpid(pid, 0)
        samples.append(time.perf_counter() - start)
    return samples


def pool_startup(rounds):
    """Seconds from Pool(2) to the first answer of one of its workers."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        with multiprocessing.Pool(2) as pool:
            pool.apply(noop, (0,))
            samples.append(time.perf_counter() - start)
    return samples


def pool_throughput(jobs, chunksize):
    """No-ops per second through Pool(2).map (workers already started)."""
    with multiprocessing.Pool(2) as pool:
        pool.map(noop, range(100), chunksize=1)  # both workers are up
        start = time.perf_counter()
        pool.map(noop, range(jobs), chunksize=chunksize)
        return jobs / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="start-up samples")
    parser.add_argument("--jobs-chunk1", type=int, default=20_000)
    parser.add_argument("--jobs-chunk16", type=int, default=200_000)
    parser.add_argument("--jobs-default", type=int, default=1_000_000,
                        help="jobs for chunksize 256 and the default")
    parser.add_argument("--map-only", action="store_true",
                        help="only Pool(2).map of --jobs-default no-ops with the default chunksize")
    args = parser.parse_args()
    if args.map_only:
        print(json.dumps({"peer": "multiprocessing", "jobs": args.jobs_default,
                          "map_default_per_s": pool_throughput(args.jobs_default, None)}))
        return
    floor = spawn_floor(args.rounds)
    startup = pool_startup(max(3, args.rounds // 6))
    result = {
        "peer": "multiprocessing",
        "start_method": multiprocessing.get_start_method(),
        "spawn_true_s": statistics.median(floor),
        "pool2_startup_s": statistics.median(startup),
        "map_chunksize1_per_s": pool_throughput(args.jobs_chunk1, 1),
        "map_chunksize16_per_s": pool_throughput(args.jobs_chunk16, 16),
        "map_chunksize256_per_s": pool_throughput(args.jobs_default, 256),
        "map_default_per_s": pool_throughput(args.jobs_default, None),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
