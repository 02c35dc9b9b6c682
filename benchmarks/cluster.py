"""Benchmark the Dask path: the same region matched in process and on a LocalCluster of worker
processes, with seconds per stage, the driver's and each worker's peak memory, and whether the
exchanges are the same.

Usage: python benchmarks/cluster.py [--sizes 100000] [--workers 2] [--memory 4GiB] [--in-parts]
                                    [--where process cluster]

Each run (one size, in process or on the cluster) is its own process, so one run's peak memory is
not another's. ``--in-parts`` matches one independent part at a time (``match(..., in_parts=True)``,
the command line's default from 500,000 listings), which keeps the driver's memory to one part's
arcs. The exchanges of the two runs are compared when both ran; a MILP component that stops at its
time limit may make them differ slightly, so the objectives are printed too.

Run it on the machine that will drive a real cluster to see how much of the work leaves the
driver: the nearest-neighbour jobs and the component solves run on the workers; validation, the
pair checks, the objective, the explanations and the result tables stay on the driver.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(size: int, where: str, seed: int, in_parts: bool, workers: int, memory: str, exchanges_to: Path) -> dict:
    """Generate a region, match it in process or on a new LocalCluster, save the exchanges as a
    pickle and return the measurements."""
    from solvers import match
    from symbiosis.registry import validate_tables
    from symbiosis.synthetic import generate_region

    registry = validate_tables(*generate_region(n_listings=size, seed=seed))
    generated_mb = _peak_mb()
    row = {"listings": size, "where": where, "generated_mb": generated_mb}
    if where == "process":
        t = time.perf_counter()
        run = match(registry=registry, in_parts=in_parts)
        row["total_s"], row["worker_mb"] = time.perf_counter() - t, None
    else:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory,
                          dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
            t = time.perf_counter()
            run = match(registry=registry, in_parts=in_parts, scheduler=client)
            row["total_s"] = time.perf_counter() - t
            row["worker_mb"] = max(client.run(_peak_mb).values())
    result = run.result
    row.update(candidates_s=run.timings["candidates"], solve_s=run.timings["solve"],
               partition_s=run.timings.get("partition", 0.0), driver_mb=_peak_mb(), arcs=result.details["arcs"],
               exchanges=len(result.exchanges), objective_t=result.objective_value, status=result.status.value,
               gap=result.gap)
    result.exchanges.to_pickle(exchanges_to)
    return row


def _difference(here, there) -> str:
    """Where two runs' exchanges differ: how many (offer, need) pairs are not in both with the same
    quantity, and in which materials."""
    import pandas as pd

    keys = ["offer_id", "need_id", "material"]
    both = pd.merge(here[keys + ["quantity"]], there[keys + ["quantity"]], on=keys, how="outer", suffixes=("", "_2"))
    differ = both[~((both["quantity"] - both["quantity_2"]).abs() <= 1e-6)]
    materials = ", ".join(sorted(differ["material"].astype(str).unique()))
    return f"no: {len(differ):,} of {len(both):,} pairs differ, in {materials}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="4GiB", help="memory limit per worker")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--in-parts", action="store_true", help="match one independent part at a time")
    parser.add_argument("--where", nargs="+", choices=("process", "cluster"), default=["process", "cluster"])
    parser.add_argument("--one", nargs=3, metavar=("SIZE", "WHERE", "EXCHANGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        size, where, exchanges_to = args.one
        print(json.dumps(measure(int(size), where, args.seed, args.in_parts, args.workers, args.memory,
                                 Path(exchanges_to))))
        return

    import pandas as pd

    print("| listings | where | candidates s | solve s | total s | driver peak MB | worker peak MB | "
          "objective t/yr | same exchanges |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            saved = {}
            for where in args.where:
                saved[where] = Path(tmp) / f"{size}-{where}.pkl"
                command = [sys.executable, __file__, "--one", str(size), where, str(saved[where]),
                           "--seed", str(args.seed), "--workers", str(args.workers), "--memory", args.memory]
                if args.in_parts:
                    command.append("--in-parts")
                out = subprocess.run(command, check=True, capture_output=True, text=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                same = ""
                if len(saved) == 2:
                    here, there = pd.read_pickle(saved["process"]), pd.read_pickle(saved["cluster"])
                    same = str(here.equals(there)) if here.equals(there) else _difference(here, there)
                label = "in process" if where == "process" else f"LocalCluster, {args.workers} workers"
                if args.in_parts:
                    label += ", in parts"
                worker = "" if row["worker_mb"] is None else f"{row['worker_mb']:.0f}"
                print(f"| {size:,} | {label} | {row['candidates_s']:.1f} | {row['solve_s']:.1f} | "
                      f"{row['total_s']:.1f} | {row['driver_mb']:.0f} | {worker} | {row['objective_t']:,.0f} | "
                      f"{same} |", flush=True)


if __name__ == "__main__":
    main()
