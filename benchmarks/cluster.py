"""Benchmark the Dask path: the same region matched in process and on a LocalCluster of worker
processes, with seconds per stage, the driver's and each worker's peak memory, and whether the
exchanges are the same.

Usage: python benchmarks/cluster.py [--sizes 100000] [--workers 2] [--memory 4GiB]

Run it on the machine that will drive a real cluster to see how much of the work leaves the
driver: the nearest-neighbour jobs and the component solves run on the workers; validation, the
pair checks, the objective, the explanations and the result tables stay on the driver.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    import pandas as pd
    from distributed import Client, LocalCluster

    from solvers import match
    from symbiosis.registry import validate_tables
    from symbiosis.synthetic import generate_region

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="4GiB", help="memory limit per worker")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| listings | where | candidates s | solve s | total s | driver peak MB | worker peak MB | same exchanges |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, memory_limit=args.memory,
                      dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
        for size in args.sizes:
            registry = validate_tables(*generate_region(n_listings=size, seed=args.seed))
            t = time.perf_counter()
            here = match(registry=registry)
            here_s = time.perf_counter() - t
            print(f"| {size:,} | in process | {here.timings['candidates']:.1f} | {here.timings['solve']:.1f} | "
                  f"{here_s:.1f} | {_peak_mb():.0f} | | |", flush=True)
            t = time.perf_counter()
            there = match(registry=registry, scheduler=client)
            there_s = time.perf_counter() - t
            workers = client.run(_peak_mb)
            same = here.exchanges.equals(there.exchanges) or bool(
                pd.testing.assert_frame_equal(here.exchanges, there.exchanges) is None)
            print(f"| {size:,} | LocalCluster, {args.workers} workers | {there.timings['candidates']:.1f} | "
                  f"{there.timings['solve']:.1f} | {there_s:.1f} | {_peak_mb():.0f} | "
                  f"{max(workers.values()):.0f} | {same} |", flush=True)


if __name__ == "__main__":
    main()
